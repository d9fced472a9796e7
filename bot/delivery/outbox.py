"""The one sender of the outbox. Every message that must arrive (a digest, a weekly recap,
a group's digest) is an entry of the outbox (storage/deliveries.py), written before anything
is sent; this is the only code that sends them, whoever asks: the delivery sweep, the weekly
push, /digest, the terminal chat.

For each entry it claims it (two senders never send one entry), asks the entry's kind for
its parts still to go, sends them in order over a transport, and stores each part's
Telegram id the moment it is accepted. A crash therefore repeats only messages Telegram
accepted whose ids were not stored yet: at most the throttle's MAX_IN_FLIGHT (8) over the
whole service, whatever the number of readers. A blocked chat is marked and never retried;
any other failure is retried with backoff (1, 2, 4, 8 minutes), then recorded as failed,
and one reader's failure never stops the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import sqlite_utils

from bot.delivery.transport import Blocked, SendFailed, Transport
from bot.messages.replies import Reply, fitted
from storage.deliveries import (
    Delivery,
    claim_delivery,
    delivery_by_id,
    part_sent,
    pending_deliveries,
    record_failure,
    set_status,
)
from storage.groups import bot_removed, digest_thread
from storage.users import get_user, update_user

log = logging.getLogger(__name__)

# How long a sender holds an entry it claimed. Long enough for an entry's few messages
# (1/s per chat, retries after 429s included); short enough that a sender that died frees
# it for the next sweep soon (at service start, claims are freed at once).
CLAIM_S = 600
MAX_ATTEMPTS = 5
RETRY_BASE_S = 60  # then 2, 4, 8 minutes
# Entries served at once. They wait for the throttle, which bounds what is really in flight
# (and so what a crash can repeat); this only keeps enough chats ready to use the rate.
ENTRIES_AT_ONCE = 64
# `thread_id` when none is given: a group's digests go to the topic its admins chose.
DIGEST_TOPIC: Any = object()


class Composer(Protocol):
    """One kind of entry: what its messages are."""

    async def parts(self, entry: Delivery) -> list[Reply]:
        """The entry's messages not yet accepted, in order, each named by `Reply.part`."""
        ...


@dataclass
class SendReport:
    sent: int = 0
    messages: int = 0
    failed: int = 0
    blocked: int = 0
    errors: list[str] = field(default_factory=list)


NAMES = {"digest": "digest", "weekly": "weekly recap"}  # as logs and errors say them


def describe_counts(counts: Mapping[str, Mapping[str, int]]) -> str:
    """The outbox by kind and status, as status and /stats show it:
    "digest 12 sent, 1 pending; weekly 3 sent"."""
    return "; ".join(
        f"{kind} " + ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
        for kind, by_status in sorted(counts.items())
    )


def error_text(exc: Exception) -> str:
    """What an entry's error says: the channel's own words, or the bug's type and text."""
    return str(exc) if isinstance(exc, SendFailed) else f"{type(exc).__name__}: {exc}"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class OutboxSender:
    def __init__(
        self,
        db: sqlite_utils.Database,
        transport: Transport,
        composers: Mapping[str, Composer],
    ) -> None:
        self.db, self.transport, self.composers = db, transport, composers

    async def send_pending(
        self, now: datetime, report: SendReport, kinds: Sequence[str] | None = None
    ) -> None:
        """Send every pending entry of `kinds` (default: every kind this sender composes)."""
        pending = pending_deliveries(self.db, iso(now), tuple(kinds or self.composers))
        limit = asyncio.Semaphore(ENTRIES_AT_ONCE)

        async def one(entry: Delivery) -> None:
            async with limit:
                await self.deliver(entry, now, report)

        await asyncio.gather(*(one(entry) for entry in pending))

    def claim(self, entry: Delivery, now: datetime) -> bool:
        """Take `entry` for sending; False when another sender has it."""
        return claim_delivery(self.db, entry.id, iso(now), iso(now + timedelta(seconds=CLAIM_S)))

    async def deliver(
        self,
        entry: Delivery,
        now: datetime,
        report: SendReport | None = None,
        *,
        claimed: bool = False,
        thread_id: int | None = DIGEST_TOPIC,
    ) -> None:
        """Send what is left of `entry` (claimed here unless the caller holds the claim),
        into the group's digest topic or forum topic `thread_id` (None: General); the
        outcome is recorded on the entry."""
        report = report if report is not None else SendReport()
        if get_user(self.db, entry.chat_id) is None:  # /forget meanwhile: the row is gone
            return
        if not claimed and not self.claim(entry, now):  # another sender has it right now
            return
        chat_id = entry.chat_id
        thread = digest_thread(self.db, chat_id) if thread_id is DIGEST_TOPIC else thread_id
        try:
            for reply in fitted(await self.composers[entry.kind].parts(entry)):
                chat_id, message_id = await self.transport.send(chat_id, reply, thread)
                part_sent(self.db, entry.id, reply.part or "message", message_id, reply.paper_ids)
                report.messages += 1
        except Blocked:
            self._blocked(entry, chat_id)
            report.blocked += 1
            return
        except Exception as exc:  # drawing, ranking or sending: this reader's, not everyone's
            self._failed(entry, now, exc)
            report.failed += 1
            report.errors.append(error_text(exc))
            return
        set_status(self.db, entry.id, "sent")
        report.sent += 1

    async def deliver_claimed(self, entry_id: int, *, thread_id: int | None = DIGEST_TOPIC) -> None:
        """Send entry `entry_id`, which the caller claimed (/digest), now: in a group, into
        the topic it was asked in (`thread_id`)."""
        entry = delivery_by_id(self.db, entry_id)
        if entry is not None:
            await self.deliver(entry, datetime.now(UTC), claimed=True, thread_id=thread_id)

    def _blocked(self, entry: Delivery, chat_id: int) -> None:
        if chat_id < 0:  # a group that removed the bot: its data kept 30 days, nothing sent
            bot_removed(self.db, chat_id)
        else:
            update_user(self.db, chat_id, blocked=1)
        record_failure(self.db, entry.id, "blocked by the user", retry_at_utc=None)
        log.info("%s %d: chat %d blocked the bot", entry.kind, entry.id, chat_id)

    def _failed(self, entry: Delivery, now: datetime, exc: Exception) -> None:
        error = error_text(exc)
        trace = None if isinstance(exc, SendFailed) else exc  # our bug, not the channel's
        attempts = entry.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            record_failure(self.db, entry.id, error, retry_at_utc=None)
            log.error(
                "%s %d to chat %d failed for good: %s",
                entry.kind,
                entry.id,
                entry.chat_id,
                error,
                exc_info=trace,
            )
            return
        retry = now + timedelta(seconds=RETRY_BASE_S * 2 ** (attempts - 1))
        record_failure(self.db, entry.id, error, retry_at_utc=iso(retry))
        log.warning(
            "%s %d to chat %d failed (%s); retrying at %s",
            NAMES.get(entry.kind, entry.kind),
            entry.id,
            entry.chat_id,
            error,
            iso(retry),
            exc_info=trace,
        )
