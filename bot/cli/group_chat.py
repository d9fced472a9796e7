"""`paperboy chat --group`: the terminal as a Telegram group (lab mode), its admin ada and
members bob and cy, seen by the bot as a group with privacy mode on sees it."""

from __future__ import annotations

import re

from bot.assistant import ButtonOutcome, Chat, Conversation, Reply
from bot.assistant.group import Place, group_command, group_press, group_question, setup_text
from bot.cli.terminal import BUTTON, TerminalChat
from bot.messages.replies import Keyboard
from storage.groups import ensure_group

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
        if match := BUTTON.match(line):
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
        reply_to, line, missing = self.replying(line)
        if missing:
            return [missing]
        text, mentioned = _MENTION.subn(" ", line)
        if reply_to is None and not mentioned:
            return [UNSEEN]
        chat, asked = self._place().chat, " ".join(text.split())
        return await self._show(await group_question(self.conv, chat, asked, reply_to, None))

    async def _pressed(self, data: str, keyboard: Keyboard) -> ButtonOutcome:
        chat, member = self._place().chat, GROUP_MEMBERS[self.speaker]
        return await group_press(self.conv, chat, member, data, keyboard, admin=self._admin)
