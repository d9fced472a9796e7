"""Which of a set of papers mention a topic: "which of these use LoRA?" about a digest, and
"which of my saved papers is about X?", each answered with its evidence sentence. (Whether
a paper says what a question asks is bot/answers/support.py.)"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answers.asking import fold
from bot.answers.vocabulary import GLOSSARY
from bot.text import content_stems
from storage.papers import Paper

# "which of these use LoRA?", "which papers mention GPUs?", "which of them are about RL?"
_WHICH = re.compile(
    # One line only, checked once up front; the topic is greedy to its last word, so each
    # verb tried costs no rescan of the rest (linear time).
    # "which of these / ones / papers … use X", or "which use X": not "which codewords did
    # they use in the game" (a question about one paper's codewords).
    r"^\s*which(?=.*$)\s+(?:(?:of\s+)?(?:(?:my|the|today'?s|yesterday'?s|this\s+week'?s)\s+)?"
    r"(?:(?:saved|starred|imported)\s+)?(?:these|those|them|papers?|ones?|library|digests?)"
    r"\b.*?\b)?"
    r"(?:use|uses|using|mention|mentions|discuss|discusses|about|cover|covers|study|studies|"
    r"is\s+about|are\s+about)"
    r"\s+(?P<topic>[^?.!\s](?:.*[^?.!\s])?)[?.!\s]*$",
    re.IGNORECASE,
)


# The same asked other ways, on the folded question: "any of these about RL?", "do any of
# them use LoRA", "¿cuáles de los cinco de hoy tratan de X?", "lesquels parlent de X ?",
# "welche davon behandeln X?". Each is anchored at the start and its topic runs greedily to
# the end, as above.
_TOPIC = r"(?:\s+|(?<='))(?P<topic>[^?.!\s](?:.*[^?.!\s])?)[?.!\s]*$"
_ANY_OF = re.compile(
    r"^\s*(?:(?:are|is|do|does)\s+)?(?:there\s+)?any(?=.*$)(?:\s+ones?)?\s+of\s+"
    r"(?:these|those|them|today'?s|the\s+(?:papers|ones|five))\b.*?"
    r"\b(?:use|uses|using|mention|mentions|discuss|discusses|about|on|cover|covers)" + _TOPIC,
    re.IGNORECASE,
)
# "have I gotten any speculative decoding papers lately?", "did you send me anything on RL"
_GOT_ANY = re.compile(
    r"^\s*(?:have|did)\s+(?:i|you)\s+(?:gotten|got|get|received|receive|sen[dt]\s+me)\s+"
    r"any(?:thing)?\s+(?:(?:new\s+)?papers?\s+)?(?:(?:about|on)\s+)?"
    r"(?P<topic>[^?.!\s](?:[^?.!]{0,80}?[^?.!\s])?)"
    r"(?=\s+(?:papers?|in|lately|recently|this|last|from)\b|\s*[?.!]|\s*$)",
    re.IGNORECASE,
)
_CUALES = re.compile(
    r"^\s*(?:¿\s*)?(?:cual(?:es)?|que)(?=.*$)\s+(?:de\s+)?(?:estos|esos|ellos|los|las)\b.*?"
    r"\b(?:(?:trata|tratan|habla|hablan)\s+(?:de|sobre)|usa|usan|utiliza|utilizan|"
    r"menciona|mencionan|(?:es|son)\s+sobre)" + _TOPIC,
    re.IGNORECASE,
)
_LESQUELS = re.compile(
    r"^\s*(?:parmi\b.*?,\s*)?(?:lesquel(?:le)?s?|lequel|laquelle)(?=.*$)\b.*?"
    r"\b(?:(?:parlent|parle|traitent|traite|portent|porte)\s+(?:de|d'|du|des|sur)|"
    r"utilisent|utilise|mentionnent|mentionne)" + _TOPIC,
    re.IGNORECASE,
)
_WELCHE = re.compile(
    r"^\s*welche[srnm]?(?=.*$)\s+(?:der|von|davon|dieser)\b.*?"
    r"\b(?:behandeln|behandelt|nutzen|nutzt|verwenden|verwendet|erwahnen|erwahnt|"
    r"(?:handeln|handelt|geht\s+es)\s+(?:von|um)|sind\s+uber|ist\s+uber)" + _TOPIC,
    re.IGNORECASE,
)


def which_topic(question: str) -> str | None:
    """The topic of a "which of these use X?" question, or None."""
    match = _WHICH.match(question)
    if match is None:
        folded = fold(question)  # same length: the topic is cut from the question as typed
        match = next(
            filter(
                None, (p.match(folded) for p in (_ANY_OF, _GOT_ANY, _CUALES, _LESQUELS, _WELCHE))
            ),
            None,
        )
    if match is None:
        return None
    topic = question[match.start("topic") : match.end("topic")].strip()
    return topic if _terms(topic) - _NOT_A_TOPIC else None  # "did I get any new papers"


_NOT_A_TOPIC = frozenset(
    content_stems("new papers article articles interesting good cool relevant recent stuff")
)


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


LISTED = 10  # papers a listing names; /saved and /library page through the rest


def listing(papers: Sequence[Paper], command: str) -> tuple[str, list[Paper]]:
    """One of the reader's sets itself ("which papers have I saved?"): the newest LISTED,
    cited so each is linked, and the command that lists and manages them all."""
    shown = list(papers[:LISTED])
    marks = ", ".join(f"[{i}]" for i in range(1, len(shown) + 1))
    count = f"{len(papers)} paper{'s' if len(papers) != 1 else ''}"
    more = f", the newest {len(shown)} here" if len(papers) > len(shown) else ""
    return f"{count}{more}: {marks}. {command} lists them all.", shown


def _mentions(topic: str, papers: Sequence[Paper]) -> dict[int, str]:
    """Index -> evidence sentence of the papers that mention the topic (title or abstract):
    each word of a topic of one or two words ("reinforcement learning" is not "machine
    learning"), two thirds of a longer one's."""
    wanted = _terms(topic)
    needed = len(wanted) if len(wanted) <= 2 else -(-2 * len(wanted) // 3)
    found = {}
    for i, paper in enumerate(papers):
        best, overlap = _evidence(paper, wanted)
        if wanted and overlap >= needed:
            found[i] = best
    return found


def _evidence(paper: Paper, wanted: set[str]) -> tuple[str, int]:
    sentences = [paper.title, *re.split(r"(?<=[.!?])\s+", paper.abstract)]
    scored = [(len(wanted & _terms(s)), s) for s in sentences if s.strip()]
    overlap, best = max(scored, key=lambda pair: pair[0]) if scored else (0, "")
    return best[:400], overlap


def _terms(text: str) -> set[str]:
    # A topic asked in German, Spanish or French is looked for in English words.
    english = " ".join(GLOSSARY.get(w, w) for w in re.findall(r"[^\W\d_]+", fold(text)))
    # The stemmer keeps the plural of an acronym ("GPUs" -> "gpus"): fold it to "gpu".
    return {t[:-1] if t.endswith("s") and len(t) > 3 else t for t in content_stems(english)}


def _papers(numbers: Sequence[int]) -> str:
    shown = " and ".join(", ".join(map(str, numbers)).rsplit(", ", 1))
    return f"Paper{'s' if len(numbers) > 1 else ''} {shown}"
