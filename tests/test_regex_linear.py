"""Every regular expression in bot/ and storage/ runs in linear time, whatever text it meets.

How the patterns are found, so that a new one cannot slip by: the source of every module
under bot/ and storage/ is parsed and every call `re.compile / search / match / fullmatch /
findall / finditer / split / sub / subn (PATTERN, …)` is collected; PATTERN and its flags
are evaluated in the module's own namespace (so patterns built from constants, like the
ordinal words, are seen as compiled). Each is named `module:NAME`, NAME being the
module-level name it is assigned to, or the function it is used in (`#2`, `#3` for a
function's later ones). CASES holds a worst-case input for each name, and a pattern without
one fails `test_every_pattern_has_an_adversarial_case`: a new pattern needs a case here
(the shape that would make it backtrack: a long run its quantifiers both accept, a prefix
repeated so that every start scans the rest, text that almost matches).

Each case grows to ~100 KB, and every pattern also meets a few shapes that commonly break
patterns; every match over them (finditer: every start position, the superset of what
search, split and sub do; match and fullmatch where the call is one) must take well under a
second of CPU. A quadratic pattern takes minutes on 100 KB, a linear one milliseconds; the
input grows in stages (2 KB, 10 KB, 100 KB) so that a quadratic one fails in a second
rather than hanging the suite, and CPU time, not wall time, is measured, so a busy machine
does not fail it.
"""

from __future__ import annotations

import ast
import importlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Where a call's flags are, by position, when not given as flags=.
FLAGS_AT = {"compile": 1, "search": 2, "match": 2, "fullmatch": 2, "findall": 2}
FLAGS_AT |= {"finditer": 2, "split": 3, "sub": 4, "subn": 4}
STAGES = ((2_000, 0.1), (10_000, 0.1), (100_000, 1.0))  # characters, CPU seconds at most

Build = Callable[[int], str]


def rep(unit: str, head: str = "", tail: str = "") -> Build:
    """head + unit repeated to about n characters + tail."""
    return lambda n: head + unit * max(1, n // len(unit)) + tail


SPACES = rep(" ", "x", "y")  # a run of spaces between two words
# Shapes that commonly break patterns; every pattern meets them all.
COMMON: tuple[Build, ...] = (
    rep(" ", "", "x"),
    rep("a-", "", "!"),
    rep("<"),
    rep("1"),
    rep("\n", "", "x"),
    rep("a ", "", "\nx?"),
    rep("?", "x", "y"),
)

CASES: dict[str, tuple[Build, ...]] = {
    # bot.answers
    "bot.answers.checks:_NEGATION": (rep("nothin"), rep("n'")),
    "bot.answers.cited:CITATION": (rep("[1 §"), rep("[1 p. ")),
    "bot.answers.compare:ASPECTS": (rep("we "), rep("challen")),
    "bot.answers.compare:ASPECTS#2": (rep("we "), rep("we propos")),
    "bot.answers.compare:ASPECTS#3": (rep("trained "), rep("sentence ")),
    "bot.answers.compare:ASPECTS#4": (rep("state-of-the-"), rep("%")),
    "bot.answers.compare:COMPARING": (rep("vs"), rep("differ")),
    "bot.answers.compare:_LINE": (
        rep(" ", "Problem | 1 | x", "y"),
        rep("x ", "Problem | 1 | ", "\ny"),
    ),
    "bot.answers.sets:SAVED": (
        rep(" ", "my", "x"),
        rep(" ", "papers i", "x"),
        rep("a ", "which "),
        rep("which a "),
        rep("ich "),
        rep(" ", "ich", "gespeichert"),
    ),
    "bot.answers.sets:LIBRARY": (rep(" ", "my", "x"),),
    "bot.answers.sets:WINDOW": (rep(" ", "this", "x"),),
    "bot.answers.sets:SENT_LATELY": (rep(" ", "my recent", "x"), rep(" ", "have i", "x")),
    "bot.answers.retrieve:_SENT_ME": (
        rep("the paper about x you sent ", "", "\nx"),
        rep(" ", "the paper about x", "y"),
        rep("the paper about "),
    ),
    "bot.answers.scope:_WHICH": (
        rep("use ", "which ", "\nx"),
        rep("?", "which use x", "y"),
        rep(" ", "which use", "?"),
        rep("x ", "which "),
    ),
    "bot.answers.scope:_ANY_OF": (
        rep("about ", "any of these ", "\nx"),
        rep(" ", "any of them about", "?"),
        rep("x ", "any of these "),
    ),
    "bot.answers.scope:_GOT_ANY": (
        rep("a ", "have i got any ", "\nx"),
        rep("a", "have i got any "),
        rep(" ", "did you send me any", "?"),
    ),
    "bot.answers.scope:_CUALES": (
        rep("usa ", "cuales de los ", "\nx"),
        rep(" ", "cuales de los usan", "?"),
    ),
    "bot.answers.scope:_LESQUELS": (
        rep("parle de ", "parmi x, lesquels ", "\nx"),
        rep("parmi ", "parmi "),
        rep(" ", "lesquels utilisent", "?"),
    ),
    "bot.answers.scope:_WELCHE": (
        rep("nutzen ", "welche der ", "\nx"),
        rep(" ", "welche davon nutzen", "?"),
    ),
    "bot.answers.scope:_terms": (rep("a1"),),
    "bot.answers.facts:_AUTHORS": (
        rep(" ", "who", "x"),
        rep("authors "),
        rep(" ", "wer hat", "x"),
        rep("-", "", "authors x"),
    ),
    "bot.answers.facts:_CODE_WORDS": (rep(" ", "code", "x"),),
    "bot.answers.facts:_LINK": (rep(" ", "where can i", "x"), rep(" ", "arxiv", "x")),
    "bot.answers.facts:_DATE": (
        rep(" ", "when was", "x"),
        rep("when was "),
        rep(" ", "wann wurde", "x"),
        rep(" ", "quand", "x"),
    ),
    "bot.answers.facts:_READ_FIRST": (
        rep(" ", "which", "x"),
        rep("which "),
        rep(" ", "what is the", "x"),
        rep(" ", "welches", "x"),
    ),
    "bot.answers.ellipsis:_FOLLOW_UP": (rep(" ", "and", "x"), rep("and "), rep("!", "what about ")),
    "bot.answers.ellipsis:_ASKS": (rep(" ", "how", "x"),),
    "bot.assistant.intent_llm:_ASKS": (rep(" ", "how", "x"), rep("!")),
    "bot.answers.facts:_CITE": (rep(" ", "how do", "x"), rep(" ", "bib", "x")),
    "bot.answers.scope:_evidence": (rep(" ", ".", "a"), rep(". ")),
    "bot.answers.asking:Asked.phrase": (rep("x"),),
    "bot.answers.asking:_HARDWARE": (rep(" ", "which", "x"), rep(" ", "which kind", "x")),
    "bot.answers.asking:_QUANTITY": (rep(" ", "wie", "x"), rep(" ", "how", "x")),
    "bot.answers.asking:_GREETING": (rep(" ", "good", "x"), rep(" ", "buenos", "x")),
    "bot.answers.asking:_OPEN_SOURCE": (rep(" ", "open", "x"), rep("open-")),
    "bot.answers.extract:_FIGURE": (rep("1"), rep("1.1"), rep("1 ")),
    "bot.answers.asking:_TIME": (rep("how long ", "", "\nx"), rep(" ", "wie", "x")),
    "bot.answers.asking:_HOW_LONG": (rep(" ", "how", "x"),),
    "bot.answers.asking:_TAKES": (rep("tak"),),
    "bot.answers.checks:_NOT_IN_PAPER": (rep(" ", "", "NOT_IN_PAPER"), rep("x", "NOT_IN_PAPER: ")),
    "bot.answers.extract:_NOVEL": (rep("firs"),),
    "bot.answers.extract:_METHOD": (rep("we "), rep(" ", "by", "x")),
    "bot.answers.extract:_NAMED": (rep("a", "x A", "!"), rep("Aa-"), rep("A")),
    "bot.answers.refusal:sections_read": (rep(" ", "Appendix", "x"),),
    "bot.answers.support:NUMBER": (rep(" ", "1", "y"), rep("1.1,"), rep("a1")),
    "bot.answers.support:_NOT_A_QUANTITY": (rep(" ", "table", "x"),),
    "bot.answers.support:UNIT_CUES": (rep("$ "), rep(" ", "1", "x")),
    "bot.answers.support:UNIT_CUES#2": (rep(" ", "1", "x"), rep("1.,"), rep("1 - ")),
    "bot.answers.support:HARDWARE": (rep("A1"), rep("x", "Titan ")),
    "bot.answers.support:LIMITATION": (rep("limit"),),
    "bot.answers.support:STRONG_LIMITATION": (rep("limited "),),
    "bot.answers.support:CODE": (rep("code "), rep("code x")),
    "bot.answers.support:RESULT": (rep("a", "outperform"),),
    "bot.answers.support:METHOD_STATEMENT": (rep(" ", "we", "x"),),
    "bot.answers.support:_unit_phrase": (rep("a"), SPACES),
    "bot.answers.support:_number_phrase": (rep(" ", "how many", "1"),),
    "bot.answers.support:_ACRONYM": (rep("a"), rep("aA"), rep("AAAAAAAs")),
    "bot.answers.support:_initials": (rep("a1"),),
    "bot.answers.asking:_WORD": (rep("a1"),),
    "bot.answers.refer:_BACK": (rep(" ", "l'", "x"), rep(" ", "the", "x")),
    "bot.answers.refer:_COMPARE_BARE": (rep(" ", "compare 1", "x"), rep(" ", "compare", "x")),
    "bot.answers.refer:_HASH": (rep("#"), rep(" ", "#", "x")),
    "bot.answers.refer:_NUMBERED": (rep(" , 1", "paper 1", "1x"), rep(" ", "paper", "x")),
    "bot.answers.refer:_ORDINAL": (rep(" ", "the first", "x"), rep("the first ")),
    "bot.answers.refer:_PLURAL": (rep("the"),),
    "bot.answers.resolve:_misspelt": (rep("a-"), rep("a ")),
    "bot.answers.refer:_LEADING_BARE": (
        rep(" ", "nr", "x"),
        rep(" ", "et", "x"),
        rep("1", "le ", "x"),
        rep(" ", "le 1", "x"),
    ),
    "bot.answers.refer:_EVERY": (
        rep(" ", "all", "x"),
        rep(" ", "all of", "x"),
        rep(" ", "every", "x"),
        rep(" ", "todos los", "x"),
    ),
    "bot.answers.refer:_TRAILING_BARE": (rep(" ", "in 1", "x"), rep("in 1 ", "", "x")),
    "bot.answers.refer:_blank": (rep("compar"),),
    "bot.answers.refer:pointing": (rep("1"),),
    # bot.assistant
    "bot.sources.bibtex:_UNSAFE": (rep("{"), rep("\\")),
    "bot.sources.bibtex:_KEY_WORD": (rep("\\abcd"), rep("a")),
    "bot.sources.bibtex:cite_key": (rep("!"),),
    "bot.assistant.intents:_LEAD": (rep("ok "), rep(" ", "can", "x")),
    "bot.assistant.intents:_NUMBERED": (rep(" ", "paper", "x"), rep("p")),
    "bot.assistant.intents:_ORDINAL": (rep("firs"),),
    "bot.assistant.intents:_LAST_ONE": (rep("las"),),
    "bot.assistant.intents:_BACK": (rep(" ", "this", "x"),),
    "bot.assistant.intents:_TIME": (rep(" ", "1", "x"), rep("12:")),
    "bot.assistant.intents:_QUESTION_START": (rep(" ", "tell", "x"),),
    "bot.assistant.intents:normalise": (rep("abcd "), rep("a/")),
    "bot.assistant.intents:normalise#2": (rep("abcd "), rep("a")),
    "bot.assistant.intents:_smalltalk": (rep("1"),),
    "bot.assistant.intents:_smalltalk#2": (rep("1"),),
    "bot.assistant.intents:_smalltalk#3": (rep("b"),),
    "bot.assistant.intents:_why": (rep("a", "why"),),
    "bot.assistant.intents:_why#2": (rep("pic"),),
    "bot.assistant.intents:_more_like": (rep(" ", "more", "x"), rep("more x ")),
    "bot.assistant.intents:_more_like#2": (rep("a-", "", "!"), rep(" ", "the", "x")),
    "bot.assistant.intents:_unsave": (rep("save"),),
    "bot.assistant.intents:_unsave#2": (rep("a", "remove"),),
    "bot.assistant.intents:_save": (rep("a", "speicher", "!"),),
    "bot.assistant.intents:_not_interested": (
        rep(" ", "keine", "x"),
        rep(" ", "no mas", ""),
        rep("less "),
    ),
    "bot.assistant.intents:_not_interested#2": (rep(" ", "papers", "x"),),
    "bot.assistant.intents:_not_interested#3": (SPACES,),
    "bot.assistant.intents:_unfollow": (rep(" ", "remove", "x"),),
    "bot.assistant.intents:_unfollow#2": (rep(" ", "drop", "x"),),
    "bot.assistant.intents:_unfollow#3": (
        rep("nimm ", "", "\nx"),
        rep("12:", "", "!"),
        rep("a-", "", " !"),
        SPACES,
    ),
    "bot.assistant.intents:_unfollow#4": (rep(" ", "", "!"),),
    "bot.assistant.intents:_follow": (rep(" ", "add", "x"),),
    "bot.assistant.intents:_follow#3": (rep(" ", "replace", "x"), rep("replace a ", "", "with")),
    "bot.assistant.intents:_BARE_WHY": (rep(" ", "why", "x"), rep("?")),
    "bot.assistant.intents:_NAME_WORD": (rep("a-"), rep("-"), rep("a_")),
    "bot.assistant.intents:_POLITE_REQUEST": (rep(" ", "would", "x"), rep(" ", "i'd", "x")),
    "bot.assistant.intents:_WHY_PICKED": (rep(" ", "why", "x"), rep("why ")),
    "bot.assistant.intents:_follow#2": (
        rep("i'm into ", "", "\nx"),
        rep("papers "),
        rep("a-", "", "!"),
        rep("12:", "", "x"),
    ),
    "bot.assistant.intents:_timezone": (rep(" ", "timezone", "!"),),
    "bot.assistant.intents:_timezone#2": (rep(" ", "moved to", "\n"),),
    "bot.assistant.intents:_timezone#3": (rep(" ", "", "x"), SPACES),
    "bot.assistant.intents:_time": (rep("x", "schick"),),
    "bot.assistant.intents:_command_in_words": (rep("a1"), rep(" ", "help", "!")),
    "bot.assistant.intents:_THE_NAMED_ONE": (rep(" ", "the", "x"), rep("a", "the ", "x")),
    "bot.assistant.intents:_HOUR_AFTER": (rep(" ", "at", "x"),),
    "bot.assistant.intents:_HOUR_AFTER_TO": (rep(" ", "to", "x"),),
    "bot.assistant.intents:_TIME_WORD": (rep(" ", "my", "x"), rep("digest ")),
    "bot.assistant.intents:_PAPER_COUNT": (
        rep(" ", "only", "x"),
        rep("1", "only ", "x"),
        rep(" ", "send me 3", "x"),
        rep("1 papers "),
    ),
    "bot.assistant.intents:_FEWER_OR_MORE": (
        rep(" ", "fewer", "x"),
        rep(" ", "too many papers", "x"),
        rep("please "),
    ),
    "bot.assistant.intent_llm:_slot": (rep("1"), rep("1 ")),
    "bot.assistant.pausing:_FOR": (rep("1"), rep(" ", "a", "x"), rep(" ", "1 of", "x")),
    "bot.assistant.pausing:_UNTIL": (rep(" ", "until", "1"), rep(" ", "until next", "x")),
    "bot.assistant.pausing:_until": (rep("1"),),
    "bot.assistant.pausing:pause_until": (rep(" ", "next", "x"),),
    "bot.assistant.pausing:pause_until#2": (rep("1"), rep(" ", "1", "x")),
    "bot.assistant.intents:_pause_resume": (rep(" ", "start", "x"),),
    "bot.assistant.intents:_pause_resume#2": (rep(" ", "stop", "x"),),
    "bot.assistant.intents:_digest": (rep(" ", "send", "x"), rep(" ", "send me the", "x")),
    "bot.assistant.intents:_bare_topic": (rep("sto"),),
    "bot.assistant.intents:_bare_topic#2": (rep(" ", "more", "x"),),
    "bot.assistant.intents:_papers": (rep("uno"),),
    "bot.assistant.intents:_topic": (rep(" ", "", "x"), SPACES),
    "bot.assistant.intents:_topic#2": (rep(" ", "the", "x"), rep("the ")),
    "bot.assistant.intents:_topic#3": (SPACES,),
    "bot.assistant.intents:_has": (rep("a"),),
    "bot.assistant.intents:_NEGATED": (rep(" ", "no", "x"), rep("no x ")),
    "bot.assistant.intents:_UNDO": (rep("no "), rep(" ", "wait", "x")),
    "bot.assistant.intents:_WONDERING": (rep("whethe"),),
    "bot.assistant.intents:_NAMED_FIRST": (rep(" ", "paper", "x"), rep(" ", "#1", "x")),
    "bot.assistant.intents:_SAYS_OF_A_PAPER": (rep(" ", "paper 1", "x"),),
    "bot.assistant.intents:_RATED_DOWN": (
        rep(" ", "don't", "x"),
        rep(" ", "not very", "x"),
        rep(" ", "thumbs", "x"),
    ),
    "bot.assistant.intents:_RATED_UP": (rep(" ", "thumbs", "x"), rep(" ", "spot", "x")),
    "bot.assistant.intents:_RATED_WITHOUT_PAPER": (rep(" ", "not this", "x"),),
    "bot.assistant.intents:_why#3": (rep("?", "why", "x"),),
    "bot.assistant.intents:_save#2": (rep(" ", "save", "x"), rep("save.")),
    "bot.assistant.intents:_save#3": (rep(" ", "save", "x"), rep(" ", "set", "x")),
    "bot.assistant.intents:_ASKS_ABOUT_THEM": (rep("each "),),
    "bot.assistant.intents:_ABOUT_THE_BOT": (rep(" ", "are you", "x"), rep("x ", "are you ")),
    "bot.assistant.intents:_greeting_led": (rep("a"),),
    "bot.assistant.intents:_bare_numbers": (rep("1 "), rep("1:")),
    "bot.assistant.requests:_smalltalk": (rep("than"),),
    "bot.assistant.requests:_mentions": (rep("keep "), rep("a", "keep")),
    "bot.assistant.requests:_mentions#2": (rep("a"),),
    "bot.assistant.requests:_names": (rep("a"),),
    # bot.cli, bot.config, bot.digests
    "bot.cli.terminal:REPLY": (rep(" ", "@1", ""),),
    "bot.cli.terminal:BUTTON": (rep("1", "b", "x"), rep("1", "b1.", "x")),
    "bot.cli.chat:_DATED": (rep("1"),),
    "bot.cli.group_chat:_SPEAKER": (rep(" ", "@ada:", "x"), rep("@ada:")),
    "bot.cli.group_chat:_MENTION": (rep("@paperboy_bo"), rep("@")),
    "bot.config:BOT_TOKEN": (rep("1"), rep("a", "12345:", "!")),
    "bot.config:_webhook_secret": (rep("a", "", "!"),),
    "bot.digests.schedule:_TIME": (rep(" ", "1", "x"),),
    # bot.fulltext
    "bot.fulltext.html_text:_SPACE": (rep(" "),),
    "bot.fulltext.pdf_text:_HEADING": (rep(" ", "1", "x"), rep("1.1.")),
    "bot.fulltext.pdf_text:_REFERENCES": (rep(" ", "1", "x"),),
    "bot.fulltext.pdf_text:_flush": (rep("a- "),),
    # bot.llm, bot.messages
    "bot.llm:_FENCE": (rep(" ", "", "x"), rep(" ", "```", "x"), rep("x ```")),
    "bot.messages.html:_TAG": (rep("<"), rep("<a")),
    "bot.messages.html:_LINK": (rep('<a href="">', "", "x"), rep('<a href="')),
    # bot.ranking
    "bot.ranking.authors:name_key": (rep(" ."),),
    "bot.ranking.interests:_PREFIX": (rep(" ", "", "x"), rep(" ", "a", "x")),
    "bot.ranking.interests:split_interests": (rep(";"),),
    "bot.ranking.interests:_phrases": (rep("a-"),),
    "bot.ranking.interests:LEAD_IN": (rep("and ", "", "x"), rep(" ", "i", "x")),
    "bot.ranking.interests:SPLIT": (SPACES, rep(" ,"), rep("and ")),
    "bot.ranking.interests:topics_from_sentence": (rep("."),),
    "bot.ranking.lexical:_ABBR": (rep("a", "("), rep("(a")),
    "bot.ranking.lexical:_WORD": (rep("'"),),
    "bot.ranking.lexical:_SEPARATORS": (rep(" -"),),
    "bot.ranking.lexical:_SPAN_WORD": (rep("a-", "", "-"), rep("a'")),
    "bot.ranking.lexical:_word_stems": (rep("-"),),
    "bot.ranking.lexical:_WORD_ONLY": (rep("_"),),
    # bot.sources
    "bot.sources.arxiv_ids:ARXIV_ID": (rep("a-", "", "!"),),
    "bot.sources.arxiv_xml:_ABSTRACT": (rep("x", " arXiv:", " "), rep(" ", "arXiv:x ", "")),
    "bot.sources.arxiv_xml:_ID_IN_URL": (rep("abs/", "", " "), rep("arXiv:", "", "?")),
    "bot.sources.arxiv_xml:_AUTHOR_SPLIT": (SPACES, rep(" and"), rep(", ")),
    "bot.sources.arxiv_xml:_CATEGORY": (rep("a-a"),),
    "bot.sources.arxiv_xml:_root": (rep(" ", "<!", "x"), rep("<! ")),
    "bot.sources.bibliography:ARXIV_IN_TEXT": (
        rep("a-", "", "!"),
        rep("hep-th"),
        rep(" ", "arxiv:", "x"),
        rep("1", "1234.5678v", "x"),
    ),
    "bot.sources.bibliography:_BIB_BLOCK": (rep("a", "@"), rep("@a ")),
    "bot.sources.bibliography:_BIB_KEY": (rep("b", "@a{"), rep("@a{b ")),
    "bot.sources.bibliography:_RIS_START": (rep("TY  -"),),
    "bot.sources.bibliography:_YEAR": (rep("1"),),
    "bot.sources.bibliography:_papers": (rep(" "),),
    "bot.sources.latex:_TOKEN": (rep("\\"), rep("{"), rep("\\a{")),
    "bot.telegram.webhook:_LENGTH": (rep("1", "", "x"),),
    # bot.text, bot.writing, storage
    "bot.text:_WORD": (rep("_"),),
    "bot.text:_ANSI": (rep("0", "\x1b[", "\x01"), rep("a", "\x1b]"), rep("\x1b[")),
    "bot.writing.extractive:_SENTENCE_END": (rep(" ", ".", "a"),),
    "bot.writing.extractive:_CONTRIBUTION": (rep("we "), rep("our ")),
    "bot.writing.grounding:_URL": (rep("http"),),
    "bot.writing.grounding:_NAME": (rep(" ", "", "x"),),
    "bot.writing.summaries:_FENCE": (rep(" ", "<", "x"), rep("</ ")),
    "storage.papers:_WORD": (rep("_"),),
}


@dataclass(frozen=True)
class Found:
    name: str  # module:NAME
    pattern: re.Pattern[Any] | None  # None when it could not be built (see error)
    method: str  # how it is applied when it is a bare call (match, fullmatch), else finditer
    literal: bool = True  # written as a string literal, not built from constants
    error: str = ""


def _calls(tree: ast.Module) -> Iterator[tuple[str, ast.Call]]:
    """Each `re.<fn>(…)` call with the module-level name or the function it sits in."""

    def visit(node: ast.AST, where: str | None) -> Iterator[tuple[str, ast.Call]]:
        for child in ast.iter_child_nodes(node):
            here = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                here = child.name if where is None else f"{where}.{child.name}"
            elif where is None and isinstance(child, ast.Assign | ast.AnnAssign):
                target = child.targets[0] if isinstance(child, ast.Assign) else child.target
                here = target.id if isinstance(target, ast.Name) else None
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and isinstance(child.func.value, ast.Name)
                and child.func.value.id == "re"
                and child.func.attr in FLAGS_AT
            ):
                yield here or "<module>", child
            yield from visit(child, here)

    yield from visit(tree, None)


def _evaluate(node: ast.expr | None, namespace: dict[str, Any], path: Path) -> Any:
    if node is None:
        return 0
    expression = ast.Expression(node)
    ast.fix_missing_locations(expression)
    return eval(compile(expression, str(path), "eval"), namespace)


def collect() -> list[Found]:
    found: dict[str, Found] = {}
    for path in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("storage/**/*.py")]):
        source = path.read_text()
        if "re." not in source:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        calls = list(_calls(ast.parse(source)))
        if not calls:
            continue
        try:
            namespace = vars(importlib.import_module(module))
        except Exception:  # a module that does not import: its literal patterns still count
            namespace = {"re": re}
        for where, call in calls:
            name, n = f"{module}:{where}", 2
            while name in found:
                name, n = f"{module}:{where}#{n}", n + 1
            method = call.func.attr  # type: ignore[attr-defined]
            method = method if "match" in method else "finditer"
            at = FLAGS_AT[call.func.attr]  # type: ignore[attr-defined]
            flags = call.args[at] if len(call.args) > at else None
            flags = next((k.value for k in call.keywords if k.arg == "flags"), flags)
            try:
                pattern = re.compile(
                    _evaluate(call.args[0], namespace, path), _evaluate(flags, namespace, path)
                )
            except Exception as exc:
                found[name] = Found(name, None, method, f"cannot build it: {exc!r}")
                continue
            literal = isinstance(call.args[0], ast.Constant)
            found[name] = Found(name, pattern, method, literal)
    return list(found.values())


PATTERNS = collect()


def test_the_collection_sees_the_patterns() -> None:
    names = {f.name for f in PATTERNS}
    assert "bot.sources.bibliography:ARXIV_IN_TEXT" in names
    assert any(not f.literal for f in PATTERNS)  # e.g. built from a dict's keys
    assert len(names) >= 60


def test_every_pattern_has_an_adversarial_case() -> None:
    missing = sorted(f.name for f in PATTERNS if f.name not in CASES)
    assert not missing, (
        "give each new regular expression a worst-case input in CASES "
        f"(tests/test_regex_linear.py): {missing}"
    )


@pytest.mark.parametrize("found", PATTERNS, ids=lambda f: f.name)
def test_pattern_runs_in_linear_time(found: Found) -> None:
    assert found.pattern is not None, found.error
    run, as_bytes = _runner(found.pattern, found.method), isinstance(found.pattern.pattern, bytes)
    for build in (*CASES.get(found.name, ()), *COMMON):
        for size, bound in STAGES:
            text = build(size)
            subject: str | bytes = text.encode("latin-1") if as_bytes else text
            start = time.process_time()
            run(subject)
            spent = time.process_time() - start
            assert spent < bound, (
                f"{found.name} took {spent:.2f} s of CPU on {len(text):,} characters like "
                f"{text[:30]!r}…: super-linear backtracking"
            )


def _runner(pattern: re.Pattern[Any], method: str) -> Callable[[Any], object]:
    if method == "match":
        return pattern.match
    if method == "fullmatch":
        return pattern.fullmatch
    return lambda text: sum(1 for _ in pattern.finditer(text))
