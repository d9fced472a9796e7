"""arXiv as a source: every recorded RSS and API response parses; `paperboy ingest` against a
local server speaking arXiv's formats stores the announcement, applies new versions, merges
with Daily Papers, and treats an empty feed as "no announcement"."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.sources.arxiv import ArxivOptions, CategorySpecError, load_announcement, parse_categories
from bot.sources.arxiv_xml import parse_api, parse_rss
from bot.sources.hf_json import MalformedResponse
from bot.sources.http import FetchError
from storage import open_db
from storage.papers import get_paper, listing_sources, papers_for_day
from tests.fakes.arxiv_server import DATA, FakeArxiv, fixture
from tests.fakes.http_server import FakeServer, Reply, scripted
from tests.fakes.papers_api import api_item, payload

MULTI = "rss_multi_new_cross_replace_2026-09-24.xml"
MULTI_DAY = "2026-09-24"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    db_path = tmp_path / "cli.db"

    def invoke(*args: str, **env: str) -> Result:
        full = {"PAPERBOY_DB_PATH": str(db_path), "PAPERBOY_EMBEDDINGS": "off", **env}
        return CliRunner().invoke(cli, list(args), env=full)

    invoke.db_path = db_path  # type: ignore[attr-defined]
    return invoke


# --- parsers: every recorded response ---------------------------------------------------


@pytest.mark.parametrize("path", sorted(DATA.glob("rss_*.xml")), ids=lambda p: p.name)
def test_every_recorded_feed_parses(path: Path) -> None:
    announcement = parse_rss(path.read_bytes())
    assert announcement.skipped == []
    if "empty" in path.name:
        assert announcement.day is None and announcement.listed == []
        return
    assert announcement.day == path.stem.rsplit("_", 1)[-1]
    for paper in announcement.listed + announcement.replaced:
        assert paper.version and paper.title and paper.abstract and paper.authors
        assert paper.categories and "Announce Type" not in paper.abstract
        assert paper.links.arxiv == f"https://arxiv.org/abs/{paper.id}"


@pytest.mark.parametrize("path", sorted(DATA.glob("api_*.xml")), ids=lambda p: p.name)
def test_every_recorded_api_response_parses(path: Path) -> None:
    papers, skipped = parse_api(path.read_bytes())
    assert skipped == [] and len(papers) == int(
        path.stem.rsplit("_", 1)[-1].replace("format", "10")
    )
    for paper in papers:
        assert paper.title and paper.abstract and paper.authors and paper.published_utc
        # The primary category first; ACM / MSC classes are not arXiv categories.
        assert paper.categories and all(
            (not c[0].isdigit() and "." in c) or "-" in c for c in paper.categories
        )


def test_announce_types_new_and_cross_are_the_day_replace_is_an_update() -> None:
    a = parse_rss(fixture(MULTI))
    assert [p.id for p in a.listed] == ["2609.26811", "2609.26820", "2205.06398"]
    assert [(p.id, p.version) for p in a.replaced] == [("2009.13987", "v3")]
    cross = a.listed[2]
    assert cross.version == "v2" and cross.categories == ("stat.ME", "stat.AP", "stat.ML")
    assert cross.authors == ("Pritam Dey", "Zhengwu Zhang", "David B. Dunson")


def test_the_older_api_format_and_old_style_ids() -> None:
    papers, _ = parse_api(fixture("api_legacy_2016_format.xml"))
    by_id = {p.id: p for p in papers}
    old = by_id["cond-mat/0412498"]
    assert old.version == "v1" and old.categories[0].startswith("cond-mat.")
    assert by_id["1201.4869"].comments == "26 pages, 10 figures"
    assert by_id["1201.4869"].categories == ("cond-mat.mes-hall", "cond-mat.other")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Service Unavailable</body></html>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel/></rss>',
        b"<rss><channel><item><title>x</title>",
    ],
)
def test_malformed_feeds_are_refused_with_a_reason(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_rss(body)


def test_an_item_without_an_arxiv_id_is_skipped_not_fatal() -> None:
    body = (
        fixture(MULTI)
        .replace(b"oai:arXiv.org:2609.26811v1", b"urn:nothing")
        .replace(b"https://arxiv.org/abs/2609.26811", b"https://example.org/x")
    )
    a = parse_rss(body)
    assert len(a.listed) == 2 and a.skipped == ["item 0: no arXiv id in guid or link"]


def test_category_specs_are_checked_with_a_suggestion() -> None:
    assert parse_categories("cs.cl+cs.LG") == ("cs.CL", "cs.LG")
    with pytest.raises(CategorySpecError, match=r"did you mean cs\.CL"):
        parse_categories("cs.CLL")
    with pytest.raises(CategorySpecError, match="needs categories"):
        parse_categories("")


# --- the fetcher against the local arXiv stand-in ---------------------------------------


async def test_polite_fetch_user_agent_retry_after_and_spacing() -> None:
    before = (Reply(503, "busy", {"retry-after": "0", "content-type": "text/plain"}),)
    with FakeArxiv(before=before) as arxiv:
        options = ArxivOptions(
            rss_url=f"{arxiv.url}/rss",
            api_url=f"{arxiv.url}/api/query",
            contact="ops@example.org",
            min_interval_s=0.4,
            backoff_s=0.01,
        )
        started = time.monotonic()
        a = await load_announcement(("cs.LG", "stat.ML"), options)
        elapsed = time.monotonic() - started
    assert a.day == MULTI_DAY and len(a.listed) == 3
    paths = [r.path for r in arxiv.requests]
    assert paths == ["/rss/cs.LG+stat.ML", "/rss/cs.LG+stat.ML"]  # the 503 was retried
    assert all("ops@example.org" in r.headers["user-agent"] for r in arxiv.requests)
    assert elapsed >= 0.4  # the retry waited its turn (one request per interval)
    assert arxiv.api_calls() == []  # the feed had everything: no API call


async def test_what_the_feed_lacks_comes_from_the_api_in_one_batch() -> None:
    # A real feed, edited here: two items lose their abstract and take ids that the recorded
    # API responses know (papers of 2026-07-31).
    body = fixture("rss_cs.CL_2026-04-27.xml")
    for old, new in (("2604.22002", "2607.28582"), ("2604.22027", "2607.28618")):
        body = body.replace(old.encode(), new.encode())
    start = body.index(b"<description>arXiv:2607.28582")
    end = body.index(b"</description>", start)
    body = body[:start] + b"<description>arXiv:2607.28582v1 Announce Type: new " + body[end:]
    start = body.index(b"<description>arXiv:2607.28618")
    end = body.index(b"</description>", start)
    body = body[:start] + b"<description>" + body[end:]
    with FakeArxiv(default_feed=body) as arxiv:
        options = ArxivOptions(f"{arxiv.url}/rss", f"{arxiv.url}/api/query", min_interval_s=0)
        a = await load_announcement(("cs.CL",), options)
    calls = arxiv.api_calls()
    assert len(calls) == 1 and calls[0].query["id_list"] == ["2607.28582,2607.28618"]
    filled = {p.id: p for p in a.listed}
    assert filled["2607.28582"].abstract and filled["2607.28582"].published_utc
    assert filled["2607.28618"].abstract and a.incomplete == []
    assert filled["2604.22038"].comments is None  # complete in the feed: not asked for


async def test_a_feed_that_stays_down_is_a_clear_error() -> None:
    with FakeServer(scripted(Reply(503, "down"))) as down:
        options = ArxivOptions(
            f"{down.url}/rss", f"{down.url}/api", min_interval_s=0, attempts=2, backoff_s=0.01
        )
        with pytest.raises(FetchError, match=r"kept failing.*after 2 attempts"):
            await load_announcement(("cs.CL",), options)


# --- paperboy ingest end to end ----------------------------------------------------------


def test_ingest_stores_the_announcement_and_a_second_run_changes_nothing(run) -> None:  # type: ignore[no-untyped-def]
    with FakeArxiv() as arxiv:
        first = run("ingest", "--source", "arxiv:cs.CL+cs.LG", **arxiv.env())
        second = run("ingest", "--source", "arxiv:cs.CL+cs.LG", **arxiv.env())
    assert first.exit_code == 0, first.output
    assert f"{MULTI_DAY} from arxiv: 3 new, 0 updated, 0 unchanged, 0 skipped" in first.output
    assert "new versions: 0 updated, 0 unchanged, 1 of papers not stored here" in first.output
    assert f"{MULTI_DAY} from arxiv: 0 new, 0 updated, 3 unchanged, 0 skipped" in second.output
    assert arxiv.requests[0].path == "/rss/cs.CL+cs.LG"
    db = open_db(run.db_path)
    stored = {p.id: p for p in papers_for_day(db, MULTI_DAY)}
    assert set(stored) == {"2609.26811", "2609.26820", "2205.06398"}
    assert stored["2609.26820"].categories == ("cs.LG", "cs.AI")
    assert get_paper(db, "2009.13987") is None  # a replacement of a paper never stored


def test_a_replacement_updates_the_stored_paper_and_is_not_listed_again(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    old = {"id": "2009.13987v2", "title": "Random Polytope Descriptors", "abstract": "Old."}
    lines = tmp_path / "old.jsonl"
    lines.write_text(json.dumps(old) + "\n")
    assert run("ingest", "--source", f"file:{lines}", "--date", "2026-09-01").exit_code == 0
    with FakeArxiv() as arxiv:
        result = run("ingest", "--source", "arxiv:cs.LG", **arxiv.env())
    assert "new versions: 1 updated, 0 unchanged, 0 of papers not stored here" in result.output
    db = open_db(run.db_path)
    paper = get_paper(db, "2009.13987")
    assert paper is not None and paper.version == "v3" and paper.abstract.startswith("We introduce")
    assert paper.categories == ("cs.LG", "math.MG", "stat.ML")
    assert "2009.13987" not in {p.id for p in papers_for_day(db, MULTI_DAY)}


def test_an_empty_feed_is_no_announcement_and_changes_nothing(run) -> None:  # type: ignore[no-untyped-def]
    with FakeArxiv() as arxiv:
        run("ingest", "--source", "arxiv:cs.LG", **arxiv.env())
    digest_before = hashlib.sha256(Path(run.db_path).read_bytes()).hexdigest()
    with FakeArxiv(default_feed=fixture("rss_weekend_empty.xml")) as weekend:
        result = run("ingest", "--source", "arxiv:cs.CL", **weekend.env())
    assert result.exit_code == 0
    assert "arxiv: no announcement today (weekend or holiday); nothing changed" in result.output
    assert hashlib.sha256(Path(run.db_path).read_bytes()).hexdigest() == digest_before


def test_hf_then_arxiv_on_the_same_day_one_record_both_sources(run) -> None:  # type: ignore[no-untyped-def]
    # Daily Papers lists two of the papers arXiv announces that day (built here, with the
    # real ids), with upvotes and its own summary.
    hf = payload(
        api_item("2609.26811", "The Drift Contract", upvotes=42, ai_summary="HF says."),
        api_item("2609.26820", "Signal2Symbol", upvotes=7),
    )
    with FakeServer(scripted(Reply(200, hf))) as papers, FakeArxiv() as arxiv:
        env = {**arxiv.env(), "PAPERBOY_PAPERS_URL": papers.url}
        result = run("ingest", "--source", "hf,arxiv:cs.LG", "--date", MULTI_DAY, **env)
        listing = run("papers", **env)
    assert result.exit_code == 0, result.output
    assert "from hf: 2 new" in result.output and "from arxiv: 1 new, 2 updated" in result.output
    lines = [line for line in listing.output.splitlines() if "2609.26811" in line]
    assert len(lines) == 1 and "[arxiv+hf]" in lines[0] and "cs.LG" in lines[0]
    db = open_db(run.db_path)
    merged = get_paper(db, "2609.26811")
    assert merged is not None
    assert merged.upvotes == 42 and merged.ai_summary == "HF says."  # from Daily Papers
    assert merged.categories == ("cs.LG",) and merged.version == "v1"  # from arXiv
    assert merged.title.startswith("The Drift Contract: Spectral")  # arXiv's full title
    assert listing_sources(db, ["2609.26811"]) == {"2609.26811": ["arxiv", "hf"]}


def test_digest_by_category_lists_only_that_category(run) -> None:  # type: ignore[no-untyped-def]
    feeds = {c: fixture(f"rss_{c}_2026-04-27.xml") for c in ("cs.AI", "cs.CL", "cs.LG")}
    with FakeArxiv(feeds=feeds) as arxiv:
        env = {**arxiv.env(), "PAPERBOY_SOURCE": "arxiv:cs.AI,arxiv:cs.CL,arxiv:cs.LG"}
        assert run("ingest", **env).exit_code == 0
    result = run("digest", "--interest", "cat: cs.CL", "--limit", "20")
    assert result.exit_code == 0, result.output
    db = open_db(run.db_path)
    day = papers_for_day(db, "2026-04-27")
    in_cl = {p.title for p in day if "cs.CL" in p.categories}
    picked = {p.title for p in day if f". {p.title}" in result.output}
    assert (
        picked == in_cl and len(in_cl) == 3
    )  # the cs.CL feed's three; none of the others is in cs.CL


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("arxiv:cs.CLL", "did you mean cs.CL"),
        ("arxiv:", "needs categories"),
        ("rss", "use hf, arxiv:CATS"),
    ],
)
def test_bad_source_specs_say_what_to_type(run, spec: str, message: str) -> None:  # type: ignore[no-untyped-def]
    result = run("ingest", "--source", spec)
    assert result.exit_code != 0 and message in result.output


def test_a_date_the_feed_does_not_carry_is_refused(run) -> None:  # type: ignore[no-untyped-def]
    with FakeArxiv() as arxiv:
        result = run("ingest", "--source", "arxiv:cs.LG", "--date", "2026-09-20", **arxiv.env())
    assert result.exit_code != 0 and "only carries its latest announcement" in result.output


def test_one_failing_source_does_not_stop_the_others(run) -> None:  # type: ignore[no-untyped-def]
    with FakeServer(scripted(Reply(404, "gone"))) as hf, FakeArxiv() as arxiv:
        env = {**arxiv.env(), "PAPERBOY_PAPERS_URL": hf.url, "PAPERBOY_SOURCE": "hf,arxiv:cs.LG"}
        result = run("ingest", **env)
    assert result.exit_code == 1
    assert "Error: hf:" in result.output and "HTTP 404" in result.output
    assert f"{MULTI_DAY} from arxiv: 3 new" in result.output
    assert "1 of 2 sources failed (hf); the others were stored" in result.output
    assert len(papers_for_day(open_db(run.db_path), MULTI_DAY)) == 3


async def test_the_scheduled_ingest_reads_every_configured_source(db) -> None:  # type: ignore[no-untyped-def]
    from bot.config import Settings
    from bot.service.scheduler import ingest_job

    hf = payload(api_item("2609.26811", "The Drift Contract", upvotes=5))
    with FakeServer(scripted(Reply(200, hf))) as papers, FakeArxiv() as arxiv:
        settings = Settings(
            source="hf,arxiv:cs.LG+stat.ML",
            papers_url=papers.url,
            arxiv_rss_url=f"{arxiv.url}/rss",
            arxiv_api_url=f"{arxiv.url}/api/query",
            arxiv_min_interval=0,
        )
        await ingest_job(db, settings)
    assert listing_sources(db, ["2609.26811"]) == {"2609.26811": ["arxiv", "hf"]}
    assert db.table("summaries").count == 0
