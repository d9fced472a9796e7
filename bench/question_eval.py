"""Are questions about a reader's papers answered when the papers answer them, and refused
when they do not? The question items of bench/intents/messages.json (written and labelled
blind, before this ran), asked through the real `answer()` by a reader whose latest digest
is the labelled one: papers 1-3 real full texts served by the fake arXiv
(tests/data/fulltext), 4 and 5 sample-day papers (abstract only).

Each item gets a chat of its own with that digest; its `previous` message, if any, is asked
first in the same chat. Measured per split (even ids dev, odd ids test), over the items
labelled `answerable`:
* false refusals: refused (mode "nothing") though the abstract or full text answers;
* missed refusals: answered though the paper does not say ("no");
* evidence hit rate: the answer's text contains the labelled evidence (whitespace
  collapsed, case folded; every part of a two-paper ' | ' evidence).
Run retrieval-only and with the fake LLM (tests/fakes/openai_server.py, whose answers are
canned: it shows what the pipeline does around a model, not how good a model is).
Details (which items failed) are printed for dev only.

Run: python -m bench.question_eval [--split dev|test|both] [--lexical-only] [--no-llm]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.answer_eval import full_text_papers
from bot.answers import Answer, answer
from bot.config import Settings
from bot.fulltext import read_options
from bot.llm import LLMClient
from bot.ranking.embedders import Embedder, load_local_embedder
from bot.sources import load_day
from bot.sources.ingest import store_day
from storage import open_db
from storage.deliveries import OutboxItem, create_delivery, set_message_id
from storage.papers import upsert_papers
from storage.users import ensure_user
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.openai_server import FakeLLM

HERE = Path(__file__).resolve().parent
MESSAGES = HERE / "intents" / "messages.json"
FIRST_CHAT = 9000
DIGEST_MESSAGE = 700


@dataclass
class Tally:
    answerable: int = 0
    false_refusals: list[int] = field(default_factory=list)
    absent: int = 0
    missed_refusals: list[int] = field(default_factory=list)
    hits: int = 0
    with_evidence: int = 0
    misses: list[int] = field(default_factory=list)
    other: int = 0  # questions not about one or two numbered papers (no label)
    other_refused: list[int] = field(default_factory=list)


def questions(split: str) -> list[dict[str, Any]]:
    items = json.loads(MESSAGES.read_text())["messages"]
    wanted = {"dev": (0,), "test": (1,), "both": (0, 1)}[split]
    return [m for m in items if m["intent"] == "question" and m["id"] % 2 in wanted]


async def setup(db_path: Path) -> list[str]:
    """The library: the sample day plus the three full-text papers; returns the digest's
    paper ids in order, as the labels number them."""
    db = open_db(db_path)
    store_day(db, await load_day("sample", None, papers_url=""))
    papers = full_text_papers()
    upsert_papers(
        db, list(papers.values()), day=datetime.now(UTC).date().isoformat(), source="arxiv"
    )
    digest = json.loads(MESSAGES.read_text())["digest"]
    db.close()
    return [d["id"] for d in sorted(digest, key=lambda d: d["n"])]


def give_digest(db: Any, chat: int, ids: Sequence[str]) -> None:
    ensure_user(db, chat)
    items = [OutboxItem(pid, 1.0, "your interest") for pid in ids]
    today = datetime.now(UTC).date().isoformat()
    delivery = create_delivery(db, chat, today, items, status="sent")
    set_message_id(db, delivery, list(ids), DIGEST_MESSAGE + chat)


def _norm(text: str) -> str:
    return " ".join(text.replace("\\%", "%").split()).lower()


def score(item: dict[str, Any], got: Answer, tally: Tally) -> None:
    label = item.get("answerable")
    refused = got.mode == "nothing"
    n = item["id"]
    if label is None:
        tally.other += 1
        if refused:
            tally.other_refused.append(n)
        return
    if label == "no":
        tally.absent += 1
        if not refused:
            tally.missed_refusals.append(n)
        return
    tally.answerable += 1
    if refused:
        tally.false_refusals.append(n)
    if item.get("evidence"):
        tally.with_evidence += 1
        said = _norm(f"{got.text} {got.note}")
        if all(_norm(part) in said for part in item["evidence"].split(" | ")):
            tally.hits += 1
        else:
            tally.misses.append(n)


async def run(
    split: str, with_llm: bool, embedder: Embedder | None, show: bool
) -> dict[str, Tally]:
    items = questions(split)
    tallies = {"dev": Tally(), "test": Tally()}
    with tempfile.TemporaryDirectory() as tmp, FakeArxiv() as arxiv:
        db_path = Path(tmp) / "questions.db"
        digest = await setup(db_path)
        fake = FakeLLM() if with_llm else nullcontext()
        with fake as server:
            env: dict[str, Any] = {
                "arxiv_html_url": f"{arxiv.url}/html",
                "arxiv_pdf_url": f"{arxiv.url}/pdf",
                "contact": "ops@example.org",
                "reads_per_hour": 1000,
            }
            if server is not None:
                env["openai_base_url"] = server.base_url
            settings = Settings(**env)
            db = open_db(db_path)
            llm = LLMClient(settings, db, backoff_s=0.01)
            try:
                for chat, item in enumerate(items, FIRST_CHAT):
                    give_digest(db, chat, digest)
                    ask = {"read": read_options(settings), "embedder": embedder}
                    if item.get("previous"):
                        await answer(db, llm, chat, item["previous"], **ask)  # type: ignore[arg-type]
                    got = await answer(db, llm, chat, item["text"], **ask)  # type: ignore[arg-type]
                    part = "dev" if item["id"] % 2 == 0 else "test"
                    score(item, got, tallies[part])
                    if show and part == "dev":
                        _show(item, got)
            finally:
                await llm.aclose()
                db.close()
    return tallies


def _show(item: dict[str, Any], got: Answer) -> None:
    text = re.sub(r"\s+", " ", got.text)[:300]
    print(
        f"  #{item['id']} [{item.get('answerable')}] {item['text']!r}\n     -> {got.mode}: {text}"
    )


def report(name: str, tallies: dict[str, Tally], split: str) -> None:
    print(f"\n{name}")
    for part in ("dev", "test"):
        if split not in (part, "both"):
            continue
        t = tallies[part]
        detail = part == "dev"
        print(
            f"  {part}: false refusals {_rate(len(t.false_refusals), t.answerable)}"
            f"{_ids(t.false_refusals, detail)}; missed refusals "
            f"{_rate(len(t.missed_refusals), t.absent)}{_ids(t.missed_refusals, detail)}; "
            f"evidence hit rate {_rate(t.hits, t.with_evidence)}{_ids(t.misses, detail, 'missed')}"
            f"; other questions {t.other}, refused {len(t.other_refused)}"
            f"{_ids(t.other_refused, detail)}"
        )


def _rate(k: int, n: int) -> str:
    return f"{k}/{n} = {k / n:.0%}" if n else "0/0"


def _ids(ids: list[int], detail: bool, what: str = "") -> str:
    if not detail or not ids:
        return ""
    return f" ({what + ': ' if what else ''}#{', #'.join(map(str, ids))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=("dev", "test", "both"), default="dev")
    parser.add_argument("--lexical-only", action="store_true", help="without the shipped model")
    parser.add_argument("--no-llm", action="store_true", help="skip the fake-LLM run")
    parser.add_argument("--show", action="store_true", help="print every dev answer")
    parser.add_argument("--set", default="messages", help="messages, or messages_b (held out)")
    args = parser.parse_args()
    global MESSAGES
    MESSAGES = HERE / "intents" / f"{args.set}.json"
    embedder = None if args.lexical_only else load_local_embedder()
    how = "words only" if args.lexical_only else "words and the shipped MiniLM"
    runs = [("Retrieval only (no LLM)", False)]
    if not args.no_llm:
        runs.append(("With the fake LLM (canned answers)", True))
    for name, with_llm in runs:
        tallies = asyncio.run(run(args.split, with_llm, embedder, args.show))
        report(f"{name}, {how}", tallies, args.split)


if __name__ == "__main__":
    main()
