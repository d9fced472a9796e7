"""arXiv categories a reader follows, over one day's papers (primary and cross-listed).

Combined with the rest of a profile:
- categories with topics: the topics, within the categories (a topic match in another
  category is not sent); authors you follow still count wherever they publish;
- categories alone: every paper of the categories is eligible, ranked by your feedback, by
  how many of your categories it is in, and by popularity; the digest size caps it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.ranking.authors import author_row
from bot.ranking.interests import Interest
from storage.papers import Paper

CATEGORY_SCORE = 0.5  # a paper of a followed category, for a profile with no topics


class DayCategories:
    """Which of a day's papers each category holds, kept per category name (readers
    follow the same few dozen)."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.papers = papers
        self._rows: dict[str, np.ndarray] = {}

    def row(self, category: str) -> np.ndarray:
        """1.0 for each paper in `category`, else 0.0."""
        if category not in self._rows:
            self._rows[category] = np.array(
                [category in p.categories for p in self.papers], dtype=np.float32
            )
        return self._rows[category]

    def allowed(self, interests: Sequence[Interest]) -> np.ndarray:
        """Papers a profile's categories allow: all when it names none; else those in one
        of them, plus papers by authors it follows."""
        categories = [i.text for i in interests if i.kind == "category"]
        if not categories:
            return np.ones(len(self.papers), dtype=bool)
        allowed = np.zeros(len(self.papers), dtype=bool)
        for category in categories:
            allowed |= self.row(category) > 0
        for interest in interests:
            if interest.kind == "author":
                allowed |= author_row(self.papers, interest.text) > 0
        return allowed

    def only(self, interests: Sequence[Interest]) -> np.ndarray:
        """Papers eligible through a category alone (a profile with categories, no topics)."""
        kinds = {i.kind for i in interests}
        if "category" not in kinds or "topic" in kinds:
            return np.zeros(len(self.papers), dtype=bool)
        return self.allowed(interests)
