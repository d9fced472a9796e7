"""Keep secrets out of logs: a filter that masks them in every record, whoever logged it.

httpx logs request URLs at INFO and Bot API URLs contain the token; we also turn those
loggers down, but a filter on the handlers catches any other path (tracebacks included).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "***"


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self.secrets:
            message = message.replace(secret, MASK)
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, MASK)
        record.msg, record.args = message, None
        return True


_installed: list[str] = []


def mask(text: str) -> str:
    """`text` with every installed secret masked (for messages printed outside logging)."""
    for secret in _installed:
        text = text.replace(secret, MASK)
    return text


def install(secrets: Iterable[str | None]) -> None:
    """Attach the filter to every root handler (filters on loggers miss propagated records)."""
    redact = RedactSecrets(secrets)
    _installed[:] = redact.secrets
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
