"""Telegram's text rules: length in UTF-16 units, splitting long HTML, plain-text fallback."""

from __future__ import annotations

import html
import re

TELEGRAM_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units; counting the HTML source is stricter still."""
    return len(text.encode("utf-16-le")) // 2


def split_html(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split on line boundaries into chunks within `limit`. Our HTML never spans lines with
    an open tag, so every chunk stays valid; a single over-long line is cut between
    entities and words."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _cut_line(line, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if telegram_length(candidate) > limit and current:
                chunks.append(current)
                candidate = piece
            current = candidate
    if current:
        chunks.append(current)
    return chunks or [""]


def _cut_line(line: str, limit: int) -> list[str]:
    if telegram_length(line) <= limit:
        return [line]
    plain = html.unescape(_TAG.sub("", line))  # long lines are prose: drop markup to cut safely
    pieces, rest = [], plain
    budget = limit // 2  # escaping can double the length of odd text
    while rest:
        cut = rest[:budget]
        if len(rest) > budget and " " in cut:
            cut = cut.rsplit(" ", 1)[0]
        pieces.append(html.escape(cut))
        rest = rest[len(cut) :].lstrip()
    return pieces


def echo(user_text: str, limit: int = 100) -> str:
    """User input quoted back in a reply: its first `limit` characters, escaped, so that a
    long or hostile input can neither break the HTML nor blow up the message."""
    clipped = user_text if len(user_text) <= limit else user_text[:limit].rstrip() + "…"
    return html.escape(clipped)


def to_plain(text: str) -> str:
    """What a user would read: tags removed, entities decoded (for terminals and for the
    plain-text resend when Telegram refuses our HTML). Short link labels ("arXiv", "PDF")
    keep their address; linked titles are shown as text."""
    with_links = _LINK.sub(_plain_link, text)
    return html.unescape(_TAG.sub("", with_links))


_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>')


def _plain_link(match: re.Match[str]) -> str:
    url, label = match.group(1), match.group(2)
    return f"{label} ({url})" if len(label) <= 20 else label
