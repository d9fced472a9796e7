"""Digest choice and rendering: HTML escaping, the 4096 split, buttons, empty days."""

import html
import re

import pytest
import sqlite_utils

from bot.config import Settings
from bot.digests.choose import Digest, DigestItem
from bot.digests.desk import DigestDesk
from bot.digests.render import render_html, render_text
from bot.llm import LLMClient
from bot.messages.callbacks import CALLBACK_LIMIT, decode, encode
from bot.messages.html import TELEGRAM_LIMIT, telegram_length
from bot.ranking import Match, Profile
from bot.ranking.interests import parse_interest
from bot.writing.summaries import Summary
from storage.papers import Links, Paper, upsert_papers


def item(
    n: int,
    title: str = "A paper",
    summary: str = "It works.",
    kind: str = "llm",
    pid: str | None = None,
) -> DigestItem:
    paper = Paper(
        id=pid or f"2503.{n:05d}",
        title=title,
        abstract="x",
        authors=("A", "B"),
        upvotes=n,
        links=Links(
            arxiv=f"https://arxiv.org/abs/2503.{n:05d}",
            pdf="https://arxiv.org/pdf/x",
            code="https://github.com/a/b?x=1&y=2",
        ),
    )
    return DigestItem(n, paper, Summary(summary, kind), "your interest ‘x’: y", 0.5)  # type: ignore[arg-type]


def digest(*items: DigestItem) -> Digest:
    return Digest("2025-03-03", ("hf",), 120, tuple(items), "ok")


def visible(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_html_escapes_everything_paper_supplied() -> None:
    evil = item(1, title="<script>alert(1)</script> & <b>bold</b>", summary="a < b && c > d")
    (message,) = render_html(digest(evil))
    assert "<script>" not in message.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in message.text
    assert "a &lt; b &amp;&amp; c &gt; d" in message.text
    assert 'href="https://github.com/a/b?x=1&amp;y=2"' in message.text
    tags = set(re.findall(r"</?([a-z]+)", message.text))
    assert tags <= {"b", "i", "a"}  # only tags Telegram's HTML mode accepts


def test_message_shows_title_authors_summary_reason_links_and_footer() -> None:
    (message,) = render_html(digest(item(1), item(2)))
    text = visible(message.text)
    assert "Your papers for 2025-03-03" in text and "2 picked for you from 120" in text
    assert "1. A paper" in text and "A, B" in text and "It works." in text
    assert "🎯 your interest ‘x’: y" in text
    assert "arXiv · PDF · code · ▲ 1" in text
    assert "reply to this message" in text
    assert message.paper_ids == ("2503.00001", "2503.00002")


def test_fallback_summaries_are_labelled() -> None:
    (message,) = render_html(digest(item(1, kind="extractive"), item(2, kind="source")))
    assert "extract from the abstract; no LLM summary" in message.text
    assert "summary by Hugging Face" in message.text


def test_long_digests_split_on_paper_boundaries_under_the_limit() -> None:
    long_items = [item(n, title="T" * 250 + f" {n}", summary="word " * 300) for n in range(1, 13)]
    messages = render_html(digest(*long_items))
    assert len(messages) > 1
    assert all(telegram_length(m.text) <= TELEGRAM_LIMIT for m in messages)
    assert [pid for m in messages for pid in m.paper_ids] == [i.paper.id for i in long_items]
    assert "Your papers for" in messages[0].text and "Your papers for" not in messages[1].text
    assert "reply to this message" in messages[-1].text
    for m in messages:  # every paper of a message has its own row of buttons
        assert [row[0].data for row in m.keyboard] == [f"up|{pid}" for pid in m.paper_ids]


def test_pathological_paper_still_fits_one_message() -> None:
    huge = item(1, title="&" * 5000, summary="<" * 20000)
    (message,) = render_html(digest(huge))
    assert telegram_length(message.text) <= TELEGRAM_LIMIT


def test_emoji_count_double_towards_the_limit() -> None:
    assert telegram_length("🚀") == 2 and telegram_length("é") == 1


def test_buttons_and_encode() -> None:
    (message,) = render_html(digest(item(1)))
    (row,) = message.keyboard
    assert [b.text for b in row] == ["1 👍", "1 👎", "1 ⭐", "1 ❓"]
    assert all(len(b.data.encode()) <= CALLBACK_LIMIT for b in row)
    assert [decode(b.data) for b in row] == [
        ("up", "2503.00001"),
        ("down", "2503.00001"),
        ("save", "2503.00001"),
        ("ask", "2503.00001"),
    ]


@pytest.mark.parametrize("data", ["", "up", "up|", "nuke|2503.1", "|x", "up|" + "x" * 80, None])
def test_forged_callbacks_are_rejected(data: str | None) -> None:
    assert decode(data) is None


def test_callback_data_refuses_what_telegram_would() -> None:
    with pytest.raises(ValueError):
        encode("up", "x" * 70)
    with pytest.raises(ValueError):
        encode("delete", "2503.1")


def test_no_papers_and_nothing_matched_say_so() -> None:
    (empty,) = render_html(Digest("2025-03-08", ("hf",), 0, (), "no_papers"))
    assert "No new papers for 2025-03-08" in empty.text and "weekend" in empty.text
    paper = Paper(id="p", title="Top <paper>", links=Links(arxiv="https://a/b"))
    closest = (Match(paper, 0.12, "your interest ‘a<b’: paper (title)"),)
    (none,) = render_html(Digest("2025-03-03", ("hf",), 40, (), "nothing_matched", closest=closest))
    assert "Nothing strongly matched" in none.text and "Closest, weaker matches" in none.text
    assert "Top &lt;paper&gt;" in none.text and "‘a&lt;b’" in none.text
    assert "/interests" in none.text
    text = render_text(Digest("d", (), 40, (), "nothing_matched", closest=closest))
    assert "Nothing strongly matched" in text and "‘a<b’: paper (title)" in text


async def test_preview_excludes_already_sent_and_handles_nothing(
    db: sqlite_utils.Database,
) -> None:
    papers = [
        Paper(id=f"2503.0000{i}", title=f"Sparse experts {i}", abstract="Experts.", upvotes=i)
        for i in range(1, 4)
    ]
    upsert_papers(db, papers, day="2025-03-03", source="hf")
    llm = LLMClient(Settings(), db)
    desk = DigestDesk(db, Settings(), llm)
    profile = Profile((parse_interest("sparse experts"),))
    full = await desk.preview("2025-03-03", profile)
    assert full.status == "ok" and len(full.items) == 3
    assert {i.summary.kind for i in full.items} == {"extractive"}
    rest = await desk.preview("2025-03-03", profile, exclude_ids={"2503.00001"})
    assert "2503.00001" not in [i.paper.id for i in rest.items]
    nothing = await desk.preview("2025-03-03", Profile((parse_interest("protein experts"),)))
    # Nothing near "protein" among sparse-experts papers: no weaker matches are named.
    assert nothing.status == "nothing_matched" and nothing.closest == ()
    empty = await desk.preview("2025-03-08", profile)
    assert empty.status == "no_papers"


async def test_the_day_is_indexed_once_until_its_listings_change(db: sqlite_utils.Database) -> None:
    from bot.digests.choose import DayContexts
    from tests.fakes.embedder import HashingEmbedder

    embedder = HashingEmbedder()
    papers = [Paper(f"2609.0000{i}", f"Speculative decoding, part {i}") for i in range(1, 4)]
    upsert_papers(db, papers, day="2026-09-24", source="arxiv")
    contexts = DayContexts(embedder, None)
    first = await contexts.get(db, "2026-09-24", ["speculative decoding"])
    calls = embedder.calls
    again = await contexts.get(db, "2026-09-24", ["speculative decoding"])
    assert again is first and embedder.calls == calls  # nothing rebuilt, nothing embedded
    await contexts.get(db, "2026-09-24", ["tree attention"])  # a new interest: embedded only
    assert embedder.calls == calls + 1
    assert (
        first.ranker.vectors is not None
        and first.ranker.vectors.lookup(["tree attention"]) is not None
    )
    upsert_papers(db, [Paper("2609.00009", "Tree attention")], day="2026-09-24", source="hf")
    rebuilt = await contexts.get(db, "2026-09-24")
    assert rebuilt is not first and len(rebuilt.papers) == 4
