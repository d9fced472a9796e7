"""One owner for a digest's life: a digest is claimed before it is sent (so /digest and
the sweep never both send it), and it re-renders as it was written."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import Throttle
from bot.digests.sweep import Deliverer
from bot.telegram.app import make_bot
from storage.deliveries import DigestExists, create_delivery, list_deliveries
from storage.interests import add_interest
from storage.papers import Paper, upsert_papers
from storage.users import ensure_user
from tests.fakes.http_server import Reply
from tests.fakes.telegram_api import server_error, too_many_requests
from tests.telegram_harness import running_bot
from tests.test_delivery import DAY, at, world

CHAT = 42


async def test_digest_and_the_sweep_race_for_one_reader_one_digest_sent_once(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as h:
        ensure_user(db, CHAT)
        add_interest(db, CHAT, "topic", "mixture of experts")
        slowed = threading.Event()

        def slow_first_digest_message(method: str, params: dict[str, Any]) -> Reply | None:
            # The handler's first digest message waits a second (a 429), holding the
            # digest mid-send while the sweep runs.
            digest_text = "Your papers for" in params.get("text", "")
            if method == "sendMessage" and digest_text and not slowed.is_set():
                slowed.set()
                return too_many_requests(1)
            return None

        h.tg.fault = slow_first_digest_message
        h.tg.user_says(CHAT, "/digest")
        await h.tg.until(slowed.is_set)
        async with make_bot(h.conv.settings) as bot:
            sweep = Deliverer(h.conv.desk, TelegramTransport(bot, Throttle(), h.conv.db))
            report = await sweep.sweep(datetime.now(UTC))
        await h.tg.until(lambda: list_deliveries(db, status="sent"))
        await h.settle()
    headers = [m for m in h.tg.messages_to(CHAT) if "Your papers for" in m.text]
    assert len(headers) == 1, [m.text[:60] for m in h.tg.messages_to(CHAT)]
    assert report.sent == 0 and report.prepared == 0
    ((delivery, _),) = list_deliveries(db)
    assert delivery.status == "sent"


async def test_an_unsent_digest_resent_after_the_next_ingest_shows_its_own_day(
    db: sqlite_utils.Database,
) -> None:
    async with world(db) as w:
        w.user(1)
        w.tg.fault = lambda method, _p: server_error() if method == "sendMessage" else None
        await w.deliverer.sweep(at(f"{DAY}T08:00"))
        assert w.digests_to(1) == []  # written, not sent: Telegram was down
        # The next day is ingested from another source before the retry.
        later = [Paper(id=f"2503.1{i:04d}", title=f"Graph paper {i}") for i in range(30)]
        upsert_papers(db, later, day="2025-03-04", source="arxiv")
        w.tg.fault = None
        await w.deliverer.sweep(at(f"{DAY}T08:05"))
        (first, *_) = w.digests_to(1)
    assert f"Your papers for {DAY}" in first
    assert "from 8 new papers (Hugging Face Daily Papers)" in first, first[:200]


def test_a_second_digest_for_the_day_is_a_domain_error(db: sqlite_utils.Database) -> None:
    ensure_user(db, 1)
    create_delivery(db, 1, DAY, [])
    try:
        create_delivery(db, 1, DAY, [])
    except DigestExists as exc:
        assert DAY in str(exc)
    else:
        raise AssertionError("a second digest for the same day was accepted")


async def test_a_digest_command_telegram_refuses_is_retried_by_the_one_sender(
    db: sqlite_utils.Database,
) -> None:
    """/digest goes out through the outbox sender: Telegram down for it (502 after every
    retry) leaves the digest pending with the error and a retry time, as a sweep's would,
    and the next sweep after that time sends it, once."""
    async with running_bot(db) as h:
        ensure_user(db, CHAT)
        add_interest(db, CHAT, "topic", "mixture of experts")

        def down_for_digests(method: str, params: dict[str, Any]) -> Reply | None:
            digest = "Your papers for" in params.get("text", "")
            return server_error() if method == "sendMessage" and digest else None

        h.tg.fault = down_for_digests
        h.tg.user_says(CHAT, "/digest")
        await h.tg.until(lambda: list_deliveries(db) and list_deliveries(db)[0][0].attempts == 1)
        await h.settle()
        ((failed, _),) = list_deliveries(db)
        assert failed.status == "pending" and "Bad Gateway" in (failed.error or "")
        h.tg.fault = None
        async with make_bot(h.conv.settings) as bot:
            sweep = Deliverer(h.conv.desk, TelegramTransport(bot, Throttle(), h.conv.db))
            early = await sweep.sweep(datetime.now(UTC))
            later = await sweep.sweep(datetime.now(UTC) + timedelta(minutes=2))
    assert early.sent == 0 and later.sent == 1
    headers = [m for m in h.tg.messages_to(CHAT) if "Your papers for" in m.text]
    assert len(headers) == 1
    ((delivery, _),) = list_deliveries(db)
    assert delivery.status == "sent"
