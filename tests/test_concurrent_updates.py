"""One slow thing never stalls everyone: updates of different chats are handled at once,
one chat's in order (through the real Application and the fake Bot API)."""

from __future__ import annotations

import threading
from typing import Any

import sqlite_utils

from tests.fakes.openai_server import FakeLLM
from tests.telegram_harness import running_bot

SLOW, QUICK = 601, 602


async def test_a_slow_answer_does_not_hold_up_another_chat(db: sqlite_utils.Database) -> None:
    release = threading.Event()

    def slow_model(_payload: dict[str, Any]) -> None:
        release.wait(timeout=30)  # the model takes as long as the test lets it
        return None

    with FakeLLM(script=slow_model) as llm:
        async with running_bot(db, openai_base_url=llm.base_url, expand_interests=False) as h:
            h.tg.user_says(SLOW, "how do mixture of experts models route tokens?")
            await h.tg.until(lambda: llm.payloads)  # SLOW's question is at the model
            (reply,) = await h.say(QUICK, "/help")
            # Answered while the other chat's answer is still at the model (no clock: a
            # busy machine makes both slower, not this order different).
            assert not h.tg.messages_to(SLOW)
            release.set()
            await h.tg.until(lambda: h.tg.messages_to(SLOW), timeout=30)
    assert "/digest" in reply.text


async def test_one_chats_updates_keep_their_order(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        for n in range(1, 6):
            h.tg.user_says(QUICK, f"/time {n}:00")
        await h.tg.until(lambda: len(h.tg.messages_to(QUICK)) >= 5)
        await h.settle()
    times = [m.text for m in h.tg.messages_to(QUICK)]
    assert [t.split("at ")[1][:5] for t in times] == [f"0{n}:00" for n in range(1, 6)]


async def test_a_model_slower_than_the_deadline_gives_way_to_retrieval(
    db: sqlite_utils.Database,
) -> None:
    release = threading.Event()

    def stalled_model(_payload: dict[str, Any]) -> None:
        release.wait(timeout=60)  # answers only when the test lets it
        return None

    with FakeLLM(script=stalled_model) as llm:
        async with running_bot(
            db, openai_base_url=llm.base_url, expand_interests=False, answer_deadline=1.0
        ) as h:
            # The answer comes while the model is still held (60 s, past the harness's 30 s
            # wait): the reader got the deadline's answer, not the model's, however slow
            # the machine.
            (reply,) = await h.say(SLOW, "how do mixture of experts models route tokens?")
            release.set()
    assert "Retrieval only" in reply.text
    assert llm.payloads  # the model was asked
