"""Whether a paper says what a question asks, decided before anything is quoted: by its
words (stemmed, one letter off forgiven, most of the topic's words together in one
sentence or passage), by meaning (the shipped embedding model: the topic against the
paper's closest sentence or passage) and by the kind of answer wanted (a number, in the
unit asked; a limitation; where the code is; a GPU's name). A paper fails only when
neither words nor meaning connect it to the topic, or when no sentence of it gives the
kind of answer asked for; the verdict then names what is missing in a few words."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.answers.asking import Asked, Word
from bot.answers.cited import passage_label
from bot.answers.context import FullTextContext
from bot.ranking.embedders import EmbeddingsUnavailable
from bot.ranking.semantic import VectorStore
from bot.text import content_stems, one_edit_apart, stem
from bot.writing.extractive import split_sentences
from storage.papers import Paper
from storage.passages import Passage

log = logging.getLogger(__name__)

# Cosine (MiniLM) between a question's topic and a paper's closest title, sentence or
# passage from which the paper counts as being about the topic though no word connects
# them. Chosen on dev questions only (even ids of bench/intents/messages.json and of
# bench/answers/questions.json): topics the papers do not mention scored 0.11-0.23 (7),
# topics they do 0.31-0.75 (24, all but one-word "available", 0.13, which words connect);
# 0.27 is midway. See bench/question_eval.py.
MEANING_THRESHOLD = 0.27
FUZZY_MIN = 6  # letters of a stem before one letter off still counts as the same word

NUMBER = re.compile(
    r"(?<![\w§\[.\-])(?!(?:19|20)\d\d\b)\d+(?:[.,]\d+)*\s*(?:%|x\b|×|k\b|m\b|b\b)?|"
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|"
    r"thousand|million|billion|half|twice|double)\b",
    re.IGNORECASE,
)
_NOT_A_QUANTITY = re.compile(
    r"\b(?:table|figure|fig\.|section|sec\.|eq\.|equation|appendix)\s*\d+", re.IGNORECASE
)
UNIT_CUES = {
    "money": re.compile(r"\$\s?\d|\d\s?(?:\$|€|usd\b|eur\b)|\b(?:dollars?|usd|euros?)\b", re.I),
    "time": re.compile(
        r"(?:(?<![\d.,])\d[\d.,]*|\b(?:one|two|three|four|five|six|eight|ten|twelve|few|"
        r"several))\s*(?:-\s*)?(?:ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|"
        r"hours?|days?|weeks?|gpu[- ]hours?)\b",
        re.I,
    ),
}
HARDWARE = re.compile(
    r"\b(?:[AHVPTLK]\d{2,3}|A\d{4}|RTX\s?\d{3,4}|GTX\s?\d{3,4}|TPU\s?v?\d|MI\d{3}|Gaudi\d?|"
    r"Titan\s?\w+|Jetson\s?\w+)\b"
)
LIMITATION = re.compile(
    r"\b(?:however|although|limit(?:s|ed|ation|ations)?|drawbacks?|downsides?|shortcomings?|"
    r"weakness(?:es)?|cannot|unable|fails?|requires?|at the cost of|trade-?offs?|future work|"
    r"restricted|caveats?)\b",
    re.IGNORECASE,
)
STRONG_LIMITATION = re.compile(
    r"\b(?:limitations?|limited to|drawbacks?|shortcomings?|future work|caveats?)\b", re.I
)
CODE = re.compile(
    r"github\.com|gitlab\.|huggingface\.co/|\bcode\b[^.]{0,80}\b(?:available|released|"
    r"open[- ]sourced?|public)|\b(?:release|open[- ]source)\s+(?:our|the|all)\s+(?:code|"
    r"implementation)|available at https?://",
    re.IGNORECASE,
)
RESULT = re.compile(
    r"\b(?:outperform\w*|achiev\w*|improv\w*|speed\w*|faster|reduc\w*|surpass\w*|gains?|"
    r"higher|lower|better|accuracy|throughput|latency|savings?)\b",
    re.IGNORECASE,
)
METHOD_STATEMENT = re.compile(
    r"\bwe\s+(?:propose|present|introduce|develop|design|study|implement|build)\b|"
    r"\bthis (?:paper|work) (?:proposes|presents|introduces)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    found: bool
    missing: str = ""  # what the paper does not mention, in a few words
    by_meaning: bool = False  # connected by meaning only (no shared word)
    closest: float = 0.0  # cosine of the topic and the paper's closest text (if computed)
    evidence: tuple[str, str] | None = None  # that text and its passage label ("" abstract)


async def judge(
    asked: Asked,
    papers: Sequence[Paper],
    context: FullTextContext,
    vectors: VectorStore | None,
) -> list[Verdict]:
    """One verdict per paper of `papers` (in order)."""
    names = set().union(*(short_name_stems(p.title) for p in papers)) if papers else set()
    topic = [w for w in asked.topic if not is_name(w.english, names)]
    verdicts = []
    for n, paper in enumerate(papers):
        texts = context.texts[n] if n < len(context.texts) else ()
        verdicts.append(await _judge_one(asked, topic, paper, texts, vectors))
    return verdicts


async def _judge_one(
    asked: Asked,
    topic: list[Word],
    paper: Paper,
    texts: Sequence[Passage],
    vectors: VectorStore | None,
) -> Verdict:
    """`topic`: the question's, without the names of the papers asked about ("how does
    PaSa work": PaSa names the paper, it is not a topic in it)."""
    sentences = split_sentences(paper.abstract)
    units = [paper.title, *sentences, *(p.text for p in texts)]
    matched, together = _by_words(topic, units, abstract_units=1 + len(sentences))
    spelled, absent = _acronyms(asked, [w for w in topic if w not in matched], units)
    if absent:
        return Verdict(False, absent)
    evidence = None
    if spelled:  # written out in full ("reinforcement learning" for "RL"): quote that
        matched, together = matched | spelled.keys(), (max(together[0], 1), together[1])
        where = min(spelled.values())
        abstract_units = 1 + len(sentences)
        label = passage_label(texts[where - abstract_units]) if where >= abstract_units else ""
        evidence = (units[where], label)
    topic = [w for w in topic if w.known or w in matched]  # an unknown word that is not
    #  found says nothing (a German word missing from an English paper)
    closest, by_meaning = 0.0, False
    if topic and not _connected(len(matched & set(topic)), together, len(topic)):
        closest, evidence = await _closest(topic, paper, sentences, texts, vectors)
        if closest < MEANING_THRESHOLD:
            # The whole topic ("image segmentation", though "image" is there), unless long.
            missing = topic if len(topic) <= 4 else [w for w in topic if w not in matched]
            return Verdict(False, asked.phrase(missing or topic), closest=closest)
        by_meaning = True
    wanted = _wanted_kind(asked, topic, paper, sentences, texts)
    if wanted:
        return Verdict(False, wanted, by_meaning, closest)
    return Verdict(True, "", by_meaning, closest, evidence if by_meaning or spelled else None)


def _by_words(
    topic: Sequence[Word], units: Sequence[str], *, abstract_units: int
) -> tuple[set[Word], tuple[int, int]]:
    """The topic's words found in the paper, and the most found together in one unit of
    its title and abstract, and in one passage of its full text."""
    unit_stems = [set(content_stems(u)) for u in units]
    vocabulary = set().union(*unit_stems) if unit_stems else set()
    forms = {w: _forms(w, vocabulary) for w in topic}
    matched = {w for w, f in forms.items() if f}
    counts = [sum(bool(f & s) for f in forms.values()) for s in unit_stems]
    return matched, (
        max(counts[:abstract_units], default=0),
        max(counts[abstract_units:], default=0),
    )


def _acronyms(
    asked: Asked, unmatched: Sequence[Word], units: Sequence[str]
) -> tuple[dict[Word, int], str]:
    """The acronyms and names the question types ("RL", "MoE", "ExpertFlow") that the paper
    does not use: those it spells out ("reinforcement learning"), each with the first of
    `units` that does, and the first it neither uses nor spells out, as typed ("" when
    none). Such a word names one thing: other words
    of the question found in the paper ("does it work with MoE models": "models") do not
    make it about that thing."""
    spelled: dict[Word, int] = {}
    if not unmatched or _shouted(asked.text):
        return spelled, ""
    initials = None
    for word in unmatched:
        typed = asked.text[word.start : word.end]
        if not _ACRONYM.fullmatch(typed):
            continue
        if initials is None:
            initials = _initials(units)
        # "vLLM" is a name, not "very large language models": only an acronym that starts
        # with a capital may be written out
        where = initials.get("".join(c for c in typed if c.isupper()).lower())
        if where is None or typed[0].islower():
            return spelled, typed
        spelled[word] = where
    return spelled, ""


# A run of capitals, or a capital inside a word: "GPU", "GPUs", "MoE", "ExpertFlow".
_ACRONYM = re.compile(r"\b(?:[A-Z]{2,6}s?|[A-Z]?[a-z]+[A-Z]\w*)")
_SKIPPED_IN_INITIALS = frozenset({"of", "and", "for", "the", "a", "an", "to", "in", "on"})


def _shouted(text: str) -> bool:
    """Mostly capitals: a capital then says nothing about a word being a name."""
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) * 2 > len(letters)


def _initials(units: Sequence[str]) -> dict[str, int]:
    """Every run of up to 6 initials of consecutive words in the paper (small linking words
    skipped: "mixture of experts" is "me"), with the first unit it is in, to find an
    acronym written out in full."""
    found: dict[str, int] = {}
    for index, unit in enumerate(units):
        letters = [
            w[0].lower()
            for w in re.findall(r"[^\W\d_]+", unit)
            if w.lower() not in _SKIPPED_IN_INITIALS
        ]
        for i in range(len(letters)):
            for n in range(2, min(6, len(letters) - i) + 1):
                found.setdefault("".join(letters[i : i + n]), index)
    return found


def _forms(word: Word, vocabulary: set[str]) -> set[str]:
    """The stems of the paper's words that `word` stands for (itself, or one letter off)."""
    own = _stems(word)
    found = own & vocabulary
    if found:
        return found
    # One letter off, for longer words only: "throughtput" is "throughput", but "fold" is
    # not "hold" nor "food".
    own = {o for o in own if len(o) >= FUZZY_MIN}
    return {v for v in vocabulary if len(v) >= FUZZY_MIN and any(one_edit_apart(o, v) for o in own)}


def _stems(word: Word) -> set[str]:
    """The stems a topic word is looked for as; an acronym's plural ("GPUs") is folded,
    which the stemmer leaves alone."""
    found = {stem(word.english), stem(word.surface)}
    return found | {f[:-1] for f in found if f.endswith("s") and len(f) > 3}


def _connected(found: int, together: tuple[int, int], size: int) -> bool:
    """Words connect a paper to a topic when one of them is in its title or abstract, or
    its word, both its two words, or two of a longer topic's occur together in one passage
    of its full text (a full text has most single words somewhere: "image" and
    "segmentation" apart in it say nothing, while an abstract is all about its topic)."""
    in_abstract, in_passage = together
    return found >= 1 and (in_abstract >= 1 or in_passage >= min(size, 2))


async def _closest(
    topic: Sequence[Word],
    paper: Paper,
    sentences: Sequence[str],
    texts: Sequence[Passage],
    vectors: VectorStore | None,
) -> tuple[float, tuple[str, str] | None]:
    """The cosine of the topic and the paper's closest title, sentence or passage, and
    that text with its passage label (0 and None when there is no model)."""
    if vectors is None:
        return 0.0, None
    query = " ".join(w.english for w in topic)
    own = [query, paper.title, *sentences]
    try:
        await vectors.ensure(own)
        found = vectors.lookup([*own, *(p.text for p in texts)])
    except EmbeddingsUnavailable as exc:
        log.info("topic check by words only (%s)", exc)
        return 0.0, None
    if found is None or len(found) < 2:
        return 0.0, None
    cosines = found[1:] @ found[0]
    best = int(np.argmax(cosines))
    units = [(paper.title, ""), *((s, "") for s in sentences)]
    units += [(p.text, passage_label(p)) for p in texts]
    return float(cosines[best]), units[best]


def _wanted_kind(
    asked: Asked,
    topic: Sequence[Word],
    paper: Paper,
    sentences: Sequence[str],
    texts: Sequence[Passage],
) -> str:
    """What kind of answer the paper lacks ("" when it has what the question asks for)."""
    if "limitations" in asked.aspects and not _has_limitation(sentences, texts):
        return "its limitations"
    if "code" in asked.aspects and not any(CODE.search(t) for t in _all(paper, texts)):
        return "where its code is"
    if not (asked.quantity or asked.hardware):
        return ""
    every = [*sentences, *(s for p in texts for s in split_sentences(p.text))]
    near = _near(topic, every)
    if "result" in asked.aspects:  # "what speedup": any result, whatever words it uses
        near += [s for s in every if RESULT.search(s)]
    if asked.hardware and not any(HARDWARE.search(s) for s in near):
        return "which GPU model it used"
    for unit in sorted(asked.units):
        if not any(UNIT_CUES[unit].search(s) for s in near):
            return _unit_phrase(asked, unit)
    if asked.quantity and not asked.units and not any(has_number(s) for s in near):
        return _number_phrase(asked)
    return ""


def _near(topic: Sequence[Word], sentences: Sequence[str]) -> list[str]:
    """The sentences with the most of the topic's words (all of them for no topic)."""
    if not topic:
        return list(sentences)
    wanted = [_stems(w) for w in topic]
    counts = [sum(bool(f & set(content_stems(s))) for f in wanted) for s in sentences]
    most = max(counts, default=0)
    return [s for s, c in zip(sentences, counts, strict=True) if c == most and c > 0]


def has_number(sentence: str) -> bool:
    return NUMBER.search(_NOT_A_QUANTITY.sub(" ", sentence)) is not None


def _has_limitation(sentences: Sequence[str], passages: Sequence[Passage]) -> bool:
    """A limitation the paper states of itself: in the abstract after it says what it does
    (before that, limits are the earlier work's), or in the full text in so many words."""
    stated = next((i for i, s in enumerate(sentences) if METHOD_STATEMENT.search(s)), 1)
    if any(LIMITATION.search(s) for s in sentences[stated + 1 :]):
        return True
    return any(STRONG_LIMITATION.search(f"{p.section} {p.text}") for p in passages)


def _all(paper: Paper, texts: Sequence[Passage]) -> list[str]:
    return [paper.title, paper.abstract, *(p.text for p in texts)]


def _unit_phrase(asked: Asked, unit: str) -> str:
    """'cost in dollars' from "how much did it cost in dollars"; else what the unit is."""
    # The word starts a run of letters (else each letter of a long word rescans it).
    said = re.search(r"(?<![^\W\d_])([^\W\d_]+)\s+in\s+(\$|€|[^\W\d_]+)", asked.text, re.I)
    topic = {w.surface for w in asked.topic if w.known and w.surface == w.english}
    if said and said.group(1).lower() in topic:
        return f"{said.group(1)} in {said.group(2)}"
    return {"money": "costs in money", "time": "how long it takes"}[unit]


def _number_phrase(asked: Asked) -> str:
    """'how many GPUs' from "how many GPUs did paper 3 use?"; else 'a number for X'."""
    said = re.search(r"\bhow\s+(?:many|much)\s+([^\W\d_]+)", asked.text, re.IGNORECASE)
    topic = {w.surface for w in asked.topic}
    if said and said.group(1).lower() in topic:
        return f"how many {said.group(1)}" if "many" in said.group(0).lower() else said.group(0)
    return f"a number for {asked.phrase() or 'what was asked'}"


def is_name(word: str, names: set[str]) -> bool:
    """`word` is one of `names` (stems of papers' own names), or a long one typed one
    letter off ("splitwse")."""
    own = stem(word)
    return own in names or any(len(n) >= 6 and one_edit_apart(own, n) for n in names)


def short_name_stems(title: str) -> set[str]:
    """The stems of a paper's own name ("PaSa" of "PaSa: An LLM Agent …"): a question
    naming the paper is not asking about a topic called that."""
    head = title.split(":", 1)[0] if ":" in title else ""
    return set(content_stems(head)) if 0 < len(head.split()) <= 3 else set()
