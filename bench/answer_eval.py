"""Do answers come from the right papers, find the passage, and say "not in the paper" when
it is not? A question set (bench/answers/questions.json, written before this ran) over three
real full texts sent to one reader as a digest, an earlier digest and two saved papers.

Measures, per split (even question ids dev, odd test; nothing here was tuned on either):
* scope accuracy: the answer's sources are exactly the papers the question is about
  (questions whose answer exists);
* passage hit@3: a top-3 passage of the asked paper contains the evidence (body and
  abstract questions);
* abstention precision / recall: the answer says the paper does not say (mode "nothing")
  exactly when it does not.
Run once retrieval-only and once with the fake LLM (an OpenAI-compatible stand-in): scope,
passages and abstention are decided before any model is called, so the two runs should
agree; the second shows the model path changes none of them.

Run: python -m bench.answer_eval [--lexical-only]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections import defaultdict
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.answers import answer
from bot.config import Settings
from bot.fulltext import read_options
from bot.fulltext.html_text import parse_arxiv_html
from bot.fulltext.pdf_text import parse_pdf
from bot.llm import LLMClient
from bot.ranking.embedders import load_local_embedder
from bot.sources import load_day
from bot.sources.ingest import store_day
from storage import open_db
from storage.deliveries import OutboxItem, create_delivery, set_message_id
from storage.feedback import save_paper
from storage.papers import Paper, search_papers, upsert_papers
from storage.users import ensure_user
from tests.fakes.arxiv_server import FULLTEXT, FakeArxiv
from tests.fakes.openai_server import FakeLLM

HERE = Path(__file__).resolve().parent
CHAT = 7
DIGEST_MESSAGE = 500


def _text(blocks: list[Any]) -> str:
    return " ".join(b.text for b in blocks)


def _between(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i : text.index(end, i) + len(end)]


def full_text_papers() -> dict[str, Paper]:
    """The three papers with the abstracts their own full texts open with."""
    attention = _text(parse_pdf((FULLTEXT / "pdf_1706.03762v7.pdf").read_bytes()))
    aware = parse_arxiv_html((FULLTEXT / "html_2501.11120v1.html").read_bytes())
    pasa = _text(parse_pdf((FULLTEXT / "pdf_2501.10120v1.pdf").read_bytes()))
    return {
        "attention": Paper(
            id="1706.03762",
            title="Attention Is All You Need",
            abstract=_between(attention, "The dominant sequence", "limited training data."),
        ),
        "aware": Paper(
            id="2501.11120",
            title="Tell me about yourself: LLMs are aware of their learned behaviors",
            abstract=_text([b for b in aware if b.section == "Abstract"]),
        ),
        "pasa": Paper(
            id="2501.10120",
            title="PaSa: An LLM Agent for Comprehensive Academic Paper Search",
            abstract=_between(pasa, "We introduce PaSa", "in precision."),
        ),
    }


async def reader(db_path: Path) -> dict[str, Paper]:
    """The reader's history: the earlier digest (last week), today's digest of the three
    full texts (replied to as message DIGEST_MESSAGE), two saved papers."""
    db = open_db(db_path)
    store_day(db, await load_day("sample", None, papers_url=""))
    papers = full_text_papers()
    today = datetime.now(UTC).date()
    upsert_papers(db, list(papers.values()), day=today.isoformat(), source="arxiv")
    for key, words in (("moe", "MoE++"), ("moe2", "Harder Tasks"), ("moe3", "Pre-gated MoE")):
        papers[key] = next(p for p in search_papers(db, words, limit=5) if words in p.title)
    ensure_user(db, CHAT)
    digests = (
        (today - timedelta(days=7), ["moe", "moe2", "moe3"], DIGEST_MESSAGE - 10),
        (today, ["attention", "aware", "pasa"], DIGEST_MESSAGE),
    )
    for day, keys, message in digests:
        ids = [papers[k].id for k in keys]
        items = [OutboxItem(pid, 1.0, "your interest") for pid in ids]
        delivery = create_delivery(db, CHAT, day.isoformat(), items, status="sent")
        set_message_id(db, delivery, ids, message)
    save_paper(db, CHAT, papers["attention"].id)
    save_paper(db, CHAT, papers["moe"].id)
    db.close()
    return papers


async def run(with_llm: bool, lexical_only: bool) -> dict[str, dict[str, list[float]]]:
    embedder = None if lexical_only else load_local_embedder()
    spec = json.loads((HERE / "answers" / "questions.json").read_text())["questions"]
    results: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with tempfile.TemporaryDirectory() as tmp, FakeArxiv() as arxiv:
        db_path = Path(tmp) / "eval.db"
        papers = await reader(db_path)
        llm_server = FakeLLM() if with_llm else nullcontext()
        with llm_server as fake:
            env = {
                "arxiv_html_url": f"{arxiv.url}/html",
                "arxiv_pdf_url": f"{arxiv.url}/pdf",
                "contact": "ops@example.org",
            }
            if fake is not None:
                env["openai_base_url"] = fake.base_url
            settings = Settings(**env)  # type: ignore[arg-type]
            db = open_db(db_path)
            llm = LLMClient(settings, db, backoff_s=0.01)
            try:
                for q in spec:
                    got = await answer(
                        db,
                        llm,
                        CHAT,
                        q["q"],
                        reply_to_message_id=DIGEST_MESSAGE if q["reply"] else None,
                        read=read_options(settings),
                        embedder=embedder,
                    )
                    _score(q, got, papers, results["dev" if q["id"] % 2 == 0 else "test"])
            finally:
                await llm.aclose()
                db.close()
    return results


def _score(q: dict[str, Any], got: Any, papers: dict[str, Paper], out: Any) -> None:
    expected = {papers[k].id for k in q["scope"]}
    absent = bool(q.get("absent"))
    said_absent = got.mode == "nothing"
    out["abstained"].append(float(said_absent))
    out["absent"].append(float(absent))
    if absent:
        return
    sources = {p.id for p in got.sources}
    out["scope accuracy"].append(float(sources == expected))
    if "evidence" in q:
        first = papers[q["scope"][0]].id
        n = next((i for i, p in enumerate(got.sources) if p.id == first), None)
        passages = got.passages[n] if n is not None and n < len(got.passages) else ()
        found = any(q["evidence"].lower() in p.text.lower() for p in passages[:3])
        out["passage hit@3"].append(float(found))
        if not found:
            print(f"    (miss: #{q['id']} {q['q']!r})")
    if sources != expected:
        print(f"    (scope: #{q['id']} {q['q']!r} -> {sorted(sources)} want {sorted(expected)})")


def report(name: str, results: dict[str, dict[str, list[float]]]) -> None:
    print(f"\n{name}")
    for split in ("dev", "test"):
        r = results[split]
        said = [a for a, t in zip(r["abstained"], r["absent"], strict=True) if a]
        truly = [a for a, t in zip(r["abstained"], r["absent"], strict=True) if t]
        precision = sum(t for a, t in zip(r["abstained"], r["absent"], strict=True) if a) / max(
            1, len(said)
        )
        recall = sum(truly) / max(1, len(truly))
        print(
            f"  {split}: {len(r['abstained'])} questions; scope accuracy "
            f"{_mean(r['scope accuracy']):.2f} ({len(r['scope accuracy'])}), passage hit@3 "
            f"{_mean(r['passage hit@3']):.2f} ({len(r['passage hit@3'])}), abstention "
            f"precision {precision:.2f} recall {recall:.2f} ({len(truly)} absent)"
        )


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lexical-only", action="store_true", help="without the shipped model")
    lexical = parser.parse_args().lexical_only
    how = "words only" if lexical else "words and the shipped MiniLM, as installed"
    report(f"Retrieval only (no LLM), {how}", asyncio.run(run(False, lexical)))
    report(f"With the fake LLM, {how}", asyncio.run(run(True, lexical)))


if __name__ == "__main__":
    main()
