"""Ingest one day: load it from a source, then store every well-formed paper in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from bot.sources import SourceDay
from storage.papers import UpsertCounts, upsert_papers


@dataclass(frozen=True)
class IngestReport:
    day: str
    source: str
    counts: UpsertCounts
    skipped: list[str]

    def summary(self) -> str:
        c = self.counts
        return (
            f"{self.day} from {self.source}: {c.new} new, {c.updated} updated, "
            f"{c.unchanged} unchanged, {len(self.skipped)} skipped"
        )


def store_day(
    db: sqlite_utils.Database,
    loaded: SourceDay,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    counts = upsert_papers(
        db, loaded.parsed.papers, day=loaded.day, source=loaded.source, progress=progress
    )
    return IngestReport(loaded.day, loaded.source, counts, loaded.parsed.skipped)
