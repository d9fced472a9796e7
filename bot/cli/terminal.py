"""A private chat with the bot in the terminal: each typed line (a command, text, a reply
to message n, a button press, a file to import) goes to the assistant as Telegram would
send it, and its replies come back as printed lines (bot/cli/screen.py)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.assistant import ButtonOutcome, Chat, Conversation, Reply, press
from bot.cli.screen import Screen
from bot.delivery.outbox import OutboxSender
from bot.messages.replies import Keyboard, fitted
from bot.sources.bibliography import MAX_FILE_BYTES
from storage.users import get_user

TERMINAL_CHAT = Chat(1, "you")
REPLY = re.compile(r"^@(\d{1,9})\s+(.+)$", re.DOTALL)
BUTTON = re.compile(r"^b(?:(\d{1,9})\.)?(\d{1,9})$", re.IGNORECASE)
BIBLIOGRAPHY = (".bib", ".ris", ".json")  # what `/import PATH` sends as a file
OLD = "that button belongs to an old message that no longer applies"


class TerminalTransport:
    """The outbox sender's transport here: a message sent is a message on the screen."""

    def __init__(self, terminal: TerminalChat) -> None:
        self.terminal = terminal

    async def send(
        self, chat_id: int, reply: Reply, thread_id: int | None = None
    ) -> tuple[int, int]:
        screen = self.terminal.screen
        number = screen.add()
        self.terminal.delivered += screen.render(number, reply)
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
        if match := BUTTON.match(line):
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
        reply_to, line, missing = self.replying(line)
        if missing:
            return [missing]
        return await self._show(await self.conv.text(self.chat, line, reply_to))

    def replying(self, line: str) -> tuple[int | None, str, str | None]:
        """`@n text`: (n, text, None); plain text: (None, text, None); a reply to a message
        never shown: what to print instead."""
        if not (match := REPLY.match(line)):
            return None, line, None
        if int(match[1]) not in self.screen.messages:
            return None, line, f"(there is no message #{match[1]})"
        return int(match[1]), match[2], None

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
        edited = self.screen.edited(number, outcome)
        return lines + edited + await self._show(list(outcome.replies))

    async def _pressed(self, data: str, keyboard: Keyboard) -> ButtonOutcome:
        return await press(self.conv, self.chat, data, keyboard)

    async def _show(self, replies: list[Reply]) -> list[str]:
        lines: list[str] = []
        for reply in fitted(replies):
            if reply.outbox_id is not None:  # /digest: the outbox sender shows it, as it sends
                await self.outbox.deliver_claimed(reply.outbox_id)
                lines += self.delivered
                self.delivered = []
                continue
            number = self.screen.add()
            self.conv.sent(self.chat, reply, number)
            lines += self.screen.render(number, reply)
        for delivery_id in {r.delivery_id for r in replies if r.delivery_id is not None}:
            self.conv.digest_sent(delivery_id)
        return lines

    def _after_forget(self) -> None:
        """After /forget went through, nothing shown before it applies to anyone."""
        if self.screen.messages and get_user(self.conv.db, self.chat.id) is None:
            self.screen.outdate("everything from before /forget was deleted")


def bibliography_path(line: str) -> Path | None:
    """`/import PATH` naming a .bib/.ris/.json file (which may not exist); else None, and
    the line is the ordinary /import (arXiv ids)."""
    head, _, args = line.partition(" ")
    typed = args.strip().strip("'\"")
    if head.lower() != "/import" or not typed:
        return None
    path = Path(typed).expanduser()
    return path if path.suffix.lower() in BIBLIOGRAPHY else None
