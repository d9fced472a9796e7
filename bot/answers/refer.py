"""How a question points at papers, from its words alone: digest numbers ("paper 2",
"papers 1 and 3", "p2", "#3", "paper no. 2", "the second one", "the 2nd paper", "the last
one", "compare 1 and 3", "l'article 1", "el paper 3") and words that point back at the
papers of the last answer ("it", "this paper", "that one", "they"). Every pattern runs on
one question of bounded length and is linear."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text import fold

LAST = -1  # "the last one": the digest's last paper, whatever its length
MAX_CHARS = 2000

_ORDINALS = {
    **dict.fromkeys(("first", "1st", "erste", "ersten", "erstes", "primer", "primero",
                     "primera", "premier", "premiere"), 1),
    **dict.fromkeys(("second", "2nd", "zweite", "zweiten", "zweites", "segundo", "segunda",
                     "deuxieme", "seconde"), 2),
    **dict.fromkeys(("third", "3rd", "dritte", "dritten", "drittes", "tercer", "tercero",
                     "tercera", "troisieme"), 3),
    **dict.fromkeys(("fourth", "4th", "vierte", "vierten", "viertes", "cuarto", "cuarta",
                     "quatrieme"), 4),
    **dict.fromkeys(("fifth", "5th", "funfte", "funften", "funftes", "quinto", "quinta",
                     "cinquieme"), 5),
    **dict.fromkeys(("sixth", "6th", "sechste", "sexto", "sexta", "sixieme"), 6),
    **dict.fromkeys(("seventh", "7th"), 7),
    **dict.fromkeys(("eighth", "8th"), 8),
    **dict.fromkeys(("ninth", "9th"), 9),
    **dict.fromkeys(("tenth", "10th"), 10),
    **dict.fromkeys(("last", "letzte", "letzten", "letztes", "ultimo", "ultima", "dernier",
                     "derniere"), LAST),
}  # fmt: skip
_ORD = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_NOUN = r"(?:papers?|papiers?|articles?|articulos?|artikel|studie|study|estudio|etude|pub)"
_NUMBER_WORD = r"(?:(?:no|nr|n°|num|number|nummer|numero)\.?\s*)?#?"
_JOIN = r"\s*(?:,|&|\+|and|or|und|oder|y|e|et|ou|vs\.?)\s*"
_NUMBERED = re.compile(
    rf"\b{_NOUN}\s*({_NUMBER_WORD}\d{{1,2}}(?:{_JOIN}#?\d{{1,2}})*)\b", re.IGNORECASE
)
_HASH = re.compile(r"(?<![\w#])#\s?(\d{1,2})\b|\bp(\d{1,2})\b", re.IGNORECASE)
_ARTICLE = r"(?:the|das|die|der|den|dem|el|la|le|and|und|y|et|&)"
_ORDINAL = re.compile(
    rf"\b(?:{_ARTICLE}\s+({_ORD})(?=\s*(?:{_NOUN}|ones?|and|or|und|y|et|,|vs|[?!.]|$))|"
    rf"({_ORD})\s+(?:{_NOUN}|ones?|one's)\b)",
    re.IGNORECASE,
)
_COMPARE_BARE = re.compile(
    r"\b(?:compare|comparing|vergleiche?n?|compara|comparar|comparer?)\s+#?(\d)"
    r"\s*(?:and|with|to|vs\.?|und|mit|y|con|et|avec|,|&)\s*#?(\d)\b",
    re.IGNORECASE,
)
# "Nr. 5", "number 2": a digest number without the word paper; "et le 3 ?", "el 2": an
# article before a lone digit at the start (bare numbers: kept only if the digest has them)
_LEADING_BARE = re.compile(
    r"\b(?:nr|num|nummer|numero|number)\.?\s*#?(\d{1,2})\b|"
    r"^(?:(?:et|and|y|und|mais|but|pero)\s+)?(?:le|la|el|der|die|das|the)\s+(\d)(?![\d.,%:])"
    r"(?!\s*(?:x|h|min|days?|jours?|dias?|tage?|papers?|articles?)\b)"
)
_TRAILING_BARE = re.compile(
    r"\b(?:in|of|from|about|for|on|bei|von|en|de|del|dans|du)\s+#?(\d)[\s?!.]*$", re.IGNORECASE
)
_BACK = re.compile(
    r"\b(?:it|its|it's|they|them|their|both)\b|\bthis(?=\s*(?:[?!.,]|$))|"
    r"\b(?:this|that|these|those|the)\s+(?:papers?|ones?|articles?|study|work|approach|"
    r"method|system|model|authors?)\b|"
    r"\b(?:dieses|diese|das)\s+(?:paper|papier|arbeit|artikel|studie)\b|"
    r"\b(?:este|esta|el|ese)\s+(?:paper|articulo|artículo|estudio|trabajo)\b|\bellos\b|"
    r"\b(?:ce|cet|cette|l')\s*(?:papier|article|etude|étude|travail)\b|\b(?:ils|elles)\b",
    re.IGNORECASE,
)
_PLURAL = re.compile(r"\b(?:these|those|they|them|their|both|ellos|ils|elles)\b", re.I)
# "summarize all of them", "tl;dr of every paper", "today's papers": the whole digest
_EVERY = re.compile(
    r"\b(?:all|each|every(?:\s+one)?)\s+(?:(?:of\s+)?(?:them|these|those|the\s+(?:papers|ones|five))|"
    r"(?:the\s+|today'?s\s+|my\s+)?(?:papers?|digest))\b|\b(?:all|alle)\s+(?:five|5|funf)\b|"
    r"\btoday'?s\s+papers\b|\balle\s+(?:paper|artikel)\b|\btodos\s+los\s+(?:papers|articulos)\b|"
    r"\btous\s+les\s+(?:papiers|articles)\b",
    re.I,
)


@dataclass(frozen=True)
class Pointing:
    positions: tuple[int, ...]  # digest numbers named, in order (LAST for "the last one")
    maybe: tuple[int, ...]  # bare numbers ("compare 1 and 3"): positions if the digest has them
    back: bool  # points at the papers of the last answer
    plural: bool  # … at all of them ("they", "both"), not just the first
    every: bool = False  # at every paper of the digest ("all of them", "each paper")


def pointing(question: str) -> Pointing:
    text = fold(question[:MAX_CHARS].lower())
    found: list[int] = []
    for match in _NUMBERED.finditer(text):
        found += [int(n) for n in re.findall(r"\d{1,2}", match.group(1))]
    for match in _HASH.finditer(text):
        found.append(int(match.group(1) or match.group(2)))
    for match in _ORDINAL.finditer(text):
        found.append(_ORDINALS[(match.group(1) or match.group(2)).lower()])
    maybe: list[int] = []
    if not found:
        for pattern in (_COMPARE_BARE, _LEADING_BARE, _TRAILING_BARE):
            bare = pattern.search(text)
            if bare:
                maybe += [int(n) for n in bare.groups() if n]
    rest = without_references(text)
    return Pointing(
        tuple(dict.fromkeys(found)),
        tuple(dict.fromkeys(maybe)),
        _BACK.search(rest) is not None,
        _PLURAL.search(rest) is not None,
        _EVERY.search(rest) is not None,
    )


def without_references(text: str) -> str:
    """`text` with its digest numbers blanked out (same length, so offsets still hold)."""
    text = text[:MAX_CHARS]
    for pattern in (_NUMBERED, _HASH, _ORDINAL, _COMPARE_BARE, _LEADING_BARE, _TRAILING_BARE):
        text = pattern.sub(lambda m: _blank(m), text)
    return text


def _blank(match: re.Match[str]) -> str:
    """Blank the numbers and the words that point, keep the rest (e.g. "compare")."""
    whole = match.group(0)
    keep = re.match(r"(?i)(compare|comparing|vergleiche?n?|compara|comparar|comparer?)", whole)
    if keep:
        return keep.group(0) + " " * (len(whole) - len(keep.group(0)))
    return " " * len(whole)
