"""What every retry loop here shares: wait what the server asked for (Retry-After,
Telegram's retry_after), capped; otherwise capped exponential backoff. tenacity does the
looping; each remote client says which errors are transient and how to read the wait."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import RetryCallState, wait_exponential

MAX_RETRY_AFTER_S = 120.0
MAX_BACKOFF_S = 30.0


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class WaitAsAsked:
    """A tenacity wait: `asked(exc)` seconds when the error carries one, else backoff."""

    def __init__(
        self, asked: Callable[[BaseException], float | None], *, backoff_s: float = 1.0
    ) -> None:
        self._asked = asked
        self._exponential = wait_exponential(multiplier=backoff_s, max=MAX_BACKOFF_S)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        seconds = self._asked(exc) if exc is not None else None
        if seconds is not None:
            return min(seconds, MAX_RETRY_AFTER_S)
        return float(self._exponential(state))
