"""`paperboy chat`: the same assistant in a terminal, driven by typed lines; your own
bibliography, several days of papers, and buttons addressed by the message they are on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.cli.chat import file_day
from bot.sources import SourceError

HF_API = Path(__file__).parent / "data" / "hf_api"

SCRIPT = """/start
mixture of experts inference
LLMs for HPC code
b1
b2
b5.1
b5.3
@5 how does the second paper work?
b5.4
@8 what hardware does it need?
/export
/timezone Europe/Berln
/frobnicate
b999
b5.99
b42.1
@99 hello?
"""

BIB = r"""@article{rajbhandari2020zero,
  title = {ZeRO: Memory Optimizations Toward Training Trillion Parameter Models},
  author = {Rajbhandari, Samyam and Rasley, Jeff and Ruwase, Olatunji and He, Yuxiong},
  journal = {SC20: International Conference for High Performance Computing},
  year = {2020},
  abstract = {Large deep learning models offer significant accuracy gains, but training
    billions to trillions of parameters is challenging. We develop ZeRO, the Zero
    Redundancy Optimizer, to optimize memory, vastly improving training speed.}
}
@inproceedings{fedus2022switch,
  title = {Switch Transformers: Scaling to Trillion Parameter Models with Simple and
    Efficient Sparsity},
  author = {Fedus, William and Zoph, Barret and Shazeer, Noam},
  booktitle = {Journal of Machine Learning Research},
  year = {2022},
  abstract = {Mixture of Experts (MoE) models select different parameters for each
    incoming example, a sparsely activated model with a constant computational cost.}
}
"""

RIS = (
    """TY  - JOUR
TI  - Efficient Memory Management for Large Language Model Serving with PagedAttention
AU  - Kwon, Woosuk
PY  - 2023
AB  - High throughput serving of large language models requires batching many requests.
"""
    + "ER  - \n"
)  # the RIS end tag keeps its trailing space

CSL = [
    {
        "type": "article-journal",
        "title": "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness",
        "author": [{"family": "Dao", "given": "Tri"}],
        "issued": {"date-parts": [[2022]]},
    }
]


def run_chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, *options: str) -> str:
    """`paperboy chat --script FILE [options]` in `tmp_path`; what it printed."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "script.txt").write_text(script)
    result = CliRunner().invoke(cli, ["chat", "--lexical-only", "--script", "script.txt", *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_chat_session_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["chat", "--lexical-only"], input=SCRIPT)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "What are you interested in?" in out
    assert "✅ Added: mixture of experts inference" in out
    assert "Your papers for" in out and "(bundled sample day, listed 2025-02-18)" in out
    assert "[#2] ✅ Added" in out and "[b2.1] ✅ Done" in out and "[b3.1] ✅ Done" in out
    assert "[b3.1] ✅ Done → (Done!)" in out  # b1: the latest message's first button
    assert "You follow 2: mixture of experts inference, LLMs for HPC code." in out
    assert "[b4.1] 🎯 Rate 5 papers first" in out and "[b4.2] 📰 Send my first digest" in out
    assert "(Here it comes.)" in out
    assert "5 picked for you from 99 new papers" in out and "[b5.1] 1 👍  [b5.2] 1 👎" in out
    assert "[b5.1] 1 👍 → (👍 Noted: more like this.)" in out and "now: [b5.1] ✅1 👍" in out
    assert "(⭐ Saved." in out
    assert "Retrieval only" in out and "Sources" in out
    assert "[#8] ❓ What would you like to know about" in out
    assert "📎 paperboy-papers.bib" in out and "@misc{" in out
    assert "Did you mean Europe/Berlin" in out
    assert "I don't know /frobnicate" in out
    assert "(there is no button b999)" in out and "(there is no button b5.99)" in out
    assert "(there is no button b42.1)" in out and "(there is no message #99)" in out
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
            input="/start\nLLMs for HPC code\nb1\nb2\n",
            env={"OPENAI_BASE_URL": fake.base_url},
        )
    assert result.exit_code == 0, result.output
    assert "Today brings 5 papers for you" in result.output
    assert "💡 For your interest in LLMs for HPC code: MonoCoder" in result.output
    assert "🎯 matched: ‘LLMs for HPC code’" in result.output


def test_import_option_imports_a_bib_file_at_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lib.bib").write_text(BIB)
    out = run_chat(tmp_path, monkeypatch, "/library\n/learned\nb1\n", "--import", "lib.bib")
    assert "you> (--import lib.bib)" in out
    assert "[#1] 📚 Added 2 paper(s) to your library." in out
    assert "Topics from your library: tap to follow." in out and "[b2.1] ➕ " in out
    assert "1. Switch Transformers: Scaling to Trillion Parameter Models" in out
    assert "2. ZeRO: Memory Optimizations Toward Training Trillion Parameter Models" in out
    assert "📚 2 imported" in out  # /learned counts them like 👍
    assert "→ (Following it.)" in out  # a proposed topic, followed with one press


def test_import_option_refuses_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["chat", "--import", "nope.bib"], input="")
    assert result.exit_code == 2
    assert "'nope.bib' does not exist" in result.output


def test_import_path_inside_the_chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lib.bib").write_text(BIB)
    (tmp_path / "serving.RIS").write_text(RIS)
    (tmp_path / "zotero export.json").write_text(json.dumps(CSL))
    (tmp_path / "notes.txt").write_text("not a bibliography")
    out = run_chat(
        tmp_path,
        monkeypatch,
        "/import lib.bib\n/import lib.bib\n/import serving.RIS\n"
        '/import "zotero export.json"\n/import missing.bib\n/import notes.txt\n/library\n',
    )
    assert "(you send the file lib.bib, " in out
    assert "📚 Added 2 paper(s) to your library." in out
    assert "📚 Nothing new: all 2 paper(s) were already in your library." in out
    assert out.count("📚 Added 1 paper(s) to your library.") == 2  # the RIS and the CSL-JSON
    assert "(there is no file missing.bib: /import takes a .bib, .ris or CSL-JSON file)" in out
    assert "I found no arXiv id in “notes.txt”" in out  # the ordinary /import
    assert "Your library (4 papers" in out and "PagedAttention" in out and "FlashAttention" in out


def test_days_spreads_the_sample_so_week_draws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = "/start\nmixture of experts inference\nb1\n/week\nb2\nb1\n/learned\n"
    one_day = run_chat(tmp_path, monkeypatch, script)
    assert "Not enough days stored yet" in one_day
    out = run_chat(tmp_path, monkeypatch, script, "--days", "3")
    assert "spread over 3 days (2025-02-16 to 2025-02-18; its 99 papers dealt out" in out
    assert "Not enough days" not in out
    assert "🖼 📊 Your week, Wed 12 Feb to Tue 18 Feb:" in out and "(picture saved: " in out
    assert "Your top papers this week" in out and "(Sun 16 Feb)" in out
    assert "from 33 new papers (bundled sample day, listed 2025-02-18)" in out  # one third
    assert "👍 1 · ⭐ 0 · 👎 0" in out  # the rating loop: /learned saw the 👍


def test_days_and_papers_options_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    day = str(HF_API / "2026-07-31.json")
    both = CliRunner().invoke(cli, ["chat", "--days", "2", "--papers", day], input="")
    assert both.exit_code == 2 and "with --papers each file is a day" in both.output
    zero = CliRunner().invoke(cli, ["chat", "--days", "0"], input="")
    assert zero.exit_code == 2 and "--days" in zero.output
    twice = CliRunner().invoke(cli, ["chat", "--papers", day, "--papers", day], input="")
    assert twice.exit_code == 1 and "two files list the same day" in twice.output


def test_papers_files_are_stored_as_their_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(HF_API / "2026-07-31.json", tmp_path / "latest.json")  # dated by its papers
    out = run_chat(
        tmp_path,
        monkeypatch,
        "/start\nLLM agents\nb1\n/week\n/digest\n",
        "--papers",
        "latest.json",
        "--papers",
        str(HF_API / "2026-08-03-partial.json"),
    )
    assert "on 2 day(s) of papers from your files (2026-07-31, 2026-08-03)" in out
    assert "🖼 📊 Your week, Tue 28 Jul to Mon 03 Aug:" in out
    assert "AI Tour Meeting: Group Travel Planning by LLM Agents (Fri 31 Jul)" in out
    assert "from 3 new papers (file, listed 2026-08-03)" in out


def test_file_day(tmp_path: Path) -> None:
    assert file_day(HF_API / "2026-08-03-partial.json") == "2026-08-03"
    named = tmp_path / "2026-01-05-hf.json"
    named.write_text("[]")
    assert file_day(named) == "2026-01-05"  # no papers to date it: its name
    for name, text in (("papers.json", "[]"), ("2026-13-45.json", "not json")):
        (tmp_path / name).write_text(text)
        with pytest.raises(SourceError, match="name it after the day"):
            file_day(tmp_path / name)


def test_buttons_are_addressed_by_their_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = run_chat(
        tmp_path,
        monkeypatch,
        "/start\nmixture of experts inference\nLLMs for HPC code\n"
        "b2.1\nb3.1\nb4.1\nb4.2\nb2\nb5.1\nb1\n/interests\nb6.1\nb6.1\nb2\n",
    )
    assert "[b2.1] ✅ Done" in out and "[b3.1] ✅ Done" in out
    # The first Done was superseded by the second; the second one works.
    assert f"({OLD}: a newer message asks the same)" in out
    assert "[b3.1] ✅ Done → (Done!)" in out
    # Rate first: the 👍/👎 under message 5 are 5.1, 5.2, …, its digest button carries on.
    assert "[b4.1] 🎯 Rate 5 papers first → (Rate away!)" in out
    assert "    [b5.1] 👍 1  [b5.2] 👎 1" in out and "[b5.11] 📰 Send my first digest" in out
    assert out.count(f"({OLD}: ") == 2  # b4.2: its digest offer moved to message 5
    assert "[b5.2] 👎 1 → (👎 Noted: fewer like this.)" in out  # b2: the latest message
    assert "now: [b5.1] ✅👍 1  [b5.2] 👎 1" in out  # 👍 and 👎 exclude each other
    # /interests: ✖ removes and the message is edited; the numbers shown stay valid.
    assert "[b6.1] ✖ 1  [b6.2] ✖ 2" in out
    assert "[b6.1] ✖ 1 → (Removed.)" in out and "[#6, edited] Your interests" in out
    assert "(that button no longer applies: the bot changed #6's buttons since)" in out
    assert "[b6.2] ✖ 1 → (Removed.)" in out  # b2: still the second interest


def test_stale_buttons_after_forget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = run_chat(
        tmp_path,
        monkeypatch,
        "/start\nLLMs for HPC code\n/digest\n/forget\nb1\nb2.1\nb3.1\nb2\n"
        "/start\nmixture of experts inference\nb1\n",
    )
    assert "[b2.1] ✅ Done" in out and "[b3.1] 1 👍" in out  # both live before /forget
    assert "[#5] This deletes your interests" in out
    assert "[b5.1] 🗑 Yes, delete everything → (Deleted.)" in out
    # Onboarding's Done (b2.1) does not run again, the old digest's 👍 (b3.1) records nothing.
    assert out.count(f"({OLD}: everything from before /forget was deleted)") == 2
    assert f"({OLD}: the bot took its buttons away)" in out  # b2: the answered confirmation
    assert "Everything I stored about you was already deleted" not in out
    assert "Noted" not in out
    assert out.count("(Done!)") == 1 and "[b7.1] ✅ Done → (Done!)" in out  # a new start's
    assert "You follow 1: mixture of experts inference." in out


OLD = "that button belongs to an old message that no longer applies"


GROUP_SCRIPT = """@bob: /add LoRA
@ada: /add@paperboy_bot mixture of experts inference
/time 9:30
@cy: /time 6:00
/time
/add@other_bot LoRA
@bob: /digest
b7.1
@cy: b7.1
@ada: b7.2
@bob: b7.1
@cy: b7.3
lunch at noon?
@bob: @7 how does paper 1 cut the cost of inference?
@cy: @paperboy_bot which paper is about expert offloading?
/list
@ada: /forget
b1
@bob: b7.1
"""


def test_group_session_plays_lab_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = run_chat(tmp_path, monkeypatch, GROUP_SCRIPT, "--group")
    # Set-up: the bot, added by ada, posts how to set it up; only ada (admin) changes it.
    assert "(ada adds @paperboy_bot to the group)" in out and "An admin sets me up" in out
    assert "bob> /add LoRA\n[#2] 🔒 Only the group's admins can change my settings" in out
    assert "ada> /add@paperboy_bot mixture of experts inference\n[#3] ✅ Added" in out
    assert "ada> /time 9:30\n[#4] ⏰ Your digest comes daily at 09:30" in out
    assert "cy> /time 6:00\n[#5] 🔒 Only the group's admins" in out
    assert "cy> /time\n[#6] Your digest comes daily at 09:30" in out  # looking is for all
    assert "(a command for @other_bot, not for this bot: it stays silent)" in out
    # A member asks for the digest; votes count once per member, with the tally shown.
    assert "bob> /digest\n[#7] 📰 Your papers for" in out and "[b7.1] 1 👍  [b7.2] 1 👎" in out
    votes = _pressed(out)
    assert votes[:4] == [
        ("bob", "👍 Your vote counts: 👍 1 · 👎 0", "now: [b7.1] 1 👍 1"),
        ("cy", "👍 Your vote counts: 👍 2 · 👎 0", "now: [b7.1] 1 👍 2"),
        ("ada", "👎 Your vote counts: 👍 2 · 👎 1", "now: [b7.2] 1 👎 1"),
        ("bob", "Vote withdrawn: 👍 1 · 👎 1", "now: [b7.1] 1 👍 1"),
    ]
    assert votes[4][1] == "⭐ On the group's reading list (/list)."
    # Privacy mode: the members' own talk is not read; a reply or a mention is a question.
    assert "cy> lunch at noon?\n(the bot does not see this" in out
    assert "bob> @7 how does paper 1 cut the cost of inference?\n[#9] From paper 1 of that" in out
    assert "which paper is about expert offloading?\n[#10] From the papers of that digest" in out
    assert "[#11] 📚 The group's reading list (1;" in out and "👍 1 · 👎 1" in out
    # /forget is the admin's; afterwards the old digest's buttons do nothing.
    assert "🗑 Everything I stored for this group is deleted" in out
    assert "bob> b7.1\n(that button belongs to an old message" in out


def _pressed(out: str) -> list[tuple[str, str, str]]:
    """(who pressed, the toast, the buttons changed) for each press in the transcript."""
    found = []
    for block in out.split("\n\n"):
        lines = block.splitlines()
        if len(lines) >= 2 and " → (" in lines[1]:
            who = lines[0].split(">", 1)[0]
            toast = lines[1].split(" → (", 1)[1].removesuffix(")")
            found.append((who, toast, lines[2].strip() if len(lines) > 2 else ""))
    return found


def test_group_takes_no_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lib.bib").write_text(BIB)
    result = CliRunner().invoke(cli, ["chat", "--group", "--import", "lib.bib"], input="")
    assert result.exit_code == 2 and "a group has no library" in result.output
