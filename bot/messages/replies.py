"""A message as Paperboy hands it to a front end: HTML text, inline buttons, a document;
and the one place long text is fitted to Telegram's limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.messages.html import TELEGRAM_LIMIT, split_html, telegram_length


@dataclass(frozen=True)
class Button:
    text: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]


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
    photo: Document | None = None  # a picture, sent with its caption
    delivery_id: int | None = None  # part of a digest: which one …
    paper_ids: tuple[str, ...] = ()  # … and which of its papers this message carries
    turn_id: int | None = None  # an answer or ❓ prompt stored in the chat history
    part: str = ""  # which part of its outbox entry this message is ('photo', 'text', …)
    # Not a message: "send outbox entry N here now", which the front end hands to the one
    # outbox sender (bot/delivery/outbox.py); /digest answers so, its digest claimed.
    outbox_id: int | None = None


def fitted(replies: Sequence[Reply]) -> list[Reply]:
    """Every reply within Telegram's 4,096 characters: the one place long text is split
    (on lines, HTML-safe). The first part keeps the turn, the last the buttons and papers."""
    out: list[Reply] = []
    for reply in replies:
        whole = reply.document is not None or reply.photo is not None
        if whole or telegram_length(reply.html) <= TELEGRAM_LIMIT:
            out.append(reply)
            continue
        parts = split_html(reply.html)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            out.append(
                replace(
                    reply,
                    html=part,
                    buttons=reply.buttons if last else (),
                    paper_ids=reply.paper_ids if last else (),
                    turn_id=reply.turn_id if i == 0 else None,
                )
            )
    return out
