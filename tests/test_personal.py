"""The personal digest: one LLM call per reader (shared by readers with the same inputs),
grounded why-lines and an opening, and the mechanical digest, on time, whenever the call
fails or its note does not pass the checks. Against the fake OpenAI and Telegram servers."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import sqlite_utils

from bot.assistant import Chat, Conversation
from bot.assistant.on_demand import digest
from bot.config import Settings
from bot.llm import LLMClient
from bot.writing.grounding import Candidate, GroundingError, validate_note
from storage.deliveries import delivery_for_day, delivery_items
from storage.feedback import record_feedback
from storage.interests import add_interest
from storage.llm_calls import LLMCall, record_call
from storage.papers import Paper
from storage.personal_notes import cached_note, forget_old_notes, store_note
from storage.users import update_user
from tests.fakes.http_server import Reply
from tests.fakes.openai_server import FakeLLM, error, personal_note
from tests.telegram_harness import running_bot
from tests.test_delivery import DAY, PAPERS, at, world

PERSONAL = "You write the daily paper digest of one researcher."
SUMMARY = "You write short summaries of research papers for busy researchers."


def purposes(fake: FakeLLM) -> list[str]:
    return [p["messages"][0]["content"].split("\n")[0] for p in fake.payloads]


def personal_user_prompt(fake: FakeLLM) -> str:
    return next(p["messages"][1]["content"] for p in fake.payloads if PERSONAL in str(p))


def held(release: threading.Event, seconds: float) -> Callable[[dict[str, Any]], None]:
    """A fake-model script whose personal calls answer only once `release` is set (or after
    `seconds`); every other call is answered at once."""

    def script(payload: dict[str, Any]) -> None:
        if PERSONAL in str(payload):
            release.wait(seconds)

    return script


@asynccontextmanager
async def conversation(
    db: sqlite_utils.Database, llm_url: str, **settings: Any
) -> AsyncIterator[Conversation]:
    """The assistant behind /digest, at the test day's 09:00, on its own LLM client."""
    config = Settings(openai_base_url=llm_url, **settings)
    llm = LLMClient(config, db)
    try:
        yield Conversation(db, config, llm, clock=lambda: at(f"{DAY}T09:00"))
    finally:
        await llm.aclose()


async def test_one_reader_one_personal_call_and_the_summaries_nobody_had(
    db: sqlite_utils.Database,
) -> None:
    with FakeLLM() as fake:
        async with world(db, llm_url=fake.base_url, personal_wait_s=30) as w:
            w.user(1)
            report = await w.deliverer.sweep(at(f"{DAY}T09:00"))
    assert report.sent == 1 and report.personal_notes == 1
    # 1 personal call + one summary batch for the 5 chosen papers (batch 8)
    assert sorted(purposes(fake)) == sorted([PERSONAL, SUMMARY])
    text = w.digests_to(1)[0]
    header, _, rest = text.partition("\n\n")
    assert header.startswith("📰 <b>Your papers for")
    assert rest.startswith("<i>Today brings 5 papers for you")  # the opening, under the header
    assert text.count("💡 For your interest in mixture of experts") == 5
    assert text.count("🎯 <i>matched: ‘mixture of experts’") == 5  # the mechanical reason, short
    stored = delivery_for_day(db, 1, DAY)
    assert stored is not None and stored.opening and stored.opening.startswith("Today brings")
    assert all(i.why for i in delivery_items(db, stored.id))


async def test_readers_with_the_same_interests_share_one_call(db: sqlite_utils.Database) -> None:
    with FakeLLM() as fake:
        async with world(db, llm_url=fake.base_url, personal_wait_s=30) as w:
            w.user(1)
            w.user(2)
            w.user(3, time="10:00")  # a later sweep: the stored note serves them
            w.user(4, interest="routing tokens")  # other interests: a call of its own
            await w.deliverer.sweep(at(f"{DAY}T09:00"))
            await w.deliverer.sweep(at(f"{DAY}T10:00"))
            assert purposes(fake).count(PERSONAL) == 2
            assert w.digests_to(1)[0] == w.digests_to(2)[0] == w.digests_to(3)[0]
            assert "💡" in w.digests_to(4)[0]


async def test_the_readers_language_is_asked_for_and_not_shared(
    db: sqlite_utils.Database,
) -> None:
    with FakeLLM() as fake:
        async with world(db, llm_url=fake.base_url, personal_wait_s=30) as w:
            w.user(1)
            w.user(2)
            update_user(db, 2, language="German")
            await w.deliverer.sweep(at(f"{DAY}T09:00"))
    prompts = [p["messages"][0]["content"] for p in fake.payloads if PERSONAL in str(p)]
    assert len(prompts) == 2 and any("language: German" in p for p in prompts)


async def test_likes_and_exclusions_reach_the_prompt(db: sqlite_utils.Database) -> None:

    with FakeLLM() as fake:
        async with world(db, llm_url=fake.base_url, personal_wait_s=30) as w:
            w.user(1)
            add_interest(db, 1, "exclude", "medical imaging")
            record_feedback(db, 1, PAPERS[0].id, 1)
            await w.deliverer.sweep(at(f"{DAY}T09:00"))
    prompt = personal_user_prompt(fake)
    assert "Not interested in:\n- medical imaging" in prompt
    assert f"Recently liked:\n- {PAPERS[0].title}" in prompt


def _other_paper_why(payload: dict[str, Any]) -> str:
    note = personal_note(payload["messages"][1]["content"])
    first, second = note["picks"][0], note["picks"][1]
    title = next(p.title for p in PAPERS if p.id == second["id"])
    first["why"] = f"Read it with {second['id']}, {title}."  # names another candidate
    return json.dumps(note)


def _stranger_id(payload: dict[str, Any]) -> str:
    note = personal_note(payload["messages"][1]["content"])
    note["picks"][0]["id"] = "2501.99999"  # not a candidate
    return json.dumps(note)


def _why_about_nothing(payload: dict[str, Any]) -> str:
    note = personal_note(payload["messages"][1]["content"])
    note["picks"][0]["why"] = "A delightful read for a rainy afternoon with tea."
    return json.dumps(note)


FAILURES: dict[str, Callable[[dict[str, Any]], Reply | str | None]] = {
    "invalid JSON": lambda p: "Here are your papers: 1, 3 and 5!" if PERSONAL in str(p) else None,
    "ids that were not candidates": lambda p: _stranger_id(p) if PERSONAL in str(p) else None,
    "a why-line about another paper": lambda p: _other_paper_why(p) if PERSONAL in str(p) else None,
    "a why-line about nothing": lambda p: _why_about_nothing(p) if PERSONAL in str(p) else None,
    "a 500 storm": lambda p: error(500) if PERSONAL in str(p) else None,
}


@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
async def test_a_bad_note_or_a_failed_call_gives_the_mechanical_digest(
    db: sqlite_utils.Database, failure: str
) -> None:
    with FakeLLM(FAILURES[failure]) as fake:
        async with world(db, llm_url=fake.base_url, personal_wait_s=30) as w:
            w.user(1)
            report = await w.deliverer.sweep(at(f"{DAY}T09:00"))
    assert report.sent == 1 and report.personal_fallbacks == 1 and PERSONAL in purposes(fake)
    text = w.digests_to(1)[0]
    assert "💡" not in text and "Today brings" not in text
    assert text.count("🎯 your interest ‘mixture of experts’") == 5  # the ranker's reasons
    if failure != "a 500 storm":  # (after a storm the client rests for a minute)
        assert "This paper studies" in text  # the summaries were still written


async def test_a_model_that_never_answers_does_not_hold_the_digest(
    db: sqlite_utils.Database,
) -> None:
    release = threading.Event()
    with FakeLLM(held(release, 60)) as fake:  # answers only after the test is over
        try:
            async with world(db, llm_url=fake.base_url, personal_wait_s=0.3) as w:
                w.user(1)
                w.user(2)
                report = await w.deliverer.sweep(at(f"{DAY}T09:00"))
                # The model has still not answered, and both digests are out, mechanical.
                assert not release.is_set()
                assert report.sent == 2 and report.personal_fallbacks == 2
                assert all("💡" not in w.digests_to(c)[0] for c in (1, 2))
        finally:
            release.set()


async def test_a_timeout_of_the_call_gives_the_mechanical_digest(
    db: sqlite_utils.Database,
) -> None:
    release = threading.Event()
    with FakeLLM(held(release, 5)) as fake:
        try:
            quick = {"llm_timeout": 0.2}
            async with world(
                db, llm_url=fake.base_url, llm_settings=quick, personal_wait_s=60
            ) as w:
                w.user(1)
                report = await w.deliverer.sweep(at(f"{DAY}T09:00"))
        finally:
            release.set()
    assert report.sent == 1 and report.personal_fallbacks == 1
    assert "💡" not in w.digests_to(1)[0]
    rows = list(db.query("SELECT ok, error FROM llm_calls WHERE purpose = 'personal'"))
    assert len(rows) == 2 and all(r["error"] == "the LLM endpoint timed out" for r in rows)


async def test_a_spent_budget_gives_the_mechanical_digest_without_a_call(
    db: sqlite_utils.Database,
) -> None:
    record_call(db, LLMCall("summary", "gpt-4o-mini", "summary-v1", 3_000_000, 0, 10, True))
    with FakeLLM() as fake:
        async with world(db, llm_url=fake.base_url, personal_wait_s=30) as w:
            w.user(1)
            report = await w.deliverer.sweep(at(f"{DAY}T09:00"))
    assert report.sent == 1 and report.personal_fallbacks == 1
    assert fake.payloads == []  # neither the personal call nor summaries: the budget is spent
    assert "💡" not in w.digests_to(1)[0]


async def test_with_rerank_on_too_it_is_still_one_call(db: sqlite_utils.Database) -> None:
    with FakeLLM() as fake:
        async with world(db, llm_url=fake.base_url, personal_wait_s=30, use_rerank=True) as w:
            w.user(1)
            await w.deliverer.sweep(at(f"{DAY}T09:00"))
    assert sorted(purposes(fake)) == sorted([PERSONAL, SUMMARY])


async def test_html_in_a_why_line_is_escaped(db: sqlite_utils.Database) -> None:
    def html_why(payload: dict[str, Any]) -> str | None:
        if PERSONAL not in str(payload):
            return None
        note = personal_note(payload["messages"][1]["content"])
        note["picks"][0]["why"] += " <b>Must</b> read & <a href='x'>more</a>"
        note["opening"] += " <script>"
        return json.dumps(note)

    with FakeLLM(html_why) as fake:
        async with world(db, llm_url=fake.base_url, personal_wait_s=30) as w:
            w.user(1)
            await w.deliverer.sweep(at(f"{DAY}T09:00"))
    text = w.digests_to(1)[0]
    assert "&lt;b&gt;Must&lt;/b&gt; read &amp; &lt;a href=&#x27;x&#x27;&gt;" in text
    assert "&lt;script&gt;" in text and "<script>" not in text


# The checks themselves, on the model's raw reply.

CANDIDATES = [
    Candidate(
        Paper(id="2503.00001", title="EdgeMoE: Fast On-Device Inference of MoE Models"),
        "Runs mixture-of-experts models on phones by keeping experts in flash storage.",
        "your interest ‘on-device LLMs’: On-Device Inference (title)",
    ),
    Candidate(
        Paper(id="2503.00002", title="LoRA Adapters for Speech Recognition in Noisy Rooms"),
        "Fine-tunes speech recognisers with low-rank adapters.",
        "your interest ‘LoRA’: LoRA (title)",
    ),
    Candidate(
        Paper(id="2503.00003", title="Quantised Kernels for Transformer Decoding on GPUs"),
        "Int4 kernels make transformer decoding twice as fast on consumer GPUs.",
        "your interest ‘on-device LLMs’: decoding (abstract)",
    ),
]
INTERESTS = ["on-device LLMs", "LoRA", "cat: cs.CL"]


def reply(*picks: tuple[str, str, str], opening: str = "Two papers on small devices today.") -> str:
    items = [{"id": i, "why": w, "interest": n} for i, w, n in picks]
    return json.dumps({"opening": opening, "picks": items})


GOOD = ("2503.00001", "Keeps experts in flash so MoE models run on your phone.", "on-device LLMs")


def test_a_grounded_note_passes_and_keeps_the_models_order() -> None:
    second = ("2503.00003", "Int4 kernels halve decoding time on consumer GPUs.", "on-device LLMs")
    note = validate_note(reply(second, GOOD), CANDIDATES, INTERESTS, limit=2)
    assert [p.paper_id for p in note.picks] == ["2503.00003", "2503.00001"]
    assert note.opening == "Two papers on small devices today."
    cs = validate_note(reply((*GOOD[:2], "cs.CL")), CANDIDATES, INTERESTS, limit=2)
    assert cs.picks[0].interest == "cat: cs.CL"  # a category may be named without "cat:"
    fenced = "```json\n" + reply(GOOD) + "\n```"
    assert validate_note(fenced, CANDIDATES, INTERESTS, limit=1).picks[0].paper_id == GOOD[0]


BAD = {
    "no JSON": "I picked EdgeMoE.",
    "no picks": json.dumps({"opening": "Hello there, researcher."}),
    "no pick at all": reply(),
    "too many picks": reply(GOOD, ("2503.00003", "Int4 kernels halve decoding.", "LoRA")),
    "a stranger's id": reply(("2501.12345", GOOD[1], GOOD[2])),
    "the same paper twice": reply(GOOD, GOOD),
    "an interest they do not have": reply((*GOOD[:2], "protein folding")),
    "a why-line sharing no word with its paper": reply(
        ("2503.00001", "Worth your time this morning, honestly.", "on-device LLMs")
    ),
    "a why-line naming another paper's id": reply(
        ("2503.00001", "Keeps experts in flash, unlike 2503.00003.", "on-device LLMs")
    ),
    "a why-line about another paper's content": reply(
        ("2503.00001", "MoE models meet LoRA adapters for speech recognition.", "LoRA")
    ),
    "a why-line naming another paper": reply(
        ("2503.00002", "Adapters for speech, pairs well with EdgeMoE.", "LoRA")
    ),
    "a why-line too long": reply(("2503.00001", "Flash experts. " * 30, "on-device LLMs")),
    "a link": reply(("2503.00001", "Experts in flash: https://evil.example", "on-device LLMs")),
    "an opening too long": reply(GOOD, opening="MoE on phones. " * 40),
    "no opening": json.dumps({"picks": [dict(zip(["id", "why", "interest"], GOOD, strict=True))]}),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_anything_ungrounded_is_refused(case: str) -> None:
    with pytest.raises(GroundingError):
        validate_note(BAD[case], CANDIDATES, INTERESTS, limit=1 if "many" in case else 3)


async def test_digest_command_in_telegram_is_personal_and_shared(
    db: sqlite_utils.Database,
) -> None:

    with FakeLLM() as fake:
        async with running_bot(db, openai_base_url=fake.base_url, expand_interests=False) as bot:
            for chat in (1001, 2002):
                await bot.say(chat, "/add mixture of experts inference")
            ada = [m for m in await bot.say(1001, "/digest") if m.buttons()]
            ben = [m for m in await bot.say(2002, "/digest") if m.buttons()]
            again = await bot.say(1001, "/digest", expect=2)  # the stored text, re-sent
    assert "<i>Today brings 5 papers for you" in ada[0].text
    assert sum(m.text.count("💡 For your interest in mixture of experts") for m in ada) == 5
    assert [m.text for m in ada] == [m.text for m in ben]
    assert [m.text for m in again[1:]] == [m.text for m in ada]
    assert purposes(fake).count(PERSONAL) == 1  # Ben's digest reused Ada's note


def test_naming_the_readers_interest_is_not_naming_another_paper() -> None:
    # The reader follows "EdgeMoE" itself; a why-line naming that interest is fine, even
    # though it is also another candidate's short name.
    why = ("2503.00002", "Adapters for speech, next to your interest in EdgeMoE.", "EdgeMoE")
    note = validate_note(reply(why), CANDIDATES, [*INTERESTS, "EdgeMoE"], limit=1)
    assert note.picks[0].interest == "EdgeMoE"
    with pytest.raises(GroundingError):  # without that interest, it names another paper
        validate_note(reply((*why[:2], "LoRA")), CANDIDATES, INTERESTS, limit=1)


def test_old_notes_are_forgotten(db: sqlite_utils.Database) -> None:

    for key in ("old", "new"):
        store_note(db, key, "{}", model="m", prompt_version="p", language="en")
    db.execute(
        "UPDATE personal_notes SET created_utc = '2020-01-01T00:00:00+00:00' WHERE key = 'old'"
    )
    assert forget_old_notes(db) == 1
    assert cached_note(db, "old") is None and cached_note(db, "new") == "{}"


async def test_a_digest_written_meanwhile_stands_and_the_sweep_goes_on(
    db: sqlite_utils.Database,
) -> None:
    # Ada sends /digest while the sweep waits for the personal notes: hers stands, the
    # sweep skips her when it comes to write hers, and Ben still gets his.
    release = threading.Event()
    with FakeLLM(held(release, 10)) as fake:
        async with world(db, llm_url=fake.base_url, personal_wait_s=30) as w:
            w.user(1)
            w.user(2, interest="routing tokens")
            sweep = asyncio.create_task(w.deliverer.sweep(at(f"{DAY}T09:00")))
            await asyncio.sleep(0.5)  # the sweep is waiting for its notes
            async with conversation(db, fake.base_url, llm_personal=False) as conv:
                on_demand = await digest(conv, Chat(1), "")
            release.set()
            report = await sweep
    (claimed,) = on_demand  # hers, written and claimed for the front end's outbox sender
    rows = list(db.query("SELECT id FROM deliveries WHERE chat_id = 1"))
    assert claimed.outbox_id == rows[0]["id"]
    assert report.prepared == 1 and not report.errors  # Ben's; Ada's was already there
    assert len(w.digests_to(2)) == 1
    rows = list(db.query("SELECT chat_id FROM deliveries ORDER BY chat_id"))
    assert [r["chat_id"] for r in rows] == [1, 2]


async def test_a_digest_command_overtaken_by_the_sweep_shows_the_sweeps_digest(
    db: sqlite_utils.Database,
) -> None:
    release = threading.Event()
    with FakeLLM(held(release, 10)) as fake:
        async with world(db, llm_url=fake.base_url) as w:  # this sweep writes no notes
            w.user(1)
            async with conversation(db, fake.base_url, expand_interests=False) as conv:
                on_demand = asyncio.create_task(digest(conv, Chat(1), ""))
                await asyncio.sleep(0.5)  # /digest is waiting for its personal note
                report = await w.deliverer.sweep(at(f"{DAY}T09:00"))
                release.set()
                replies = await on_demand
    assert report.sent == 1
    assert replies[0].html == "Here is today's digest again:"
    assert "💡" not in replies[1].html  # the sweep's digest, not a second one
    assert len(list(db.query("SELECT id FROM deliveries"))) == 1
