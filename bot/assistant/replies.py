"""What the assistant hands back to a front end (Telegram or the terminal chat)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.digest import Button

Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Chat:
    id: int
    first_name: str | None = None


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True)
class Reply:
    """One message to send. After sending, the front end reports the Telegram message id
    back (Conversation.sent) so replies to it can be resolved to papers."""

    html: str
    buttons: Keyboard = ()
    document: Document | None = None
    delivery_id: int | None = None  # part of a digest: which one …
    paper_ids: tuple[str, ...] = ()  # … and which of its papers this message carries
    turn_id: int | None = None  # an answer or ❓ prompt stored in the chat history


@dataclass(frozen=True)
class ButtonOutcome:
    toast: str  # the short notice Telegram shows on the button press
    replies: tuple[Reply, ...] = ()
    keyboard: Keyboard | None = None  # replaces the pressed message's buttons
    edit_html: str | None = None  # replaces the pressed message's text
