"""Parse the Hugging Face Daily Papers JSON shape into Paper records. Pure: bytes in, papers out."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote_plus

from bot.sources.arxiv_ids import is_arxiv_id, split_version
from bot.text import clean_text, clip
from storage.papers import Links, Paper, version_number

log = logging.getLogger(__name__)

# New-style (2401.01234v2) and old-style (cs/0101001v1) arXiv identifiers.
HF_PAPERS = "https://huggingface.co/papers"


class MalformedResponse(ValueError):
    """The payload is not the Daily Papers JSON shape at all (as opposed to one bad item)."""


@dataclass(frozen=True)
class ParsedDay:
    papers: list[Paper]
    skipped: list[str]  # one human-readable reason per malformed item
    clipped: list[str] = field(default_factory=list)  # ids whose title or abstract was cut


# Generous for any real paper; a 10 MB "abstract" must not reach summaries and answers.
MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_COUNT = 2**31 - 1  # upvotes beyond this are not a count: the item is malformed


def clip_paper(paper: Paper) -> tuple[Paper, bool]:
    """The paper with its title and abstract within the limits, and whether it was cut."""
    title, cut_title = clip(paper.title, MAX_TITLE)
    abstract, cut_abstract = clip(paper.abstract, MAX_ABSTRACT)
    if not (cut_title or cut_abstract):
        return paper, False
    return replace(paper, title=title, abstract=abstract), True


def parse_daily_papers(payload: bytes | str) -> ParsedDay:
    """Parse a Daily Papers response: a JSON list of items, each with a `paper` object."""
    try:
        data = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedResponse(f"response is not valid JSON ({exc})") from None
    except RecursionError:
        raise MalformedResponse("response is JSON nested too deeply to be a paper list") from None
    if not isinstance(data, list):
        raise MalformedResponse(f"expected a JSON list of papers, got {type(data).__name__}")
    papers: list[Paper] = []
    skipped: list[str] = []
    clipped: list[str] = []
    seen: dict[str, int] = {}  # id -> position in `papers`
    for index, item in enumerate(data):
        paper, problem = _parse_item(item)
        if paper is not None:
            paper, was_clipped = clip_paper(paper)
            if was_clipped:
                clipped.append(paper.id)
        if paper is None:
            skipped.append(f"item {index}: {problem}")
            log.warning("skipping malformed item %d: %s", index, problem)
        elif paper.id in seen:
            # Two versions of one paper in one response: keep the newer, wherever it came.
            kept = papers[seen[paper.id]]
            if version_number(paper.version) > version_number(kept.version):
                papers[seen[paper.id]] = paper
            skipped.append(f"item {index}: duplicate id {paper.id} (the newest version is kept)")
        else:
            seen[paper.id] = len(papers)
            papers.append(paper)
    return ParsedDay(papers=papers, skipped=skipped, clipped=clipped)


def _parse_item(item: Any) -> tuple[Paper | None, str]:
    if not isinstance(item, dict):
        return None, f"expected an object, got {type(item).__name__}"
    nested = item.get("paper")
    raw: dict[str, Any] = nested if isinstance(nested, dict) else item
    raw_id = _text(raw.get("id"))
    title = _clean(_text(raw.get("title")) or _text(item.get("title")))
    if not raw_id:
        return None, "no id"
    if not title:
        return None, f"no title (id {raw_id})"
    paper_id, version = split_version(raw_id)
    upvotes = raw.get("upvotes")
    if isinstance(upvotes, int | float) and not 0 <= upvotes <= MAX_COUNT:
        return None, f"upvotes out of range (id {raw_id})"
    return (
        Paper(
            id=paper_id,
            version=version,
            title=title,
            abstract=_clean(_text(raw.get("summary")) or _text(item.get("summary"))),
            authors=_authors(raw.get("authors")),
            published_utc=_text(raw.get("publishedAt")) or _text(item.get("publishedAt")) or None,
            upvotes=_int(raw.get("upvotes")),
            links=make_links(paper_id, title, _http_url(raw.get("githubRepo"))),
            keywords=tuple(k for k in (raw.get("ai_keywords") or []) if isinstance(k, str)),
            ai_summary=_clean(_text(raw.get("ai_summary"))) or None,
        ),
        "",
    )


def make_links(paper_id: str, title: str, code: str | None) -> Links:
    if is_arxiv_id(paper_id):
        return Links(
            arxiv=f"https://arxiv.org/abs/{paper_id}",
            pdf=f"https://arxiv.org/pdf/{paper_id}",
            hf=f"{HF_PAPERS}/{paper_id}",
            code=code,
        )
    # No arXiv id (e.g. the bundled sample day): title searches still land on the paper.
    query = quote_plus(title[:200])
    return Links(
        arxiv=f"https://arxiv.org/search/?searchtype=title&query={query}",
        pdf=None,
        hf=f"{HF_PAPERS}?q={query}",
        code=code,
    )


def _http_url(value: Any) -> str | None:
    # Links end up in href attributes: only plain web addresses, never javascript: and co.
    url = _text(value)
    return url if url.startswith(("https://", "http://")) and " " not in url else None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _clean(text: str) -> str:
    # Titles and abstracts arrive hard-wrapped, sometimes with control characters or
    # terminal escapes in them: none of that may reach a terminal or a chat.
    return clean_text(text)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _authors(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    names = []
    for author in value:
        name = author.get("name") if isinstance(author, dict) else author
        if (
            isinstance(name, str)
            and name.strip()
            and not (isinstance(author, dict) and author.get("hidden") is True)
        ):
            names.append(_clean(name))
    return tuple(names)
