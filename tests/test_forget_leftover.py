"""A leftover /forget confirmation pressed after the data is gone (Telegram keeps old
messages' buttons): it says so and brings nothing back. `paperboy chat` no longer reaches
this path (it refuses buttons of messages from before /forget), so it is tested here."""

from __future__ import annotations

import sqlite_utils

from bot.assistant import Chat, Conversation, press
from storage.users import get_user


async def test_a_leftover_cancel_or_yes_after_forget(
    conv: Conversation, db: sqlite_utils.Database
) -> None:
    chat = Chat(7, "Ada")
    await conv.command(chat, "add", "sparse attention")
    (confirm,) = await conv.command(chat, "forget", "")
    (yes, cancel), *_ = confirm.buttons
    deleted = await press(conv, chat, yes.data, confirm.buttons)
    assert deleted.toast == "Deleted." and get_user(db, chat.id) is None
    for leftover in (cancel, yes):
        again = await press(conv, chat, leftover.data, confirm.buttons)
        assert again.toast == "Already deleted." and again.keyboard == ()
        assert "was already deleted" in (again.edit_html or "")
        assert get_user(db, chat.id) is None  # the press did not recreate the reader
