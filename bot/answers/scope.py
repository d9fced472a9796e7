"""Which of a set of papers mention a topic: "which of these use LoRA?" about a digest, and
"which of my saved papers is about X?", each answered with its evidence sentence. (Whether
a paper says what a question asks is bot/answers/support.py.)"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.text import content_stems
from storage.papers import Paper

# "which of these use LoRA?", "which papers mention GPUs?", "which of them are about RL?"
_WHICH = re.compile(
    # One line only, checked once up front; the topic is greedy to its last word, so each
    # verb tried costs no rescan of the rest (linear time).
    r"^\s*which(?=.*$)\s+(?:ones?\s+)?(?:of\s+)?"
    r"(?:these|those|them|the\s+papers|papers|ones)?\b.*?"
    r"\b(?:use|uses|using|mention|mentions|discuss|discusses|about|cover|covers|study|studies)"
    r"\s+(?P<topic>[^?.!\s](?:.*[^?.!\s])?)[?.!\s]*$",
    re.IGNORECASE,
)


def which_topic(question: str) -> str | None:
    """The topic of a "which of these use X?" question, or None."""
    match = _WHICH.match(question)
    return match.group("topic").strip() if match else None


def which_of(topic: str, numbered: Sequence[tuple[int, Paper]]) -> tuple[str, list[Paper]]:
    """Which of the `numbered` papers mention `topic`, each with its evidence sentence, and
    which do not: (the answer's text, the papers cited in it)."""
    found = _mentions(topic, [paper for _, paper in numbered])
    hits = [(n, paper, found[i]) for i, (n, paper) in enumerate(numbered) if i in found]
    misses = [n for i, (n, _) in enumerate(numbered) if i not in found]
    lines = []
    if hits:
        verb = "mentions" if len(hits) == 1 else "mention"
        lines.append(f"{_papers([n for n, _, _ in hits])} {verb} {topic}:")
        lines += [f"[{i}] {p.title}: “{quote}”" for i, (_, p, quote) in enumerate(hits, 1)]
    if misses:
        verb = "does" if len(misses) == 1 else "do"
        lines.append(f"{_papers(misses)} {verb} not mention {topic}.")
    return "\n".join(lines), [p for _, p, _ in hits]


def which_in(topic: str, papers: Sequence[Paper], label: str) -> tuple[str, list[Paper]]:
    """Which papers of one of the reader's sets ("your saved papers") mention `topic`,
    each with its evidence; the others are counted, not named (they are not what was
    asked for, and their titles would read as answers)."""
    found = _mentions(topic, papers)
    hits = [(paper, found[i]) for i, paper in enumerate(papers) if i in found]
    if not hits:
        return f"None of {label} mention {topic}.", []
    lines = [f"{len(hits)} of {label} {'mentions' if len(hits) == 1 else 'mention'} {topic}:"]
    lines += [f"[{i}] {p.title}: “{quote}”" for i, (p, quote) in enumerate(hits, 1)]
    others = len(papers) - len(hits)
    if others:
        lines.append(f"The other {others} {'does' if others == 1 else 'do'} not.")
    return "\n".join(lines), [p for p, _ in hits]


def _mentions(topic: str, papers: Sequence[Paper]) -> dict[int, str]:
    """Index -> evidence sentence of the papers that mention at least half the topic's
    words (title or abstract)."""
    wanted = _terms(topic)
    found = {}
    for i, paper in enumerate(papers):
        best, overlap = _evidence(paper, wanted)
        if wanted and overlap * 2 >= len(wanted):
            found[i] = best
    return found


def _evidence(paper: Paper, wanted: set[str]) -> tuple[str, int]:
    sentences = [paper.title, *re.split(r"(?<=[.!?])\s+", paper.abstract)]
    scored = [(len(wanted & _terms(s)), s) for s in sentences if s.strip()]
    overlap, best = max(scored, key=lambda pair: pair[0]) if scored else (0, "")
    return best[:400], overlap


def _terms(text: str) -> set[str]:
    # The stemmer keeps the plural of an acronym ("GPUs" -> "gpus"): fold it to "gpu".
    return {t[:-1] if t.endswith("s") and len(t) > 3 else t for t in content_stems(text)}


def _papers(numbers: Sequence[int]) -> str:
    shown = " and ".join(", ".join(map(str, numbers)).rsplit(", ", 1))
    return f"Paper{'s' if len(numbers) > 1 else ''} {shown}"
