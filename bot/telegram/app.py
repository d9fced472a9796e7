"""The python-telegram-bot Application: one factory with the handlers registered in one
ordered block, and start/stop for running it inside our own event loop."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from telegram import Bot, BotCommand, Update
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot.assistant import MENU, Chat, Conversation, Reply, press
from bot.config import DEFAULT_TELEGRAM_API_URL, Settings
from bot.delivery.outbox import OutboxSender
from bot.delivery.sender import send_reply
from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import Throttle
from bot.messages.replies import Button, Keyboard, fitted
from bot.sources.bibliography import MAX_FILE_BYTES
from bot.telegram import groups, inbox
from bot.telegram.inbox import PersistentQueue
from bot.telegram.ordering import UPDATE_DEADLINE_S, PerChatOrder
from bot.telegram.presses import show_outcome
from bot.telegram.webhook import serve_webhook
from storage.users import update_user

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE  # edits are ignored on purpose


class TokenMissing(RuntimeError):
    pass


def build_application(
    settings: Settings,
    conv: Conversation,
    throttle: Throttle | None = None,
    *,
    update_deadline_s: float = UPDATE_DEADLINE_S,
) -> Application:  # type: ignore[type-arg]
    """The bot, talking to `{TELEGRAM_API_URL}/bot{token}/…`, driving `conv`; an update
    still being handled after `update_deadline_s` is stopped and its reader told."""
    if not settings.telegram_bot_token:
        raise TokenMissing(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather, put its token in "
            ".env, and run again. To try Paperboy without Telegram: paperboy chat"
        )
    api = settings.telegram_api_url
    app = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .connection_pool_size(32)  # digests to many chats go out concurrently
        .pool_timeout(30)
        .update_queue(PersistentQueue(conv.db))  # stored before Telegram hears it arrived
        .concurrent_updates(
            # a slow answer or one chat's flood never holds up other chats
            PerChatOrder(
                deadline_s=update_deadline_s,
                on_overflow=lambda update, first: _dropped(app, update, first),
                on_expired=lambda update: _expired(app, update),
            )
        )
        .build()
    )
    app.bot_data["conversation"] = conv
    app.bot_data["settings"] = settings
    inbox.install(app, conv.db)
    app.bot_data["throttle"] = throttle = throttle or Throttle()
    # /digest's digest goes out through the one outbox sender, as the sweep's do.
    app.bot_data["outbox"] = OutboxSender(
        conv.db, TelegramTransport(app.bot, throttle, conv.db), {"digest": conv.desk}
    )
    app.bot_data["courtesy"] = asyncio.Semaphore(COURTESY_IN_FLIGHT)
    app.bot_data["group_admins"] = groups.GroupAdmins()
    # Order matters: the first matching handler in a group wins.
    # Groups and forum topics are readers of their own (bot/telegram/groups.py): commands,
    # replies to the bot and mentions of it (privacy mode on is enough), an upgrade to a
    # supergroup, members leaving. Channels are declined.
    app.add_handler(
        MessageHandler(groups.GROUPS & filters.StatusUpdate.MIGRATE, groups.on_migration)
    )
    app.add_handler(
        MessageHandler(groups.GROUPS & filters.StatusUpdate.LEFT_CHAT_MEMBER, groups.on_member_left)
    )
    app.add_handler(MessageHandler(groups.GROUPS & filters.COMMAND, groups.on_command))
    app.add_handler(MessageHandler(groups.GROUPS & filters.TEXT, groups.on_text))
    app.add_handler(MessageHandler(filters.ChatType.CHANNEL & filters.COMMAND, decline_group))
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, on_command))
    app.add_handler(MessageHandler(PRIVATE & filters.TEXT, on_text))
    app.add_handler(MessageHandler(PRIVATE & filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(PRIVATE & ~filters.TEXT, on_other))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(ChatMemberHandler(on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(ChatMemberHandler(groups.on_member_left, ChatMemberHandler.CHAT_MEMBER))
    app.add_error_handler(on_error)
    return app


SLOW_DOWN = (
    "⏳ You're sending messages faster than I can answer, so I'm skipping some of them. "
    "Wait for my replies, then send again what you still need."
)
TOO_MANY_TAPS = "Too many taps at once: wait a moment."
TOO_LONG = (
    "⚠️ That took me too long, so I stopped working on it. Please try again in a minute "
    "(a smaller file or a shorter question helps)."
)


# Courtesy answers to dropped updates share the bot's connections with everyone's replies:
# a few at a time, and the rest of a flood goes unanswered rather than queue for them.
COURTESY_IN_FLIGHT = 4


async def _dropped(app: Application, update: Update, first: bool) -> None:  # type: ignore[type-arg]
    """An update beyond its chat's backlog: never handled, never replayed; a tap gets its
    spinner stopped (while few are), and the chat hears about it once per flood."""
    conv: Conversation = app.bot_data["conversation"]
    inbox.give_up(conv.db, update.update_id)
    courtesy: asyncio.Semaphore = app.bot_data["courtesy"]
    if update.callback_query is not None and courtesy.locked():
        return
    try:
        if update.callback_query is not None:
            async with courtesy:
                await update.callback_query.answer(TOO_MANY_TAPS)
        elif first and update.effective_chat is not None:
            await send_reply(
                app.bot, app.bot_data["throttle"], update.effective_chat.id, Reply(SLOW_DOWN)
            )
    except TelegramError as exc:
        log.info("could not tell a flooding chat to slow down: %s", exc)


async def _expired(app: Application, update: Update) -> None:  # type: ignore[type-arg]
    """An update that ran past its deadline: marked handled (a restart must not run it into
    the same wall again) and the reader told."""
    conv: Conversation = app.bot_data["conversation"]
    inbox.give_up(conv.db, update.update_id)
    if update.effective_chat is None:
        return
    try:
        await send_reply(
            app.bot, app.bot_data["throttle"], update.effective_chat.id, Reply(TOO_LONG)
        )
    except TelegramError as exc:
        log.info("could not tell chat %s its update expired: %s", update.effective_chat.id, exc)


def make_bot(settings: Settings) -> Bot:
    """A bare Bot on the configured API (for sweeps outside the polling service)."""
    assert settings.telegram_bot_token
    api = settings.telegram_api_url
    request = HTTPXRequest(connection_pool_size=32, pool_timeout=30)
    return Bot(
        settings.telegram_bot_token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=request,
    )


class StartFailed(RuntimeError):
    """The bot could not start; the message says why in one line, without the token."""


START_ATTEMPTS = 4
STALE_PRESS = "That button has expired. Send /help to see what I can do."
TOO_BIG = (
    f"⚠️ That file is over {MAX_FILE_BYTES // 1_000_000} MB: export a collection rather than"
    " your whole library. Nothing was imported."
)
WEBHOOK_CONNECTIONS = 40  # Telegram's default


async def start(app: Application, *, poll_timeout: int = 30) -> None:  # type: ignore[type-arg]
    """Connect, publish the command menu, and start long polling (we run our own loop, so
    PTB's run_polling and its post_init hook are not used). A Bot API that cannot be
    reached is retried a few times; a rejected token is not."""
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(NetworkError)
            & retry_if_not_exception_type((InvalidToken, BadRequest)),
            stop=stop_after_attempt(START_ATTEMPTS),
            wait=wait_exponential(multiplier=1, max=8),
            reraise=True,
        ):
            with attempt:
                await app.initialize()
    except InvalidToken:
        # A wrong address answers 404 too, which PTB reads as a rejected token.
        api = app.bot_data["settings"].telegram_api_url
        elsewhere = (
            f" (or TELEGRAM_API_URL={api} is not a Bot API server)"
            if api != DEFAULT_TELEGRAM_API_URL
            else ""
        )
        raise StartFailed(
            f"Telegram rejected TELEGRAM_BOT_TOKEN{elsewhere}: copy it again from @BotFather "
            "(/mybots → your bot → API Token)."
        ) from None
    except NetworkError as exc:
        raise StartFailed(
            f"could not reach the Telegram Bot API after {START_ATTEMPTS} attempts "
            f"({type(exc).__name__}); check the network or TELEGRAM_API_URL and start again."
        ) from None
    await app.bot.set_my_commands([BotCommand(c.name, c.summary) for c in MENU])
    await app.start()
    conv: Conversation = app.bot_data["conversation"]
    await inbox.drain(app, conv.db)
    assert app.updater is not None
    settings: Settings = app.bot_data["settings"]
    if settings.webhook_url:
        await start_webhook(app, settings)
        return
    # start_polling deletes any webhook first: going back to polling needs nothing else.
    await app.updater.start_polling(
        poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
    )


async def start_webhook(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Serve Telegram's calls (behind a reverse proxy that terminates TLS) with our own
    endpoint (bot/telegram/webhook.py: the secret checked before the body is read), then
    register the webhook with its secret. An update is answered only once it is in the
    queue, which stores it first (bot/telegram/inbox.py)."""
    assert settings.webhook_url and settings.webhook_secret
    try:
        server = await serve_webhook(
            app.bot,
            app.update_queue.put,
            host=settings.webhook_listen,
            port=settings.webhook_port,
            path=urlsplit(settings.webhook_url).path,
            secret=settings.webhook_secret,
        )
    except OSError as exc:
        raise StartFailed(
            f"cannot listen for the webhook on PAPERBOY_WEBHOOK_LISTEN="
            f"{settings.webhook_listen!r} PAPERBOY_WEBHOOK_PORT={settings.webhook_port}: "
            f"{exc.strerror or exc}"
        ) from None
    app.bot_data["webhook_server"] = server
    try:
        await app.bot.set_webhook(
            url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
            max_connections=WEBHOOK_CONNECTIONS,
        )
    except TelegramError as exc:
        server.close()
        raise StartFailed(f"Telegram refused the webhook {settings.webhook_url}: {exc}") from None


async def stop(app: Application) -> None:  # type: ignore[type-arg]
    if isinstance(app.update_processor, PerChatOrder):
        cancelled = app.update_processor.cancel_running()
        if cancelled:
            log.info(
                "stopping: %d update(s) in progress will be handled at the next start", cancelled
            )
    server = app.bot_data.pop("webhook_server", None)
    if server is not None:
        server.close()
        await server.wait_closed()
    assert app.updater is not None
    if app.updater.running:
        await app.updater.stop()
    await app.stop()
    await app.shutdown()


def _conv(context: ContextTypes.DEFAULT_TYPE) -> Conversation:
    conv: Conversation = context.bot_data["conversation"]
    return conv


async def _send(context: ContextTypes.DEFAULT_TYPE, chat: Chat, replies: list[Reply]) -> None:
    await send_replies(
        context.bot,
        context.bot_data["throttle"],
        _conv(context),
        chat,
        replies,
        outbox=context.bot_data["outbox"],
    )


def _chat(update: Update) -> Chat:
    assert update.effective_chat is not None
    user = update.effective_user
    return Chat(update.effective_chat.id, user.first_name if user else None)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/name args → the assistant's command."""
    assert update.message is not None and update.message.text is not None
    head, _, args = update.message.text.partition(" ")
    name = head[1:].split("@", 1)[0]
    chat = _chat(update)
    replies = await _conv(context).command(chat, name, args)
    await _send(context, chat, replies)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other text: a question (a reply to a digest asks about its papers)."""
    assert update.message is not None and update.message.text is not None
    chat = _chat(update)
    await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    reply_to = update.message.reply_to_message
    replies = await _conv(context).text(
        chat,
        update.message.text,
        reply_to.message_id if reply_to else None,
        message_id=update.message.message_id,
    )
    await _send(context, chat, replies)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file: the reader's bibliography (BibTeX, RIS, CSL-JSON) to import."""
    assert update.message is not None and update.message.document is not None
    chat = _chat(update)
    document = update.message.document
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await _send(context, chat, [Reply(TOO_BIG)])
        return
    await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    # A 2 MB file can take longer than PTB's 5 s read timeout: 30 s, and one more try on
    # a timeout or network error (BadRequest, e.g. a file too big for bots, is final).
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(NetworkError) & retry_if_not_exception_type(BadRequest),
            stop=stop_after_attempt(2),
            wait=wait_exponential(multiplier=0.5, max=2),
            reraise=True,
        ):
            with attempt:
                file = await document.get_file(read_timeout=30)
                payload = await file.download_as_bytearray(read_timeout=30)
    except NetworkError as exc:
        log.warning("downloading a document failed: %s", type(exc).__name__)
        failed = "⚠️ I couldn't download that file from Telegram just now: send it again."
        await _send(context, chat, [Reply(failed)])
        return
    replies = await _conv(context).document(chat, document.file_name or "", bytes(payload))
    await _send(context, chat, replies)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(
        "I read text and bibliography files (.bib, .ris, CSL-JSON): send a question, or /help."
    )


async def decline_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(
        "I don't work in channels: add me to a group, or open a private chat with me for "
        "your own digest."
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press → the assistant; then acknowledge, update the keyboard, reply."""
    query = update.callback_query
    if query is None:
        return
    if update.effective_chat is None:  # an inline-mode press carries no message or chat
        await query.answer(STALE_PRESS)
        return
    chat = _chat(update)
    keyboard = _keyboard(getattr(query.message, "reply_markup", None))
    if update.effective_chat.type != ChatType.PRIVATE:  # votes, reading list, admins' ✖
        await groups.on_button(update, context, keyboard)
        return
    outcome = await press(_conv(context), chat, query.data, keyboard)
    await show_outcome(query, outcome)
    await _send(context, chat, list(outcome.replies))


def _keyboard(reply_markup: object) -> Keyboard:
    rows = getattr(reply_markup, "inline_keyboard", None) or ()
    return tuple(
        tuple(
            Button(b.text, b.callback_data or "") for b in row if isinstance(b.callback_data, str)
        )
        for row in rows
    )


async def on_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The user blocked (kicked) or unblocked the bot; in a group, added or removed."""
    member = update.my_chat_member
    if member is not None and member.chat.type != ChatType.PRIVATE:
        await groups.on_bot_membership(update, context)
        return
    if member is None:
        return
    blocked = member.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    _conv(context).user(Chat(member.chat.id))
    update_user(_conv(context).db, member.chat.id, blocked=int(blocked))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with context; tell the user something short and useful, never a stack trace."""
    chat_id = (
        update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
    )
    log.error("error handling an update for chat %s", chat_id, exc_info=context.error)
    if chat_id is not None:
        try:
            await context.bot.send_message(
                chat_id,
                "Sorry, something went wrong on my side. Please try again in a "
                "minute; /help lists what I can do.",
            )
        except Exception:  # the error may be that Telegram is unreachable: nothing to tell
            log.warning("could not tell chat %s about the error", chat_id)


async def send_replies(
    bot: Bot,
    throttle: Throttle,
    conv: Conversation,
    chat: Chat,
    replies: list[Reply],
    *,
    outbox: OutboxSender | None = None,
) -> None:
    """Send `replies` in order, telling the conversation each message id; a digest shown
    again is marked sent once all its messages are out, and one claimed for this chat
    (/digest) is handed to the outbox sender. A 403 marks the user blocked."""
    deliveries: set[int] = set()
    try:
        for reply in fitted(replies):
            if reply.outbox_id is not None:
                assert outbox is not None, "a claimed digest needs the outbox sender"
                await outbox.deliver_claimed(reply.outbox_id)
                continue
            message_id = await send_reply(bot, throttle, chat.id, reply)
            conv.sent(chat, reply, message_id)
            if reply.delivery_id is not None:
                deliveries.add(reply.delivery_id)
    except Forbidden:
        log.info("chat %s blocked the bot; marking it blocked", chat.id)
        update_user(conv.db, chat.id, blocked=1)
        return
    for delivery_id in deliveries:
        conv.digest_sent(delivery_id)
