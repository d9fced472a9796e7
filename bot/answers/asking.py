"""What a question asks of a paper: the aspects it names (result, problem, method, summary,
limitations, novelty, data, code), whether it wants a number and in what unit, and its
topic: the words left once the asking, pointing and filler words are taken out (in English
where the glossary knows them). Typos one letter off a known word are forgiven, and a
German compound is read by its known ends ("Trainigsdatensatz": training, dataset)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.answers.refer import without_references
from bot.answers.sets import without_sets
from bot.answers.vocabulary import (
    ASKING,
    ASPECTS,
    ENGLISH_MARKERS,
    FOREIGN_MARKERS,
    GLOSSARY,
    QUANTITY,
    UNITS,
)
from bot.text import one_edit_apart

MAX_PHRASE_WORDS = 6
_KNOWN = ASKING | QUANTITY | frozenset().union(*ASPECTS.values())
_FUZZY_TARGETS = sorted(w for w in _KNOWN | GLOSSARY.keys() if len(w) >= 5)
_ENDINGS = sorted(_FUZZY_TARGETS, key=len, reverse=True)  # longest first
_WORD = re.compile(r"[^\W\d_]+|[$€]")
_QUANTITY = re.compile(
    r"\bhow\s+(?:much|many|long|big|large|fast|often|small|high|low)\b|"
    r"\bwie\s*(?:viel|viele|lange|gros+|schnell|oft|hoch)\b|\bcuant[oa]s?\b|\bcombien\b|"
    r"\b(?:size|number|amount|speedups?|speed-up|faster|slower|tamano|taille|anzahl)\b"
)
_TIME = re.compile(
    r"\bwie\s+lange\b|\bcuanto\s+(?:tiempo|tarda)\b|\bcombien\s+de\s+temps\b|"
    r"\b(?:train\w*|inference|search|run\w*|wall-?clock|compute)\s+time\b"
)
_HOW_LONG = re.compile(r"\bhow\s+long\b")  # … a duration when it also says what takes it
_TAKES = re.compile(r"\b(?:take|takes|took|last|lasts|run|runs|need|needs)\b")
_GREETING = re.compile(
    r"\bgood\s+(?:morning|afternoon|evening|night|day)\b|\bguten\s+(?:morgen|tag|abend)\b|"
    r"\bbuen(?:os|as)\s+(?:dias|tardes|noches)\b"
)
_OPEN_SOURCE = re.compile(r"\bopen[\s-]source")
_HARDWARE = re.compile(
    r"\b(?:which|what|welche\w*|cual\w*|quel\w*)\s+(?:kind\s+of\s+|type\s+of\s+)?"
    r"(?:gpus?|hardware|accelerators?|grafikkarten?)\b|\bgpu\s+(?:model|type|kind)s?\b"
)


@dataclass(frozen=True)
class Word:
    surface: str  # as typed, lowercase
    english: str  # the English word it stands for
    start: int  # where it is in the question
    end: int
    known: bool  # English, or translated: a word whose absence from a paper means something


@dataclass(frozen=True)
class Asked:
    text: str
    aspects: frozenset[str]
    topic: tuple[Word, ...]
    quantity: bool  # wants a number
    units: frozenset[str]  # "money", "time": the number must come with one of these
    hardware: bool  # wants a GPU or accelerator's name
    foreign: bool

    @property
    def gist(self) -> bool:
        """About the paper as a whole (its result, method, limits …), not a topic in it."""
        return not self.topic

    @property
    def kind(self) -> str:
        """The one aspect answers are shaped by: summary when none is named."""
        for aspect in ("limitations", "code", "result", "data", "novelty", "problem", "method"):
            if aspect in self.aspects:
                return aspect
        return "summary"

    def search(self) -> str:
        """Words to find passages with: the question itself when it is English and has a
        topic, else its topic in English and the words its aspect is written with."""
        if self.topic and not self.foreign:
            return without_references(self.text)
        words = [w.english for w in self.topic]
        if self.quantity and not self.topic:
            words.append("number")
        return " ".join([*words, *ASPECT_SEARCH[self.kind].split()])

    def phrase(self, words: Sequence[Word] | None = None) -> str:
        """The topic (or `words` of it) as the reader wrote it, in a few words."""
        chosen = sorted(words if words is not None else self.topic, key=lambda w: w.start)
        if not chosen:
            return ""
        span = self.text[chosen[0].start : chosen[-1].end]
        if len(span.split()) <= MAX_PHRASE_WORDS and not re.search(r"[?!.;,]", span):
            return span
        return " ".join(dict.fromkeys(w.surface for w in chosen[:MAX_PHRASE_WORDS]))


ASPECT_SEARCH = {
    "summary": "we propose introduce present paper",
    "problem": "problem challenge however limited",
    "method": "we propose method approach mechanism",
    "result": "results outperform improve achieve",
    "limitations": "limitations limited future work however",
    "novelty": "novel first contribution we introduce",
    "data": "dataset benchmark evaluation trained",
    "code": "code available github release",
}


def read_question(question: str) -> Asked:
    text = question[:2000]
    folded = fold(text)
    stripped = without_sets(without_references(folded))  # "my saved papers" is no topic
    stripped = _GREETING.sub(lambda m: " " * len(m.group()), stripped)  # "good morning"
    stripped = _OPEN_SOURCE.sub("opensource ", stripped)  # one word, the same length
    aspects: set[str] = set()
    units: set[str] = set()
    topic: list[Word] = []
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(stripped)]
    foreign = _is_foreign([t for t, _, _ in tokens])
    for i, (token, start, end) in enumerate(tokens):
        for kind, value in _read(token, english=not foreign):
            if kind == "aspect":
                aspects.add(value)
            elif kind == "unit" and _asks_in(tokens, i):
                units.add(value)
            elif kind == "word":
                known = not foreign or value != token or token in GLOSSARY.values()
                topic.append(Word(text[start:end].lower(), value, start, end, known))
    if "$" in text or "€" in text:
        units.add("money")
    if _TIME.search(stripped) or (_HOW_LONG.search(stripped) and _TAKES.search(stripped)):
        units.add("time")
    quantity = bool(units) or _QUANTITY.search(stripped) is not None
    return Asked(
        text,
        frozenset(aspects),
        tuple(topic),
        quantity,
        frozenset(units),
        _HARDWARE.search(stripped) is not None,
        foreign,
    )


def _asks_in(tokens: Sequence[tuple[str, int, int]], i: int) -> bool:
    """A unit word asks for a number in that unit after "in", "how many", "wie viele" …
    ("cost in dollars", "in Sekunden oder Minuten"), not in "last week"."""
    before = [t for t, _, _ in tokens[max(0, i - 3) : i]]
    return bool(set(before) & _UNIT_ASKERS)


_UNIT_ASKERS = frozenset("in en dans many much viele wieviele cuantos cuantas combien".split())


def fold(text: str) -> str:
    """Lowercase, accents stripped, ß as ss; the same length as `text` where it can be
    (offsets into it are offsets into the question)."""
    out = []
    for ch in text.lower():
        if ch == "ß":
            out.append("s")  # one character for one, so offsets hold ("groß" -> "gros")
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


def _is_foreign(tokens: Sequence[str]) -> bool:
    foreign = sum(t in FOREIGN_MARKERS for t in tokens)
    return foreign > sum(t in ENGLISH_MARKERS for t in tokens)


@lru_cache(maxsize=4096)
def _read(token: str, *, english: bool) -> tuple[tuple[str, str], ...]:
    """What one typed word is: ("aspect", name), ("unit", kind), ("word", English word),
    or nothing (it only asks)."""
    token = {"gros": "gross", "grose": "grosse"}.get(token, token)  # "groß" folded
    if token in {"$", "€"}:
        return (("unit", "money"),)
    direct = _known(token)
    if direct is not None:
        return direct
    close = _closest(token)
    if close is not None:
        return _known(close) or ()
    if not english and len(token) >= 8:
        split = _compound(token)
        if split:
            return split
    return (("word", token),)


def _known(token: str) -> tuple[tuple[str, str], ...] | None:
    for kind, words in UNITS.items():
        if token in words:
            return (("unit", kind),)
    found = tuple(("aspect", name) for name, words in ASPECTS.items() if token in words)
    if found:
        return found
    if token in ASKING or token in QUANTITY:
        return ()
    if token in GLOSSARY:
        return (("word", GLOSSARY[token]),)
    return None


def _closest(token: str) -> str | None:
    """A known word one letter off `token` (typed words of 4+ letters, known words of 5+),
    or a short asking word with two neighbouring letters swapped ("teh", "hwo", "waht")."""
    if token in _SHORT_SWAPS:
        return _SHORT_SWAPS[token]
    if len(token) < 4:
        return {"wat": "what", "wut": "what", "evn": "even", "abt": "about"}.get(token)
    return next((w for w in _FUZZY_TARGETS if _typo_of(token, w)), None)


def _typo_of(token: str, word: str) -> bool:
    """`token` is `word` mistyped: one letter dropped, added or (in a word of 6+ letters)
    changed, or two neighbours swapped. A changed letter in a shorter word is too often
    another word ("batch" is not "catch", "speed" not "sped")."""
    if not one_edit_apart(token, word):
        return False
    return len(token) != len(word) or len(token) >= 6 or token in _swaps(word)


def _swaps(word: str) -> set[str]:
    return {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}


# Only swaps, and only of common English words: one letter changed or dropped in a short
# word is too often an acronym one letter from it ("GAN" / "can", "RAG" / "rat"), and the
# swaps of asking words in other languages are English words ("fiat", "bets", "ids").
_SWAPPED = """the and what how who why this that with from for are was does did have they them
then than when your you main also just good"""
_REAL_WORDS = frozenset({"form", "dose", "odes", "nad", "aws", "amin"})  # typed as meant
_SHORT_SWAPS = {
    typo: word
    for word in _SWAPPED.split()
    for typo in sorted(_swaps(word))
    if typo != word and typo not in _REAL_WORDS and typo not in ASKING
}


def _compound(token: str) -> tuple[tuple[str, str], ...]:
    """A German compound read by a known word it ends with and what comes before."""
    for known in _ENDINGS:
        if token.endswith(known) and len(token) - len(known) >= 4:
            head = token[: -len(known)]
            head = head[:-1] if head.endswith("s") else head
            first = _known(head) or _known(_closest(head) or "") or ()
            return (*first, *(_known(known) or ()))
    return ()
