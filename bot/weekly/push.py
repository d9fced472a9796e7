"""The opt-in weekly recap, pushed on the reader's chosen weekday at their digest time.
A due recap is written to the one outbox (pending) before anything is sent; the outbox
sender (bot/delivery/outbox.py) sends it like a digest: claimed, each of its two messages
(the picture, then the week's top papers) recorded the moment Telegram accepts it, a failure
retried with backoff, a blocked chat marked. After a crash only what did not go out is
sent. Drawing happens when it is sent: a recap shows the week as it stands then."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

from bot.delivery.outbox import OutboxSender, SendReport
from bot.delivery.transport import Transport
from bot.messages.replies import Document, Reply
from bot.ranking import DayRanker
from bot.ranking.embedders import Embedder
from bot.weekly.chart import draw
from bot.weekly.days import due_day
from bot.weekly.recap import reader_week
from bot.weekly.text import caption, thin_text, top_lines
from storage.deliveries import Delivery, sent_parts
from storage.users import get_user
from storage.weekly import weekly_readers, write_recap

log = logging.getLogger(__name__)


@dataclass
class WeeklyReport(SendReport):
    written: int = 0


class RecapParts:
    """The weekly recap's messages, for the outbox sender: the picture and the top papers,
    or one line when the week is too thin to draw."""

    def __init__(self, db: sqlite_utils.Database, embedder: Embedder | None) -> None:
        self.db, self.embedder = db, embedder
        self.rankers: dict[str, DayRanker] = {}  # each stored day indexed once per sweep

    async def parts(self, entry: Delivery) -> list[Reply]:
        done = sent_parts(self.db, entry.id)
        week = await reader_week(
            self.db, entry.chat_id, embedder=self.embedder, rankers=self.rankers
        )
        if week is None or week.thin:
            wanted = [Reply(thin_text(week), part="text")]
        else:
            png = await draw(week) if "photo" not in done else b""
            wanted = [
                Reply("", photo=Document("week.png", png, caption(week)), part="photo"),
                Reply(top_lines(week, as_html=True), part="text"),
            ]
        return [reply for reply in wanted if reply.part not in done]


class WeeklyPush:
    def __init__(
        self,
        db: sqlite_utils.Database,
        transport: Transport,
        *,
        embedder: Embedder | None = None,
    ) -> None:
        self.db = db
        self.recaps = RecapParts(db, embedder)
        self.sender = OutboxSender(db, transport, {"weekly": self.recaps})

    async def sweep(self, now_utc: datetime | None = None) -> WeeklyReport:
        """Write the recaps now due, then have the sender send every pending one."""
        now = now_utc or datetime.now(UTC)
        report = WeeklyReport()
        report.written = self.write_due(now)
        self.recaps.rankers = {}
        await self.sender.send_pending(now, report, kinds=("weekly",))
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
