"""Saying that a paper does not say, in a line: what is missing, in a few words, and what
that rests on: its full text (the sections read) or its abstract only, and why only that.
"Paper 1 does not mention GPU costs (read in full: §1–§7)." / "Paper 3's abstract does not
mention a licence; its full text could not be read." Also the one-line note on an answer
that could only use abstracts."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answers.context import FullTextContext
from bot.sources.arxiv_ids import is_arxiv_id
from bot.text import clip
from storage.papers import Paper
from storage.passages import Passage

TITLE_CHARS = 60


def name_of(paper: Paper, number: int | None) -> str:
    """How a refusal names a paper: 'Paper 3', else its (short) title."""
    return f"Paper {number}" if number else f"“{clip(paper.title, TITLE_CHARS)[0]}”"


def refusal_text(
    papers: Sequence[Paper],
    numbers: Sequence[int | None],
    missing: Sequence[str],
    context: FullTextContext,
    *,
    reading: bool,
) -> str:
    """One sentence per paper that lacks what was asked."""
    lines = []
    for i, (paper, number, what) in enumerate(zip(papers, numbers, missing, strict=True)):
        name = name_of(paper, number)
        texts = context.texts[i] if i < len(context.texts) else ()
        reach = sections_read(texts)
        if texts:
            lines.append(f"{name} does not mention {what} (read in full: {reach}).")
        else:
            lines.append(f"{name}'s abstract does not mention {what}; {_why(paper, reading)}.")
    return " ".join(lines)


def abstract_note(sources: Sequence[Paper], context: FullTextContext, *, reading: bool) -> str:
    """'(Answered from the abstract: [2]'s full text is not available.)' for the sources with
    no full text read, other than those the reading note already names."""
    unread = [
        n
        for n, paper in enumerate(sources, 1)
        if not (context.texts[n - 1] if n <= len(context.texts) else ())
        and f"[{n}]" not in context.note
    ]
    if not unread:
        return ""
    whys = {_why(sources[n - 1], reading) for n in unread}
    if whys == {"full-text reading is off"}:
        return "(Answered from the abstract: full-text reading is off.)"
    names = " and ".join(", ".join(f"[{n}]" for n in unread).rsplit(", ", 1))
    whose = f"{names}'s full text is" if len(unread) == 1 else f"the full texts of {names} are"
    return f"(Answered from the abstract: {whose} not available.)"


def _why(paper: Paper, reading: bool) -> str:
    if not is_arxiv_id(paper.id):
        return "its full text is not available"
    if not reading:
        return "full-text reading is off"
    return "its full text could not be read"


def sections_read(passages: Sequence[Passage]) -> str:
    """'§1–§7', '§1–§8 and appendices A–C', or 'pp. 1–15': where a full text was read."""
    tops: set[int] = set()
    appendices: set[str] = set()
    for passage in passages:
        head = re.match(r"(?:Appendix\s+)?([A-Z]|\d{1,2})(?:[.\s]|$)", passage.section or "")
        if head is None:
            continue
        token = head.group(1)
        if token.isdigit():
            tops.add(int(token))
        else:
            appendices.add(token)
    pages = sorted({p.page for p in passages if p.page is not None})
    if not tops:
        return f"pp. {pages[0]}–{pages[-1]}" if pages else "all of it"
    shown = f"§{min(tops)}–§{max(tops)}" if len(tops) > 1 else f"§{min(tops)}"
    if appendices:
        first, last = min(appendices), max(appendices)
        shown += f" and appendi{'ces' if first != last else 'x'} {first}" + (
            f"–{last}" if first != last else ""
        )
    return shown
