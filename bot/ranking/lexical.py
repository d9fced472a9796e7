"""Lexical relevance: BM25F over a day's papers (title, keywords, abstract) held in numpy.

Scores are normalised by each query's best possible BM25 score, so 0..1 means "how much of
this interest the paper covers" and can be compared across users and days. Acronyms defined
in the papers themselves ("Mixture of Experts (MoE)") match their expansions. A phrase
bonus and pseudo-relevance feedback were tried and removed: neither moved nDCG on
bench/relevance (see the README).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bot.text import STOP_WORDS, content_stems, stem, tokenize
from storage.papers import Paper

K1 = 2.0
# (weight, length normalisation b) per field: a title hit says more than an abstract hit.
FIELDS = {"title": (5.0, 0.3), "keywords": (2.0, 0.0), "abstract": (1.0, 0.75)}
# "(MoE)" first, then the words before it: one pattern for both backtracked badly on long
# abstracts (20 s for a 10,000-paper day).
_ABBR = re.compile(r"\((?P<abbr>[A-Za-z][A-Za-z0-9]{1,9})\)")
_WORD = re.compile(r"[\w'’]+")
_SEPARATORS = re.compile(r"[\s-]+")
_SEPARATOR_CHARS = " \t\n\r\f\v-"
MAX_EXPANSION_WORDS = 8


def _field_texts(paper: Paper) -> dict[str, str]:
    return {
        "title": paper.title,
        "keywords": " ; ".join(paper.keywords),
        "abstract": paper.abstract,
    }


@dataclass(frozen=True)
class QueryPlan:
    """A query as stems, plus acronym variants; scored as the best of its variants."""

    variants: tuple[tuple[str, ...], ...]


class LexicalIndex:
    """BM25F term weights for one set of candidate papers (a day), queried many times."""

    def __init__(self, papers: Sequence[Paper], background: Sequence[Paper] = ()) -> None:
        self.papers = list(papers)
        doc_terms = [self._doc_fields(p) for p in self.papers]
        self.vocab: dict[str, int] = {}
        for fields in doc_terms:
            for tokens in fields.values():
                for token in tokens:
                    self.vocab.setdefault(token, len(self.vocab))
        self._bm25f(doc_terms)
        self.idf, self._unknown_idf = self._idf(doc_terms, background)
        self.acronyms = find_acronyms([*self.papers, *background])
        # Expansions by their first stem: a query is checked against the few that can
        # start at each of its words, not against every acronym of the day.
        self._acronym_order = {abbr: n for n, abbr in enumerate(self.acronyms)}
        self._expansions_from: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for abbr, expansion in self.acronyms.items():
            if expansion:
                self._expansions_from.setdefault(expansion[0], []).append((abbr, expansion))

    @staticmethod
    def _doc_fields(paper: Paper) -> dict[str, list[str]]:
        return {
            name: [t.stem for t in tokenize(text)] for name, text in _field_texts(paper).items()
        }

    def _bm25f(self, doc_terms: list[dict[str, list[str]]]) -> None:
        """Saturated BM25F term weights as postings (term -> docs, weights): memory grows
        with the text of the day, not with papers × vocabulary."""
        n_docs = len(doc_terms)
        avg = {f: max(1.0, sum(len(d[f]) for d in doc_terms) / max(1, n_docs)) for f in FIELDS}
        postings: list[dict[int, float]] = [{} for _ in self.vocab]
        for doc, fields in enumerate(doc_terms):
            for name, (weight, b) in FIELDS.items():
                tokens = fields[name]
                norm = 1 - b + b * len(tokens) / avg[name]
                for term, count in Counter(tokens).items():
                    row = postings[self.vocab[term]]
                    row[doc] = row.get(doc, 0.0) + weight * count / norm
        sizes = np.array([len(row) for row in postings], dtype=np.int64)
        self._ptr = np.concatenate(([0], np.cumsum(sizes)))
        self._docs = np.fromiter(
            (d for row in postings for d in row), dtype=np.int32, count=int(sizes.sum())
        )
        tf = np.fromiter(
            (w for row in postings for w in row.values()), dtype=np.float32, count=int(sizes.sum())
        )
        self._weights = tf * (K1 + 1) / (tf + K1)

    def _idf(
        self, doc_terms: list[dict[str, list[str]]], background: Sequence[Paper]
    ) -> tuple[np.ndarray, float]:
        # Document frequencies include a background corpus so that a term every paper of a
        # themed day shares (all MoE papers) still counts as a real match.
        df: Counter[str] = Counter()
        for fields in doc_terms:
            df.update({t for tokens in fields.values() for t in tokens})
        for paper in background:
            df.update({t for tokens in self._doc_fields(paper).values() for t in tokens})
        total = len(doc_terms) + len(background)
        idf = np.zeros(len(self.vocab), dtype=np.float32)
        for term, index in self.vocab.items():
            idf[index] = math.log(1 + (total - df[term] + 0.5) / (df[term] + 0.5))
        return idf, math.log(1 + (total + 0.5) / 0.5)

    def plan(self, text: str) -> QueryPlan:
        stems = tuple(content_stems(text))
        variants = [stems]
        for i, term in enumerate(stems):
            expansion = self.acronyms.get(term)
            if expansion:
                variants.append(stems[:i] + expansion + stems[i + 1 :])
        found = []
        for i, term in enumerate(stems):
            for abbr, expansion in self._expansions_from.get(term, ()):
                if stems[i : i + len(expansion)] == expansion:
                    found.append((abbr, expansion, i))
        # In the acronym table's order, as before: the same variants in the same order.
        for abbr, expansion, i in sorted(found, key=lambda f: (self._acronym_order[f[0]], f[2])):
            variants.append((*stems[:i], abbr, *stems[i + len(expansion) :]))
        return QueryPlan(tuple(dict.fromkeys(variants)))

    def score(self, plan: QueryPlan) -> np.ndarray:
        """Normalised 0..1 relevance of every paper to the query."""
        best = np.zeros(len(self.papers), dtype=np.float32)
        for stems in plan.variants:
            np.maximum(best, self._score_variant(stems), out=best)
        return best

    def _score_variant(self, stems: tuple[str, ...]) -> np.ndarray:
        if not stems:
            return np.zeros(len(self.papers), dtype=np.float32)
        known = [self.vocab[s] for s in stems if s in self.vocab]
        unknown = len(stems) - len(known)
        ceiling = (float(self.idf[known].sum()) + unknown * self._unknown_idf) * (K1 + 1)
        if not known:
            return np.zeros(len(self.papers), dtype=np.float32)
        raw = np.zeros(len(self.papers), dtype=np.float32)
        for term in known:
            start, end = self._ptr[term], self._ptr[term + 1]
            raw[self._docs[start:end]] += self.idf[term] * self._weights[start:end]
        return raw / np.float32(ceiling)


def find_acronyms(papers: Sequence[Paper]) -> dict[str, tuple[str, ...]]:
    """Acronyms the papers define, as stem -> expansion stems ('moe' -> mixtur, expert)."""
    found: dict[str, tuple[str, ...]] = {}
    for paper in papers:
        text = f"{paper.title}. {paper.abstract}"
        for match in _ABBR.finditer(text):
            abbr = match["abbr"]
            words = _words_before(text, match.start())
            expansion = _expansion_for(abbr, words) if words else None
            if expansion and abbr.lower() not in STOP_WORDS:
                stems = tuple(content_stems(" ".join(expansion)))
                if len(stems) > 1:
                    found.setdefault(stem(abbr), stems)
    return found


def _words_before(text: str, end: int) -> list[str]:
    """Up to 8 words right before `end`, each followed by a space or hyphen."""
    start = max(0, end - 200)
    window = text[start:end]
    if not window or window[-1] not in _SEPARATOR_CHARS:
        return []
    tokens = _SEPARATORS.split(window.rstrip(_SEPARATOR_CHARS))
    words: list[str] = []
    for index in range(len(tokens) - 1, -1, -1):
        token = tokens[index]
        if len(words) == MAX_EXPANSION_WORDS or not _WORD.fullmatch(token):
            break
        if index == 0 and start > 0 and text[start - 1] not in _SEPARATOR_CHARS:
            break  # the window cut this word: it is not whole
        words.append(token)
    return words[::-1]


def _expansion_for(abbr: str, words: list[str]) -> list[str] | None:
    letters = abbr.rstrip("s") if len(abbr) > 2 and abbr.endswith("s") else abbr
    letters = "".join(ch for ch in letters if ch.isalpha()).lower()
    for keep_stop_words in (True, False):
        pool = words if keep_stop_words else [w for w in words if w.lower() not in STOP_WORDS]
        candidate = pool[-len(letters) :] if len(pool) >= len(letters) else []
        if candidate and "".join(w[0].lower() for w in candidate) == letters:
            return candidate
    return None


_SPAN_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=8192)
def _word_stems(text: str) -> tuple[tuple[int, int, frozenset[str]], ...]:
    """Each word of `text` with the stems of its parts ("Mixture-of-Experts"): reasons for
    thousands of users quote the same few thousand titles and abstracts."""
    words = []
    for match in _SPAN_WORD.finditer(text):
        parts = [p for p in re.split(r"[-'’]", match.group()) if p]
        stems = frozenset(stem(p) for p in parts if p.lower() not in STOP_WORDS)
        words.append((match.start(), match.end(), stems))
    return tuple(words)


def matched_phrases(text: str, stems: set[str], limit: int = 3) -> list[str]:
    """The words of `text` that matched, merged into phrases as they appear ("Mixture-of-
    Experts Inference"), so a reason quotes the paper rather than the stems."""
    spans: list[tuple[int, int]] = []
    gap_words = 0
    for start, end, word_stems in _word_stems(text):
        hit = not word_stems.isdisjoint(stems)
        if hit and spans and gap_words <= 1 and _only_stop_words(text[spans[-1][1] : start]):
            spans[-1] = (spans[-1][0], end)
        elif hit:
            spans.append((start, end))
        gap_words = 0 if hit else gap_words + 1
    kept: list[str] = []
    phrases = (_short(text[s:e]) for s, e in spans)
    for phrase in sorted(phrases, key=len, reverse=True):
        if not any(phrase.lower() in longer.lower() for longer in kept):
            kept.append(phrase)
    return kept[:limit]


def _short(phrase: str, limit: int = 80) -> str:
    # A run of matching words can be a whole (odd) abstract: a reason quotes a few words.
    return phrase if len(phrase) <= limit else phrase[:limit].rsplit(" ", 1)[0] + "…"


def _only_stop_words(between: str) -> bool:
    words = _WORD_ONLY.findall(between)
    return len(words) <= 1 and all(w.lower() in STOP_WORDS for w in words)


_WORD_ONLY = re.compile(r"[^\W_]+", re.UNICODE)
