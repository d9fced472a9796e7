"""Saying "not in the paper" when it is not: a question about papers named by number whose
topic none of them mentions (title, abstract or the passages read) gets a plain answer
instead of quotes about something else."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answers.context import FullTextContext
from bot.text import content_stems
from storage.papers import Paper

# Words that ask about a paper rather than name a topic: "what is the main result of
# paper 2", "compare papers 1 and 3", "what does paper 2 say about …".
ASKING = frozenset(
    content_stems(
        "paper papers say says said tell mention mentions discuss talk write wrote main "
        "result results finding findings idea ideas contribution contributions method methods "
        "approach approaches propose proposes claim claims key summary summarise summarize "
        "explain compare comparison difference differ between versus vs how why what which "
        "does do first second third fourth fifth sixth seventh eighth ninth tenth work works "
        "about anything use uses using"
    )
)


def absent_topic(question: str, sources: Sequence[Paper], context: FullTextContext) -> str | None:
    """The topic a question asks about when none of `sources` mentions any of its words;
    None when one does (or the question names no topic, e.g. "compare papers 1 and 3")."""
    topic = [s for s in content_stems(re.sub(r"\d+", " ", question)) if s not in ASKING]
    if not topic or not sources:
        return None
    texts = [f"{p.title} {p.abstract}" for p in sources]
    texts += [x.text for found in context.passages for x in found]
    mentioned = set().union(*(content_stems(t) for t in texts))
    if any(s in mentioned for s in topic):
        return None
    about = re.search(r"\babout\s+(.+?)[?.!]*$", question.strip(), re.IGNORECASE)
    return about.group(1) if about else question.strip().rstrip("?.!")
