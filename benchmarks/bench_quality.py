"""Retrieval and answer quality on FacQA, against plain BM25 on the same passages.

Indexes ``bench/facqa/corpus`` once with the bundled all-MiniLM-L6-v2, asks every question of
``questions-valid.jsonl`` (``--split train`` for the train questions) through
``Engine.answer(q, k=10)``, writes the ``kabar ask --json`` objects (``bot.format.answer_json``)
as JSON lines and scores them with the shared ``eval/qa_eval.py facqa`` scorer: R@1, R@5,
MRR@10 and answer_contains. Printed next to it, scored the same way:

* Kabar BM25-only: the same engine with ``dense_weight=0`` (the fusion gain is the difference);
* plain BM25: bm25s (default k1=1.5, b=0.75) over the raw files, one document per file,
  lowercase ``\\w+`` tokens, no stemming, no stopwords.

Goal: R@1 >= 0.85 and at least 4 points above plain BM25.

Cross-lingual: the questions of the split translated into English by hand
(``benchmarks/data/facqa-{split}-en.jsonl``, each with its Indonesian original in ``q_id``)
are asked in both languages and scored side by side (R@1, R@5, answer_contains), with plain
BM25 on the English ones for reference. Goal: English R@1 >= 0.78.

``--tune`` adds a sweep of the dense weight over train questions (R@1 / MRR@10 per weight).
The sweep analyses each question once (query vector and expansion do not depend on the
weight) and searches it with one ``Searcher`` per weight, which gives exactly the passages
``Engine.answer(q, k=10)`` returns with ``settings.dense_weight`` set to that weight.

Run from the repository root: ``python benchmarks/bench_quality.py [--shared PATH]
[--split valid|train] [--index DIR] [--out DIR] [--tune]``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from _common import (
    Prefetched,
    Stopwatch,
    add_shared_arg,
    facqa_or_skip,
    final_json,
    fixed,
    load_avg,
    load_qa_eval,
    peak_rss_mb,
    quiet,
    read_jsonl,
    settings_for,
    table,
    verdict,
    write_jsonl,
)

from bot.format import answer_json
from retrieval.building.indexer import build_index
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder, load_embedder
from retrieval.engine import Engine, clean_question
from retrieval.search import Searcher
from retrieval.store import versions
from retrieval.text.lexicon import Lexicon
from retrieval.tuning import effective

K = 10
SWEEP = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
_WORD = re.compile(r"\w+")


def plain_tokens(text: str) -> list[str]:
    """Lowercase ``\\w+`` tokens: no stemming, no stopwords."""
    return _WORD.findall(text.lower())


def run_engine(settings: Settings, embedder: Embedder, lexicon: Lexicon,
               questions: Sequence[dict[str, Any]], out: Path) -> float:
    """Answer every question with ``Engine.answer(q, k=10)``; returns seconds per question."""
    engine = Engine(settings, embedder, lexicon)
    rows = []
    with Stopwatch() as sw:
        for item in questions:
            rows.append(answer_json(engine.answer(item["q"], k=K)))
    write_jsonl(out, rows)
    return sw.wall / max(1, len(questions))


def run_plain_bm25(corpus: Path, questions: Sequence[dict[str, Any]], out: Path) -> float:
    """Plain bm25s over the raw files; returns seconds per question (retrieval only)."""
    import bm25s

    files = sorted(corpus.glob("*.txt"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    retriever = bm25s.BM25()
    retriever.index([plain_tokens(t) for t in texts], show_progress=False)
    rows = []
    with Stopwatch() as sw:
        for item in questions:
            tokens = [t for t in plain_tokens(item["q"]) if t in retriever.vocab_dict]
            scores = retriever.get_scores(tokens) if tokens else np.zeros(len(files))
            top = np.argsort(-scores, kind="stable")[:K]
            rows.append({"question": item["q"], "answer": "", "passages": [
                {"doc_id": files[i].name, "text": texts[i], "score": float(scores[i])}
                for i in top]})
    write_jsonl(out, rows)
    return sw.wall / max(1, len(questions))


def score(qa_eval: ModuleType, questions_path: Path, out: Path) -> dict[str, float]:
    """The shared scorer's facqa figures for one run."""
    items, outs = read_jsonl(questions_path), read_jsonl(out)
    if len(items) != len(outs):
        raise SystemExit(f"{out}: expected {len(items)} lines, got {len(outs)}")
    result: dict[str, float] = qa_eval.facqa(items, outs)
    return result


def sweep(settings: Settings, embedder: Embedder, lexicon: Lexicon,
          questions: Sequence[dict[str, Any]], qa_eval: ModuleType) -> list[dict[str, float]]:
    """R@1 / R@5 / MRR@10 per dense weight on ``questions``."""
    data = versions.load(settings.index_dir, embedder.model_id)
    import faiss

    faiss.omp_set_num_threads(1)  # as the engine does around each search
    searchers = {w: Searcher(data, embedder, lexicon,
                             effective(settings.replace(dense_weight=w), embedder.model_id))
                 for w in SWEEP}
    analysed = [searchers[0.0].analyse(clean_question(item["q"])) for item in questions]
    rows = []
    for w, searcher in searchers.items():
        outs = [{"answer": "", "passages": [
            {"doc_id": p.doc_id, "text": p.text}
            for p in searcher.passages(searcher.search(query, K))]} for query in analysed]
        m = qa_eval.facqa(list(questions), outs)
        rows.append({"dense_weight": w, "R1": m["R1"], "R5": m["R5"], "MRR10": m["MRR10"]})
    return rows


def prefetched(embedder: Embedder, sets: Sequence[Sequence[dict[str, Any]]]) -> Embedder:
    """``embedder`` with the vectors of every question of ``sets`` computed in one batch
    (as the engine cleans them), so each question is not one model call."""
    return Prefetched(embedder, [clean_question(i["q"]) for rows in sets for i in rows])


def tune_only(settings: Settings, facqa: Path, qa_eval: ModuleType) -> int:
    """``--tune-only``: build, then sweep the dense weight on the train questions in
    Indonesian and in their English translations; nothing else."""
    embedder = load_embedder(settings)
    lexicon = Lexicon.load()
    build_index(settings, fixed(embedder))
    english = read_jsonl(Path(__file__).parent / "data" / "facqa-train-en.jsonl")
    embedder = prefetched(embedder, [read_jsonl(facqa / "questions-train.jsonl"), english])
    figures: dict[str, Any] = {"model": embedder.model_id}
    for name, questions in (("id", read_jsonl(facqa / "questions-train.jsonl")),
                            ("en", english)):
        rows = sweep(settings, embedder, lexicon, questions, qa_eval)
        figures[f"tune_train_{name}"] = [_rounded(r) for r in rows]
        print(table(f"dense-weight sweep, FacQA train ({name}, {len(questions)} questions, "
                    f"{embedder.model_id})", ("dense_weight", "R@1", "R@5", "MRR@10"),
                    [(f"{r['dense_weight']:g}", f"{r['R1']:.3f}", f"{r['R5']:.3f}",
                      f"{r['MRR10']:.3f}") for r in rows]))
    final_json("bench_quality_tune", figures)
    return 0


def cross_lingual(settings: Settings, embedder: Embedder, lexicon: Lexicon, qa_eval: ModuleType,
                  corpus: Path, split: str, out: Path) -> dict[str, dict[str, float]]:
    """The English translations of ``split`` and their Indonesian originals, scored apart."""
    english_path = Path(__file__).parent / "data" / f"facqa-{split}-en.jsonl"
    if not english_path.is_file():
        return {}
    english = read_jsonl(english_path)
    indonesian = [{**item, "q": item["q_id"]} for item in english]
    write_jsonl(out / "questions-id.jsonl", indonesian)
    runs: dict[str, dict[str, float]] = {}
    for name, questions, path in (("Indonesian originals", indonesian, out / "questions-id.jsonl"),
                                  ("English translations", english, english_path)):
        seconds = run_engine(settings, embedder, lexicon, questions, out / f"xl-{name[:2]}.jsonl")
        runs[name] = {**score(qa_eval, path, out / f"xl-{name[:2]}.jsonl"),
                      "ms_per_q": 1000 * seconds}
    seconds = run_plain_bm25(corpus, english, out / "xl-plain.jsonl")
    runs["English, plain BM25"] = {**score(qa_eval, english_path, out / "xl-plain.jsonl"),
                                   "ms_per_q": 1000 * seconds}
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_arg(parser)
    parser.add_argument("--split", choices=("valid", "train"), default="valid",
                        help="which questions to score (default valid)")
    parser.add_argument("--index", type=Path, metavar="DIR",
                        help="build (or reuse, if up to date) the FacQA index here and keep it")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="keep the JSON-lines answers of each run here")
    parser.add_argument("--tune", action="store_true",
                        help="also sweep the dense weight on the train questions")
    parser.add_argument("--tune-only", action="store_true",
                        help="only sweep the dense weight (train, Indonesian and English)")
    parser.add_argument("--model", metavar="ID",
                        help="embedding model (default: Kabar's default)")
    args = parser.parse_args(argv)
    facqa = facqa_or_skip(args.shared)
    qa_eval = load_qa_eval(args.shared)
    quiet()
    started = time.perf_counter()
    load_start = load_avg()
    questions_path = facqa / f"questions-{args.split}.jsonl"
    questions = read_jsonl(questions_path)

    with tempfile.TemporaryDirectory(prefix="kabar-bench-quality-") as tmp_name:
        tmp = Path(tmp_name)
        index = args.index or tmp / "index"
        out = args.out or tmp / "out"
        out.mkdir(parents=True, exist_ok=True)
        settings = settings_for(facqa / "corpus", index)
        if args.model:
            settings = settings.replace(embedding_model=args.model)
        if args.tune_only:
            return tune_only(settings, facqa, qa_eval)
        with Stopwatch() as load_sw:
            embedder = load_embedder(settings)
            lexicon = Lexicon.load()
        build = build_index(settings, fixed(embedder))
        english_path = Path(__file__).parent / "data" / f"facqa-{args.split}-en.jsonl"
        english_rows = read_jsonl(english_path) if english_path.is_file() else []
        embedder = prefetched(embedder, [questions, english_rows,
                                         [{"q": i["q_id"]} for i in english_rows]])

        runs: dict[str, dict[str, float]] = {}
        per_q: dict[str, float] = {}
        default_w = effective(settings, embedder.model_id).dense_weight
        name_hybrid = f"kabar default (dense w={default_w:g})"
        per_q[name_hybrid] = run_engine(settings, embedder, lexicon, questions,
                                        out / "kabar-hybrid.jsonl")
        runs[name_hybrid] = score(qa_eval, questions_path, out / "kabar-hybrid.jsonl")
        name_bm25 = "kabar BM25-only (dense w=0)"
        per_q[name_bm25] = run_engine(settings.replace(dense_weight=0.0), embedder,
                                      lexicon, questions, out / "kabar-bm25only.jsonl")
        runs[name_bm25] = score(qa_eval, questions_path, out / "kabar-bm25only.jsonl")
        name_plain = "plain BM25 (bm25s, \\w+, no stem/stop)"
        per_q[name_plain] = run_plain_bm25(facqa / "corpus", questions, out / "plain-bm25.jsonl")
        runs[name_plain] = score(qa_eval, questions_path, out / "plain-bm25.jsonl")

        crossed = cross_lingual(settings, embedder, lexicon, qa_eval, facqa / "corpus",
                                args.split, out)
        tuned: list[dict[str, float]] = []
        if args.tune:
            tuned = sweep(settings, embedder, lexicon,
                          read_jsonl(facqa / "questions-train.jsonl"), qa_eval)

    hybrid, plain = runs[name_hybrid], runs[name_plain]
    gain = hybrid["R1"] - plain["R1"]
    ok = hybrid["R1"] >= 0.85 and gain >= 0.04
    figures: dict[str, Any] = {
        "split": args.split,
        "questions": len(questions),
        "index_chunks": build.chunks,
        "index_build_s": round(build.seconds, 1),
        "runs": {
            "kabar_default": {**_rounded(hybrid), "dense_weight": default_w,
                             "ms_per_q": round(1000 * per_q[name_hybrid], 1)},
            "kabar_bm25_only": {**_rounded(runs[name_bm25]),
                                "ms_per_q": round(1000 * per_q[name_bm25], 1)},
            "plain_bm25": {**_rounded(plain), "ms_per_q": round(1000 * per_q[name_plain], 1)},
        },
        "r1_gain_over_plain_bm25": round(gain, 4),
        "fusion_gain_r1": round(hybrid["R1"] - runs[name_bm25]["R1"], 4),
        "goal_met": ok,
        "cross_lingual": {name: _rounded(m) for name, m in crossed.items()},
        "tune_train": [_rounded(r) for r in tuned],
        "model_load_s": round(load_sw.wall, 2),
        "peak_rss_mb": peak_rss_mb(),
        "load_avg_start": load_start,
        "load_avg_end": load_avg(),
        "total_s": round(time.perf_counter() - started, 1),
    }
    rows = [(name, f"{m['R1']:.3f}", f"{m['R5']:.3f}", f"{m['MRR10']:.3f}",
             "n/a" if name == name_plain else f"{m['answer_contains']:.3f}",
             f"{1000 * per_q[name]:.1f}") for name, m in runs.items()]
    print(table(f"bench_quality: FacQA {args.split} ({len(questions)} questions, k={K}, "
                f"index {build.chunks} chunks)",
                ("run", "R@1", "R@5", "MRR@10", "ans_contains", "ms/q"), rows))
    print(f"goal: R@1 >= 0.85 and >= 4 points above plain BM25 -> R@1 {hybrid['R1']:.3f}, "
          f"{100 * gain:+.2f} points: {verdict(ok)}")
    print(f"fusion gain over Kabar BM25-only: {100 * figures['fusion_gain_r1']:+.2f} R@1 points"
          + (" (the default dense weight is 0 for this model, so both rows are BM25-only; "
             "--tune shows other weights)" if default_w == 0 else ""))
    if crossed:
        english = crossed["English translations"]
        print(table(f"cross-lingual: FacQA {args.split}, the same "
                    f"{int(english['n'])} questions asked in each language",
                    ("questions", "R@1", "R@5", "MRR@10", "ans_contains", "ms/q"),
                    [(name, f"{m['R1']:.3f}", f"{m['R5']:.3f}", f"{m['MRR10']:.3f}",
                      "n/a" if "plain" in name else f"{m['answer_contains']:.3f}",
                      f"{m['ms_per_q']:.1f}") for name, m in crossed.items()]))
        print(f"goal: English R@1 >= 0.78 -> {english['R1']:.3f}: "
              f"{verdict(english['R1'] >= 0.78)}")
    if tuned:
        print(table("dense-weight sweep on FacQA train "
                    f"({len(read_jsonl(facqa / 'questions-train.jsonl'))} questions)",
                    ("dense_weight", "R@1", "R@5", "MRR@10"),
                    [(f"{r['dense_weight']:g}", f"{r['R1']:.3f}", f"{r['R5']:.3f}",
                      f"{r['MRR10']:.3f}") for r in tuned]))
    print(f"index build {build.seconds:.1f} s, peak RSS {figures['peak_rss_mb']:.0f} MB, "
          f"load average {load_start} -> {figures['load_avg_end']}, "
          f"total runtime {figures['total_s']:.1f} s")
    final_json("bench_quality", figures)
    return 0


def _rounded(m: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}


if __name__ == "__main__":
    sys.exit(main())
