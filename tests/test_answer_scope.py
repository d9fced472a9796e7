"""Questions are scoped before retrieval: papers named by number are exactly the sources,
and a topic they never mention gets a plain "says nothing about" (through the fake Telegram,
retrieval-only: no LLM configured)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import sqlite_utils

from storage.deliveries import delivery_items, list_deliveries
from storage.papers import Paper, all_papers, upsert_papers
from tests.fakes.openai_server import FakeLLM
from tests.telegram_harness import running_bot

CHAT = 801


async def _digest(h, chat: int) -> list:  # type: ignore[no-untyped-def,type-arg]
    await h.say(chat, "/start")
    await h.say(chat, "mixture of experts inference")
    return [m for m in await h.say(chat, "/digest") if m.buttons()]


def _titles_of(db: sqlite_utils.Database, chat: int) -> list[str]:
    ((delivery, _),) = [d for d in list_deliveries(db) if d[0].chat_id == chat]
    ids = [i.paper_id for i in delivery_items(db, delivery.id)]
    found = {p.id: p.title for p in all_papers(db, ids)}
    return [found[i] for i in ids]


async def test_compare_papers_1_and_3_answers_from_exactly_those(
    db: sqlite_utils.Database,
) -> None:
    """Side by side: one cited line per paper and aspect, from exactly those two papers."""
    async with running_bot(db) as h:
        messages = await _digest(h, CHAT)
        (reply, *_) = await h.say(CHAT, "compare papers 1 and 3", reply_to=messages[0].message_id)
    titles = _titles_of(db, CHAT)
    body, _, sources = reply.text.partition("<b>Sources</b>")
    assert body.startswith("<i>From papers 1 and 3 of that digest:</i>")
    lines = body.splitlines()[1:]
    for aspect in ("Problem", "Method", "Data", "Result"):
        at = lines.index(f"▸ {aspect}")
        first, second = lines[at + 1], lines[at + 2]
        assert first.rstrip().endswith("[1]") and second.rstrip().endswith("[2]"), (first, second)
    assert titles[0] in sources and titles[2] in sources and titles[1] not in sources
    assert sources.count("[") == 2


async def test_compare_with_a_model_keeps_its_lines_that_their_citations_back(
    db: sqlite_utils.Database,
) -> None:
    def reply(payload: dict) -> str | None:  # type: ignore[type-arg]
        if "side by side" not in payload["messages"][0]["content"]:
            return None
        return (
            "Problem | 1 | Sparse mixture of experts models have high memory demands [1]\n"
            "Problem | 2 | Penguins prefer cold water in winter [2]\n"
            "Method | 1 | Not a line in the format"
        )

    with FakeLLM(reply) as llm:
        async with running_bot(db, openai_base_url=llm.base_url, expand_interests=False) as h:
            messages = await _digest(h, CHAT)
            (answer, *_) = await h.say(
                CHAT, "compare papers 1 and 3", reply_to=messages[0].message_id
            )
    body = answer.text.partition("<b>Sources</b>")[0]
    assert "Sparse mixture of experts models have high memory demands [1]" in body
    assert "Penguins" not in body  # not backed by paper 2: its own sentence instead
    lines = body.splitlines()
    problem = lines.index("▸ Problem")
    assert lines[problem + 2].rstrip().endswith("[2]") and "“" in lines[problem + 2]


async def test_a_topic_the_paper_never_mentions_is_said_plainly(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as h:
        messages = await _digest(h, CHAT)
        (reply,) = await h.say(
            CHAT,
            "what does paper 2 say about quantum chromodynamics?",
            reply_to=messages[0].message_id,
        )
        (other,) = await h.say(
            CHAT, "what does paper 2 say about experts?", reply_to=messages[0].message_id
        )
    # What is missing in a few words, and that only the abstract could be read.
    assert html.unescape(reply.text) == (
        "Paper 2's abstract does not mention quantum chromodynamics; its full text is not "
        "available."
    )
    assert "“" not in reply.text and "Sources" not in reply.text  # nothing quoted
    assert "says nothing" not in other.text and "Sources" in other.text


async def test_my_saved_papers_and_todays_digest_are_scopes(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        messages = await _digest(h, CHAT)
        save = next(d for _, d in messages[0].buttons() if d.startswith("save|"))
        await h.press(CHAT, save, messages[0].message_id or 1)
        (saved,) = await h.say(CHAT, "what do my saved papers say about experts?")
        (today,) = await h.say(CHAT, "which of today's digest is about GPUs?")
        (nothing,) = await h.say(CHAT, "what does my library say about experts?")
    titles = _titles_of(db, CHAT)
    assert saved.text.startswith("<i>From your saved papers:</i>")
    saved_sources = saved.text.split("Sources")[1]
    assert titles[0] in saved_sources and not any(t in saved_sources for t in titles[1:])
    assert html.unescape(today.text).startswith("<i>From today's digest:</i>")
    today_sources = today.text.split("Sources")[1] if "Sources" in today.text else ""
    cited = [line for line in today_sources.splitlines() if line.startswith("[")]
    assert cited and all(any(t in line for t in titles) for line in cited)
    assert "There is nothing in your library yet." in nothing.text


async def test_which_of_these_lists_exactly_those_that_do_and_those_that_do_not(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as h:
        messages = await _digest(h, CHAT)
        (reply,) = await h.say(
            CHAT, "which of these mention GPUs?", reply_to=messages[0].message_id
        )
    titles = _titles_of(db, CHAT)
    from storage.papers import search_papers

    with_gpu = {p.title for p in search_papers(db, "GPU", limit=200)}
    with_gpu |= {p.title for p in search_papers(db, "GPUs", limit=200)}
    with_gpu &= set(titles)
    text = html.unescape(reply.text)
    assert text.startswith("<i>From the papers of that digest:</i>")
    listed = set(re.findall(r"^\[\d\] (.+?): “", text, re.M))
    assert listed == with_gpu and listed, (listed, with_gpu)
    numbers = [str(titles.index(t) + 1) for t in titles if t not in with_gpu]
    assert "do not mention GPUs" in text or "does not mention GPUs" in text
    assert all(n in text.split("not mention")[0].splitlines()[-1] for n in numbers)


DAY1 = [
    Paper(
        id="2612.00101",
        title="Tree-based speculative decoding for language model inference",
        abstract="A tree of draft tokens is verified at once, which speeds up inference.",
    ),
    Paper(
        id="2612.00102",
        title="Quantized attention kernels for language model inference",
        abstract="Low-bit attention kernels make language model inference cheaper on GPUs.",
    ),
]
DAY2 = [
    Paper(
        id="2612.00111",
        title="KV cache eviction for language model inference",
        abstract="Evicting stale keys and values bounds the memory of long-context inference.",
    ),
    Paper(
        id="2612.00112",
        title="Batch scheduling for language model inference servers",
        abstract="Continuous batching raises the throughput of language model inference.",
    ),
]


async def test_that_paper_about_x_you_sent_me_is_found_among_earlier_digests(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db, full_text=False) as h:
        await h.say(CHAT, "/start")
        await h.say(CHAT, "language model inference")
        upsert_papers(db, DAY1, day="2026-12-01", source="hf")
        h.conv.clock = lambda: datetime(2026, 12, 1, 9, tzinfo=UTC)
        await h.say(CHAT, "/digest")
        upsert_papers(db, DAY2, day="2026-12-02", source="hf")
        h.conv.clock = lambda: datetime(2026, 12, 2, 9, tzinfo=UTC)
        today = "".join(m.text for m in await h.say(CHAT, "/digest"))
        assert DAY2[0].title in today  # today's digest holds the newer papers
        asked = await h.say(CHAT, "what was the paper about tree drafts you sent me?")
        (none,) = await h.say(CHAT, "the paper on quantum chromodynamics you sent me?")
    (found,) = [m for m in asked if "<i>From" in m.text]
    first_line = found.text.splitlines()[0]
    assert DAY1[0].title in first_line and "sent to you on 2026-12-01" in first_line
    assert not any(p.title in found.text for p in DAY2)
    assert "I found no paper about quantum chromodynamics among those I sent you." in none.text


async def test_which_of_my_saved_papers_names_only_the_one_about_it(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db, full_text=False) as h:
        await h.say(CHAT, "/start")
        await h.say(CHAT, "language model inference")
        upsert_papers(db, DAY1, day="2026-12-01", source="hf")
        h.conv.clock = lambda: datetime(2026, 12, 1, 9, tzinfo=UTC)
        digest = [m for m in await h.say(CHAT, "/digest") if m.buttons()]
        for paper in DAY1:  # star both
            await h.press(CHAT, f"save|{paper.id}", digest[0].message_id or 1)
        (reply,) = await h.say(CHAT, "which of my saved papers is about tree drafts?")
    assert reply.text.startswith("<i>From your saved papers:</i>")
    assert DAY1[0].title in reply.text and DAY1[1].title not in reply.text
    assert "The other 1 does not." in reply.text
    named = re.findall(r"^\[\d\] ", reply.text, re.M)
    assert len(named) == 2  # the paper in the answer and once in Sources: that one only


NOW = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
TODAY = [
    Paper(
        id="2612.00121",
        title="Policy optimisation for language model reasoning",
        abstract="We train a language model with reinforcement learning from verifier rewards.",
    ),
    Paper(
        id="2612.00122",
        title="Machine learning for language model compilers",
        abstract="Machine learning picks the kernels a language model compiler emits.",
    ),
    Paper(
        id="2612.00123",
        title="Efficient inference for language model agents",
        abstract="Caching tool calls makes language model agents cheaper to run.",
    ),
]


async def test_any_of_these_and_foreign_which_questions_list_the_papers_that_say_it(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db, full_text=False) as h:
        await h.say(CHAT, "/start")
        await h.say(CHAT, "language model")
        upsert_papers(db, TODAY, day=NOW.date().isoformat(), source="hf")
        h.conv.clock = lambda: NOW
        await h.say(CHAT, "/digest")
        (rl,) = await h.say(CHAT, "any of these about reinforcement learning?")
        (spanish,) = await h.say(CHAT, "¿Cuáles de los de hoy tratan de inferencia eficiente?")
        (german,) = await h.say(CHAT, "Welche davon behandeln Agenten?")
    rl_text = html.unescape(rl.text)
    # Both words of a two-word topic: "machine learning" is not reinforcement learning.
    assert f"[1] {TODAY[0].title}: “" in rl_text and TODAY[1].title not in rl_text
    assert "do not mention reinforcement learning." in rl_text
    spanish_text = html.unescape(spanish.text)
    assert spanish_text.startswith("<i>From today's digest:</i>")
    assert "1 of today's digest mentions inferencia eficiente:" in spanish_text
    assert TODAY[2].title in spanish_text and TODAY[0].title not in spanish_text
    assert TODAY[2].title in german.text and "mentions Agenten" in german.text


async def test_have_i_gotten_any_x_papers_lately_searches_what_was_sent(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db, full_text=False) as h:
        await h.say(CHAT, "/start")
        await h.say(CHAT, "language model inference")
        earlier = NOW - timedelta(days=3)
        upsert_papers(db, DAY1, day=earlier.date().isoformat(), source="hf")
        h.conv.clock = lambda: earlier
        await h.say(CHAT, "/digest")
        upsert_papers(db, DAY2, day=NOW.date().isoformat(), source="hf")
        h.conv.clock = lambda: NOW
        await h.say(CHAT, "/digest")
        (found,) = await h.say(
            CHAT,
            "have I gotten any speculative decoding papers in my digests lately? feels "
            "like it's been weeks",
        )
        (none,) = await h.say(CHAT, "did you send me anything on protein folding?")
    text = html.unescape(found.text)
    assert text.startswith("<i>From the digests of the last 30 days:</i>")
    assert f"[1] {DAY1[0].title}: “" in text  # three days back, not only today's digest
    assert "does not mention" not in text and "gotten" not in text
    assert "None of the digests of the last 30 days mention protein folding." in none.text


async def test_which_papers_have_i_saved_lists_them_newest_first(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db, full_text=False) as h:
        await h.say(CHAT, "/start")
        await h.say(CHAT, "language model inference")
        upsert_papers(db, DAY1, day=NOW.date().isoformat(), source="hf")
        h.conv.clock = lambda: NOW
        digest = [m for m in await h.say(CHAT, "/digest") if m.buttons()]
        (nothing,) = await h.say(CHAT, "which papers have I saved?")
        for paper in DAY1:  # the second one starred last (within the same second, maybe)
            await h.press(CHAT, f"save|{paper.id}", digest[0].message_id or 1)
        (listed,) = await h.say(
            CHAT, "Could you kindly remind me which papers I've saved over the past month?"
        )
        (german,) = await h.say(CHAT, "Was habe ich diese Woche eigentlich alles gespeichert?")
        (narrowed,) = await h.say(CHAT, "which papers have I saved about tree drafts?")
    assert "There is nothing in your saved papers yet." in nothing.text
    for reply in (listed, german):
        body, _, sources = reply.text.partition("<b>Sources</b>")
        assert "2 papers: [1], [2]. /saved lists them all." in body
        assert sources.index(DAY1[1].title) < sources.index(DAY1[0].title)  # newest first
    assert DAY1[0].title in narrowed.text and DAY1[1].title not in narrowed.text
