"""What the terminal shows of the bot's messages: each one numbered [#n], its buttons
labelled [bn.k], and those numbers kept when the bot edits or takes buttons away, so a
number typed from the screen still means the button it was shown with."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bot.assistant import ButtonOutcome, Reply
from bot.messages.callbacks import decode
from bot.messages.html import to_plain
from bot.messages.replies import Button, Keyboard


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

    def add(self) -> int:
        """A new message's number (its id, as the front end reports it to the bot)."""
        number = len(self.messages) + 1
        self.messages[number] = Shown()
        return number

    def render(self, number: int, reply: Reply) -> list[str]:
        """Message `number` as printed: its text (or picture, saved to a file, or document)
        and its buttons' labels."""
        shown = self.messages[number]
        if reply.photo is not None:
            saved = Path(tempfile.gettempdir()) / f"paperboy-{number}-{reply.photo.filename}"
            saved.write_bytes(reply.photo.content)
            return [f"[#{number}] 🖼 {to_plain(reply.photo.caption)}\n(picture saved: {saved})"]
        if reply.document is not None:
            return [
                f"[#{number}] 📎 {reply.document.filename} "
                f"({reply.document.caption}):\n{reply.document.content.decode()}"
            ]
        lines = [f"[#{number}] {to_plain(reply.html)}"]
        if any(reply.buttons):
            self._supersede(_onboarding(reply.buttons))
            rekey(shown, reply.buttons)
            self.latest = number
            lines += labels(number, shown)
        return lines

    def edited(self, number: int, outcome: ButtonOutcome) -> list[str]:
        """The pressed message as the bot changed it: new text, new or fewer buttons."""
        shown = self.messages[number]
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

    def outdate(self, why: str) -> None:
        """No button shown so far applies any more."""
        for shown in self.messages.values():
            if shown.stale is None:
                shown.stale = why

    def _supersede(self, onboarding: bool) -> None:
        """A new onboarding choice (Done, the first digest) replaces the older ones."""
        if not onboarding:
            return
        for shown in self.messages.values():
            if shown.stale is None and _onboarding(shown.keyboard):
                rekey(
                    shown, tuple(tuple(b for b in row if not _is_onb(b)) for row in shown.keyboard)
                )
                if shown.stale is not None:
                    shown.stale = "a newer message asks the same"


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
