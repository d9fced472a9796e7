"""Send assistant replies through the Bot API: HTML first, plain text if Telegram refuses
the markup, and a 403 marks the user blocked."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot.assistant import Chat, Conversation, Reply
from bot.assistant.replies import Keyboard
from bot.telegram_html import to_plain
from storage.users import update_user

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in keyboard]
    )


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> int:
    """Send one reply; returns the Telegram message id. Raises Forbidden when blocked."""
    if reply.document is not None:
        doc = reply.document
        message = await bot.send_document(
            chat_id, InputFile(doc.content, filename=doc.filename), caption=doc.caption
        )
        return message.message_id
    try:
        message = await bot.send_message(
            chat_id,
            reply.html,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(reply.buttons),
            link_preview_options=NO_PREVIEW,
        )
    except BadRequest as exc:
        if "parse entities" not in str(exc).lower():
            raise
        log.warning("Telegram refused our HTML (%s); resending as plain text", exc)
        message = await bot.send_message(
            chat_id,
            to_plain(reply.html),
            reply_markup=markup(reply.buttons),
            link_preview_options=NO_PREVIEW,
        )
    return message.message_id


async def send_replies(bot: Bot, conv: Conversation, chat: Chat, replies: list[Reply]) -> None:
    """Send `replies` in order, telling the conversation each message id; a digest is
    marked sent once all its messages are out."""
    deliveries: set[int] = set()
    try:
        for reply in replies:
            message_id = await send_reply(bot, chat.id, reply)
            conv.sent(chat, reply, message_id)
            if reply.delivery_id is not None:
                deliveries.add(reply.delivery_id)
    except Forbidden:
        log.info("chat %s blocked the bot; marking it blocked", chat.id)
        update_user(conv.db, chat.id, blocked=1)
        return
    for delivery_id in deliveries:
        conv.digest_sent(delivery_id)
