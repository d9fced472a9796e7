"""The opt-in weekly recap, pushed on the reader's chosen weekday at their digest time,
through an outbox like the digests': the recap is written (pending) before anything is
sent, each of its two messages (the picture, then the week's top papers) is recorded the
moment Telegram accepts it, and a sender claims a recap before sending. After a crash the
next sweep sends only what did not go out: the reader gets it once, or at worst the one
message in flight twice, never the whole recap again. One reader's failure, whatever it
is, is recorded on their recap (retried with backoff) and the sweep goes on."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils
from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot.delivery.sender import Sleep, send_reply
from bot.delivery.throttle import Throttle
from bot.messages.replies import Document, Reply
from bot.ranking import DayRanker
from bot.ranking.embedders import Embedder
from bot.weekly.chart import draw
from bot.weekly.days import due_day
from bot.weekly.recap import Week, reader_week
from bot.weekly.text import caption, thin_text, top_lines
from storage.groups import digest_thread
from storage.users import get_user, update_user
from storage.weekly import (
    Recap,
    claim_pending,
    finish_recap,
    part_sent,
    retry_recap,
    weekly_readers,
    write_recap,
)

log = logging.getLogger(__name__)

CLAIM_S = 600
MAX_ATTEMPTS = 5
RETRY_BASE_S = 60  # then 2, 4, 8 minutes, as digests retry


@dataclass
class WeeklyReport:
    written: int = 0
    sent: int = 0
    failed: int = 0


class WeeklyPush:
    def __init__(
        self,
        db: sqlite_utils.Database,
        bot: Bot,
        throttle: Throttle,
        *,
        embedder: Embedder | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.db, self.bot, self.throttle = db, bot, throttle
        self.embedder, self.sleep = embedder, sleep

    async def sweep(self, now_utc: datetime | None = None) -> WeeklyReport:
        """Write the recaps now due, then send every pending one."""
        now = now_utc or datetime.now(UTC)
        report = WeeklyReport(written=self.write_due(now))
        recaps = claim_pending(self.db, _iso(now), _iso(now + timedelta(seconds=CLAIM_S)))
        rankers: dict[str, DayRanker] = {}  # each stored day indexed once per sweep
        for recap in recaps:
            await self._send(recap, rankers, report, now)
        if report.written or report.sent or report.failed:
            log.info("weekly sweep: %s", report)
        return report

    def write_due(self, now: datetime) -> int:
        """A pending recap for each reader whose weekly moment (their weekday at their
        digest time) passed within days.GRACE; once per week, keyed by that day."""
        written = 0
        for chat_id, weekday in weekly_readers(self.db):
            try:
                written += self._write_one(chat_id, weekday, now)
            except Exception:  # one reader's bad row must not cost the others their recap
                log.exception("writing the weekly recap of chat %d failed", chat_id)
        return written

    def _write_one(self, chat_id: int, weekday: int, now: datetime) -> bool:
        user = get_user(self.db, chat_id)
        if user is None:
            return False
        day = due_day(user.timezone, user.digest_time, weekday, now)
        return day is not None and write_recap(self.db, chat_id, day.isoformat())

    async def _send(
        self, recap: Recap, rankers: dict[str, DayRanker], report: WeeklyReport, now: datetime
    ) -> None:
        try:
            for part, reply in await self._parts(recap, rankers):
                if getattr(recap, part) is not None:
                    continue  # sent before a crash
                message_id = await send_reply(
                    self.bot,
                    self.throttle,
                    recap.chat_id,
                    reply,
                    sleep=self.sleep,
                    thread_id=digest_thread(self.db, recap.chat_id),  # a group's topic
                )
                part_sent(self.db, recap, part, message_id)
        except Forbidden:
            update_user(self.db, recap.chat_id, blocked=1)
            finish_recap(self.db, recap, "failed", "blocked by the user")
            report.failed += 1
            return
        except Exception as exc:  # drawing, ranking or sending: this reader's, not the sweep's
            self._failed(recap, now, exc)
            report.failed += 1
            return
        finish_recap(self.db, recap, "sent")
        report.sent += 1

    def _failed(self, recap: Recap, now: datetime, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        trace = not isinstance(exc, TelegramError)  # our bug, not Telegram's weather
        attempts = recap.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            finish_recap(self.db, recap, "failed", error)
            log.error(
                "weekly recap to chat %d failed for good: %s",
                recap.chat_id,
                error,
                exc_info=exc if trace else None,
            )
            return
        retry = now + timedelta(seconds=RETRY_BASE_S * 2 ** (attempts - 1))
        retry_recap(self.db, recap, error, _iso(retry))
        log.warning(
            "weekly recap to chat %d failed (%s); retrying at %s",
            recap.chat_id,
            error,
            _iso(retry),
            exc_info=exc if trace else None,
        )

    async def _parts(self, recap: Recap, rankers: dict[str, DayRanker]) -> list[tuple[str, Reply]]:
        """The recap's messages, each with the outbox column that records it."""
        week = await self._week(recap.chat_id, rankers)
        if week is None or week.thin:
            return [("text_message_id", Reply(thin_text(week)))]
        png = await draw(week)
        return [
            ("photo_message_id", Reply("", photo=Document("week.png", png, caption(week)))),
            ("text_message_id", Reply(top_lines(week, as_html=True))),
        ]

    async def _week(self, chat_id: int, rankers: dict[str, DayRanker]) -> Week | None:
        return await reader_week(self.db, chat_id, embedder=self.embedder, rankers=rankers)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
