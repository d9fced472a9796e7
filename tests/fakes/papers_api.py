"""Build Hugging Face Daily Papers payloads for the fake papers server and file sources."""

from __future__ import annotations

import json
from typing import Any


def api_item(
    paper_id: str,
    title: str,
    summary: str = "An abstract.",
    *,
    authors: tuple[str, ...] = ("Ada Lovelace",),
    upvotes: int = 3,
    github: str | None = None,
    keywords: tuple[str, ...] = (),
    ai_summary: str | None = None,
) -> dict[str, Any]:
    paper: dict[str, Any] = {
        "id": paper_id,
        "title": title,
        "summary": summary,
        "authors": [
            {"_id": f"a{i}", "name": name, "hidden": False} for i, name in enumerate(authors)
        ],
        "publishedAt": "2025-03-03T17:59:00.000Z",
        "upvotes": upvotes,
        "ai_keywords": list(keywords),
    }
    if github:
        paper["githubRepo"] = github
    if ai_summary:
        paper["ai_summary"] = ai_summary
    return {"paper": paper, "title": title, "publishedAt": paper["publishedAt"], "numComments": 0}


def payload(*items: dict[str, Any]) -> str:
    return json.dumps(list(items), ensure_ascii=False)
