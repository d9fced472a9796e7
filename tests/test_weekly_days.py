"""The weekday after `/weekly on` (ambiguous abbreviations refused, with the valid names),
and when a weekly recap is due (late sweeps within a day still write it)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlite_utils

from bot.assistant import Conversation
from bot.assistant.frontend import Chat
from bot.weekly.days import WeekdayError, due_day, parse_weekday
from storage.weekly import weekly_day


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("sunday", 6),
        ("Sunday", 6),
        ("sundays", 6),
        ("sun", 6),
        ("su", 6),
        ("sa", 5),
        ("sat", 5),
        ("sat.", 5),
        ("th", 3),
        ("tu", 1),
        ("m", 0),
        ("friday", 4),
        ("sonntag", 6),
        ("dimanche", 6),
        ("domingo", 6),
        ("mercredi", 2),
        ("sábado", 5),
        ("zaterdag", 5),
        ("понедельник", 0),
    ],
)
def test_day_names_that_fit_one_day(typed: str, day: int) -> None:
    assert parse_weekday(typed) == day


@pytest.mark.parametrize(
    ("typed", "says"),
    [("s", "Saturday or Sunday"), ("t", "Tuesday or Thursday"), ("someday", "not a day")],
)
def test_ambiguous_or_unknown_names_are_refused_with_the_valid_ones(typed: str, says: str) -> None:
    with pytest.raises(WeekdayError) as refused:
        parse_weekday(typed)
    assert says in str(refused.value) and "monday, tuesday" in str(refused.value)


@pytest.mark.parametrize(
    ("now_utc", "due"),
    [
        ("2026-12-06T07:59:00+00:00", None),  # Sunday 08:59 in Berlin: not yet
        ("2026-12-06T08:00:00+00:00", date(2026, 12, 6)),  # 09:00: due
        ("2026-12-06T22:59:00+00:00", date(2026, 12, 6)),
        ("2026-12-07T07:59:00+00:00", date(2026, 12, 6)),  # Monday 08:59: within a day
        ("2026-12-07T08:01:00+00:00", None),  # a day and a minute late: that week is gone
        ("2026-12-05T12:00:00+00:00", None),  # Saturday
    ],
)
def test_a_weekly_recap_is_due_from_its_moment_for_a_day(now_utc: str, due: date | None) -> None:
    assert due_day("Europe/Berlin", "09:00", 6, datetime.fromisoformat(now_utc)) == due


def test_due_across_the_date_line() -> None:
    # Sunday 00:30 in Kiribati (UTC+14) is still Saturday in UTC.
    now = datetime.fromisoformat("2026-12-05T10:30:00+00:00")
    assert due_day("Pacific/Kiritimati", "00:15", 6, now) == date(2026, 12, 6)


async def test_weekly_on_s_is_refused_not_read_as_saturday(
    conv: Conversation, db: sqlite_utils.Database
) -> None:
    chat = Chat(31)
    (refused,) = await conv.command(chat, "weekly", "on s")
    assert "Saturday or Sunday" in refused.html and "wednesday" in refused.html
    assert weekly_day(db, chat.id) is None
    (on,) = await conv.command(chat, "weekly", "on sa")
    assert "Saturdays" in on.html and weekly_day(db, chat.id) == 5
    (on,) = await conv.command(chat, "weekly", "on Sonntag")
    assert "Sundays" in on.html and weekly_day(db, chat.id) == 6
