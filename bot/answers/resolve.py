"""Which of the reader's papers a question points at (bot/answers/refer.py reads the
words): digest numbers in the digest replied to, else the reader's latest one; "it", "this
paper", "they" in the papers of the answer replied to, else of the last answer. "Compare it
to paper 1" is both. A number the reader has no paper for gets a plain reply instead."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from bot.answers.refer import LAST, pointing
from bot.answers.retrieve import Scope
from bot.text import one_edit_apart
from storage.deliveries import digest_of_message, latest_digest_papers, papers_in_message
from storage.papers import Paper, all_papers
from storage.turns import Turn, papers_cited_by_message

COMPARING = (
    "compar",
    "contrast",
    "differ",
    "versus",
    " vs",
    "vergleich",
    "unterschied",
    "diferencia",
    "différence",
    "difference",
)


@dataclass(frozen=True)
class Resolved:
    scope: Scope | None = None  # the papers pointed at, when the question points
    problem: str = ""  # the reply when it points at a paper the reader does not have
    recent: tuple[str, ...] = ()  # the last answer's papers, for a follow-up naming none
    by_name: bool = False  # pointed at by number or name, not only by "it" or "they"


def resolve(
    db: sqlite_utils.Database,
    chat_id: int,
    question: str,
    reply_to: int | None,
    history: Sequence[Turn],
) -> Resolved:
    point = pointing(question)
    replied = digest_of_message(db, chat_id, reply_to) if reply_to is not None else []
    digest = replied or latest_digest_papers(db, chat_id)
    latest = "the group's latest digest" if chat_id < 0 else "your latest digest"
    where = "that digest" if replied else latest
    previous = _previous(db, chat_id, reply_to, history)
    named = [len(digest) if n == LAST else n for n in point.positions]
    if not named and all(1 <= n <= len(digest) for n in point.maybe):
        named = list(point.maybe)
    if not named and digest:
        named = _named_by_title(question, digest, all_papers(db, digest))
    if not named and point.every:
        if not digest:
            return Resolved(problem="You have no digest yet: send /digest to get today's.")
        named = list(range(1, len(digest) + 1))
    if named and not digest:
        return Resolved(
            problem=f"You have no digest yet, so there is no paper {named[0]}: send /digest "
            "to get today's."
        )
    valid = [n for n in named if 1 <= n <= len(digest)]
    if named and not valid:
        count = f"{len(digest)} paper{'s' if len(digest) != 1 else ''}"
        return Resolved(problem=f"{_capital(where)} has {count}, so there is no paper {named[0]}.")
    ids = [digest[n - 1] for n in valid]
    back = previous if point.back or _replied_to_one(db, chat_id, reply_to) else []
    if ids and back and _comparing(question):
        ids = list(dict.fromkeys([back[0], *ids]))
    elif not ids and back:
        ids = back if point.plural else back[:1]
    if not ids:
        return Resolved(recent=tuple(previous))
    papers = {p.id: p for p in all_papers(db, ids)}
    found = [papers[i] for i in ids if i in papers]
    numbers = tuple(digest.index(p.id) + 1 if p.id in digest else None for p in found)
    scope = Scope(found, _label(found, digest, where), numbers)
    return Resolved(scope, recent=tuple(previous), by_name=bool(valid))


def _previous(
    db: sqlite_utils.Database, chat_id: int, reply_to: int | None, history: Sequence[Turn]
) -> list[str]:
    """The papers of the answer (or the one-paper digest message) replied to, else of the
    last answer that had any. A reply to a digest message of several papers says "it" of
    one of those, not of the last answer: none is guessed."""
    if reply_to is not None:
        cited = papers_cited_by_message(db, chat_id, reply_to)
        if cited:
            return cited
        shown = papers_in_message(db, chat_id, reply_to)
        if shown:
            return shown if len(shown) == 1 else []
    for turn in reversed(history):
        if turn.role == "assistant" and turn.cited:
            return list(turn.cited)
    return []


def _named_by_title(question: str, digest: Sequence[str], papers: Sequence[Paper]) -> list[int]:
    """Digest papers the question calls by their own name: "how does Splitwise work?"
    ("Splitwise: Efficient generative …"; names of at most three words, before a colon)."""
    found = []
    for paper in papers:
        head = paper.title.split(":", 1)[0].strip() if ":" in paper.title else ""
        if not 3 <= len(head) <= 40 or len(head.split()) > 3:
            continue
        if _says_word(question.lower(), head.lower()) or _misspelt(question.lower(), head.lower()):
            found.append(digest.index(paper.id) + 1)
    return sorted(found)


def _says_word(text: str, word: str) -> bool:
    """`word` in `text`, not inside a longer word."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or after.isalnum()):
            return True
        start = text.find(word, start + 1)
    return False


def _replied_to_one(db: sqlite_utils.Database, chat_id: int, reply_to: int | None) -> bool:
    """A reply to an answer (or a ❓ prompt) about one paper is about that paper."""
    return reply_to is not None and len(papers_cited_by_message(db, chat_id, reply_to)) == 1


def _comparing(question: str) -> bool:
    lowered = f" {question.lower()}"
    return any(word in lowered for word in COMPARING)


def _label(papers: Sequence[Paper], digest: Sequence[str], where: str) -> str:
    """'paper 3 of your latest digest', 'papers 3 and 1 of that digest', or the title of a
    paper that is not in it."""
    numbers = [digest.index(p.id) + 1 for p in papers if p.id in digest]
    if len(numbers) == len(papers):
        shown = " and ".join(", ".join(map(str, numbers)).rsplit(", ", 1))
        return f"paper{'s' if len(numbers) > 1 else ''} {shown} of {where}"
    if len(papers) == 1:
        return f"“{papers[0].title}”"
    return "the papers of my last answer"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _misspelt(text: str, name: str) -> bool:
    """A one-word name of 6+ letters typed one letter off ("splitwsie": Splitwise)."""
    if " " in name or len(name) < 6:
        return False
    return any(one_edit_apart(word, name) for word in re.findall(r"[\w-]+", text))
