"""Build bot/sources/data/sample-day.json from a saved copy of the Hugging Face Daily Papers page.

Usage: python scripts/build_sample_day.py ../shared/data/daily-papers-page.txt

The page text is: a few header lines, then per paper a title line and an abstract line.
It carries no arXiv ids, authors or upvotes, so the sample has none: ids are our own
('pbs-' + a hash of the title), which no arXiv id can look like.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

SAMPLE_DATE = "2025-02-18"  # nominal: the saved page shows no date
HEADER_LINES = 5
OUT = Path(__file__).resolve().parent.parent / "bot" / "sources" / "data" / "sample-day.json"


def sample_id(title: str) -> str:
    digest = hashlib.sha256(" ".join(title.lower().split()).encode()).hexdigest()
    return f"pbs-{digest[:10]}"


def build(page: str) -> list[dict[str, object]]:
    lines = [line.strip() for line in page.splitlines() if line.strip()][HEADER_LINES:]
    if len(lines) % 2:
        raise SystemExit(f"expected title/abstract pairs, got {len(lines)} lines")
    items = []
    for title, abstract in zip(lines[0::2], lines[1::2], strict=True):
        published = f"{SAMPLE_DATE}T00:00:00.000Z"
        paper = {
            "id": sample_id(title),
            "title": title,
            "summary": abstract,
            "authors": [],
            "publishedAt": published,
            "upvotes": 0,
        }
        items.append({"paper": paper, "title": title, "publishedAt": published})
    return items


if __name__ == "__main__":
    items = build(Path(sys.argv[1]).read_text(encoding="utf-8"))
    OUT.write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(items)} papers to {OUT}")
