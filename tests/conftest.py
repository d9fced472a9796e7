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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end process runs (marked slow, up to a minute or more each) first: in a
    parallel run (scripts/check: each worker takes the next test when it is free) they
    start on different workers at once and the short tests fill in around them, instead of
    a long run starting last while the other workers sit idle. The order within each group
    is kept."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
