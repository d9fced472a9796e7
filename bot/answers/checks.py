"""Checking a model's answer against what it cites, before anyone sees it (as personal
notes are checked): every sentence must cite a paper it was given, and share content words
with what it cites — the cited passage when it names one, else that paper's title,
abstract and passages. Sentences that fail are left out; when that leaves too little, the
answer falls back to retrieval only. A one-sentence "the papers do not say" needs no
citation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answers.cited import CITATION, passage_label
from bot.text import content_stems
from bot.writing.extractive import split_sentences
from storage.papers import Paper
from storage.passages import Passage

MIN_SHARED = 2  # content words a sentence must share with what it cites (fewer if shorter)
_NEGATION = re.compile(r"\b(?:not|no|none|nothing|neither|never)\b|n't\b", re.IGNORECASE)


@dataclass(frozen=True)
class Checked:
    text: str  # the sentences that held up, in order ("" when the answer must fall back)
    dropped: int


def check_answer(
    text: str, sources: Sequence[Paper], passages: Sequence[Sequence[Passage]]
) -> Checked:
    sentences = split_sentences(text) or [text]
    if not CITATION.search(text):
        abstains = len(sentences) <= 2 and _NEGATION.search(text) is not None
        return Checked(text if abstains else "", 0 if abstains else len(sentences))
    kept = [s for s in sentences if _supported(s, sources, passages)]
    dropped = len(sentences) - len(kept)
    if not kept or dropped * 2 > len(sentences):
        return Checked("", dropped)
    return Checked(" ".join(kept), dropped)


def _supported(
    sentence: str, sources: Sequence[Paper], passages: Sequence[Sequence[Passage]]
) -> bool:
    cited = CITATION.findall(sentence)
    if not cited:
        return False
    claim = set(content_stems(CITATION.sub(" ", sentence)))
    need = min(MIN_SHARED, len(claim))
    support: set[str] = set()
    for number, label in cited:
        n = int(number)
        if not 1 <= n <= len(sources):
            continue
        given = passages[n - 1] if n <= len(passages) else ()
        named = [p for p in given if label and passage_label(p) == label.strip()]
        if label and not named:
            return False  # a section or page it was not given
        texts = [p.text for p in named] or [
            sources[n - 1].title,
            sources[n - 1].abstract,
            *(p.text for p in given),
        ]
        support |= {s for t in texts for s in content_stems(t)}
    return len(claim & support) >= need


MAX_MISSING_WORDS = 8
_NOT_IN_PAPER = re.compile(r"^\s*NOT_IN_PAPER\s*:\s*(?P<what>[^\n]{1,200})", re.IGNORECASE)


def claimed_missing(text: str) -> str | None:
    """What a model's "NOT_IN_PAPER: <what>" reply says is missing (None for any other
    reply; "" for one that does not say what in a few words)."""
    match = _NOT_IN_PAPER.match(text)
    if match is None:
        return None
    what = CITATION.sub(" ", match.group("what")).strip(" .!\"'“”")
    return what if 0 < len(what.split()) <= MAX_MISSING_WORDS else ""


def refusal_holds(
    what: str, sources: Sequence[Paper], passages: Sequence[Sequence[Passage]]
) -> bool:
    """A model's "the paper does not mention X" is checked like a citation: it does not
    hold when one sentence or passage it was given has every content word of X."""
    wanted = set(content_stems(what))
    if not wanted:
        return False
    for n, paper in enumerate(sources):
        given = passages[n] if n < len(passages) else ()
        units = [paper.title, *split_sentences(paper.abstract), *(p.text for p in given)]
        if any(wanted <= set(content_stems(unit)) for unit in units):
            return False
    return True
