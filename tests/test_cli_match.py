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


def test_many_interests_in_one_run_each_ranked_on_its_own(
    papers_file: Path, tmp_path: Path
) -> None:
    interests = tmp_path / "interests.txt"
    interests.write_text("mixture of experts\n\nvideo diffusion\nprotein folding\n")
    result = match(
        "--papers",
        str(papers_file),
        "--interests-file",
        str(interests),
        "--json",
        "--lexical-only",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["interest"] for r in rows] == [
        "mixture of experts",
        "video diffusion",
        "protein folding",
    ]
    assert rows[0]["matches"][0]["id"] in {"2503.00001", "2503.00003"}
    assert [m["id"] for m in rows[1]["matches"]] == ["2503.00002"]
    assert rows[2]["matches"] == []
    assert {"rank", "id", "title", "score", "reason", "links"} == set(rows[0]["matches"][0])
    text = match("--papers", str(papers_file), "--interests-file", str(interests), "--lexical-only")
    assert "protein folding: 0 above the cut-off" in text.output


def test_interest_and_interests_file_are_exclusive(papers_file: Path, tmp_path: Path) -> None:
    interests = tmp_path / "interests.txt"
    interests.write_text("LoRA\n")
    both = match(
        "--papers", str(papers_file), "--interest", "x", "--interests-file", str(interests)
    )
    neither = match("--papers", str(papers_file))
    assert both.exit_code == neither.exit_code == 2
    assert "--interests-file" in both.output and "--interests-file" in neither.output


def test_papers_as_json_lines_in_our_shape_or_beirs(tmp_path: Path) -> None:
    ours = tmp_path / "papers.jsonl"
    ours.write_text(
        '{"id": "a1", "title": "Speculative decoding", "abstract": "Draft and verify tokens."}\n'
        "not json\n"
        '{"id": "a2", "title": "Protein folding", "abstract": "Structures."}\n'
    )
    beir = tmp_path / "corpus.jsonl"
    beir.write_text(
        '{"_id": "4983", "title": "Speculative decoding", "text": "Draft and verify."}\n'
        '{"_id": "5836", "title": "Protein folding", "text": "Structures.", "metadata": {}}\n'
    )
    for path, expected in ((ours, "a1"), (beir, "4983")):
        result = match(
            "--papers", str(path), "--interest", "speculative decoding", "--json", "--lexical-only"
        )
        assert result.exit_code == 0, result.output
        assert [r["id"] for r in json.loads(result.stdout)] == [expected]


def test_threshold_zero_returns_every_paper(papers_file: Path) -> None:
    result = match(
        "--papers",
        str(papers_file),
        "--interest",
        "protein",
        "--threshold",
        "0",
        "--json",
        "--lexical-only",
    )
    assert len(json.loads(result.stdout)) == len(ITEMS)
