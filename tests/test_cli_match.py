"""`paperboy match`: offline ranking of a papers file, as text and as JSON."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from tests.fakes.papers_api import api_item

ITEMS = [
    api_item(
        "2503.00001",
        "Fast Mixture-of-Experts Inference",
        "We route tokens to experts.",
        authors=("Tri Dao",),
    ),
    api_item("2503.00002", "Video Diffusion at Scale", "A diffusion model for video."),
    api_item(
        "2503.00003", "Sparse <b>Expert</b> Training & Routing", "Mixture of experts training."
    ),
]


@pytest.fixture
def papers_file(tmp_path: Path) -> Path:
    path = tmp_path / "day.json"
    path.write_text(json.dumps(ITEMS))
    return path


def match(*args: str) -> Result:
    return CliRunner().invoke(cli, ["match", *args])


def test_text_output_lists_rank_id_title_score_reason(papers_file: Path) -> None:
    result = match(
        "--papers", str(papers_file), "--interest", "mixture of experts", "--lexical-only"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "3 papers ranked (lexical only)" in lines[0]
    assert lines[2].startswith("mixture of experts: 2 above the cut-off")
    assert lines[3].lstrip().startswith("1. 2503.00001") or lines[3].lstrip().startswith(
        "1. 2503.00003"
    )
    assert "your interest ‘mixture of experts’" in result.output
    assert "2503.00002" not in result.output


def test_json_output_is_only_a_json_array_best_first(papers_file: Path) -> None:
    result = match(
        "--papers",
        str(papers_file),
        "--interest",
        "experts",
        "--interest",
        "author: Tri Dao",
        "--json",
        "--lexical-only",
        "--top",
        "5",
    )
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert rows[0]["id"] == "2503.00001"
    assert {"id", "title", "score", "reason"} <= set(rows[0])
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert rows[-1]["title"] == "Sparse <b>Expert</b> Training & Routing"


def test_top_limits_and_exclusion_filters(papers_file: Path) -> None:
    result = match(
        "--papers",
        str(papers_file),
        "--interest",
        "experts",
        "--interest",
        "not: training",
        "--json",
        "--lexical-only",
        "--top",
        "1",
    )
    assert [r["id"] for r in json.loads(result.stdout)] == ["2503.00001"]


def test_nothing_matched_is_said_plainly(papers_file: Path) -> None:
    result = match("--papers", str(papers_file), "--interest", "protein folding", "--lexical-only")
    assert result.exit_code == 0
    assert "Nothing strongly matched" in result.output
    as_json = match(
        "--papers", str(papers_file), "--interest", "protein folding", "--json", "--lexical-only"
    )
    assert json.loads(as_json.stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interest", ""], "empty"),
        (["--interest", "x" * 500], "characters long"),
        (["--interest", "LoRA", "--top", "0"], "0 is not in the range"),
    ],
)
def test_bad_options_are_explained(papers_file: Path, args: list[str], message: str) -> None:
    result = match("--papers", str(papers_file), *args)
    assert result.exit_code == 2 and message in result.output


def test_unreadable_or_malformed_file(tmp_path: Path) -> None:
    missing = match("--papers", str(tmp_path / "nope.json"), "--interest", "LoRA")
    assert missing.exit_code == 1 and "cannot read" in missing.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = match("--papers", str(bad), "--interest", "LoRA")
    assert result.exit_code == 1 and "not valid JSON" in result.output
