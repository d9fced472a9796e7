"""The reader's weekday: its name as typed after `/weekly on`, and when that day's recap is
due (the chosen weekday at the digest time, still written by a sweep that runs late)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.digests.schedule import local_now

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A sweep that starts after the due moment (a digest time of 23:59, a host asleep, the
# service down) still writes that week's recap within this grace; later, the week is gone.
GRACE = timedelta(hours=24)

# Full names in a few other languages (exact words only: their prefixes would clash).
_OTHER_NAMES = (
    "montag lundi lunes lunedì lunedi segunda segunda-feira maandag понедельник",
    "dienstag mardi martes martedì martedi terça terca terça-feira terca-feira dinsdag вторник",
    "mittwoch mercredi miércoles miercoles mercoledì mercoledi quarta quarta-feira woensdag "
    "среда среду",
    "donnerstag jeudi jueves giovedì giovedi quinta quinta-feira donderdag четверг",
    "freitag vendredi viernes venerdì venerdi sexta sexta-feira vrijdag пятница пятницу",
    "samstag sonnabend samedi sábado sabado sabato zaterdag суббота субботу",
    "sonntag dimanche domingo domenica zondag воскресенье",
)
_BY_NAME = {word: n for n, names in enumerate(_OTHER_NAMES) for word in names.split()}


class WeekdayError(ValueError):
    """Why a day name was refused, phrased for the reader."""


def parse_weekday(text: str) -> int:
    """0 (Monday) … 6 (Sunday) from a full name, an English abbreviation that fits only
    one day ('sa', 'sat', 'th'), or a full name in a few other languages."""
    word = text.strip().lower().rstrip(".")
    if word in _BY_NAME:
        return _BY_NAME[word]
    if word.endswith("s") and word[:-1] in WEEKDAYS:  # "sundays"
        word = word[:-1]
    fits = [n for n, name in enumerate(WEEKDAYS) if word and name.startswith(word)]
    if len(fits) == 1:
        return fits[0]
    names = ", ".join(WEEKDAYS)
    if len(fits) > 1:
        which = " or ".join(WEEKDAYS[n].title() for n in fits)
        raise WeekdayError(f"“{text}” could be {which}: send one of {names}.")
    raise WeekdayError(f"“{text}” is not a day I know: send one of {names}.")


def due_day(zone: str, digest_time: str, weekday: int, now_utc: datetime) -> date | None:
    """The local day of the reader's latest weekly due moment (`weekday` at `digest_time`)
    if it passed less than GRACE ago, else None. Local wall-clock time, as digests use:
    a DST change moves the moment by an hour, well within the grace."""
    local = local_now(zone, now_utc).replace(tzinfo=None)
    hour, minute = (int(x) for x in digest_time.split(":"))
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    moment = datetime.combine(day, time(hour, minute))
    if moment > local:
        day -= timedelta(days=7)
        moment -= timedelta(days=7)
    return day if local - moment <= GRACE else None
