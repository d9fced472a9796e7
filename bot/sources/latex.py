"""LaTeX in titles, both ways: `plain_latex` reads a BibTeX value as a title to keep (case-
protecting braces and escapes such as `\\%` go, LaTeX such as `\\textbf{x}` and `$\\alpha$`
stays), `bibtex_value` writes a kept title back as a valid braced BibTeX value. Reading
what was written gives the same title back. Both are linear scans over one tokenizer."""

from __future__ import annotations

import re

# A command (\textbf), a control symbol (\%, \{, \\), a lone trailing backslash, a brace or
# dollar, or a run of anything else: every alternative starts with a different character.
_TOKEN = re.compile(r"\\(?:[A-Za-z]+|.)?|[{}$]|[^\\{}$]+", re.DOTALL)
_ACCENTS = frozenset({'\\"', "\\'", "\\^", "\\`", "\\~", "\\=", "\\."})  # \"{o}
# Written for characters LaTeX would misread; read back as the character.
_WORDS = {
    "\\textasciitilde": "~",
    "\\textasciicircum": "^",
    "\\textbraceleft": "{",
    "\\textbraceright": "}",
    "\\textbackslash": "\\",
}
_SYMBOLS = {"\\%": "%", "\\&": "&", "\\_": "_", "\\#": "#", "\\$": "$", "\\{": "{", "\\}": "}"}
_ALWAYS = {"%": "\\%", "&": "\\&", "#": "\\#"}  # LaTeX comment, alignment, parameter
_TEXT_ONLY = {"_": "\\_", "^": "\\textasciicircum{}", "~": "\\textasciitilde{}"}
LEFT, RIGHT = "\\textbraceleft{}", "\\textbraceright{}"

KEEP, DROP, UNMATCHED = "keep", "drop", "unmatched"


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _math(tokens: list[str]) -> list[bool]:
    """Whether each token is inside $…$; a last unpaired $ opens nothing."""
    dollars = [n for n, t in enumerate(tokens) if t == "$"]
    paired = set(dollars[: len(dollars) // 2 * 2])
    inside, out = False, []
    for n in range(len(tokens)):
        if n in paired:
            inside = not inside
            out.append(True)
        else:
            out.append(inside)
    return out


def _braces(tokens: list[str], math: list[bool]) -> dict[int, str]:
    """Each brace token's part: KEEP (LaTeX syntax: a command's argument, a `{\\it …}`
    group, anything in math), DROP (BibTeX's case protection, or a literal brace) or
    UNMATCHED. A brace group is syntax when opened right after a command or an accent
    (spaces between allowed), after another such group, inside math, or before a command."""
    kinds: dict[int, str] = {}
    stack: list[int] = []
    takes_argument = False  # the last token that is not a space is a command or kept group
    for n, token in enumerate(tokens):
        if token == "{":
            before = n + 1 < len(tokens) and tokens[n + 1].startswith("\\")
            kinds[n] = KEEP if math[n] or takes_argument or before else DROP
            stack.append(n)
        elif token == "}":
            kinds[n] = kinds[stack.pop()] if stack else UNMATCHED
        if not token.isspace():
            takes_argument = _is_command(token) or token in _ACCENTS
            takes_argument |= token == "}" and kinds[n] == KEEP
    for n in stack:
        kinds[n] = UNMATCHED
    return kinds


def _is_command(token: str) -> bool:
    return len(token) > 1 and token[0] == "\\" and token[1].isalpha()


def plain_latex(text: str) -> str:
    """A BibTeX/RIS/CSL value as a title to keep: case-protecting braces and unmatched
    ones go, escapes of plain characters (`\\%`, `\\&`, `\\textasciitilde{}`) become the
    character, other LaTeX stays as written."""
    tokens = _tokens(text)
    kinds = _braces(tokens, _math(tokens))
    out: list[str] = []
    skip = 0
    for n, token in enumerate(tokens):
        if skip:
            skip -= 1
        elif token in _WORDS and tokens[n + 1 : n + 3] == ["{", "}"]:
            out.append(_WORDS[token])
            skip = 2
        elif token in _SYMBOLS:
            out.append(_SYMBOLS[token])
        elif token in ("{", "}"):
            out.append(token if kinds[n] == KEEP else "")
        else:
            out.append(token)
    return "".join(out)


def bibtex_value(text: str) -> str:
    """`text` (a kept title, or a name) as the inside of a braced BibTeX value: its LaTeX
    as it is, braces balanced (a brace that is not LaTeX syntax is written as
    \\textbraceleft{}), and what LaTeX would misread outside commands escaped."""
    tokens = _tokens(" ".join(text.split()))
    math = _math(tokens)
    kinds = _braces(tokens, math)
    out: list[str] = []
    for n, token in enumerate(tokens):
        if token in ("{", "}"):
            literal = kinds[n] != KEEP
            out.append((LEFT if token == "{" else RIGHT) if literal else token)
        elif token == "$":
            out.append("$" if math[n] else "\\$")
        elif token == "\\":  # a lone backslash at the end would escape the closing brace
            out.append("\\textbackslash{}")
        elif token == "\\\\":  # so would a line break before it
            out.append("\\textbackslash{}\\textbackslash{}")
        elif token in ("\\{", "\\}"):  # BibTeX counts escaped braces; biber does not
            out.append(LEFT if token == "\\{" else RIGHT)
        elif token.startswith("\\"):
            out.append(token)
        else:
            out.append(_escaped(token, math[n]))
    return "".join(out)


def _escaped(text: str, in_math: bool) -> str:
    table = _ALWAYS if in_math else {**_ALWAYS, **_TEXT_ONLY}
    return "".join(table.get(ch, ch) for ch in text)
