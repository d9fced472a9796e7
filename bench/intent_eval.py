"""Does Paperboy understand what readers type? bench/intents/messages.json: 140 messages
typed as readers type them (English, German, Spanish, French; typos; questions, requests,
small talk, messages a careful bot should ask about), written and labelled by someone who
never saw the recogniser, before it ran. Even ids dev, odd ids test.

Reported per split: intent accuracy (the label, or one of its `also_ok`; for an
"ambiguous" label, asking counts as right), by language and by intent, and the slots of
requests that carry one (topic, time, zone, paper numbers) where the label gives them.
Run once with patterns only, once through the LLM path against the fake OpenAI-compatible
server: the fake cannot judge intents (its replies to the intent prompt do not hold up),
so that run shows the model path leaves the patterns' reading intact, nothing more.
Questions' answers and refusals are measured by bench.question_eval.

Run: python -m bench.intent_eval [--split dev|test|both] [--set messages_b] [--show-errors]
     python -m bench.intent_eval --sweep   (the classifier's threshold, on dev only)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from bot.assistant.intent_nearest import NearestIntent
from bot.assistant.intents import LAST, Intent, read_intent, short_name
from bot.assistant.understanding import understand
from bot.config import Settings
from bot.digests.schedule import PreferenceError, parse_time
from bot.llm import LLMClient
from bot.ranking.embedders import load_local_embedder
from storage import open_db
from tests.fakes.openai_server import FakeLLM

HERE = Path(__file__).resolve().parent
MESSAGES = HERE / "intents" / "messages.json"


def load(split: str) -> list[dict[str, Any]]:
    items = json.loads(MESSAGES.read_text())["messages"]
    keep = {"dev": (0,), "test": (1,), "both": (0, 1)}[split]
    return [m for m in items if m["id"] % 2 in keep]


def right(item: dict[str, Any], got: Intent) -> bool:
    return got.kind == item["intent"] or got.kind in item["also_ok"]


def slot_right(item: dict[str, Any], got: Intent, digest_len: int = 5) -> bool | None:
    """Whether the request's slot is what the label says; None when the label has none."""
    want, kind = item["slot"], item["intent"]
    if kind in ("save", "unsave", "why", "more_like") and item["papers"]:
        named = [digest_len if n == LAST else n for n in got.papers]
        return named == item["papers"] or (got.refers_back and not named)
    if not want or got.kind != kind:
        return None
    if kind == "set_time":
        try:
            return parse_time(got.slot) == want
        except PreferenceError:
            return False
    if kind in ("follow", "not_interested"):
        return got.slot.lower().strip() == str(want).lower().strip()
    return None


async def read_all(
    items: list[dict[str, Any]], nearest: NearestIntent | None, llm: LLMClient | None
) -> list[Intent]:
    """Each message read as the bot reads it (bot/assistant/understanding.py)."""
    # The bot knows the reader's digest, so it knows its papers' names ("splitwise": 5).
    digest = json.loads(MESSAGES.read_text()).get("digest", [])
    named = [(short_name(p["title"]), p["n"]) for p in digest]
    names = {name: n for name, n in named if name}
    found = []
    for item in items:
        before = read_intent(item["previous"], names=names) if item["previous"] else None
        found.append(await understand(item["text"], before, nearest=nearest, llm=llm, names=names))
    return found


def report(label: str, items: list[dict[str, Any]], got: list[Intent], show: bool) -> None:
    ok = [right(i, g) for i, g in zip(items, got, strict=True)]
    print(f"\n{label}: intent accuracy {sum(ok)}/{len(ok)} = {sum(ok) / len(ok):.3f}")
    by: dict[str, list[bool]] = defaultdict(list)
    for item, good in zip(items, ok, strict=True):
        by[f"lang {item['lang']}"].append(good)
        by[f"intent {item['intent']}"].append(good)
        if item["typo"]:
            by["with typos"].append(good)
    for key in sorted(by):
        values = by[key]
        print(f"  {key:24} {sum(values):3}/{len(values):3} = {sum(values) / len(values):.2f}")
    wrong = [(i, g) for i, g, good in zip(items, got, ok, strict=True) if not good]
    acted = sum(g.kind not in ("question", "ambiguous", "smalltalk") for _, g in wrong)
    asked = sum(g.kind == "ambiguous" for _, g in wrong)
    answered = sum(g.kind == "question" for _, g in wrong)
    print(
        f"  errors: {acted} did another request, {answered} answered as a question, "
        f"{asked} asked back, {len(wrong) - acted - asked - answered} read as small talk"
    )
    slots = [slot_right(i, g) for i, g in zip(items, got, strict=True)]
    checked = [s for s in slots if s is not None]
    if checked:
        print(f"  slots right (where labelled)  {sum(checked)}/{len(checked)}")
    if show:
        for item, g, good, s in zip(items, got, ok, slots, strict=True):
            if not good or s is False:
                print(f"  ✗ {item['id']:3} want {item['intent']}/{item['slot']!r} got "
                      f"{g.kind}/{g.slot!r} {g.papers}: {item['text']}")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["dev", "test", "both"], default="both")
    parser.add_argument("--set", default="messages", help="messages (dev/test) or messages_b")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--sweep", action="store_true", help="the classifier's threshold on dev")
    args = parser.parse_args()
    global MESSAGES
    MESSAGES = HERE / "intents" / f"{args.set}.json"
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    nearest = NearestIntent(load_local_embedder())
    if args.sweep:
        items = load("dev")
        for threshold in (0.5, 0.55, 0.6, 0.62, 0.65, 0.7, 0.75, 1.01):
            nearest.threshold = threshold
            got = await read_all(items, nearest, None)
            ok = sum(right(i, g) for i, g in zip(items, got, strict=True))
            print(f"threshold {threshold:.2f}: dev intent accuracy {ok}/{len(items)}")
        return
    with tempfile.TemporaryDirectory() as tmp, FakeLLM() as fake:
        db = open_db(Path(tmp) / "bench.db")
        settings = Settings(openai_base_url=fake.base_url, openai_api_key="x")
        llm = LLMClient(settings, db, backoff_s=0.01)
        try:
            for split in splits:
                items = load(split)
                runs = [
                    ("patterns only", None, None),
                    ("patterns + embedding classifier", nearest, None),
                    ("patterns + classifier + the fake LLM", nearest, llm),
                ]
                for label, near, model in runs:
                    got = await read_all(items, near, model)
                    report(f"{split}, {label}", items, got, args.show_errors)
        finally:
            await llm.aclose()
            db.close()


if __name__ == "__main__":
    asyncio.run(main())
