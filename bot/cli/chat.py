"""`paperboy chat`: the bot in a terminal, offline, on the bundled sample day.

It drives the same assistant the Telegram handlers drive. Messages are numbered [#n];
buttons are listed as [bN]; type `bN` to press one, `@n question` to reply to message n.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import click

from bot.assistant import ButtonOutcome, Chat, Conversation, Reply, press
from bot.cli.app import cli
from bot.cli.library import cli_embedder
from bot.config import Settings
from bot.llm import LLMClient
from bot.messages.html import to_plain
from bot.messages.replies import Button, fitted
from bot.sources import load_day
from bot.sources.ingest import store_day
from storage import open_db

TERMINAL_CHAT = Chat(1, "you")
_REPLY = re.compile(r"^@(\d+)\s+(.+)$", re.DOTALL)
_BUTTON = re.compile(r"^b(\d+)$")


@dataclass
class Screen:
    """What has been shown: numbered messages and pressable buttons."""

    messages: dict[int, int] = field(default_factory=dict)  # shown number -> message id
    buttons: list[tuple[int, Button]] = field(default_factory=list)  # (message id, button)
    next_id: int = 1


class TerminalChat:
    def __init__(self, conv: Conversation) -> None:
        self.conv = conv
        self.screen = Screen()

    async def handle(self, line: str) -> list[str]:
        """One line typed by the user → what the terminal prints."""
        line = line.strip()
        if not line:
            return []
        if match := _BUTTON.match(line):
            return await self._press(int(match[1]))
        if line.startswith("/"):
            head, _, args = line.partition(" ")
            return self._show(await self.conv.command(TERMINAL_CHAT, head[1:], args))
        reply_to = None
        if match := _REPLY.match(line):
            reply_to = self.screen.messages.get(int(match[1]))
            if reply_to is None:
                return [f"(there is no message #{match[1]})"]
            line = match[2]
        return self._show(await self.conv.text(TERMINAL_CHAT, line, reply_to))

    async def _press(self, number: int) -> list[str]:
        if not 1 <= number <= len(self.screen.buttons):
            return [f"(there is no button b{number})"]
        message_id, button = self.screen.buttons[number - 1]
        keyboard = tuple((b,) for m, b in self.screen.buttons if m == message_id)
        outcome: ButtonOutcome = await press(self.conv, TERMINAL_CHAT, button.data, keyboard)
        lines = [f"  ({outcome.toast})"]
        if outcome.edit_html is not None:
            lines.append(to_plain(outcome.edit_html))
        return lines + self._show(list(outcome.replies))

    def _show(self, replies: list[Reply]) -> list[str]:
        lines: list[str] = []
        for reply in fitted(replies):
            message_id = self.screen.next_id
            self.screen.next_id += 1
            number = len(self.screen.messages) + 1
            self.screen.messages[number] = message_id
            self.conv.sent(TERMINAL_CHAT, reply, message_id)
            if reply.photo is not None:
                saved = Path(tempfile.gettempdir()) / f"paperboy-{number}-{reply.photo.filename}"
                saved.write_bytes(reply.photo.content)
                lines.append(
                    f"[#{number}] 🖼 {to_plain(reply.photo.caption)}\n(picture saved: {saved})"
                )
                continue
            if reply.document is not None:
                lines.append(
                    f"[#{number}] 📎 {reply.document.filename} "
                    f"({reply.document.caption}):\n{reply.document.content.decode()}"
                )
                continue
            lines.append(f"[#{number}] {to_plain(reply.html)}")
            labels = []
            for row in reply.buttons:
                for button in row:
                    self.screen.buttons.append((message_id, button))
                    labels.append(f"[b{len(self.screen.buttons)}] {button.text}")
            if labels:
                lines.append("    " + "  ".join(labels))
        for delivery_id in {r.delivery_id for r in replies if r.delivery_id is not None}:
            self.conv.digest_sent(delivery_id)
        return lines


async def _session(settings: Settings, lexical_only: bool, script: list[str] | None) -> None:
    with tempfile.TemporaryDirectory(prefix="paperboy-chat-") as tmp:
        db = open_db(Path(tmp) / "chat.db")
        llm = LLMClient(settings, db)
        try:
            store_day(db, await load_day("sample", None, papers_url=""))
            embedder = cli_embedder(settings, lexical_only, llm)
            conv = Conversation(db, settings, llm, embedder=embedder)
            chat = TerminalChat(conv)
            click.echo(
                "Paperboy in your terminal, on the bundled sample day (offline). "
                "Type /start; `bN` presses button N; `@n text` replies to message n; "
                "Ctrl-D quits.\n"
            )
            lines = iter(script) if script is not None else None
            while True:
                try:
                    line = next(lines) if lines is not None else input("you> ")
                except (EOFError, StopIteration):
                    break
                if lines is not None:
                    click.echo(f"you> {line}")
                for out in await chat.handle(line):
                    click.echo(out)
                click.echo()
        finally:
            await llm.aclose()
            db.close()


@cli.command()
@click.option("--lexical-only", is_flag=True, help="Do not use the local embedding model.")
@click.option(
    "--script",
    type=click.File("r"),
    default=None,
    help="Read the lines to type from a file (- for stdin) instead of the keyboard.",
)
@click.pass_obj
def chat(settings: Settings, lexical_only: bool, script: IO[str] | None) -> None:
    """Try the bot in a terminal: no token, no network, the bundled sample day."""
    lines = None
    if script is not None or not sys.stdin.isatty():
        source = script if script is not None else sys.stdin
        lines = [line.rstrip("\n") for line in source]
    asyncio.run(_session(settings, lexical_only, lines))
