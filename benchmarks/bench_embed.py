"""Index build speed with 1 and 2 embedding processes (``KABAR_EMBED_PROCESSES``), and
whether they make the same vectors.

Builds the first ``--articles`` FacQA articles from scratch with the bundled model, once per
process count, into the local store, and reports chunks per second of the whole build and
of the embedding alone, then compares the stored sentence vectors (float16, what the index
keeps) and chunk vectors of the builds (the share of rows that are bit-identical, the
largest difference) and the FacQA valid questions' passages from both indexes. Every
process runs torch with ``--threads`` threads (default 1), since the vectors depend on the
thread count.

Run from the repository root: ``python benchmarks/bench_embed.py [--shared PATH]
[--articles N]``.
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
    add_shared_arg,
    facqa_or_skip,
    final_json,
    load_avg,
    quiet,
    read_jsonl,
    settings_for,
    table,
)

from retrieval.building import build_index
from retrieval.embedding.embed import Embedder, load_embedder
from retrieval.engine import Engine
from retrieval.store import versions
from retrieval.text.lexicon import Lexicon


class Timed:
    """An embedder that adds up the seconds spent in ``encode_passages``."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.model_id, self.dim, self.seconds = inner.model_id, inner.dim, 0.0

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """The inner model's vectors, timed."""
        started = time.perf_counter()
        try:
            return self._inner.encode_passages(texts, progress)
        finally:
            self.seconds += time.perf_counter() - started

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """The inner model's query vectors."""
        return self._inner.encode_queries(texts)


def build(corpus: Path, index: Path, processes: int) -> tuple[dict[str, Any], Any]:
    """One full build; its figures and the loaded index."""
    settings = settings_for(corpus, index, embed_processes=processes)
    embedder = Timed(load_embedder(settings))
    report = build_index(settings, lambda: embedder)
    data = versions.load(index)
    return {"processes": processes, "chunks": report.chunks,
            "sentences": report.sentences_embedded, "build_s": round(report.seconds, 1),
            "embed_s": round(embedder.seconds, 1),
            "chunks_per_s": round(report.chunks / report.seconds, 1),
            "embed_chunks_per_s": round(report.chunks / embedder.seconds, 1)}, data


def same_search(corpus: Path, work: Path, questions: Sequence[str]) -> float:
    """Share of questions whose 10 passages (dense side on) are the same on both builds."""
    engines = []
    for processes in (1, 2):
        settings = settings_for(corpus, work / f"index-{processes}", dense_weight=0.3)
        engines.append(Engine(settings, load_embedder(settings), Lexicon.load()))
    return round(float(np.mean([engines[0].search(q, 10) == engines[1].search(q, 10)
                                for q in questions])), 4)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_arg(parser)
    parser.add_argument("--articles", type=int, default=1313, metavar="N")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="torch threads per process (default 1)")
    args = parser.parse_args(argv)
    facqa = facqa_or_skip(args.shared)
    quiet()
    import torch

    # One torch thread per process: the 2-process build then uses both cores, and both
    # builds run every batch with the same thread count (which the vectors depend on).
    torch.set_num_threads(args.threads)
    load_start = load_avg()
    with tempfile.TemporaryDirectory(prefix="kabar-bench-embed-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for path in sorted((facqa / "corpus").glob("*.txt"))[: args.articles]:
            shutil.copy(path, corpus / path.name)
        rows, data = [], []
        for processes in (1, 2):
            row, loaded = build(corpus, Path(tmp) / f"index-{processes}", processes)
            rows.append(row)
            data.append(loaded)
        one, two = data
        sent_same = np.all(one.sentence_vector_rows == two.sentence_vector_rows, axis=1)
        sent_diff = float(np.max(np.abs(one.sentence_vector_rows.astype(np.float32)
                                        - two.sentence_vector_rows.astype(np.float32))))
        ids = np.arange(one.num_chunks)
        chunk_diff = float(np.max(np.abs(one.vectors.vectors(ids) - two.vectors.vectors(ids))))
        questions = [item["q"] for item in read_jsonl(facqa / "questions-valid.jsonl")]
        same_passages = same_search(corpus, Path(tmp), questions)
    same = {"sentence_rows_identical": round(float(np.mean(sent_same)), 4),
            "sentence_max_abs_diff": sent_diff, "chunk_max_abs_diff": chunk_diff,
            "same_passages": same_passages}
    print(table(f"bench_embed: full build of {args.articles} FacQA articles, bundled model, "
                f"{args.threads} torch thread(s) per process",
                ("processes", "chunks", "build s", "embed s", "chunks/s", "embed chunks/s"),
                [(r["processes"], r["chunks"], r["build_s"], r["embed_s"], r["chunks_per_s"],
                  r["embed_chunks_per_s"]) for r in rows]))
    print(f"same vectors: {same['sentence_rows_identical']:.2%} of sentence rows "
          f"bit-identical (float16), largest difference {sent_diff:.2e}; chunk vectors "
          f"differ by at most {chunk_diff:.2e}; the same 10 passages (dense weight 0.3) for "
          f"{same_passages:.2%} of {len(questions)} FacQA valid questions; load average "
          f"{load_start} -> {load_avg()}")
    final_json("bench_embed", {"rows": rows, **same, "articles": args.articles,
                               "torch_threads": args.threads})
    return 0


if __name__ == "__main__":
    sys.exit(main())
