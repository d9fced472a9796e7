"""Saved papers as BibTeX, for /export. Titles keep the LaTeX they came with (what
bot/sources/latex.py writes is read back the same by /import)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.sources.latex import bibtex_value
from storage.papers import Paper

_UNSAFE = re.compile(r"[{}\\]")
# A title's first real word, not a LaTeX command's name ("\textbf").
_KEY_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{4,}")


def _url(text: str) -> str:
    # url fields are verbatim in biblatex/hyperref: only what would break the entry goes.
    return _UNSAFE.sub("", text)


def cite_key(paper: Paper) -> str:
    first = paper.authors[0].split()[-1] if paper.authors else "paper"
    year = (paper.published_utc or "")[:4]
    word = next(iter(_KEY_WORD.findall(paper.title)), "untitled")
    key = f"{first}{year}{word}".lower()
    return re.sub(r"[^a-z0-9]", "", key) or paper.id.replace("/", "")


def to_bibtex(papers: Sequence[Paper]) -> str:
    entries = []
    for paper in papers:
        lines = [f"@misc{{{cite_key(paper)},", f"  title = {{{bibtex_value(paper.title)}}},"]
        if paper.authors:
            lines.append(f"  author = {{{bibtex_value(' and '.join(paper.authors))}}},")
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
