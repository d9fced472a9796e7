"""The bot end to end against the fake Bot API: onboarding, interests, time, settings."""

from __future__ import annotations

import sqlite_utils

from storage.interests import list_interests
from storage.users import get_user
from tests.telegram_harness import running_bot

ADA = 1001


async def test_onboarding_registers_commands_and_takes_first_interests(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as bot:
        commands = bot.tg.calls("setMyCommands")[0].params["commands"]
        names = [c["command"] for c in commands]
        assert {"start", "help", "add", "digest", "forget", "export"} <= set(names)
        assert "stats" not in names  # admin-only commands are not advertised
        (welcome,) = await bot.say(ADA, "/start")
        assert "What are you interested in?" in welcome.text and "cat: cs.CL" in welcome.text
        assert "08:00 (UTC)" in welcome.text and welcome.params["parse_mode"] == "HTML"
        (added,) = await bot.say(ADA, "mixture of experts inference\nLoRA\nauthor: Tri Dao")
        assert "Added: mixture of experts inference, LoRA, author: Tri Dao" in added.text
        assert added.buttons() == [("✅ Done", "onb|done")]
        assert [i.text for i in list_interests(db, ADA)] == [
            "mixture of experts inference",
            "LoRA",
            "Tri Dao",
        ]
        (typo,) = await bot.say(ADA, "/add cat: cs.CLL")
        assert "Did you mean cat: cs.CL?" in typo.text
        (fixed,) = await bot.say(ADA, "/add cat: cs.Cl")
        assert "Added: cat: cs.CL" in fixed.text
        assert ("category", "cs.CL") in {(i.kind, i.text) for i in list_interests(db, ADA)}


async def test_help_and_thanks_while_onboarding_are_not_taken_for_topics(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as bot:
        await bot.say(ADA, "/start")
        (helped,) = await bot.say(ADA, "help")
        (added,) = await bot.say(ADA, "NLP")
        (thanked,) = await bot.say(ADA, "thanks")
        (more,) = await bot.say(ADA, "RLHF")
    assert "/digest" in helped.text and "Added" not in helped.text
    assert "Added: NLP" in added.text and "Added" not in thanked.text
    assert "Added: RLHF" in more.text  # still collecting topics after the aside
    assert [i.text for i in list_interests(db, ADA)] == ["NLP", "RLHF"]


async def test_onboarding_over_several_messages_then_done_offers_a_digest(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as bot:
        await bot.say(ADA, "/start")
        acks = []
        for topic in ("mixture of experts inference", "LoRA", "author: Tri Dao"):
            (ack,) = await bot.say(ADA, topic)
            acks.append(ack)
        assert [a.text.splitlines()[0] for a in acks] == [
            "✅ Added: mixture of experts inference",
            "✅ Added: LoRA",
            "✅ Added: author: Tri Dao",
        ]
        assert all(len(a.text.splitlines()) == 2 for a in acks)  # one short line, and Done
        assert len(list_interests(db, ADA)) == 3
        before = len(bot.tg.messages_to(ADA))
        await bot.press(ADA, "onb|done", message_id=acks[-1].message_id or 1)
        (offer,) = await bot.tg.until(lambda: bot.tg.messages_to(ADA)[before:])
        assert "You follow 3: mixture of experts inference, LoRA, author: Tri Dao" in offer.text
        assert offer.buttons() == [
            ("🎯 Rate 5 papers first", "onb|rate"),
            ("📰 Send my first digest", "onb|digest"),
        ]
        before = len(bot.tg.messages_to(ADA))
        await bot.press(ADA, "onb|digest", message_id=offer.message_id or 1)
        digest = await bot.tg.until(lambda: bot.tg.messages_to(ADA)[before:])
        assert "Your papers for" in digest[0].text and "Mixture-of-Experts" in digest[0].text
        later = await bot.say(ADA, "speculative decoding")  # after Done: a question again
        assert not any("✅ Added" in m.text for m in later)
        assert len(list_interests(db, ADA)) == 3


async def test_a_question_during_onboarding_is_answered_not_stored(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as bot:
        await bot.say(ADA, "/start")
        await bot.say(ADA, "mixture of experts inference")
        for question in ("How does ExpertFlow move experts?", "explain ExpertFlow"):
            answer = await bot.say(ADA, question)
            assert not any("✅ Added" in m.text or m.buttons() for m in answer)
        assert [i.text for i in list_interests(db, ADA)] == ["mixture of experts inference"]


async def test_add_list_and_remove_interests(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as bot:
        await bot.say(ADA, "/add speculative decoding; KV cache")
        (dup,) = await bot.say(ADA, "/add kv cache")
        assert "already follow" in dup.text
        (listing,) = await bot.say(ADA, "/interests")
        assert "1. speculative decoding" in listing.text and "2. KV cache" in listing.text
        buttons = listing.buttons()
        assert [text for text, _ in buttons] == ["✖ 1", "✖ 2"]
        await bot.press(ADA, buttons[0][1], message_id=listing.message_id or 1)
        edit = await bot.tg.until(lambda: bot.tg.calls("editMessageText", ADA))
        assert "1. KV cache" in edit[0].text
        (removed,) = await bot.say(ADA, "/remove 1")
        assert "Removed “KV cache”" in removed.text
        assert list_interests(db, ADA) == []
        (nothing,) = await bot.say(ADA, "/remove zebra")
        assert "don't follow" in nothing.text


async def test_time_and_timezone_are_validated(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as bot:
        (bad,) = await bot.say(ADA, "/time 25:00")
        assert "not a time of day" in bad.text
        (good,) = await bot.say(ADA, "/time 7:30pm")
        assert "19:30" in good.text
        (typo,) = await bot.say(ADA, "/timezone Europe/Berln")
        assert "Did you mean Europe/Berlin" in typo.text
        (city,) = await bot.say(ADA, "/timezone tokyo")
        assert "Asia/Tokyo" in city.text
        user = get_user(db, ADA)
        assert user is not None and (user.digest_time, user.timezone) == ("19:30", "Asia/Tokyo")


async def test_settings_pause_resume(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as bot:
        (shown,) = await bot.say(ADA, "/settings")
        assert "papers per digest: 5" in shown.text
        (bad,) = await bot.say(ADA, "/settings papers 99")
        assert "from 1 to 10" in bad.text
        await bot.say(ADA, "/settings papers 3")
        await bot.say(ADA, "/settings threshold 0.5")
        (lang,) = await bot.say(ADA, "/settings language german")
        assert "papers per digest: 3" in lang.text and "0.50" in lang.text
        assert "German" in lang.text
        await bot.say(ADA, "/pause")
        user = get_user(db, ADA)
        assert user is not None and user.paused and user.language == "German"
        (resumed,) = await bot.say(ADA, "/resume")
        assert "paused" not in resumed.text


async def test_help_and_unknown_commands(db: sqlite_utils.Database) -> None:
    async with running_bot(db, admin_ids=frozenset({7})) as bot:
        (helped,) = await bot.say(ADA, "/help")
        assert "/digest" in helped.text and "/stats" not in helped.text
        assert "cat: cs.CL" in helped.text
        (unknown,) = await bot.say(ADA, "/frobnicate now")
        assert "I don't know /frobnicate" in unknown.text and "/digest" in unknown.text
        (hidden,) = await bot.say(ADA, "/stats")
        assert "I don't know /stats" in hidden.text
        (stats,) = await bot.say(7, "/stats")
        assert "users: 2" in stats.text and "LLM today" in stats.text
        (with_bot_name,) = await bot.say(ADA, "/help@paperboy_bot")
        assert "/digest" in with_bot_name.text


async def test_groups_are_set_up_and_edits_ignored(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as bot:
        # A group is a reader of its own (tests/test_groups.py); /start there says how.
        (setup,) = await bot.say(-500, "/start", chat_type="group")
        assert "An admin sets me up" in setup.text
        bot.tg.user_says(ADA, "/add edited topic", edited=True)
        await bot.settle()
        assert bot.tg.messages_to(ADA) == [] and list_interests(db, ADA) == []
