"""The assistant behind every front end: commands, questions and button presses in, replies
out. Telegram handlers and `paperboy chat` both call this; neither holds decisions."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import sqlite_utils

from bot.answers import answer, answer_html
from bot.answers.retrieve import digest_numbering
from bot.assistant.commands import COMMANDS, Command
from bot.assistant.frontend import Chat
from bot.assistant.intent_nearest import NearestIntent
from bot.assistant.intents import SMALLTALK, Intent, read_intent, short_name
from bot.assistant.library import import_file
from bot.assistant.requests import carry_out
from bot.assistant.understanding import understand
from bot.config import Settings
from bot.digests.desk import DigestDesk
from bot.fulltext import read_options
from bot.llm import LLMClient
from bot.messages.callbacks import encode
from bot.messages.html import echo, split_html
from bot.messages.replies import Button, Reply
from bot.ranking.embedders import Embedder
from bot.ranking.interests import (
    MAX_INTERESTS,
    Interest,
    InterestError,
    parse_interest,
    split_interests,
    topics_from_sentence,
)
from bot.writing.topics import topics_by_llm
from storage.interests import add_interest, list_interests
from storage.turns import answered, questions_since, set_turn_message_id
from storage.users import User, ensure_user, update_user

log = logging.getLogger(__name__)


class Conversation:
    def __init__(
        self,
        db: sqlite_utils.Database,
        settings: Settings,
        llm: LLMClient,
        *,
        embedder: Embedder | None = None,
        desk: DigestDesk | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.settings = settings
        self.llm = llm
        # The service passes its one desk (shared with the sweep); alone, e.g. in `paperboy
        # chat`, the conversation builds its own.
        self.desk = desk or DigestDesk(db, settings, llm, embedder)
        self.embedder = self.desk.embedder
        self.nearest = NearestIntent(self.embedder) if self.embedder is not None else None
        self.clock = clock
        self.commands: dict[str, Command] = COMMANDS
        # Chats onboarding since /start: plain messages that look like topics are added
        # until Done, a command or a question. In memory on purpose: after a restart such a
        # message is read as a question (or as topics, while the chat follows nothing).
        self.collecting: set[int] = set()
        # Each chat's last request in words, in memory: "undo that" reverses it.
        self.last_request: dict[int, Intent] = {}

    def user(self, chat: Chat) -> User:
        user = ensure_user(self.db, chat.id, chat.first_name)
        if user.blocked:  # they wrote to us, so they unblocked the bot
            update_user(self.db, chat.id, blocked=0)
        return user

    def is_admin(self, chat: Chat) -> bool:
        return chat.id in self.settings.admin_ids

    async def command(self, chat: Chat, name: str, args: str) -> list[Reply]:
        """Run `/name args` for `chat`; unknown (or not-for-you) commands get help."""
        self.user(chat)
        if name.lower() == "start":
            self.collecting.add(chat.id)  # the next plain message holds the first interests
        elif name.lower() not in ("add", "subscribe"):
            self.collecting.discard(chat.id)
        command = self.commands.get(name.lower())
        if command is None or (command.admin_only and not self.is_admin(chat)):
            return [
                Reply(
                    f"I don't know /{echo(name, 40)}. Here is what I can do:\n\n"
                    + self.help_text(chat)
                )
            ]
        return await command.handler(self, chat, args.strip())

    async def text(
        self, chat: Chat, text: str, reply_to: int | None = None, message_id: int | None = None
    ) -> list[Reply]:
        """Plain text: interests while onboarding, a greeting, otherwise a question.
        `message_id` (the user's Telegram message) lets a question handled twice after a
        crash be recognised and not answered again."""
        if message_id is not None and answered(self.db, chat.id, message_id):
            return []
        user = self.user(chat)
        text = text.strip()
        if not text:
            return [Reply("Send me a question about your papers, or /help.")]
        onboarding = not list_interests(self.db, user.chat_id) or chat.id in self.collecting
        if reply_to is None and chat.id in self.collecting and text.lower().strip(" .!") in DONE:
            return self.onboarding_done(chat) or [Reply("Send a topic first, then Done.")]
        said = topics_from_sentence(text) if reply_to is None else []
        if said:
            # "I work on X and Y, mostly Z": topics, whatever their length.
            said = await topics_by_llm(self.llm, text, said)
            self.collecting.add(chat.id)
            return self.add_interests(chat, "\n".join(said), onboarding=True)
        if reply_to is None and onboarding and _looks_like_topics(text):
            # "help", "thanks" are not topics ("NLP", "RLHF" are, though the small-talk
            # reading takes a lone word without vowels for a grunt)
            aside = read_intent(text)
            greeting = text.lower().strip(" .!") in SMALLTALK
            if aside.kind == "command" or (aside.kind == "smalltalk" and greeting):
                return await carry_out(self, chat, aside, reply_to) or []
            # Topics often come one message at a time: keep collecting until Done.
            self.collecting.add(chat.id)
            return self.add_interests(chat, text, onboarding=True)
        self.collecting.discard(chat.id)  # a request or question ends onboarding
        intent = await understand(
            text,
            self.last_request.get(chat.id),
            nearest=self.nearest,
            llm=self.llm,
            names=self.paper_names(chat, reply_to),
        )
        done = await carry_out(self, chat, intent, reply_to)
        if done is not None:
            self.last_request[chat.id] = intent  # what "undo that" reverses
            return done
        return await self.question(chat, text, reply_to, message_id)

    async def question(
        self,
        chat: Chat,
        text: str,
        reply_to: int | None = None,
        message_id: int | None = None,
    ) -> list[Reply]:
        limit = self.settings.questions_per_hour
        hour_ago = (self.clock() - timedelta(hours=1)).isoformat(timespec="seconds")
        if questions_since(self.db, chat.id, hour_ago) >= limit:
            return [
                Reply(
                    f"You've asked {limit} questions in the last hour, my limit for now. "
                    "Please try again a little later."
                )
            ]
        result = await answer(
            self.db,
            self.llm,
            chat.id,
            text,
            reply_to_message_id=reply_to,
            question_message_id=message_id,
            read=read_options(self.settings),
            embedder=self.embedder,
            deadline_s=self.settings.answer_deadline,
        )
        parts = split_html(answer_html(result))
        if len(parts) > MAX_ANSWER_MESSAGES:  # no answer is worth a screenful of messages
            parts = [*parts[: MAX_ANSWER_MESSAGES - 1], "(The rest of this answer was cut.)"]
        return [
            Reply(part, turn_id=result.turn_id if i == 0 else None) for i, part in enumerate(parts)
        ]

    async def document(self, chat: Chat, filename: str, payload: bytes) -> list[Reply]:
        """A file the reader sent: their bibliography to import."""
        return await import_file(self, chat, filename, payload)

    def add_interests(self, chat: Chat, text: str, *, onboarding: bool = False) -> list[Reply]:
        added, problems = [], []
        current = len(list_interests(self.db, chat.id))
        for typed in split_interests(text):
            try:
                interest = parse_interest(typed)
            except InterestError as exc:
                problems.append(str(exc))
                continue
            if current >= MAX_INTERESTS:
                problems.append(
                    f"You have {MAX_INTERESTS} interests, the most I keep. "
                    "Remove one with /interests first."
                )
                break
            if add_interest(self.db, chat.id, interest.kind, interest.text):
                added.append(interest.label())
                current += 1
            else:
                problems.append(f"You already follow “{interest.label()}”.")
        lines = [f"✅ Added: {', '.join(_safe(a) for a in added)}"] if added else []
        lines += [_safe(p) for p in dict.fromkeys(problems)][:MAX_PROBLEMS_SHOWN]
        if len(set(problems)) > MAX_PROBLEMS_SHOWN:
            lines.append(f"… and {len(set(problems)) - MAX_PROBLEMS_SHOWN} more problems.")
        if onboarding:
            lines.append("Send more topics (one message each is fine), or tap Done.")
            return [Reply("\n".join(lines), ((Button("✅ Done", encode("onb", "done")),),))]
        return [Reply("\n".join(lines))]

    def paper_names(self, chat: Chat, reply_to: int | None) -> dict[str, int]:
        """The short names of the digest replied to (else the latest) and their numbers:
        "keep the Splitwise paper" means its number there."""
        numbering = digest_numbering(self.db, chat.id, reply_to)
        named = [(short_name(paper.title), n) for n, paper in numbering]
        return {name: n for name, n in named if name}

    def onboarding_done(self, chat: Chat) -> list[Reply] | None:
        """Stop collecting topics; say what the reader follows and offer the first digest
        (None while they follow nothing)."""
        self.collecting.discard(chat.id)
        stored = list_interests(self.db, chat.id)
        followed = [Interest(i.kind, i.text).label() for i in stored]  # type: ignore[arg-type]
        if not followed:
            return None
        text = (
            f"👍 You follow {len(followed)}: {html.escape(', '.join(followed))}.\n"
            f"{self.schedule_line(self.user(chat))} Want today's digest now? Rating a few "
            "papers first (👍/👎) makes it yours from day one."
        )
        offer = (
            (Button("🎯 Rate 5 papers first", encode("onb", "rate")),),
            (Button("📰 Send my first digest", encode("onb", "digest")),),
        )
        return [Reply(text, offer)]

    def schedule_line(self, user: User) -> str:
        state = " (paused: /resume)" if user.paused else ""
        if user.paused and user.paused_until:
            until = date.fromisoformat(user.paused_until)
            state = f" (paused until {until:%a %-d %b}; /resume brings it back sooner)"
        return f"Your digest comes daily at {user.digest_time} ({_safe(user.timezone)}){state}."

    def help_text(self, chat: Chat) -> str:
        lines = [
            "<b>Paperboy</b> sends you a daily digest of new papers matched to your "
            "interests, and answers questions about them.",
            "",
        ]
        for command in self.commands.values():
            if command.admin_only and not self.is_admin(chat):
                continue
            usage = f" {_safe(command.usage)}" if command.usage else ""
            lines.append(f"/{command.name}{usage} — {_safe(command.summary)}")
        lines += [
            "",
            "Interests: a topic in a few words (<code>speculative decoding</code>), "
            "<code>author: Tri Dao</code>, <code>not: medical imaging</code>, or an arXiv "
            "category <code>cat: cs.CL</code> (alone: that category's papers; with topics: "
            "the topics within it; list at arxiv.org/category_taxonomy).",
            "",
            "Any other message is a question (“main result of paper 1?”, “tl;dr of "
            "paper 3”, “how does it compare to paper 1?”; reply to a digest to ask about "
            "its papers) or a request in words, in English, German, Spanish or French: "
            "“save paper 2”, “paper 3 👎”, “also follow LLM agents”, “stop following the "
            "serving one”, "
            "“not interested in robotics”, “send it at 7:30”, “only 3 papers a day”, “i moved "
            "to Tokyo”, “pause "
            "for a week”, “why paper 4?”, “more like paper 2”, “undo that”. When I am "
            "not sure what you mean, I ask.",
        ]
        return "\n".join(lines)

    def sent(self, chat: Chat, reply: Reply, message_id: int) -> None:
        """The front end sent `reply` as Telegram message `message_id`: remember it."""
        self.desk.message_sent(reply, message_id)
        if reply.turn_id is not None:
            set_turn_message_id(self.db, reply.turn_id, message_id)

    def digest_sent(self, delivery_id: int) -> None:
        self.desk.finished(delivery_id)


DONE = frozenset(
    {"done", "that's all", "thats all", "that's it", "finished", "ok done", "all done"}
)


QUESTION_WORDS = frozenset(
    "what how why which who whom whose when where does do did is are was were can could "
    "should would will explain summarise summarize compare tell show give list describe "
    "define".split()
)
MAX_ANSWER_MESSAGES = 5
MAX_PROBLEMS_SHOWN = 5  # `/add a;a;a;…` must not answer with one line per duplicate


def _looks_like_topics(text: str) -> bool:
    """A few short lines, without a question mark and not opening like a question or a
    request, read as topics."""
    lines = [line for line in text.splitlines() if line.strip()]
    first = text.split(maxsplit=1)[0].lower().strip(",.:!") if text.split() else ""
    return (
        "?" not in text
        and first not in QUESTION_WORDS
        and all(len(line.split()) <= 8 for line in lines)
        and len(lines) <= 30
    )


def _safe(text: str) -> str:
    return html.escape(text)
