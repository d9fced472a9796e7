"""The answer itself: the LLM's, cited and checked (its "NOT_IN_PAPER: …" checked like a
citation), or without one the papers' own sentences that answer best (retrieval only)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace

import sqlite_utils

from bot.answers.asking import Asked, read_question
from bot.answers.checks import check_answer, claimed_missing, refusal_holds
from bot.answers.cited import Answer
from bot.answers.context import FullTextContext
from bot.answers.extract import Quote, quote_lines
from bot.answers.prompt import PROMPT_VERSION, clean_citations, prompt_messages
from bot.llm import LLMClient, LLMUnavailable
from storage.papers import Paper
from storage.passages import Passage
from storage.turns import Turn

log = logging.getLogger(__name__)

QUOTED_SOURCES = 3  # papers quoted in a retrieval-only answer found by search


async def compose(
    db: sqlite_utils.Database,
    llm: LLMClient,
    question: str,
    sources: list[Paper],
    history: Sequence[Turn],
    context: FullTextContext | None = None,
    *,
    asked: Asked | None = None,
    closest: Mapping[str, Quote] | None = None,
    deadline_s: float | None = None,
    named: bool = False,
) -> Answer:
    """`closest`: per paper id, the text closest in meaning to a topic no word names, to
    quote without a model; `named`: the reader named these papers ("all of them"), so each
    is quoted, not only the first QUOTED_SOURCES."""
    context = context or FullTextContext()
    asked = asked or read_question(question)
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
        said = reply.text if reply else ""
        missing = claimed_missing(said)
        if missing and refusal_holds(missing, sources, context.passages):
            return _with(context, Answer("", tuple(sources), "nothing", missing=missing))
        checked = _checked(said, sources, context) if missing is None else None
        if checked is not None:
            return checked
        if reply is not None:
            header = _contradicted(missing) if missing else REFUSED
            refused = retrieval_only(asked, sources, context.passages, header, closest, named)
            return _with(context, refused)
    answer = retrieval_only(asked, sources, context.passages, NO_MODEL, closest, named)
    return _with(context, answer)


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


def _contradicted(missing: str) -> str:
    return (
        f"(The model said the papers do not mention {missing}, but what it was given does, "
        "so here are the closest passages from the papers.)"
    )


def retrieval_only(
    asked: Asked,
    sources: list[Paper],
    passages: Sequence[Sequence[Passage]] = (),
    header: str = NO_MODEL,
    closest: Mapping[str, Quote] | None = None,
    named: bool = False,
) -> Answer:
    """Without a model (or without a model answer that held up): for each source, the
    sentences of its abstract and passages read that answer best, quoted and cited (with
    the section or page for a passage); see bot/answers/extract.py."""
    shown = sources if named else sources[:QUOTED_SOURCES]
    most = 3 if len(shown) == 1 else 2 if len(shown) <= QUOTED_SOURCES else 1
    lines = [header]
    for n, paper in enumerate(shown, 1):
        given = passages[n - 1] if n <= len(passages) else ()
        lines += quote_lines(asked, n, paper, given, most, (closest or {}).get(paper.id))
    return Answer("\n".join(lines), tuple(shown), "retrieval")
