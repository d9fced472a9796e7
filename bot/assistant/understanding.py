"""What a plain message means, read three ways, each only where the one before is unsure:
patterns (bot/assistant/intents.py: always), a small classifier over the shipped embedding
model (intent_nearest.py: when an embedder is loaded), one short LLM call (intent_llm.py:
when an LLM is configured). The bot and bench.intent_eval both read messages here."""

from __future__ import annotations

from collections.abc import Mapping

from bot.assistant.intent_llm import intent_by_llm, worth_asking
from bot.assistant.intent_nearest import NearestIntent
from bot.assistant.intents import Intent, read_intent
from bot.llm import LLMClient


async def understand(
    text: str,
    previous: Intent | None = None,
    *,
    nearest: NearestIntent | None = None,
    llm: LLMClient | None = None,
    names: Mapping[str, int] | None = None,
) -> Intent:
    """The intent of `text`; `previous`: the chat's last request ("undo that"); `names`:
    the reader's digest papers by their short names ("splitwise": 5)."""
    intent = read_intent(text, previous, names)
    if nearest is not None and intent.kind == "question" and worth_asking(intent, text):
        intent = await nearest.second_look(text, intent)
    if llm is not None:
        intent = await intent_by_llm(llm, text, intent)
    return intent
