"""Send assistant replies through the Bot API: within Telegram's rate limits, retrying
what is transient (429 after its retry_after, network errors, 5xx), HTML first and plain
text if Telegram refuses the markup. A 403 (blocked) is raised to the caller, never retried."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
)

from bot.delivery.throttle import Throttle
from bot.messages.html import to_plain
from bot.messages.replies import Keyboard, Reply
from bot.retrying import WaitAsAsked

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
SEND_ATTEMPTS = 5
Sleep = Callable[[float], Awaitable[None]]


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in keyboard]
    )


def _transient(exc: BaseException) -> bool:
    # BadRequest subclasses NetworkError in python-telegram-bot: it is never transient.
    return isinstance(exc, RetryAfter) or (
        isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)
    )


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the type will become timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _asked(exc: BaseException) -> float | None:
    # A hair over Telegram's retry_after, so the retry lands after the window reopens.
    return retry_after_seconds(exc) + 0.1 if isinstance(exc, RetryAfter) else None


async def send_reply(
    bot: Bot,
    throttle: Throttle,
    chat_id: int,
    reply: Reply,
    *,
    sleep: Sleep = asyncio.sleep,
    thread_id: int | None = None,
    reply_to: int | None = None,
) -> int:
    """Send one reply (in a group: into forum topic `thread_id`, as a reply to message
    `reply_to`); returns the Telegram message id. Raises Forbidden (blocked), ChatMigrated,
    BadRequest (not fixable by retrying) or the last error once retries run out."""
    retrying = AsyncRetrying(
        retry=retry_if_exception(_transient),
        wait=WaitAsAsked(_asked, backoff_s=0.5),
        sleep=sleep,
        stop=stop_after_attempt(SEND_ATTEMPTS),
        reraise=True,
        before_sleep=lambda s: log.info(
            "send to %s: %s; retrying", chat_id, s.outcome.exception() if s.outcome else "?"
        ),
    )
    async for attempt in retrying:
        with attempt:
            async with throttle.slot(chat_id):
                return await _send_once(bot, chat_id, reply, thread_id, reply_to)
    raise AssertionError("unreachable: tenacity either returns or raises")


async def _send_once(
    bot: Bot, chat_id: int, reply: Reply, thread_id: int | None, reply_to: int | None
) -> int:
    # A reply to a message that was deleted meanwhile still goes out, just not as a reply.
    answering = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    if reply.photo is not None:
        photo = reply.photo
        message = await bot.send_photo(
            chat_id,
            InputFile(photo.content, filename=photo.filename),
            caption=photo.caption,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread_id,
            reply_parameters=answering,
        )
        return message.message_id
    if reply.document is not None:
        doc = reply.document
        message = await bot.send_document(
            chat_id,
            InputFile(doc.content, filename=doc.filename),
            caption=doc.caption,
            message_thread_id=thread_id,
            reply_parameters=answering,
        )
        return message.message_id
    try:
        message = await bot.send_message(
            chat_id,
            reply.html,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(reply.buttons),
            link_preview_options=NO_PREVIEW,
            message_thread_id=thread_id,
            reply_parameters=answering,
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
            message_thread_id=thread_id,
            reply_parameters=answering,
        )
    return message.message_id
