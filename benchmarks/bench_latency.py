"""Warm per-question latency of ``Engine.answer`` at FacQA size and at >= 100k chunks.

For each size, every FacQA valid question is timed through ``Engine.answer(q)`` (default
``top_k``), interleaved with the *floor* for the same question: the real model's query
encoding (``embedder.encode_queries([q])``) plus the FAISS search alone
(``data.vectors.search(vec, 50)``, the dense candidate count the engine uses). Goal: p95 of
``Engine.answer`` <= 1.5 x the floor's p95. When the model's default dense weight is 0 (the
bundled English-only model on FacQA), the engine skips the FAISS search, so a second engine
with the dense side on (weight 0.3, what a multilingual model gets) is timed as well. The
engines embed questions as ``kabar`` does, through the model's ONNX export
(``--query-runtime torch`` for today's path); the floor is always today's torch encode.

* FacQA size: the real corpus indexed with the bundled all-MiniLM-L6-v2.
* >= 100k chunks: a synthetic corpus of real FacQA sentences recombined (seeded) into new
  articles, so cleaning, chunking, BM25 and the answer stage see real text. Its *vectors* are
  synthetic: the build uses an embedder whose ``model_id`` is the real model's and whose
  passages get seeded random unit vectors (dim 384); at query time the REAL model encodes the
  questions against them, so every cost is real except the passage vectors' meaning.

Also measured: the cold one-shot ``kabar ask "..." --no-update`` wall time (subprocess, real
model, FacQA index; mean of 3 runs). FAISS runs on one thread (the Engine sets it); torch keeps
its default thread count. ``--profile N`` runs cProfile over N questions at the large size
and prints the top functions.

Run from the repository root: ``python benchmarks/bench_latency.py [--shared PATH]
[--work DIR] [--target-chunks N] [--profile N]``. ``--work DIR`` keeps (and reuses) the
indexes and the synthetic corpus there instead of a temporary folder.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    ROOT,
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
    percentile_ms,
    quiet,
    read_jsonl,
    run_child,
    settings_for,
    table,
    verdict,
)

from retrieval.building.chunks import chunk_sentences, split_sentences
from retrieval.building.indexer import BuildReport, build_index
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder, load_embedder
from retrieval.embedding.runtime import query_embedder
from retrieval.engine import Engine
from retrieval.reading.clean import parse_article
from retrieval.store import versions
from retrieval.text.lexicon import Lexicon
from retrieval.tuning import TUNING, effective

SEED = 20240224
WARMUP = 10
COLD_RUNS = 3
#: Dense weight used to exercise the FAISS path when the configured model's default is 0
#: (the weight a multilingual model gets).
DENSE_ON = TUNING.dense_weight_other


class RandomPassageEmbedder:
    """Claims the real model's id; gives passages seeded random unit vectors (build only)."""

    def __init__(self, model_id: str, dim: int, seed: int = SEED) -> None:
        self._model_id, self._dim = model_id, dim
        self._rng = np.random.default_rng(seed)

    @property
    def model_id(self) -> str:
        """The real model's id, so the real model can query the index."""
        return self._model_id

    @property
    def dim(self) -> int:
        """The real model's dimension."""
        return self._dim

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Seeded random unit vectors, one per text."""
        out = self._rng.standard_normal((len(texts), self._dim), dtype=np.float32)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Not used: questions go through the real model."""
        raise RuntimeError("the synthetic embedder only builds the index")


def facqa_sentences(corpus: Path) -> list[str]:
    """Every sentence of the FacQA passages, as the indexer cleans and splits them."""
    out: list[str] = []
    for path in sorted(corpus.glob("*.txt")):
        body, _ = parse_article(path.read_text(encoding="utf-8"))
        out.extend(s.text for s in split_sentences(body) if 30 <= len(s.text) <= 400)
    return out


def make_corpus(corpus: Path, out: Path, settings: Settings, target_chunks: int) -> dict[str, int]:
    """Write recombined articles into ``out`` until they hold ``target_chunks`` chunks or more.

    Chunks are counted with the indexer's own cleaning, splitting and chunking, so the
    built index holds the same number (unless near-duplicates merge, which random
    recombination makes vanishingly unlikely). Reused when ``out`` already holds them.
    """
    marker = out / "corpus.json"
    wanted = {"target_chunks": target_chunks, "seed": SEED, "chunk_chars": settings.chunk_chars,
              "chunk_overlap": settings.chunk_overlap}
    if marker.is_file():
        done: dict[str, int] = json.loads(marker.read_text(encoding="utf-8"))
        if {k: done.get(k) for k in wanted} == wanted:
            return done
    articles_dir = out / "articles"
    articles_dir.mkdir(parents=True, exist_ok=True)
    for old in articles_dir.glob("*.txt"):
        old.unlink()
    sentences = facqa_sentences(corpus)
    rng = np.random.default_rng(SEED)
    chunks = articles = 0
    while chunks < target_chunks:
        picked = rng.choice(len(sentences), size=int(rng.integers(9, 15)), replace=False)
        paragraphs = [" ".join(sentences[i] for i in picked[p:p + 3])
                      for p in range(0, len(picked), 3)]
        raw = "\n\n".join(paragraphs) + "\n"
        body, meta = parse_article(raw)
        n = len(chunk_sentences(f"syn-{articles:06d}", meta.title, body, split_sentences(body),
                                settings.chunk_chars, settings.chunk_overlap))
        (articles_dir / f"syn-{articles:06d}.txt").write_text(raw, encoding="utf-8")
        chunks += n
        articles += 1
    facts = {**wanted, "articles": articles, "chunks": chunks, "sentences_pool": len(sentences)}
    marker.write_text(json.dumps(facts), encoding="utf-8")
    return facts


def measure(engines: Sequence[Engine], embedder: Embedder, questions: Sequence[str]
            ) -> tuple[list[list[float]], list[float]]:
    """Per-question seconds of each engine's ``answer`` and of the floor, interleaved.

    ``embedder`` is the floor's: today's torch model, whatever the engines embed with."""
    data = engines[0].searcher.view  # the engine's own loaded index
    k = min(TUNING.dense_candidates, data.num_chunks)

    def floor(q: str) -> None:
        vec = embedder.encode_queries([q])
        data.vectors.search(vec[0], k)

    for q in questions[:WARMUP]:
        floor(q)
        for engine in engines:
            engine.answer(q)
    answers: list[list[float]] = [[] for _ in engines]
    floors = []
    for q in questions:
        t0 = time.perf_counter()
        floor(q)
        floors.append(time.perf_counter() - t0)
        for engine, times in zip(engines, answers, strict=True):
            t0 = time.perf_counter()
            engine.answer(q)
            times.append(time.perf_counter() - t0)
    return answers, floors


def engines_for(settings: Settings, embedder: Embedder, lexicon: Lexicon
                ) -> tuple[list[Engine], list[float]]:
    """The engine as configured, plus one with the dense side on when the default is off."""
    default = effective(settings, embedder.model_id).dense_weight or 0.0
    weights = [default] if default > 0 else [default, DENSE_ON]
    return [Engine(settings.replace(dense_weight=w), embedder, lexicon)
            for w in weights], weights


def cold_ask(index: Path, question: str, cwd: Path) -> list[ChildRun]:
    """``kabar ask QUESTION --no-update`` subprocesses (wall time and peak RSS of each)."""
    runs = []
    for _ in range(COLD_RUNS):
        run = run_child([*kabar_command(), "ask", question, "--no-update", "--index", str(index)],
                        cwd, kabar_env())
        if run.returncode != 0:
            raise SystemExit(f"kabar ask failed ({run.returncode}): {run.stderr.strip()}")
        runs.append(run)
    return runs


def profile(engine: Engine, questions: Sequence[str], top: int = 10) -> list[str]:
    """cProfile ``Engine.answer`` over ``questions``; the top functions, formatted."""
    prof = cProfile.Profile()
    prof.enable()
    for q in questions:
        engine.answer(q)
    prof.disable()
    stats = pstats.Stats(prof)
    entries = stats.stats  # type: ignore[attr-defined]
    lines = []
    ours = {k: v for k, v in entries.items()
            if k[0].startswith(str(ROOT)) and "site-packages" not in k[0]}
    for key_name, key, pool in (("cumulative", 3, entries), ("own (tottime)", 2, entries),
                                ("cumulative, Kabar's own functions", 3, ours)):
        ranked = sorted(pool.items(), key=lambda kv: -kv[1][key])[:top]
        lines.append(f"top {top} by {key_name} time over {len(questions)} questions "
                     "(ms per question: cumulative / own, calls per question):")
        n = len(questions)
        for (path, line, func), (_, ncalls, tottime, cumtime, _) in ranked:
            lines.append(f"  {1000 * cumtime / n:8.2f} {1000 * tottime / n:8.2f}"
                         f" {ncalls / n:9.1f}  {_where(path, line, func)}")
    return lines


def _where(path: str, line: int, func: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{line}({func})" if line else func


def _built(report: BuildReport) -> float | None:
    """Build seconds, or ``None`` when the index was already up to date (``--work`` reuse)."""
    return round(report.seconds, 1) if report.changed else None


def _built_text(report: BuildReport) -> str:
    return f"built in {report.seconds:.1f} s" if report.changed else "reused (up to date)"


def _size_rows(label: str, chunks: int, weights: list[float], answers: list[list[float]],
               floors: list[float]) -> list[dict[str, Any]]:
    return [_size_row(label, chunks, w, a, floors) for w, a in zip(weights, answers, strict=True)]


def _size_row(label: str, chunks: int, weight: float, answers: list[float], floors: list[float]
              ) -> dict[str, Any]:
    p50, p95 = percentile_ms(answers, 50), percentile_ms(answers, 95)
    f50, f95 = percentile_ms(floors, 50), percentile_ms(floors, 95)
    return {"size": label, "chunks": chunks, "dense_weight": weight,
            "answer_p50_ms": round(p50, 2),
            "answer_p95_ms": round(p95, 2), "floor_p50_ms": round(f50, 2),
            "floor_p95_ms": round(f95, 2), "p95_over_floor_p95": round(p95 / f95, 3),
            "answer_mean_ms": round(1000 * statistics.mean(answers), 2)}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_arg(parser)
    parser.add_argument("--work", type=Path, metavar="DIR",
                        help="keep and reuse the indexes and synthetic corpus here")
    parser.add_argument("--target-chunks", type=int, default=100_000, metavar="N",
                        help="chunks in the synthetic corpus (default 100000)")
    parser.add_argument("--query-runtime", choices=("onnx", "torch"), default="onnx",
                        help="how the engines embed questions (default: the ONNX export)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="cProfile Engine.answer over N questions at the large size")
    args = parser.parse_args(argv)
    facqa = facqa_or_skip(args.shared)
    quiet()
    started = time.perf_counter()
    load_start = load_avg()
    questions = [item["q"] for item in read_jsonl(facqa / "questions-valid.jsonl")]
    import torch

    torch_default = torch.get_num_threads()
    with tempfile.TemporaryDirectory(prefix="kabar-bench-latency-") as tmp_name:
        work = args.work or Path(tmp_name)
        work.mkdir(parents=True, exist_ok=True)
        small = settings_for(facqa / "corpus", work / "facqa-index")
        embedder = load_embedder(small)
        lexicon = Lexicon.load()
        small_build = build_index(small, fixed(embedder))  # also exports the model to ONNX
        # The engines embed questions as `kabar` does (the ONNX export unless
        # --query-runtime torch); the floor stays today's torch encode + FAISS search.
        encoder = query_embedder(small.replace(query_runtime=args.query_runtime),
                                 fixed(embedder))
        engines, weights = engines_for(small, encoder, lexicon)
        small_answers, small_floors = measure(engines, embedder, questions)
        del engines

        with Stopwatch() as gen_sw:
            synthetic = make_corpus(facqa / "corpus", work / "synthetic", small,
                                    args.target_chunks)
        big = settings_for(work / "synthetic" / "articles", work / "synthetic-index")
        fake = RandomPassageEmbedder(embedder.model_id, embedder.dim)
        big_build: BuildReport = build_index(big, fixed(fake))
        big_noop = build_index(big, fixed(fake))  # nothing changed: should cost next to nothing
        big_faiss = versions.read_manifest(big.index_dir).vector_kind
        engines, weights = engines_for(big, encoder, lexicon)
        big_answers, big_floors = measure(engines, embedder, questions)
        profile_lines = profile(engines[0], questions[: args.profile]) if args.profile else []
        del engines

        cold = cold_ask(small.index_dir, questions[0], work)
        rss = peak_rss_mb()

    sizes = [*_size_rows("FacQA", small_build.chunks, weights, small_answers, small_floors),
             *_size_rows("synthetic", big_build.chunks, weights, big_answers, big_floors)]
    figures: dict[str, Any] = {
        "questions": len(questions),
        "sizes": sizes,
        "goal_met": all(s["p95_over_floor_p95"] <= 1.5 for s in sizes),
        "cold_kabar_ask_s": round(statistics.mean(c.wall for c in cold), 2),
        "cold_kabar_ask_runs_s": [round(c.wall, 2) for c in cold],
        "cold_kabar_ask_peak_rss_mb": max(c.peak_rss_mb for c in cold),
        "facqa_build_s": _built(small_build),
        "synthetic_articles": synthetic["articles"],
        "synthetic_sentence_pool": synthetic["sentences_pool"],
        "synthetic_generate_s": round(gen_sw.wall, 1),
        "synthetic_build_s": _built(big_build),
        "synthetic_faiss": big_faiss,
        "synthetic_noop_reindex_s": round(big_noop.seconds, 2),
        "query_runtime": type(encoder).__name__,
        "torch_threads_default": torch_default,
        "torch_threads": torch.get_num_threads(),
        "faiss_threads": 1,
        "peak_rss_mb": rss,
        "load_avg_start": load_start,
        "load_avg_end": load_avg(),
        "cpus": os.cpu_count(),
        "total_s": round(time.perf_counter() - started, 1),
    }
    for line in profile_lines:
        print(line)
    rows = [(f"{s['size']} ({s['chunks']} chunks), dense w={s['dense_weight']:g}"
             + (" (default)" if s["dense_weight"] == weights[0] else ""),
             f"{s['answer_p50_ms']:.1f}",
             f"{s['answer_p95_ms']:.1f}", f"{s['floor_p50_ms']:.1f}", f"{s['floor_p95_ms']:.1f}",
             f"{s['p95_over_floor_p95']:.2f}", verdict(s["p95_over_floor_p95"] <= 1.5))
            for s in sizes]
    print(table(f"bench_latency: warm Engine.answer ({figures['query_runtime']}) vs floor "
                "(torch encode_queries + FAISS search), "
                f"{len(questions)} FacQA valid questions, ms",
                ("index", "p50", "p95", "floor p50", "floor p95", "p95/floor", "goal <= 1.5"),
                rows))
    print(f"FacQA index: {small_build.chunks} chunks, {_built_text(small_build)} (real model)")
    print(f"synthetic index: {synthetic['articles']} articles recombined from "
          f"{synthetic['sentences_pool']} FacQA sentences, {big_build.chunks} chunks, "
          f"{big_faiss}; RANDOM passage vectors, real model for queries; generated in "
          f"{gen_sw.wall:.1f} s, {_built_text(big_build)}, no-op re-index "
          f"{big_noop.seconds:.2f} s")
    print(f"cold `kabar ask \"...\" --no-update` (FacQA index, real model): "
          f"{figures['cold_kabar_ask_s']:.2f} s mean of {COLD_RUNS} "
          f"({', '.join(f'{c.wall:.2f}' for c in cold)}), peak RSS "
          f"{figures['cold_kabar_ask_peak_rss_mb']:.0f} MB")
    print(f"torch threads {figures['torch_threads']} during the runs ({torch_default} at start; "
          "the engine lowers OpenMP to 1 thread only around its FAISS search), "
          f"{os.cpu_count()} CPUs; "
          f"load average {load_start} -> {figures['load_avg_end']}; peak RSS "
          f"{rss:.0f} MB; total runtime "
          f"{figures['total_s']:.1f} s")
    final_json("bench_latency", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
