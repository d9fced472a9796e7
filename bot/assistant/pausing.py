"""How long a pause lasts, from what the reader typed after /pause or around "pause":
"7 days", "for a week", "2w", "until monday", "till tomorrow", "until 2026-12-24",
"next week". The answer is the reader's local date their digests come back on."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.weekly.days import WeekdayError, parse_weekday

LONGEST = timedelta(days=365)
# How many days each word of a length stands for, and the counts typed in words.
_UNITS = (
    dict.fromkeys("d day days tag tage dia dias jour jours".split(), 1)
    | dict.fromkeys("w wk week weeks woche wochen semana semanas semaine semaines".split(), 7)
    | dict.fromkeys("month months monat monate mes meses mois".split(), 30)
)
_COUNTS = (
    dict.fromkeys("a an one eine einen una un une".split(), 1)
    | dict.fromkeys("two couple zwei dos deux".split(), 2)
    | dict.fromkeys("three few drei tres trois".split(), 3)
    | {"four": 4, "vier": 4}
)
_FOR = re.compile(
    rf"\b(?P<n>\d{{1,3}}|{'|'.join(sorted(_COUNTS, key=len, reverse=True))})\s+(?:of\s+)?"
    rf"(?P<unit>{'|'.join(sorted(_UNITS, key=len, reverse=True))})\b"
)
_UNTIL = re.compile(
    r"\b(?:until|till|til|bis|hasta|jusqu'?a|jusqu'?au)\s+(?:next\s+|nachsten\s+|el\s+|le\s+)?"
    r"(?P<when>\d{4}-\d{2}-\d{2}|[a-z]+)"
)
_TOMORROW = frozenset({"tomorrow", "morgen", "manana", "demain"})


def pause_until(text: str, today: date) -> date | None:
    """The date digests resume for a pause described by `text` on local day `today`; None
    when `text` names no length (a pause until /resume)."""
    said = text.strip().lower()
    if not said:
        return None
    if re.search(r"\bnext\s+week\b|\bnachste\s+woche\b", said):
        return today + timedelta(days=7 - today.weekday())  # Monday
    until = _UNTIL.search(said)
    if until:
        return _until(until["when"], today)
    for match in _FOR.finditer(said):
        unit = _UNITS.get(match["unit"])
        count = match["n"]
        n = int(count) if count.isdigit() else _COUNTS[count]
        if unit and n:
            days = timedelta(days=n * unit)
            return today + min(days, LONGEST) if days.days > 0 else None
    compact = re.fullmatch(r"(\d{1,3})\s*([dw])", said)
    if compact:
        return today + min(timedelta(days=int(compact[1]) * _UNITS[compact[2]]), LONGEST)
    return None


def _until(when: str, today: date) -> date | None:
    if when in _TOMORROW:
        return today + timedelta(days=1)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", when):
        try:
            day = date.fromisoformat(when)
        except ValueError:
            return None
        return day if today < day <= today + LONGEST else None
    try:
        weekday = parse_weekday(when)
    except WeekdayError:
        return None
    ahead = (weekday - today.weekday()) % 7 or 7  # "until monday" on a Monday: next week's
    return today + timedelta(days=ahead)
