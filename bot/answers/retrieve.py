"""Which papers a question is about: the replied-to message's papers, the paper named by
number, then the best matches among papers this chat was sent and the whole library."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import sqlite_utils

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
from storage.messages import papers_cited_by_message
from storage.papers import Paper, all_papers, search_papers

MAX_SOURCES = 5
SENT_BONUS = 0.15  # papers the user was sent are likelier to be what they ask about
MIN_RELEVANCE = 0.15  # below this a paper is noise in the context, not a source
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_ORDINAL = re.compile(
    r"\b(?:paper|#|no\.?|number)\s*(\d{1,2})\b|#(\d{1,2})\b|\b(" + "|".join(_ORDINALS) + r")\b",
    re.IGNORECASE,
)


# "paper 2", "papers 1 and 3", "papers 1, 2 & 4", "#3", "the first and the third"
_NUMBERED = re.compile(r"\bpapers?\s*((?:#?\d{1,2}(?:\s*(?:,|&|\+|and|or|vs\.?)\s*)?)+)", re.I)


@dataclass(frozen=True)
class Scope:
    """The papers a question may be answered from, and how to say so in a few words."""

    papers: list[Paper]
    label: str


def named_positions(question: str) -> list[int]:
    """The digest positions a question names, in the order named ([] when none)."""
    found: list[int] = []
    for match in _NUMBERED.finditer(question):
        found += [int(n) for n in re.findall(r"\d{1,2}", match.group(1))]
    found += [int(n) for n in re.findall(r"#(\d{1,2})\b", question)]
    words = re.findall(r"\b(" + "|".join(_ORDINALS) + r")\b", question, re.IGNORECASE)
    found += [_ORDINALS[w.lower()] for w in words]
    return list(dict.fromkeys(found))


def digest_numbering(
    db: sqlite_utils.Database, chat_id: int, reply_to: int | None
) -> list[tuple[int, Paper]]:
    """The digest replied to (else the latest one) as (its number, paper) pairs."""
    digest = digest_of_message(db, chat_id, reply_to) if reply_to is not None else []
    digest = digest or latest_digest_papers(db, chat_id)
    papers = {p.id: p for p in all_papers(db, digest)}
    return [(n, papers[i]) for n, i in enumerate(digest, 1) if i in papers]


def numbered_scope(
    db: sqlite_utils.Database, chat_id: int, question: str, reply_to: int | None
) -> Scope | None:
    """Exactly the papers a question names by number ("compare papers 1 and 3"), in the
    digest replied to, else in the reader's latest digest; None when it names none."""
    positions = named_positions(question)
    if not positions:
        return None
    digest = digest_of_message(db, chat_id, reply_to) if reply_to is not None else []
    where = "that digest" if digest else "your latest digest"
    digest = digest or latest_digest_papers(db, chat_id)
    wanted = [digest[n - 1] for n in positions if 1 <= n <= len(digest)]
    if not wanted:
        return None
    papers = {p.id: p for p in all_papers(db, wanted)}
    shown = [n for n in positions if 1 <= n <= len(digest)]
    numbers = " and ".join(", ".join(map(str, shown)).rsplit(", ", 1))
    label = f"paper{'s' if len(shown) > 1 else ''} {numbers} of {where}"
    return Scope([papers[i] for i in wanted if i in papers], label)


_SAVED = re.compile(
    r"\b(?:my\s+)?(?:saved|starred)\s+papers\b|\bpapers\s+i\s+(?:saved|starred)\b", re.I
)
_LIBRARY = re.compile(r"\bmy\s+library\b|\bpapers\s+i\s+imported\b", re.I)
_WINDOW = re.compile(r"\b(today|yesterday|this\s+week|last\s+week)(?:'s)?\b", re.I)


def collection_scope(
    db: sqlite_utils.Database, chat_id: int, question: str, today: date
) -> Scope | None:
    """The reader's own sets named in a question: "my saved papers", "my library",
    "yesterday's digest", "this week", "last week" (digests sent to this reader)."""
    if _SAVED.search(question):
        return Scope(all_papers(db, saved_paper_ids(db, chat_id)), "your saved papers")
    if _LIBRARY.search(question):
        return Scope([p.as_paper() for p in list_library(db, chat_id)], "your library")
    window = _WINDOW.search(question)
    if window is None:
        return None
    name = " ".join(window.group(1).lower().split())
    first, last = _days_of(name, today)
    ids = sent_between(db, chat_id, first.isoformat(), last.isoformat())
    found = {p.id: p for p in all_papers(db, ids)}
    label = {"today": "today's digest", "yesterday": "yesterday's digest"}.get(
        name, f"the digests sent to you {name}"
    )
    return Scope([found[i] for i in ids if i in found], label)


def _days_of(window: str, today: date) -> tuple[date, date]:
    """The local days a time word covers: today, yesterday, this week, last week."""
    return {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "this week": (today - timedelta(days=today.weekday()), today),
        "last week": (
            today - timedelta(days=today.weekday() + 7),
            today - timedelta(days=today.weekday() + 1),
        ),
    }[window]


# "the paper about X you sent me (last week)", "that one on X that you sent"
_SENT_ME = re.compile(
    r"\b(?:the|that)\s+(?:paper|one|article)\s+(?:about|on)\s+(?P<topic>.+?)\s+"
    r"(?:that\s+)?you\s+sent(?:\s+me)?\b(?P<when>.*)$",
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
    window = _WINDOW.search(match.group("when"))
    days = ("0000", "9999")
    if window is not None:
        first, last = _days_of(" ".join(window.group(1).lower().split()), today)
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
    db: sqlite_utils.Database, chat_id: int, question: str, focus: Sequence[str]
) -> list[Paper]:
    """The papers to answer from: the replied-to digest's papers, then the best matches."""
    sent = sent_paper_ids(db, chat_id)
    ordinal = _ordinal(question)
    ordered_focus = list(dict.fromkeys(focus))
    pool = ordered_focus or sent
    if ordinal is not None and 1 <= ordinal <= len(pool):
        ordered_focus = [pool[ordinal - 1], *ordered_focus]
    library = [p.id for p in search_papers(db, question, limit=20, any_term=True)]
    candidate_ids = list(dict.fromkeys([*ordered_focus, *sent, *library]))
    papers = {p.id: p for p in all_papers(db, candidate_ids)}
    chosen = [papers[pid] for pid in dict.fromkeys(ordered_focus) if pid in papers]
    chosen_ids = {p.id for p in chosen}
    others = [papers[pid] for pid in candidate_ids if pid in papers and pid not in chosen_ids]
    if others and content_stems(question):
        index = LexicalIndex(others)
        relevance = index.score(index.plan(question))
        sent_set = set(sent)
        scored = sorted(
            (
                (float(r) + (SENT_BONUS if p.id in sent_set and r > 0 else 0.0), p)
                for r, p in zip(relevance, others, strict=True)
            ),
            key=lambda pair: -pair[0],
        )
        chosen += [p for score, p in scored if score >= MIN_RELEVANCE]
    return chosen[:MAX_SOURCES]


def _ordinal(question: str) -> int | None:
    match = _ORDINAL.search(question)
    if not match:
        return None
    digits = match.group(1) or match.group(2)
    return int(digits) if digits else _ORDINALS[match.group(3).lower()]
