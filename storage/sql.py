"""Small SQL plumbing shared by the aggregate modules."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

# SQLite limits bound parameters per statement; 500 keys leave room for the others.
CHUNK = 500


def in_chunks(keys: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """`keys` in slices small enough for one `IN (...)`, each with its placeholders."""
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        yield chunk, ",".join("?" * len(chunk))
