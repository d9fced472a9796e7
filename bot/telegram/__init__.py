"""Telegram front end: python-telegram-bot handlers that translate updates to and from the
assistant. No decisions live here."""
