"""Sources on this machine: the sample day bundled with the package, and a file (the Daily
Papers JSON shape or JSON Lines)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bot.sources.base import (
    LoadOptions,
    SourceDay,
    SourceError,
    SpecError,
    parse_listing,
    today_utc,
)

SAMPLE_DAY = "2025-02-18"


def sample_bytes() -> bytes:
    return resources.files("bot.sources").joinpath("data/sample-day.json").read_bytes()


class SampleDay:
    name = "sample"
    usage = "sample"
    example = ""
    about = "the bundled sample day, offline"

    def parse_spec(self, argument: str) -> None:
        return None

    async def load(self, config: None, day: str | None, options: LoadOptions) -> SourceDay:
        return SourceDay(self.name, day or SAMPLE_DAY, parse_listing(sample_bytes()))


class PapersFile:
    name = "file"
    usage = "file:PATH"
    example = ""
    about = "a Daily Papers JSON or JSON Lines file"

    def parse_spec(self, argument: str) -> Path:
        if not argument:
            raise SpecError("file: needs a path, e.g. file:papers.json")
        return Path(argument)

    async def load(self, config: Path, day: str | None, options: LoadOptions) -> SourceDay:
        try:
            payload = config.read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read {config}: {exc.strerror}") from None
        return SourceDay(self.name, day or today_utc(), parse_listing(payload))
