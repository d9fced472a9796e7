"""Daily delivery through an outbox that survives crashes.

A sweep (every minute) does two things. First, for every active user whose local time has
passed their digest time and who has no digest for their local date, it ranks the papers
they have not been sent and writes the digest to the outbox (pending) in one transaction.
Second, it has the one outbox sender (bot/delivery/outbox.py) send every pending digest:
each message's Telegram id is stored the moment it is accepted, so after a crash only the
unsent messages go out (at most the throttle's 8 in flight are repeated). Failures are
retried with backoff, then marked failed with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.delivery.outbox import OutboxSender, SendReport
from bot.delivery.transport import Transport
from bot.digests.desk import DigestDesk
from bot.digests.schedule import is_due
from bot.writing.summaries import summarize_papers
from storage.deliveries import DigestExists, chats_with_delivery
from storage.groups import purge_removed
from storage.papers import Paper
from storage.service_state import LAST_SWEEP, set_state
from storage.users import User, active_users, update_user

log = logging.getLogger(__name__)

# Readers prepared at once. Each does a few milliseconds of database work between awaits;
# thousands started together would hold the loop (and every user's reply) for seconds.
PREPARE_CONCURRENCY = 64
GROUP_KEPT_DAYS = 30  # a group's data after the bot was removed from it


@dataclass
class SweepReport(SendReport):
    prepared: int = 0
    skipped: int = 0
    summarized: int = 0
    personal_notes: int = 0
    personal_fallbacks: int = 0

    def summary(self) -> str:
        return (
            f"{self.prepared} prepared ({self.summarized} summaries written, "
            f"{self.personal_notes} personal notes, {self.personal_fallbacks} mechanical), "
            f"{self.skipped} skipped, {self.sent} sent "
            f"({self.messages} messages), {self.failed} failed, {self.blocked} blocked"
        )


class Deliverer:
    """The delivery sweep: digests for every reader now due, then everything pending."""

    def __init__(self, desk: DigestDesk, transport: Transport) -> None:
        self.desk, self.db = desk, desk.db
        self.sender = OutboxSender(desk.db, transport, {"digest": desk})

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
            if due and (not user.paused or user.pause_over(local.isoformat())):
                candidates.append((user, local.isoformat()))
        if not candidates:
            return []
        done = chats_with_delivery(self.db, sorted({day for _, day in candidates}))
        return [(u, day) for u, day in candidates if (u.chat_id, day) not in done]

    async def prepare_due(self, now: datetime, report: SweepReport) -> None:
        due = self.due_users(now)
        if not due:
            return
        for user, local_day in due:
            if user.paused:  # "pause for a week" is over: this digest is the first back
                update_user(self.db, user.chat_id, paused=0, paused_until=None)
                log.info("chat %d: pause ended %s, digests resume", user.chat_id, local_day)
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
        await self.sender.send_pending(now, report, kinds=("digest",))
