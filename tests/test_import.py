"""/import through the fake Telegram: a reader's own papers from a BibTeX file or arXiv ids
(fetched from the fake arXiv API), kept as their library, deleted by /forget."""

from __future__ import annotations

import sqlite_utils

from bot.messages.callbacks import encode
from bot.sources.bibliography import parse_file
from storage.feedback import record_feedback
from storage.library import list_library
from tests.fakes.arxiv_server import FakeArxiv
from tests.telegram_harness import running_bot

CHAT = 501
BIB = rb"""
@article{shazeer2017,
  title = {Outrageously Large Neural Networks: The Sparsely-Gated {Mixture-of-Experts} Layer},
  author = {Shazeer, Noam and Mirhoseini, Azalia},
  year = {2017},
  eprint = {1701.06538},
  archivePrefix = {arXiv},
  abstract = {We introduce a Sparsely-Gated Mixture-of-Experts layer of up to thousands of experts.}
}
@inproceedings{fedus2022,
  title = {Switch Transformers: Scaling to Trillion Parameter Models with Simple Sparsity},
  author = {Fedus, William and Zoph, Barret and Shazeer, Noam},
  year = {2022},
  doi = {10.5555/3586589.3586709},
  abstract = {We simplify the Mixture-of-Experts routing algorithm and design sparse models.}
}
@article{lepikhin2020,
  title = {GShard: Scaling Giant Models with Conditional Computation and Automatic Sharding},
  author = {Lepikhin, Dmitry},
  year = {2020},
  url = {https://arxiv.org/abs/2006.16668v1},
  abstract = {Sparsely-gated Mixture-of-Experts scaled to 600 billion parameters with sharding.}
}
"""


async def test_a_bib_file_becomes_a_library_with_proposed_interests(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as h:
        h.tg.user_sends_file(CHAT, "My Library.bib", BIB)
        replies = await h.tg.until(
            lambda: len(h.tg.messages_to(CHAT)) >= 2 and h.tg.messages_to(CHAT)
        )
        await h.settle()
        texts = [m.text for m in h.tg.messages_to(CHAT)]
        proposals = h.tg.messages_to(CHAT)[1]
        assert "Added 3 paper(s) to your library" in texts[0]
        ideas = [text for text, _ in proposals.buttons()]
        assert len(ideas) + 2 >= 3 and any("Mixture-of-Experts" in t for t in ideas), ideas
        # Tapping a proposal follows it.
        data = proposals.buttons()[0][1]
        await h.press(CHAT, data, proposals.message_id or 1)
        listed = await h.say(CHAT, "/interests")
        assert ideas[0].removeprefix("➕ ") in listed[0].text
        library = await h.say(CHAT, "/library")
    keys = {p.key for p in list_library(db, CHAT)}
    assert keys == {"1701.06538", "doi:10.5555/3586589.3586709", "2006.16668"}
    assert "GShard" in library[0].text and replies


async def test_arxiv_ids_are_fetched_from_the_arxiv_api(db: sqlite_utils.Database) -> None:
    with FakeArxiv() as arxiv:
        async with running_bot(
            db, arxiv_api_url=f"{arxiv.url}/api/query", arxiv_min_interval=0
        ) as h:
            replies = await h.say(
                CHAT, "/import 0804.0970 https://arxiv.org/abs/0807.2873v1 9999.99999", expect=1
            )
    assert "Added 2 paper(s)" in replies[0].text and "9999.99999" in replies[0].text
    assert {p.key for p in list_library(db, CHAT)} == {"0804.0970", "0807.2873"}
    assert all(p.title and p.abstract for p in list_library(db, CHAT))


async def test_a_broken_file_is_one_clear_line_and_stores_nothing(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as h:
        h.tg.user_sends_file(CHAT, "notes.docx", b"\x50\x4b\x03\x04 binary zip garbage \xff\xfe")
        (reply,) = await h.tg.until(lambda: h.tg.messages_to(CHAT))
        h.tg.user_sends_file(CHAT, "half.json", b'[{"title": "ok"}, 3]')
        await h.tg.until(lambda: len(h.tg.messages_to(CHAT)) >= 2)
        second = h.tg.messages_to(CHAT)[1]
    assert reply.text.startswith("⚠️") and "Nothing was imported" in reply.text
    assert "\n" not in reply.text
    assert second.text.startswith("⚠️") and "CSL-JSON" in second.text
    assert list_library(db, CHAT) == []


async def test_forget_removes_library_and_ratings(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as h:
        h.tg.user_sends_file(CHAT, "lib.bib", BIB)
        await h.tg.until(lambda: h.tg.messages_to(CHAT))
        paper_id = db.execute("SELECT id FROM papers LIMIT 1").fetchone()[0]
        record_feedback(db, CHAT, paper_id, -1)
        await h.say(CHAT, "/forget")
        await h.press(CHAT, encode("forget", "yes"))
    for table in ("library", "feedback", "users"):
        assert (
            db.execute(f"SELECT count(*) FROM {table} WHERE chat_id = ?", [CHAT]).fetchone()[0] == 0
        )


def test_every_format_reads_the_same_papers() -> None:
    ris = (
        b"TY  - JOUR\nTI  - Outrageously Large Neural Networks\nAU  - Shazeer, Noam\n"
        b"AB  - A sparsely-gated layer.\nUR  - https://arxiv.org/abs/1701.06538\nER  - \n"
    )
    csl = (
        b'[{"type": "article", "title": "Outrageously Large Neural Networks", '
        b'"author": [{"family": "Shazeer", "given": "Noam"}], '
        b'"abstract": "A sparsely-gated layer.", "URL": "https://arxiv.org/abs/1701.06538", '
        b'"issued": {"date-parts": [[2017]]}}]'
    )
    for name, payload in (("x.ris", ris), ("x.json", csl)):
        (paper,) = parse_file(name, payload).papers
        assert paper.key == "1701.06538" and paper.title == "Outrageously Large Neural Networks"
        assert paper.abstract == "A sparsely-gated layer." and paper.authors
