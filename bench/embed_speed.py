"""Time to embed abstracts with the shipped model (ONNX Runtime, CPU), and its memory.

Run: python -m bench.embed_speed [--n 1000]
Texts: the first N SciFact abstracts (title + abstract, as papers are embedded), cold (no
stored vectors). Prints load time, embedding time, abstracts/s and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from bench.data import SHARED, need
from bot.ranking.embedders import LocalMiniLM

CORPUS = SHARED / "scifact" / "corpus.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    lines = need(CORPUS, "SciFact's corpus").read_text().splitlines()[: args.n]
    texts = [f"{d['title']}. {d['text']}" for d in map(json.loads, lines)]
    started = time.perf_counter()
    model = LocalMiniLM()
    loaded = time.perf_counter()
    model.embed_now(texts)
    done = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(texts)} abstracts: model load {loaded - started:.2f} s, embedding "
        f"{done - loaded:.1f} s ({len(texts) / (done - loaded):.0f}/s), peak RSS {rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
