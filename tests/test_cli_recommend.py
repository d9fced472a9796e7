"""`paperboy recommend` on hand-made files: each mistake an editor makes is named as such
(the encoding, the nesting, the reader and file of an empty interest, a JSON object where a
list belongs), in one line, with exit code 1 or 2 and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.sources import sample_bytes

READERS = [{"reader": "ann", "interests": ["speculative decoding"]}]


@pytest.fixture
def papers(tmp_path: Path) -> Path:
    path = tmp_path / "papers.json"
    path.write_bytes(sample_bytes())
    return path


def recommend(tmp_path: Path, papers: Path, readers: Path) -> Result:
    args = ["recommend", "--papers", str(papers), "--readers-file", str(readers)]
    env = {"PAPERBOY_DB_PATH": str(tmp_path / "r.db")}
    return CliRunner().invoke(cli, [*args, "--lexical-only", "--limit", "2"], env=env)


def failed_with(result: Result, *words: str) -> None:
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: "), result.output
    for word in words:
        assert word in last, last


def test_the_readers_file_as_written_works(tmp_path: Path, papers: Path) -> None:
    readers = tmp_path / "readers.json"
    readers.write_bytes(b"\xef\xbb\xbf" + json.dumps(READERS).encode())  # a BOM is fine
    result = recommend(tmp_path, papers, readers)
    assert result.exit_code == 0, result.output
    assert "ann:" in result.output and "  1. " in result.output


@pytest.mark.parametrize(
    ("encoding", "name"), [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-32", "UTF-32")]
)
def test_a_utf16_readers_file_is_called_that(
    tmp_path: Path, papers: Path, encoding: str, name: str
) -> None:
    readers = tmp_path / "readers.json"
    readers.write_bytes(json.dumps(READERS).encode(encoding))
    failed_with(
        recommend(tmp_path, papers, readers),
        "--readers-file",
        f"readers.json is {name}: save it as UTF-8",
    )


def test_a_latin1_readers_file_says_where_it_stops_being_utf8(tmp_path: Path, papers: Path) -> None:
    readers = tmp_path / "readers.json"
    readers.write_bytes('[{"reader": "zoé", "interests": ["x"]}]'.encode("latin-1"))
    failed_with(
        recommend(tmp_path, papers, readers), "is not UTF-8 (byte 0xe9 at offset 15)", "UTF-8"
    )


def test_a_deeply_nested_readers_file_is_called_that(tmp_path: Path, papers: Path) -> None:
    readers = tmp_path / "readers.json"
    readers.write_text("[" * 200_000 + "]" * 200_000)
    failed_with(recommend(tmp_path, papers, readers), "readers.json is nested too deeply")


def test_an_empty_interest_names_the_reader_and_the_file_not_interest_option(
    tmp_path: Path, papers: Path
) -> None:
    readers = tmp_path / "readers.json"
    readers.write_text(json.dumps([*READERS, {"reader": "bob", "interests": ["ok", "  "]}]))
    result = recommend(tmp_path, papers, readers)
    failed_with(result, "--readers-file", "readers.json: reader 'bob', interest 2", "empty")
    assert "--interest:" not in result.output and "--interest " not in result.output


def test_a_reader_without_interests_or_likes_is_named(tmp_path: Path, papers: Path) -> None:
    readers = tmp_path / "readers.json"
    readers.write_text(json.dumps([*READERS, {"reader": "cy", "liked": []}]))
    failed_with(recommend(tmp_path, papers, readers), "reader 'cy' has neither interests")


@pytest.mark.parametrize("indent", [None, 2])
def test_a_json_object_papers_file_is_not_called_json_lines(
    tmp_path: Path, indent: int | None
) -> None:
    readers = tmp_path / "readers.json"
    readers.write_text(json.dumps(READERS))
    papers = tmp_path / "papers.json"
    papers.write_text(json.dumps({"papers": json.loads(sample_bytes())}, indent=indent))
    result = recommend(tmp_path, papers, readers)
    failed_with(
        result, "--papers", "expected a JSON list or JSON Lines, got a JSON object", "'papers'"
    )
    assert "no paper objects found in the JSON Lines file" not in result.output


@pytest.mark.parametrize("text", ["[" * 200_000 + "]" * 200_000, '{"a":' * 100_000 + "1"])
def test_a_deeply_nested_papers_file_is_called_that(tmp_path: Path, text: str) -> None:
    readers = tmp_path / "readers.json"
    readers.write_text(json.dumps(READERS))
    papers = tmp_path / "papers.json"
    papers.write_text(text)
    failed_with(recommend(tmp_path, papers, readers), "papers.json is nested too deeply")
