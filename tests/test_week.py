"""The week in a picture: `paperboy week` over three real days, and /week through the fake
Telegram (a photo within the caption limit, then the top papers; text only when thin)."""

from __future__ import annotations

import html
import struct
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import sqlite_utils

from bot.config import Settings
from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import Throttle
from bot.sources.hf_json import parse_daily_papers
from bot.telegram.app import make_bot
from bot.weekly.push import WeeklyPush
from bot.weekly.recap import reader_week
from storage.deliveries import part_sent, pending_deliveries
from storage.feedback import record_feedback
from storage.interests import add_interest
from storage.papers import upsert_papers
from storage.users import ensure_user
from storage.weekly import set_weekly, write_recap
from tests.fakes.telegram_api import TOKEN
from tests.telegram_harness import running_bot

HF_DAYS = Path(__file__).resolve().parent / "data" / "hf_api"
DAYS = ("2026-06-12", "2026-07-13", "2026-07-31")  # three recorded Daily Papers lists
# … stored as three days in a row: a week spans calendar days, so these fall in one.
STORED_AS = ("2026-07-29", "2026-07-30", "2026-07-31")
INTERESTS = ("LLM agents", "reinforcement learning for reasoning", "video generation")
CHAT = 901
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def store_days(db: sqlite_utils.Database) -> list[str]:
    titles = []
    for day, stored in zip(DAYS, STORED_AS, strict=True):
        papers = parse_daily_papers((HF_DAYS / f"{day}.json").read_bytes()).papers
        upsert_papers(db, papers, day=stored, source="hf")
        titles += [p.title for p in papers]
    return titles


def test_paperboy_week_writes_a_picture_and_prints_the_top_papers(tmp_path: Path) -> None:
    db_path = tmp_path / "p.db"
    from storage import open_db

    titles = store_days(open_db(db_path))
    out = tmp_path / "week.png"
    args = [a for t in INTERESTS for a in ("--interest", t)]
    script = Path(sys.executable).parent / "paperboy"
    result = subprocess.run(
        [str(script), "week", *args, "--out", str(out)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PAPERBOY_DB_PATH": str(db_path)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    width, height = png_size(out.read_bytes())
    assert width >= 800 and height >= 200
    printed = [t for t in titles if t in result.stdout]
    assert len(printed) >= 3
    assert "matches for your interests" in result.stdout and str(out) in result.stdout


async def test_week_in_telegram_is_a_photo_then_the_top_papers(db: sqlite_utils.Database) -> None:
    store_days(db)
    ensure_user(db, CHAT)
    for text in INTERESTS:
        add_interest(db, CHAT, "topic", text)
    async with running_bot(db) as h:
        h.tg.user_says(CHAT, "/week")
        (photo,) = await h.tg.until(lambda: h.tg.calls("sendPhoto", CHAT), timeout=60)
        (text,) = await h.tg.until(lambda: h.tg.messages_to(CHAT), timeout=30)
    assert (
        len(photo.params["caption"]) <= 1024
        and "matches for your interests" in (photo.params["caption"])
    )
    width, _ = png_size(photo.params["photo"]["content"])
    assert width >= 800
    assert text.text.startswith("<b>Your top papers this week</b>") and "1. " in text.text


async def test_a_thin_week_is_text_only(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:  # only the sample day is stored
        ensure_user(db, CHAT)
        add_interest(db, CHAT, "topic", "mixture of experts")
        (reply,) = await h.say(CHAT, "/week")
        assert not h.tg.calls("sendPhoto", CHAT)
    assert "Not enough days" in reply.text


async def test_weekly_on_pushes_once_on_the_day_at_the_digest_time(
    db: sqlite_utils.Database,
) -> None:
    """/weekly on sunday, then the weekly sweep driven by an injected clock: nothing on
    Saturday or on Sunday before 09:00 (Berlin), one photo and one text at 09:00, nothing
    more on later sweeps that day, and the next Sunday's again."""
    store_days(db)
    ensure_user(db, CHAT)
    for text in INTERESTS:
        add_interest(db, CHAT, "topic", text)
    async with running_bot(db) as h:
        await h.say(CHAT, "/timezone Europe/Berlin")
        await h.say(CHAT, "/time 09:00")
        (on,) = await h.say(CHAT, "/weekly on sunday")
        assert "Sundays at 09:00 (Europe/Berlin)" in on.text
        settings = Settings(telegram_bot_token=TOKEN, telegram_api_url=h.tg.api_url)
        async with make_bot(settings) as bot:
            push = WeeklyPush(db, TelegramTransport(bot, Throttle(per_chat_interval_s=0.01), db))

            async def sent_at(when: str) -> tuple[int, int]:
                before = (len(h.tg.calls("sendPhoto", CHAT)), len(h.tg.messages_to(CHAT)))
                await push.sweep(datetime.fromisoformat(when))
                after = (len(h.tg.calls("sendPhoto", CHAT)), len(h.tg.messages_to(CHAT)))
                return after[0] - before[0], after[1] - before[1]

            assert await sent_at("2026-12-05T12:00:00+00:00") == (0, 0)  # Saturday
            assert await sent_at("2026-12-06T07:59:00+00:00") == (0, 0)  # Sunday 08:59 local
            assert await sent_at("2026-12-06T08:00:00+00:00") == (1, 1)  # 09:00 in Berlin
            assert await sent_at("2026-12-06T08:01:00+00:00") == (0, 0)
            assert await sent_at("2026-12-06T20:00:00+00:00") == (0, 0)
            assert await sent_at("2026-12-13T08:30:00+00:00") == (1, 1)  # the next Sunday
        (off,) = await h.say(CHAT, "/weekly off")
    photo = h.tg.calls("sendPhoto", CHAT)[0]
    assert "matches for your interests" in photo.params["caption"]
    assert "Your top papers this week" in h.tg.messages_to(CHAT)[-2].text
    assert "Weekly picture off" in off.text
    rows = list(
        db.execute("SELECT local_day, status FROM deliveries WHERE kind = 'weekly' ORDER BY 1")
    )
    assert rows == [("2026-12-06", "sent"), ("2026-12-13", "sent")]


async def test_weekly_resends_only_the_part_a_crash_lost(db: sqlite_utils.Database) -> None:
    """A recap whose picture went out before a crash (its id recorded, the text not):
    the next sweep sends the text alone, and nothing once it is sent."""
    store_days(db)
    ensure_user(db, CHAT)
    add_interest(db, CHAT, "topic", INTERESTS[0])
    set_weekly(db, CHAT, 6)
    write_recap(db, CHAT, "2026-12-06")
    (recap,) = pending_deliveries(db, "2026-12-06T08:00:00+00:00", kinds=("weekly",))
    part_sent(db, recap.id, "photo", 1)
    db.execute(
        "UPDATE deliveries SET claimed_until_utc = '2026-12-06T08:10:00+00:00' WHERE id = ?",
        [recap.id],
    )
    async with running_bot(db) as h:
        settings = Settings(telegram_bot_token=TOKEN, telegram_api_url=h.tg.api_url)
        async with make_bot(settings) as bot:
            push = WeeklyPush(db, TelegramTransport(bot, Throttle(per_chat_interval_s=0.01), db))
            held = await push.sweep(datetime.fromisoformat("2026-12-06T08:05:00+00:00"))
            assert held.sent == 0  # claimed by the sender that died, for 10 minutes
            await push.sweep(datetime.fromisoformat("2026-12-06T08:20:00+00:00"))
            await push.sweep(datetime.fromisoformat("2026-12-06T08:21:00+00:00"))
    assert not h.tg.calls("sendPhoto", CHAT)
    (text,) = h.tg.messages_to(CHAT)
    assert text.text.startswith("<b>Your top papers this week</b>")


async def test_the_week_puts_liked_papers_first_and_lists_unseen_ones_as_missed(
    db: sqlite_utils.Database,
) -> None:
    store_days(db)
    ensure_user(db, CHAT)
    for text in INTERESTS:
        add_interest(db, CHAT, "topic", text)
    before = await reader_week(db, CHAT)
    assert before is not None and len(before.missed) == 3
    ranked = [m.paper for _, m in [*before.top, *before.missed]]
    liked, disliked = ranked[6], ranked[5]  # both among the missed at first
    record_feedback(db, CHAT, liked.id, 1)
    record_feedback(db, CHAT, disliked.id, -1)
    async with running_bot(db) as h:
        h.tg.user_says(CHAT, "/week")
        await h.tg.until(lambda: h.tg.calls("sendPhoto", CHAT), timeout=60)
        (text,) = await h.tg.until(lambda: h.tg.messages_to(CHAT), timeout=30)
    top, _, missed = text.text.partition("<b>You may have missed</b>")
    assert top.split("\n")[1].startswith("1. ") and html.escape(liked.title) in top.split("\n")[1]
    assert missed.count("• ") == 3
    # rated: seen, not missed (a missed paper's reason may still name it: "like …, which
    # you 👎")
    assert f">{html.escape(disliked.title)}</a>" not in missed


def run_week(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "paperboy"
    return subprocess.run(
        [str(script), "week", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PAPERBOY_DB_PATH": str(db_path)},
        timeout=120,
    )


def test_paperboy_week_draws_a_dollar_interest_as_typed(tmp_path: Path) -> None:
    """Before: a multi-line mathtext parser error, and no picture."""
    from storage import open_db

    store_days(open_db(tmp_path / "p.db"))
    out = tmp_path / "week.png"
    result = run_week(
        tmp_path / "p.db",
        *("--interest", "price of $x^$ tokens", "--interest", "LLM agents"),
        *("--out", str(out), "--lexical-only"),
    )
    assert result.returncode == 0, result.stderr
    assert png_size(out.read_bytes())[0] >= 800 and "ParseSyntaxException" not in result.stderr


def test_paperboy_week_with_too_few_days_fails_saying_how_to_get_more(tmp_path: Path) -> None:
    from storage import open_db

    papers = parse_daily_papers((HF_DAYS / f"{DAYS[-1]}.json").read_bytes()).papers
    upsert_papers(open_db(tmp_path / "p.db"), papers, day="2026-07-31", source="hf")
    out = tmp_path / "week.png"
    result = run_week(
        tmp_path / "p.db", "--interest", "LLM agents", "--out", str(out), "--lexical-only"
    )
    assert result.returncode == 1 and not out.exists()
    (line,) = result.stderr.strip().splitlines()
    assert "1 of the 7 days to 2026-07-31" in line
    assert "paperboy ingest --date D" in line and "--date 2026-07-30" in line
