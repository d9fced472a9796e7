"""The week in a picture: `paperboy week` over three real days, and /week through the fake
Telegram (a photo within the caption limit, then the top papers; text only when thin)."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import sqlite_utils

from bot.sources.hf_json import parse_daily_papers
from storage.interests import add_interest
from storage.papers import upsert_papers
from storage.users import ensure_user
from tests.telegram_harness import running_bot

HF_DAYS = Path(__file__).resolve().parent / "data" / "hf_api"
DAYS = ("2026-06-12", "2026-07-13", "2026-07-31")
INTERESTS = ("LLM agents", "reinforcement learning for reasoning", "video generation")
CHAT = 901
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def store_days(db: sqlite_utils.Database) -> list[str]:
    titles = []
    for day in DAYS:
        papers = parse_daily_papers((HF_DAYS / f"{day}.json").read_bytes()).papers
        upsert_papers(db, papers, day=day, source="hf")
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
