"""Indexing throughput, incremental re-indexing and peak memory on the FacQA corpus.

Measures, in one process with the bundled all-MiniLM-L6-v2 loaded once:

* the full build of ``bench/facqa/corpus`` (chunks indexed per second by the whole pipeline:
  reading, cleaning, chunking, embedding, BM25, FAISS, writing) next to the raw
  ``SentenceTransformer.encode`` rate on the built index's own chunk texts, in the same run.
  The pipeline embeds each unique *sentence* once and makes a chunk's vector the normalised
  mean of its sentences, so this compares "chunks indexed per second by the pipeline" with
  "chunk texts encoded per second by the model alone". Goal: pipeline / raw >= 0.9.
* an incremental re-index after appending a sentence to one article, against the full build.
  Goal: <= 5 % of the full build time.
* a no-op re-index (nothing changed), in-process and as a ``kabar index`` subprocess.
* peak RSS of this process and of its children.

Run from the repository root: ``python benchmarks/bench_index.py [--shared PATH]``.
Works in a temporary folder (a copy of the corpus and a fresh index); never touches the
repository's ``index/`` or ``seeds/``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    ChildRun,
    Stopwatch,
    add_shared_arg,
    facqa_or_skip,
    final_json,
    fixed,
    kabar_command,
    kabar_env,
    load_avg,
    peak_rss_mb,
    quiet,
    run_child,
    settings_for,
    table,
    verdict,
)

from retrieval.building.indexer import BuildReport, build_index
from retrieval.embedding.embed import Embedder, SentenceTransformerEmbedder, load_embedder
from retrieval.store import versions

APPENDED = " Kalimat ini ditambahkan untuk mengukur pembaruan indeks secara bertahap."


class TimedEmbedder:
    """Wraps an embedder and adds up the time spent in ``encode_passages``."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.texts = 0

    @property
    def model_id(self) -> str:
        """The wrapped model's id."""
        return self.inner.model_id

    @property
    def dim(self) -> int:
        """The wrapped model's dimension."""
        return self.inner.dim

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages, timing the call."""
        started = time.perf_counter()
        out = self.inner.encode_passages(texts, progress)
        self.seconds += time.perf_counter() - started
        self.texts += len(texts)
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions."""
        return self.inner.encode_queries(texts)


def kabar_noop(seeds: Path, index: Path, cwd: Path, runs: int) -> list[ChildRun]:
    """``kabar index`` subprocesses on an up-to-date index (after one unmeasured warm-up).

    Each run's JSON report must show a no-op; the warm-up also catches up with any code change
    made since this process imported the package (other engineers edit it concurrently).
    """
    cmd = [*kabar_command(), "index", "--seeds", str(seeds), "--index", str(index), "--json"]
    done: list[ChildRun] = []
    for i in range(runs + 1):
        run = run_child(cmd, cwd, kabar_env())
        if run.returncode != 0:
            raise SystemExit(f"kabar index failed ({run.returncode}): {run.stderr.strip()}")
        report = json.loads(run.stdout.strip().splitlines()[-1])
        if i and (report["added"] or report["updated"] or report["removed"] or report["full"]):
            print(f"warning: `kabar index` run {i} was not a no-op: {report}")
        if i:
            done.append(run)
    return done


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_arg(parser)
    parser.add_argument("--subprocess-runs", type=int, default=3, metavar="N",
                        help="kabar index no-op subprocess runs to average (default 3)")
    args = parser.parse_args(argv)
    facqa = facqa_or_skip(args.shared)
    quiet()
    started = time.perf_counter()
    load_start = load_avg()

    with tempfile.TemporaryDirectory(prefix="kabar-bench-index-") as tmp_name:
        tmp = Path(tmp_name)
        seeds, index = tmp / "seeds", tmp / "index"
        shutil.copytree(facqa / "corpus", seeds)
        settings = settings_for(seeds, index)

        with Stopwatch() as load_sw:
            model = load_embedder(settings)
        if not isinstance(model, SentenceTransformerEmbedder):
            raise SystemExit(f"expected a sentence-transformers model, got {type(model)}")
        st = model._model  # the underlying SentenceTransformer, for the raw rate
        timed = TimedEmbedder(model)
        # Warm-up: first forward passes allocate and pick kernels.
        model.encode_passages(["Pemanasan model sebelum pengukuran."] * settings.batch_size)

        with Stopwatch() as full_sw:
            full = build_index(settings, fixed(timed), full=True)
        full_model_s = timed.seconds
        data = versions.load(index, model_id=settings.embedding_model)
        texts = [data.chunk_text(i) for i in range(data.num_chunks)]
        chars_sent = int(np.sum(data.layout.sent_end - data.layout.sent_start))
        chars_chunk = sum(len(t) for t in texts)
        del data

        st.encode(texts[: 2 * settings.batch_size], batch_size=settings.batch_size,
                  normalize_embeddings=True, show_progress_bar=False)
        with Stopwatch() as raw_sw:
            st.encode(texts, batch_size=settings.batch_size, normalize_embeddings=True,
                      show_progress_bar=False)

        target = sorted(seeds.glob("*.txt"))[0]
        target.write_text(target.read_text(encoding="utf-8").rstrip() + APPENDED + "\n",
                          encoding="utf-8")
        timed.seconds = 0.0
        incr: BuildReport = build_index(settings, fixed(timed))
        incr_model_s = timed.seconds

        noop = build_index(settings, fixed(timed))
        # A touched file with the same content: every article is read again, nothing embedded.
        sorted(seeds.glob("*.txt"))[1].touch()
        touched = build_index(settings, fixed(timed))
        noop_sub = kabar_noop(seeds, index, tmp, args.subprocess_runs)
        rss = peak_rss_mb()

    pipeline_rate = full.chunks / full.seconds
    raw_rate = full.chunks / raw_sw.wall
    ratio = pipeline_rate / raw_rate
    incr_share = incr.seconds / full.seconds
    figures = {
        "articles": full.added,
        "chunks": full.chunks,
        "sentences_embedded": full.sentences_embedded,
        "chars_chunks": chars_chunk,
        "chars_sentences": chars_sent,
        "model_load_s": round(load_sw.wall, 2),
        "full_build_s": round(full.seconds, 2),
        "full_build_model_s": round(full_model_s, 2),
        "full_build_cores": round(full_sw.cores, 2),
        "pipeline_chunks_per_s": round(pipeline_rate, 1),
        "raw_encode_s": round(raw_sw.wall, 2),
        "raw_encode_cores": round(raw_sw.cores, 2),
        "raw_chunks_per_s": round(raw_rate, 1),
        "pipeline_over_raw": round(ratio, 3),
        "pipeline_over_raw_cpu": round((raw_sw.wall * raw_sw.cores)
                                       / (full_sw.wall * full_sw.cores), 3),
        "incremental_s": round(incr.seconds, 3),
        "incremental_updated": incr.updated,
        "incremental_sentences_embedded": incr.sentences_embedded,
        "incremental_model_s": round(incr_model_s, 3),
        "incremental_over_full": round(incr_share, 4),
        "noop_s": round(noop.seconds, 4),
        "touched_noop_s": round(touched.seconds, 3),
        "kabar_index_noop_wall_s": round(statistics.mean(r.wall for r in noop_sub), 3),
        "kabar_index_noop_wall_min_s": round(min(r.wall for r in noop_sub), 3),
        "kabar_index_noop_reported_s": round(statistics.mean(
            json.loads(r.stdout.strip().splitlines()[-1])["seconds"] for r in noop_sub), 3),
        "peak_rss_mb": rss,
        "peak_rss_kabar_index_noop_mb": max(r.peak_rss_mb for r in noop_sub),
        "load_avg_start": load_start,
        "load_avg_end": load_avg(),
        "total_s": round(time.perf_counter() - started, 1),
    }
    print_report(figures)
    final_json("bench_index", figures)
    return 0


def print_report(f: dict[str, Any]) -> None:
    """The human-readable table."""
    rows = [
        ("corpus", f"{f['articles']} articles, {f['chunks']} chunks, "
                   f"{f['sentences_embedded']} unique sentences", ""),
        ("model load (once)", f"{f['model_load_s']:.2f} s", ""),
        ("full build", f"{f['full_build_s']:.2f} s ({f['full_build_model_s']:.2f} s in the model,"
                       f" {f['full_build_cores']:.2f} cores busy)", ""),
        ("  pipeline rate", f"{f['pipeline_chunks_per_s']:.1f} chunks/s", ""),
        ("raw model.encode of the chunk texts", f"{f['raw_encode_s']:.2f} s "
                                                f"({f['raw_encode_cores']:.2f} cores busy)", ""),
        ("  raw rate", f"{f['raw_chunks_per_s']:.1f} chunks/s", ""),
        ("pipeline / raw", f"{f['pipeline_over_raw']:.3f}",
         f"goal >= 0.9: {verdict(f['pipeline_over_raw'] >= 0.9)}"),
        ("  by CPU time (less sensitive to load)", f"{f['pipeline_over_raw_cpu']:.3f}",
         "raw CPU-s / pipeline CPU-s"),
        ("incremental (1 article changed)",
         f"{f['incremental_s']:.3f} s ({f['incremental_updated']} updated, "
         f"{f['incremental_sentences_embedded']} sentences embedded)", ""),
        ("  incremental / full", f"{100 * f['incremental_over_full']:.2f} %",
         f"goal <= 5 %: {verdict(f['incremental_over_full'] <= 0.05)}"),
        ("no-op re-index (in-process)", f"{1000 * f['noop_s']:.1f} ms", ""),
        ("touched file, same content", f"{f['touched_noop_s']:.3f} s", ""),
        ("`kabar index` no-op subprocess", f"{f['kabar_index_noop_wall_s']:.3f} s wall "
                                            f"(min {f['kabar_index_noop_wall_min_s']:.3f}; "
                                            f"{f['kabar_index_noop_reported_s']:.3f} s inside)",
         ""),
        ("peak RSS", f"{f['peak_rss_mb']:.0f} MB (model loaded, all builds in-process)", ""),
        ("  `kabar index` no-op subprocess", f"{f['peak_rss_kabar_index_noop_mb']:.0f} MB", ""),
        ("load average", f"{f['load_avg_start']} at start, {f['load_avg_end']} at end", ""),
    ]
    print(table("bench_index: FacQA corpus, bundled all-MiniLM-L6-v2", ("", "figure", "goal"),
                rows))
    print("note: the pipeline embeds each unique sentence once (chunk vector = normalised mean "
          "of its sentences);\n      'raw' encodes the chunk texts themselves "
          f"({f['chars_chunks']} chars vs {f['chars_sentences']} in unique sentences).")
    print(f"total runtime {f['total_s']:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
