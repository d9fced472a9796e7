"""Ingest keeps the newest version of a paper, and concurrent writers wait for each other
instead of failing. From the outside: the real `paperboy ingest` in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage import open_db
from tests.fakes.papers_api import api_item


def ingest(path: Path, db: Path, cwd: Path) -> subprocess.Popen[str]:
    script = Path(sys.executable).parent / "paperboy"
    env = {**os.environ, "PAPERBOY_DB_PATH": str(db)}
    return subprocess.Popen(
        [str(script), "ingest", "--source", f"file:{path}", "--date", "2025-03-03"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def write(path: Path, items: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps(items))
    return path


def stored_version(db: Path, paper_id: str) -> tuple[str, str]:
    row = (
        open_db(db).execute("SELECT version, title FROM papers WHERE id = ?", [paper_id]).fetchone()
    )
    return row[0], row[1]


def test_an_older_version_never_replaces_a_newer_one(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    v1 = write(tmp_path / "v1.json", [api_item("2401.00001v1", "First title")])
    v2 = write(tmp_path / "v2.json", [api_item("2401.00001v2", "Revised title")])
    for path in (v1, v2, v1):
        run = ingest(path, db, tmp_path)
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
    assert stored_version(db, "2401.00001") == ("v2", "Revised title")
    assert "0 updated, 1 unchanged" in out  # the last run, v1 again: nothing went back


def test_within_one_file_the_newest_version_is_kept(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    both = write(
        tmp_path / "both.json",
        [api_item("2401.00001v2", "Revised title"), api_item("2401.00001v1", "First title")],
    )
    reverse = write(
        tmp_path / "reverse.json",
        [api_item("2401.00002v1", "Old"), api_item("2401.00002v3", "Newest")],
    )
    for path in (both, reverse):
        run = ingest(path, db, tmp_path)
        _, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
    assert stored_version(db, "2401.00001") == ("v2", "Revised title")
    assert stored_version(db, "2401.00002") == ("v3", "Newest")


@pytest.mark.slow
def test_two_concurrent_ingests_both_succeed(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    open_db(db).close()  # migrated once, as `paperboy run` would have done
    files = [
        write(
            tmp_path / f"day{n}.json",
            [api_item(f"250{n}.{i:05d}", f"Paper {n}-{i}") for i in range(3000)],
        )
        for n in (1, 2)
    ]
    for _trial in range(3):
        runs = [ingest(path, db, tmp_path) for path in files]
        results = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], [err for _, err in results]
        assert all("locked" not in err for _, err in results)
    assert open_db(db).execute("SELECT count(*) FROM papers").fetchone()[0] == 6000


@pytest.mark.slow
def test_ten_concurrent_first_ingests_on_a_new_database_all_succeed(tmp_path: Path) -> None:
    db = tmp_path / "new.db"  # not created yet: every process migrates it first
    abstract = "We study sparse experts and report what we measured. " * 25  # ~1,300 chars
    files = [
        write(
            tmp_path / f"big{n}.json",
            [api_item(f"26{n:02d}.{i:05d}", f"Paper {n}-{i}", abstract) for i in range(3000)],
        )
        for n in range(10)
    ]
    runs = [ingest(path, db, tmp_path) for path in files]
    results = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0] * 10, [err[-300:] for _, err in results]
    assert open_db(db).execute("SELECT count(*) FROM papers").fetchone()[0] == 30_000
