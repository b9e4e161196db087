"""Milvus Lite against FAISS at FacQA size: the same answers, and what Milvus costs.

Indexes ``bench/facqa/corpus`` (1,313 articles) and a copy of ``seeds/`` with the bundled
all-MiniLM-L6-v2 twice: into the local FAISS store and into an embedded Milvus Lite
(``KABAR_VECTOR_STORE=milvus``, a ``.db`` in a temporary folder). The model runs once per
text: the Milvus build reuses the FAISS build's vectors through a memo of the same model, so
both stores hold identical vectors and any difference comes from the store.

Scored with the shared ``eval/qa_eval.py``: FacQA valid R@1, R@5, MRR@10 through
``Engine.answer(q, k=10)`` at the default dense weight (0 for this English-only model on
Indonesian FacQA: BM25 candidates only) and at 0.3 (the dense route on, as a multilingual
model gets it), and the shared seeds dev set (support, first_hit, short_ok...). Also the
share of questions whose ten passages are identical, the warm ``Engine.answer`` latency of
each store (p50/p95; not a goal), the Milvus build time and the load time of a version.

Run from the repository root: ``python benchmarks/bench_milvus.py [--shared PATH]``; needs
``pip install kabar[milvus]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    SEEDS,
    add_shared_arg,
    facqa_or_skip,
    final_json,
    fixed,
    load_avg,
    load_qa_eval,
    percentile_ms,
    quiet,
    read_jsonl,
    settings_for,
    table,
    verdict,
)

from bot.format import answer_json
from retrieval.building import build_index
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder, load_embedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon

K = 10


class MemoEmbedder:
    """The real model, remembering every passage vector it made (so a second build of the
    same texts costs no model time and gets the very same vectors)."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._memo: dict[str, np.ndarray] = {}
        self.model_id, self.dim = inner.model_id, inner.dim

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed the texts not seen before; return all from the memo."""
        new = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if new:
            for text, row in zip(new, self._inner.encode_passages(new), strict=True):
                self._memo[text] = row
        return np.stack([self._memo[t] for t in texts]) if texts else \
            np.zeros((0, self.dim), np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """The model's query vectors."""
        return self._inner.encode_queries(texts)


def answers(settings: Settings, embedder: Embedder, lexicon: Lexicon,
            questions: Sequence[str]) -> tuple[list[dict[str, Any]], list[float], float]:
    """``answer_json`` of every question, the per-question seconds and the load seconds."""
    started = time.perf_counter()
    engine = Engine(settings, embedder, lexicon)
    loaded = time.perf_counter() - started
    engine.answer(questions[0], k=K)  # warm (Milvus builds its posting lists lazily)
    outs, times = [], []
    for q in questions:
        t0 = time.perf_counter()
        outs.append(answer_json(engine.answer(q, k=K)))
        times.append(time.perf_counter() - t0)
    return outs, times, loaded


def compare(label: str, stores: dict[str, Settings], embedder: Embedder, lexicon: Lexicon,
            items: list[dict[str, Any]], score: Any) -> list[dict[str, Any]]:
    """Score the same questions on each store; rows for the table."""
    rows, passages = [], {}
    for name, settings in stores.items():
        outs, times, loaded = answers(settings, embedder, lexicon, [i["q"] for i in items])
        passages[name] = [[p["doc_id"] for p in o["passages"]] for o in outs]
        scores = {k: v for k, v in score(items, outs).items() if k != "misses"}
        rows.append({"set": label, "store": name, **scores,
                     "p50_ms": round(percentile_ms(times, 50), 1),
                     "p95_ms": round(percentile_ms(times, 95), 1),
                     "load_s": round(loaded, 2)})
    same = np.mean([a == b for a, b in zip(*passages.values(), strict=True)])
    for row in rows:
        row["same_passages"] = round(float(same), 4)
    return rows


def build_both(corpus: Path, work: Path, embedder: Embedder, alias: str, **changes: Any
               ) -> tuple[dict[str, Settings], dict[str, float]]:
    """The FAISS and Milvus settings over ``corpus``, both built; build seconds by store."""
    faiss = settings_for(corpus, work / f"{alias}-index", **changes)
    milvus = faiss.replace(vector_store="milvus", milvus_uri=str(work / "milvus.db"),
                           milvus_collection=alias, index_dir=work / f"{alias}-milvus-state")
    seconds = {}
    for name, settings in (("faiss", faiss), ("milvus", milvus)):
        report = build_index(settings, fixed(embedder))
        seconds[name] = round(report.seconds, 1)
    return {"faiss": faiss, "milvus": milvus}, seconds


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_arg(parser)
    args = parser.parse_args(argv)
    facqa = facqa_or_skip(args.shared)
    quiet()
    qa_eval = load_qa_eval(args.shared)
    load_start = load_avg()
    lexicon = Lexicon.load()
    with tempfile.TemporaryDirectory(prefix="kabar-bench-milvus-") as tmp:
        work = Path(tmp)
        embedder = MemoEmbedder(load_embedder(settings_for(facqa / "corpus", work / "x")))
        facqa_stores, facqa_build = build_both(facqa / "corpus", work, embedder, "facqa")
        valid = read_jsonl(facqa / "questions-valid.jsonl")
        rows = compare("FacQA valid", facqa_stores, embedder, lexicon, valid, qa_eval.facqa)
        dense_on = {n: s.replace(dense_weight=0.3) for n, s in facqa_stores.items()}
        rows += compare("FacQA valid, dense 0.3", dense_on, embedder, lexicon, valid,
                        qa_eval.facqa)
        shutil.copytree(SEEDS, work / "seeds")
        seeds_stores, _ = build_both(work / "seeds", work, embedder, "seeds")
        dev_path = args.shared / "eval" / "seeds-dev.jsonl"
        if dev_path.is_file():
            dev = read_jsonl(dev_path)
            rows += compare("seeds dev", seeds_stores, embedder, lexicon, dev, qa_eval.seeds)
        else:
            print(f"skipped seeds dev: {dev_path} not found")
    keys = ("R1", "R5", "MRR10", "answer_contains", "support", "first_hit", "short_ok")
    print(table("bench_milvus: FAISS vs Milvus Lite, the same vectors (qa_eval.py)",
                ("set", "store", *keys, "same passages", "p50 ms", "p95 ms", "load s"),
                [(r["set"], r["store"], *(_fmt(r.get(k)) for k in keys), r["same_passages"],
                  r["p50_ms"], r["p95_ms"], r["load_s"]) for r in rows]))
    same = all(_scores(r) == _scores(rows[i - 1]) for i, r in enumerate(rows) if i % 2)
    print(f"FacQA build s (model time in the FAISS build only): {facqa_build}; "
          f"identical scores: {verdict(same)}; load average {load_start} -> {load_avg()}")
    final_json("bench_milvus", {"rows": rows, "facqa_build_s": facqa_build,
                                "identical_scores": same})
    return 0


def _scores(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items()
            if k not in ("store", "p50_ms", "p95_ms", "load_s", "same_passages")}


def _fmt(value: Any) -> str:
    return "" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    sys.exit(main())
