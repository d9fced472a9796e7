"""A follow-up that leaves out what it asks ("and the second one?", "what about paper 3?",
"same for ExpertFlow", "und bei Paper 2?"): the reader's previous question, asked again of
what the follow-up names. Read before anything else, so every later step (scope, what is
asked, the refusal) sees the whole question; the reader's own words are what is stored."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answers.asking import read_question
from bot.answers.refer import pointing, without_references
from storage.turns import Turn

MAX_FOLLOW_UP = 80  # characters: longer messages say what they ask
MAX_REST_WORDS = 5  # "the second one", "paper 3", "the base model"

_FOLLOW_UP = re.compile(
    r"^\W*(?:and|what\s+about|how\s+about|same\s+(?:for|with)|und|y|et|e|"
    r"und\s+(?:bei|fur|mit)|y\s+(?:en|para)|et\s+(?:pour|dans))\s+(?P<rest>.+)$",
    re.IGNORECASE | re.DOTALL,
)


_ASKS = re.compile(
    r"(?:how|what|why|which|who|when|where|does|do|did|is|are|can|could|wie|was|warum|"
    r"welche\w*|que|como|cual\w*|por|quel\w*|comment|pourquoi|est-ce)\b",
    re.IGNORECASE,
)


def with_the_question_left_out(question: str, history: Sequence[Turn]) -> str:
    """`question` as the reader means it: a bare follow-up is their previous question,
    about the papers (or the thing) it names instead."""
    match = _FOLLOW_UP.match(question.strip())
    if match is None or len(question) > MAX_FOLLOW_UP:
        return question
    rest = match.group("rest").strip(" ?!.¿¡")
    previous = next((t.text for t in reversed(history) if t.role == "user"), None)
    if not rest or previous is None or previous.strip() == question.strip():
        return question
    if len(rest.split()) > MAX_REST_WORDS or _ASKS.match(rest):
        return question  # "and how does it compare to paper 1?": a question of its own
    own = read_question(rest)
    if own.aspects or own.quantity or own.hardware:
        return question  # "and its main result?": asks something of its own
    point = pointing(rest)
    if point.positions or point.maybe or point.back:
        # "and the second one?": the same question of paper 2
        return f"{without_references(previous).strip()} ({rest})"
    if not own.topic:
        return question  # "and thanks": names nothing to ask about
    return f"{previous.strip()} ({rest})"
