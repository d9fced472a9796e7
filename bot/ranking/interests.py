"""What a user can subscribe to, parsed and validated from what they type.

mixture of experts inference   -> topic
author: Tri Dao                -> author (also "by: …")
not: medical imaging           -> exclude (also "-medical imaging", "exclude: …")
cat: cs.CL                     -> category (also a bare arXiv category such as "cs.LG")
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

from bot.sources.arxiv_categories import canonical_category, closest_category
from bot.text import clean_text, content_stems

Kind = Literal["topic", "author", "exclude", "category"]

MAX_LENGTH = 120
MAX_INTERESTS = 30
_PREFIXES: dict[str, Kind] = {
    "author": "author",
    "by": "author",
    "not": "exclude",
    "exclude": "exclude",
    "without": "exclude",
    "cat": "category",
    "category": "category",
}
_PREFIX = re.compile(r"^\s*(?P<prefix>[a-zA-Z]+)\s*:\s*(?P<rest>.*)$", re.DOTALL)


class InterestError(ValueError):
    """Why a typed interest was refused, phrased for the user."""


@dataclass(frozen=True)
class Interest:
    kind: Kind
    text: str

    def label(self) -> str:
        """How the interest is shown back to the user (and how they would type it again)."""
        prefix = {"topic": "", "author": "author: ", "exclude": "not: ", "category": "cat: "}
        return prefix[self.kind] + self.text


def parse_interest(raw: str, max_length: int = MAX_LENGTH) -> Interest:
    """Parse one typed interest, or raise InterestError saying what to type instead.
    (`max_length` is raised by offline tools that rank benchmark queries.)"""
    text = clean_text(raw)
    kind: Kind = "topic"
    match = _PREFIX.match(text)
    if match and match["prefix"].lower() in _PREFIXES:
        kind, text = _PREFIXES[match["prefix"].lower()], match["rest"].strip()
    elif text.startswith("-") and len(text) > 1:
        kind, text = "exclude", text[1:].strip()
    elif " " not in text and canonical_category(text):
        kind = "category"
    text = text.strip(" \"'“”‘’`")
    _validate(kind, text, max_length)
    if kind == "category":
        text = _category(text)
    return Interest(kind, text)


def _validate(kind: Kind, text: str, max_length: int) -> None:
    if not text:
        raise InterestError("That interest is empty. Try something like: mixture of experts")
    if len(text) > max_length:
        raise InterestError(
            f"That interest is {len(text)} characters long; keep it under {max_length} "
            "(a few words work best, e.g. 'speculative decoding')."
        )
    if not any(ch.isalnum() for ch in text):
        raise InterestError("An interest needs at least one word, e.g. 'diffusion models'.")
    if kind in ("topic", "exclude") and not content_stems(text):
        raise InterestError(
            f"{text!r} has no searchable words (only words like 'the', 'of'). Be more specific."
        )


def _category(text: str) -> str:
    """arXiv's spelling of a category name typed in any case; a typo is refused with the
    closest real name."""
    canonical = canonical_category(text)
    if canonical:
        return canonical
    meant = closest_category(text)
    hint = f" Did you mean cat: {meant}?" if meant else ""
    raise InterestError(
        f"{text!r} is not an arXiv category.{hint} They look like cs.CL, stat.ML or "
        "q-bio.NC (list: arxiv.org/category_taxonomy)."
    )


def split_interests(raw: str) -> list[str]:
    """A message may carry several interests, one per line or separated by ';'. HTML
    entities pasted from a web page ("R&amp;D") are read as the characters they stand for,
    so their ';' does not split them."""
    parts = re.split(r"[\n;]+", html.unescape(raw))
    return [part for part in (p.strip() for p in parts) if part]
