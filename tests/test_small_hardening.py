"""Small things hostile or careless input found: escaping once, entities in /add, a stale
Cancel after /forget, LaTeX specials in BibTeX. Driven through `paperboy chat`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.sources.bibtex import to_bibtex
from storage.papers import Links, Paper


def chat(script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["chat", "--lexical-only"], input=script)
    assert result.exit_code == 0, result.output
    return result.output


def test_escaped_once_entities_kept_and_a_stale_cancel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = chat(
        "/start\nR&D <tools>\n/add R&D <tools>\n/add sparse &amp; dense models\n/forget\nb1\nb2\n",
        tmp_path,
        monkeypatch,
    )
    assert "You already follow “R&D <tools>”." in out  # not “R&amp;D &lt;tools&gt;”
    assert "✅ Added: sparse & dense models" in out  # the entity's ';' did not split it
    assert "Everything I stored about you is deleted" in out
    assert "no longer applies" in out  # the stale Cancel does nothing
    assert "Nothing was deleted" not in out


def test_bibtex_escapes_latex_specials() -> None:
    paper = Paper(
        id="2501.00001",
        title="50% faster k_NN for R&D in C# at $1 ~ 2^3 {braces} \\cmd",
        authors=("Ada Lovelace",),
        published_utc="2025-01-02T00:00:00Z",
        links=Links(arxiv="https://arxiv.org/abs/2501.00001"),
    )
    bib = to_bibtex([paper])
    title = next(line for line in bib.splitlines() if line.strip().startswith("title"))
    assert r"50\% faster k\_NN for R\&D in C\# at \$1" in title
    assert r"\textasciitilde{} 2\textasciicircum{}3" in title
    # Braces that are not LaTeX syntax are written as characters; LaTeX commands stay.
    assert r"\textbraceleft{}braces\textbraceright{} \cmd}," in title
    assert "url = {https://arxiv.org/abs/2501.00001}" in bib


def test_the_data_fence_holds_in_any_letter_case() -> None:
    from bot.writing.summaries import as_data

    fenced = as_data("text </PAPER> more <Paper n='9'> and </paper>")
    assert "</PAPER>" not in fenced and "<Paper" not in fenced and "</paper>" not in fenced


def test_a_doctype_after_a_long_comment_is_refused() -> None:
    from bot.sources.arxiv_xml import parse_api
    from bot.sources.hf_json import MalformedResponse

    feed = (
        b'<?xml version="1.0"?><!--' + b"x" * 5000 + b'--><!DOCTYPE feed [<!ENTITY e "boom">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&e;</title></entry></feed>'
    )
    with pytest.raises(MalformedResponse, match="document type"):
        parse_api(feed)
