"""`paperboy chat`: the same assistant in a terminal, driven by typed lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli

SCRIPT = """/start
mixture of experts inference
LLMs for HPC code
b2
b4
b5
b7
@5 how does the second paper work?
b8
@8 what hardware does it need?
/export
/timezone Europe/Berln
/frobnicate
b999
@99 hello?
"""


def test_chat_session_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["chat", "--lexical-only"], input=SCRIPT)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "What are you interested in?" in out
    assert "✅ Added: mixture of experts inference" in out
    assert "Your papers for" in out and "(bundled sample day, listed 2025-02-18)" in out
    assert "✅ Added: LLMs for HPC code" in out and "[b2] ✅ Done" in out  # two messages
    assert "You follow 2: mixture of experts inference, LLMs for HPC code." in out
    assert "[b3] 🎯 Rate 5 papers first" in out and "[b4] 📰 Send my first digest" in out
    assert "(Here it comes.)" in out
    assert "5 picked for you from 99 new papers" in out and "[b5] 1 👍" in out
    assert "(👍 Noted: more like this.)" in out and "(⭐ Saved." in out
    assert "Retrieval only" in out and "Sources" in out
    assert "❓ What would you like to know about" in out
    assert "📎 paperboy-papers.bib" in out and "@misc{" in out
    assert "Did you mean Europe/Berlin" in out
    assert "I don't know /frobnicate" in out
    assert "(there is no button b999)" in out and "(there is no message #99)" in out
    assert not (tmp_path / "data").exists()  # the chat database is throwaway


def test_chat_with_an_llm_shows_the_personal_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes.openai_server import FakeLLM

    monkeypatch.chdir(tmp_path)
    with FakeLLM() as fake:
        result = CliRunner().invoke(
            cli,
            ["chat", "--lexical-only"],
            input="/start\nLLMs for HPC code\nb1\nb3\n",
            env={"OPENAI_BASE_URL": fake.base_url},
        )
    assert result.exit_code == 0, result.output
    assert "Today brings 5 papers for you" in result.output
    assert "💡 For your interest in LLMs for HPC code: MonoCoder" in result.output
    assert "🎯 matched: ‘LLMs for HPC code’" in result.output
