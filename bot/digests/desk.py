"""The one owner of a digest's life, built once from Settings: choose a reader's digest,
write it to the outbox and render its messages for the one outbox sender
(bot/delivery/outbox.py), which sends it. The delivery sweep, /digest, `paperboy digest`,
`paperboy chat` and the demo all go through it."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import sqlite_utils

from bot.config import Settings
from bot.delivery.outbox import CLAIM_S, iso
from bot.digests.choose import DayContext, DayContexts, Digest, digest_for, off_loop
from bot.digests.outbox import unsent_replies, write_digest
from bot.digests.render import render_html
from bot.llm import LLMClient
from bot.messages.replies import Reply
from bot.ranking import Profile
from bot.ranking.embedders import Embedder
from bot.ranking.profiles import load_profile
from bot.ranking.samples import papers_to_rate
from bot.writing.personal import NoteWriter
from storage.deliveries import (
    Delivery,
    DigestExists,
    claim_delivery,
    delivery_for_day,
    release_claims,
    set_message_id,
    set_status,
)
from storage.interests import list_interests
from storage.papers import Paper, latest_day
from storage.users import User, get_user

log = logging.getLogger(__name__)

# An empty digest asked for on demand is shown, not recorded: the user may change interests.
ON_DEMAND_EMPTY: dict[str, str | None] = {"nothing_matched": None, "no_papers": None}


class DigestDesk:
    def __init__(
        self,
        db: sqlite_utils.Database,
        settings: Settings,
        llm: LLMClient,
        embedder: Embedder | None = None,
    ) -> None:
        self.db, self.settings, self.llm = db, settings, llm
        self.embedder = embedder
        # One indexed day for everyone: /digest and every sweep share it.
        self.day_contexts = DayContexts(embedder, llm if settings.expand_interests else None)

    def note_writer(self) -> NoteWriter | None:
        """A writer for personal notes (None when no LLM or personal notes are off). One per
        sweep or request: readers with the same inputs share a call, and no digest waits for
        its note longer than PAPERBOY_LLM_PERSONAL_WAIT."""
        wait = self.settings.personal_wait_s
        if wait is None or not self.llm.enabled:
            return None
        return NoteWriter(self.db, self.llm, wait_s=wait)

    async def today(self, interests: Sequence[str] = ()) -> DayContext | None:
        """The latest stored day, indexed (None before the first ingest)."""
        day = latest_day(self.db)
        return await self.day_contexts.get(self.db, day, interests) if day else None

    async def to_rate(self, chat_id: int, n: int = 5) -> list[Paper]:
        """A few of the latest day's papers near the reader's interests, varied, for them
        to rate in their first minute (none before the first ingest)."""
        profile = load_profile(self.db, chat_id)
        ctx = await self.today([i.text for i in profile.interests if i.kind == "topic"])
        if ctx is None:
            return []
        return await off_loop(ctx.ranker, profile, lambda: papers_to_rate(ctx.ranker, profile, n))

    async def write(
        self,
        ctx: DayContext | None,
        user: User,
        local_day: str,
        *,
        writer: NoteWriter | None,
        on_demand: bool,
        summarize: bool = True,
        claimed_until_utc: str | None = None,
    ) -> tuple[int | None, Digest]:
        """Choose `user`'s digest from `ctx` and write it to the outbox. Scheduled, an empty
        digest is kept (or skipped, per PAPERBOY_EMPTY_DIGEST); on demand it is only shown."""
        if on_demand:
            empty = ON_DEMAND_EMPTY
        else:
            skip = self.settings.empty_digest == "skip"
            empty = {"nothing_matched": "skipped" if skip else "pending"}
        return await write_digest(
            self.db,
            self.llm,
            ctx,
            user,
            local_day,
            use_rerank=self.settings.llm_rerank,
            empty_status=empty,
            summarize=summarize,
            writer=writer,
            claimed_until_utc=claimed_until_utc,
        )

    def replies(self, delivery: Delivery, language: str, *, again: bool = False) -> list[Reply]:
        """The digest's messages still to send (all of them `again`), as it was written."""
        return unsent_replies(self.db, delivery, self.llm.model, language, all_=again)

    async def parts(self, entry: Delivery) -> list[Reply]:
        """For the outbox sender: the digest's messages not yet accepted by Telegram."""
        user = get_user(self.db, entry.chat_id)
        return self.replies(entry, (user.language if user else None) or "en")

    def claim(self, delivery: Delivery, now: datetime) -> bool:
        """Take `delivery` for sending; False when another sender has it."""
        return claim_delivery(self.db, delivery.id, iso(now), iso(now + timedelta(seconds=CLAIM_S)))

    def resume(self) -> None:
        """At service start (one service per database): outbox entries claimed by a sender
        that died with the last process are free to go out again."""
        released = release_claims(self.db)
        if released:
            log.info("%d outbox entries interrupted mid-send will be resumed", released)

    def message_sent(self, reply: Reply, message_id: int) -> None:
        """A digest message went out as Telegram message `message_id`: recorded at once, so
        a crash a moment later neither loses nor repeats it."""
        if reply.delivery_id is not None and reply.paper_ids:
            set_message_id(self.db, reply.delivery_id, reply.paper_ids, message_id)

    def finished(self, delivery_id: int) -> None:
        """All of the digest's messages are out (its claim ends with it)."""
        set_status(self.db, delivery_id, "sent")

    async def on_demand(self, user: User, today: str, now: datetime) -> list[Reply]:
        """/digest: today's digest, written now and claimed for the caller, who has the
        outbox sender send it (a Reply with its outbox_id); if it exists, what is left of
        it (claimed) or, once sent, all of it again."""
        language = user.language or "en"
        existing = delivery_for_day(self.db, user.chat_id, today)
        if existing is not None:
            if existing.status in ("sent", "failed", "skipped"):
                return [
                    Reply("Here is today's digest again:"),
                    *self.replies(existing, language, again=True),
                ]
            if not self.claim(existing, now):
                return [Reply("Today's digest is on its way: it arrives in a moment.")]
            return [Reply("", outbox_id=existing.id)]
        topics = [i.text for i in list_interests(self.db, user.chat_id) if i.kind == "topic"]
        ctx = await self.today(topics)
        writer = self.note_writer()
        try:
            delivery_id, chosen = await self.write(
                ctx,
                user,
                today,
                writer=writer,
                on_demand=True,
                claimed_until_utc=iso(now + timedelta(seconds=CLAIM_S)),
            )
        except DigestExists:
            # The daily sweep wrote today's digest while this one waited for the LLM.
            return await self.on_demand(user, today, now)
        finally:
            if writer is not None:
                await writer.aclose()
        if delivery_id is None:
            return [Reply(m.text) for m in render_html(chosen)]
        return [Reply("", outbox_id=delivery_id)]

    async def preview(
        self,
        day: str,
        profile: Profile,
        *,
        limit: int = 5,
        language: str = "en",
        exclude_ids: Collection[str] = (),
    ) -> Digest:
        """The digest `profile` would get from `day`, outside the outbox (`paperboy digest`,
        the demo): the same choice, personal note and summaries as a delivered one."""
        topics = [i.text for i in profile.interests if i.kind == "topic"]
        ctx = await self.day_contexts.get(self.db, day, topics)
        writer = self.note_writer()
        try:
            return await digest_for(
                ctx,
                self.db,
                profile,
                self.llm,
                limit=limit,
                language=language,
                exclude_ids=exclude_ids,
                use_rerank=self.settings.llm_rerank,
                writer=writer,
            )
        finally:
            if writer is not None:
                await writer.aclose()
