"""The answer itself: the LLM's, cited and checked, or without one the closest passages
quoted (retrieval only)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

import sqlite_utils

from bot.answers.checks import check_answer
from bot.answers.cited import Answer, passage_label
from bot.answers.context import FullTextContext
from bot.answers.prompt import PROMPT_VERSION, clean_citations, prompt_messages
from bot.llm import LLMClient, LLMUnavailable
from bot.text import clip, content_stems
from bot.writing.extractive import split_sentences
from storage.messages import Turn
from storage.papers import Paper
from storage.passages import Passage

log = logging.getLogger(__name__)

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
        except LLMUnavailable:
            reply = None
        checked = _checked(reply.text if reply else "", sources, context)
        if checked is not None:
            return checked
        if reply is not None:
            refused = retrieval_only(question, sources, context.passages, header=REFUSED)
            return _with(context, refused)
    return _with(context, retrieval_only(question, sources, context.passages))


def _checked(text: str, sources: list[Paper], context: FullTextContext) -> Answer | None:
    """The model's answer with the sentences its citations do not back left out (and a
    note saying how many); None when too little holds up and retrieval only should answer."""
    if not text.strip():
        return None
    checked = check_answer(clean_citations(text.strip(), len(sources)), sources, context.passages)
    if not checked.text:
        log.info("model answer not backed by its citations (%d sentences)", checked.dropped)
        return None
    result = _with(context, Answer(checked.text, tuple(sources), "llm"))
    if not checked.dropped:
        return result
    left_out = f"({checked.dropped} sentence(s) left out: not backed by what they cite.)"
    return replace(result, note=" ".join(filter(None, [result.note, left_out])))


def _with(context: FullTextContext, result: Answer) -> Answer:
    return replace(result, passages=context.passages, read=context.read, note=context.note)


NO_MODEL = (
    "(Retrieval only: no language model is available, so here are the closest passages "
    "from the papers.)"
)
REFUSED = (
    "(The model's answer was not backed by the passages it cited, so here are the closest "
    "passages from the papers instead.)"
)


def retrieval_only(
    question: str,
    sources: list[Paper],
    passages: Sequence[Sequence[Passage]] = (),
    *,
    header: str = NO_MODEL,
) -> Answer:
    """Without a model (or without a model answer that held up): for each source, its
    full-text passage or abstract sentence closest to the question, quoted and cited (with
    the section or page for a passage)."""
    wanted = set(content_stems(question))
    lines = [header]
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
