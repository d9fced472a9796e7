"""Persistence for Paperboy: the only door to SQLite.

Imports nothing from bot, telegram or openai."""

from storage.db import open_db

__all__ = ["open_db"]
