import sqlite_utils

from storage.papers import Links, Paper, get_paper, papers_for_day, search_papers, upsert_papers


def paper(pid: str, title: str, upvotes: int = 1, **kw: object) -> Paper:
    return Paper(
        id=pid,
        title=title,
        abstract=f"Abstract of {title}.",
        upvotes=upvotes,
        authors=("Tri Dao", "Ana Ruiz"),
        links=Links(arxiv=f"https://arxiv.org/abs/{pid}"),
        **kw,
    )  # type: ignore[arg-type]


def test_upsert_counts_and_idempotency(db: sqlite_utils.Database) -> None:
    day = [paper("2401.00001", "FlashAttention 9"), paper("2401.00002", "LoRA for all")]
    first = upsert_papers(db, day, day="2025-03-03", source="hf")
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    again = upsert_papers(db, day, day="2025-03-03", source="hf")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert db.table("papers").count == 2
    assert db.table("listings").count == 2


def test_upvote_refresh_counts_as_update_and_is_stored(db: sqlite_utils.Database) -> None:
    upsert_papers(db, [paper("2401.00001", "FlashAttention 9", 3)], day="d1", source="hf")
    counts = upsert_papers(db, [paper("2401.00001", "FlashAttention 9", 40)], day="d1", source="hf")
    assert counts.updated == 1
    stored = get_paper(db, "2401.00001")
    assert stored is not None and stored.upvotes == 40
    assert stored.authors == ("Tri Dao", "Ana Ruiz")


def test_same_paper_on_two_days_is_one_paper_two_listings(db: sqlite_utils.Database) -> None:
    p = paper("2401.00001", "FlashAttention 9")
    upsert_papers(db, [p], day="2025-03-03", source="hf")
    upsert_papers(db, [p], day="2025-03-04", source="hf")
    assert db.table("papers").count == 1
    assert [x.id for x in papers_for_day(db, "2025-03-04")] == ["2401.00001"]


def test_day_listing_orders_by_upvotes(db: sqlite_utils.Database) -> None:
    upsert_papers(db, [paper("a1", "Low", 1), paper("a2", "High", 9)], day="d", source="hf")
    assert [p.title for p in papers_for_day(db, "d")] == ["High", "Low"]


def test_search_ranks_title_hits_and_neutralises_operators(db: sqlite_utils.Database) -> None:
    upsert_papers(
        db,
        [
            paper("p1", "Mixture of experts inference"),
            paper("p2", "Diffusion for video"),
            paper("p3", "Video experts"),
        ],
        day="d",
        source="hf",
    )
    assert [p.id for p in search_papers(db, "experts")][:2] in (["p1", "p3"], ["p3", "p1"])
    assert [p.id for p in search_papers(db, 'mixture-of-experts "inference')] == ["p1"]
    assert search_papers(db, "NOT AND OR ( * ^") == []
    assert search_papers(db, "   ") == []
    assert [p.id for p in search_papers(db, "tri dao diffusion")] == ["p2"]


def test_unicode_and_html_round_trip(db: sqlite_utils.Database) -> None:
    title = "<b>Über</b> Transformers & 変換器 — ﷽"
    upsert_papers(db, [paper("u1", title)], day="d", source="hf")
    stored = get_paper(db, "u1")
    assert stored is not None and stored.title == title
    assert [p.id for p in search_papers(db, "über")] == ["u1"]
    assert [p.id for p in search_papers(db, "変換器")] == ["u1"]
