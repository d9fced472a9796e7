"""Hostile or careless input to the command line: one clear line, exit non-zero, nothing
lost, no traceback (unless --debug). The real `paperboy` command in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage import open_db
from tests.fakes.papers_api import api_item
from tests.test_secrets_and_bad_settings import paperboy


def ingest(path: Path, cwd: Path, *extra: str) -> tuple[int, str, str]:
    result = paperboy(
        *extra, "ingest", "--source", f"file:{path}", "--date", "2025-03-03", env={}, cwd=cwd
    )
    return result.returncode, result.stdout, result.stderr


def test_deeply_nested_json_is_refused_plainly(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = ingest(path, tmp_path)
    assert code == 1 and "nested too deeply" in err and "Traceback" not in err


def test_an_item_with_an_absurd_number_is_skipped_not_fatal(tmp_path: Path) -> None:
    items = [api_item("2501.00001", "Fine paper"), api_item("2501.00002", "Odd paper")]
    items[1]["paper"]["upvotes"] = 10**30  # type: ignore[index]
    path = tmp_path / "day.json"
    path.write_text(json.dumps(items))
    code, out, err = ingest(path, tmp_path)
    assert code == 0, err
    assert "1 new" in out and "1 skipped" in out and "Traceback" not in err
    assert open_db(tmp_path / "p.db").execute("SELECT id FROM papers").fetchall() == [
        ("2501.00001",)
    ]


@pytest.mark.slow
def test_huge_abstracts_are_clipped_and_said_so(tmp_path: Path) -> None:
    items = [api_item("2501.00001", "T " * 3000, "word " * 2_000_000)]  # 10 MB, no full stop
    path = tmp_path / "day.json"
    path.write_text(json.dumps(items))
    code, out, _ = ingest(path, tmp_path)
    assert code == 0 and "1 clipped" in out
    title, abstract = (
        open_db(tmp_path / "p.db").execute("SELECT title, abstract FROM papers").fetchone()
    )
    assert len(title) <= 1_002 and len(abstract) <= 20_002
    answer = paperboy("ask", "what is the word?", env={}, cwd=tmp_path)
    assert answer.returncode == 0 and len(answer.stdout) < 5_000
    digest = paperboy("digest", "--interest", "word", "--lexical-only", env={}, cwd=tmp_path)
    assert digest.returncode == 0 and len(digest.stdout) < 5_000


def test_control_characters_and_terminal_escapes_never_reach_output(tmp_path: Path) -> None:
    title = "\x1b[31mRed\x1b[0m alert\x07: sparse\u200bexperts \x1b]0;pwned\x07here"
    path = tmp_path / "day.json"
    path.write_text(json.dumps([api_item("2501.00001", title, "An abstract.")]))
    assert ingest(path, tmp_path)[0] == 0
    listed = paperboy("papers", env={}, cwd=tmp_path).stdout
    assert "\x1b" not in listed and "\x07" not in listed
    assert "Red alert: sparseexperts here" in listed  # a zero-width space joins, not splits


def test_a_database_path_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    result = paperboy("papers", env={"PAPERBOY_DB_PATH": str(tmp_path / "folder")}, cwd=tmp_path)
    assert result.returncode == 1 and "PAPERBOY_DB_PATH" in result.stderr
    assert "Traceback" not in result.stderr
    debug = paperboy(
        "--debug", "papers", env={"PAPERBOY_DB_PATH": str(tmp_path / "folder")}, cwd=tmp_path
    )
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_a_chat_id_too_big_for_telegram(tmp_path: Path) -> None:
    result = paperboy("ask", "hi", "--chat", "99999999999999999999999", env={}, cwd=tmp_path)
    assert result.returncode == 2 and "--chat" in result.stderr
    assert "Traceback" not in result.stderr
