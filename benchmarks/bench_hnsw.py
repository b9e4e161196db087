"""FAISS flat vs HNSW at 1M chunk vectors: warm search latency, recall@10 and memory.

The vectors are seeded random unit passage vectors (dim 384, stored under the real model's
id by nothing more than their dimension); the questions are FacQA's valid questions encoded
by the REAL bundled model, so the query side is real. For every question the timed path is
what the engine's dense side costs: ``encode_queries([q])`` then ``VectorIndex.search(vec,
50)`` (the engine's dense candidate count); the *floor* is the encoding alone, timed in the
same run. Recall@10 of HNSW is measured against the exact (flat) top 10 of the same query.
The answer stage's text path is not run here (bench_latency.py runs it at 100k chunks).

Run from the repository root: ``python benchmarks/bench_hnsw.py [--shared PATH]
[--chunks N]``. Slow: building the HNSW graph over 1M vectors takes minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from _common import (
    add_shared_arg,
    facqa_or_skip,
    final_json,
    load_avg,
    percentile_ms,
    quiet,
    read_jsonl,
    settings_for,
    table,
    verdict,
)

from retrieval.embedding.embed import load_embedder
from retrieval.store import vectors as vector_indexes

_DIM, _CANDIDATES, _BATCH = 384, 50, 50_000


def rss_mb() -> float:
    """The current resident set size in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def fill(kind: str, chunks: int) -> tuple[Any, float, float]:
    """An index of ``kind`` over the seeded random vectors; (index, build s, RSS growth MB)."""
    before, started = rss_mb(), time.perf_counter()
    index = vector_indexes.create("faiss", _DIM, kind)
    rng = np.random.default_rng(7)
    for lo in range(0, chunks, _BATCH):
        rows = rng.normal(size=(min(_BATCH, chunks - lo), _DIM)).astype(np.float32)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        index.add(np.arange(lo, lo + len(rows), dtype=np.int64), rows)
    return index, time.perf_counter() - started, rss_mb() - before


def timed(index: Any, embedder: Any, questions: Sequence[str]
          ) -> tuple[list[float], list[float], list[np.ndarray]]:
    """Per question: encode+search seconds, encode-only seconds (floor), top-10 ids."""
    totals, floors, tops = [], [], []
    for q in questions:
        t0 = time.perf_counter()
        vec = embedder.encode_queries([q])[0]
        t1 = time.perf_counter()
        ids, _ = index.search(vec, _CANDIDATES)
        t2 = time.perf_counter()
        floors.append(t1 - t0)
        totals.append(t2 - t0)
        tops.append(ids[:10])
    return totals, floors, tops


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_arg(parser)
    parser.add_argument("--chunks", type=int, default=1_000_000, metavar="N")
    args = parser.parse_args(argv)
    facqa = facqa_or_skip(args.shared)
    quiet()
    load_start = load_avg()
    questions = [item["q"] for item in read_jsonl(facqa / "questions-valid.jsonl")]
    embedder = load_embedder(settings_for(facqa / "corpus", facqa / "unused"))
    embedder.encode_queries(questions[:5])  # warm the model
    rows: list[dict[str, Any]] = []
    exact: list[np.ndarray] = []
    for kind in ("flat", "hnsw"):
        index, build_s, grew = fill(kind, args.chunks)
        timed(index, embedder, questions[:10])  # warm
        totals, floors, tops = timed(index, embedder, questions)
        if kind == "flat":
            exact = tops
        recall = float(np.mean([len(set(a.tolist()) & set(b.tolist())) / 10
                                for a, b in zip(tops, exact, strict=True)]))
        rows.append({"kind": kind, "chunks": len(index), "build_s": round(build_s, 1),
                     "index_rss_mb": round(grew), "p50_ms": round(percentile_ms(totals, 50), 2),
                     "p95_ms": round(percentile_ms(totals, 95), 2),
                     "floor_p50_ms": round(percentile_ms(floors, 50), 2),
                     "floor_p95_ms": round(percentile_ms(floors, 95), 2),
                     "recall_at_10_vs_flat": round(recall, 4)})
        del index
    hnsw = rows[1]
    goal = hnsw["p95_ms"] <= 50 and hnsw["recall_at_10_vs_flat"] >= 0.95
    print(table(f"bench_hnsw: encode + FAISS search(50), {len(questions)} FacQA valid "
                f"questions, {args.chunks} random unit vectors (dim {_DIM}), ms",
                ("index", "p50", "p95", "floor p50", "floor p95", "recall@10", "build s",
                 "index MB"),
                [(r["kind"], r["p50_ms"], r["p95_ms"], r["floor_p50_ms"], r["floor_p95_ms"],
                  r["recall_at_10_vs_flat"], r["build_s"], r["index_rss_mb"]) for r in rows]))
    print(f"goal (HNSW p95 <= 50 ms and recall@10 >= 0.95): {verdict(goal)}; "
          f"load average {load_start} -> {load_avg()}")
    final_json("bench_hnsw", {"rows": rows, "goal_met": goal, "questions": len(questions),
                              "load_avg_start": load_start, "load_avg_end": load_avg()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
