"""A reader's own papers, from what reference managers export (BibTeX, RIS, CSL-JSON: Zotero,
Mendeley, Google Scholar) or from arXiv ids and URLs in a message. Pure parsing: papers
that only carry an arXiv id are completed from the arXiv API by the caller."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import rispy
from bibtexparser.entrypoint import parse_string

from bot.sources.arxiv_ids import split_version
from bot.text import clean_text, clip
from storage.library import LibraryPaper

MAX_FILE_BYTES = 2_000_000
MAX_ENTRIES = 1000
MAX_TITLE, MAX_ABSTRACT = 1000, 20_000
# New-style ids (2401.01234, optional version) as typed or inside arxiv.org URLs, and
# old-style ones inside URLs (hep-th/9901001). A bare "1234.5678" in prose is an id too:
# arXiv's own format, and the API tells us if it does not exist.
ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf|html)/|arxiv:\s*|\b)"
    r"(\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)",
    re.IGNORECASE,
)


class BibliographyError(ValueError):
    """The file cannot be read as a bibliography; the message says what to send instead."""


@dataclass(frozen=True)
class Parsed:
    papers: list[LibraryPaper] = field(default_factory=list)
    arxiv_only: list[str] = field(default_factory=list)  # ids still needing a title
    skipped: int = 0  # entries with neither a title nor an arXiv id


def parse_file(filename: str, payload: bytes) -> Parsed:
    """Entries of a .bib, .ris or CSL-JSON file (the format is told by the content first,
    the extension second). Raises BibliographyError for anything else."""
    if len(payload) > MAX_FILE_BYTES:
        raise BibliographyError(
            f"that file is {len(payload) // 1000:,} KB; send at most "
            f"{MAX_FILE_BYTES // 1_000_000} MB (export a collection rather than everything)"
        )
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BibliographyError(
            "that file is not text: send a .bib, .ris or CSL-JSON export"
        ) from None
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")) and not stripped.startswith("{\\"):
        entries = _csl_json(stripped)
    elif re.search(r"^TY  - ", text, re.M):
        entries = _ris(text)
    elif "@" in text:
        entries = _bibtex(text)
    else:
        name = filename.rsplit(".", 1)[-1].lower() if "." in filename else "?"
        raise BibliographyError(
            f"I can't read that .{name} file: send a BibTeX (.bib), RIS (.ris) or CSL-JSON "
            "export from Zotero, Mendeley or Google Scholar, or a message with arXiv ids"
        )
    if len(entries) > MAX_ENTRIES:
        raise BibliographyError(
            f"that file has {len(entries):,} entries; send at most {MAX_ENTRIES:,}"
        )
    return _papers(entries)


def parse_ids(text: str) -> list[str]:
    """arXiv ids (without version) in a message, in order, each once."""
    found = [split_version(m.group(1))[0] for m in ARXIV_IN_TEXT.finditer(text)]
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class _Entry:
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    year: str | None = None
    arxiv: str | None = None
    doi: str | None = None


def _papers(entries: list[_Entry]) -> Parsed:
    papers, arxiv_only, skipped = [], [], 0
    for entry in entries:
        title = clip(clean_text(_unbrace(entry.title)), MAX_TITLE)[0]
        if not title:
            if entry.arxiv:
                arxiv_only.append(entry.arxiv)
            else:
                skipped += 1
            continue
        abstract = clip(clean_text(_unbrace(entry.abstract)), MAX_ABSTRACT)[0]
        key = entry.arxiv or (f"doi:{entry.doi.lower()}" if entry.doi else None)
        key = key or "title:" + re.sub(r"\W+", " ", title.lower()).strip()[:200]
        if entry.arxiv and not abstract:
            arxiv_only.append(entry.arxiv)  # the API has the abstract
            continue
        papers.append(LibraryPaper(key, title, abstract, entry.authors, entry.year))
    return Parsed(papers, list(dict.fromkeys(arxiv_only)), skipped)


def _bibtex(text: str) -> list[_Entry]:
    # bibtexparser reports broken blocks itself (and logs them); a file where nothing
    # parsed is not a bibliography.
    logging.getLogger("bibtexparser").setLevel(logging.ERROR)
    library = parse_string(text)
    if not library.entries:
        raise BibliographyError("no BibTeX entry could be read from that file")
    out = []
    for entry in library.entries:
        fields = {k.lower(): str(f.value) for k, f in entry.fields_dict.items()}
        arxiv = _arxiv_of(
            fields.get("eprint", ""), fields.get("url", ""), fields.get("journal", "")
        )
        authors = tuple(a.strip() for a in fields.get("author", "").split(" and ") if a.strip())
        out.append(
            _Entry(
                fields.get("title", ""),
                fields.get("abstract", ""),
                authors,
                fields.get("year"),
                arxiv,
                fields.get("doi") or None,
            )
        )
    return out


def _ris(text: str) -> list[_Entry]:
    try:
        records = rispy.loads(text)
    except Exception as exc:  # rispy raises bare IOError/ValueError on malformed files
        raise BibliographyError(f"that RIS file is malformed ({exc})") from None
    out = []
    for r in records:
        title = r.get("title") or r.get("primary_title") or ""
        urls = " ".join(r.get("urls") or [])
        out.append(
            _Entry(
                str(title),
                str(r.get("abstract") or ""),
                tuple(r.get("authors") or r.get("first_authors") or ()),
                str(r.get("year") or r.get("publication_year") or "") or None,
                _arxiv_of(urls, str(r.get("notes") or "")),
                str(r.get("doi") or "") or None,
            )
        )
    return out


def _csl_json(text: str) -> list[_Entry]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BibliographyError(
            f"that JSON file is malformed ({exc.msg}, line {exc.lineno})"
        ) from None
    items = (
        data if isinstance(data, list) else data.get("items") if isinstance(data, dict) else None
    )
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BibliographyError("that JSON is not CSL-JSON (a list of references)")
    return [_csl_entry(item) for item in items]


def _csl_entry(item: dict[str, Any]) -> _Entry:
    authors = []
    for a in item.get("author") or []:
        if isinstance(a, dict):
            name = " ".join(str(a.get(k, "")) for k in ("given", "family")).strip()
            authors.append(name or str(a.get("literal", "")))
    issued = item.get("issued", {})
    parts = issued.get("date-parts") if isinstance(issued, dict) else None
    year = str(parts[0][0]) if parts and parts[0] else None
    ids = " ".join(str(item.get(k, "")) for k in ("URL", "number", "archive_location", "note"))
    return _Entry(
        str(item.get("title") or ""),
        str(item.get("abstract") or ""),
        tuple(a for a in authors if a),
        year,
        _arxiv_of(ids),
        str(item.get("DOI") or "") or None,
    )


def _arxiv_of(*texts: str) -> str | None:
    for text in texts:
        found = parse_ids(text)
        if found:
            return found[0]
    return None


def _unbrace(text: str) -> str:
    return re.sub(r"[{}]", "", text)
