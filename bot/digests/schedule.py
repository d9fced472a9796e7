"""Digest time and time zone as users type them: '8', '8:30', '8am', '20:30';
'Europe/Berlin', 'berlin', 'Europe/Berln' (suggests the closest real zone)."""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?$", re.IGNORECASE)


class PreferenceError(ValueError):
    """Why a time or time zone was refused, phrased for the user."""


def parse_time(text: str) -> str:
    """'8', '8:30', '8.30', '8am', '8:30 pm', '20:30' -> 'HH:MM'."""
    match = _TIME.match(text.strip())
    if not match:
        raise PreferenceError(f"“{text}” is not a time. Use 24-hour HH:MM, e.g. /time 07:30")
    hour, minute = int(match[1]), int(match[2] or 0)
    suffix = (match[3] or "").lower()
    if suffix:
        if not 1 <= hour <= 12:
            raise PreferenceError("With am/pm the hour runs 1-12, e.g. /time 7:30am")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise PreferenceError(f"“{text}” is not a time of day. Use HH:MM, e.g. /time 07:30")
    return f"{hour:02d}:{minute:02d}"


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    zones = {z for z in available_timezones() if "/" in z or z == "UTC"}
    return {z.lower(): z for z in zones}


def parse_timezone(text: str) -> str:
    """A canonical IANA zone name, or PreferenceError with the closest suggestions."""
    wanted = text.strip().replace(" ", "_")
    zones = _zones()
    if wanted.lower() in zones:
        return zones[wanted.lower()]
    cities = {z.rsplit("/", 1)[-1].lower(): z for z in zones.values()}
    if wanted.lower() in cities:
        return cities[wanted.lower()]
    close = difflib.get_close_matches(wanted.lower(), [*zones, *cities], n=3, cutoff=0.6)
    names = list(dict.fromkeys(zones.get(c) or cities[c] for c in close))
    hint = f" Did you mean {' or '.join(names)}?" if names else ""
    raise PreferenceError(
        f"“{text}” is not a time zone I know.{hint} Use Area/City, e.g. /timezone Europe/Berlin"
    )


def local_now(zone: str, now_utc: datetime) -> datetime:
    try:
        return now_utc.astimezone(ZoneInfo(zone))
    except ZoneInfoNotFoundError:
        return now_utc


def local_day(zone: str, now_utc: datetime) -> str:
    return local_now(zone, now_utc).date().isoformat()


def is_due(zone: str, digest_time: str, now_utc: datetime) -> tuple[bool, date]:
    """Whether the user's local time has passed their digest time today, and their local day."""
    local = local_now(zone, now_utc)
    hour, minute = (int(x) for x in digest_time.split(":"))
    return (local.hour, local.minute) >= (hour, minute), local.date()
