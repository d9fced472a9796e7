"""Button presses: 👍 / 👎 / ⭐ / ❓ under papers, ✖ under interests, /forget's confirmation,
Done and "first digest" while onboarding.
Anything stale or forged gets a polite notice, never an exception."""

from __future__ import annotations

from html import escape

from bot.assistant.core import Conversation
from bot.assistant.following import interests_reply
from bot.assistant.frontend import ButtonOutcome, Chat
from bot.assistant.on_demand import digest
from bot.assistant.saved import search
from bot.messages.callbacks import decode, encode
from bot.messages.replies import Button, Keyboard, Reply
from bot.text import clip
from bot.writing.extractive import split_sentences
from storage.deliveries import sent_paper_ids
from storage.feedback import rated_paper_ids, record_feedback, save_paper, unsave_paper
from storage.interests import remove_interest
from storage.papers import Paper, get_paper
from storage.turns import add_turn
from storage.users import delete_user, get_user

STALE = "That button has expired. Send /help to see what I can do."
CHOSEN = "✅"


async def press(
    conv: Conversation, chat: Chat, data: str | None, keyboard: Keyboard = ()
) -> ButtonOutcome:
    decoded = decode(data)
    if decoded is None:
        return ButtonOutcome(STALE)
    action, value = decoded
    if action == "forget":
        return _forget(conv, chat, value)
    conv.user(chat)
    if action == "rm":
        return _remove(conv, chat, value)
    if action == "onb":
        return await _onboarding(conv, chat, value)
    if action == "addi":
        added = conv.add_interests(chat, value)
        return ButtonOutcome("Following it." if "Added" in added[0].html else "Already there.")
    if action == "srch":
        return ButtonOutcome(
            "Searching.", keyboard=(), replies=tuple(await search(conv, chat, value))
        )
    if action == "req" and value in ("pause", "resume", "digest"):
        replies = await conv.command(chat, value, "")
        return ButtonOutcome("On it.", keyboard=(), replies=tuple(replies))
    if action == "unsv":
        gone = unsave_paper(conv.db, chat.id, value)
        return ButtonOutcome("Removed from your saved papers." if gone else "It was not saved.")
    paper = get_paper(conv.db, value)
    if paper is None:
        return ButtonOutcome("I no longer have that paper.")
    if not _offered(conv, chat, data or "", keyboard, paper.id):
        return ButtonOutcome(STALE)
    if action in ("up", "down"):
        record_feedback(conv.db, chat.id, paper.id, 1 if action == "up" else -1)
        toast = "👍 Noted: more like this." if action == "up" else "👎 Noted: fewer like this."
        return ButtonOutcome(toast, keyboard=mark_choice(keyboard, data or ""))
    if action == "save":
        fresh = save_paper(conv.db, chat.id, paper.id)
        toast = "⭐ Saved. /saved lists them, /export gives BibTeX." if fresh else "Already saved."
        return ButtonOutcome(toast, keyboard=mark_choice(keyboard, data or ""))
    prompt = (
        f"❓ What would you like to know about “{escape(paper.title)}”? Reply to this "
        "message with your question."
    )
    turn = add_turn(conv.db, chat.id, "assistant", prompt, cited=[paper.id])
    return ButtonOutcome("Ask away!", replies=(Reply(prompt, turn_id=turn),))


def _offered(conv: Conversation, chat: Chat, data: str, keyboard: Keyboard, paper_id: str) -> bool:
    """Was this paper's button shown to this chat? Telegram sends the pressed message's
    keyboard with the press; a press on an old message comes without it, and then the
    paper must be one the chat was sent or rated. Forged presses fail both."""
    if keyboard:
        return any(button.data == data for row in keyboard for button in row)
    return paper_id in rated_paper_ids(conv.db, chat.id) or paper_id in set(
        sent_paper_ids(conv.db, chat.id, limit=1_000_000)
    )


def mark_choice(keyboard: Keyboard, data: str) -> Keyboard | None:
    """The keyboard with the pressed button ticked (👍 and 👎 exclude each other)."""
    if not keyboard:
        return None
    action, _, paper_id = data.partition("|")
    opposite = {"up": "down", "down": "up"}.get(action)
    rows = []
    for row in keyboard:
        new_row = []
        for button in row:
            b_action, _, b_paper = button.data.partition("|")
            ticked = button.text.startswith(CHOSEN)
            if b_paper == paper_id and b_action == action:
                ticked = True
            elif b_paper == paper_id and b_action == opposite:
                ticked = False
            text = (CHOSEN if ticked else "") + button.text.removeprefix(CHOSEN)
            new_row.append(Button(text, button.data))
        rows.append(tuple(new_row))
    return tuple(rows)


FIRST_DIGEST: Keyboard = ((Button("📰 Send my first digest", encode("onb", "digest")),),)


def rating_reply(papers: list[Paper]) -> Reply:
    """A few papers to 👍/👎, one row of buttons each: what the reader model starts from."""
    lines = ["🎯 Rate these and your digests use your taste from day one:", ""]
    rows: list[tuple[Button, ...]] = []
    for n, paper in enumerate(papers, 1):
        gist = clip((split_sentences(paper.abstract) or [""])[0], 160)[0]
        lines.append(f"{n}. <b>{escape(paper.title)}</b> — {escape(gist)}")
        rows.append(
            (Button(f"👍 {n}", encode("up", paper.id)), Button(f"👎 {n}", encode("down", paper.id)))
        )
    lines += ["", "Then tap below for your first digest."]
    return Reply("\n".join(lines), (*rows, *FIRST_DIGEST))


def _remove(conv: Conversation, chat: Chat, value: str) -> ButtonOutcome:
    # A forged number past SQLite's 64-bit integers is just not one of theirs.
    if not value.isdigit() or len(value) > 18 or not remove_interest(conv.db, chat.id, int(value)):
        return ButtonOutcome("Already removed.")
    refreshed = interests_reply(conv, chat)
    return ButtonOutcome("Removed.", keyboard=refreshed.buttons, edit_html=refreshed.html)


async def _onboarding(conv: Conversation, chat: Chat, value: str) -> ButtonOutcome:
    """Done: stop collecting topics and offer the first digest (or a few papers to rate
    first); then send it."""
    if value == "digest":
        return ButtonOutcome(
            "Here it comes.", keyboard=(), replies=tuple(await digest(conv, chat, ""))
        )
    if value == "rate":
        papers = await conv.desk.to_rate(chat.id)
        if not papers:
            return ButtonOutcome("No papers stored yet: your first digest will teach me.")
        return ButtonOutcome("Rate away!", keyboard=FIRST_DIGEST, replies=(rating_reply(papers),))
    replies = conv.onboarding_done(chat)
    if replies is None:
        return ButtonOutcome("You follow nothing yet: send a topic first.")
    return ButtonOutcome("Done!", keyboard=(), replies=tuple(replies))


def _forget(conv: Conversation, chat: Chat, value: str) -> ButtonOutcome:
    if get_user(conv.db, chat.id) is None:
        # A leftover confirmation, pressed after the data is already gone.
        return ButtonOutcome(
            "Already deleted.",
            keyboard=(),
            edit_html="Everything I stored about you was already deleted. /start to begin again.",
        )
    if value != "yes":
        return ButtonOutcome("Kept everything.", keyboard=(), edit_html="Nothing was deleted.")
    delete_user(conv.db, chat.id)
    return ButtonOutcome(
        "Deleted.",
        keyboard=(),
        edit_html="🗑 Everything I stored about you is deleted. /start to begin again.",
    )
