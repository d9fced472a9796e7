"""Questions about a paper's record rather than its content: who wrote it, where to read
it, when it came out, how to cite it ("who wrote paper 1?", "link to paper 2 pls", "bibtex
for paper 3"). They are answered from what is stored of the paper; its abstract and full
text do not say these things, and searching them would only refuse."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answers.refer import without_references
from bot.sources.bibtex import to_bibtex
from bot.text import fold
from storage.papers import Paper

MAX_AUTHORS = 8

# Each on the question folded to lower case, its digest numbers blanked out.
_AUTHORS = re.compile(
    r"^\W*(?:and\s+)?who\s+(?:wrote|writes|authored|made|did|are\s+the\s+authors|is\s+the\s+"
    r"author|is\s+behind|are\s+behind)\b|^\W*(?:the\s+)?authors?\s+(?:of|for|on)\b|"
    r"^\W*authors?\W*$|\bauthors?\W*$|^\W*wer\s+hat\b.{0,60}\bgeschrieben\b|"
    r"^\W*wer\s+sind\s+die\s+autoren\b|^\W*quien(?:es)?\s+(?:escribio|escribieron|son\s+los\s+"
    r"autores)\b|^\W*(?:qui\s+a\s+ecrit|qui\s+sont\s+les\s+auteurs)\b"
)
_CODE_WORDS = re.compile(r"\b(?:code|github|gitlab|repo|repository|implementation)\b")
_LINK = re.compile(
    r"\b(?:link|links|url|pdf|arxiv\s+(?:link|page|id|number)|enlace|lien)\b|"
    r"\bwhere\s+(?:can|do)\s+i\s+(?:read|find|download|get)\b"
)
_DATE = re.compile(
    r"\bwhen\s+(?:was|is|did|were)\b.{0,80}\b(?:published|released|out|come\s+out|came\s+"
    r"out|appear|appeared|posted|submitted)\b|\bpublication\s+date\b|\bhow\s+(?:old|recent)\s+"
    r"is\b|\b(?:what|which)\s+year\b|\bwann\s+(?:wurde|ist|kam)\b.{0,80}\b(?:veroffentlicht|"
    r"erschienen|raus)\b|\bcuando\s+(?:se\s+)?(?:publico|salio)\b|\bquand\b.{0,40}\bpublie\b"
)
_CITE = re.compile(
    r"\b(?:bibtex|bib\s+entry|bibtex\s+entry|how\s+(?:do|should|to|can)\s+(?:i\s+|we\s+)?cite|"
    r"cite\s+(?:it|this|them)|citation\s+for|zitieren|citar|citer)\b"
)


# "which one should I read first?", "what's the most relevant one today": the digest's order
_READ_FIRST = re.compile(
    r"\b(?:which|what)\b.{0,40}\b(?:read|look\s+at|start\s+with)\s+first\b|"
    r"\bwhere\s+(?:should|do|shall)\s+i\s+start\b|"
    r"\b(?:which|what)(?:'s|\s+is)?\s+(?:(?:one|paper)\s+(?:is\s+)?)?(?:the\s+)?"
    r"(?:best|most\s+relevant|most\s+important|top\s+pick|must[- ]read)\b"
    r"(?=\s*(?:one|paper|pick|of\s+(?:these|them|today)|today|for\s+me|here|[?!.]|$))|"
    r"\bwelche[sn]?\b.{0,40}\bzuerst\s+lesen\b|\bcual\b.{0,40}\bleo\s+primero\b|"
    r"\blequel\b.{0,40}\blire\s+en\s+premier\b"
)


def reads_first(question: str) -> bool:
    """Asks which paper of the digest to read first (the digest is in the reader's order)."""
    return _READ_FIRST.search(fold(question.lower())[:500]) is not None


def read_first_answer(number: int) -> str:
    return (
        f"Paper {number} [1]: it ranked highest for you, and the digest is in that order. "
        f"/why {number} says what it matched."
    )


def fact_asked(question: str) -> str | None:
    """Which record a question asks for: "authors", "link", "date", "bibtex", or None."""
    text = without_references(fold(question.lower()))[:500]
    if _CITE.search(text):
        return "bibtex"
    if _AUTHORS.search(text):
        return "authors"
    if _DATE.search(text):
        return "date"
    if _LINK.search(text) and not _CODE_WORDS.search(text):
        return "link"
    return None


def fact_answer(kind: str, papers: Sequence[Paper], numbers: Sequence[int | None]) -> str:
    """The record asked for, one line per paper, each paper cited as [n]."""
    lines = []
    for n, (paper, number) in enumerate(zip(papers, numbers, strict=True), 1):
        name = f"Paper {number} [{n}]" if number is not None else f"[{n}]"
        lines.append(_ONE[kind](name, paper))
    return "\n".join(lines)


def _authors(name: str, paper: Paper) -> str:
    if not paper.authors:
        return f"{name}: I have no authors stored for it; its page, linked below, lists them."
    shown = list(paper.authors[:MAX_AUTHORS])
    rest = len(paper.authors) - len(shown)
    listed = ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else shown[0]
    if rest:
        listed = ", ".join(shown) + f" and {rest} more"
    return f"{name} is by {listed}."


def _link(name: str, paper: Paper) -> str:
    return f"{name}: {_where(paper)}"


def _date(name: str, paper: Paper) -> str:
    if not paper.published_utc:
        return f"{name}: I have no publication date stored for it; its page is linked below."
    return f"{name} was published on {paper.published_utc[:10]}."


def _bibtex(name: str, paper: Paper) -> str:
    return f"{name}, as BibTeX:\n{to_bibtex([paper]).strip()}"


def _where(paper: Paper) -> str:
    links = [
        (label, url)
        for label, url in (
            ("arXiv", paper.links.arxiv),
            ("PDF", paper.links.pdf),
            ("Hugging Face", paper.links.hf),
        )
        if url
    ]
    return " · ".join(f"{label} {url}" for label, url in links) or "no link stored"


_ONE = {"authors": _authors, "link": _link, "date": _date, "bibtex": _bibtex}
