"""A reader's week over the stored days: matches per interest and day, the week's total
against the previous week's, the top papers with one line why, and good matches they
missed (never sent to them, never rated: their digests hold only a few a day)."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlite_utils

from bot.ranking import DayRanker, Match, Profile, build_ranker
from bot.ranking.embedders import Embedder, EmbeddingsUnavailable
from bot.ranking.profiles import load_profile
from bot.ranking.semantic import paper_text
from bot.weekly.worker import off_loop
from storage.deliveries import sent_paper_ids
from storage.feedback import rated_days, signals
from storage.papers import latest_day, listing_days, papers_for_day

TOP = 5
MISSED = 3


@dataclass(frozen=True)
class Week:
    days: list[str]  # every calendar day of the week, oldest first
    interests: list[str]  # the reader's topic interests, as typed
    counts: list[list[int]]  # [interest][day]; 0 on a day with nothing stored
    total: int
    previous_total: int | None  # None: nothing stored in the week before, nothing to compare
    top: list[tuple[str, Match]] = field(default_factory=list)  # (day, match), best first
    rated: set[str] = field(default_factory=set)  # days the reader rated or starred
    missed: list[tuple[str, Match]] = field(default_factory=list)  # not sent, not rated
    listed: set[str] = field(default_factory=set)  # the days with papers stored

    @property
    def thin(self) -> bool:
        """Too little to draw: fewer than 2 days with papers, or nothing matched."""
        return len(self.listed) < 2 or self.total == 0


@dataclass(frozen=True)
class _Reader:
    """What ranks a reader's week, besides the days: who they are to the ranker."""

    profile: Profile
    liked: Collection[str] = ()
    seen: Collection[str] | None = None  # sent or rated; None: no reader, nothing missed
    rated: Collection[str] = ()


def calendar_days(until: str, days: int) -> list[str]:
    """The `days` calendar days ending with `until`, oldest first."""
    last = date.fromisoformat(until)
    return [(last - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]


async def week_of(
    db: sqlite_utils.Database,
    profile: Profile,
    until: str,
    *,
    days: int = 7,
    embedder: Embedder | None = None,
    rated: set[str] | None = None,
    rankers: dict[str, DayRanker] | None = None,
    liked: Collection[str] = (),
    seen: Collection[str] | None = None,
) -> Week:
    """The `days` calendar days up to `until` (and the `days` before, for the total to
    compare with) ranked for `profile`, interest by interest; days with nothing stored
    count 0. The top papers put those the reader `liked` first; what they missed is the
    best of the rest they have not `seen`. `rankers` keeps each day's index for the next
    reader (a weekly sweep serves every reader from the same days). Indexing runs in a
    worker thread, the counting in the week's worker: nothing here holds the loop."""
    this = calendar_days(until, days)
    before = calendar_days((date.fromisoformat(this[0]) - timedelta(days=1)).isoformat(), days)
    listed = set(listing_days(db, until, 2 * days)) & {*before, *this}
    kept = {} if rankers is None else rankers
    for day in sorted(listed - kept.keys()):
        kept[day] = await build_ranker(papers_for_day(db, day), embedder=embedder, db=db)
    used = {day: kept[day] for day in listed}
    await _load_vectors(used.values(), profile)
    reader = _Reader(profile, liked, seen, rated or ())
    return await off_loop(lambda: _tally(used, this, before, reader))


async def _load_vectors(rankers: Iterable[DayRanker], profile: Profile) -> None:
    """The vectors of the reader's interests and rated papers, stored or embedded here, on
    the loop: the database connection belongs to its thread, and the worker reads only
    what each day's store holds in memory."""
    texts = [i.text for i in profile.interests if i.kind == "topic"]
    texts += [paper_text(p) for p in (*profile.positives, *profile.disliked)]
    for ranker in rankers:
        if ranker.vectors is None or not texts:
            continue
        # Unavailable: the ranker scores what it lacks lexically, as digests do.
        with contextlib.suppress(EmbeddingsUnavailable):
            await ranker.vectors.ensure(texts)


def _tally(
    rankers: Mapping[str, DayRanker], this: list[str], before: list[str], reader: _Reader
) -> Week:
    """The week from each stored day's ranker: pure CPU work, for the worker thread."""
    profile = reader.profile
    topics = [i.text for i in profile.interests if i.kind == "topic"]
    counts = [[0] * len(this) for _ in topics]
    best: dict[str, tuple[str, Match]] = {}
    wanted = TOP + MISSED + len(reader.seen or ())
    for d, day in enumerate(this):
        if day not in rankers:
            continue
        for n, count in enumerate(_per_interest(rankers[day], profile)):
            counts[n][d] = count
        for match in rankers[day].rank(profile, top_k=wanted):
            if match.paper.id not in best or best[match.paper.id][1].score < match.score:
                best[match.paper.id] = (day, match)
    earlier = [rankers[day] for day in before if day in rankers]
    previous = sum(sum(_per_interest(r, profile)) for r in earlier) if earlier else None
    top, missed = _pick(best.values(), reader)
    return Week(
        this,
        topics,
        counts,
        sum(sum(row) for row in counts),
        previous,
        top,
        set(reader.rated) & set(this),
        missed,
        set(rankers) & set(this),
    )


def _pick(
    matches: Iterable[tuple[str, Match]], reader: _Reader
) -> tuple[list[tuple[str, Match]], list[tuple[str, Match]]]:
    """The week's top papers (liked ones first) and the best unseen of the rest."""
    by_score = sorted(matches, key=lambda dm: -dm[1].score)
    top = sorted(by_score, key=lambda dm: dm[1].paper.id not in reader.liked)[:TOP]  # stable
    if reader.seen is None:
        return top, []
    shown = {m.paper.id for _, m in top} | set(reader.seen)
    return top, [(d, m) for d, m in by_score if m.paper.id not in shown][:MISSED]


async def reader_week(
    db: sqlite_utils.Database,
    chat_id: int,
    *,
    embedder: Embedder | None = None,
    rankers: dict[str, DayRanker] | None = None,
) -> Week | None:
    """The stored reader's week up to the latest stored day (None before any ingest)."""
    until = latest_day(db)
    if until is None:
        return None
    votes = signals(db, chat_id, limit=1_000_000)
    return await week_of(
        db,
        load_profile(db, chat_id),
        until,
        embedder=embedder,
        rated=rated_days(db, chat_id),
        rankers=rankers,
        liked={p for p, v in votes.items() if v > 0},
        seen={*votes, *sent_paper_ids(db, chat_id, limit=1_000_000)},
    )


def _per_interest(ranker: DayRanker, profile: Profile) -> list[int]:
    """Papers clearing each topic interest's cut-off on the ranker's day."""
    topics = [i for i in profile.interests if i.kind == "topic"]
    return [len(ranker.rank(Profile((i,), threshold=profile.threshold))) for i in topics]
