"""Saved papers as BibTeX, for /export."""

from __future__ import annotations

import re
from collections.abc import Sequence

from storage.papers import Paper

_UNSAFE = re.compile(r"[{}\\\\]")
# LaTeX specials in titles ("50% faster", "R&D", "k_NN", "C#") must be escaped to compile.
_LATEX = {
    "%": r"\%",
    "$": r"\$",
    "&": r"\&",
    "_": r"\_",
    "#": r"\#",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile("[" + re.escape("".join(_LATEX)) + "]")


def _field(text: str) -> str:
    # Braces and backslashes would break the entry: drop them, they are never content here.
    cleaned = _UNSAFE.sub("", " ".join(text.split()))
    return _SPECIAL.sub(lambda m: _LATEX[m.group(0)], cleaned)


def _url(text: str) -> str:
    # url fields are verbatim in biblatex/hyperref: only what would break the entry goes.
    return _UNSAFE.sub("", text)


def cite_key(paper: Paper) -> str:
    first = paper.authors[0].split()[-1] if paper.authors else "paper"
    year = (paper.published_utc or "")[:4]
    word = next((w for w in re.findall(r"[A-Za-z]{4,}", paper.title)), "untitled")
    key = f"{first}{year}{word}".lower()
    return re.sub(r"[^a-z0-9]", "", key) or paper.id.replace("/", "")


def to_bibtex(papers: Sequence[Paper]) -> str:
    entries = []
    for paper in papers:
        lines = [f"@misc{{{cite_key(paper)},", f"  title = {{{_field(paper.title)}}},"]
        if paper.authors:
            lines.append(f"  author = {{{_field(' and '.join(paper.authors))}}},")
        if paper.published_utc:
            lines.append(f"  year = {{{paper.published_utc[:4]}}},")
        if paper.links.arxiv and "/abs/" in paper.links.arxiv:
            lines += [f"  eprint = {{{paper.id}}},", "  archivePrefix = {arXiv},"]
        url = paper.links.arxiv or paper.links.hf
        if url:
            lines.append(f"  url = {{{_url(url)}}},")
        lines.append("}")
        entries.append("\n".join(lines))
    return "\n\n".join(entries) + "\n"
