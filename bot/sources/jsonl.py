"""Papers as JSON Lines: one `{"id", "title", "abstract"}` object per line, or BEIR's
`{"_id", "title", "text"}` (so a retrieval benchmark's corpus can be ranked as a "day")."""

from __future__ import annotations

import json

from bot.sources.arxiv_ids import split_version
from bot.sources.hf_json import MalformedResponse, ParsedDay, clip_paper
from bot.text import clean_text
from storage.papers import Paper


def looks_like_jsonl(payload: bytes) -> bool:
    """A first line that is a whole JSON object (a Daily Papers file starts with '[')."""
    first = payload.lstrip()[:1]
    if first != b"{":
        return False
    line = payload.lstrip().split(b"\n", 1)[0]
    try:
        return isinstance(json.loads(line), dict)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False


def parse_paper_lines(payload: bytes) -> ParsedDay:
    papers: list[Paper] = []
    skipped: list[str] = []
    clipped: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate(payload.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            skipped.append(f"line {number}: not JSON")
            continue
        paper = _paper(item)
        if paper is None:
            skipped.append(f"line {number}: needs a string id and title")
        elif paper.id in seen:
            skipped.append(f"line {number}: duplicate id {paper.id}")
        else:
            seen.add(paper.id)
            paper, was_clipped = clip_paper(paper)
            if was_clipped:
                clipped.append(paper.id)
            papers.append(paper)
    if not papers:
        raise MalformedResponse("no paper objects found in the JSON Lines file")
    return ParsedDay(papers, skipped, clipped)


def _paper(item: object) -> Paper | None:
    if not isinstance(item, dict):
        return None
    pid = item.get("id", item.get("_id"))
    title = item.get("title")
    abstract = item.get("abstract", item.get("text", ""))
    if isinstance(pid, int):
        pid = str(pid)
    if not isinstance(pid, str) or not pid.strip() or not isinstance(title, str):
        return None
    text = clean_text(abstract) if isinstance(abstract, str) else ""
    # An arXiv id keeps its version apart, so the paper is one record whoever lists it.
    paper_id, version = split_version(pid.strip())
    return Paper(id=paper_id, version=version, title=clean_text(title), abstract=text)
