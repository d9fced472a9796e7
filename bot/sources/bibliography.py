"""A reader's own papers, from what reference managers export (BibTeX, RIS, CSL-JSON: Zotero,
Mendeley, Google Scholar) or from arXiv ids and URLs in a message. Pure parsing: papers
that only carry an arXiv id are completed from the arXiv API by the caller. A file is read
in linear time whatever it holds, and an entry that cannot be read is named, not dropped."""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any

import rispy
from bibtexparser.entrypoint import parse_string
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
)

from bot.sources.arxiv_ids import split_version
from bot.sources.latex import plain_latex
from bot.text import clean_text, clip
from storage.library import LibraryPaper

MAX_FILE_BYTES = 2_000_000
MAX_ENTRIES = 1000
MAX_TITLE, MAX_ABSTRACT = 1000, 20_000
MAX_AUTHORS = 100  # names kept per paper (a hostile "a and a and …" is 15,000 names)
# New-style ids (2401.01234, optional version) as typed or inside arXiv URLs, and old-style
# ones (hep-th/9901001, math.AG/0101001). A bare "1234.5678" in prose is an id too: arXiv's
# own format, and the API tells us if it does not exist. The old-style archive name is
# bounded and starts a run (the look-behind): an unbounded `[a-z-]+` tried at every `\b`
# made "a-a-a-…" quadratic (a 60 KB journal field took 30 s).
ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf|html)/|arxiv:\s*|\b)"
    r"(\d{4}\.\d{4,5}(?:v\d+)?"
    r"|(?<![\w.-])[a-z]{1,8}(?:-[a-z]{1,5})?(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)",
    re.IGNORECASE,
)
# Where a BibTeX block starts ("@article{"), counted before the (pure Python, slow on
# thousands of broken blocks) parser runs; and a broken block's key, to name it.
_BIB_BLOCK = re.compile(r"@[A-Za-z]{1,30}\s{0,20}[{(]")
_BIB_KEY = re.compile(r"@[A-Za-z]{1,30}\s{0,20}[{(]\s{0,20}([^,\s{}()]{1,80})\s{0,20},")
_RIS_START = re.compile(r"^TY  - ", re.MULTILINE)
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")

logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)  # it logs entries' raw text


class BibliographyError(ValueError):
    """The file cannot be read as a bibliography; the message says what to send instead."""


@dataclass(frozen=True)
class Skipped:
    """An entry that could not be read: which one, as the reader can find it, and why."""

    entry: str  # 'entry 3 (“A title”)', 'the entry at line 12 (key smith2020)'
    reason: str


@dataclass(frozen=True)
class Parsed:
    papers: list[LibraryPaper] = field(default_factory=list)
    arxiv_only: list[str] = field(default_factory=list)  # ids still needing a title
    skipped: int = 0  # entries with neither a title nor an arXiv id
    refused: list[Skipped] = field(default_factory=list)  # entries that could not be read


def parse_file(filename: str, payload: bytes) -> Parsed:
    """Entries of a .bib, .ris or CSL-JSON file (the format is told by the content first,
    the extension second). Raises BibliographyError when no entry can be read."""
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
        entries, refused = _csl_json(stripped)
    elif _RIS_START.search(text):
        entries, refused = _ris(text)
    elif "@" in text:
        entries, refused = _bibtex(text)
    else:
        name = filename.rsplit(".", 1)[-1].lower() if "." in filename else "?"
        raise BibliographyError(
            f"I can't read that .{name} file: send a BibTeX (.bib), RIS (.ris) or CSL-JSON "
            "export from Zotero, Mendeley or Google Scholar, or a message with arXiv ids"
        )
    _check_count(len(entries) + len(refused))
    return _papers(entries, refused)


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


class _Refused(ValueError):
    """Why one entry is refused (raised while reading it, caught per entry)."""


def _check_count(count: int) -> None:
    if count > MAX_ENTRIES:
        raise BibliographyError(f"that file has {count:,} entries; send at most {MAX_ENTRIES:,}")


def _papers(entries: list[_Entry], refused: list[Skipped]) -> Parsed:
    papers, arxiv_only, skipped = [], [], 0
    for entry in entries:
        title = clip(clean_text(plain_latex(entry.title)), MAX_TITLE)[0]
        if not title:
            if entry.arxiv:
                arxiv_only.append(entry.arxiv)
            else:
                skipped += 1
            continue
        abstract = clip(clean_text(plain_latex(entry.abstract)), MAX_ABSTRACT)[0]
        key = entry.arxiv or (f"doi:{entry.doi.lower()}" if entry.doi else None)
        key = key or "title:" + re.sub(r"\W+", " ", title.lower()).strip()[:200]
        if entry.arxiv and not abstract:
            arxiv_only.append(entry.arxiv)  # the API has the abstract
            continue
        authors = tuple(a for a in (clean_text(plain_latex(n)) for n in entry.authors) if a)
        papers.append(LibraryPaper(key, title, abstract, authors[:MAX_AUTHORS], entry.year))
    return Parsed(papers, list(dict.fromkeys(arxiv_only)), skipped, refused)


def _year(text: str) -> str | None:
    found = _YEAR.search(text)
    return found.group() if found else None


def _bibtex(text: str) -> tuple[list[_Entry], list[Skipped]]:
    # Refused before the parser sees thousands of (slow to report) broken blocks; @string
    # and @comment blocks are blocks too, hence the margin.
    blocks = sum(1 for _ in _BIB_BLOCK.finditer(text))
    if blocks > 2 * MAX_ENTRIES:
        _check_count(blocks)
    library = parse_string(text)
    entries, refused = list(library.entries), []
    for block in library.failed_blocks:
        kept = block.ignore_error_block if isinstance(block, ParsingFailedBlock) else None
        if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock) and isinstance(
            kept, Entry
        ):
            entries.append(kept)  # a key or a field used twice: the entry itself is fine
        else:
            refused.append(Skipped(_bib_label(block), "it is not valid BibTeX"))
    if not entries:
        first = f" ({refused[0].entry} is broken)" if refused else ""
        raise BibliographyError(f"no BibTeX entry could be read from that file{first}")
    return [_bib_entry(entry) for entry in entries], refused


def _bib_label(block: Any) -> str:
    line = getattr(block, "start_line", None)
    key = _BIB_KEY.match(str(getattr(block, "raw", "") or "")[:200])
    where = f"the entry at line {line + 1}" if isinstance(line, int) else "an entry"
    return where + (f" (key {key.group(1)})" if key else "")


def _bib_entry(entry: Entry) -> _Entry:
    fields = {k.lower(): str(f.value) for k, f in entry.fields_dict.items()}
    arxiv = _arxiv_of(fields.get("eprint", ""), fields.get("url", ""), fields.get("journal", ""))
    names = fields.get("author", "").split(" and ", MAX_AUTHORS)[:MAX_AUTHORS]
    return _Entry(
        fields.get("title", ""),
        fields.get("abstract", ""),
        tuple(a.strip() for a in names if a.strip()),
        _year(fields.get("year", "")),
        arxiv,
        fields.get("doi") or None,
    )


def _ris(text: str) -> tuple[list[_Entry], list[Skipped]]:
    # One record at a time, so one malformed record does not lose the others.
    lines = text.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("TY  - ")]
    _check_count(len(starts))
    entries, refused = [], []
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        where = f"the entry at line {start + 1}"
        try:
            records = rispy.loads("\n".join(lines[start:end]))
        except Exception:  # rispy raises bare KeyError/TypeError/ValueError on odd records
            refused.append(Skipped(where, "it is not valid RIS"))
            continue
        if not records:
            refused.append(Skipped(where, "it has no end line (ER  - )"))
        entries += [_ris_entry(r) for r in records]
    if not entries:
        first = f" ({refused[0].entry}: {refused[0].reason})" if refused else ""
        raise BibliographyError(f"no RIS entry could be read from that file{first}")
    return entries, refused


def _ris_entry(record: dict[str, Any]) -> _Entry:
    urls = record.get("urls") or []
    names = record.get("authors") or record.get("first_authors") or []
    return _Entry(
        _ris_text(record.get("title") or record.get("primary_title")),
        _ris_text(record.get("abstract")),
        tuple(n for n in (_ris_text(n) for n in names[:MAX_AUTHORS]) if n),
        _year(_ris_text(record.get("year") or record.get("publication_year"))),
        _arxiv_of(" ".join(u for u in urls if isinstance(u, str)), _ris_text(record.get("notes"))),
        _ris_text(record.get("doi")) or None,
    )


def _ris_text(value: Any) -> str:
    # A tag given twice comes back as a list; anything else is text already.
    if isinstance(value, list):
        return " ".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _csl_json(text: str) -> tuple[list[_Entry], list[Skipped]]:
    try:
        data = json.loads(text, parse_constant=_Odd, parse_int=_json_int, parse_float=_json_float)
    except json.JSONDecodeError as exc:
        raise BibliographyError(
            f"that JSON file is malformed ({exc.msg}, line {exc.lineno})"
        ) from None
    except RecursionError:
        raise BibliographyError("that JSON file is nested too deeply to be CSL-JSON") from None
    items = (
        data if isinstance(data, list) else data.get("items") if isinstance(data, dict) else None
    )
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BibliographyError("that JSON is not CSL-JSON (a list of references)")
    _check_count(len(items))
    entries, refused = [], []
    for n, item in enumerate(items, 1):
        try:
            entries.append(_csl_entry(item))
        except _Refused as exc:
            refused.append(Skipped(_csl_label(n, item), str(exc)))
    return entries, refused


class _Odd:
    """A JSON value refused rather than turned into text: NaN, Infinity, huge numbers."""

    def __init__(self, what: str) -> None:
        self.what = what


def _json_int(digits: str) -> int | _Odd:
    # Python refuses to convert ints past 4,300 digits (a ValueError from json.loads itself).
    return int(digits) if len(digits) <= 18 else _Odd(f"a {len(digits.lstrip('-')):,}-digit number")


def _json_float(text: str) -> float | _Odd:
    number = float(text)
    return number if math.isfinite(number) else _Odd(text)


def _what(value: Any) -> str:
    if isinstance(value, _Odd):
        return value.what
    if isinstance(value, bool):
        return "true/false"
    kinds = {dict: "an object", list: "a list", int: "a number", float: "a number", str: "text"}
    return kinds.get(type(value), "empty")


def _text(item: dict[str, Any], key: str, name: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Refused(f"its {name} is {_what(value)}, not text")
    return value


def _csl_label(n: int, item: dict[str, Any]) -> str:
    title = item.get("title")
    shown = clip(clean_text(title), 60)[0] if isinstance(title, str) else ""
    return f"entry {n}" + (f" (“{shown}”)" if shown else "")


def _csl_entry(item: dict[str, Any]) -> _Entry:
    ids = [item.get(k) for k in ("URL", "number", "archive_location", "note")]
    return _Entry(
        _text(item, "title", "title"),
        _text(item, "abstract", "abstract"),
        _csl_authors(item.get("author")),
        _csl_year(item.get("issued")),
        _arxiv_of(*(v for v in ids if isinstance(v, str))),
        _text(item, "DOI", "DOI") or None,
    )


def _csl_authors(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]  # "A. Turing": one name, as plain text
    if not isinstance(value, list):
        raise _Refused(f"its author field is {_what(value)}, not a list of names")
    names = []
    for person in value[:MAX_AUTHORS]:
        if isinstance(person, str):
            names.append(person)
        elif isinstance(person, dict):
            given, family = _text(person, "given", "author"), _text(person, "family", "author")
            names.append(f"{given} {family}".strip() or _text(person, "literal", "author"))
        else:
            raise _Refused(f"an author is {_what(person)}, not a name")
    return tuple(names)


def _csl_year(issued: Any) -> str | None:
    if issued is None:
        return None
    if not isinstance(issued, dict):
        raise _Refused(f"its date (issued) is {_what(issued)}, not a date")
    parts = issued.get("date-parts")
    if parts is None:
        raw = issued.get("raw", issued.get("literal"))
        return _year(raw) if isinstance(raw, str) else None
    if not (isinstance(parts, list) and parts and isinstance(parts[0], list)):
        raise _Refused('its date is not like "date-parts": [[2020, 5]]')
    if not parts[0]:
        return None
    year = parts[0][0]
    if isinstance(year, int) and not isinstance(year, bool) and 0 < year < 10_000:
        return str(year)
    if isinstance(year, str) and (found := _year(year)):
        return found
    shown = f"“{clip(year, 20)[0]}”" if isinstance(year, str) else _what(year)
    raise _Refused(f"its year is {shown}, not a year")


def _arxiv_of(*texts: str) -> str | None:
    for text in texts:
        found = parse_ids(text)
        if found:
            return found[0]
    return None
