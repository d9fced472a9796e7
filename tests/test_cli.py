"""The `paperboy` command on a real temporary database."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from storage import open_db
from tests.fakes.http_server import FakeServer, Reply, scripted
from tests.fakes.papers_api import api_item, payload


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    db_path = tmp_path / "cli.db"

    def invoke(*args: str, **env: str) -> Result:
        return CliRunner().invoke(cli, list(args), env={"PAPERBOY_DB_PATH": str(db_path), **env})

    invoke.db_path = db_path  # type: ignore[attr-defined]
    return invoke


def test_ingest_sample_twice_reports_fresh_counts(run) -> None:  # type: ignore[no-untyped-def]
    first = run("ingest", "--source", "sample")
    assert first.exit_code == 0, first.output
    assert "99 new, 0 updated, 0 unchanged, 0 skipped" in first.output
    second = run("ingest", "--source", "sample")
    assert "0 new, 0 updated, 99 unchanged, 0 skipped" in second.output


def test_ingest_file_with_malformed_items(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    day = tmp_path / "day.json"
    items = [api_item("2503.00001", "Fine"), api_item("", "No id")]
    day.write_text(json.dumps(items))
    result = run("ingest", "--source", f"file:{day}", "--date", "2025-03-03")
    assert result.exit_code == 0, result.output
    assert "1 new, 0 updated, 0 unchanged, 1 skipped" in result.output
    assert "no id" in result.output


def test_bad_response_exits_non_zero_and_leaves_database_unchanged(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest", "--source", "sample")
    before = _dump(run.db_path)
    bad = tmp_path / "bad.json"
    bad.write_text("<html>Service Unavailable</html>")
    result = run("ingest", "--source", f"file:{bad}", "--date", "2025-03-04")
    assert result.exit_code == 1
    assert "not valid JSON" in result.output and "nothing was stored" in result.output
    assert _dump(run.db_path) == before


def test_ingest_from_http_source(run) -> None:  # type: ignore[no-untyped-def]
    body = payload(api_item("2503.00007", "Served <i>over</i> HTTP"))
    with FakeServer(scripted(Reply(200, body))) as server:
        result = run("ingest", "--date", "2025-03-05", PAPERBOY_PAPERS_URL=server.url)
    assert result.exit_code == 0, result.output
    listed = run("papers", "--date", "2025-03-05")
    assert "2503.00007" in listed.output and "Served <i>over</i> HTTP" in listed.output


def test_ingest_source_down_exits_with_advice(run) -> None:  # type: ignore[no-untyped-def]
    with FakeServer(scripted(Reply(404, "nope"))) as server:
        result = run("ingest", PAPERBOY_PAPERS_URL=server.url)
    assert result.exit_code == 1
    assert "HTTP 404" in result.output and "PAPERBOY_PAPERS_URL" in result.output


def test_papers_search_and_listing(run) -> None:  # type: ignore[no-untyped-def]
    run("ingest", "--source", "sample")
    found = run("papers", "--search", "mixture of experts")
    assert found.exit_code == 0
    assert "Mixture of Experts" in found.output or "Mixture-of-Experts" in found.output
    nothing = run("papers", "--search", "zzzqqq")
    assert "0 match(es)" in nothing.output
    listing = run("papers")
    assert listing.output.startswith("2025-02-18: 99 paper(s) (showing 50")


def test_papers_on_empty_database_says_what_to_do(run) -> None:  # type: ignore[no-untyped-def]
    result = run("papers")
    assert result.exit_code == 1 and "paperboy ingest" in result.output


def test_invalid_inputs_are_explained(run) -> None:  # type: ignore[no-untyped-def]
    assert "use YYYY-MM-DD" in run("ingest", "--date", "03/03/2025").output
    assert "unknown source" in run("ingest", "--source", "ftp").output
    bad_env = run("papers", PAPERBOY_HTTP_TIMEOUT="-1", PAPERBOY_LOG_LEVEL="LOUD")
    assert bad_env.exit_code == 1
    assert "PAPERBOY_HTTP_TIMEOUT" in bad_env.output and "PAPERBOY_LOG_LEVEL" in bad_env.output


def test_db_migrate_is_repeatable(run) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        result = run("db", "migrate")
        assert result.exit_code == 0 and "m002_papers_fts" in result.output


def test_every_command_has_help(run) -> None:  # type: ignore[no-untyped-def]
    for args in (
        ["--help"],
        ["ingest", "--help"],
        ["papers", "--help"],
        ["db", "migrate", "-h"],
        ["demo", "--help"],
        ["run", "--help"],
    ):
        result = run(*args)
        assert result.exit_code == 0 and "Usage:" in result.output


@pytest.mark.slow
def test_demo_console_script_runs_offline(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "paperboy"
    result = subprocess.run(
        [str(script), "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PAPERBOY_PAPERS_URL": "http://127.0.0.1:9"},
    )
    assert result.returncode == 0, result.stderr
    assert "99 new" in result.stdout
    assert not (tmp_path / "data").exists()  # the demo database is throwaway


def _dump(path: Path) -> list[str]:
    db = open_db(path)
    try:
        return list(db.conn.iterdump())
    finally:
        db.close()
