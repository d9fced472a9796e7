"""Blocks of a paper's text → passages of a few hundred words that keep their section (and
anchor or page): what answers quote and cite."""

from __future__ import annotations

from collections.abc import Sequence

from bot.fulltext.html_text import Block
from bot.writing.extractive import split_sentences
from storage.passages import Passage

TARGET_WORDS = 180  # blocks of one section are merged up to about this size
MAX_WORDS = 300  # a longer block is cut at sentence ends


def to_passages(paper_id: str, blocks: Sequence[Block]) -> list[Passage]:
    passages: list[Passage] = []
    current: list[str] = []
    where: tuple[str, str | None, int | None] | None = None
    for block in blocks:
        here = (block.section, block.anchor, block.page)
        for piece in _pieces(block.text):
            words = sum(len(text.split()) for text in current)
            if current and (here != where or words + len(piece.split()) > TARGET_WORDS):
                _add(passages, paper_id, where, current)
                current = []
            current.append(piece)
            where = here
    if current:
        _add(passages, paper_id, where, current)
    return passages


def _pieces(text: str) -> list[str]:
    """A block as is, or cut at sentence ends into pieces of at most MAX_WORDS words."""
    if len(text.split()) <= MAX_WORDS:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    for sentence in split_sentences(text) or [text]:
        if current and len(" ".join([*current, sentence]).split()) > MAX_WORDS:
            pieces.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        pieces.append(" ".join(current))
    return pieces


def _add(
    passages: list[Passage],
    paper_id: str,
    where: tuple[str, str | None, int | None] | None,
    texts: list[str],
) -> None:
    section, anchor, page = where or ("", None, None)
    passages.append(Passage(paper_id, len(passages), section, anchor, page, "\n".join(texts)))
