"""A user's ranking profile, assembled from what storage holds for that user only."""

from __future__ import annotations

import sqlite_utils

from bot.ranking import Profile
from bot.ranking.interests import Interest
from storage.feedback import signals
from storage.interests import list_interests
from storage.library import list_library
from storage.papers import all_papers
from storage.users import get_user

# The most recent imported papers that teach the ranking (a large library would make every
# reader's ranking slow and drown the ratings; the newest say most about today).
LIBRARY_SIGNALS = 200


def load_profile(db: sqlite_utils.Database, chat_id: int) -> Profile:
    """Interests, liked/saved and disliked papers, imported papers and the threshold of one
    chat."""
    interests = tuple(
        Interest(i.kind, i.text)  # type: ignore[arg-type]
        for i in list_interests(db, chat_id)
    )
    votes = signals(db, chat_id)
    papers = {p.id: p for p in all_papers(db, votes)}
    liked = tuple(papers[pid] for pid, v in votes.items() if v > 0 and pid in papers)
    disliked = tuple(papers[pid] for pid, v in votes.items() if v < 0 and pid in papers)
    user = get_user(db, chat_id)
    threshold = user.threshold if user is not None else None
    library = tuple(p.as_paper() for p in list_library(db, chat_id, limit=LIBRARY_SIGNALS))
    return Profile(interests, liked, disliked, threshold, library)
