"""The answer itself: the LLM's, cited and checked, or without one the closest passages
quoted (retrieval only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import sqlite_utils

from bot.answers.cited import Answer, passage_label
from bot.answers.context import FullTextContext
from bot.answers.prompt import PROMPT_VERSION, clean_citations, prompt_messages
from bot.llm import LLMClient, LLMUnavailable
from bot.text import clip, content_stems
from bot.writing.extractive import split_sentences
from storage.messages import Turn
from storage.papers import Paper
from storage.passages import Passage

MAX_QUOTE = 500  # characters of one quoted passage in a retrieval-only answer


async def compose(
    db: sqlite_utils.Database,
    llm: LLMClient,
    question: str,
    sources: list[Paper],
    history: Sequence[Turn],
    context: FullTextContext | None = None,
    *,
    deadline_s: float | None = None,
) -> Answer:
    context = context or FullTextContext()
    if not sources:
        return Answer(
            "I couldn't find a stored paper about that. Try other words, or /search to look "
            "through the library.",
            (),
            "nothing",
        )
    if llm.enabled:
        try:
            reply = await llm.complete(
                "qa",
                prompt_messages(db, llm, question, sources, history, context.passages),
                prompt_version=PROMPT_VERSION,
                max_tokens=400,
                deadline_s=deadline_s,
            )
            text = clean_citations(reply.text.strip(), len(sources))
            if text:
                return _with(context, Answer(text, tuple(sources), "llm"))
        except LLMUnavailable:
            pass
    return _with(context, retrieval_only(question, sources, context.passages))


def _with(context: FullTextContext, result: Answer) -> Answer:
    return replace(result, passages=context.passages, read=context.read, note=context.note)


def retrieval_only(
    question: str, sources: list[Paper], passages: Sequence[Sequence[Passage]] = ()
) -> Answer:
    """Without a model: for each source, its full-text passage or abstract sentence closest
    to the question, quoted and cited (with the section or page for a passage)."""
    wanted = set(content_stems(question))
    lines = [
        "(Retrieval only: no language model is available, so here are the closest "
        "passages from the papers.)"
    ]
    for n, paper in enumerate(sources[:3], 1):
        found = passages[n - 1] if n <= len(passages) else ()
        if found:
            best = max(split_sentences(found[0].text) or [found[0].text], key=_overlap(wanted))
            quote, _ = clip(best, MAX_QUOTE)
            lines.append(f"[{n} {passage_label(found[0])}] {paper.title}: “{quote}”")
            continue
        sentences = split_sentences(paper.abstract) or [paper.title]
        quote, _ = clip(max(sentences, key=_overlap(wanted)), MAX_QUOTE)
        lines.append(f"[{n}] {paper.title}: “{quote}”")
    return Answer("\n".join(lines), tuple(sources[:3]), "retrieval")


def _overlap(wanted: set[str]) -> Callable[[str], int]:
    return lambda sentence: len(wanted & set(content_stems(sentence)))
