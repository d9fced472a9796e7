"""Follow-up answers: retrieve the papers a question is about, answer from them, cite them.

Scope first: papers the question points at ("paper 2", "the second one", "it" = the last
answer's papers, "compare it to paper 1"; resolve.py) or one of the reader's sets ("my
saved papers"), else the papers of the digest message being replied to, then papers this
chat was sent, then the whole library. Only this chat's history and deliveries are ever
read. With full-text reading on, the top papers are read (once, for everyone) and their
passages that best match the question go to the model beside the abstracts, cited with the
section or page they come from: [1 §4.2 Datasets], [2 p. 7]. A question about papers it
names is checked against them first (support.py: words, meaning, the kind of answer
wanted); one they do not answer gets "Paper 3's abstract does not mention X; …" instead of
quotes (refusal.py), except a question about a paper's gist, which a model may answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import sqlite_utils

from bot.answers.asking import Asked, read_question
from bot.answers.cited import Answer
from bot.answers.compare import is_comparison, side_by_side
from bot.answers.compose import compose
from bot.answers.context import FullTextContext, full_text_context
from bot.answers.ellipsis import with_the_question_left_out
from bot.answers.facts import fact_answer, fact_asked, read_first_answer, reads_first
from bot.answers.refusal import abstract_note, refusal_text
from bot.answers.render import answer_html, answer_text
from bot.answers.resolve import Resolved, resolve
from bot.answers.retrieve import (
    MAX_SOURCES,
    Scope,
    collection_scope,
    digest_numbering,
    papers_for_reply,
    retrieve,
    sent_paper_scope,
    within,
)
from bot.answers.scope import listing, which_in, which_of, which_topic
from bot.answers.support import Verdict, judge
from bot.fulltext import ReadOptions
from bot.llm import LLMClient
from bot.ranking.embedders import Embedder
from bot.ranking.semantic import VectorStore
from storage.papers import Paper
from storage.turns import Turn, add_turn, recent_turns
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
    reply_to = reply_to_message_id
    history = recent_turns(db, chat_id, HISTORY_TURNS)
    said, question = question, with_the_question_left_out(question, history)
    early, own, pointed = _scope_of(db, chat_id, question, reply_to, history)
    if early is not None:
        return await _stored(db, chat_id, said, reply_to, question_message_id, early)
    # Papers named by number beat a set of the reader's, which beats "it".
    scope = pointed.scope if pointed.by_name or own is None else own
    asked = read_question(question)
    recorded = _from_the_record(question, asked, scope, own) or _read_first(
        db, chat_id, question, reply_to, pointed
    )
    if recorded is not None:
        return await _stored(db, chat_id, said, reply_to, question_message_id, recorded)
    search = asked.search()
    if scope is not None:
        sources = within(scope, search)
    else:
        focus = papers_for_reply(db, chat_id, reply_to) if reply_to is not None else []
        sources = retrieve(db, chat_id, question, [*focus, *focus_ids], pointed.recent)
    vectors = VectorStore(embedder, db) if embedder is not None else None
    context = await full_text_context(db, search, sources, read, chat_id, vectors)
    ask = _Asking(db, llm, question, asked, history, context, vectors, read, deadline_s)
    if scope is not None and not scope.papers:
        result = Answer(f"There is nothing in {scope.label} yet.", (), "nothing")
    elif scope is not None:
        result = await ask.scoped(scope, sources)
    else:
        result = await compose(
            db, llm, question, sources, history, context, asked=asked, deadline_s=deadline_s
        )
        result = ask.refusal(result, sources, [None] * len(sources))
    return await _stored(db, chat_id, said, reply_to, question_message_id, result)


def _from_the_record(
    question: str, asked: Asked, scope: Scope | None, own: Scope | None
) -> Answer | None:
    """What is answered from what is stored, not from the papers' text: which papers one of
    the reader's sets holds ("what have I saved?"), and a paper's authors, link, date or
    BibTeX ("who wrote paper 1?")."""
    if scope is own and own is not None and own.papers and own.command and _names_only(asked):
        text, shown = listing(own.papers, own.command)
        return Answer(text, tuple(shown), "retrieval", scope=own.label)
    kind = fact_asked(question) if scope is not None and scope.papers else None
    if scope is None or kind is None:
        return None
    papers = scope.papers[:MAX_SOURCES]
    text = fact_answer(kind, papers, _numbers(scope, papers))
    return Answer(text, tuple(papers), "retrieval", scope=scope.label)


def _read_first(
    db: sqlite_utils.Database,
    chat_id: int,
    question: str,
    reply_to: int | None,
    pointed: Resolved,
) -> Answer | None:
    """ "Which one should I read first?": the first of the digest replied to (else the
    latest), which ranked highest for this reader."""
    if pointed.by_name or not reads_first(question):
        return None
    numbering = digest_numbering(db, chat_id, reply_to)
    if not numbering:
        return None
    number, paper = numbering[0]
    return Answer(read_first_answer(number), (paper,), "retrieval", scope="your latest digest")


def _names_only(asked: Asked) -> bool:
    """Asks which papers a set holds, nothing about them: no topic, aspect or number."""
    # A foreign word the glossary does not know ("gespeichert") says nothing either way.
    topic = any(w.known for w in asked.topic)
    return not topic and not asked.aspects and not asked.quantity and not asked.hardware


def _scope_of(
    db: sqlite_utils.Database,
    chat_id: int,
    question: str,
    reply_to: int | None,
    history: Sequence[Turn],
) -> tuple[Answer | None, Scope | None, Resolved]:
    """(an answer already, when the scope settles it; the reader's set the question names;
    the papers it points at)."""
    today = datetime.now(UTC).date()
    recalled = sent_paper_scope(db, chat_id, question, today)
    if recalled is not None and not recalled[0].papers:
        text = f"I found no paper about {recalled[1]} among those I sent you."
        return Answer(text, (), "nothing"), None, Resolved()
    own = recalled[0] if recalled is not None else collection_scope(db, chat_id, question, today)
    topic = which_topic(question) if recalled is None else None
    listing = digest_numbering(db, chat_id, reply_to) if topic and not own else []
    if topic is not None and own is not None:  # "which of my saved papers is about X?"
        text, cited = which_in(topic, own.papers, own.label)
        return Answer(text, tuple(cited), "retrieval", scope=own.label), own, Resolved()
    if topic is not None and listing:
        text, cited = which_of(topic, listing)
        scope = "the papers of that digest"
        return Answer(text, tuple(cited), "retrieval", scope=scope), own, Resolved()
    if recalled is not None:
        return None, own, Resolved()
    pointed = resolve(db, chat_id, question, reply_to, history)
    if pointed.problem:
        return Answer(pointed.problem, (), "nothing"), own, pointed
    return None, own, pointed


class _Asking:
    """One question's answer once its papers are known: checked against them first when
    it names them, then composed (or refused, saying what is missing)."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        llm: LLMClient,
        question: str,
        asked: Asked,
        history: Sequence[Turn],
        context: FullTextContext,
        vectors: VectorStore | None,
        read: ReadOptions | None,
        deadline_s: float | None,
    ) -> None:
        self.db, self.llm, self.question, self.asked = db, llm, question, asked
        self.history, self.context, self.vectors = history, context, vectors
        self.reading, self.deadline_s = read is not None, deadline_s

    async def scoped(self, scope: Scope, sources: list[Paper]) -> Answer:
        """Papers the reader named: those that do not say what is asked are said so of
        (a gist question goes to the model whatever the words say)."""
        numbers = _numbers(scope, sources)
        verdicts = await judge(self.asked, sources, self.context, self.vectors)
        found = [i for i, v in enumerate(verdicts) if v.found]
        if is_comparison(self.question, sources) and (found or self.asked.gist):
            compared = await side_by_side(
                self.llm, sources, self.context.passages, deadline_s=self.deadline_s
            )
            result = replace(compared, scope=scope.label)
            return _with_context(result, self.context)
        if not found and not (self.llm.enabled and self.asked.gist):
            return self._refused(sources, numbers, verdicts, label=scope.label)
        # Without a model, of papers the reader named only those that say it are quoted
        # (the others are said so of); a model gets them all, as does a set of the reader's
        # ("my saved papers").
        named = all(n is not None for n in numbers)
        keep = found if found and named and not self.llm.enabled else []
        chosen = [sources[i] for i in keep] or sources
        context = _only(self.context, keep) if keep else self.context
        closest = {p.id: v.evidence for p, v in zip(sources, verdicts, strict=True) if v.evidence}
        result = await compose(
            self.db,
            self.llm,
            self.question,
            chosen,
            self.history,
            context,
            asked=self.asked,
            closest=closest,
            deadline_s=self.deadline_s,
            named=named,
        )
        if result.mode == "nothing":
            return self.refusal(result, chosen, [numbers[sources.index(p)] for p in chosen])
        lacking = [i for i in range(len(sources)) if i not in keep] if keep else []
        notes = [result.note, abstract_note(chosen, context, reading=self.reading)]
        if lacking:
            notes.append(self._refused(sources, numbers, verdicts, lacking).text)
        return replace(result, scope=scope.label, note=" ".join(filter(None, notes)))

    def refusal(
        self, result: Answer, sources: Sequence[Paper], numbers: Sequence[int | None]
    ) -> Answer:
        """A model's "NOT_IN_PAPER" as the reader reads it."""
        if result.mode != "nothing" or not result.missing or result.text:
            return result
        if len(sources) > 1 and not any(numbers):
            return replace(result, text=f"None of the papers I found mentions {result.missing}.")
        missing = [result.missing] * len(sources)
        text = refusal_text(sources, numbers, missing, self.context, reading=self.reading)
        return replace(result, text=text, note="")

    def _refused(
        self,
        sources: Sequence[Paper],
        numbers: Sequence[int | None],
        verdicts: Sequence[Verdict],
        which: Sequence[int] | None = None,
        *,
        label: str = "",
    ) -> Answer:
        which = range(len(sources)) if which is None else which
        if label and len(which) > 1 and not any(numbers):  # "your saved papers"
            missing = verdicts[which[0]].missing
            text = f"None of {label} mentions {missing}."
            return Answer(text, tuple(sources), "nothing", missing=missing)
        texts = _only(self.context, list(which))
        text = refusal_text(
            [sources[i] for i in which],
            [numbers[i] for i in which],
            [verdicts[i].missing for i in which],
            texts,
            reading=self.reading,
        )
        missing = verdicts[which[0]].missing if which else ""
        return Answer(text, tuple(sources[i] for i in which), "nothing", missing=missing)


def _numbers(scope: Scope, sources: Sequence[Paper]) -> list[int | None]:
    by_id = {p.id: n for p, n in zip(scope.papers, scope.numbers, strict=False)}
    return [by_id.get(p.id) for p in sources]


def _only(context: FullTextContext, keep: Sequence[int]) -> FullTextContext:
    """The context of some of the sources, in that order."""

    def pick(values: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(values[i] for i in keep if i < len(values))

    whole = len(keep) == len(context.read) and list(keep) == sorted(keep)
    return FullTextContext(
        pick(context.passages),  # type: ignore[arg-type]
        pick(context.read),  # type: ignore[arg-type]
        context.note if whole else "",  # its [n] are numbers in the whole list
        pick(context.texts),  # type: ignore[arg-type]
    )


def _with_context(result: Answer, context: FullTextContext) -> Answer:
    return replace(result, passages=context.passages, read=context.read, note=context.note)


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
    # What the answer was about, for "it" in the next question: the papers it cites, else
    # (a refusal) the papers it says do not mention what was asked.
    cited = [p.id for _, p in result.cited()] or [p.id for p in result.sources]
    turn_id = add_turn(db, chat_id, "assistant", result.text, cited=cited)
    return replace(result, turn_id=turn_id)
