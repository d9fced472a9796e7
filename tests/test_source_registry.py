"""A source is one class and one registry entry: a toy source registered here (through the
registry's public API) is parsed, checked and ingested by the same paths as hf and arXiv."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from bot.cli import cli
from bot.config import Settings, SettingsError
from bot.sources import (
    SETTING_CHECKS,
    LoadOptions,
    SourceDay,
    SourceError,
    SpecError,
    load_day,
    parse_source_spec,
    register,
    registered,
    spec_help,
    split_sources,
    unregister,
)
from bot.sources.hf_json import ParsedDay
from bot.sources.ingest import load_source, store_day
from storage import open_db
from storage.papers import Paper, listing_sources, papers_for_day

TOY_DAY = "2026-01-05"


class Toy:
    """N made-up papers a day: `toy:N`."""

    name = "toy"
    usage = "toy:N"
    example = "toy:3"
    about = "N made-up papers"

    def __init__(self) -> None:
        self.options: list[LoadOptions] = []

    def parse_spec(self, argument: str) -> int:
        if not argument.isdigit() or int(argument) == 0:
            raise SpecError("toy: needs a number of papers, e.g. toy:3")
        return int(argument)

    async def load(self, config: int, day: str | None, options: LoadOptions) -> SourceDay:
        self.options.append(options)
        papers = [
            Paper(id=f"toy-{n}", title=f"Toy paper {n}", abstract=f"About toys, {n} of them.")
            for n in range(1, config + 1)
        ]
        return SourceDay(self.name, day or TOY_DAY, ParsedDay(papers, []))


@pytest.fixture
def toy() -> Iterator[Toy]:
    source = Toy()
    register(source)
    try:
        yield source
    finally:
        unregister(source.name)


async def test_a_registered_source_is_ingested_through_load_day(
    toy: Toy, db: sqlite_utils.Database
) -> None:
    loaded = await load_day("toy:3", None, papers_url="unused", timeout_s=7.0)
    report = store_day(db, loaded)
    assert report.summary() == f"{TOY_DAY} from toy: 3 new, 0 updated, 0 unchanged, 0 skipped"
    assert [p.title for p in papers_for_day(db, TOY_DAY)] == [f"Toy paper {n}" for n in (1, 2, 3)]
    assert listing_sources(db, ["toy-1"]) == {"toy-1": ["toy"]}
    assert toy.options[0].timeout_s == 7.0 and toy.options[0].papers_url == "unused"


async def test_the_settings_path_reaches_it_too(toy: Toy, db: sqlite_utils.Database) -> None:
    settings = Settings.from_env({"PAPERBOY_SOURCE": "sample,toy:2"}, checks=SETTING_CHECKS)
    assert settings.sources == ["sample", "toy:2"]
    loaded = await load_source(settings, settings.sources[1], "2026-01-06")
    assert store_day(db, loaded).counts.new == 2
    assert toy.options[0].arxiv is not None  # each source gets every option; it takes its own


def test_paperboy_ingest_takes_it(toy: Toy, tmp_path: Path) -> None:
    db_path = tmp_path / "cli.db"
    env = {"PAPERBOY_DB_PATH": str(db_path), "PAPERBOY_EMBEDDINGS": "off"}
    result = CliRunner().invoke(cli, ["ingest", "--source", "toy:4"], env=env)
    assert result.exit_code == 0, result.output
    assert f"{TOY_DAY} from toy: 4 new" in result.output
    assert len(papers_for_day(open_db(db_path), TOY_DAY)) == 4


def test_its_specs_are_checked_and_offered_like_the_others(toy: Toy) -> None:
    assert spec_help() == (
        "use hf, arxiv:CATS (e.g. arxiv:cs.CL+cs.LG), sample, file:PATH or toy:N (e.g. toy:3)"
    )
    assert split_sources("hf, toy:2") == ["hf", "toy:2"]
    assert parse_source_spec("toy:2").config == 2
    with pytest.raises(SourceError, match=r"^source 'toy:x': toy: needs a number"):
        parse_source_spec("toy:x")
    with pytest.raises(SourceError, match=r"^unknown source 'toy': use hf"):
        parse_source_spec("toy")  # its usage has an argument: the bare name is not a spec
    with pytest.raises(SettingsError, match=r"PAPERBOY_SOURCE='toy:0': source 'toy:0'"):
        Settings.from_env({"PAPERBOY_SOURCE": "toy:0"}, checks=SETTING_CHECKS)


def test_a_name_is_registered_once_and_unregistering_forgets_it() -> None:
    toy = Toy()
    register(toy)
    try:
        with pytest.raises(ValueError, match="already registered"):
            register(Toy())
    finally:
        unregister("toy")
    assert [s.name for s in registered()] == ["hf", "arxiv", "sample", "file"]
    with pytest.raises(SourceError, match=r"unknown source 'toy:2': use hf, arxiv:CATS"):
        split_sources("toy:2")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("rss", "unknown source 'rss': use hf, arxiv:CATS (e.g. arxiv:cs.CL+cs.LG), sample or "),
        ("hf:x", "unknown source 'hf:x'"),
        ("arxiv", "unknown source 'arxiv'"),
        ("arxiv:", "source 'arxiv:': arxiv: needs categories, e.g. arxiv:cs.CL+cs.LG"),
        ("arxiv:cs.CLL", "source 'arxiv:cs.CLL': 'cs.CLL' is not an arXiv category"),
        ("file:", "source 'file:': file: needs a path"),
    ],
)
def test_the_built_in_specs_say_what_to_type(spec: str, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_source_spec(spec)
    assert str(caught.value).startswith(message)


async def test_an_unreadable_file_is_a_source_error(tmp_path: Path) -> None:
    missing = tmp_path / "none.json"
    with pytest.raises(SourceError, match=r"cannot read .*none\.json"):
        await load_day(f"file:{missing}", None, papers_url="")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(SourceError, match=r"bad\.json: .*; nothing was stored"):
        await load_day(f"file:{bad}", None, papers_url="")
