"""`paperboy chat`: the bot in a terminal, offline, on the bundled sample day (or days).

It drives the same assistant the Telegram handlers drive. Messages are numbered [#n] and
message n's buttons [bn.1], [bn.2], …: type `bn.k` to press one (`bk` presses the latest
message's), `@n question` to reply to message n, `/import FILE` to send a local file.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import click
import sqlite_utils

from bot.assistant import ButtonOutcome, Chat, Conversation, Reply, press
from bot.assistant.group import Place, group_command, group_press, group_question, setup_text
from bot.cli.app import cli
from bot.cli.library import cli_embedder
from bot.config import Settings
from bot.delivery.outbox import OutboxSender
from bot.llm import LLMClient
from bot.messages.callbacks import decode
from bot.messages.html import to_plain
from bot.messages.replies import Button, Keyboard, fitted
from bot.sources import SourceDay, SourceError, load_day
from bot.sources.bibliography import MAX_FILE_BYTES
from bot.sources.hf_json import ParsedDay
from bot.sources.ingest import store_day
from storage import open_db
from storage.groups import ensure_group
from storage.users import get_user

TERMINAL_CHAT = Chat(1, "you")
_REPLY = re.compile(r"^@(\d{1,9})\s+(.+)$", re.DOTALL)
_BUTTON = re.compile(r"^b(?:(\d{1,9})\.)?(\d{1,9})$", re.IGNORECASE)
_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})")
BIBLIOGRAPHY = (".bib", ".ris", ".json")  # what `/import PATH` sends as a file
MAX_DAYS = 14  # /week's picture and the week before it, which its caption compares with
OLD = "that button belongs to an old message that no longer applies"
# `paperboy chat --group`: a group (no topics) with its admin ada and two members.
GROUP_CHAT = Chat(-1001234567, "Paper club")
GROUP_MEMBERS = {"ada": 101, "bob": 102, "cy": 103}
GROUP_ADMINS = frozenset({"ada"})
BOT_NAME = "paperboy_bot"
_SPEAKER = re.compile(r"^@(ada|bob|cy):\s*(.*)$", re.IGNORECASE | re.DOTALL)
_MENTION = re.compile(rf"@{BOT_NAME}\b", re.IGNORECASE)
UNSEEN = (
    "(the bot does not see this: in a group, Telegram sends it only commands, replies to "
    f"its messages (@n text) and messages mentioning @{BOT_NAME})"
)


@dataclass
class Shown:
    """A message on the screen, and its buttons by the numbers they were shown with."""

    keyboard: Keyboard = ()  # as the bot last set it; sent with a press, as Telegram does
    slots: list[Button | None] = field(default_factory=list)  # None: the bot took it away
    stale: str | None = None  # why none of its buttons applies any more


@dataclass
class Screen:
    """What has been shown: numbered messages (the number is the message id) and which
    message's buttons a bare `bN` presses."""

    messages: dict[int, Shown] = field(default_factory=dict)
    latest: int | None = None  # the latest message shown with buttons


class TerminalTransport:
    """The outbox sender's transport here: a message sent is a message on the screen."""

    def __init__(self, terminal: TerminalChat) -> None:
        self.terminal = terminal

    async def send(
        self, chat_id: int, reply: Reply, thread_id: int | None = None
    ) -> tuple[int, int]:
        number, lines = self.terminal.render(reply)
        self.terminal.delivered += lines
        return chat_id, number


class TerminalChat:
    def __init__(self, conv: Conversation, chat: Chat = TERMINAL_CHAT) -> None:
        self.conv = conv
        self.chat = chat
        self.screen = Screen()
        self.outbox = OutboxSender(conv.db, TerminalTransport(self), {"digest": conv.desk})
        self.delivered: list[str] = []  # what the outbox sender put on the screen

    @property
    def prompt(self) -> str:
        """Who types the next line."""
        return "you"

    async def handle(self, line: str) -> list[str]:
        """One line typed by the user → what the terminal prints."""
        line = line.strip()
        if not line:
            return []
        if match := _BUTTON.match(line):
            lines = await self._press(match[1], int(match[2]))
        elif (path := bibliography_path(line)) is not None:
            lines = await self.send_file(path)
        elif line.startswith("/"):
            head, _, args = line.partition(" ")
            lines = await self._show(await self.conv.command(self.chat, head[1:], args))
        else:
            lines = await self._text(line)
        self._after_forget()
        return lines

    async def send_file(self, path: Path) -> list[str]:
        """A local file sent as a document, as Telegram's paperclip sends one."""
        try:
            size = path.stat().st_size
            if not path.is_file():
                return [f"({path} is not a file: /import takes a .bib, .ris or CSL-JSON file)"]
            if size > MAX_FILE_BYTES:
                mb = MAX_FILE_BYTES // 1_000_000
                return [f"({path} is {size // 1000:,} KB; at most {mb} MB can be imported)"]
            payload = path.read_bytes()
        except FileNotFoundError:
            return [f"(there is no file {path}: /import takes a .bib, .ris or CSL-JSON file)"]
        except OSError as exc:
            return [f"(cannot read {path}: {exc.strerror})"]
        sent = f"  (you send the file {path.name}, {size:,} bytes)"
        return [sent, *await self._show(await self.conv.document(self.chat, path.name, payload))]

    async def _text(self, line: str) -> list[str]:
        reply_to = None
        if match := _REPLY.match(line):
            reply_to = int(match[1])
            if reply_to not in self.screen.messages:
                return [f"(there is no message #{match[1]})"]
            line = match[2]
        return await self._show(await self.conv.text(self.chat, line, reply_to))

    async def _press(self, message: str | None, k: int) -> list[str]:
        number = int(message) if message is not None else self.screen.latest
        shown = self.screen.messages.get(number) if number is not None else None
        if number is None or shown is None or not 1 <= k <= len(shown.slots):
            return [f"(there is no button b{message + '.' if message else ''}{k})"]
        button = shown.slots[k - 1]
        if shown.stale is not None:
            return [f"({OLD}: {shown.stale})"]
        if button is None:
            return [f"(that button no longer applies: the bot changed #{number}'s buttons since)"]
        outcome = await self._pressed(button.data, shown.keyboard)
        lines = [f"  [b{number}.{k}] {button.text} → ({outcome.toast})"]
        lines += self._edited(number, shown, outcome)
        return lines + await self._show(list(outcome.replies))

    async def _pressed(self, data: str, keyboard: Keyboard) -> ButtonOutcome:
        return await press(self.conv, self.chat, data, keyboard)

    def _edited(self, number: int, shown: Shown, outcome: ButtonOutcome) -> list[str]:
        """The pressed message as the bot changed it: new text, new or fewer buttons."""
        keyboard = outcome.keyboard
        if outcome.edit_html is not None:
            keyboard = keyboard or ()  # an edit without buttons leaves none (as in Telegram)
        if keyboard is None:
            return []
        before = list(shown.slots)
        rekey(shown, keyboard)
        if outcome.edit_html is not None:
            return [f"[#{number}, edited] {to_plain(outcome.edit_html)}", *labels(number, shown)]
        if not keyboard:
            return [f"    (message #{number} has no buttons any more)"]
        changed = [
            f"[b{number}.{k}] {b.text}"
            for k, b in enumerate(shown.slots, 1)
            if b is not None and (k > len(before) or before[k - 1] != b)
        ]
        return [f"    now: {'  '.join(changed)}"] if changed else []

    async def _show(self, replies: list[Reply]) -> list[str]:
        lines: list[str] = []
        for reply in fitted(replies):
            if reply.outbox_id is not None:  # /digest: the outbox sender shows it, as it sends
                await self.outbox.deliver_claimed(reply.outbox_id)
                lines += self.delivered
                self.delivered = []
                continue
            number, shown_lines = self.render(reply)
            self.conv.sent(self.chat, reply, number)
            lines += shown_lines
        for delivery_id in {r.delivery_id for r in replies if r.delivery_id is not None}:
            self.conv.digest_sent(delivery_id)
        return lines

    def render(self, reply: Reply) -> tuple[int, list[str]]:
        """One message on the screen: its number (the message id) and its lines."""
        number = len(self.screen.messages) + 1
        self.screen.messages[number] = shown = Shown()
        if reply.photo is not None:
            saved = Path(tempfile.gettempdir()) / f"paperboy-{number}-{reply.photo.filename}"
            saved.write_bytes(reply.photo.content)
            return number, [
                f"[#{number}] 🖼 {to_plain(reply.photo.caption)}\n(picture saved: {saved})"
            ]
        if reply.document is not None:
            return number, [
                f"[#{number}] 📎 {reply.document.filename} "
                f"({reply.document.caption}):\n{reply.document.content.decode()}"
            ]
        lines = [f"[#{number}] {to_plain(reply.html)}"]
        if any(reply.buttons):
            self._supersede(_onboarding(reply.buttons))
            rekey(shown, reply.buttons)
            self.screen.latest = number
            lines += labels(number, shown)
        return number, lines

    def _supersede(self, onboarding: bool) -> None:
        """A new onboarding choice (Done, the first digest) replaces the older ones."""
        if not onboarding:
            return
        for shown in self.screen.messages.values():
            if shown.stale is None and _onboarding(shown.keyboard):
                rekey(
                    shown, tuple(tuple(b for b in row if not _is_onb(b)) for row in shown.keyboard)
                )
                if shown.stale is not None:
                    shown.stale = "a newer message asks the same"

    def _after_forget(self) -> None:
        """After /forget went through, nothing shown before it applies to anyone."""
        if self.screen.messages and get_user(self.conv.db, self.chat.id) is None:
            for shown in self.screen.messages.values():
                if shown.stale is None:
                    shown.stale = "everything from before /forget was deleted"


def rekey(shown: Shown, keyboard: Keyboard) -> None:
    """The message's buttons are now `keyboard`: each number keeps its button (known by what
    it does, its label may change) or is gone; new buttons get new numbers."""
    fresh = {b.data: b for row in keyboard for b in row}
    shown.slots = [fresh.pop(b.data, None) if b else None for b in shown.slots]
    shown.slots += fresh.values()
    shown.keyboard = tuple(row for row in keyboard if row)
    if shown.slots and not shown.keyboard:
        shown.stale = "the bot took its buttons away"


def labels(number: int, shown: Shown) -> list[str]:
    """One line per row of buttons: `    [b5.1] 1 👍  [b5.2] 1 👎`."""
    at = {b.data: k for k, b in enumerate(shown.slots, 1) if b is not None}
    return [
        "    " + "  ".join(f"[b{number}.{at[b.data]}] {b.text}" for b in row)
        for row in shown.keyboard
    ]


def _is_onb(button: Button) -> bool:
    decoded = decode(button.data)
    return decoded is not None and decoded[0] == "onb"


def _onboarding(keyboard: Keyboard) -> bool:
    return any(_is_onb(b) for row in keyboard for b in row)


def bibliography_path(line: str) -> Path | None:
    """`/import PATH` naming a .bib/.ris/.json file (which may not exist); else None, and
    the line is the ordinary /import (arXiv ids)."""
    head, _, args = line.partition(" ")
    typed = args.strip().strip("'\"")
    if head.lower() != "/import" or not typed:
        return None
    path = Path(typed).expanduser()
    return path if path.suffix.lower() in BIBLIOGRAPHY else None


class GroupChat(TerminalChat):
    """The terminal as a Telegram group (lab mode) with three members: ada (its admin), bob
    and cy. `@bob: text` makes bob speak, until another prefix. As in a group with privacy
    mode on, the bot reads only commands, replies to its messages (`@n text`) and messages
    mentioning it; everything it does is bot/assistant/group.py's."""

    def __init__(self, conv: Conversation) -> None:
        super().__init__(conv, GROUP_CHAT)
        self.speaker = "ada"

    @property
    def prompt(self) -> str:
        return self.speaker

    def speaks(self, line: str) -> str:
        """Take a leading `@name:` (who speaks from now on) off the line."""
        if match := _SPEAKER.match(line.strip()):
            self.speaker = match[1].lower()
            return match[2]
        return line

    async def added(self) -> list[str]:
        """The bot added to the group: its one set-up message."""
        self._place()
        return await self._show([Reply(setup_text(BOT_NAME))])

    def _place(self) -> Place:
        """The group, stored (again, after a /forget) as each update from it does in Telegram."""
        ensure_group(self.conv.db, GROUP_CHAT.id, GROUP_CHAT.first_name, "supergroup")
        return Place(GROUP_CHAT)

    async def handle(self, line: str) -> list[str]:
        line = self.speaks(line).strip()
        if not line:
            return []
        if match := _BUTTON.match(line):
            lines = await self._press(match[1], int(match[2]))
        elif line.startswith("/"):
            lines = await self._command(line)
        else:
            lines = await self._said(line)
        self._after_forget()
        return lines

    async def _admin(self) -> bool:
        return self.speaker in GROUP_ADMINS

    async def _command(self, line: str) -> list[str]:
        head, _, args = line.partition(" ")
        name, _, target = head[1:].partition("@")
        if target and target.lower() != BOT_NAME:
            return [f"(a command for @{target}, not for this bot: it stays silent)"]
        replies = await group_command(
            self.conv,
            self._place(),
            name,
            args,
            admin=self._admin,
            addressed=bool(target),
            bot_name=BOT_NAME,
        )
        if replies is None:
            return [f"(no reply: /{name} may be another bot's; /{name}@{BOT_NAME} asks this one)"]
        return await self._show(replies)

    async def _said(self, line: str) -> list[str]:
        """A reply to one of the bot's messages, or a mention of it: a question."""
        reply_to = None
        if match := _REPLY.match(line):
            reply_to = int(match[1])
            if reply_to not in self.screen.messages:
                return [f"(there is no message #{match[1]})"]
            line = match[2]
        text, mentioned = _MENTION.subn(" ", line)
        if reply_to is None and not mentioned:
            return [UNSEEN]
        chat, asked = self._place().chat, " ".join(text.split())
        return await self._show(await group_question(self.conv, chat, asked, reply_to, None))

    async def _pressed(self, data: str, keyboard: Keyboard) -> ButtonOutcome:
        chat, member = self._place().chat, GROUP_MEMBERS[self.speaker]
        return await group_press(self.conv, chat, member, data, keyboard, admin=self._admin)


@dataclass(frozen=True)
class Setup:
    """What the session starts from: its days of papers and the reader's own files."""

    lexical_only: bool = False
    days: int = 1
    papers: tuple[Path, ...] = ()
    imports: tuple[Path, ...] = ()
    group: bool = False  # a group with three members instead of a private chat


async def store_days(db: sqlite_utils.Database, setup: Setup) -> str:
    """Store the session's papers; say what they are. Raises SourceError."""
    if setup.papers:
        return await _store_files(db, setup.papers)
    sample = await load_day("sample", None, papers_url="")
    if setup.days == 1:
        store_day(db, sample)
        return "on the bundled sample day"
    last = date.fromisoformat(sample.day)
    for back in reversed(range(setup.days)):  # oldest first; paper i listed i mod N days back
        listed = ParsedDay(sample.parsed.papers[back :: setup.days], [])
        store_day(db, SourceDay("sample", (last - timedelta(days=back)).isoformat(), listed))
    first = (last - timedelta(days=setup.days - 1)).isoformat()
    return (
        f"on the bundled sample day spread over {setup.days} days ({first} to {sample.day}; "
        f"its {len(sample.parsed.papers)} papers dealt out by position)"
    )


async def _store_files(db: sqlite_utils.Database, paths: tuple[Path, ...]) -> str:
    loaded = [await load_day(f"file:{p}", file_day(p), papers_url="") for p in paths]
    days = sorted(d.day for d in loaded)
    if len(set(days)) < len(days):
        raise SourceError(f"two files list the same day ({', '.join(days)}): give one per day")
    for one in sorted(loaded, key=lambda d: d.day):
        store_day(db, one)
    return f"on {len(days)} day(s) of papers from your files ({', '.join(days)})"


def file_day(path: Path) -> str:
    """The day a Daily Papers file lists: its papers' submittedOnDailyAt, else the date its
    name starts with (2026-07-31.json). Raises SourceError."""
    try:
        items: Any = json.loads(path.read_bytes())
    except (OSError, ValueError):
        items = None
    listed = Counter(
        str(item["paper"].get("submittedOnDailyAt") or "")[:10]
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and isinstance(item.get("paper"), dict)
    )
    listed.pop("", None)
    candidates = [day for day, _ in listed.most_common(1)]
    if match := _DATED.match(path.name):
        candidates.append(match[1])
    for candidate in candidates:
        try:
            return date.fromisoformat(candidate).isoformat()
        except ValueError:
            continue
    raise SourceError(
        f"cannot tell which day {path} lists: name it after the day, e.g. 2026-07-31.json"
    )


async def _session(settings: Settings, setup: Setup, script: list[str] | None) -> None:
    with tempfile.TemporaryDirectory(prefix="paperboy-chat-") as tmp:
        db = open_db(Path(tmp) / "chat.db")
        llm = LLMClient(settings, db)
        try:
            what = await store_days(db, setup)
            embedder = cli_embedder(settings, setup.lexical_only, llm)
            conv = Conversation(db, settings, llm, embedder=embedder)
            chat = GroupChat(conv) if setup.group else TerminalChat(conv)
            click.echo(_welcome(what, setup.group))
            if isinstance(chat, GroupChat):
                click.echo(f"(ada adds @{BOT_NAME} to the group)")
                for out in await chat.added():
                    click.echo(out)
                click.echo()
            for path in setup.imports:
                click.echo(f"you> (--import {path})")
                for out in await chat.send_file(path):
                    click.echo(out)
                click.echo()
            lines = iter(script) if script is not None else None
            while True:
                try:
                    line = next(lines) if lines is not None else input(f"{chat.prompt}> ")
                except (EOFError, StopIteration):
                    break
                if lines is not None:
                    said = chat.speaks(line) if isinstance(chat, GroupChat) else line
                    click.echo(f"{chat.prompt}> {said}")
                for out in await chat.handle(line):
                    click.echo(out)
                click.echo()
        except SourceError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            await llm.aclose()
            db.close()


def _welcome(what: str, group: bool) -> str:
    if not group:
        return (
            f"Paperboy in your terminal, {what} (offline). Type /start; `bN` presses "
            "button N of the latest message, `bM.N` button N of message #M; "
            "`@n text` replies to message n; `/import FILE` sends a .bib, .ris or "
            ".json file; Ctrl-D quits.\n"
        )
    return (
        f"Paperboy in a group in your terminal, {what} (offline). The group “"
        f"{GROUP_CHAT.first_name}” has three members: ada (its admin), bob and cy. Start a "
        "line with `@bob:` (or `@ada:`, `@cy:`) to speak as them, until the next one. The "
        f"bot reads commands (`/cmd@{BOT_NAME}` too), replies to its messages (`@n text` "
        f"replies to message n) and messages mentioning @{BOT_NAME}; `bN` presses button N "
        "of the latest message, `bM.N` button N of message #M; Ctrl-D quits.\n"
    )


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@cli.command()
@click.option("--lexical-only", is_flag=True, help="Do not use the local embedding model.")
@click.option(
    "--script",
    type=click.File("r"),
    default=None,
    help="Read the lines to type from a file (- for stdin) instead of the keyboard.",
)
@click.option(
    "--import",
    "imports",
    type=_FILE,
    multiple=True,
    metavar="FILE",
    help="Import your .bib, .ris or CSL-JSON file at the start, as sending it to the bot "
    "does (repeat for more). In the chat, `/import FILE` does the same.",
)
@click.option(
    "--days",
    type=click.IntRange(1, MAX_DAYS),
    default=None,
    metavar="N",
    help="Store N days so /week, /learned and rating over days can be tried: the bundled "
    "sample day (99 papers, one real day) spread over N days ending on its date, paper i "
    "listed (i mod N) days before it. Not N real days: one day dealt out.",
)
@click.option(
    "--papers",
    type=_FILE,
    multiple=True,
    metavar="FILE",
    help="Store real days instead of the sample, one file each (repeat for more): the "
    "Hugging Face Daily Papers API's JSON (e.g. tests/data/hf_api/*.json) or JSON Lines; "
    "the day is its papers' submittedOnDailyAt, else the date its name starts with.",
)
@click.option(
    "--group",
    is_flag=True,
    help="Play a Telegram group (lab mode) instead of a private chat: ada, its admin, and "
    "members bob and cy; a line starting `@bob:` speaks as bob.",
)
@click.pass_obj
def chat(
    settings: Settings,
    lexical_only: bool,
    script: IO[str] | None,
    imports: tuple[Path, ...],
    days: int | None,
    papers: tuple[Path, ...],
    group: bool,
) -> None:
    """Try the bot in a terminal: no token, no network; the bundled sample day (or --days,
    --papers), and your own bibliography with --import; --group plays a group."""
    if days is not None and papers:
        raise click.UsageError("--days spreads the sample day; with --papers each file is a day")
    if group and imports:
        raise click.UsageError("--import is for a private chat: a group has no library")
    lines = None
    if script is not None or not sys.stdin.isatty():
        source = script if script is not None else sys.stdin
        lines = [line.rstrip("\n") for line in source]
    setup = Setup(lexical_only, days or 1, papers, imports, group)
    asyncio.run(_session(settings, setup, lines))
