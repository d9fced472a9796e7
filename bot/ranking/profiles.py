"""A user's ranking profile: what the ranker reads of a reader, assembled from what storage
holds for that user only, with their stored model (refitted and stored when their ratings
or library changed)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import sqlite_utils

from bot.ranking.interests import Interest
from bot.ranking.reader_model import ReaderModel, centre_of, fit, model_key
from bot.ranking.semantic import KIND, paper_text, text_key
from storage.embeddings import get_vectors
from storage.feedback import signals
from storage.interests import list_interests
from storage.library import list_library
from storage.papers import Paper, all_papers, latest_day, papers_for_day
from storage.reader_models import forget_model, get_model, put_model, stored_vectors
from storage.users import get_user

# The most recent imported papers that teach the ranking (a large library would make every
# reader's ranking slow and drown the ratings; the newest say most about today).
LIBRARY_SIGNALS = 200


@dataclass(frozen=True)
class Profile:
    interests: tuple[Interest, ...]
    liked: tuple[Paper, ...] = ()  # 👍 and ⭐, most recent first (as load_profile builds it)
    disliked: tuple[Paper, ...] = ()
    threshold: float | None = None  # None: the ranker's default for its configuration
    library: tuple[Paper, ...] = ()  # papers the reader imported: positives like 👍
    model: ReaderModel | None = None  # their stored fit (reader_model.py); None: fit here

    @property
    def positives(self) -> tuple[Paper, ...]:
        return self.liked + self.library

    def says_of(self, i: int) -> str:
        """How the reader told us about their i-th positive, for reasons."""
        return "you liked" if i < len(self.liked) else "in your library"


def load_profile(db: sqlite_utils.Database, chat_id: int) -> Profile:
    """Interests, liked/saved and disliked papers, imported papers, the threshold and the
    fitted model of one chat."""
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
    profile = Profile(interests, liked, disliked, threshold, library)
    return replace(profile, model=current_model(db, chat_id, profile))


def current_model(db: sqlite_utils.Database, chat_id: int, profile: Profile) -> ReaderModel | None:
    """The reader's stored model if it was fitted from what the profile holds now; else a
    fresh fit, stored. None when there is nothing to learn from, or when a paper's vector
    is not stored yet (the ranker then fits the same model from the vectors it has)."""
    if not profile.positives and not profile.disliked:
        forget_model(db, chat_id)
        return None
    key = model_key(profile.positives, profile.disliked, len(profile.liked))
    stored = get_model(db, chat_id)
    if stored is not None and stored.key == key:
        model = ReaderModel.from_json(stored.model)
        if model is not None:
            return model
    model = fit_stored(db, profile)
    if model is not None:
        put_model(db, chat_id, model.key, model.to_json())
    return model


def fit_stored(db: sqlite_utils.Database, profile: Profile) -> ReaderModel | None:
    """The model from the vectors stored for the profile's papers, measured from the latest
    day's centre, as the ranker of that day would fit it."""
    rated = [*profile.positives, *profile.disliked]
    keys = [text_key(paper_text(p)) for p in rated]
    name, found = stored_vectors(db, KIND, keys)
    if any(k not in found for k in keys):
        return None
    kept = _matrix([found[k] for k in keys[: len(profile.positives)]], found)
    rejected = _matrix([found[k] for k in keys[len(profile.positives) :]], found)
    return fit(
        profile.positives,
        profile.disliked,
        rated=len(profile.liked),
        vectors=(kept, rejected),
        centre=_day_centre(db, name),
    )


def _day_centre(db: sqlite_utils.Database, model: str) -> np.ndarray | None:
    """The centre of the latest day's papers (the candidates the ranker will use)."""
    day = latest_day(db)
    papers: list[Paper] = papers_for_day(db, day) if day else []
    keys = [text_key(paper_text(p)) for p in papers]
    found = get_vectors(db, model, KIND, keys)
    if not found:
        return None
    return centre_of(np.vstack([found[k] for k in keys if k in found]))


def _matrix(rows: list[np.ndarray], found: dict[str, np.ndarray]) -> np.ndarray:
    dim = len(next(iter(found.values())))
    return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, dim), dtype=np.float32)
