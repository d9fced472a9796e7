"""Authors a reader follows, found among a day's papers however the name is spelled."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from bot.text import clean_text, fold
from storage.papers import Paper


def author_row(papers: Sequence[Paper], name: str) -> np.ndarray:
    """1.0 for each paper `name` is an author of, else 0.0."""
    wanted = name_key(name)
    return np.array(
        [1.0 if any(name_key(a) == wanted for a in p.authors) else 0.0 for p in papers],
        dtype=np.float32,
    )


def name_key(name: str) -> str:
    """'Tri Dao', 'tri  DAO', 'Dao, Tri', 'T. Dao' and 'Trí Dào' all become 't dao'."""
    name = fold(clean_text(name)).lower()
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    parts = [p for p in re.split(r"[\s.]+", name) if p]
    if len(parts) < 2:
        return " ".join(parts)
    return f"{parts[0][0]} {parts[-1]}"
