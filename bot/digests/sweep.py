"""Daily delivery through an outbox that survives crashes.

A sweep (every minute) does two things. First, for every active user whose local time has
passed their digest time and who has no digest for their local date, it ranks the papers
they have not been sent and writes the digest to the outbox (pending) in one transaction.
Second, it sends every pending digest: each message's Telegram id is stored the moment it
is sent, so after a crash only the unsent messages go out (at worst the one in flight is
repeated). Failures are retried with backoff, then marked failed with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot.delivery.group_send import send_to_chat
from bot.delivery.throttle import Throttle
from bot.digests.desk import DigestDesk
from bot.digests.schedule import is_due
from bot.messages.replies import fitted
from bot.writing.summaries import summarize_papers
from storage.deliveries import (
    Delivery,
    DigestExists,
    chats_with_delivery,
    pending_deliveries,
    record_failure,
)
from storage.groups import bot_removed, digest_thread, purge_removed
from storage.papers import Paper
from storage.service_state import LAST_SWEEP, set_state
from storage.users import User, active_users, get_user, update_user

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE_S = 60  # then 2, 4, 8 … minutes
SEND_CONCURRENCY = 64  # chats served at once; the throttle keeps the overall rate
# Readers prepared at once. Each does a few milliseconds of database work between awaits;
# thousands started together would hold the loop (and every user's reply) for seconds.
PREPARE_CONCURRENCY = 64
GROUP_KEPT_DAYS = 30  # a group's data after the bot was removed from it


@dataclass
class SweepReport:
    prepared: int = 0
    skipped: int = 0
    sent: int = 0
    messages: int = 0
    failed: int = 0
    blocked: int = 0
    summarized: int = 0
    personal_notes: int = 0
    personal_fallbacks: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.prepared} prepared ({self.summarized} summaries written, "
            f"{self.personal_notes} personal notes, {self.personal_fallbacks} mechanical), "
            f"{self.skipped} skipped, {self.sent} sent "
            f"({self.messages} messages), {self.failed} failed, {self.blocked} blocked"
        )


class Deliverer:
    """The delivery sweep: digests for every reader now due, then everything pending."""

    def __init__(
        self,
        desk: DigestDesk,
        bot: Bot,
        throttle: Throttle,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.desk, self.db, self.bot, self.throttle = desk, desk.db, bot, throttle
        self.sleep = sleep

    async def sweep(self, now_utc: datetime | None = None) -> SweepReport:
        """Prepare digests for every user now due, then send everything pending."""
        now = now_utc or datetime.now(UTC)
        report = SweepReport()
        await self.prepare_due(now, report)
        await self.send_pending(now, report)
        # Groups the bot was removed from are kept 30 days (added back: nothing lost).
        purge_removed(self.db, (now - timedelta(days=GROUP_KEPT_DAYS)).isoformat())
        set_state(self.db, LAST_SWEEP, now.isoformat(timespec="seconds"))
        if report.prepared or report.sent or report.failed:
            log.info("delivery sweep: %s", report.summary())
        return report

    def due_users(self, now: datetime) -> list[tuple[User, str]]:
        """Active users past their digest time with no digest for their local date."""
        candidates = []
        for user in active_users(self.db):
            due, local = is_due(user.timezone, user.digest_time, now)
            if due:
                candidates.append((user, local.isoformat()))
        if not candidates:
            return []
        done = chats_with_delivery(self.db, sorted({day for _, day in candidates}))
        return [(u, day) for u, day in candidates if (u.chat_id, day) not in done]

    async def prepare_due(self, now: datetime, report: SweepReport) -> None:
        due = self.due_users(now)
        if not due:
            return
        ctx = await self.desk.today()
        to_summarize: dict[str, dict[str, Paper]] = defaultdict(dict)  # language -> papers
        writer = self.desk.note_writer()

        queue = iter(due)

        async def worker() -> None:
            for user, local_day in queue:  # shared: each reader is taken by one worker
                await prepare_one(user, local_day)

        async def prepare_one(user: User, local_day: str) -> None:
            try:
                _, digest = await self.desk.write(
                    ctx, user, local_day, writer=writer, on_demand=False, summarize=False
                )
            except DigestExists:
                # Their digest for the day was written meanwhile (a /digest while this
                # sweep waited for personal notes): that one stands.
                log.info("chat %d already has its digest for %s", user.chat_id, local_day)
                return
            except Exception as exc:  # one reader's failure must not cost the others theirs
                log.exception("preparing the digest of chat %d failed", user.chat_id)
                report.errors.append(f"chat {user.chat_id}: {type(exc).__name__}")
                return
            if digest.status == "nothing_matched" and self.desk.settings.empty_digest == "skip":
                report.skipped += 1
            else:
                report.prepared += 1
            for item in digest.items:
                to_summarize[user.language or "en"][item.paper.id] = item.paper

        try:
            # Concurrently, so that the personal LLM calls of many readers overlap (the
            # client bounds how many run at once); ranking runs in its own thread, one
            # reader at a time.
            await asyncio.gather(*(worker() for _ in range(min(PREPARE_CONCURRENCY, len(due)))))
        finally:
            if writer is not None:
                report.personal_notes, report.personal_fallbacks = writer.served, writer.fallbacks
                await writer.aclose()
        await self._summarize(to_summarize, report)

    async def _summarize(self, wanted: dict[str, dict[str, Paper]], report: SweepReport) -> None:
        """Summaries for the papers this sweep's digests carry, once per paper and language,
        in batches; a paper nobody receives is never summarised. A failure leaves the
        fallback summary (the source's own, or an extract) and loses no digest."""
        for language, papers in wanted.items():
            report.summarized += await summarize_papers(
                self.db,
                self.desk.llm,
                list(papers.values()),
                language=language,
                batch_size=self.desk.settings.summary_batch,
            )

    async def send_pending(self, now: datetime, report: SweepReport) -> None:
        pending = pending_deliveries(self.db, now.isoformat(timespec="seconds"))
        limit = asyncio.Semaphore(SEND_CONCURRENCY)

        async def one(delivery: Delivery) -> None:
            async with limit:
                await self._send(delivery, now, report)

        await asyncio.gather(*(one(d) for d in pending))

    async def _send(self, delivery: Delivery, now: datetime, report: SweepReport) -> None:
        user = get_user(self.db, delivery.chat_id)
        if user is None:  # they used /forget meanwhile: the row is gone with them
            return
        if not self.desk.claim(delivery, now):  # /digest is sending it right now
            return
        replies = self.desk.replies(delivery, user.language or "en")
        # A group's digest goes to the forum topic its admins chose; a group upgraded to a
        # supergroup midway is moved, with this digest, and the rest goes to its new id.
        chat_id, thread = user.chat_id, digest_thread(self.db, user.chat_id)
        try:
            for reply in fitted(replies):
                chat_id, message_id = await send_to_chat(
                    self.bot,
                    self.throttle,
                    self.db,
                    chat_id,
                    reply,
                    thread_id=thread,
                    sleep=self.sleep,
                )
                self.desk.message_sent(reply, message_id)
                report.messages += 1
        except Forbidden:
            if chat_id < 0:  # a group that removed the bot: kept 30 days, sent nothing
                bot_removed(self.db, chat_id)
            else:
                update_user(self.db, chat_id, blocked=1)
            record_failure(self.db, delivery.id, "blocked by the user", retry_at_utc=None)
            report.blocked += 1
            return
        except TelegramError as exc:
            self._failed(delivery, now, f"{type(exc).__name__}: {exc}", report)
            return
        self.desk.finished(delivery.id)
        report.sent += 1

    def _failed(self, delivery: Delivery, now: datetime, error: str, report: SweepReport) -> None:
        attempts = delivery.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            record_failure(self.db, delivery.id, error, retry_at_utc=None)
            log.error(
                "delivery %d to chat %d failed for good: %s", delivery.id, delivery.chat_id, error
            )
        else:
            retry = now + timedelta(seconds=RETRY_BASE_S * 2 ** (attempts - 1))
            record_failure(
                self.db, delivery.id, error, retry_at_utc=retry.isoformat(timespec="seconds")
            )
            log.warning(
                "delivery %d to chat %d failed (%s); retrying at %s",
                delivery.id,
                delivery.chat_id,
                error,
                retry.isoformat(timespec="minutes"),
            )
        report.failed += 1
        report.errors.append(error)
