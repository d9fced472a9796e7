"""A reader's week over the stored days: matches per interest and day, the week's total
against the previous week's, the top papers with one line why, and good matches they
missed (never sent to them, never rated: their digests hold only a few a day)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import sqlite_utils

from bot.ranking import DayRanker, Match, Profile, build_ranker
from bot.ranking.embedders import Embedder
from bot.ranking.profiles import load_profile
from storage.deliveries import sent_paper_ids
from storage.feedback import rated_days, signals
from storage.papers import latest_day, listing_days, papers_for_day

TOP = 5
MISSED = 3


@dataclass(frozen=True)
class Week:
    days: list[str]  # oldest first
    interests: list[str]  # the reader's topic interests, as typed
    counts: list[list[int]]  # [interest][day]
    total: int
    previous_total: int
    top: list[tuple[str, Match]] = field(default_factory=list)  # (day, match), best first
    rated: set[str] = field(default_factory=set)  # days the reader rated or starred
    missed: list[tuple[str, Match]] = field(default_factory=list)  # not sent, not rated

    @property
    def thin(self) -> bool:
        """Too little to draw: fewer than 2 days with papers, or nothing matched."""
        return len(self.days) < 2 or self.total == 0


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
    """Rank each of the last `days` listing days (and the `days` before, for the total to
    compare with) for `profile`, interest by interest. The top papers put those the
    reader `liked` first; what they missed is the best of the rest they have not `seen`
    (sent or rated; None: no reader, nothing missed). `rankers` keeps each day's index
    for the next reader (a weekly sweep serves every reader from the same days)."""
    kept = {} if rankers is None else rankers

    async def ranker_of(day: str) -> DayRanker:
        if day not in kept:
            kept[day] = await build_ranker(papers_for_day(db, day), embedder=embedder, db=db)
        return kept[day]

    both = listing_days(db, until, 2 * days)
    this, before = both[-days:], both[:-days]
    topics = [i for i in profile.interests if i.kind == "topic"]
    counts = [[0] * len(this) for _ in topics]
    best: dict[str, tuple[str, Match]] = {}
    for d, day in enumerate(this):
        ranker = await ranker_of(day)
        for n, count in enumerate(_per_interest(ranker, profile)):
            counts[n][d] = count
        for match in ranker.rank(profile, top_k=TOP + MISSED + len(seen or ())):
            if match.paper.id not in best or best[match.paper.id][1].score < match.score:
                best[match.paper.id] = (day, match)
    previous = 0
    for day in before:
        ranker = await ranker_of(day)
        previous += sum(_per_interest(ranker, profile))
    by_score = sorted(best.values(), key=lambda dm: -dm[1].score)
    top = sorted(by_score, key=lambda dm: dm[1].paper.id not in liked)[:TOP]  # stable
    in_top = {m.paper.id for _, m in top}
    missed = [
        (d, m)
        for d, m in by_score
        if seen is not None and m.paper.id not in in_top and m.paper.id not in seen
    ]
    total = sum(sum(row) for row in counts)
    shown_rated = (rated or set()) & set(this)
    return Week(
        this,
        [i.text for i in topics],
        counts,
        total,
        previous,
        top,
        shown_rated,
        missed[:MISSED],
    )


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
