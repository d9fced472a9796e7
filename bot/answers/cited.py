"""A cited answer: its text with [n] markers, the papers they point at, and where in each
paper (section or page) a citation lands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from storage.papers import Paper
from storage.passages import FullText, Passage

CITATION = re.compile(r"\[(\d{1,2})(?:\s+(§[^\]\n]{1,80}|p\.\s?\d{1,4}))?\]")

Mode = Literal["llm", "retrieval", "nothing"]


@dataclass(frozen=True)
class Answer:
    text: str  # plain text with [n] markers
    sources: tuple[Paper, ...]  # [n] refers to sources[n - 1]
    mode: Mode
    turn_id: int = 0  # the stored assistant turn, to attach the Telegram message id
    passages: tuple[tuple[Passage, ...], ...] = ()  # per source: full-text passages given
    read: tuple[FullText | None, ...] = ()  # per source: how its full text was read
    note: str = ""  # e.g. which paper could not be read in full
    scope: str = ""  # which papers it was allowed to answer from, when the question said
    missing: str = ""  # a refusal's "what the papers do not mention", in a few words

    def cited(self) -> list[tuple[int, Paper]]:
        numbers = sorted({int(n) for n, _ in CITATION.findall(self.text)})
        return [(n, self.sources[n - 1]) for n in numbers if 1 <= n <= len(self.sources)]

    def places(self, n: int) -> list[tuple[str, str | None]]:
        """Where in paper [n] the answer cites: (label, link to that place or None)."""
        labels = dict.fromkeys(
            label for m, label in CITATION.findall(self.text) if int(m) == n and label
        )
        out = []
        for label in labels:
            passage = next((p for p in self._passages(n) if passage_label(p) == label), None)
            out.append((label, self._link(n, passage)))
        return out

    def _passages(self, n: int) -> tuple[Passage, ...]:
        return self.passages[n - 1] if n <= len(self.passages) else ()

    def _link(self, n: int, passage: Passage | None) -> str | None:
        read = self.read[n - 1] if n <= len(self.read) else None
        if passage is None or read is None or not read.url:
            return None
        if passage.anchor:
            return f"{read.url}#{passage.anchor}"
        return f"{read.url}#page={passage.page}" if passage.page else read.url


def passage_label(passage: Passage) -> str:
    """How a passage is cited: '§4.2 Datasets' (HTML) or 'p. 7' (PDF)."""
    if passage.page is not None:
        return f"p. {passage.page}"
    return f"§{passage.section}" if passage.section else "§text"
