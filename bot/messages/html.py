"""Telegram's text rules: length in UTF-16 units, splitting long HTML, plain-text fallback."""

from __future__ import annotations

import html
import re
import unicodedata

TELEGRAM_LIMIT = 4096
_TAG = re.compile(r"<[^<>]+>")


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
    """User input quoted back in a reply: what of it is visible, its first `limit`
    characters, escaped, so that a long or hostile input can neither break the HTML, nor
    blow up the message, nor reorder or hide the rest of the reply."""
    shown = visible(user_text)
    clipped = shown if len(shown) <= limit else shown[:limit].rstrip() + "…"
    return html.escape(clipped)


# Kept although invisible: emoji sequences (👩‍💻) and Persian or Indic spelling need them.
_JOINERS = frozenset("\u200c\u200d")


def visible(text: str) -> str:
    """`text` without control and format characters: bidi overrides and isolates
    (U+202A-202E, U+2066-2069), marks (U+200E, U+200F, U+061C), zero-width spaces, tag
    characters, C0/C1 controls, lone surrogates; line breaks and tabs become spaces."""
    return "".join(_visible_char(ch) for ch in text)


def _visible_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category in ("Zl", "Zp") or ch in "\t\n\r\v\f\x85":
        return " "
    if category in ("Cc", "Cf", "Cs") and ch not in _JOINERS:
        return ""
    return ch


def to_plain(text: str) -> str:
    """What a user would read: tags removed, entities decoded (for terminals and for the
    plain-text resend when Telegram refuses our HTML). Short link labels ("arXiv", "PDF")
    keep their address; linked titles are shown as text."""
    with_links = _LINK.sub(_plain_link, text)
    return html.unescape(_TAG.sub("", with_links))


_LINK = re.compile(r'<a href="([^"]*)">((?:(?!<a ).)*?)</a>')


def _plain_link(match: re.Match[str]) -> str:
    url, label = match.group(1), match.group(2)
    return f"{label} ({url})" if len(label) <= 20 else label
