"""Follow-up answers: retrieve the papers a question is about, answer from them, cite them.

Retrieval order: the papers of the digest message being replied to, then papers this chat
was sent, then the whole library. Only this chat's history and deliveries are ever read.
With full-text reading on, the top papers are read (once, for everyone) and their passages
that best match the question go to the model beside the abstracts, cited with the section
or page they come from: [1 §4.2 Datasets], [2 p. 7].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import sqlite_utils

from bot.answers.cited import Answer
from bot.answers.compare import is_comparison, side_by_side
from bot.answers.compose import compose
from bot.answers.context import full_text_context
from bot.answers.render import answer_html, answer_text
from bot.answers.retrieve import (
    collection_scope,
    digest_numbering,
    numbered_scope,
    papers_for_reply,
    retrieve,
    sent_paper_scope,
    within,
)
from bot.answers.scope import absent_topic, which_in, which_of, which_topic
from bot.fulltext import ReadOptions
from bot.llm import LLMClient
from bot.ranking.embedders import Embedder
from bot.ranking.semantic import VectorStore
from storage.messages import add_turn, recent_turns
from storage.users import ensure_user

__all__ = ["Answer", "answer", "answer_html", "answer_text", "papers_for_reply"]

HISTORY_TURNS = 6


async def answer(
    db: sqlite_utils.Database,
    llm: LLMClient,
    chat_id: int,
    question: str,
    *,
    reply_to_message_id: int | None = None,
    focus_ids: Sequence[str] = (),
    question_message_id: int | None = None,
    read: ReadOptions | None = None,
    embedder: Embedder | None = None,
    deadline_s: float | None = None,
) -> Answer:
    """Answer `question` for `chat_id`, store both turns, and return the cited answer.
    With `read`, the papers it is most about are read in full first (see module doc); with
    `deadline_s`, a model that has not answered by then gives way to retrieval only."""
    ensure_user(db, chat_id)
    focus = list(focus_ids)
    if reply_to_message_id is not None:
        focus = papers_for_reply(db, chat_id, reply_to_message_id) + focus
    history = recent_turns(db, chat_id, HISTORY_TURNS)
    today = datetime.now(UTC).date()
    recalled = sent_paper_scope(db, chat_id, question, today)
    if recalled is not None and not recalled[0].papers:
        text = f"I found no paper about {recalled[1]} among those I sent you."
        result = Answer(text, (), "nothing")
        return await _stored(
            db, chat_id, question, reply_to_message_id, question_message_id, result
        )
    own = recalled[0] if recalled is not None else collection_scope(db, chat_id, question, today)
    topic = which_topic(question) if recalled is None else None
    listing = digest_numbering(db, chat_id, reply_to_message_id) if topic and not own else []
    if topic is not None and (own is not None or listing):
        if own is not None:  # "which of my saved papers is about X?"
            text, cited = which_in(topic, own.papers, own.label)
            result = Answer(text, tuple(cited), "retrieval", scope=own.label)
        else:
            text, cited = which_of(topic, listing)
            result = Answer(text, tuple(cited), "retrieval", scope="the papers of that digest")
        return await _stored(
            db, chat_id, question, reply_to_message_id, question_message_id, result
        )
    scope = numbered_scope(db, chat_id, question, reply_to_message_id) or own
    sources = within(scope, question) if scope else retrieve(db, chat_id, question, focus)
    vectors = VectorStore(embedder, db) if embedder is not None else None
    context = await full_text_context(db, question, sources, read, chat_id, vectors)
    missing = absent_topic(question, sources, context) if scope else None
    if scope is not None and not scope.papers:
        result = Answer(f"There is nothing in {scope.label} yet.", (), "nothing")
    elif scope is not None and missing is None and is_comparison(question, sources):
        result = await side_by_side(llm, sources, context.passages, deadline_s=deadline_s)
        result = replace(result, passages=context.passages, read=context.read, note=context.note)
    elif scope is not None and missing is not None:
        one = scope.label.startswith("paper ") or scope.label.endswith("digest")
        says = "says" if one else "say"
        result = Answer(f"{_capital(scope.label)} {says} nothing about {missing}.", (), "nothing")
    else:
        result = await compose(db, llm, question, sources, history, context, deadline_s=deadline_s)
    result = replace(result, scope=scope.label if scope else "")
    return await _stored(db, chat_id, question, reply_to_message_id, question_message_id, result)


async def _stored(
    db: sqlite_utils.Database,
    chat_id: int,
    question: str,
    reply_to: int | None,
    message_id: int | None,
    result: Answer,
) -> Answer:
    """Both turns written to the chat's history; the answer carries its turn id."""
    add_turn(
        db, chat_id, "user", question, reply_to_message_id=reply_to, telegram_message_id=message_id
    )
    cited = [p.id for _, p in result.cited()]
    turn_id = add_turn(db, chat_id, "assistant", result.text, cited=cited)
    return replace(result, turn_id=turn_id)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
