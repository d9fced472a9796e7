from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlite_utils

from bot.assistant import Conversation
from bot.config import Settings
from bot.llm import LLMClient
from storage import open_db


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "paperboy.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[sqlite_utils.Database]:
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
async def conv(db: sqlite_utils.Database) -> AsyncIterator[Conversation]:
    """The assistant on `db`, default settings, no LLM configured."""
    settings = Settings()
    llm = LLMClient(settings, db)
    try:
        yield Conversation(db, settings, llm)
    finally:
        await llm.aclose()
