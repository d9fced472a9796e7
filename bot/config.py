"""The one Settings object: read from the environment (and an optional .env file), validated once.

Nothing else in Paperboy reads os.environ; every other module receives Settings.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
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


class SettingsError(ValueError):
    """Raised with every invalid setting listed, so the operator can fix them all at once."""


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("data/paperboy.db")
    papers_url: str = DEFAULT_PAPERS_URL
    source: str = "hf"
    http_timeout: float = 20.0
    ingest_hours_utc: tuple[int, ...] = (6, 10, 14, 18, 22)
    log_level: str = "INFO"
    log_format: str = "text"
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = 60.0
    llm_concurrency: int = 4
    llm_attempts: int = 4
    llm_daily_tokens: int = 2_000_000
    summary_batch: int = 8
    llm_rerank: bool = False
    llm_personal: bool = True
    llm_personal_wait: float = 60.0
    expand_interests: bool = True
    telegram_bot_token: str | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    admin_ids: frozenset[int] = frozenset()
    questions_per_hour: int = 30
    empty_digest: str = "closest"
    embeddings: str = "local"
    backup_dir: Path | None = None
    backup_keep: int = 7
    health_port: int | None = None
    health_host: str = "127.0.0.1"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1"  # behind the TLS proxy; the Docker image sets 0.0.0.0
    webhook_port: int = 8443
    embeddings_model: str = "text-embedding-3-small"
    arxiv_rss_url: str = ARXIV_RSS_URL
    arxiv_api_url: str = ARXIV_API_URL
    arxiv_min_interval: float = ARXIV_MIN_INTERVAL_S
    contact: str | None = None
    full_text: bool = True
    arxiv_html_url: str = ARXIV_HTML_URL
    arxiv_pdf_url: str = ARXIV_PDF_URL
    reads_per_hour: int = 20
    answer_deadline: float = 45.0

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
        for name, (key, parse) in _ENV_KEYS.items():
            raw = env.get(key, "").strip()
            if not raw:
                continue
            try:
                values[name] = parse(raw)
                if checks and name in checks:
                    checks[name](raw)
            except ValueError as exc:
                shown = _hint_of(raw) if name in _SECRETS else repr(raw)
                errors.append(f"{key}={shown}: {exc}")
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
        for name in _SECRETS:
            if getattr(self, name):
                shown[name] = "***"
        return shown


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


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a positive number")
    return value


def _https_url(raw: str) -> str:
    # Telegram only calls webhooks over HTTPS (tests use a local http:// stand-in).
    if not raw.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError("expected the public https:// URL Telegram should call")
    return raw.rstrip("/")


def _webhook_secret(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", raw):
        raise ValueError("expected 16 to 256 characters of A-Z, a-z, 0-9, _ and -")
    return raw


def _log_format(raw: str) -> str:
    if raw not in ("text", "json"):
        raise ValueError("expected text or json (one JSON object per line)")
    return raw


def _port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError("expected a TCP port, 1 to 65535")
    return value


def _source_spec(raw: str) -> str:
    # Which sources exist is bot.sources' to say (its check runs through `checks`).
    if not any(part.strip() for part in raw.split(",")):
        raise ValueError("no source given (e.g. hf, or hf,arxiv:cs.CL+cs.LG)")
    return raw


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value < 0:
        raise ValueError("expected a number of seconds, 0 or more")
    return value


def _hours(raw: str) -> tuple[int, ...]:
    try:
        hours = tuple(sorted({int(part) for part in raw.split(",") if part.strip()}))
    except ValueError:
        raise ValueError("expected comma-separated hours 0-23, e.g. 6,12,18") from None
    if not hours or any(h < 0 or h > 23 for h in hours):
        raise ValueError("expected comma-separated hours 0-23, e.g. 6,12,18")
    return hours


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _bot_token(raw: str) -> str:
    if BOT_TOKEN.match(raw):
        return raw
    if raw[:3].lower() == "bot" and BOT_TOKEN.match(raw[3:]):
        raise ValueError("remove the leading 'bot': the token is the part @BotFather gave you")
    if raw[:1] in "\"'" or raw[-1:] in "\"'":
        raise ValueError("remove the quotes around the token")
    raise ValueError("does not look like a bot token (digits:letters, from @BotFather)")


def _ids(raw: str) -> frozenset[int]:
    try:
        return frozenset(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValueError("expected comma-separated numeric Telegram user ids") from None


def _empty_digest(raw: str) -> str:
    if raw == "top3":  # the name before per-interest closest matches replaced the top 3
        return "closest"
    if raw not in ("closest", "skip"):
        raise ValueError(
            "expected closest (say nothing matched, with each interest's closest papers) or skip"
        )
    return raw


def _embeddings(raw: str) -> str:
    if raw not in ("local", "api", "off"):
        raise ValueError(
            "expected local (the model shipped with Paperboy), api (OPENAI_BASE_URL's "
            "/v1/embeddings) or off (lexical matching only)"
        )
    return raw


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
    return level


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


def _header_text(raw: str) -> str:
    # It goes into arXiv requests' User-Agent header, which HTTP keeps to ASCII: accepted
    # as typed, "José Müller" would fail every arXiv request later, one by one.
    if not raw.isascii() or any(ord(c) < 32 for c in raw):
        raise ValueError(
            "must be plain ASCII (it is sent in an HTTP header): an e-mail address or URL, "
            "e.g. jose.muller@example.org"
        )
    return raw


_ENV_KEYS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "db_path": ("PAPERBOY_DB_PATH", Path),
    "papers_url": ("PAPERBOY_PAPERS_URL", _url),
    "source": ("PAPERBOY_SOURCE", _source_spec),
    "http_timeout": ("PAPERBOY_HTTP_TIMEOUT", _positive_float),
    "ingest_hours_utc": ("PAPERBOY_INGEST_HOURS_UTC", _hours),
    "log_level": ("PAPERBOY_LOG_LEVEL", _log_level),
    "log_format": ("PAPERBOY_LOG_FORMAT", _log_format),
    "openai_base_url": ("OPENAI_BASE_URL", _url),
    "openai_api_key": ("OPENAI_API_KEY", str),
    "llm_model": ("PAPERBOY_LLM_MODEL", str),
    "llm_timeout": ("PAPERBOY_LLM_TIMEOUT", _positive_float),
    "llm_concurrency": ("PAPERBOY_LLM_CONCURRENCY", _positive_int),
    "llm_attempts": ("PAPERBOY_LLM_ATTEMPTS", _positive_int),
    "llm_daily_tokens": ("PAPERBOY_LLM_DAILY_TOKENS", _positive_int),
    "summary_batch": ("PAPERBOY_SUMMARY_BATCH", _positive_int),
    "llm_rerank": ("PAPERBOY_LLM_RERANK", _bool),
    "llm_personal": ("PAPERBOY_LLM_PERSONAL", _bool),
    "llm_personal_wait": ("PAPERBOY_LLM_PERSONAL_WAIT", _positive_float),
    "expand_interests": ("PAPERBOY_EXPAND_INTERESTS", _bool),
    "telegram_bot_token": ("TELEGRAM_BOT_TOKEN", _bot_token),
    "telegram_api_url": ("TELEGRAM_API_URL", _url),
    "admin_ids": ("PAPERBOY_ADMIN_IDS", _ids),
    "questions_per_hour": ("PAPERBOY_QUESTIONS_PER_HOUR", _positive_int),
    "empty_digest": ("PAPERBOY_EMPTY_DIGEST", _empty_digest),
    "embeddings": ("PAPERBOY_EMBEDDINGS", _embeddings),
    "backup_dir": ("PAPERBOY_BACKUP_DIR", Path),
    "backup_keep": ("PAPERBOY_BACKUP_KEEP", _positive_int),
    "health_port": ("PAPERBOY_HEALTH_PORT", _port),
    "health_host": ("PAPERBOY_HEALTH_HOST", str),
    "webhook_url": ("PAPERBOY_WEBHOOK_URL", _https_url),
    "webhook_secret": ("PAPERBOY_WEBHOOK_SECRET", _webhook_secret),
    "webhook_listen": ("PAPERBOY_WEBHOOK_LISTEN", str),
    "webhook_port": ("PAPERBOY_WEBHOOK_PORT", _port),
    "embeddings_model": ("PAPERBOY_EMBEDDINGS_MODEL", str),
    "arxiv_rss_url": ("PAPERBOY_ARXIV_RSS_URL", _url),
    "arxiv_api_url": ("PAPERBOY_ARXIV_API_URL", _url),
    "arxiv_min_interval": ("PAPERBOY_ARXIV_MIN_INTERVAL", _non_negative_float),
    "contact": ("PAPERBOY_CONTACT", _header_text),
    "full_text": ("PAPERBOY_FULL_TEXT", _bool),
    "arxiv_html_url": ("PAPERBOY_ARXIV_HTML_URL", _url),
    "arxiv_pdf_url": ("PAPERBOY_ARXIV_PDF_URL", _url),
    "reads_per_hour": ("PAPERBOY_READS_PER_HOUR", _positive_int),
    "answer_deadline": ("PAPERBOY_ANSWER_DEADLINE", _positive_float),
}
_SECRETS = ("openai_api_key", "telegram_bot_token", "webhook_secret")
