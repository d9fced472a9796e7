"""What a button press changes on the pressed message, for private chats and groups alike:
its text or its keyboard, edited in place."""

from __future__ import annotations

import logging

from telegram import CallbackQuery
from telegram.error import BadRequest, RetryAfter

from bot.assistant import ButtonOutcome
from bot.delivery.sender import markup

log = logging.getLogger(__name__)


async def show_outcome(query: CallbackQuery, outcome: ButtonOutcome) -> None:
    """Acknowledge the press, then edit the message as `outcome` says."""
    await query.answer(outcome.toast)
    if query.message is None:
        return
    try:
        if outcome.edit_html is not None:
            await query.edit_message_text(
                outcome.edit_html, parse_mode="HTML", reply_markup=markup(outcome.keyboard or ())
            )
        elif outcome.keyboard is not None:
            await query.edit_message_reply_markup(markup(outcome.keyboard))
    except RetryAfter:
        # A busy group's edits are limited too: the next vote's edit shows the tally.
        log.info("edit after a press postponed (rate limited)")
    except BadRequest as exc:
        # A double tap asks for the same edit twice; Telegram refuses the second.
        if "not modified" not in str(exc).lower():
            raise
