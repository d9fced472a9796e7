"""Ingest one day: load it from a source, then store every well-formed paper in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlite_utils

from bot.sources import SourceDay
from storage.papers import UpsertCounts, upsert_papers


@dataclass(frozen=True)
class IngestReport:
    day: str
    source: str
    counts: UpsertCounts
    skipped: list[str]
    clipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        c = self.counts
        cut = f", {len(self.clipped)} clipped (title or abstract too long)" if self.clipped else ""
        return (
            f"{self.day} from {self.source}: {c.new} new, {c.updated} updated, "
            f"{c.unchanged} unchanged, {len(self.skipped)} skipped{cut}"
        )


def store_day(
    db: sqlite_utils.Database,
    loaded: SourceDay,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    counts = upsert_papers(
        db, loaded.parsed.papers, day=loaded.day, source=loaded.source, progress=progress
    )
    parsed = loaded.parsed
    return IngestReport(loaded.day, loaded.source, counts, parsed.skipped, parsed.clipped)
