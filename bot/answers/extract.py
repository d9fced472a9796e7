"""Answers without a model, in the papers' own sentences. A question about a paper as a
whole leads with the abstract's sentences that fit what it asks (its result: sentences
with numbers, "outperform", "achieve"; its problem: the opening; its method: "we propose
…" and what follows; its limits: what comes after "however"), then the best passage read;
a question about a topic gets the sentences (passages first) with most of its words."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answers.asking import Asked, Word
from bot.answers.cited import passage_label
from bot.answers.compare import ASPECTS as CUES
from bot.answers.support import (
    CODE,
    HARDWARE,
    LIMITATION,
    METHOD_STATEMENT,
    RESULT,
    STRONG_LIMITATION,
    UNIT_CUES,
    has_number,
    is_name,
    short_name_stems,
)
from bot.text import clip, content_stems, stem
from bot.writing.extractive import split_sentences
from storage.papers import Paper
from storage.passages import Passage

MAX_QUOTE = 500  # characters of one quoted line
_NOVEL = re.compile(r"\b(?:first|novel|new|unlike|contribution)", re.IGNORECASE)
_METHOD = re.compile(
    r"\b(?:approach|mechanism|framework|architecture|algorithm|strategy|technique|pipeline|"
    r"module|we (?:propose|present|introduce|design|develop|implement|use)|consists? of|"
    r"based on|by (?:using|leveraging)|relies on|works by)",
    re.IGNORECASE,
)
_NAMED = re.compile(r"(?<!^)\b[A-Z][A-Za-z]*[A-Z0-9][\w-]*")  # WMT, BLEU, AutoScholarQuery
Quote = tuple[str, str]  # (sentence, passage label or "" for the abstract)


def quote_lines(
    asked: Asked,
    n: int,
    paper: Paper,
    given: Sequence[Passage],
    most: int,
    closest: Quote | None = None,
) -> list[str]:
    """Paper [n]'s best sentences for the question, as cited lines: the abstract's first,
    under the title, then each passage's under its label. `closest`: the text closest in
    meaning to a topic no word of the paper names, quoted instead."""
    # The paper's own name ("splitwise", typed "splitwse") and a foreign word the glossary
    # does not know say nothing about what in it is asked: without them, "main result of
    # the splitwse paper" is about the paper as a whole.
    name = short_name_stems(paper.title)
    topic = [w for w in asked.topic if w.known and not is_name(w.english, name)]
    if closest is not None:
        quotes = [closest]
    elif not topic:
        quotes = _gist(asked, paper, given)
    else:
        quotes = _topical(asked, topic, paper, given)
    quotes = quotes[:most] or [(paper.title, "")]
    lines: list[str] = []
    for label in dict.fromkeys(label for _, label in quotes):
        said = " ".join(s for s, at in quotes if at == label)
        cite = f"[{n} {label}]" if label else f"[{n}]"
        lead = "" if lines else f" {paper.title}:"
        lines.append(f"{cite}{lead} “{clip(said, MAX_QUOTE)[0]}”")
    return lines


def _gist(asked: Asked, paper: Paper, given: Sequence[Passage]) -> list[Quote]:
    sentences = split_sentences(paper.abstract)
    if not sentences:
        return _topical(asked, asked.topic, paper, given)
    picked = [(s, "") for s in _abstract_for(asked, sentences)]
    passage = _best_passage_sentence(asked, given)
    return picked + ([passage] if passage else [])


def _abstract_for(asked: Asked, sentences: list[str]) -> list[str]:
    """Two or three sentences of the abstract that fit the aspect asked, in their order."""
    stated = next((i for i, s in enumerate(sentences) if METHOD_STATEMENT.search(s)), None)
    kind = asked.kind
    if kind == "problem":
        chosen = list(range(min(2, stated if stated else 2)))
    elif kind in ("method", "summary", "novelty") and stated is not None:
        follow = [stated + 1] if stated + 1 < len(sentences) else []
        cue = {"novelty": _NOVEL, "method": _METHOD}.get(kind, CUES["Result"])
        rest = [i for i in range(stated + 1, len(sentences)) if i not in follow]
        best = max(rest, key=lambda i: _cue_score(sentences[i], cue, asked), default=None)
        extra = [best] if best is not None and _cue_score(sentences[best], cue, asked) else []
        chosen = [stated, *(follow if kind != "summary" else []), *extra]
    elif kind == "limitations":
        after = range((stated or 0) + 1, len(sentences))
        chosen = [i for i in after if LIMITATION.search(sentences[i])][:2]
    else:
        cue = CUES["Data"] if kind == "data" else CUES["Result"]
        ranked = sorted(range(len(sentences)), key=lambda i: -_cue_score(sentences[i], cue, asked))
        chosen = [i for i in ranked[:2] if _cue_score(sentences[i], cue, asked) > 0]
    chosen = chosen or [stated if stated is not None else 0]
    return [sentences[i] for i in sorted(set(chosen))]


def _cue_score(sentence: str, cue: re.Pattern[str], asked: Asked) -> float:
    score = float(len(cue.findall(sentence)))
    if asked.quantity or asked.kind == "result":
        score += 2.0 if has_number(sentence) else 0.0
    if asked.kind == "data" and _NAMED.search(sentence):
        score += 1.0  # a named benchmark or dataset
    return score


def _best_passage_sentence(asked: Asked, given: Sequence[Passage]) -> Quote | None:
    """From the passages read: the sentence that fits the aspect asked, if one does."""
    cue = {
        "limitations": STRONG_LIMITATION,
        "code": CODE,
        "data": CUES["Data"],
        "result": CUES["Result"],
        "method": CUES["Method"],
    }.get(asked.kind)
    if cue is None:
        return None
    found = [(s, passage_label(p), p.section) for p in given for s in split_sentences(p.text)]
    scored = [
        (_cue_score(s, cue, asked) + (1.0 if cue.search(section) else 0.0), i)
        for i, (s, _, section) in enumerate(found)
    ]
    best = max(scored, key=lambda pair: (pair[0], -pair[1]), default=(0.0, -1))
    return found[best[1]][:2] if best[0] > 0 else None


def _measured(sentence: str) -> float:
    """How much a sentence reads as a measured result: figures ("1.4x", "20%") more than
    number words ("two main phases")."""
    if not has_number(sentence):
        return 0.0
    return 1.0 if _FIGURE.search(sentence) else 0.5


_FIGURE = re.compile(r"(?<![\d.,])\d[\d.,]*+\s*+(?:%|x\b|×)|\d\.\d")


def _topical(
    asked: Asked, topic: Sequence[Word], paper: Paper, given: Sequence[Passage]
) -> list[Quote]:
    """The abstract's sentence and the two passage sentences with most of the topic's
    words (numbers and units count when the question wants them); of equals, the first.
    A sentence that names the topic but not the number asked for brings the next one."""
    wanted = [{stem(w.english), stem(w.surface)} for w in topic]
    if not wanted:
        wanted = [{s} for s in content_stems(asked.search())]
    units = [("", split_sentences(paper.abstract), "")]
    units += [(passage_label(p), split_sentences(p.text), p.section) for p in given]

    def score(sentence: str, section: str = "") -> float:
        stems = set(content_stems(f"{section} {sentence}"))  # "5.2 Hardware and Schedule"
        value = float(sum(bool(f & stems) for f in wanted))
        if asked.hardware and HARDWARE.search(sentence):
            value += 2.0
        if asked.quantity and has_number(sentence):
            value += 1.5
        value += sum(2.0 for unit in asked.units if UNIT_CUES[unit].search(sentence))
        if "code" in asked.aspects and CODE.search(sentence):
            value += 2.0
        if "result" in asked.aspects:  # "what speedup did they get": the results, in numbers
            value += min(2, len(RESULT.findall(sentence))) + _measured(sentence)
        return value

    ranked = sorted(
        (
            (score(s, section), -u, -i, u, i)
            for u, (_, ss, section) in enumerate(units)
            for i, s in enumerate(ss)
        ),
        reverse=True,
    )
    best_abstract = [r for r in ranked if r[3] == 0][:1]
    best_passages = [r for r in ranked if r[3] > 0][:2]
    picked: list[Quote] = []
    for value, _, _, u, i in [*best_abstract, *best_passages]:
        if value <= 0 and picked:
            continue
        label, sentences, _ = units[u]
        picked.append((sentences[i], label))
        after = sentences[i + 1] if i + 1 < len(sentences) else ""
        if asked.quantity and not has_number(sentences[i]) and after and has_number(after):
            picked.append((after, label))
    return picked
