"""Write bot/ranking/model/background.json: the term statistics' background corpus, the
99 papers of one real Daily Papers day (the day the sample day was built from), shipped
with the ranking as an asset of its own so that editing the demo's sample day never
changes production scores. Run once; the output is committed.

Run: python scripts/build_background.py
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.sources import sample_bytes
from bot.sources.hf_json import parse_daily_papers

OUT = Path(__file__).resolve().parent.parent / "bot" / "ranking" / "model" / "background.json"


def main() -> None:
    papers = parse_daily_papers(sample_bytes()).papers
    rows = [
        {"id": p.id, "title": p.title, "abstract": p.abstract, "keywords": list(p.keywords)}
        for p in papers
    ]
    OUT.write_text(json.dumps(rows, ensure_ascii=False, indent=0) + "\n")
    print(f"wrote {len(rows)} papers to {OUT}")


if __name__ == "__main__":
    main()
