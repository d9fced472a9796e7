"""Deterministic extractive summaries: the most informative sentences of an abstract.

Used when no LLM is configured, it is down, or the budget is spent. Sentences are scored by
how many of the abstract's characteristic words they carry, with a nudge for the sentences
that usually state the contribution ("we propose", "we show", "outperforms").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from bot.text import content_stems

MAX_CHARS = 420
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])")
_CONTRIBUTION = re.compile(
    r"\b(we (propose|present|introduce|show|find|demonstrate|develop)|this paper|our "
    r"(method|approach|results?)|outperform|achiev|improv|speed-?up|reduc)",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


@lru_cache(maxsize=8192)  # a day's papers are each shown to many readers' personal calls
def extractive_summary(title: str, abstract: str, max_chars: int = MAX_CHARS) -> str:
    """Two or three sentences of `abstract`, in their original order, within `max_chars`."""
    sentences = split_sentences(abstract)
    if not sentences:
        return title
    counts = Counter(content_stems(abstract))
    title_words = set(content_stems(title))
    scores = []
    for index, sentence in enumerate(sentences):
        stems = set(content_stems(sentence))
        if not stems:
            scores.append(0.0)
            continue
        weight = sum(math.log1p(counts[s]) + (1.0 if s in title_words else 0.0) for s in stems)
        score = weight / math.sqrt(len(stems))
        if _CONTRIBUTION.search(sentence):
            score *= 1.6
        if index == 0:
            score *= 1.3  # the opening usually states the problem
        if sentence.endswith("?"):
            score *= 0.4  # rhetorical questions summarise badly
        scores.append(score)
    ranked = sorted(range(len(sentences)), key=lambda i: -scores[i])
    chosen: list[int] = []
    length = 0
    for index in ranked:
        if len(chosen) == 3:
            break
        if length + len(sentences[index]) > max_chars and chosen:
            continue
        chosen.append(index)
        length += len(sentences[index]) + 1
    text = " ".join(sentences[i] for i in sorted(chosen))
    return text if len(text) <= max_chars else text[: max_chars - 1].rsplit(" ", 1)[0] + "…"
