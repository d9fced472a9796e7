"""What a user can subscribe to, parsed and validated from what they type.

mixture of experts inference   -> topic
author: Tri Dao                -> author (also "by: …")
not: medical imaging           -> exclude (also "-medical imaging", "exclude: …")
cat: cs.CL                     -> category (also a bare arXiv category such as "cs.LG")
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.sources.arxiv_categories import canonical_category, closest_category
from bot.text import STOP_WORDS, clean_text, content_stems, stem
from storage.papers import Paper

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


# Title words too generic to make an interest of on their own.
GENERIC = frozenset(
    "model models large language learning neural network networks approach method methods "
    "towards toward via using based new study analysis efficient efficiently improving "
    "improved framework system systems data task tasks paper survey benchmark".split()
)


def propose_interests(papers: Sequence[Paper], limit: int = 5) -> list[str]:
    """Up to `limit` topics (at least 3 when there is text enough) drawn from a reader's
    papers: phrases of two or three content words that most of them share (titles and
    abstracts), then, for a small library, its titles' own phrases; longest first among
    equals, none contained in another. No LLM: the reader picks among them with a tap."""
    counts: Counter[tuple[str, ...]] = Counter()
    in_titles: Counter[tuple[str, ...]] = Counter()
    surface: dict[tuple[str, ...], Counter[str]] = {}
    for paper in papers:
        title = _phrases(paper.title)
        for key, text in {**_phrases(paper.abstract[:600]), **title}.items():
            counts[key] += 1
            surface.setdefault(key, Counter())[text] += 1
        in_titles.update(title.keys())
    needed = 2 if len(papers) >= 2 else 1
    shared = sorted(
        (k for k, c in counts.items() if c >= needed), key=lambda k: (-counts[k], -len(k))
    )
    own = sorted(in_titles, key=lambda k: (-in_titles[k], -len(k)))
    chosen: list[tuple[str, ...]] = []
    for key in [*shared, *own]:
        if any(set(key) <= set(c) or set(c) <= set(key) for c in chosen):
            continue
        if key in own and key not in shared and len(chosen) >= 3:
            break
        chosen.append(key)
        if len(chosen) == limit:
            break
    return [surface[k].most_common(1)[0][0] for k in chosen]


def _phrases(text: str) -> dict[tuple[str, ...], str]:
    """Stemmed two- and three-word phrases of content words in `text`, with their surface."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9-]*", text)
    found: dict[tuple[str, ...], str] = {}
    for n in (3, 2):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            lowered = [w.lower() for w in gram]
            if any(w in STOP_WORDS for w in lowered) or all(w in GENERIC for w in lowered):
                continue
            found.setdefault(tuple(stem(w) for w in lowered), " ".join(gram))
    return found


# How people introduce what they work on, in a first message to a bot.
LEAD_IN = re.compile(
    r"^\s*(?:(?:and|also|oh|hi|hello)[,!]?\s+)*"
    r"(?:i(?:'m|\s+am)?\s+(?:also\s+)?(?:mostly\s+|mainly\s+)?"
    r"(?:work(?:ing)?\s+on|interested\s+in|into|care\s+about|research(?:ing)?|stud(?:y|ying)|"
    r"follow(?:ing)?|want\s+(?:papers\s+)?(?:on|about))"
    r"|my\s+(?:research|work|phd|thesis)\s+(?:is\s+)?(?:on|about|in)"
    r"|(?:papers|anything)\s+(?:on|about))\s+",
    re.IGNORECASE,
)
# Leading spaces only from the start of a run, so a long run is scanned once, not once
# per space (tests/test_regex_linear.py).
SPLIT = re.compile(
    r"(?:(?<!\s)\s+)?(?:,|;|\band\b|\bas well as\b|\bplus\b|\bmostly\b|\bespecially\b|"
    r"\bin particular\b|"
    r"\balso\b)\s*",
    re.IGNORECASE,
)


def topics_from_sentence(text: str) -> list[str]:
    """'I work on X and Y, mostly Z' -> [X, Y, Z]; [] when `text` does not read like
    someone saying what they work on. Each topic at most 8 words."""
    found = []
    for sentence in re.split(r"[.!\n]+", text):
        match = LEAD_IN.match(sentence)
        if match is None:
            continue
        for part in SPLIT.split(sentence[match.end() :]):
            words = part.strip(" .!:-").split()
            while words and words[0].lower() in ("for", "on", "in", "of", "with", "about"):
                words = words[1:]
            if words and len(words) <= 8:
                found.append(" ".join(words))
    return list(dict.fromkeys(found))
