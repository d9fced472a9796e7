"""One user's digest: choose the papers (ranking + summaries), then render it for Telegram
(HTML, split on paper boundaries under 4096 characters, a row of buttons per paper) or for
a terminal."""

from __future__ import annotations

import html
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import sqlite_utils

from bot.callbacks import encode
from bot.llm import LLMClient
from bot.ranking import DayRanker, Match, Profile, build_ranker
from bot.ranking.embedders import Embedder, EmbeddingsUnavailable
from bot.ranking.expansion import expand_interests
from bot.telegram_html import TELEGRAM_LIMIT, split_html, telegram_length
from bot.writing.grounding import Candidate, PersonalNote
from bot.writing.personal import MAX_CANDIDATES as PERSONAL_CANDIDATES
from bot.writing.personal import NoteWriter, Reader
from bot.writing.rerank import MAX_CANDIDATES, rerank
from bot.writing.summaries import Summary, summaries_for, summarize_papers
from storage.interests import topic_texts
from storage.papers import Paper, day_stamp, papers_for_day, sources_for_day

log = logging.getLogger(__name__)

MAX_ITEM = 3300
PAPER_BUTTONS = {"up": "👍", "down": "👎", "save": "⭐", "ask": "❓"}
SUMMARY_NOTE = {
    "llm": "",
    "source": " <i>(summary by Hugging Face)</i>",
    "extractive": " <i>(extract from the abstract; no LLM summary)</i>",
}
Status = Literal["ok", "nothing_matched", "no_papers"]


@dataclass(frozen=True)
class DigestItem:
    position: int
    paper: Paper
    summary: Summary
    reason: str
    score: float
    why: str = ""  # the LLM's "why this matters to you", when a personal note was used


@dataclass(frozen=True)
class Digest:
    day: str
    sources: tuple[str, ...]
    total_papers: int
    items: tuple[DigestItem, ...]
    status: Status
    closest: tuple[Match, ...] = ()  # each interest's closest papers, when nothing matched
    listing_day: str = ""  # the day the source listed the papers, when it is not `day`
    opening: str = ""  # the LLM's opening line for this reader


@dataclass(frozen=True)
class Button:
    text: str
    data: str


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    paper_ids: tuple[str, ...]
    keyboard: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)


def choose(
    day: str,
    sources: Sequence[str],
    papers: Sequence[Paper],
    matches: Sequence[Match],
    summaries: dict[str, Summary],
    *,
    limit: int = 5,
    closest: Sequence[Match] = (),
    note: PersonalNote | None = None,
) -> Digest:
    """The digest from ranked `matches` (best first) among the day's `papers`; `closest`
    is what to show instead when nothing cleared the cut-off. A personal `note` (already
    validated against these matches) sets the order, the why-lines and the opening."""
    if not papers:
        return Digest(day, tuple(sources), 0, (), "no_papers")
    whys: dict[str, str] = {}
    if note is not None:
        by_id = {m.paper.id: m for m in matches}
        matches = [by_id[p.paper_id] for p in note.picks if p.paper_id in by_id]
        whys = {p.paper_id: p.why for p in note.picks}
    items = tuple(
        DigestItem(n, m.paper, summaries[m.paper.id], m.reason, m.score, whys.get(m.paper.id, ""))
        for n, m in enumerate(matches[:limit], 1)
    )
    if items:
        opening = note.opening if note is not None else ""
        return Digest(day, tuple(sources), len(papers), items, "ok", opening=opening)
    return Digest(day, tuple(sources), len(papers), (), "nothing_matched", closest=tuple(closest))


@dataclass(frozen=True)
class DayContext:
    """One day's candidates and their ranker, built once and shared by every user's digest."""

    day: str
    sources: tuple[str, ...]
    papers: tuple[Paper, ...]
    ranker: DayRanker

    @classmethod
    async def load(
        cls,
        db: sqlite_utils.Database,
        day: str,
        embedder: Embedder | None = None,
        interests: Sequence[str] = (),
        expand_with: LLMClient | None = None,
    ) -> DayContext:
        """The day's papers and ranker; `interests` (default: every stored topic interest)
        are embedded up front, so remote embeddings serve every user of the run, and
        expanded by the LLM `expand_with` (once per text and model, then stored)."""
        papers = papers_for_day(db, day)
        wanted = embedder is not None or expand_with is not None
        texts = interests or (topic_texts(db) if wanted else [])
        expansions = await expand_interests(db, expand_with, texts) if expand_with else {}
        ranker = await build_ranker(
            papers, embedder=embedder, db=db, interests=texts, expansions=expansions
        )
        return cls(day, tuple(sources_for_day(db, day)), tuple(papers), ranker)


class DayContexts:
    """The latest DayContext, kept while its day's listings and papers stay the same: an
    arXiv day of 2,500 papers takes seconds to index, and /digest and every delivery sweep
    would otherwise rebuild it. Interests not seen before are embedded (and expanded) on
    the way in."""

    def __init__(self, embedder: Embedder | None, expand_with: LLMClient | None) -> None:
        self.embedder = embedder
        self.expand_with = expand_with
        self._kept: tuple[tuple[object, ...], DayContext] | None = None

    async def get(
        self, db: sqlite_utils.Database, day: str, interests: Sequence[str] = ()
    ) -> DayContext:
        key = (day, *day_stamp(db, day))
        if self._kept is None or self._kept[0] != key:
            ctx = await DayContext.load(db, day, self.embedder, interests, self.expand_with)
            self._kept = (key, ctx)
            return ctx
        ctx = self._kept[1]
        texts = list(interests) or topic_texts(db)
        if self.expand_with is not None:
            ctx.ranker.expansions.update(await expand_interests(db, self.expand_with, texts))
        if ctx.ranker.vectors is not None:
            extra = [ctx.ranker.expansions[t] for t in texts if ctx.ranker.expansions.get(t)]
            try:
                await ctx.ranker.vectors.ensure([*texts, *extra])
            except EmbeddingsUnavailable as exc:
                log.warning("embeddings unavailable for new interests (%s): lexical", exc)
        return ctx


async def digest_for(
    ctx: DayContext,
    db: sqlite_utils.Database,
    profile: Profile,
    llm: LLMClient,
    *,
    limit: int = 5,
    language: str = "en",
    exclude_ids: Collection[str] = (),
    use_rerank: bool = False,
    summarize: bool = True,
    writer: NoteWriter | None = None,
) -> Digest:
    """Rank the day's papers minus `exclude_ids` (e.g. already sent) for `profile`. With a
    `writer`, one personal LLM call picks among the top candidates and explains each pick
    (it replaces the re-rank); else with `use_rerank`, the LLM reorders the top candidates.
    With `summarize`, the chosen papers that lack a summary get one now (a delivery sweep
    passes False and writes them for all its users at once)."""
    excluded = set(exclude_ids)
    papers = [p for p in ctx.papers if p.id not in excluded]
    personal = writer is not None and llm.enabled
    pool = PERSONAL_CANDIDATES if personal else MAX_CANDIDATES if use_rerank else limit
    wanted = max(pool, limit) + len(ctx.papers) - len(papers)
    matches = [m for m in ctx.ranker.rank(profile, top_k=wanted) if m.paper.id not in excluded]
    note = None
    if personal and matches:
        assert writer is not None
        note = await _personal_note(db, llm, writer, profile, matches, limit, language)
    elif use_rerank:
        matches = await rerank(llm, profile.interests, matches)
    if note is not None:
        chosen_ids = {p.paper_id for p in note.picks}
        matches = [m for m in matches if m.paper.id in chosen_ids]
    matches = matches[:limit]
    if not matches:
        closest = [m for _, m in ctx.ranker.closest(profile) if m.paper.id not in excluded]
        return choose(ctx.day, ctx.sources, papers, [], {}, closest=closest)
    chosen = [m.paper for m in matches]
    if summarize:
        # Written on first need, then stored and shared: LLM cost follows what is read.
        await summarize_papers(db, llm, chosen, language=language)
    summaries = summaries_for(db, chosen, model=llm.model, language=language)
    return choose(ctx.day, ctx.sources, papers, matches, summaries, limit=limit, note=note)


async def _personal_note(
    db: sqlite_utils.Database,
    llm: LLMClient,
    writer: NoteWriter,
    profile: Profile,
    matches: Sequence[Match],
    limit: int,
    language: str,
) -> PersonalNote | None:
    """The reader's personal note over their top candidates. The candidates carry the best
    summary there is now (shared LLM text, else the source's or an extract): summaries are
    written only for the papers finally chosen."""
    head = list(matches[:PERSONAL_CANDIDATES])
    summaries = summaries_for(db, [m.paper for m in head], model=llm.model, language=language)
    candidates = [Candidate(m.paper, summaries[m.paper.id].text, m.reason) for m in head]
    return await writer.note_for(Reader.of(profile, limit, language), candidates)


async def build_digest(
    db: sqlite_utils.Database,
    day: str,
    profile: Profile,
    llm: LLMClient,
    *,
    limit: int = 5,
    embedder: Embedder | None = None,
    language: str = "en",
    exclude_ids: Collection[str] = (),
    use_rerank: bool = False,
    expand: bool = False,
    personal_wait_s: float | None = None,
) -> Digest:
    """One user's digest for `day` (builds the day's ranker: for many users, load a
    DayContext once and call digest_for). With `personal_wait_s`, the LLM writes the
    reader's note if it answers within that many seconds."""
    topics = [i.text for i in profile.interests if i.kind == "topic"]
    ctx = await DayContext.load(db, day, embedder, topics, llm if expand else None)
    writer = None if personal_wait_s is None else NoteWriter(db, llm, wait_s=personal_wait_s)
    try:
        return await digest_for(
            ctx,
            db,
            profile,
            llm,
            limit=limit,
            language=language,
            exclude_ids=exclude_ids,
            use_rerank=use_rerank,
            writer=writer,
        )
    finally:
        if writer is not None:
            await writer.aclose()


def with_summaries(digest: Digest, summaries: dict[str, Summary]) -> Digest:
    """The same digest with fresher summaries (e.g. written by the LLM after choosing)."""
    items = tuple(
        replace(item, summary=summaries.get(item.paper.id, item.summary)) for item in digest.items
    )
    return replace(digest, items=items)


def render_html(digest: Digest) -> list[RenderedMessage]:
    """Telegram HTML messages for the digest, each within 4096 characters."""
    if digest.status != "ok":
        return [RenderedMessage(part, ()) for part in split_html(_empty_html(digest))]
    header = _header_html(digest)
    footer = (
        "💬 <i>Ask me about these papers: reply to this message, or just type a question, "
        "e.g. “how does paper 2 work?”</i>"
    )
    messages: list[RenderedMessage] = []
    current: list[tuple[DigestItem, str]] = []
    for item in digest.items:
        block = _item_html(item)
        head = header if not messages else ""
        trial = "\n\n".join(filter(None, [head, *(b for _, b in current), block, footer]))
        if current and telegram_length(trial) > TELEGRAM_LIMIT:
            messages.append(_message(current, head))
            current = []
        current.append((item, block))
    messages.append(_message(current, header if not messages else "", footer))
    return messages


def _message(items: list[tuple[DigestItem, str]], header: str, footer: str = "") -> RenderedMessage:
    text = "\n\n".join(filter(None, [header, *(b for _, b in items), footer]))
    keyboard = tuple(
        tuple(
            Button(f"{item.position} {emoji}", encode(action, item.paper.id))
            for action, emoji in PAPER_BUTTONS.items()
        )
        for item, _ in items
    )
    return RenderedMessage(text, tuple(item.paper.id for item, _ in items), keyboard)


def _header_html(digest: Digest) -> str:
    e = html.escape
    sources = ", ".join(_source_name(s) for s in digest.sources) or "your sources"
    if digest.listing_day and digest.listing_day != digest.day:
        sources += f", listed {digest.listing_day}"
    header = (
        f"📰 <b>Your papers for {e(digest.day)}</b>\n"
        f"{len(digest.items)} picked for you from {digest.total_papers} new papers "
        f"({e(sources)})"
    )
    return header + (f"\n\n<i>{e(_clip(digest.opening, 500))}</i>" if digest.opening else "")


def _item_html(item: DigestItem, summary_chars: int = 1500) -> str:
    e = html.escape
    paper = item.paper
    link = paper.links.arxiv or paper.links.hf
    title = e(_clip(paper.title, 300))
    heading = f'<a href="{e(link)}">{title}</a>' if link else title
    lines = [f"<b>{item.position}. {heading}</b>"]
    if paper.authors:
        lines.append(f"<i>{e(short_authors(paper.authors))}</i>")
    if item.why:
        lines.append(f"💡 {e(_clip(item.why, 400))}")
    lines.append(e(_clip(item.summary.text, summary_chars)) + SUMMARY_NOTE[item.summary.kind])
    if item.why:
        lines.append(f"🎯 <i>matched: {e(matched_tag(item.reason))}</i>")
    else:
        lines.append(f"🎯 {e(_clip(item.reason, 300))}")
    lines.append(_links_html(paper))
    block = "\n".join(lines)
    # Escaping can multiply the length of odd text ('&' -> '&amp;'): keep one paper well
    # inside a message, so header + paper + footer always fit.
    if telegram_length(block) > MAX_ITEM and summary_chars > 100:
        return _item_html(item, summary_chars // 2)
    return block


def _links_html(paper: Paper) -> str:
    e = html.escape
    pairs = [
        ("arXiv", paper.links.arxiv),
        ("PDF", paper.links.pdf),
        ("Hugging Face", paper.links.hf),
        ("code", paper.links.code),
    ]
    parts = [f'<a href="{e(url)}">{label}</a>' for label, url in pairs if url]
    if paper.upvotes:
        parts.append(f"▲ {paper.upvotes}")
    return " · ".join(parts)


def _empty_html(digest: Digest) -> str:
    e = html.escape
    if digest.status == "no_papers":
        return (
            f"📭 No new papers for {e(digest.day)}: probably a weekend or a holiday. "
            "Your next digest comes with the next list."
        )
    lines = [
        f"🔍 Nothing strongly matched your interests among the {digest.total_papers} new "
        f"papers for {e(digest.day)}."
    ]
    if digest.closest:
        lines.append("\nClosest, weaker matches:")
        for m in digest.closest:
            link = m.paper.links.arxiv or m.paper.links.hf
            title = e(_clip(m.paper.title, 200))
            lines.append(f'• <a href="{e(link)}">{title}</a>' if link else f"• {title}")
            lines.append(f"  <i>{e(_clip(m.reason, 300))}</i>")
    lines.append("\nTune what you get with /interests or /settings.")
    return "\n".join(lines)


def render_text(digest: Digest) -> str:
    """The digest for a terminal: same content, plain text."""
    if digest.status == "no_papers":
        return f"No new papers for {digest.day} (weekend or holiday?)."
    if digest.status == "nothing_matched":
        lines = [
            f"Nothing strongly matched among the {digest.total_papers} papers of {digest.day}."
        ]
        if digest.closest:
            lines.append("Closest, weaker matches:")
        for m in digest.closest:
            lines += [f"  - {m.paper.title}", f"    {m.reason}"]
        return "\n".join(lines)
    sources = ", ".join(_source_name(s) for s in digest.sources)
    out = [
        f"Your papers for {digest.day}: {len(digest.items)} of {digest.total_papers} ({sources})",
        *([digest.opening] if digest.opening else []),
        "",
    ]
    for item in digest.items:
        paper = item.paper
        note = {"llm": "", "source": " [HF summary]", "extractive": " [extract, no LLM]"}
        out.append(f"{item.position}. {paper.title}")
        if paper.authors:
            out.append(f"   {short_authors(paper.authors)}")
        if item.why:
            out.append(f"   Why it matters to you: {item.why}")
        out.append(f"   {item.summary.text}{note[item.summary.kind]}")
        if item.why:
            out.append(f"   Matched: {matched_tag(item.reason)}")
        else:
            out.append(f"   Why: {item.reason}")
        links = [u for u in (paper.links.arxiv, paper.links.pdf, paper.links.code) if u]
        out.append("   " + "  ".join(links))
        out.append("")
    out.append('Ask a follow-up: paperboy ask "how does paper 1 work?"')
    return "\n".join(out)


def matched_tag(reason: str) -> str:
    """The ranker's reason as a short tag, kept under the LLM's why-line: "your interest
    ‘LoRA’: lora, adapters (title)" -> "‘LoRA’: lora, adapters (title)"."""
    return _clip(reason.removeprefix("your interest "), 120)


def short_authors(authors: Sequence[str], limit: int = 3) -> str:
    if len(authors) <= limit:
        return ", ".join(authors)
    return ", ".join(authors[:limit]) + " et al."


def _source_name(source: str) -> str:
    names = {"hf": "Hugging Face Daily Papers", "arxiv": "arXiv", "sample": "bundled sample day"}
    return names.get(source, source)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
