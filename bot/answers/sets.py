"""How a question names one of the reader's own sets of papers: "my saved papers", "which
papers have I saved?", "my library", "today's digest", "this week", "my digests". Which
papers each holds is bot/answers/retrieve.py; here only the words, so that reading a
question (bot/answers/asking.py) can leave them out of its topic."""

from __future__ import annotations

import re
from datetime import date, timedelta

SAVED = re.compile(
    r"\b(?:my\s+)?(?:saved|starred)\s+papers\b|\bpapers\s+i\s+(?:saved|starred)\b|"
    # "which papers have I saved?", "what I've starred", "was habe ich gespeichert?",
    # "¿qué he guardado?", "qu'est-ce que j'ai sauvegardé ?"
    r"\b(?:what|which)(?:\s+[a-z]+){0,2}\s+(?:i|i'?ve|i\s+have|have\s+i|did\s+i)\s+"
    r"(?:saved|starred|bookmarked)\b|\bich\b.{0,40}\bgespeichert\b|"
    r"\b(?:he|has|hemos)\s+guardado\b|\bj'?ai\s+(?:sauvegard|enregistr)",
    re.I,
)
LIBRARY = re.compile(r"\bmy\s+library\b|\bpapers\s+i\s+imported\b", re.I)
# "in my digests", "have I gotten any …", "did you send me any …": what was sent lately
SENT_LATELY = re.compile(
    r"\b(?:my|your|the)\s+(?:recent\s+|last\s+|past\s+)?digests\b|"
    r"\b(?:have|did)\s+(?:i|you)\s+(?:gotten|got|get|received|receive|sen[dt]\s+me)\s+any",
    re.I,
)
LATELY_DAYS = 30
WINDOW = re.compile(
    r"\b(today|yesterday|this\s+week|last\s+week|hoy|heute|heutigen?|aujourd['’]hui|"
    r"esta\s+semana|diese\s+woche|cette\s+semaine)(?:'s)?\b",
    re.I,
)
_IN_ENGLISH = {
    **dict.fromkeys(("hoy", "heute", "heutige", "heutigen", "aujourd'hui"), "today"),
    **dict.fromkeys(("esta semana", "diese woche", "cette semaine"), "this week"),
}


def window_name(match: re.Match[str]) -> str:
    said = " ".join(match.group(1).lower().replace("’", "'").split())
    return _IN_ENGLISH.get(said, said)


def without_sets(text: str) -> str:
    """`text` with the words naming a set blanked out (same length: offsets still hold)."""
    for pattern in (SAVED, LIBRARY, SENT_LATELY, WINDOW):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def days_of(window: str, today: date) -> tuple[date, date]:
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
