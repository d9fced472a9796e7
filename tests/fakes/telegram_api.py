"""A local stand-in for the Telegram Bot API, over real HTTP.

It serves `/bot<token>/<method>` for the methods the bot calls, queues updates that tests
inject (messages, commands, replies, button presses), records everything the bot sends,
and can be told to fail (429 with retry_after, 5xx, 403 for a chat).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, unquote

from tests.fakes.http_server import FakeServer, Reply, Request

TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuvwxyz"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Paperboy", "username": "paperboy_bot"}
JSON_FIELDS = {
    "reply_markup",
    "commands",
    "entities",
    "link_preview_options",
    "allowed_updates",
    "reply_parameters",
}


@dataclass
class Sent:
    """One call the bot made, with its decoded parameters."""

    method: str
    params: dict[str, Any]
    message_id: int | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def chat_id(self) -> int:
        return int(self.params.get("chat_id", 0))

    def buttons(self) -> list[tuple[str, str]]:
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


Fault = Callable[[str, dict[str, Any]], Reply | None]


class FakeTelegram:
    def __init__(self, token: str = TOKEN, *, enforce_limits: bool = False) -> None:
        """With `enforce_limits`, sends beyond 30 per second overall or 1 per second per
        chat get a 429 with retry_after, as Telegram's would."""
        self.token = token
        self.enforce_limits = enforce_limits
        self.too_many: list[float] = []  # when each 429 was returned
        self._recent: list[float] = []
        self._last_to_chat: dict[int, float] = {}
        self.sent: list[Sent] = []
        self.requests: list[Request] = []
        self.fault: Fault | None = None
        self.blocked_chats: set[int] = set()
        self.files: dict[str, bytes] = {}  # documents users sent, by file id
        # Called with the file id before a document is served: may sleep (a slow download)
        # or return a Reply to fail it.
        self.file_fault: Callable[[str], Reply | None] | None = None
        self.refused: list[str] = []  # texts refused as too long
        # Groups: their admins' user ids (getChatAdministrators, getChatMember), and groups
        # upgraded to supergroups (old id -> new id: sends to the old id fail as Telegram's do).
        self.admins: dict[int, set[int]] = {}
        self.migrated: dict[int, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._lock = threading.Condition()
        self._update_ids = itertools.count(1)
        self.last_update_id = 0  # of the latest update a user caused
        self._message_ids = itertools.count(1000)
        self.server = FakeServer(self._respond)

    # -- lifecycle --------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        """What goes into TELEGRAM_API_URL."""
        return self.server.url

    def __enter__(self) -> FakeTelegram:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._lock.notify_all()
        self.server.__exit__(*exc)

    # -- injecting what users do -----------------------------------------------------
    def user_says(
        self,
        chat_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        first_name: str = "Ada",
        chat_type: str = "private",
        edited: bool = False,
        member: int | None = None,
        thread_id: int | None = None,
    ) -> int:
        """Queue a message from a user; returns its message id. In a group (`chat_type`
        'group' or 'supergroup', a negative `chat_id`), `member` is who writes, and
        `thread_id` a forum topic (the chat is then a forum)."""
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(chat_id, chat_type, first_name, forum=thread_id is not None),
            "from": {"id": member or chat_id, "is_bot": False, "first_name": first_name},
            "text": text,
        }
        entities = []
        if text.startswith("/"):
            command = text.split()[0]
            entities.append({"type": "bot_command", "offset": 0, "length": len(command)})
        mention = f"@{BOT_USER['username']}"
        if mention in text:  # ASCII before it in tests, so offsets are UTF-16 offsets
            entities.append(
                {"type": "mention", "offset": text.index(mention), "length": len(mention)}
            )
        if entities:
            message["entities"] = entities
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        if reply_to is not None:
            message["reply_to_message"] = {
                "message_id": reply_to,
                "date": int(time.time()),
                "chat": message["chat"],
                "from": BOT_USER,
                "text": "…",
            }
        self._push({"edited_message" if edited else "message": message})
        return message_id

    def user_sends_file(self, chat_id: int, filename: str, content: bytes) -> int:
        """Queue a document from a user (served back by getFile and the file URL, as
        Telegram does); returns its message id."""
        message_id = next(self._message_ids)
        file_id = f"file{message_id}"
        self.files[file_id] = content
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": filename,
            "file_size": len(content),
        }
        self._push(
            {
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private", "first_name": "Ada"},
                    "from": {"id": chat_id, "is_bot": False, "first_name": "Ada"},
                    "document": document,
                }
            }
        )
        return message_id

    def user_presses(
        self,
        chat_id: int,
        data: str,
        message_id: int = 1,
        *,
        inline: bool = False,
        member: int | None = None,
        chat_type: str = "private",
        thread_id: int | None = None,
    ) -> str:
        """Queue a button press on message `message_id` (carrying that message's buttons, as
        Telegram does; `inline`: a press in inline mode, with no message; in a group,
        `member` presses, in forum topic `thread_id`); returns the callback query id."""
        query_id = f"cq{next(self._update_ids)}"
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "text": "…",
            "chat": _chat(chat_id, chat_type, "Ada", forum=thread_id is not None),
            "from": BOT_USER,
        }
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        with self._lock:
            shown = [s for s in self.sent if s.message_id == message_id]
        if shown and shown[-1].params.get("reply_markup"):
            message["reply_markup"] = shown[-1].params["reply_markup"]
            message["text"] = shown[-1].text
        query: dict[str, Any] = {
            "id": query_id,
            "chat_instance": str(chat_id),
            "data": data,
            "from": {"id": member or chat_id, "is_bot": False, "first_name": "Ada"},
        }
        query.update({"inline_message_id": "inline1"} if inline else {"message": message})
        self._push({"callback_query": query})
        return query_id

    def bot_added(
        self, chat_id: int, *, chat_type: str = "group", title: str = "Lab", forum: bool = False
    ) -> None:
        """Queue the my_chat_member update of the bot being added to a group."""
        self.blocked_chats.discard(chat_id)
        self._membership(_chat(chat_id, chat_type, title, forum=forum), "left", "member")

    def bot_removed(
        self, chat_id: int, *, chat_type: str = "group", status: str = "kicked"
    ) -> None:
        """Queue the bot's removal from a group ('left' or 'kicked'); sends to it get a 403
        from now on, as Telegram's do."""
        self.blocked_chats.add(chat_id)
        self._membership(_chat(chat_id, chat_type, "Lab"), "member", status)

    def _membership(self, chat: dict[str, Any], old: str, new: str) -> None:
        def member(status: str) -> dict[str, Any]:
            return {
                "status": status,
                "user": BOT_USER,
                **({"until_date": 0} if status == "kicked" else {}),
            }

        self._push(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": {"id": 77, "is_bot": False, "first_name": "Admin"},
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    def group_event(
        self, chat_id: int, chat_type: str = "group", *, forum: bool = False, **event: Any
    ) -> None:
        """Queue a message in a group with the fields given: a service message, e.g.
        `migrate_to_chat_id=-100…` or `left_chat_member={...}`, or one sent `sender_chat`."""
        message_id = next(self._message_ids)
        self._push(
            {
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": _chat(chat_id, chat_type, "Lab", forum=forum),
                    "from": {"id": 77, "is_bot": False, "first_name": "Admin"},
                    **event,
                }
            }
        )

    def _push(self, update: dict[str, Any]) -> None:
        with self._lock:
            self.last_update_id = next(self._update_ids)
            self._updates.append({"update_id": self.last_update_id, **update})
            self._lock.notify_all()

    def redeliver(self, update_id: int, chat_id: int, text: str) -> None:
        """Queue an update with an id the bot has seen before, as Telegram does when an
        update was never confirmed (the bot died before its next getUpdates)."""
        self.user_says(chat_id, text)
        with self._lock:
            self._updates[-1]["update_id"] = update_id

    # -- reading what the bot did ----------------------------------------------------
    def calls(self, method: str, chat_id: int | None = None) -> list[Sent]:
        with self._lock:
            return [
                s
                for s in self.sent
                if s.method == method and (chat_id is None or s.chat_id == chat_id)
            ]

    def messages_to(self, chat_id: int) -> list[Sent]:
        return self.calls("sendMessage", chat_id)

    def wait_for(self, predicate: Callable[[], object], timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError("timed out waiting for the bot")

    def wait_messages(self, chat_id: int, count: int, timeout: float = 30.0) -> list[Sent]:
        self.wait_for(lambda: len(self.messages_to(chat_id)) >= count, timeout)
        return self.messages_to(chat_id)

    async def until(self, predicate: Callable[[], object], timeout: float = 30.0) -> Any:
        """Like wait_for, but yields to the event loop the bot runs on."""
        import asyncio

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            await asyncio.sleep(0.02)
        raise AssertionError("timed out waiting for the bot")

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    # -- the HTTP side ---------------------------------------------------------------
    def _respond(self, request: Request) -> Reply:
        prefix = f"/bot{self.token}/"
        files = f"/file/bot{self.token}/documents/"
        path = unquote(request.path)  # PTB quotes the ':' of the token in file URLs
        if path.startswith(files):
            file_id = path[len(files) :]
            failure = self.file_fault(file_id) if self.file_fault is not None else None
            if failure is not None:
                return failure
            content = self.files.get(file_id)
            return Reply(200, content) if content is not None else _error(404, "Not Found")
        if not request.path.startswith(prefix):
            return _error(404, "Not Found")
        method = request.path[len(prefix) :]
        params = _decode(request)
        self.requests.append(request)
        if self.fault is not None:
            failure = self.fault(method, params)
            if failure is not None:
                return failure
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, f"Not Found: method {method}")
        return handler(params)  # type: ignore[no-any-return]

    def _record(self, method: str, params: dict[str, Any], message_id: int | None = None) -> None:
        with self._lock:
            self.sent.append(Sent(method, params, message_id))

    def _m_getFile(self, p: dict[str, Any]) -> Reply:
        file_id = str(p.get("file_id"))
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        size = len(self.files[file_id])
        return _ok(
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": size,
                "file_path": f"documents/{file_id}",
            }
        )

    def _m_getMe(self, _p: dict[str, Any]) -> Reply:
        return _ok(BOT_USER)

    def _m_deleteWebhook(self, p: dict[str, Any]) -> Reply:
        self._record("deleteWebhook", p)
        return _ok(True)

    def _m_setWebhook(self, p: dict[str, Any]) -> Reply:
        self._record("setWebhook", p)
        return _ok(True)

    def _m_setMyCommands(self, p: dict[str, Any]) -> Reply:
        self._record("setMyCommands", p)
        return _ok(True)

    def _m_getUpdates(self, p: dict[str, Any]) -> Reply:
        offset = int(p.get("offset") or 0)
        wait = min(float(p.get("timeout") or 0), 0.5)
        with self._lock:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and wait:
                self._lock.wait(wait)
            return _ok(list(self._updates))

    def _over_limit(self, chat_id: int) -> Reply | None:
        if not self.enforce_limits:
            return None
        with self._lock:
            now = time.monotonic()
            self._recent = [t for t in self._recent if now - t < 1.0]
            last = self._last_to_chat.get(chat_id)
            if len(self._recent) >= 30 or (last is not None and now - last < 1.0):
                self.too_many.append(now)
                return too_many_requests(1)
            self._recent.append(now)
            self._last_to_chat[chat_id] = now
        return None

    def _m_getChatAdministrators(self, p: dict[str, Any]) -> Reply:
        self._record("getChatAdministrators", p)
        return _ok([_administrator(u) for u in sorted(self.admins.get(int(p["chat_id"]), ()))])

    def _m_getChatMember(self, p: dict[str, Any]) -> Reply:
        self._record("getChatMember", p)
        user = int(p["user_id"])
        if user in self.admins.get(int(p["chat_id"]), ()):
            return _ok(_administrator(user))
        return _ok({"status": "member", "user": {"id": user, "is_bot": False, "first_name": "M"}})

    def _m_sendMessage(self, p: dict[str, Any]) -> Reply:
        chat_id = int(p["chat_id"])
        if chat_id in self.blocked_chats:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.migrated:
            body = {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": self.migrated[chat_id]},
            }
            return Reply(400, json.dumps(body))
        limited = self._over_limit(chat_id)
        if limited is not None:
            return limited
        if _too_long(p.get("text", "")):
            self.refused.append(p.get("text", ""))
            return _error(400, "Bad Request: message is too long")
        message_id = next(self._message_ids)
        self._record("sendMessage", p, message_id)
        return _ok(_message(message_id, chat_id, p.get("text", "")))

    def _m_sendDocument(self, p: dict[str, Any]) -> Reply:
        chat_id = int(p["chat_id"])
        message_id = next(self._message_ids)
        self._record("sendDocument", p, message_id)
        return _ok(_message(message_id, chat_id, p.get("caption", "")))

    def _m_sendPhoto(self, p: dict[str, Any]) -> Reply:
        chat_id = int(p["chat_id"])
        if len(str(p.get("caption", ""))) > 1024:
            return _error(400, "Bad Request: message caption is too long")
        message_id = next(self._message_ids)
        self._record("sendPhoto", p, message_id)
        return _ok(_message(message_id, chat_id, p.get("caption", "")))

    def _m_editMessageText(self, p: dict[str, Any]) -> Reply:
        if _too_long(p.get("text", "")):
            self.refused.append(p.get("text", ""))
            return _error(400, "Bad Request: MESSAGE_TOO_LONG")
        self._record("editMessageText", p)
        return _ok(_message(int(p.get("message_id", 1)), int(p["chat_id"]), p.get("text", "")))

    def _m_editMessageReplyMarkup(self, p: dict[str, Any]) -> Reply:
        self._record("editMessageReplyMarkup", p)
        return _ok(_message(int(p.get("message_id", 1)), int(p["chat_id"]), "…"))

    def _m_answerCallbackQuery(self, p: dict[str, Any]) -> Reply:
        self._record("answerCallbackQuery", p)
        return _ok(True)

    def _m_sendChatAction(self, p: dict[str, Any]) -> Reply:
        self._record("sendChatAction", p)
        return _ok(True)


def _chat(chat_id: int, chat_type: str, name: str, *, forum: bool = False) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": chat_type, "first_name": name}
    return {
        "id": chat_id,
        "type": chat_type,
        "title": name,
        **({"is_forum": True} if forum else {}),
    }


def _administrator(user_id: int) -> dict[str, Any]:
    rights = (
        "can_be_edited is_anonymous can_manage_chat can_delete_messages can_manage_video_chats "
        "can_restrict_members can_promote_members can_change_info can_invite_users "
        "can_post_stories can_edit_stories can_delete_stories"
    ).split()
    return {
        "status": "administrator",
        "user": {"id": user_id, "is_bot": False, "first_name": "Admin"},
        **{right: right != "is_anonymous" for right in rights},
    }


def _message(message_id: int, chat_id: int, text: str) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "text": text,
        "chat": {"id": chat_id, "type": "private"},
        "from": BOT_USER,
    }


def _ok(result: object) -> Reply:
    return Reply(200, json.dumps({"ok": True, "result": result}))


def _too_long(text: str) -> bool:
    """Telegram's limit: 4,096 UTF-16 code units of text (after entities are parsed; the
    HTML source is what we can count, and it is never shorter)."""
    return len(text.encode("utf-16-le")) // 2 > 4096


def _error(status: int, description: str, retry_after: int | None = None) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return Reply(status, json.dumps(body))


def too_many_requests(retry_after: int) -> Reply:
    return _error(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def server_error() -> Reply:
    return _error(502, "Bad Gateway")


def _decode(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return _decode_multipart(content_type, request.body)
    if content_type.startswith("application/json"):
        return dict(json.loads(request.body or b"{}"))
    params: dict[str, Any] = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    for key in JSON_FIELDS & params.keys():
        params[key] = json.loads(params[key])
    return params


def _decode_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename:
            params[str(name)] = {"filename": filename, "content": payload}
        else:
            value = payload.decode()
            params[str(name)] = json.loads(value) if name in JSON_FIELDS else value
    return params


def message_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """An update as Telegram sends it (getUpdates or a webhook POST): a private text message,
    a command when it starts with '/'."""
    message: dict[str, Any] = {
        "message_id": 5000 + update_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Ada"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Ada"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}
