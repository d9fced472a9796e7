"""Groups, supergroups and forum topics in Telegram: thin handlers over bot/assistant/group.py
(commands, questions by reply or mention, button presses, the bot added or removed, an
upgrade to a supergroup, members leaving) and who a group's admins are (asked of Telegram,
cached briefly). Privacy mode on is enough: only commands, replies to the bot and messages
mentioning it are read."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram import Bot, MessageEntity, Update
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes, filters

from bot.assistant import Chat, Conversation, Reply
from bot.assistant.group import (
    Admin,
    Place,
    group_command,
    group_press,
    group_question,
    setup_text,
)
from bot.delivery.group_send import send_to_chat
from bot.delivery.throttle import Throttle
from bot.messages.replies import Keyboard, fitted
from bot.telegram.presses import show_outcome
from storage.groups import (
    bot_added,
    bot_removed,
    ensure_group,
    forget_member,
    get_group,
    move_chat,
)

log = logging.getLogger(__name__)

GROUPS = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE  # edits are ignored on purpose
ADMINS_TTL_S = 300.0  # how long a group's list of admins is trusted
PRESENT = {
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.OWNER,
    ChatMemberStatus.RESTRICTED,
}
GONE = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}


class GroupAdmins:
    """Who may change a group's settings: its admins, from getChatAdministrators, kept for
    a few minutes per group (a vote or a command must not cost a call each)."""

    def __init__(
        self, ttl_s: float = ADMINS_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s, self._clock = ttl_s, clock
        self._known: dict[int, tuple[float, frozenset[int]]] = {}

    async def check(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        now = self._clock()
        known = self._known.get(chat_id)
        if known is None or known[0] <= now:
            try:
                members = await bot.get_chat_administrators(chat_id)
            except TelegramError as exc:  # unknown is not an admin; the next try asks again
                log.warning("could not list the admins of chat %s: %s", chat_id, exc)
                return False
            if len(self._known) > 10_000:  # forget old groups rather than grow forever
                self._known.clear()
            known = (now + self._ttl_s, frozenset(m.user.id for m in members))
            self._known[chat_id] = known
        return user_id in known[1]

    def forget(self, chat_id: int) -> None:
        """The group's admins changed (or the group did): ask again next time."""
        self._known.pop(chat_id, None)


def _conv(context: ContextTypes.DEFAULT_TYPE) -> Conversation:
    conv: Conversation = context.bot_data["conversation"]
    return conv


def _admins(context: ContextTypes.DEFAULT_TYPE) -> GroupAdmins:
    admins = context.bot_data.get("group_admins")
    if not isinstance(admins, GroupAdmins):
        admins = context.bot_data["group_admins"] = GroupAdmins()
    return admins


def _admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Admin:
    """Whether whoever sent this update is an admin of its group, asked only when needed.
    An admin writing anonymously ("as the group") is one."""
    chat, user = update.effective_chat, update.effective_user
    message = update.effective_message
    sender_chat = getattr(message, "sender_chat", None)

    async def check() -> bool:
        if chat is None:
            return False
        if sender_chat is not None and sender_chat.id == chat.id:
            return True
        if user is None:
            return False
        return await _admins(context).check(context.bot, chat.id, user.id)

    return check


def _place(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Place:
    """The group (stored, refreshed from what Telegram says now) and the forum topic the
    update came from."""
    chat = update.effective_chat
    assert chat is not None
    forum = bool(chat.is_forum)
    group = ensure_group(_conv(context).db, chat.id, chat.title, chat.type, forum)
    if group.removed:  # a message from the group: the bot is back in it
        bot_added(_conv(context).db, chat.id)
    message = update.effective_message
    topic = forum and bool(getattr(message, "is_topic_message", False))
    thread = getattr(message, "message_thread_id", None) if topic else None
    return Place(Chat(chat.id, chat.title), thread, forum)


async def send_in_group(
    context: ContextTypes.DEFAULT_TYPE,
    place: Place,
    replies: list[Reply],
    *,
    reply_to: int | None = None,
) -> None:
    """Send `replies` into the group's topic, the first as a reply to `reply_to`; a digest
    among them is marked sent once all its messages are out. A group that removed the bot
    is marked so (nothing more is sent to it); one upgraded to a supergroup is followed."""
    conv = _conv(context)
    throttle: Throttle = context.bot_data["throttle"]
    chat_id, deliveries = place.chat.id, set()
    try:
        for n, reply in enumerate(fitted(replies)):
            if reply.outbox_id is not None:  # /digest: the outbox sender sends it here
                outbox = context.bot_data["outbox"]
                await outbox.deliver_claimed(reply.outbox_id, thread_id=place.thread_id)
                continue
            chat_id, message_id = await send_to_chat(
                context.bot,
                throttle,
                conv.db,
                chat_id,
                reply,
                thread_id=place.thread_id,
                reply_to=reply_to if n == 0 else None,
            )
            conv.sent(Chat(chat_id), reply, message_id)
            if reply.delivery_id is not None:
                deliveries.add(reply.delivery_id)
    except Forbidden:
        log.info("group %s removed the bot; marking it so", chat_id)
        bot_removed(conv.db, chat_id)
        return
    for delivery_id in deliveries:
        conv.digest_sent(delivery_id)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/name args, or /name@ThisBot args, in a group."""
    message = update.message
    assert message is not None and message.text is not None
    head, *rest = message.text.split(None, 1)
    name, _, target = head[1:].partition("@")
    me = context.bot.username or ""
    if target and target.lower() != me.lower():
        return  # another bot's command
    place = _place(update, context)
    replies = await group_command(
        _conv(context),
        place,
        name,
        rest[0] if rest else "",
        admin=_admin(update, context),
        addressed=bool(target),
        bot_name=me,
    )
    if replies:
        await send_in_group(context, place, replies, reply_to=message.message_id)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to one of the bot's messages, or a message mentioning it: a question. Any
    other message (seen with privacy mode off) is the members' own conversation."""
    message = update.message
    assert message is not None and message.text is not None
    answered = message.reply_to_message
    to_bot = (
        answered is not None
        and answered.from_user is not None
        and answered.from_user.id == context.bot.id
        and answered.forum_topic_created is None  # a topic's first message is no reply
    )
    mentioned, text = _without_mention(update, context.bot)
    if not (to_bot or mentioned):
        return
    place = _place(update, context)
    await context.bot.send_chat_action(
        place.chat.id, ChatAction.TYPING, message_thread_id=place.thread_id
    )
    replies = await group_question(
        _conv(context),
        place.chat,
        text,
        answered.message_id if to_bot and answered is not None else None,
        message.message_id,
    )
    await send_in_group(context, place, replies, reply_to=message.message_id)


def _without_mention(update: Update, bot: Bot) -> tuple[bool, str]:
    """Whether the message mentions the bot (@name, or a mention of its account), and its
    text without that mention."""
    message = update.message
    assert message is not None and message.text is not None
    text, mentioned = message.text, False
    name = f"@{bot.username}".lower()
    found = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    for entity, value in found.items():
        if value.lower() == name or (entity.user is not None and entity.user.id == bot.id):
            mentioned = True
            text = text.replace(value, " ")
    return mentioned, " ".join(text.split())


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE, keyboard: Keyboard) -> None:
    """A member's press under a group message: vote, reading list, ask, or an admin's ✖ or
    /forget confirmation; the tally is edited onto the message."""
    query = update.callback_query
    assert query is not None
    place = _place(update, context)
    outcome = await group_press(
        _conv(context),
        place.chat,
        query.from_user.id,
        query.data,
        keyboard,
        admin=_admin(update, context),
    )
    await show_outcome(query, outcome)
    await send_in_group(context, place, list(outcome.replies))


async def on_bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot added to a group (one setup message), or removed from it (deliveries stop
    at once; the data is kept 30 days, then deleted)."""
    member = update.my_chat_member
    if member is None or member.chat.type == ChatType.CHANNEL:
        return
    chat, db = member.chat, _conv(context).db
    old, new = member.old_chat_member.status, member.new_chat_member.status
    _admins(context).forget(chat.id)
    if new in GONE:
        if get_group(db, chat.id) is not None:
            bot_removed(db, chat.id)
        log.info("removed from group %s", chat.id)
        return
    if new not in PRESENT:
        return
    ensure_group(db, chat.id, chat.title, chat.type, bool(chat.is_forum))
    bot_added(db, chat.id)
    if old in GONE:
        log.info("added to group %s", chat.id)
        place = Place(Chat(chat.id, chat.title), None, bool(chat.is_forum))
        await send_in_group(context, place, [Reply(setup_text(context.bot.username or ""))])


async def on_migration(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group upgraded to a supergroup (its new id announced in the old chat, its old id
    in the new one): settings, votes and history move to the new id."""
    message = update.message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    if move_chat(_conv(context).db, old, new):
        log.info("group %s became supergroup %s; its data moved", old, new)
    _admins(context).forget(old)


async def on_member_left(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A member left (a service message, or a chat_member update where the bot may see
    them): their votes stay counted, their identity is dropped."""
    chat = update.effective_chat
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    member = update.chat_member
    if member is not None:
        _admins(context).forget(chat.id)  # an admin may have been made or unmade
        if member.new_chat_member.status not in GONE:
            return
        user_id = member.new_chat_member.user.id
    elif update.message is not None and update.message.left_chat_member is not None:
        user_id = update.message.left_chat_member.id
    else:
        return
    if user_id != context.bot.id:
        forget_member(_conv(context).db, chat.id, user_id)
