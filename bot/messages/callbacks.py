"""Inline-button callback data: `action|value`, at most 64 bytes, validated on the way back.

Anything that does not decode (stale buttons from an older version, forged data) is None,
and the bot answers it politely instead of failing.
"""

from __future__ import annotations

CALLBACK_LIMIT = 64
# srch: search for a phrase; unsv: unsave a paper; req: a request the reader confirmed
ACTIONS = frozenset(
    {"up", "down", "save", "ask", "rm", "forget", "onb", "addi", "srch", "unsv", "req"}
)


def encode(action: str, value: str) -> str:
    data = f"{action}|{value}"
    if action not in ACTIONS or not value or len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"cannot encode callback {data!r}")
    return data


def decode(data: str | None) -> tuple[str, str] | None:
    if not data or len(data.encode()) > CALLBACK_LIMIT:
        return None
    action, sep, value = data.partition("|")
    if not sep or action not in ACTIONS or not value:
        return None
    return action, value
