"""One user's digest: choose the papers (ranking, the personal note, summaries) from a day
whose index is built once and shared. Rendering is render.py; the outbox,
outbox.py; the one entry point, desk.py."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, TypeVar

import sqlite_utils

from bot.llm import LLMClient
from bot.ranking import DayRanker, Match, Profile, build_ranker
from bot.ranking.embedders import Embedder, EmbeddingsUnavailable
from bot.ranking.expansion import expand_interests
from bot.writing.grounding import Candidate, PersonalNote
from bot.writing.personal import MAX_CANDIDATES as PERSONAL_CANDIDATES
from bot.writing.personal import NoteWriter, Reader
from bot.writing.rerank import MAX_CANDIDATES, rerank
from bot.writing.summaries import Summary, summaries_for, summarize_papers
from storage.interests import topic_texts
from storage.papers import Paper, day_stamp, papers_for_day, sources_for_day

log = logging.getLogger(__name__)

Status = Literal["ok", "nothing_matched", "no_papers"]
T = TypeVar("T")


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


# One thread ranks: the sweep's and /digest's ranking leaves the loop that answers users,
# and a ranker's caches are only ever touched by one thread at a time.
_RANKING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ranking")


async def off_loop(ranker: DayRanker, profile: Profile, work: Callable[[], T]) -> T:
    """Run `work` (ranking `profile` with `ranker`) in the ranking thread. The vectors of
    the reader's rated papers are loaded first, here on the loop, from the database (whose
    connection stays on this thread); interests were embedded when the day was loaded."""
    rated = [*profile.liked, *profile.disliked]
    if ranker.vectors is not None and rated:
        ranker.vectors.papers(rated)
    return await asyncio.get_running_loop().run_in_executor(_RANKING, work)


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
    ranked = await off_loop(ctx.ranker, profile, lambda: ctx.ranker.rank(profile, top_k=wanted))
    matches = [m for m in ranked if m.paper.id not in excluded]
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
        near = await off_loop(ctx.ranker, profile, lambda: ctx.ranker.closest(profile))
        closest = [m for _, m in near if m.paper.id not in excluded]
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
