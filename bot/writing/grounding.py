"""Checks on what the LLM wrote for one reader, before anyone sees it.

A personal note is accepted whole or not at all: picks only among the candidates sent, at
most the reader's digest size, each "why" line about its own paper (it shares content words
with that paper's title or summary and names none of the other candidates), naming one of
the reader's interests, within length limits. Anything else raises GroundingError and the
reader gets the ranker's order with the mechanical reasons.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.llm import parse_json_reply
from bot.text import clean_text, content_stems
from storage.papers import Paper

WHY_CHARS = (20, 300)
OPENING_CHARS = (20, 400)
# Another candidate's distinctive title words that make a why-line "about" that paper.
OTHER_TITLE_WORDS = 3
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_NAME = re.compile(r"^\s*([^:]{3,40}):")  # "EdgeMoE: …" -> "EdgeMoE"


class GroundingError(ValueError):
    """Why a personal note was refused (logged; the reader gets the mechanical digest)."""


@dataclass(frozen=True)
class Candidate:
    """A paper as the personal call sees it: the shared summary and the ranker's reason."""

    paper: Paper
    summary: str
    reason: str


@dataclass(frozen=True)
class Pick:
    paper_id: str
    why: str
    interest: str


@dataclass(frozen=True)
class PersonalNote:
    opening: str
    picks: tuple[Pick, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "opening": self.opening,
            "picks": [{"id": p.paper_id, "why": p.why, "interest": p.interest} for p in self.picks],
        }


def validate_note(
    reply: str, candidates: Sequence[Candidate], interests: Sequence[str], limit: int
) -> PersonalNote:
    """The note in the model's `reply`, or GroundingError saying what was wrong."""
    try:
        data = parse_json_reply(reply)
    except ValueError as exc:
        raise GroundingError(str(exc)) from exc
    return note_from_data(data, candidates, interests, limit)


def note_from_data(
    data: object, candidates: Sequence[Candidate], interests: Sequence[str], limit: int
) -> PersonalNote:
    if not isinstance(data, dict) or not isinstance(data.get("picks"), list):
        raise GroundingError("no picks list in the reply")
    opening = _checked_text(data.get("opening"), OPENING_CHARS, "the opening")
    raw_picks = data["picks"]
    if not 1 <= len(raw_picks) <= limit:
        raise GroundingError(f"{len(raw_picks)} picks, expected 1 to {limit}")
    by_id = {c.paper.id: c for c in candidates}
    wanted = {_folded(i.partition(":")[2] or i): i for i in interests}  # "cs.CL" names "cat: cs.CL"
    wanted.update({_folded(i): i for i in interests})
    picks: list[Pick] = []
    for raw in raw_picks:
        pick = _checked_pick(raw, by_id, wanted)
        if any(p.paper_id == pick.paper_id for p in picks):
            raise GroundingError(f"paper {pick.paper_id} picked twice")
        picks.append(pick)
    return PersonalNote(opening, tuple(picks))


def _checked_pick(raw: object, by_id: Mapping[str, Candidate], wanted: Mapping[str, str]) -> Pick:
    if not isinstance(raw, dict):
        raise GroundingError("a pick is not an object")
    paper_id = raw.get("id")
    if not isinstance(paper_id, str) or paper_id not in by_id:
        raise GroundingError(f"pick {str(paper_id)[:40]!r} is not one of the candidates")
    why = _checked_text(raw.get("why"), WHY_CHARS, f"the why-line of {paper_id}")
    interest = wanted.get(_folded(str(raw.get("interest", ""))))
    if interest is None:
        raise GroundingError(f"the pick {paper_id} names no interest of this reader")
    others = [c for pid, c in by_id.items() if pid != paper_id]
    _check_about(why, by_id[paper_id], others, set(wanted.values()))
    return Pick(paper_id, why, interest)


def _check_about(
    why: str, own: Candidate, others: Sequence[Candidate], interests: set[str]
) -> None:
    """`why` must share words with its own paper and name none of the others (the words of
    the reader's interests are shared vocabulary, not a mention of another paper)."""
    own_stems = _stems(own.paper.title) | _stems(own.summary)
    shared = own_stems | _stems(" ".join(sorted(interests)))
    why_stems = set(content_stems(why))
    if not why_stems & own_stems:
        raise GroundingError(f"the why-line of {own.paper.id} shares no word with its paper")
    for other in others:
        if other.paper.id in why:
            raise GroundingError(f"the why-line of {own.paper.id} names {other.paper.id}")
        name = _name(other.paper.title)
        free = f"{own.paper.title} {' '.join(interests)}".lower()  # may name it as they do
        if name and name.lower() in why.lower() and name.lower() not in free:
            raise GroundingError(f"the why-line of {own.paper.id} names {name!r}")
        distinctive = _stems(other.paper.title) - shared
        if len(distinctive & why_stems) >= OTHER_TITLE_WORDS:
            raise GroundingError(f"the why-line of {own.paper.id} is about {other.paper.id}")


@lru_cache(maxsize=16384)  # the same titles are checked for every reader of the day
def _stems(text: str) -> frozenset[str]:
    return frozenset(content_stems(text))


def _name(title: str) -> str | None:
    """A paper's short name ("EdgeMoE" in "EdgeMoE: Fast On-Device …"), if it has one."""
    match = _NAME.match(title)
    return match.group(1).strip() if match and len(match.group(1).split()) <= 3 else None


def _checked_text(value: object, bounds: tuple[int, int], what: str) -> str:
    if not isinstance(value, str):
        raise GroundingError(f"{what} is missing")
    text = clean_text(value)
    low, high = bounds
    if not low <= len(text) <= high:
        raise GroundingError(f"{what} has {len(text)} characters (allowed {low}-{high})")
    if _URL.search(text):
        raise GroundingError(f"{what} contains a link")
    return text


def _folded(text: str) -> str:
    return " ".join(text.lower().strip(" \"'‘’“”").split())
