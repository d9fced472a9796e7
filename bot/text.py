"""Text normalisation shared by interests, ranking and retrieval: clean, tokenise, stem."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")
# Letters and digits; '_' and punctuation separate words (as SQLite's unicode61 tokenizer does).
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just me more most my no nor not now of off on once only or other our ours out over own
    same she should so some such than that the their theirs them then there these they this
    those through to too under until up very was we were what when where which while who whom
    why will with would you your yours via using use based towards toward new novel approach
    approaches paper papers method methods study work etc vs interest interested topic topics
    anything stuff
    """.split()
)


@dataclass(frozen=True)
class Token:
    stem: str
    surface: str
    position: int


_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def clean_text(text: str) -> str:
    """NFKC-normalise; remove terminal escape sequences, control and invisible format
    characters (a zero-width space inside a word must not split it); collapse whitespace."""
    text = unicodedata.normalize("NFKC", _ANSI.sub("", text))
    kept = (_visible(ch) for ch in text)
    return " ".join("".join(kept).split())


def _visible(ch: str) -> str:
    if unicodedata.category(ch)[0] != "C":
        return ch
    return " " if ch in "\t\n\r\v\f\x1c\x1d\x1e\x1f\x85" else ""


def clip(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut to `limit` characters at a word boundary when there is one nearby, and
    whether it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    space = cut.rfind(" ", limit - 200)
    return (cut[:space] if space > 0 else cut).rstrip() + " …", True


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    folded = fold(word.lower())
    return str(_STEMMER.stemWord(folded))


def fold(word: str) -> str:
    """Strip accents: 'Über' -> 'Uber'."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str, *, keep_stop_words: bool = False) -> list[Token]:
    """Words of `text` in order, stemmed; positions count every word, stop words included,
    so that adjacency ("mixture of experts") survives stop-word removal."""
    tokens = []
    for position, match in enumerate(_WORD.finditer(text)):
        surface = match.group()
        if not keep_stop_words and surface.lower() in STOP_WORDS:
            continue
        tokens.append(Token(stem(surface), surface, position))
    return tokens


def content_stems(text: str) -> list[str]:
    """Stems of the non-stop words of `text`, in order, without duplicates."""
    seen: dict[str, None] = {}
    for token in tokenize(text):
        seen.setdefault(token.stem, None)
    return list(seen)


def one_edit_apart(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by one substitution, insertion, deletion or swap of
    neighbouring letters ("reslt"/"result", "summry"/"summary", "teh"/"the")."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        i, j = diff[0], diff[-1]
        return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]
