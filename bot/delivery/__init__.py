"""Sending what must arrive over Telegram, below the stages that send (digests, the weekly
push) and the front end that answers (bot/telegram): Telegram's rate limits kept on our
side (throttle), one message sent with retries and the plain-text fallback (sender), a
group's message to its topic, following a supergroup's new id (group_send)."""
