"""Ranking quality on every labelled set, dev and test apart, beside baselines run alike.

Run: python -m bench.eval_ranking [--sets days,scifact] [--split dev|test] [--no-embeddings]

Sets:
* days: bench/relevance/*.json, interests typed the way people type them with graded
  judgements (2 on topic, 1 related) over one day of papers each, plus off-topic interests.
  The split is by day: the dev sets (the sample day, and an arXiv search result in which
  nearly every paper says "testing") are where weights and cut-offs are chosen; the real
  Daily Papers days and arXiv listings are test. `--split dev` shows dev only, for tuning.
* scifact: BEIR SciFact test split (5,183 abstracts, 300 claims; published nDCG@10: BM25
  0.665, BM25 + cross-encoder 0.688, all-MiniLM-L6-v2 ~0.645). Nothing was tuned on it.

Baselines, computed in the same run: SQLite FTS5 BM25, TF-IDF cosine over uni+bigrams
(arxiv-sanity's recipe) and the embeddings alone (the shipped MiniLM). Paper vectors are
cached in bench/.cache/ (delete it to time embedding from scratch).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from bench.baselines import Ranker, embeddings_alone, fts5_bm25, tfidf_cosine
from bench.data import need, shared
from bot.ranking import DayRanker, Profile, build_ranker, make_ranker
from bot.ranking.embedders import load_local_embedder
from bot.ranking.interests import Interest, parse_interest
from bot.sources import sample_bytes
from bot.sources.hf_json import parse_daily_papers
from bot.sources.jsonl import parse_paper_lines
from storage import open_db
from storage.papers import Paper

HERE = Path(__file__).parent
CACHE = HERE / ".cache" / "vectors.db"
TOP = 10


@dataclass
class Query:
    text: str
    grades: dict[str, int]  # empty for an off-topic interest


@dataclass
class EvalSet:
    name: str
    split: str
    papers: list[Paper]
    queries: list[Query]
    cutoff: bool = True  # days: also judge what clears the cut-off
    rankers: dict[str, Ranker] = field(default_factory=dict)


def ndcg(ranked: Sequence[str], grades: dict[str, int], k: int = TOP) -> float:
    dcg = sum((2 ** grades.get(pid, 0) - 1) / np.log2(i + 2) for i, pid in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    return float(dcg / sum((2**g - 1) / np.log2(i + 2) for i, g in enumerate(ideal)))


def precision_at(ranked: Sequence[str], grades: dict[str, int], k: int = 5) -> float:
    return sum(1 for pid in ranked[:k] if grades.get(pid, 0) > 0) / k


def load_days() -> list[EvalSet]:
    sets = []
    for path in sorted((HERE / "relevance").glob("*.json")):
        spec = json.loads(path.read_text())
        corpus = spec["corpus"]
        raw = (
            sample_bytes()
            if corpus == "bundled sample day"
            else need(HERE.parent / corpus, f"the papers of {spec['day']}").read_bytes()
        )
        queries = [Query(i["interest"], i["relevant"]) for i in spec["interests"]]
        queries += [Query(t, {}) for t in spec["off_topic"]]
        parse = atom_papers if spec.get("format") == "arxiv-atom" else daily_papers
        sets.append(EvalSet(spec["day"], spec["split"], parse(raw), queries))
    return sets + load_outside()


# Sets labelled by people outside the team (../shared/data/relevance): dev sets, to choose
# a cut-off that holds across labellers, not only on the team's own taste.
OUTSIDE = (
    ("outside: sample day", "relevance/seed_day_labels.json", "relevance/seed_day_hf.json"),
    (
        "outside: Daily Papers 2026-07-13",
        "relevance/hf_2026-07-13_labels.json",
        "fixtures/hf_api/2026-07-13.json",
    ),
)


def load_outside() -> list[EvalSet]:
    sets = []
    for name, labels, corpus in OUTSIDE:
        spec = json.loads(shared(labels, f"the labels of {name}").read_text())
        papers = daily_papers(shared(corpus, f"the papers of {name}").read_bytes())
        by_title = {" ".join(p.title.split()).lower(): p.id for p in papers}
        queries = []
        for q in spec["queries"]:
            grades = (
                {}
                if q.get("off_topic")
                else {by_title[" ".join(t.split()).lower()]: g for t, g in q["relevant"].items()}
            )
            queries.append(Query(q["interest"], grades))
        sets.append(EvalSet(name, "dev", papers, queries))
    return sets


def daily_papers(raw: bytes) -> list[Paper]:
    return parse_daily_papers(raw).papers


def atom_papers(raw: bytes) -> list[Paper]:
    """Just enough of an arXiv API (Atom) response to rank it: id without version, title,
    abstract, authors."""
    ns = {"a": "http://www.w3.org/2005/Atom"}
    papers = []
    for entry in ElementTree.fromstring(raw).findall("a:entry", ns):
        arxiv_id = re.sub(r"v\d+$", "", entry.findtext("a:id", "", ns).split("/abs/")[-1])
        papers.append(
            Paper(
                id=arxiv_id,
                title=" ".join(entry.findtext("a:title", "", ns).split()),
                abstract=" ".join(entry.findtext("a:summary", "", ns).split()),
                authors=tuple(a.findtext("a:name", "", ns) for a in entry.findall("a:author", ns)),
            )
        )
    return papers


def load_scifact() -> EvalSet:
    folder = shared("scifact", "the SciFact benchmark (BEIR test split)")
    papers = parse_paper_lines((folder / "corpus.jsonl").read_bytes()).papers
    claims = {}
    for line in (folder / "queries.jsonl").read_text().splitlines():
        item = json.loads(line)
        claims[item["_id"]] = item["text"]
    grades: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (folder / "qrels_test.tsv").read_text().splitlines()[1:]:
        qid, doc, score = line.split("\t")
        grades[qid][doc] = int(score)
    queries = [Query(claims[q], g) for q, g in grades.items()]
    return EvalSet("SciFact", "test", papers, queries, cutoff=False)


def paperboy(ranker: DayRanker) -> Ranker:
    def rank(text: str) -> list[str]:
        profile = Profile((_interest(text),), threshold=-1e9)
        return [m.paper.id for m in ranker.rank(profile, top_k=TOP * 10)]

    return rank


def _interest(text: str) -> Interest:
    return parse_interest(text, max_length=1000)


@dataclass
class CutoffRun:
    """Above the default cut-off (top 10, as `paperboy match` shows), per interest."""

    precisions: list[float] = field(default_factory=list)  # interests shown something
    recalls: list[float] = field(default_factory=list)  # out of min(relevant, 10)
    empty: list[str] = field(default_factory=list)  # on-topic, >= 3 relevant, shown nothing
    off_topic_papers: int = 0
    off_topic: int = 0

    def add(self, other: CutoffRun) -> None:
        self.precisions += other.precisions
        self.recalls += other.recalls
        self.empty += other.empty
        self.off_topic_papers += other.off_topic_papers
        self.off_topic += other.off_topic

    def line(self) -> str:
        return (
            f"precision {_with_interval(self.precisions)}, recall "
            f"{_with_interval(self.recalls)}; on-topic interests left empty "
            f"{len(self.empty)} of {len(self.recalls)} {self.empty or ''}; papers given to "
            f"{self.off_topic} off-topic interests: {self.off_topic_papers}"
        )


def _with_interval(values: list[float]) -> str:
    """The mean with a 95% bootstrap interval over interests: 20 interests a day make a
    precision of 0.68 anything from about 0.55 to 0.80."""
    if not values:
        return "n/a"
    mean, low, high = bootstrap(np.array(values))
    return f"{mean:.3f} ({low:.2f}-{high:.2f})"


def cutoff_report(ranker: DayRanker, queries: list[Query]) -> CutoffRun:
    run = CutoffRun()
    for q in queries:
        shown = [m.paper.id for m in ranker.rank(Profile((_interest(q.text),)), top_k=TOP)]
        if not q.grades:
            run.off_topic += 1
            run.off_topic_papers += len(shown)
            continue
        hits = sum(1 for pid in shown if pid in q.grades)
        if shown:
            run.precisions.append(hits / len(shown))
        run.recalls.append(hits / min(len(q.grades), TOP))
        if not shown and len(q.grades) >= 3:
            run.empty.append(q.text)
    return run


BASELINES = ("BM25 (SQLite FTS5)", "TF-IDF (arxiv-sanity)")


def margins(per_query: dict[str, list[float]]) -> tuple[str, str, np.ndarray]:
    """Per query, the default's nDCG@10 minus the better baseline's (better on the set)."""
    ours = next((n for n in per_query if n.startswith("Paperboy, default")), None)
    ours = ours or "Paperboy, lexical only"
    baseline = max(BASELINES, key=lambda n: statistics.mean(per_query[n]))
    return ours, baseline, np.array(per_query[ours]) - np.array(per_query[baseline])


def bootstrap(values: np.ndarray, resamples: int = 2000) -> tuple[float, float, float]:
    """The mean and its 95% interval, resampling the values (queries or interests)."""
    rng = np.random.default_rng(0)
    means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(low), float(high)


def margin_line(label: str, diff: np.ndarray, resamples: int = 2000) -> str:
    """The mean margin with a 95% interval from a paired bootstrap over queries: on a day of
    16-22 queries one query moving shifts the mean by several hundredths, and the interval
    says so."""
    mean, low, high = bootstrap(diff, resamples)
    return (
        f"  margin of {label}: {mean:+.3f} (95% interval {low:+.3f} to "
        f"{high:+.3f}, paired bootstrap over {len(diff)} queries)"
    )


def build_rankers(s: EvalSet, embeddings: bool) -> dict[str, DayRanker]:
    s.rankers = {
        "BM25 (SQLite FTS5)": fts5_bm25(s.papers),
        "TF-IDF (arxiv-sanity)": tfidf_cosine(s.papers),
    }
    ours = {"Paperboy, lexical only": make_ranker(s.papers)}
    if embeddings:
        embedder = load_local_embedder()
        assert embedder is not None, "the shipped model did not load"
        CACHE.parent.mkdir(exist_ok=True)
        db = open_db(CACHE)
        started = time.perf_counter()
        texts = [_interest(q.text).text for q in s.queries]
        hybrid = asyncio.run(build_ranker(s.papers, embedder=embedder, db=db, interests=texts))
        print(f"  [{s.name}] vectors ready in {time.perf_counter() - started:.1f} s (cached after)")
        assert hybrid.vectors is not None
        s.rankers["Embeddings alone (MiniLM)"] = embeddings_alone(s.papers, hybrid.vectors)
        ours["Paperboy, default (lexical + MiniLM)"] = hybrid
    for name, ranker in ours.items():
        s.rankers[name] = paperboy(ranker)
    return ours


def report(sets: list[EvalSet], embeddings: bool) -> None:
    pooled: dict[tuple[str, str], CutoffRun] = defaultdict(CutoffRun)
    pooled_margins: dict[str, list[np.ndarray]] = defaultdict(list)
    for s in sets:
        ours = build_rankers(s, embeddings)
        judged = [q for q in s.queries if q.grades]
        print(f"\n## {s.name} ({s.split}): {len(s.papers)} papers, {len(judged)} judged queries")
        print(f"{'system':<40} {'nDCG@10':>8} {'P@5':>6}")
        per_query: dict[str, list[float]] = {}
        for name, rank in s.rankers.items():
            runs = [(ndcg(r := rank(q.text), q.grades), precision_at(r, q.grades)) for q in judged]
            per_query[name] = [n for n, _ in runs]
            print(
                f"{name:<40} {statistics.mean(n for n, _ in runs):>8.3f} "
                f"{statistics.mean(p for _, p in runs):>6.3f}"
            )
        ours_name, baseline, diff = margins(per_query)
        print(margin_line(f"{ours_name} over {baseline}", diff))
        if s.cutoff:  # the labelled days, not SciFact
            pooled_margins[s.split].append(diff)
        if s.cutoff:
            for name, ranker in ours.items():
                run = cutoff_report(ranker, s.queries)
                print(f"  cut-off, {name}: {run.line()}")
                pooled[(s.split, name)].add(run)
    for split, diffs in pooled_margins.items():
        label = f"the default over each day's better baseline, all {split} days"
        print("\n" + margin_line(label, np.concatenate(diffs)).strip())
    for (split, name), run in pooled.items():
        print(f"\nAll {split} days, cut-off, {name}: {run.line()}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sets", default="days,scifact", help="days, scifact, or both")
    parser.add_argument("--split", choices=["dev", "test"], help="only the sets of this split")
    parser.add_argument("--no-embeddings", action="store_true", help="lexical systems only")
    args = parser.parse_args(argv)
    wanted = set(args.sets.split(","))
    sets: list[EvalSet] = []
    if "days" in wanted:
        sets += sorted(load_days(), key=lambda s: (s.split != "dev", s.name))
    if "scifact" in wanted:
        sets.append(load_scifact())
    if args.split:
        sets = [s for s in sets if s.split == args.split]
    report(sets, embeddings=not args.no_embeddings)


if __name__ == "__main__":
    main()
