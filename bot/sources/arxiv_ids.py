"""arXiv identifiers, new (2401.01234v2) and old (hep-th/9901001) style, as every source and
the full-text reader use them."""

from __future__ import annotations

import re

ARXIV_ID = re.compile(r"^(?P<id>\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?P<version>v\d+)?$")


def split_version(raw_id: str) -> tuple[str, str | None]:
    """'2401.01234v2' -> ('2401.01234', 'v2'); ids that are not arXiv's are kept whole."""
    match = ARXIV_ID.match(raw_id)
    if match is None:
        return raw_id, None
    return match["id"], match["version"]


def is_arxiv_id(paper_id: str) -> bool:
    return ARXIV_ID.match(paper_id) is not None
