import pytest
import sqlite_utils

from bot.ranking.interests import (
    MAX_LENGTH,
    Interest,
    InterestError,
    parse_interest,
    split_interests,
)
from storage.interests import add_interest, list_interests, remove_interest
from storage.users import ensure_user


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mixture of experts inference", Interest("topic", "mixture of experts inference")),
        ("  LoRA  ", Interest("topic", "LoRA")),
        ("author: Tri Dao", Interest("author", "Tri Dao")),
        ("Author:Tri Dao", Interest("author", "Tri Dao")),
        ("by: Yann LeCun", Interest("author", "Yann LeCun")),
        ("not: medical imaging", Interest("exclude", "medical imaging")),
        ("-medical imaging", Interest("exclude", "medical imaging")),
        ("exclude: robotics", Interest("exclude", "robotics")),
        ("cs.CL", Interest("category", "cs.CL")),
        ("cat: stat.ml", Interest("category", "stat.ML")),
        ('"speculative decoding"', Interest("topic", "speculative decoding")),
        ("diffusion\u200b models", Interest("topic", "diffusion models")),  # zero-width space
        ("ＬＬＭ ａｇｅｎｔｓ", Interest("topic", "LLM agents")),  # full-width letters
        ("التعلم العميق", Interest("topic", "التعلم العميق")),  # right-to-left text is fine
        ("time: 2024 models", Interest("topic", "time: 2024 models")),  # unknown prefix is text
        (
            "Robert'); DROP TABLE interests;--",
            Interest("topic", "Robert'); DROP TABLE interests;--"),
        ),
    ],
)
def test_parse(typed: str, expected: Interest) -> None:
    assert parse_interest(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("author:   ", "empty"),
        ("x" * (MAX_LENGTH + 1), "characters long"),
        ("word " * 2000, "characters long"),
        ("🚀🚀🚀", "at least one word"),
        ("!!! ???", "at least one word"),
        ("the of and", "no searchable words"),
        ("cat: biology", "not an arXiv category"),
    ],
)
def test_rejections_say_what_to_do(typed: str, message: str) -> None:
    with pytest.raises(InterestError, match=message):
        parse_interest(typed)


def test_label_round_trips() -> None:
    for typed in ("author: Tri Dao", "not: medical imaging", "cat: cs.LG", "LoRA"):
        interest = parse_interest(typed)
        assert parse_interest(interest.label()) == interest


def test_split_interests() -> None:
    assert split_interests("LoRA; MoE\n\nauthor: Tri Dao ;") == ["LoRA", "MoE", "author: Tri Dao"]


def test_store_list_remove_and_duplicates(db: sqlite_utils.Database) -> None:
    ensure_user(db, 1)
    ensure_user(db, 2)
    assert add_interest(db, 1, "topic", "LoRA")
    assert not add_interest(db, 1, "topic", "lora")  # duplicate, case-insensitively
    assert add_interest(db, 1, "author", "Tri Dao")
    assert add_interest(db, 2, "topic", "LoRA")  # another user's copy is theirs
    mine = list_interests(db, 1)
    assert [(i.kind, i.text) for i in mine] == [("topic", "LoRA"), ("author", "Tri Dao")]
    theirs = list_interests(db, 2)[0]
    assert not remove_interest(db, 1, theirs.id)  # cannot remove someone else's
    assert remove_interest(db, 1, mine[0].id)
    assert [i.text for i in list_interests(db, 1)] == ["Tri Dao"]
    assert [i.text for i in list_interests(db, 2)] == ["LoRA"]
