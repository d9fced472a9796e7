"""The one Settings object: each setting declared once (environment name, parser, default, help),
read from the environment (and an optional .env file), validated once.

Nothing else in Paperboy reads os.environ; every other module receives Settings.
`.env.example` and the table in docs/configuration.md are generated from these declarations
(scripts/settings_docs.py; tests/test_settings_lists.py fails when they differ).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

# Defaults the stages that use them take from here (config imports no stage).
ARXIV_RSS_URL = "https://rss.arxiv.org/rss"
ARXIV_API_URL = "https://export.arxiv.org/api/query"
ARXIV_MIN_INTERVAL_S = 3.0  # between two requests to arXiv, as it asks
ARXIV_HTML_URL = "https://arxiv.org/html"
ARXIV_PDF_URL = "https://arxiv.org/pdf"

DEFAULT_PAPERS_URL = "https://huggingface.co/api/daily_papers"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
BOT_TOKEN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")

T = TypeVar("T")


class SettingsError(ValueError):
    """Raised with every invalid setting listed, so the operator can fix them all at once."""


# --- the value grammars: each parser raises ValueError saying what to type --------------


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a positive number")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value < 0:
        raise ValueError("expected a number of seconds, 0 or more")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError("expected a TCP port, 1 to 65535")
    return value


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _one_of(
    meanings: Mapping[str, str], *, aliases: Mapping[str, str] | None = None, upper: bool = False
) -> Callable[[str], str]:
    """A parser accepting one of `meanings`' keys (each explained in the error, when it has a
    meaning), or an old name in `aliases`."""
    named = [f"{value} ({meaning})" if meaning else value for value, meaning in meanings.items()]
    expected = f"expected {', '.join(named[:-1])} or {named[-1]}"

    def parse(raw: str) -> str:
        value = raw.upper() if upper else raw
        value = (aliases or {}).get(value, value)
        if value not in meanings:
            raise ValueError(expected)
        return value

    return parse


def _hours(raw: str) -> tuple[int, ...]:
    try:
        hours = tuple(sorted({int(part) for part in raw.split(",") if part.strip()}))
    except ValueError:
        raise ValueError("expected comma-separated hours 0-23, e.g. 6,12,18") from None
    if not hours or any(h < 0 or h > 23 for h in hours):
        raise ValueError("expected comma-separated hours 0-23, e.g. 6,12,18")
    return hours


def _ids(raw: str) -> frozenset[int]:
    try:
        return frozenset(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValueError("expected comma-separated numeric Telegram user ids") from None


def _url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port past 65535 or not a number
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    if not parts.hostname:
        raise ValueError("the URL names no host")
    return raw.rstrip("/")


def _https_url(raw: str) -> str:
    # Telegram only calls webhooks over HTTPS (tests use a local http:// stand-in).
    if not raw.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError("expected the public https:// URL Telegram should call")
    return raw.rstrip("/")


def _webhook_secret(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", raw):
        raise ValueError("expected 16 to 256 characters of A-Z, a-z, 0-9, _ and -")
    return raw


def _bot_token(raw: str) -> str:
    if BOT_TOKEN.match(raw):
        return raw
    if raw[:3].lower() == "bot" and BOT_TOKEN.match(raw[3:]):
        raise ValueError("remove the leading 'bot': the token is the part @BotFather gave you")
    if raw[:1] in "\"'" or raw[-1:] in "\"'":
        raise ValueError("remove the quotes around the token")
    raise ValueError("does not look like a bot token (digits:letters, from @BotFather)")


def _header_text(raw: str) -> str:
    # It goes into arXiv requests' User-Agent header, which HTTP keeps to ASCII: accepted
    # as typed, "José Müller" would fail every arXiv request later, one by one.
    if not raw.isascii() or any(ord(c) < 32 for c in raw):
        raise ValueError(
            "must be plain ASCII (it is sent in an HTTP header): an e-mail address or URL, "
            "e.g. jose.muller@example.org"
        )
    return raw


def _source_list(raw: str) -> str:
    # Which sources exist is bot.sources' to say (its check runs through `checks`).
    if not any(part.strip() for part in raw.split(",")):
        raise ValueError("no source given (e.g. hf, or hf,arxiv:cs.CL+cs.LG)")
    return raw


# --- the declaration ----------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A heading of .env.example, with a line or two said once for the settings under it."""

    title: str
    intro: str = ""


@dataclass(frozen=True)
class Setting:
    """One setting: where it is read from, how, its default and what it means. `help` is
    written once for both .env.example and the docs table (`{name}` slots are filled by
    the generator, e.g. `{sources}` from bot.sources' registry: config imports no stage)."""

    default: Any
    env: str
    parse: Callable[[str], Any]
    help: str
    secret: bool = False  # never printed: errors show its length and first 4 characters
    empty: str = ""  # what an empty default means, for the docs ("polling", "off")
    starts: Section | None = None  # the first setting of a section in .env.example


def setting(
    default: T,
    env: str,
    parse: Callable[[str], T],
    help: str,
    *,
    secret: bool = False,
    empty: str = "",
    starts: Section | None = None,
) -> T:
    """A Settings field declared with everything there is to know about it."""
    declared = Setting(default, env, parse, help, secret, empty, starts)
    return field(default=default, metadata={"setting": declared})


BASICS = Section("Storage and logs")
PAPERS = Section("Papers: where they come from")
FULL_TEXT = Section("Full text: reading papers to answer questions")
LLM = Section(
    "LLM: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server…)",
    "Leave OPENAI_BASE_URL and OPENAI_API_KEY both empty to run without an LLM "
    "(extractive summaries, retrieval-only answers).",
)
TELEGRAM = Section("Telegram")
DIGESTS = Section("Digests and matching")
OPERATIONS = Section("Operations: webhook, backups, health")


@dataclass(frozen=True)
class Settings:
    db_path: Path = setting(  # noqa: RUF009 - setting() is a dataclasses.field
        Path("data/paperboy.db"),
        "PAPERBOY_DB_PATH",
        Path,
        "SQLite database file (created with its folder on first start)",
        starts=BASICS,
    )
    log_level: str = setting(
        "INFO",
        "PAPERBOY_LOG_LEVEL",
        _one_of(dict.fromkeys(("DEBUG", "INFO", "WARNING", "ERROR"), ""), upper=True),
        "`DEBUG`, `INFO`, `WARNING` or `ERROR`",
    )
    log_format: str = setting(
        "text",
        "PAPERBOY_LOG_FORMAT",
        _one_of({"text": "", "json": "one JSON object per line"}),
        "`text`, or `json`: one JSON object per log line, for log collectors",
    )
    source: str = setting(
        "hf",
        "PAPERBOY_SOURCE",
        _source_list,
        "Where papers come from on scheduled ingest, comma-separated: {sources}. A paper "
        "listed by several sources is stored and sent once. Example: `hf,arxiv:cs.CL+cs.LG`",
        starts=PAPERS,
    )
    papers_url: str = setting(
        DEFAULT_PAPERS_URL,
        "PAPERBOY_PAPERS_URL",
        _url,
        "Daily Papers API endpoint; the date is sent as `?date=YYYY-MM-DD`",
    )
    arxiv_rss_url: str = setting(
        ARXIV_RSS_URL,
        "PAPERBOY_ARXIV_RSS_URL",
        _url,
        "arXiv's RSS feed (the categories are appended: `.../rss/cs.CL+cs.LG`)",
    )
    arxiv_api_url: str = setting(
        ARXIV_API_URL,
        "PAPERBOY_ARXIV_API_URL",
        _url,
        "arXiv's API, asked only for what the feed lacks (100 ids per request)",
    )
    arxiv_min_interval: float = setting(
        ARXIV_MIN_INTERVAL_S,
        "PAPERBOY_ARXIV_MIN_INTERVAL",
        _non_negative_float,
        "Seconds between two requests to arXiv; arXiv asks for 3: do not lower it against "
        "arxiv.org",
    )
    contact: str | None = setting(
        None,
        "PAPERBOY_CONTACT",
        _header_text,
        "An e-mail or URL where arXiv can reach whoever runs this bot, sent in the "
        "User-Agent as arXiv asks of automated clients (ASCII: it travels in an HTTP header)",
    )
    http_timeout: float = setting(
        20.0,
        "PAPERBOY_HTTP_TIMEOUT",
        _positive_float,
        "Seconds per HTTP request to the papers source and to arXiv's full texts",
    )
    ingest_hours_utc: tuple[int, ...] = setting(
        (6, 10, 14, 18, 22),
        "PAPERBOY_INGEST_HOURS_UTC",
        _hours,
        "Hours (UTC) at which `paperboy run` ingests (the daily list grows during the day)",
    )
    full_text: bool = setting(
        True,
        "PAPERBOY_FULL_TEXT",
        _bool,
        "Questions read their papers' full text from arXiv (HTML, else PDF) and cite "
        "sections or pages",
        starts=FULL_TEXT,
    )
    arxiv_html_url: str = setting(
        ARXIV_HTML_URL,
        "PAPERBOY_ARXIV_HTML_URL",
        _url,
        "Where full texts are read as HTML (the id is appended); this host and the PDF "
        "one are the only ones fetched",
    )
    arxiv_pdf_url: str = setting(
        ARXIV_PDF_URL,
        "PAPERBOY_ARXIV_PDF_URL",
        _url,
        "Where full texts are read as PDF when a paper has no HTML (the id is appended)",
    )
    reads_per_hour: int = setting(
        20,
        "PAPERBOY_READS_PER_HOUR",
        _positive_int,
        "Papers one chat's questions may cause to be fetched per hour",
    )
    openai_base_url: str | None = setting(
        None,
        "OPENAI_BASE_URL",
        _url,
        "OpenAI-compatible endpoint, e.g. `http://localhost:11434/v1` (Ollama); empty with "
        "a key = OpenAI's own",
        starts=LLM,
    )
    openai_api_key: str | None = setting(
        None,
        "OPENAI_API_KEY",
        str,
        "API key; local servers accept any value. Both empty = no LLM (fallbacks)",
        secret=True,
    )
    llm_model: str = setting(
        "gpt-4o-mini",
        "PAPERBOY_LLM_MODEL",
        str,
        "Model name as the endpoint knows it; a small, cheap one is plenty",
    )
    llm_timeout: float = setting(
        60.0, "PAPERBOY_LLM_TIMEOUT", _positive_float, "Seconds per LLM request"
    )
    answer_deadline: float = setting(
        45.0,
        "PAPERBOY_ANSWER_DEADLINE",
        _positive_float,
        "Seconds a question may wait for the model in all (a free slot, retries, waits); "
        "past it the answer is retrieval-only, so nobody waits minutes for a slow endpoint",
    )
    llm_concurrency: int = setting(
        4, "PAPERBOY_LLM_CONCURRENCY", _positive_int, "LLM requests in flight at once"
    )
    llm_attempts: int = setting(
        4,
        "PAPERBOY_LLM_ATTEMPTS",
        _positive_int,
        "Attempts per LLM request (timeouts, connection errors, 429, 5xx retried; "
        "400/401/403 never)",
    )
    llm_daily_tokens: int = setting(
        2_000_000,
        "PAPERBOY_LLM_DAILY_TOKENS",
        _positive_int,
        "Token budget (in + out) per UTC day; when spent, fallbacks until midnight UTC",
    )
    summary_batch: int = setting(
        8, "PAPERBOY_SUMMARY_BATCH", _positive_int, "Papers summarised per LLM call"
    )
    llm_personal: bool = setting(
        True,
        "PAPERBOY_LLM_PERSONAL",
        _bool,
        "With an LLM configured, one personal call per reader's digest: picks and orders "
        'their papers among the top 15, a "why this matters to you" line each, an opening '
        "(checked; any problem: the ranker's order and reasons; readers with the same "
        "inputs share a call; see [llm.md](llm.md))",
    )
    llm_personal_wait: float = setting(
        60.0,
        "PAPERBOY_LLM_PERSONAL_WAIT",
        _positive_float,
        "Seconds a digest may wait for its personal note (a sweep counts from its start); "
        "later notes are dropped and the digest goes out with the ranker's order and reasons",
    )
    llm_rerank: bool = setting(
        False,
        "PAPERBOY_LLM_RERANK",
        _bool,
        "Let the LLM re-order each user's top 20 candidates (one call per user per digest); "
        "with the personal call on, that call does it (still one call)",
    )
    telegram_bot_token: str | None = setting(
        None,
        "TELEGRAM_BOT_TOKEN",
        _bot_token,
        "Bot token from @BotFather; required by `paperboy run` (checked at start-up), not "
        "by `paperboy chat`",
        secret=True,
        starts=TELEGRAM,
    )
    telegram_api_url: str = setting(
        DEFAULT_TELEGRAM_API_URL,
        "TELEGRAM_API_URL",
        _url,
        "Bot API base URL (a self-hosted Bot API server, tests)",
    )
    admin_ids: frozenset[int] = setting(
        frozenset(),
        "PAPERBOY_ADMIN_IDS",
        _ids,
        "Comma-separated Telegram user ids allowed to use `/stats`",
    )
    questions_per_hour: int = setting(
        30,
        "PAPERBOY_QUESTIONS_PER_HOUR",
        _positive_int,
        "Follow-up questions per user per hour",
    )
    empty_digest: str = setting(
        "closest",
        "PAPERBOY_EMPTY_DIGEST",
        # "top3": the name before per-interest closest matches replaced the top 3
        _one_of(
            {"closest": "say nothing matched, with each interest's closest papers", "skip": ""},
            aliases={"top3": "closest"},
        ),
        "A day where nothing clears a user's cut-off: `closest` (say so, with each "
        "interest's two closest papers and why; `top3`, the old name, means the same) or "
        "`skip`",
        starts=DIGESTS,
    )
    expand_interests: bool = setting(
        True,
        "PAPERBOY_EXPAND_INTERESTS",
        _bool,
        "With an LLM configured, expand each interest text once (synonyms, acronyms) as an "
        "extra, lower-weight query",
    )
    embeddings: str = setting(
        "local",
        "PAPERBOY_EMBEDDINGS",
        _one_of(
            {
                "local": "the model shipped with Paperboy",
                "api": "OPENAI_BASE_URL's /v1/embeddings",
                "off": "lexical matching only",
            }
        ),
        "`local`: the model shipped in the package (no download, no PyTorch); `api`: the "
        "`/v1/embeddings` of `OPENAI_BASE_URL`; `off`: lexical matching only",
    )
    embeddings_model: str = setting(
        "text-embedding-3-small",
        "PAPERBOY_EMBEDDINGS_MODEL",
        str,
        "The embedding model with `PAPERBOY_EMBEDDINGS=api` (e.g. `nomic-embed-text` on Ollama)",
    )
    webhook_url: str | None = setting(
        None,
        "PAPERBOY_WEBHOOK_URL",
        _https_url,
        "Public HTTPS URL Telegram calls in webhook mode (see [operations.md](operations.md))",
        empty="polling",
        starts=OPERATIONS,
    )
    webhook_secret: str | None = setting(
        None,
        "PAPERBOY_WEBHOOK_SECRET",
        _webhook_secret,
        "Required with a webhook URL: 16-256 characters of `A-Z a-z 0-9 _ -`, the secret "
        "Telegram sends with every call (checked on each)",
        secret=True,
    )
    webhook_listen: str = setting(
        "127.0.0.1",
        "PAPERBOY_WEBHOOK_LISTEN",
        str,
        "Where the webhook server listens (behind your TLS proxy; the Docker image sets `0.0.0.0`)",
    )
    webhook_port: int = setting(
        8443, "PAPERBOY_WEBHOOK_PORT", _port, "Port the webhook server listens on"
    )
    backup_dir: Path | None = setting(  # noqa: RUF009 - as db_path
        None,
        "PAPERBOY_BACKUP_DIR",
        Path,
        "Folder for the daily checked backup of `paperboy run`",
        empty="no daily backup",
    )
    backup_keep: int = setting(
        7, "PAPERBOY_BACKUP_KEEP", _positive_int, "Daily backups kept (the newest)"
    )
    health_port: int | None = setting(
        None,
        "PAPERBOY_HEALTH_PORT",
        _port,
        "Port of the `GET /health` endpoint (503 when the delivery sweep stopped running)",
        empty="off",
    )
    health_host: str = setting(
        "127.0.0.1", "PAPERBOY_HEALTH_HOST", str, "Address of the `GET /health` endpoint"
    )

    @property
    def sources(self) -> list[str]:
        """PAPERBOY_SOURCE split: 'hf,arxiv:cs.CL+cs.LG' -> ['hf', 'arxiv:cs.CL+cs.LG'] (each
        was checked by bot.sources when the settings were read)."""
        return [part.strip() for part in self.source.split(",") if part.strip()]

    @property
    def llm_enabled(self) -> bool:
        """An LLM is used when an endpoint or a key is configured; otherwise fallbacks."""
        return bool(self.openai_base_url or self.openai_api_key)

    @property
    def personal_wait_s(self) -> float | None:
        """How long a digest may wait for the LLM's personal note (None: no personal call)."""
        return self.llm_personal_wait if self.llm_personal and self.llm_enabled else None

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        checks: Mapping[str, Callable[[str], object]] | None = None,
    ) -> Settings:
        """Build Settings from `environ` (default: .env file overlaid by the real environment).
        `checks`: the stages' own checks of the settings whose grammar they own (field name
        -> a function raising ValueError), run with the others so every problem is reported
        at once (bot/cli passes them; config imports no stage)."""
        env = dict(environ) if environ is not None else {**read_dotenv(Path(".env")), **os.environ}
        values: dict[str, Any] = {}
        errors: list[str] = []
        for name, declared in SCHEMA.items():
            raw = env.get(declared.env, "").strip()
            if not raw:
                continue
            try:
                values[name] = declared.parse(raw)
                if checks and name in checks:
                    checks[name](raw)
            except ValueError as exc:
                shown = _hint_of(raw) if declared.secret else repr(raw)
                errors.append(f"{declared.env}={shown}: {exc}")
        if values.get("webhook_url") and not values.get("webhook_secret"):
            errors.append(
                "PAPERBOY_WEBHOOK_URL is set but PAPERBOY_WEBHOOK_SECRET is not: the secret is "
                "how the bot knows a request comes from Telegram (16+ letters, digits, _ or -)"
            )
        if errors:
            raise SettingsError("Invalid settings:\n  " + "\n  ".join(errors))
        return cls(**values)

    def describe(self) -> dict[str, str]:
        """Settings as printable strings, secrets masked."""
        shown = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        for name, declared in SCHEMA.items():
            if declared.secret and getattr(self, name):
                shown[name] = "***"
        return shown


# Every setting by its field name, in the order .env.example and the docs list them.
SCHEMA: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(Settings)}


def env_text(value: object) -> str:
    """A value as it is written in an environment: the inverse of its setting's parser
    (tests/test_settings_lists.py reads .env.example back into exactly Settings())."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, frozenset):
        return ",".join(str(item) for item in sorted(value))
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=value lines as python-dotenv does for the simple cases people write: an
    optional `export `, values in single or double quotes, ` # comments` after a value."""
    if not path.is_file():
        return {}
    result: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        result[key.strip()] = _dotenv_value(value.strip())
    return result


def _dotenv_value(value: str) -> str:
    if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
        return value[1:-1]
    if value[:1] in "\"'":
        # An opening quote with a comment after the closing one: KEY="x"  # note
        close = value.find(value[0], 1)
        if close > 0 and value[close + 1 :].lstrip().startswith("#"):
            return value[1:close]
    comment = value.find(" #")
    return value[:comment].rstrip() if comment >= 0 else value


def _hint_of(secret: str) -> str:
    """A secret in an error message: its length and at most its first 4 characters."""
    return f"<hidden, {len(secret)} characters, starting {secret[:4]!r}>"
