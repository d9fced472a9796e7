"""Reader text quoted back (`echo`) keeps only what is visible: no right-to-left override
or other bidi control, no zero-width or tag characters, no control characters, so a
hostile /search cannot reorder or hide the rest of the bot's reply."""

from __future__ import annotations

import unicodedata

import pytest
import sqlite_utils

from bot.messages.html import echo, visible
from tests.telegram_harness import running_bot

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("txt.\u202eexe.pdf", "txt.exe.pdf"),  # the classic filename spoof
        (f"a{BIDI}b", "ab"),
        ("zero\u200bwidth\ufeff\u2060", "zerowidth"),
        ("tag\U000e0041\U000e007f", "tag"),  # invisible "ASCII smuggling" tag characters
        ("bell\x07 esc\x1b[31m del\x7f c1\x9b", "bell esc[31m del c1"),
        ("two\nlines\tand\u2028more", "two lines and more"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("👩\u200d💻 and می\u200cخواهم", "👩\u200d💻 and می\u200cخواهم"),  # joiners stay
        ("<b>bold</b> & co", "<b>bold</b> & co"),  # escaped by echo, not removed here
    ],
)
def test_visible_drops_control_and_format_characters(typed: str, shown: str) -> None:
    assert visible(typed) == shown


def test_echo_counts_the_limit_after_removing_the_invisible() -> None:
    assert echo("\u202e" * 500 + "abc", limit=5) == "abc"
    assert echo("<x>" + "\u200b" * 50, limit=3) == "&lt;x&gt;"
    clipped = echo("a" * 200, limit=10)
    assert clipped == "a" * 10 + "…"


async def test_search_echoes_no_bidi_control(db: sqlite_utils.Database) -> None:
    """Through the real bot on the fake Bot API: /search with a right-to-left override."""
    async with running_bot(db) as bot:
        (none,) = await bot.say(7, "/search \u202enoitcurtsni\u202c zzqx\u2066")
        (some,) = await bot.say(7, "/search \u202eexperts\u202c \u200bmixture")
        (empty,) = await bot.say(7, "/search \u202e\u200f")
    assert "“noitcurtsni zzqx”" in none.text
    assert "paper(s) for “experts mixture”" in some.text
    assert "Search all stored papers" in empty.text
    for reply in (none, some, empty):
        assert not [
            ch for ch in reply.text if unicodedata.category(ch) in ("Cf", "Cc") and ch != "\n"
        ], reply.text
