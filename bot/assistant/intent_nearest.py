"""A small classifier over the shipped embedding model: a message the patterns read as a
question only because nothing else fired ("could you give the daily emails a rest") is
compared with example requests the project wrote; close enough to a request that needs no
topic or paper (pause, resume, today's digest), the reader is asked with a button rather
than answered with passages. Nearest example by cosine; the threshold was set on the dev
half of bench/intents/messages.json."""

from __future__ import annotations

import numpy as np

from bot.assistant.intents import Intent
from bot.ranking.embedders import Embedder

THRESHOLD = 0.62  # cosine to the nearest example; set on dev (bench.intent_eval --sweep)
EXAMPLES = {
    "pause": [
        "pause my digests",
        "stop sending me papers for a while",
        "please hold the daily emails",
        "give the digests a rest for a week",
        "I'm on vacation, no papers until I'm back",
        "don't send anything next week",
        "take a break from the daily list",
        "mute the bot for now",
        "bitte keine Digests mehr bis nächsten Monat",
        "no me mandes nada por ahora",
        "arrête les envois pendant mes vacances",
    ],
    "resume": [
        "resume my digests",
        "start sending papers again",
        "I'm back, turn the daily list on again",
        "you can send the digests again",
        "unpause",
        "bitte wieder Digests schicken",
        "vuelve a mandarme los papers",
        "tu peux recommencer les envois",
    ],
    "digest": [
        "send me today's digest",
        "what's new today",
        "show me today's papers",
        "give me the list for today",
        "any new papers for me today",
        "schick mir die Paper von heute",
        "mándame los papers de hoy",
        "envoie-moi le digest du jour",
    ],
    "question": [
        "what is the main result of paper 1",
        "how does the method work",
        "which dataset do they use",
        "does it beat the baseline",
        "explain the architecture in simple words",
        "what are the limitations",
        "how much faster is it than the previous system",
        "is the code available",
        "what problem does this paper solve",
        "compare the two papers",
        "tell me more about the experiments",
        "how many GPUs did they train on",
    ],
}
ACTIONS = frozenset({"pause", "resume", "digest"})


class NearestIntent:
    """Nearest example request by meaning, the examples embedded once on first use."""

    def __init__(self, embedder: Embedder, threshold: float = THRESHOLD) -> None:
        self.embedder, self.threshold = embedder, threshold
        self._labels = [kind for kind, texts in EXAMPLES.items() for _ in texts]
        self._vectors: np.ndarray | None = None

    async def nearest(self, text: str) -> tuple[str, float]:
        """The nearest example's intent and its cosine."""
        if self._vectors is None:
            texts = [t for texts in EXAMPLES.values() for t in texts]
            self._vectors = _unit(await self.embedder.embed(texts))
        vector = _unit(await self.embedder.embed([text]))[0]
        scores = self._vectors @ vector
        best = int(np.argmax(scores))
        return self._labels[best], float(scores[best])

    async def second_look(self, text: str, rules: Intent) -> Intent:
        """`rules`, or a request to confirm when the message reads like one by meaning."""
        kind, score = await self.nearest(text)
        if kind in ACTIONS and score >= self.threshold:
            return Intent("ambiguous", options=(kind, "question"), raw=rules.raw)
        return rules


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-9))
