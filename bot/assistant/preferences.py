"""When and how a reader's digest comes: /time, /timezone, /pause, /resume, /weekly,
/settings; and /forget, which deletes them with everything else."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING

from bot.assistant.frontend import Chat
from bot.assistant.pausing import pause_until
from bot.digests.schedule import PreferenceError, local_now, parse_time, parse_timezone
from bot.messages.callbacks import encode
from bot.messages.html import echo
from bot.messages.replies import Button, Reply
from bot.weekly.days import WEEKDAYS, WeekdayError, parse_weekday
from storage.users import update_user
from storage.weekly import set_weekly, weekly_day

if TYPE_CHECKING:
    from bot.assistant.core import Conversation


# Languages typed as a code or in English; any other name is passed to the LLM as written.
LANGUAGES = {"en": "en", "english": "en"}


async def time_(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    user = conv.user(chat)
    if not args:
        return [Reply(f"{conv.schedule_line(user)} Change it with e.g. <code>/time 07:30</code>.")]
    try:
        value = parse_time(args)
    except PreferenceError as exc:
        return [Reply(echo(str(exc), 400))]
    update_user(conv.db, chat.id, digest_time=value)
    return [Reply("⏰ " + conv.schedule_line(conv.user(chat)))]


async def timezone(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    user = conv.user(chat)
    if not args:
        return [
            Reply(
                f"Your time zone is {escape(user.timezone)}. Change it with e.g. "
                "<code>/timezone Europe/Berlin</code> (a city name works too)."
            )
        ]
    try:
        zone = parse_timezone(args)
    except PreferenceError as exc:
        return [Reply(echo(str(exc), 400))]
    update_user(conv.db, chat.id, timezone=zone)
    return [Reply("🌍 " + conv.schedule_line(conv.user(chat)))]


async def pause(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    """/pause: until /resume; /pause 7 days, /pause until monday: back by themselves."""
    user = conv.user(chat)
    today = local_now(user.timezone, datetime.now(UTC)).date()
    until = pause_until(args, today)
    if args.strip() and until is None:
        return [
            Reply(
                f"I can't tell how long “{escape(args.strip()[:40])}” is. Try "
                "<code>/pause 7 days</code>, <code>/pause until monday</code>, or "
                "<code>/pause</code> alone to pause until you /resume."
            )
        ]
    update_user(conv.db, chat.id, paused=1, paused_until=until and until.isoformat())
    if until is None:
        return [Reply("⏸ Daily digests paused. /resume brings them back; questions still work.")]
    return [
        Reply(
            f"⏸ Daily digests paused until {until:%A %-d %B}: they come back by themselves "
            "that day. /resume brings them back sooner; questions still work."
        )
    ]


async def resume(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    update_user(conv.db, chat.id, paused=0, paused_until=None)
    return [Reply("▶️ " + conv.schedule_line(conv.user(chat)))]


async def weekly(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    """/weekly on [DAY] | off: the week's picture pushed on that day at the digest time."""
    user = conv.user(chat)
    words = args.lower().split()
    if not words:
        day = weekly_day(conv.db, chat.id)
        state = "off" if day is None else f"on, {WEEKDAYS[day].title()}s at {user.digest_time}"
        return [
            Reply(
                f"📊 Weekly picture: {state}. <code>/weekly on sunday</code> or "
                "<code>/weekly off</code>."
            )
        ]
    if words[0] == "off":
        set_weekly(conv.db, chat.id, None)
        return [Reply("📊 Weekly picture off. /week still draws it whenever you ask.")]
    if words[0] != "on":
        return [
            Reply(
                "Send <code>/weekly on</code> (Sundays), <code>/weekly on friday</code>, "
                "or <code>/weekly off</code>."
            )
        ]
    try:
        day = parse_weekday(" ".join(words[1:])) if words[1:] else WEEKDAYS.index("sunday")
    except WeekdayError as exc:
        return [Reply(f"📊 {escape(str(exc))}")]
    set_weekly(conv.db, chat.id, day)
    return [
        Reply(
            f"📊 Weekly picture on: {WEEKDAYS[day].title()}s at {user.digest_time} "
            f"({escape(user.timezone)}), with your digest time (/time changes both)."
        )
    ]


async def settings(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    user = conv.user(chat)
    key, _, value = args.partition(" ")
    key, value = key.lower(), value.strip()
    if key in ("papers", "threshold", "language") and value:
        problem = _apply_setting(conv, chat, key, value)
        if problem:
            return [Reply(problem)]
        user = conv.user(chat)
    threshold = "automatic" if user.threshold is None else f"{user.threshold:.2f}"
    whose = "The group's" if chat.id < 0 else "Your"
    text = (
        f"<b>{whose} settings</b>\n"
        f"papers per digest: {user.papers_per_digest}\n"
        f"relevance threshold: {threshold}\n"
        f"summary language: {escape(user.language or 'en')}\n"
        f"{conv.schedule_line(user)}\n\n"
        "Change with <code>/settings papers 7</code> (1-10), "
        "<code>/settings threshold 0.4</code> (0-1, or auto), "
        "<code>/settings language German</code>."
    )
    return [Reply(text)]


def _apply_setting(conv: Conversation, chat: Chat, key: str, value: str) -> str | None:
    if key == "papers":
        if not value.isdigit() or not 1 <= int(value) <= 10:
            return "Papers per digest must be a whole number from 1 to 10."
        update_user(conv.db, chat.id, papers_per_digest=int(value))
    elif key == "threshold":
        if value.lower() in ("auto", "default"):
            update_user(conv.db, chat.id, threshold=None)
            return None
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not 0 <= number <= 1:
            return (
                "The threshold is a number from 0 (show anything) to 1 (only sure hits), or auto."
            )
        update_user(conv.db, chat.id, threshold=number)
    else:
        if len(value) > 30 or not all(ch.isalpha() or ch in " -" for ch in value):
            return "Give a language name, e.g. <code>/settings language German</code>."
        update_user(conv.db, chat.id, language=LANGUAGES.get(value.lower(), value.title()))
    return None


async def forget(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    buttons = (
        (
            Button("🗑 Yes, delete everything", encode("forget", "yes")),
            Button("Cancel", encode("forget", "no")),
        ),
    )
    return [
        Reply(
            "This deletes your interests, settings, saved papers, feedback and chat "
            "history. It cannot be undone. Are you sure?",
            buttons,
        )
    ]
