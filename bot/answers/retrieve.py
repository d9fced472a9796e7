"""Which papers a question is about: the replied-to message's papers, the paper named by
number, then the best matches among papers this chat was sent and the whole library."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import sqlite_utils

from bot.answers.refer import pointing
from bot.answers.sets import LATELY_DAYS, LIBRARY, SAVED, SENT_LATELY, WINDOW, days_of, window_name
from bot.ranking.lexical import LexicalIndex
from bot.text import content_stems
from storage.deliveries import (
    digest_of_message,
    latest_digest_papers,
    papers_in_message,
    sent_between,
    sent_on_days,
    sent_paper_ids,
)
from storage.feedback import saved_paper_ids
from storage.library import list_library
from storage.papers import Paper, all_papers, search_papers
from storage.turns import papers_cited_by_message

MAX_SOURCES = 5
SENT_BONUS = 0.15  # papers the user was sent are likelier to be what they ask about
MIN_RELEVANCE = 0.15  # below this a paper is noise in the context, not a source
RECENT_BONUS = 0.3  # the last answer's papers, for a follow-up that names none


@dataclass(frozen=True)
class Scope:
    """The papers a question may be answered from, and how to say so in a few words."""

    papers: list[Paper]
    label: str
    numbers: tuple[int | None, ...] = ()  # each paper's number in the digest, if it has one
    command: str = ""  # the command that lists and manages this set, if one does


def digest_numbering(
    db: sqlite_utils.Database, chat_id: int, reply_to: int | None
) -> list[tuple[int, Paper]]:
    """The digest replied to (else the latest one) as (its number, paper) pairs."""
    digest = digest_of_message(db, chat_id, reply_to) if reply_to is not None else []
    digest = digest or latest_digest_papers(db, chat_id)
    papers = {p.id: p for p in all_papers(db, digest)}
    return [(n, papers[i]) for n, i in enumerate(digest, 1) if i in papers]


def collection_scope(
    db: sqlite_utils.Database, chat_id: int, question: str, today: date
) -> Scope | None:
    """The reader's own sets named in a question: "my saved papers", "my library",
    "yesterday's digest", "this week", "last week", "my digests" (the last LATELY_DAYS
    days) (digests sent to this reader)."""
    if SAVED.search(question):
        ids = saved_paper_ids(db, chat_id)  # newest first
        by_id = {p.id: p for p in all_papers(db, ids)}
        saved = [by_id[i] for i in ids if i in by_id]
        return Scope(saved, "your saved papers", command="/saved")
    if LIBRARY.search(question):
        imported = [p.as_paper() for p in list_library(db, chat_id)]
        return Scope(imported, "your library", command="/library")
    window = WINDOW.search(question)
    if window is None and SENT_LATELY.search(question):
        since = today - timedelta(days=LATELY_DAYS)
        ids = sent_between(db, chat_id, since.isoformat(), today.isoformat())
        found = {p.id: p for p in all_papers(db, ids)}
        label = f"the digests of the last {LATELY_DAYS} days"
        return Scope([found[i] for i in ids if i in found], label)
    if window is None:
        return None
    name = window_name(window)
    first, last = days_of(name, today)
    ids = sent_between(db, chat_id, first.isoformat(), last.isoformat())
    found = {p.id: p for p in all_papers(db, ids)}
    label = {"today": "today's digest", "yesterday": "yesterday's digest"}.get(
        name, f"the digests sent to you {name}"
    )
    return Scope([found[i] for i in ids if i in found], label)


# "the paper about X you sent me (last week)", "that one on X that you sent"
_SENT_ME = re.compile(
    # The topic is bounded and ends at a non-space, so each start costs a bounded scan.
    r"\b(?:the|that)\s+(?:paper|one|article)\s+(?:about|on)\s+"
    r"(?P<topic>\S(?:.{0,198}?\S)?)\s+"
    r"(?:that\s+)?you\s+sent(?:\s+me)?\b(?P<when>(?s:.*))$",
    re.IGNORECASE,
)


def sent_paper_scope(
    db: sqlite_utils.Database, chat_id: int, question: str, today: date
) -> tuple[Scope, str] | None:
    """ "That paper about X you sent me": the one paper sent to this reader (in the time
    named, if any) that is most about X, labelled with when it was sent; an empty scope
    when none is about X. Returns (scope, X), or None when the question is not of this
    kind."""
    match = _SENT_ME.search(question.strip().rstrip("?.!"))
    if match is None:
        return None
    topic = match.group("topic").strip()
    window = WINDOW.search(match.group("when"))
    days = ("0000", "9999")
    if window is not None:
        first, last = days_of(window_name(window), today)
        days = (first.isoformat(), last.isoformat())
    sent = sent_on_days(db, chat_id, *days)
    papers = {p.id: p for p in all_papers(db, [pid for pid, _, _ in sent])}
    candidates = [(papers[pid], day, n) for pid, day, n in sent if pid in papers]
    if not candidates or not content_stems(topic):
        return Scope([], "the papers I sent you"), topic
    index = LexicalIndex([paper for paper, _, _ in candidates])
    relevance = index.score(index.plan(topic))
    best = int(relevance.argmax())
    if float(relevance[best]) <= 0:
        return Scope([], "the papers I sent you"), topic
    paper, day, n = candidates[best]
    return Scope(
        [paper], f"“{paper.title}”, sent to you on {day} (paper {n} of that digest)"
    ), topic


def within(scope: Scope, question: str) -> list[Paper]:
    """The scope's papers the question is most about (all of a small scope)."""
    if len(scope.papers) <= MAX_SOURCES or not content_stems(question):
        return scope.papers[:MAX_SOURCES]
    index = LexicalIndex(scope.papers)
    relevance = index.score(index.plan(question))
    order = sorted(range(len(scope.papers)), key=lambda i: -float(relevance[i]))
    return [scope.papers[i] for i in order[:MAX_SOURCES]]


def papers_for_reply(db: sqlite_utils.Database, chat_id: int, message_id: int) -> list[str]:
    """What a message of ours that the user replied to was about: a digest's papers, or the
    papers an earlier answer cited."""
    return papers_in_message(db, chat_id, message_id) or papers_cited_by_message(
        db, chat_id, message_id
    )


def retrieve(
    db: sqlite_utils.Database,
    chat_id: int,
    question: str,
    focus: Sequence[str],
    recent: Sequence[str] = (),
) -> list[Paper]:
    """The papers to answer from: the replied-to digest's papers, then the best matches.
    `recent` (the last answer's papers) come first among matches, and are kept when
    nothing else matches: "what was the codeword?" after a question about paper 2."""
    sent = sent_paper_ids(db, chat_id)
    ordinal = _ordinal(question)
    ordered_focus = list(dict.fromkeys(focus))
    pool = ordered_focus or sent
    if ordinal is not None and 1 <= ordinal <= len(pool):
        ordered_focus = [pool[ordinal - 1], *ordered_focus]
    library = [p.id for p in search_papers(db, question, limit=20, any_term=True)]
    candidate_ids = list(dict.fromkeys([*ordered_focus, *recent, *sent, *library]))
    papers = {p.id: p for p in all_papers(db, candidate_ids)}
    chosen = [papers[pid] for pid in dict.fromkeys(ordered_focus) if pid in papers]
    chosen_ids = {p.id for p in chosen}
    others = [papers[pid] for pid in candidate_ids if pid in papers and pid not in chosen_ids]
    if others and content_stems(question):
        index = LexicalIndex(others)
        relevance = index.score(index.plan(question))
        sent_set, recent_set = set(sent), set(recent)
        scored = sorted(
            (
                (
                    float(r)
                    + (SENT_BONUS if p.id in sent_set and r > 0 else 0.0)
                    + (RECENT_BONUS if p.id in recent_set and r > 0 else 0.0),
                    p,
                )
                for r, p in zip(relevance, others, strict=True)
            ),
            key=lambda pair: -pair[0],
        )
        matches = [p for score, p in scored if score >= MIN_RELEVANCE]
        chosen += matches or [p for p in others if p.id in recent_set]
    return chosen[:MAX_SOURCES]


def _ordinal(question: str) -> int | None:
    """The one digest number a question names ("the second paper"), if any."""
    positions = [n for n in pointing(question).positions if n > 0]
    return positions[0] if positions else None
