"""Parse arXiv's daily RSS announcement and its API's Atom entries into Paper records.
Pure: bytes in, papers out. Both formats are read with the standard library's parser; a
document type declaration is refused outright, so no entity can expand inside a feed."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from bot.sources.arxiv_ids import ARXIV_ID
from bot.sources.hf_json import MalformedResponse, clip_paper
from bot.text import clean_text
from storage.papers import Links, Paper

log = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
LISTED_TYPES = ("new", "cross")  # the day's papers
UPDATE_TYPES = ("replace", "replace-cross")  # a new version of an older paper
_ABSTRACT = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.I)
_ID_IN_URL = re.compile(r"(?:abs/|arXiv\.org:|arXiv:)(?P<id>[^\s?#/:]+(?:/[^\s?#/:]+)?)$", re.I)
# A separator's spaces are taken from the start of a run only (linear on long runs).
_AUTHOR_SPLIT = re.compile(r"(?:(?<!\s)\s+)?,\s*(?:and\s+)?|(?<!\s)\s+and\s+")
# arXiv categories (cs.CL, hep-th, cond-mat.mes-hall), not the ACM / MSC classes ("I.2.7",
# "68T50") the API lists among an entry's categories too.
_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?$")


def _categories(terms: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in (clean_text(t) for t in terms) if _CATEGORY.match(t)))


@dataclass(frozen=True)
class Announcement:
    """One RSS announcement: `day` is None when the feed has no items (weekend, holiday)."""

    day: str | None
    listed: list[Paper]  # new and cross-listed papers: the day's list
    replaced: list[Paper]  # new versions of papers announced before
    skipped: list[str] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # ids the API must fill in


def _root(payload: bytes | str, what: str) -> ET.Element:
    # The whole document is searched: a declaration after a long comment is still one.
    raw = payload if isinstance(payload, bytes) else payload.encode()
    if re.search(rb"<!\s*(?:DOCTYPE|ENTITY)", raw, re.IGNORECASE):
        raise MalformedResponse(f"{what} declares a document type; refusing to expand it")
    try:
        return ET.fromstring(payload)
    except ET.ParseError as exc:
        raise MalformedResponse(f"{what} is not well-formed XML ({exc})") from None


def split_id(raw: str) -> tuple[str, str | None] | None:
    """'oai:arXiv.org:2609.26811v1' / 'http://arxiv.org/abs/cond-mat/0412498v1' ->
    (version-less id, 'v1'); None when no arXiv id is in there."""
    raw = raw.strip()
    found = _ID_IN_URL.search(raw)
    match = ARXIV_ID.match(found["id"] if found else raw)
    return (match["id"], match["version"]) if match else None


def _text(element: ET.Element | None) -> str:
    return clean_text("".join(element.itertext())) if element is not None else ""


def _links(paper_id: str) -> Links:
    return Links(arxiv=f"https://arxiv.org/abs/{paper_id}", pdf=f"https://arxiv.org/pdf/{paper_id}")


def parse_rss(payload: bytes | str) -> Announcement:
    """arXiv's RSS 2.0 announcement (rss.arxiv.org/rss/CATS)."""
    root = _root(payload, "arXiv RSS feed")
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise MalformedResponse(f"expected an RSS feed with a channel, got <{root.tag}>")
    items = channel.findall("item")
    if not items:
        return Announcement(None, [], [])
    day = _announcement_day(channel, items)
    listed: list[Paper] = []
    replaced: list[Paper] = []
    out = Announcement(day, listed, replaced)
    seen: set[str] = set()
    for index, item in enumerate(items):
        kind = _text(item.find(f"{ARXIV}announce_type")).lower() or "new"
        paper, problem = _rss_item(item)
        if paper is None:
            out.skipped.append(f"item {index}: {problem}")
            log.warning("skipping arXiv item %d: %s", index, problem)
            continue
        if paper.id in seen:
            out.skipped.append(f"item {index}: {paper.id} listed twice (kept once)")
            continue
        seen.add(paper.id)
        paper, cut = clip_paper(paper)
        if cut:
            out.clipped.append(paper.id)
        if not paper.abstract:
            out.incomplete.append(paper.id)
        if kind in UPDATE_TYPES:
            replaced.append(paper)
        elif kind in LISTED_TYPES:
            listed.append(paper)
        else:
            out.skipped.append(f"item {index}: unknown announce type {kind!r}")
    return out


def _announcement_day(channel: ET.Element, items: list[ET.Element]) -> str | None:
    """The feed's announcement date, in arXiv's own time zone (as its pubDate says)."""
    for element in (channel.find("pubDate"), items[0].find("pubDate")):
        raw = _text(element)
        if raw:
            try:
                return parsedate_to_datetime(raw).date().isoformat()
            except (TypeError, ValueError):
                continue
    return None


def _rss_item(item: ET.Element) -> tuple[Paper | None, str]:
    ids = split_id(_text(item.find("guid"))) or split_id(_text(item.find("link")))
    if ids is None:
        return None, "no arXiv id in guid or link"
    title = _text(item.find("title"))
    if not title:
        return None, f"{ids[0]}: no title"
    abstract = _ABSTRACT.sub("", _text(item.find("description")), count=1)
    authors = tuple(a for a in _AUTHOR_SPLIT.split(_text(item.find(f"{DC}creator"))) if a)
    categories = _categories([_text(c) for c in item.findall("category")])
    paper = Paper(
        id=ids[0],
        version=ids[1],
        title=title,
        abstract=abstract,
        authors=authors,
        links=_links(ids[0]),
        categories=categories,
    )
    return paper, ""


def parse_api(payload: bytes | str) -> tuple[list[Paper], list[str]]:
    """Entries of an arXiv API (Atom) response -> (papers, skipped reasons). Accepts the
    current format and the older one that repeats namespaces on each element."""
    root = _root(payload, "arXiv API response")
    if root.tag != f"{ATOM}feed":
        raise MalformedResponse(f"expected an Atom feed, got <{root.tag}>")
    papers: list[Paper] = []
    skipped: list[str] = []
    for index, entry in enumerate(root.findall(f"{ATOM}entry")):
        ids = split_id(_text(entry.find(f"{ATOM}id")))
        title = _text(entry.find(f"{ATOM}title"))
        if ids is None:
            # The API reports a bad query as an entry titled "Error".
            skipped.append(
                f"entry {index}: {title or 'no arXiv id'}: {_text(entry.find(f'{ATOM}summary'))}"
            )
            continue
        primary = entry.find(f"{ARXIV}primary_category")
        terms = [primary.get("term", "")] if primary is not None else []
        terms += [c.get("term", "") for c in entry.findall(f"{ATOM}category")]
        paper, _ = clip_paper(
            Paper(
                id=ids[0],
                version=ids[1],
                title=title or ids[0],
                abstract=_text(entry.find(f"{ATOM}summary")),
                authors=tuple(_text(a.find(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")),
                published_utc=_text(entry.find(f"{ATOM}published")) or None,
                links=_links(ids[0]),
                categories=_categories(terms),
                comments=_text(entry.find(f"{ARXIV}comment")) or None,
            )
        )
        papers.append(paper)
    return papers, skipped
