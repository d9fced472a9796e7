"""Full text, read when a question needs it: arXiv's HTML first, else the PDF; split into
passages that keep their section (or page) and stored, so a paper is read once and serves
every user. A paper that cannot be read is remembered as such for a day."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import sqlite_utils

from bot.config import ARXIV_HTML_URL, ARXIV_PDF_URL, Settings
from bot.fulltext.fetch import Unreadable, fetch_capped
from bot.fulltext.html_text import Block, NotAPaperPage, parse_arxiv_html
from bot.fulltext.passages import to_passages
from bot.fulltext.pdf_text import NotAPdf, parse_pdf
from bot.sources.arxiv import arxiv_options
from bot.sources.arxiv_ids import is_arxiv_id
from storage.papers import Paper
from storage.passages import FullText, Passage, full_text_status, reads_since, store_full_text

log = logging.getLogger(__name__)

DEFAULT_HTML_URL = ARXIV_HTML_URL
DEFAULT_PDF_URL = ARXIV_PDF_URL
RETRY_UNREADABLE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class ReadOptions:
    html_url: str = DEFAULT_HTML_URL
    pdf_url: str = DEFAULT_PDF_URL
    timeout_s: float = 30.0
    max_html_bytes: int = 10_000_000
    max_pdf_bytes: int = 25_000_000
    reads_per_hour: int = 20  # papers one chat's questions may cause to be fetched
    user_agent: str = "paperboy-bot/0.1"
    # All the time one paper may take, HTML and PDF, retries and Retry-After waits included:
    # a server trickling a byte a second (or asking to wait a day) must not hold a question.
    deadline_s: float = 30.0

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset(urlsplit(u).netloc for u in (self.html_url, self.pdf_url))


def read_options(settings: Settings) -> ReadOptions | None:
    """How questions read papers in full, from the settings; None when
    PAPERBOY_FULL_TEXT is off."""
    if not settings.full_text:
        return None
    return ReadOptions(
        html_url=settings.arxiv_html_url,
        pdf_url=settings.arxiv_pdf_url,
        timeout_s=settings.http_timeout,
        reads_per_hour=settings.reads_per_hour,
        user_agent=arxiv_options(settings).user_agent(),
    )


async def read_papers(
    db: sqlite_utils.Database,
    papers: Sequence[Paper],
    options: ReadOptions,
    *,
    read_by: int | None = None,
) -> dict[str, FullText]:
    """Each paper's full text, read now if it was not before (within the chat's hourly
    cap; over it, papers not yet read stay unread this time)."""
    known = full_text_status(db, [p.id for p in papers])
    todo = [p for p in papers if _needs_reading(known.get(p.id))]
    if read_by is not None and todo:
        hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
        allowed = max(0, options.reads_per_hour - reads_since(db, read_by, hour_ago))
        if allowed < len(todo):
            log.info("chat %s: hourly cap of papers read reached", read_by)
        todo = todo[:allowed]
    if todo:
        headers = {"user-agent": options.user_agent}
        # At once, not one after the other: a question reads its two top papers, and with
        # a slow server it would otherwise wait two deadlines instead of one.
        async with httpx.AsyncClient(timeout=options.timeout_s, headers=headers) as client:
            await asyncio.gather(
                *(read_paper(db, client, paper, options, read_by=read_by) for paper in todo)
            )
        known = full_text_status(db, [p.id for p in papers])
    return known


def _needs_reading(status: FullText | None) -> bool:
    if status is None:
        return True
    if status.source != "none":
        return False
    read = datetime.fromisoformat(status.read_utc)
    return datetime.now(UTC) - read > RETRY_UNREADABLE_AFTER


async def read_paper(
    db: sqlite_utils.Database,
    client: httpx.AsyncClient,
    paper: Paper,
    options: ReadOptions,
    *,
    read_by: int | None = None,
) -> None:
    """Read one paper (HTML, else PDF) and store its passages, or why it could not be read."""
    if not is_arxiv_id(paper.id):
        store_full_text(db, paper.id, "none", [], error="not an arXiv paper", read_by=read_by)
        return
    problems: list[str] = []
    try:
        async with asyncio.timeout(options.deadline_s):
            if await _read_first(db, client, paper, options, problems, read_by):
                return
    except TimeoutError:
        problems.append(f"gave up after {options.deadline_s:.0f} s (the server was too slow)")
    error = "; ".join(problems)
    log.warning("could not read %s: %s", paper.id, error)
    store_full_text(db, paper.id, "none", [], error=error, read_by=read_by)


async def _read_first(
    db: sqlite_utils.Database,
    client: httpx.AsyncClient,
    paper: Paper,
    options: ReadOptions,
    problems: list[str],
    read_by: int | None,
) -> bool:
    """The HTML, else the PDF: True once one was read and stored."""
    for source, base, limit, types, parse in (
        ("html", options.html_url, options.max_html_bytes, ("text/html",), parse_arxiv_html),
        ("pdf", options.pdf_url, options.max_pdf_bytes, ("application/pdf",), parse_pdf),
    ):
        url = f"{base.rstrip('/')}/{paper.id}"
        try:
            body = await fetch_capped(
                client, url, allowed_hosts=options.hosts, max_bytes=limit, content_types=types
            )
            # Parsing is CPU work (0.4-0.7 s for a PDF): off the loop that answers users.
            passages = await asyncio.to_thread(_passages_of, paper.id, parse, body)
        except (Unreadable, NotAPaperPage, NotAPdf) as exc:
            problems.append(f"{source}: {exc}")
            continue
        except Exception as exc:  # a parser bug on a hostile file: unreadable, not a crash
            log.exception("parsing the %s of %s failed", source, paper.id)
            problems.append(f"{source}: could not be parsed ({type(exc).__name__})")
            continue
        if passages:
            store_full_text(db, paper.id, source, passages, url=url, read_by=read_by)
            log.info("read %s from %s: %d passages", paper.id, source, len(passages))
            return True
        problems.append(f"{source}: no text found")
    return False


def _passages_of(
    paper_id: str, parse: Callable[[bytes], list[Block]], body: bytes
) -> list[Passage]:
    return to_passages(paper_id, parse(body))
