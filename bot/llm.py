"""The one LLM client: any OpenAI-compatible endpoint, with retries, timeouts, a concurrency
bound, a daily token budget, and every call written to `llm_calls`.

Callers catch LLMUnavailable and fall back (extractive summaries, retrieval-only answers).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

import sqlite_utils
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from bot.config import Settings
from bot.retrying import WaitAsAsked, parse_retry_after
from storage.llm_calls import LLMCall, record_call, usage_since

log = logging.getLogger(__name__)


# openai (with pydantic, ~0.4 s) is imported when a client is made, not by every `paperboy`
# command and test process that merely imports this module.
@cache
def transient() -> tuple[type[Exception], ...]:
    import openai

    return (
        openai.APITimeoutError,
        openai.APIConnectionError,
        openai.RateLimitError,
        openai.InternalServerError,
    )


CIRCUIT_OPEN_S = 60.0
EMBED_VERSION = "embed-1"  # llm_calls.prompt_version of embedding requests
T = TypeVar("T")


class LLMUnavailable(RuntimeError):
    """No answer from the model: not configured, down after retries, refused, or over budget."""


class BudgetExhausted(LLMUnavailable):
    pass


@dataclass(frozen=True)
class Completion:
    text: str
    tokens_in: int
    tokens_out: int


Message = dict[str, str]


def _asked(exc: BaseException) -> float | None:
    import openai

    if isinstance(exc, openai.APIStatusError):
        return parse_retry_after(exc.response.headers.get("retry-after"))
    return None


class LLMClient:
    def __init__(
        self,
        settings: Settings,
        db: sqlite_utils.Database,
        *,
        backoff_s: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = settings.llm_model
        self._clock = clock
        self.enabled = settings.llm_enabled
        self._settings = settings
        self._db = db
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._limit = asyncio.Semaphore(settings.llm_concurrency)
        self._budget_warned_for: str | None = None
        self._down_until = 0.0
        if self.enabled:
            import openai
        self._client = (
            openai.AsyncOpenAI(
                base_url=settings.openai_base_url,
                api_key=settings.openai_api_key or "not-needed",
                timeout=settings.llm_timeout,
                max_retries=0,  # tenacity owns retries
            )
            if self.enabled
            else None
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()

    def tokens_used_today(self) -> int:
        usage = usage_since(self._db, start_of_utc_day())
        return usage.tokens_in + usage.tokens_out

    async def complete(
        self,
        purpose: str,
        messages: Sequence[Message],
        *,
        prompt_version: str,
        max_tokens: int = 800,
        temperature: float = 0.2,
        deadline_s: float | None = None,
    ) -> Completion:
        """One chat completion, retried on transient errors, logged; raises LLMUnavailable.
        With `deadline_s`, all of it (the wait for a free slot, retries, Retry-After waits)
        must fit in that many seconds, else LLMUnavailable: someone is waiting."""
        if self._client is None:
            raise LLMUnavailable("no LLM configured (set OPENAI_BASE_URL or OPENAI_API_KEY)")
        self._check_budget()
        call = self._with_retries(
            purpose,
            lambda: self._call_once(purpose, messages, prompt_version, max_tokens, temperature),
        )
        if deadline_s is None:
            return await call
        try:
            async with asyncio.timeout(deadline_s):
                return await call
        except TimeoutError:
            raise LLMUnavailable(f"{purpose}: no answer within {deadline_s:.0f} s") from None

    async def embed(self, texts: Sequence[str], *, model: str) -> list[list[float]]:
        """Vectors for `texts` from `/v1/embeddings`, one request, retried and logged like a
        completion (the budget counts its input tokens); raises LLMUnavailable."""
        if self._client is None:
            raise LLMUnavailable("no LLM configured (set OPENAI_BASE_URL or OPENAI_API_KEY)")
        self._check_budget()
        return await self._with_retries("embeddings", lambda: self._embed_once(texts, model))

    async def _with_retries(self, purpose: str, call: Callable[[], Awaitable[T]]) -> T:
        import openai

        if self._clock() < self._down_until:
            raise LLMUnavailable(
                f"{purpose}: the LLM endpoint failed recently; not retrying "
                "until it has had a minute"
            )
        async with self._limit:
            retrying = AsyncRetrying(
                retry=retry_if_exception_type(transient()),
                stop=stop_after_attempt(self._settings.llm_attempts),
                wait=WaitAsAsked(_asked, backoff_s=self._backoff_s),
                sleep=self._sleep,
                reraise=True,
            )
            try:
                async for attempt in retrying:
                    with attempt:
                        return await call()
            except transient() as exc:
                # Down after all retries: fail fast for a while, so that hundreds of digests
                # fall back at once instead of each waiting through its own retries.
                self._down_until = self._clock() + CIRCUIT_OPEN_S
                raise LLMUnavailable(f"{purpose}: {_describe(exc)}") from exc
            except openai.OpenAIError as exc:
                raise LLMUnavailable(f"{purpose}: {_describe(exc)}") from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _embed_once(self, texts: Sequence[str], model: str) -> list[list[float]]:
        import openai

        assert self._client is not None
        started = time.perf_counter()
        try:
            response = await self._client.embeddings.create(model=model, input=list(texts))
        except openai.OpenAIError as exc:
            self._record(
                "embeddings", EMBED_VERSION, started, 0, 0, error=_describe(exc), model=model
            )
            raise
        rows = sorted(response.data, key=lambda item: item.index)
        if len(rows) != len(texts):
            error = f"{len(rows)} vectors for {len(texts)} texts"
            self._record("embeddings", EMBED_VERSION, started, 0, 0, error=error, model=model)
            raise LLMUnavailable(f"embeddings: {error}")
        tokens = response.usage.prompt_tokens if response.usage else 0
        self._record("embeddings", EMBED_VERSION, started, tokens, 0, error=None, model=model)
        return [list(item.embedding) for item in rows]

    async def _call_once(
        self,
        purpose: str,
        messages: Sequence[Message],
        prompt_version: str,
        max_tokens: int,
        temperature: float,
    ) -> Completion:
        import openai

        assert self._client is not None
        started = time.perf_counter()
        try:
            response = await self._client.chat.completions.create(
                model=self.model,
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
            )
        except openai.OpenAIError as exc:
            self._record(purpose, prompt_version, started, 0, 0, error=_describe(exc))
            raise
        usage = response.usage
        tokens_in = usage.prompt_tokens if usage else 0
        tokens_out = usage.completion_tokens if usage else 0
        text = (response.choices[0].message.content or "") if response.choices else ""
        self._record(purpose, prompt_version, started, tokens_in, tokens_out, error=None)
        return Completion(text=text, tokens_in=tokens_in, tokens_out=tokens_out)

    def _record(
        self,
        purpose: str,
        version: str,
        started: float,
        t_in: int,
        t_out: int,
        error: str | None,
        model: str | None = None,
    ) -> None:
        latency = int((time.perf_counter() - started) * 1000)
        call = LLMCall(
            purpose, model or self.model, version, t_in, t_out, latency, error is None, error
        )
        record_call(self._db, call)

    def _check_budget(self) -> None:
        used = self.tokens_used_today()
        if used < self._settings.llm_daily_tokens:
            return
        today = start_of_utc_day()
        if self._budget_warned_for != today:
            log.warning(
                "LLM daily token budget spent (%d tokens); using fallbacks until 00:00 UTC", used
            )
            self._budget_warned_for = today
        raise BudgetExhausted(f"daily token budget of {self._settings.llm_daily_tokens} spent")


def start_of_utc_day() -> str:
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0).isoformat(timespec="seconds")


def _describe(exc: BaseException) -> str:
    import openai

    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} from the LLM endpoint"
    if isinstance(exc, openai.APITimeoutError):
        return "the LLM endpoint timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "could not connect to the LLM endpoint"
    return type(exc).__name__


# A closing fence's spaces are taken from the start of a run only (linear on long runs).
_FENCE = re.compile(r"^```(?:json)?\s*|(?:(?<!\s)\s+)?```$", re.MULTILINE)


def parse_json_reply(text: str) -> Any:
    """The JSON value in a model's reply, tolerating code fences and chatter around it
    (servers without JSON mode often add them). Raises ValueError when there is none."""
    cleaned = _FENCE.sub("", text.strip())
    try:
        return json.loads(cleaned)
    except json.JSONDecodeError:
        pass
    for opener, closer in (("{", "}"), ("[", "]")):
        start, end = cleaned.find(opener), cleaned.rfind(closer)
        if 0 <= start < end:
            try:
                return json.loads(cleaned[start : end + 1])
            except json.JSONDecodeError:
                continue
    raise ValueError("the model's reply holds no JSON")
