"""Requests typed in words do what they say, through the real Application and the fake Bot
API: save / unsave a paper (by number or "it"), follow / stop following a topic, not
interested in X, digest time and time zone, pause / resume, today's digest, why paper N,
more like paper N; a message the bot is unsure of gets buttons, not a guess."""

from __future__ import annotations

import html
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlite_utils

from bot.assistant.intents import Intent, read_intent, short_name
from bot.digests.schedule import local_day
from bot.ranking.embedders import load_local_embedder
from storage.feedback import saved_paper_ids, signals
from storage.interests import list_interests
from storage.users import get_user
from tests.fakes.openai_server import FakeLLM
from tests.telegram_harness import Harness, running_bot

ADA = 801


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("save paper 1", "save"),
        ("pls star #2", "save"),
        ("speicher paper 3 bitte", "save"),
        ("unsave paper 3", "unsave"),
        ("ok also add LLM agents that control computers", "follow"),
        ("can you follow graph neural networks too", "follow"),
        ("sigue tambien el tema de retrieval augmented generation", "follow"),
        ("please stop following mixture of experts", "unfollow"),
        ("not interested in robotics", "not_interested"),
        ("keine paper mehr über medizin", "not_interested"),
        ("can you send my digest at 7:30 instead", "set_time"),
        ("send it at 8pm", "set_time"),
        ("change my time to 9pm", "set_time"),
        ("help", "command"),
        ("show my saved papers", "command"),
        ("what can you do?", "command"),
        ("help me understand paper 2", "question"),
        ("what are my settings?", "command"),
        ("resume the digest pls", "resume"),
        ("resume el paper 2", "question"),  # Spanish: summarise it
        ("mute robotics stuff", "not_interested"),
        ("mute for a week", "pause"),
        ("manda menos artículos", "set_papers"),
        ("send today's list again", "digest"),
        ("only 3 papers a day please", "set_papers"),
        ("fewer papers", "set_papers"),
        ("i get way too many papers about serving, drop it", "unfollow"),
        ("i moved to tokyo", "set_timezone"),
        ("set my timezone to Europe/Berlin", "set_timezone"),
        ("pause for a week pls", "pause"),
        ("i'm back, resume", "resume"),
        ("send me today's papers", "digest"),
        ("why did you pick paper 4", "why"),
        ("more like paper 2 pls", "more_like"),
        ("2401.04088 and https://arxiv.org/abs/2310.06825", "import"),
        ("thanks!", "smalltalk"),
        ("diffusion transformers", "ambiguous"),
        ("what's the main result of paper 1?", "question"),
        ("how does paper 2 save memory?", "question"),
        ("what is the speedup in paper 2?", "question"),
        ("wat does paper 2 do", "question"),
        ("was ist das hauptergebnis von paper 1?", "question"),
        ("tl;dr of paper 4 pls", "question"),
        ("what's the cause of the slowdown in paper 3?", "question"),
        ("paper 2 👎", "rate"),
        ("👍 #3", "rate"),
        ("I don't like paper 1", "rate"),
        ("paper 4 is not relevant", "rate"),
        ("not interested in paper 4", "rate"),
        ("thumbs up for the second one", "rate"),
        ("nah not this one 👎", "ambiguous"),
        ("is paper 2 any good?", "question"),
        ("nah, send it at 9 instead", "set_time"),
        ("great, thanks", "smalltalk"),
        ("what time is my digest?", "command"),
        ("wann kommt mein Digest?", "command"),
        ("👎 2", "rate"),
        ("digest now", "digest"),
        ("fewer papers about agents for literature search please", "not_interested"),
        ("more on KV cache compression", "follow"),
        ("more on paper 2", "question"),
        ("replace speculative decoding with GPU kernels", "follow"),
        ("Ajoute-moi le sujet « compilation de modèles » s'il te plaît", "follow"),
        ("lol ok ur pretty handy for a bot 😂", "smalltalk"),
        ("lol does it work w/ MoE models or nah 🤔", "question"),
    ],
)
def test_what_a_message_asks_for(text: str, kind: str) -> None:
    assert read_intent(text).kind == kind


NAMES = {"pasa": 3, "expertflow": 4, "splitwise": 5}


@pytest.mark.parametrize(
    ("text", "kind", "papers"),
    [
        ("keep the Splitwise paper for my seminar, would you?", "save", (5,)),
        ("Guárdame el artículo de PaSa, por favor", "save", (3,)),
        ("tell me why the Splitwise paper was selected for me", "why", (5,)),
        ("¿Por qué me recomendaste ExpertFlow?", "why", (4,)),
        ("splitwise is exactly the kind of thing I want 👍", "rate", (5,)),
        ("not relevant for me, the PaSa one", "rate", (3,)),
        ("splitwise throughput gain", "question", (5,)),
        ("how does pasa work?", "question", (3,)),
    ],
)
def test_a_digest_paper_called_by_its_name(text: str, kind: str, papers: tuple[int]) -> None:
    intent = read_intent(text, names=NAMES)
    assert (intent.kind, intent.papers) == (kind, papers)


def test_a_bare_why_asks_about_the_paper_of_the_last_request() -> None:
    rated = read_intent("👎 4, not my thing")
    assert read_intent("why?", rated) == Intent("why", (4,), raw="why?")
    assert read_intent("why?").kind != "why"  # nothing to ask it of


def test_typos_one_letter_off_a_request_word_are_forgiven() -> None:
    assert read_intent("pasue it for 2 weeks").kind == "pause"
    assert read_intent("improt 2402.17764 pls").kind == "import"
    assert read_intent("send me todays paprs").kind == "digest"
    assert read_intent("more like paper 2").kind == "more_like"  # "like" is not "live"


async def _digest(h: Harness) -> None:
    await h.say(ADA, "/add mixture of experts inference")
    await h.say(ADA, "/add LLM serving systems")
    await h.say(ADA, "/digest")


async def test_save_and_unsave_in_words(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await _digest(h)
        (saved,) = await h.say(ADA, "save paper 1")
        assert "Saved" in saved.text
        assert len(saved_paper_ids(db, ADA)) == 1
        (gone,) = await h.say(ADA, "unsave paper 1")
        assert "Removed from your saved papers" in gone.text
    assert saved_paper_ids(db, ADA) == []


async def test_save_the_paper_called_by_a_word_of_its_title(db: sqlite_utils.Database) -> None:
    from storage.deliveries import latest_digest_papers
    from storage.papers import all_papers

    async with running_bot(db) as h:
        await _digest(h)
        second = all_papers(db, latest_digest_papers(db, ADA))[1]
        word = second.title.split(":")[0].split()[0].lower()
        (saved,) = await h.say(ADA, f"bookmark the {word} one pls")
        (unknown,) = await h.say(ADA, "save the zyxwv one")
    assert "Saved" in saved.text and saved_paper_ids(db, ADA) == [second.id]
    assert "Which paper?" in unknown.text  # not the last answer's paper, not a guess


async def test_save_it_means_the_paper_of_the_last_answer(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await _digest(h)
        await h.say(ADA, "what does paper 3 do?")
        await h.say(ADA, "ok save it")
        digest = [
            row[0]
            for row in db.execute(
                "SELECT paper_id FROM delivery_items ORDER BY delivery_id, position"
            )
        ]
    assert saved_paper_ids(db, ADA) == [digest[2]]


def digest_ids(db: sqlite_utils.Database) -> list[str]:
    query = "SELECT paper_id FROM delivery_items ORDER BY delivery_id, position"
    return [row[0] for row in db.execute(query)]


async def test_rating_in_words_is_a_button_press(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await _digest(h)
        (down,) = await h.say(ADA, "paper 2 👎")
        (up,) = await h.say(ADA, "thumbs up for #3")
        (topic,) = await h.say(ADA, "not interested in paper 4")
        (undone,) = await h.say(ADA, "undo that")
        (unnamed,) = await h.say(ADA, "nah not this one 👎")
        await h.say(ADA, "what does paper 1 do?")
        (after_answer,) = await h.say(ADA, "meh, not for me 👎")
        ids = digest_ids(db)
        interests = [i.text for i in list_interests(db, ADA)]
    assert "👎 Noted for" in down.text and "fewer papers like it" in down.text
    assert "👍 Noted for" in up.text
    assert "👎 Noted for" in topic.text and "Took back your rating" in undone.text
    assert "paper 4" not in " ".join(interests)  # a paper, not a topic to leave out
    assert "Which paper?" in unnamed.text  # no paper named, none replied to, no answer yet
    assert "👎 Noted for" in after_answer.text  # the paper the last answer was about
    assert signals(db, ADA) == {ids[1]: -1, ids[2]: 1, ids[0]: -1}


async def test_papers_called_by_name_and_a_topic_replaced(db: sqlite_utils.Database) -> None:
    from storage.deliveries import latest_digest_papers
    from storage.papers import all_papers

    async with running_bot(db) as h:
        await _digest(h)
        ids = latest_digest_papers(db, ADA)  # in the digest's order
        by_id = {p.id: p for p in all_papers(db, ids)}
        digest = [by_id[i] for i in ids]
        n, named = next((n, p) for n, p in enumerate(digest, 1) if short_name(p.title))
        name = str(short_name(named.title))
        (saved,) = await h.say(ADA, f"could you keep the {name} paper for me please?")
        why = await h.say(ADA, f"why did you recommend {name.upper()}?")
        replaced = await h.say(ADA, "replace LLM serving systems with GPU kernels")
        interests = [i.text for i in list_interests(db, ADA)]
    assert saved_paper_ids(db, ADA) == [named.id] and "Saved" in saved.text
    assert f"<b>Paper {n} of your digest of" in why[0].text
    assert "GPU kernels" in interests and "LLM serving systems" not in interests
    assert any("Stopped following" in m.text for m in replaced)


async def test_follow_unfollow_and_not_interested_in_words(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await _digest(h)
        await h.say(ADA, "ok also add LLM agents that control computers")
        await h.say(ADA, "please stop following mixture of experts")
        await h.say(ADA, "not interested in robotics")
    followed = {(i.kind, i.text) for i in list_interests(db, ADA)}
    assert ("topic", "LLM agents that control computers") in followed
    assert ("topic", "mixture of experts inference") not in followed
    assert ("exclude", "robotics") in followed


async def test_stop_following_by_its_initials_keeps_the_other(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await _digest(h)
        (done,) = await h.say(
            ADA, "i get way too many serving papers, drop that topic and keep the moe one"
        )
    assert "LLM serving systems" in done.text
    assert [i.text for i in list_interests(db, ADA)] == ["mixture of experts inference"]


async def test_time_timezone_pause_resume_in_words(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await h.say(ADA, "/add LLM serving systems")
        await h.say(ADA, "can you send my digest at 7:30 instead")
        await h.say(ADA, "i moved to tokyo")
        await h.say(ADA, "stop sending me stuff for a while")
        user = get_user(db, ADA)
        assert user is not None and user.paused
        await h.say(ADA, "i'm back, resume")
    user = get_user(db, ADA)
    assert user is not None
    assert (user.digest_time, user.timezone, user.paused) == ("07:30", "Asia/Tokyo", 0)


async def test_a_pause_with_a_length_by_command_and_in_words(db: sqlite_utils.Database) -> None:
    def in_days(n: int) -> set[str]:  # either side of midnight while the test runs
        return {str(date.fromisoformat(local_day("UTC", datetime.now(UTC))) + timedelta(n))}

    expected = in_days(7)
    async with running_bot(db) as h:
        await h.say(ADA, "/add LLM serving systems")
        (week,) = await h.say(ADA, "/pause 7 days")
        first = get_user(db, ADA)
        (unclear,) = await h.say(ADA, "/pause someday maybe")
        await h.say(ADA, "/resume")
        (words,) = await h.say(ADA, "pause for a week pls")
        second = get_user(db, ADA)
        (line,) = await h.say(ADA, "/time")
        await h.say(ADA, "stop sending me stuff for a while")
        third = get_user(db, ADA)
    expected |= in_days(7)
    assert "paused until" in week.text and "come back by themselves" in week.text
    assert first is not None and first.paused and first.paused_until in expected
    assert "/pause 7 days" in html.unescape(unclear.text)
    assert "paused until" in words.text
    assert second is not None and second.paused_until in expected
    assert "paused until" in line.text
    assert third is not None and third.paused and third.paused_until is None  # until /resume


async def test_commands_typed_without_their_slash(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await h.say(ADA, "/add LLM serving systems")
        (shown,) = await h.say(ADA, "settings")
        (helped,) = await h.say(ADA, "what can you do?")
        (listed,) = await h.say(ADA, "show my interests please")
        (kept,) = await h.say(ADA, "what do you know about me?")
    assert "Your settings" in shown.text and "papers per digest" in shown.text
    assert "1 interest," in kept.text and "0 saved papers" in kept.text
    assert "/forget" in kept.text and "2 messages" not in kept.text  # no question asked yet
    assert "/digest" in helped.text and "/pause" in helped.text
    assert "LLM serving systems" in listed.text
    assert list_interests(db, ADA)[-1].text == "LLM serving systems"  # nothing followed


async def test_papers_per_digest_and_time_in_words(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await h.say(ADA, "/add LLM serving systems")
        (ask,) = await h.say(ADA, "fewer papers pls")
        (fewer,) = await h.say(ADA, "only 3 papers a day please")
        (refused,) = await h.say(ADA, "40 papers a day")
        (later,) = await h.say(ADA, "change my time to 9pm")
    assert "How many would you like?" in ask.text and "up to 5 papers" in ask.text
    assert "papers per digest: 3" in fewer.text
    assert "from 1 to 10" in refused.text
    assert "21:00" in later.text
    user = get_user(db, ADA)
    assert user is not None and (user.papers_per_digest, user.digest_time) == (3, "21:00")


async def test_digest_why_and_more_like_in_words(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await h.say(ADA, "/add mixture of experts inference")
        digest = await h.say(ADA, "send me today's papers")
        assert any("Your papers" in m.text for m in digest)
        (why,) = await h.say(ADA, "why did you pick paper 2")
        assert "Paper 2 of your digest" in why.text
        (more,) = await h.say(ADA, "more like paper 2 pls")
        assert "more papers like" in more.text
    assert list(signals(db, ADA).values()) == [1]


async def test_paper_n_before_any_digest_says_so(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await h.say(ADA, "/add LLM serving systems")
        (reply,) = await h.say(ADA, "save paper 2")
    assert "no digest yet" in reply.text and "/digest" in reply.text


async def test_an_unsure_message_gets_buttons_not_a_guess(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await h.say(ADA, "/add LLM serving systems")
        (ask,) = await h.say(ADA, "diffusion transformers")
        assert "follow" in ask.text.lower()
        follow, search = (data for _text, data in ask.buttons())
        assert list_interests(db, ADA)[-1].text == "LLM serving systems"  # nothing guessed
        await h.press(ADA, follow, ask.message_id or 1)
        found = await h.press(ADA, search, ask.message_id or 1)
        assert found
    assert list_interests(db, ADA)[-1].text == "diffusion transformers"


async def test_with_an_llm_an_unusual_request_is_read_by_the_model(
    db: sqlite_utils.Database,
) -> None:
    def model(payload: dict[str, Any]) -> str | None:
        if '"intent"' not in payload["messages"][0]["content"]:
            return None
        return json.dumps({"intent": "follow", "topic": "quantum error correction"})

    with FakeLLM(script=model) as llm:
        async with running_bot(db, openai_base_url=llm.base_url, expand_interests=False) as h:
            await h.say(ADA, "/add LLM serving systems")
            (done,) = await h.say(ADA, "i'd love to see more on quantum error correction")
    assert "Added" in done.text
    assert list_interests(db, ADA)[-1].text == "quantum error correction"


async def test_with_an_llm_a_count_in_words_sets_the_digest_size(
    db: sqlite_utils.Database,
) -> None:
    def model(payload: dict[str, Any]) -> str | None:
        if '"intent"' not in payload["messages"][0]["content"]:
            return None
        text = payload["messages"][-1]["content"]
        return json.dumps({"intent": "set_papers", "count": 2 if "2" in text else 9})

    with FakeLLM(script=model) as llm:
        async with running_bot(db, openai_base_url=llm.base_url, expand_interests=False) as h:
            await h.say(ADA, "/add LLM serving systems")
            (two,) = await h.say(ADA, "honestly 2 a morning is plenty for me")
            (made_up,) = await h.say(ADA, "my digest is way too long for the train ride")
    assert "papers per digest: 2" in two.text
    assert "How many would you like?" in made_up.text  # 9 is nowhere in the message
    user = get_user(db, ADA)
    assert user is not None and user.papers_per_digest == 2


async def test_with_an_llm_an_opinion_in_other_words_rates_the_paper_it_names(
    db: sqlite_utils.Database,
) -> None:
    def model(payload: dict[str, Any]) -> str | None:
        if '"intent"' not in payload["messages"][0]["content"]:
            return None
        text = payload["messages"][-1]["content"]
        papers = [2] if "paper 2" in text else []
        return json.dumps({"intent": "rate", "papers": papers, "opinion": "down"})

    with FakeLLM(script=model) as llm:
        async with running_bot(db, openai_base_url=llm.base_url, expand_interests=False) as h:
            await _digest(h)
            (rated,) = await h.say(ADA, "paper 2 put me to sleep halfway through")
            await h.say(ADA, "that stuff put me to sleep halfway through")  # which paper?
        ids = digest_ids(db)
    assert "👎 Noted for" in rated.text
    assert signals(db, ADA) == {ids[1]: -1}  # a rating needs the paper it is of


async def test_a_model_reading_that_does_not_hold_up_is_ignored(
    db: sqlite_utils.Database,
) -> None:
    def model(payload: dict[str, Any]) -> str | None:
        if '"intent"' not in payload["messages"][0]["content"]:
            return None
        # A topic the reader never typed: the model may not invent interests.
        return json.dumps({"intent": "follow", "topic": "cryptocurrency trading bots"})

    with FakeLLM(script=model) as llm:
        async with running_bot(db, openai_base_url=llm.base_url, expand_interests=False) as h:
            await h.say(ADA, "/add LLM serving systems")
            await h.say(ADA, "i'd love to see more on quantum error correction")
    assert [i.text for i in list_interests(db, ADA)] == ["LLM serving systems"]


async def test_undo_that_reverses_the_last_request(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        await _digest(h)
        await h.say(ADA, "save paper 2")
        assert len(saved_paper_ids(db, ADA)) == 1
        (undone,) = await h.say(ADA, "wait no, undo that")
        assert "Removed from your saved papers" in undone.text
        assert saved_paper_ids(db, ADA) == []
        (redone,) = await h.say(ADA, "undo")  # the undo itself is undone: saved again
    assert "Saved" in redone.text
    assert len(saved_paper_ids(db, ADA)) == 1


async def test_a_request_known_only_by_its_meaning_is_confirmed_with_a_button(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db, embedder=load_local_embedder()) as h:
        await h.say(ADA, "/add LLM serving systems")
        (ask,) = await h.say(ADA, "could you give the daily emails a rest for a bit")
        user = get_user(db, ADA)
        assert user is not None and not user.paused  # asked, not guessed
        ((label, data),) = ask.buttons()
        assert "Pause" in label
        await h.press(ADA, data, ask.message_id or 1)
        await h.settle()
    user = get_user(db, ADA)
    assert user is not None and user.paused


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("nvm dont pause, keep sending", "resume"),
        ("please don't unsubscribe me from my topics, just hold off on the digests", "pause"),
        ("dont send me papers for a while", "pause"),
    ],
)
def test_a_negated_request_word_is_not_that_request(text: str, kind: str) -> None:
    assert read_intent(text).kind == kind


@pytest.mark.parametrize(
    ("text", "back_on"),
    [
        ("7 days", "2026-12-15"),
        ("2w", "2026-12-22"),
        ("for a couple of weeks", "2026-12-22"),
        ("until monday", "2026-12-14"),
        ("till tomorrow", "2026-12-09"),
        ("until 2026-12-24", "2026-12-24"),
        ("next week", "2026-12-14"),
        ("eine woche", "2026-12-15"),
        ("hasta el lunes", "2026-12-14"),
        ("for a while", None),
        ("until 2020-01-01", None),  # the past is no end
        ("", None),
    ],
)
def test_how_long_a_pause_lasts(text: str, back_on: str | None) -> None:
    from bot.assistant.pausing import pause_until

    until = pause_until(text, date(2026, 12, 8))  # a Tuesday
    assert (until.isoformat() if until else None) == back_on
