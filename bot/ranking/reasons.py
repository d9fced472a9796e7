"""Why a paper was picked, in the reader's terms: the interest it matched and the words it
shares with it, or the papers they kept that it resembles, and what their 👎 took off."""

from __future__ import annotations

from bot.ranking.interests import Interest
from bot.ranking.lexical import LexicalIndex, matched_phrases
from bot.ranking.preference import Learned
from bot.ranking.profiles import Profile
from bot.text import clip
from storage.papers import Paper

LOWERED_NOTE_AT = 0.1  # score the reader's 👎 took off a paper that is worth telling them


class Reasons:
    """Reasons for one day's matches, each (interest, paper) worded once: many readers
    share an interest text."""

    def __init__(
        self, lexical: LexicalIndex, expansions: dict[str, str], uses_embeddings: bool
    ) -> None:
        self.lexical = lexical
        # Shared with the ranker: an expansion added later also names the words it matched.
        self.expansions = expansions
        self.uses_embeddings = uses_embeddings
        self._made: dict[tuple[str, str, str], str] = {}

    def of(self, interest: Interest, paper: Paper) -> str:
        key = (interest.kind, interest.text, paper.id)
        if key not in self._made:
            self._made[key] = self._explain(interest, paper)
        return self._made[key]

    def _explain(self, interest: Interest, paper: Paper) -> str:
        label = _quote(interest.text)
        if interest.kind == "author":
            return f"by {interest.text}, an author you follow"
        if interest.kind == "category":
            if paper.categories[:1] == (interest.text,):
                return f"in {interest.text}, a category you follow"
            return f"cross-listed in {interest.text}, a category you follow"
        stems: set[str] = set()
        query = f"{interest.text}; {self.expansions.get(interest.text, '')}"
        for variant in self.lexical.plan(query).variants:
            stems.update(variant)
        in_title = matched_phrases(paper.title, stems)
        if in_title:
            return f"your interest {label}: {', '.join(in_title)} (title)"
        in_abstract = matched_phrases(paper.abstract, stems)
        if in_abstract:
            return f"your interest {label}: {', '.join(in_abstract)}"
        if self.uses_embeddings:
            return f"your interest {label}: close in meaning, no shared keywords"
        return f"your interest {label}: weak match, shown because of a low threshold"


def like_reason(profile: Profile, learned: Learned, i: int) -> str:
    """'like “A” and “B”, which you liked' (or 'in your library'): the positives a pick
    leans on, in the reader's terms."""
    positives = profile.positives
    named = learned.nearest(i)
    parts = [f"“{clip(positives[j].title, 80)[0]}”" for j in named[:2]]
    says = {profile.says_of(j) for j in named[:2]}
    tail = (
        "which you liked"
        if says == {"you liked"}
        else ("in your library" if says == {"in your library"} else "which you liked or imported")
    )
    return f"like {' and '.join(parts)}, {tail}" if parts else "like papers you liked"


def lowered(profile: Profile, learned: Learned, i: int) -> str:
    """A note on a paper the reader's 👎 pulled down but did not drop."""
    j = learned.closest_negative(i)
    if j < 0 or learned.weight * learned.negative[i] < LOWERED_NOTE_AT:
        return ""
    return f" (ranked lower: like “{clip(profile.disliked[j].title, 80)[0]}”, which you 👎)"


def _quote(text: str, limit: int = 40) -> str:
    return f"‘{clip(text, limit)[0]}’"
