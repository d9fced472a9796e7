"""`paperboy digest`, `ask`, `summarize` and `demo`, offline and against the fake LLM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from storage import open_db
from tests.fakes.openai_server import FakeLLM, error


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    return {"PAPERBOY_DB_PATH": str(tmp_path / "cli.db")}


def run(env: dict[str, str], *args: str, **extra: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={**env, **extra})


def test_demo_offline_shows_the_whole_loop(env: dict[str, str]) -> None:
    result = run(env, "demo", "--lexical-only")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "99 new" in out
    assert "Your papers for 2025-02-18: 5 of 99" in out
    assert "[extract, no LLM]" in out and "Why: your interest" in out
    assert "Retrieval only" in out and "[1] ExpertFlow" in out and "Sources:" in out


def test_demo_with_an_llm_uses_it_and_logs_every_call(env: dict[str, str]) -> None:
    with FakeLLM() as fake:
        result = run(
            env,
            "demo",
            "--lexical-only",
            OPENAI_BASE_URL=fake.base_url,
            PAPERBOY_SUMMARY_BATCH="10",
        )
    assert result.exit_code == 0, result.output
    assert "This paper studies" in result.output and "[extract" not in result.output
    assert "routes tokens to experts [1]" in result.output
    assert "Today brings 5 papers for you" in result.output  # the personal opening
    assert result.output.count("Why it matters to you: For your interest in") == 5
    assert result.output.count("Matched: ") == 5  # the ranker's reason, kept as a tag
    purposes = [p["messages"][0]["content"].split("\n")[0] for p in fake.payloads]
    # As in production: one expansion of the interests, summaries only for the 5 papers the
    # digest carries (one batch, not the whole day), one personal note, one answer.
    summary_prompt = "You write short summaries of research papers for busy researchers."
    assert purposes.count(summary_prompt) == 1
    assert len(purposes) == 4
    assert purposes.count("You write the daily paper digest of one researcher.") == 1


def test_digest_from_a_file_and_from_the_database(env: dict[str, str], tmp_path: Path) -> None:
    day = tmp_path / "day.json"
    from tests.fakes.papers_api import api_item

    day.write_text(
        json.dumps(
            [
                api_item("2503.00001", "Speculative decoding for LLMs"),
                api_item("2503.00002", "Protein design"),
            ]
        )
    )
    from_file = run(
        env, "digest", "--papers", str(day), "--interest", "speculative decoding", "--lexical-only"
    )
    assert from_file.exit_code == 0, from_file.output
    assert "1. Speculative decoding for LLMs" in from_file.output
    assert "Protein" not in from_file.output
    empty_db = run(env, "digest", "--interest", "LoRA", "--lexical-only")
    assert empty_db.exit_code == 1 and "paperboy ingest" in empty_db.output
    run(env, "ingest", "--source", "sample")
    from_db = run(env, "digest", "--interest", "mixture of experts", "--lexical-only")
    assert "Your papers for 2025-02-18" in from_db.output


def test_digest_with_an_llm_is_written_for_the_reader(env: dict[str, str]) -> None:
    run(env, "ingest", "--source", "sample")
    with FakeLLM() as fake:
        result = run(
            env,
            "digest",
            "--interest",
            "mixture of experts",
            "--lexical-only",
            OPENAI_BASE_URL=fake.base_url,
        )
        off = run(
            env,
            "digest",
            "--interest",
            "mixture of experts",
            "--lexical-only",
            OPENAI_BASE_URL=fake.base_url,
            PAPERBOY_LLM_PERSONAL="false",
        )
    assert result.exit_code == 0, result.output
    assert "Today brings 5 papers for you" in result.output
    assert result.output.count("This paper studies") == 5  # summaries of the 5 shown only
    assert result.output.count("Why it matters to you: For your interest in mixture of") == 5
    assert "Why it matters" not in off.output and "Why: your interest" in off.output


def test_digest_with_llm_down_still_prints_with_fallbacks(env: dict[str, str]) -> None:
    run(env, "ingest", "--source", "sample")
    with FakeLLM(lambda _p: error(500)) as fake:
        result = run(
            env,
            "digest",
            "--interest",
            "mixture of experts",
            "--lexical-only",
            OPENAI_BASE_URL=fake.base_url,
            PAPERBOY_LLM_ATTEMPTS="2",
        )
    assert result.exit_code == 0, result.output
    assert "[extract, no LLM]" in result.output
    db = open_db(env["PAPERBOY_DB_PATH"])
    assert db.execute("SELECT count(*), sum(ok) FROM llm_calls").fetchone() == (2, 0)


def test_ask_and_summarize(env: dict[str, str]) -> None:
    run(env, "ingest", "--source", "sample")
    offline = run(env, "ask", "how does ExpertFlow cache experts?")
    assert offline.exit_code == 0 and "Retrieval only" in offline.output
    assert run(env, "ask", "   ").exit_code == 2
    no_llm = run(env, "summarize")
    assert no_llm.exit_code == 1 and "OPENAI_BASE_URL" in no_llm.output
    with FakeLLM() as fake:
        done = run(env, "summarize", OPENAI_BASE_URL=fake.base_url)
        again = run(env, "summarize", OPENAI_BASE_URL=fake.base_url)
    assert "2025-02-18: 99 new summaries" in done.output
    assert "2025-02-18: 0 new summaries" in again.output
