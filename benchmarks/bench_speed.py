"""Speed of a one-shot question and of index builds: today's path next to the new one.

Everything is measured in ONE run on the FacQA corpus, so each figure has its baseline
beside it (the machine is shared; absolute times swing with its load, ratios much less):

* one-shot ``kabar ask "..." --no-update`` wall time and peak RSS, median of N fresh
  processes each, with questions embedded by the ONNX export (the new default) and by torch
  (``KABAR_QUERY_RUNTIME=torch``, today's path), next to ``python -c pass`` and to the warm
  in-process ``Engine.answer`` time. Goal: <= 1.0 s wall.
* full builds (``kabar index --full --json`` subprocesses): today's path (fp32,
  ``KABAR_BUILD_PRECISION=fp32``, no export) against the new one (bf16 autocast on CPUs
  that have it, ONNX export already present), chunks per second and peak RSS; the first
  build's one-off export cost is shown apart. Goal: new >= 2x today.
* encoders side by side on the same chunk texts (rounds in shuffled order, median rate):
  raw ``SentenceTransformer.encode`` fp32, today's ``encode_passages`` (fp32), the new
  path (bf16, length-sorted blocks), ONNX Runtime fp32, ONNX Runtime dynamic int8 and
  OpenVINO (when installed), each with its cosine to raw fp32.

Run from the repository root: ``python benchmarks/bench_speed.py [--shared PATH] [--runs N]
[--texts N] [--rounds N] [--work DIR]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    ChildRun,
    add_shared_arg,
    facqa_or_skip,
    final_json,
    kabar_command,
    kabar_env,
    load_avg,
    quiet,
    read_jsonl,
    run_child,
    settings_for,
    table,
    verdict,
)

from retrieval.building.assemble import encode_in_blocks
from retrieval.building.progress import Quiet
from retrieval.config import Settings
from retrieval.embedding.embed import SentenceTransformerEmbedder, load_embedder
from retrieval.embedding.onnx_embed import OnnxEmbedder
from retrieval.embedding.onnx_files import (
    META_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    OnnxMeta,
    file_sums,
)
from retrieval.embedding.onnx_files import model_folder as export_folder
from retrieval.embedding.runtime import query_embedder
from retrieval.engine import Engine
from retrieval.store import versions
from retrieval.text.lexicon import Lexicon

Encode = Callable[[list[str]], np.ndarray]


def build(corpus: Path, index: Path, cwd: Path, **env: str) -> tuple[ChildRun, dict[str, Any]]:
    """A ``kabar index --full --json`` subprocess with extra settings; its run and report."""
    run = run_child([*kabar_command(), "index", "--full", "--json", "--seeds", str(corpus),
                     "--index", str(index)], cwd, {**kabar_env(), **env})
    if run.returncode != 0:
        raise SystemExit(f"kabar index failed: {run.stderr.strip()}")
    return run, json.loads(run.stdout.strip().splitlines()[-1])


def builds(corpus: Path, index: Path, cwd: Path) -> dict[str, Any]:
    """The first new build (with the export), today's build, and the new build again."""
    first, first_report = build(corpus, index, cwd)
    today, today_report = build(corpus, index, cwd, KABAR_BUILD_PRECISION="fp32",
                                KABAR_QUERY_RUNTIME="torch")
    new, new_report = build(corpus, index, cwd)
    chunks = new_report["chunks"]

    def rate(report: dict[str, Any]) -> float:
        return round(report["chunks"] / report["seconds"], 1)

    return {"chunks": chunks, "sentences": new_report["sentences_embedded"],
            "today_s": today_report["seconds"], "today_chunks_per_s": rate(today_report),
            "today_peak_rss_mb": today.peak_rss_mb,
            "new_s": new_report["seconds"], "new_chunks_per_s": rate(new_report),
            "new_peak_rss_mb": new.peak_rss_mb,
            "new_over_today": round(rate(new_report) / rate(today_report), 2),
            "first_build_with_export_s": first_report["seconds"],
            "first_build_peak_rss_mb": first.peak_rss_mb}


def one_shots(index: Path, question: str, cwd: Path, runs: int) -> dict[str, list[ChildRun]]:
    """``python -c pass`` and ``kabar ask`` (ONNX, torch), interleaved, ``runs`` each."""
    ask = [*kabar_command(), "ask", question, "--no-update", "--index", str(index)]
    cases = {"python -c pass": ([sys.executable, "-c", "pass"], {}),
             "ask, ONNX (new)": (ask, {}),
             "ask, torch (today)": (ask, {"KABAR_QUERY_RUNTIME": "torch"})}
    out: dict[str, list[ChildRun]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (command, extra) in cases.items():
            run = run_child(command, cwd, {**kabar_env(), **extra})
            if run.returncode != 0:
                raise SystemExit(f"{name} failed: {run.stderr.strip()}")
            out[name].append(run)
    return out


def warm_answer(settings: Settings, question: str, repeats: int = 20) -> float:
    """Median seconds of ``Engine.answer`` in a warm process (ONNX question path)."""
    engine = Engine(settings, query_embedder(settings, lambda: load_embedder(settings)),
                    Lexicon.load())
    engine.answer(question)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        engine.answer(question)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def int8_copy(folder: Path, dest: Path) -> Path:
    """A dynamically quantised (int8 weights, per channel) copy of the export."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dest.mkdir(parents=True, exist_ok=True)
    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process, on every run
    quantize_dynamic(str(folder / MODEL_FILE), str(dest / MODEL_FILE),
                     weight_type=QuantType.QInt8, per_channel=True)
    shutil.copy(folder / TOKENIZER_FILE, dest / TOKENIZER_FILE)
    meta = OnnxMeta.from_json((folder / META_FILE).read_text(encoding="utf-8"))
    # The loader checks every file against meta.json's checksums: record the new model's.
    (dest / META_FILE).write_text(dataclasses.replace(meta, files=file_sums(dest)).to_json(),
                                  encoding="utf-8")
    return dest


def encoders(settings: Settings, folder: Path, work: Path) -> dict[str, Encode]:
    """The encoders compared, by name (OpenVINO only when it is installed)."""
    query, passage = settings.prompts()
    today = load_embedder(settings.replace(build_precision="fp32"))
    new = load_embedder(settings)
    assert isinstance(today, SentenceTransformerEmbedder)
    model = today.sentence_transformer
    meta = OnnxMeta.from_json((folder / META_FILE).read_text(encoding="utf-8"))
    ort32 = OnnxEmbedder(folder, meta, query, passage, threads=0)
    int8 = int8_copy(folder, work / "int8")
    ort8 = OnnxEmbedder(int8, OnnxMeta.from_json((int8 / META_FILE).read_bytes()), query,
                        passage, threads=0)
    found: dict[str, Encode] = {
        "raw model.encode fp32": lambda t: model.encode(
            t, batch_size=settings.batch_size, normalize_embeddings=True,
            convert_to_numpy=True),
        "today: encode_passages fp32": today.encode_passages,
        f"new: blocks, bf16={new.bf16}": lambda t: encode_in_blocks(new, t, Quiet()),  # type: ignore[attr-defined]
        "ONNX Runtime fp32": ort32.encode_passages,
        "ONNX Runtime int8 (dynamic)": ort8.encode_passages,
    }
    openvino = openvino_encoder(folder, meta)
    if openvino is not None:
        found["OpenVINO (default precision)"] = openvino
    return found


def openvino_encoder(folder: Path, meta: OnnxMeta) -> Encode | None:
    """OpenVINO on the same graph, batches sorted by length; ``None`` if not installed."""
    try:
        import openvino
    except ImportError:
        return None
    from tokenizers import Tokenizer

    compiled = openvino.Core().compile_model(str(folder / MODEL_FILE), "CPU",
                                             {"PERFORMANCE_HINT": "THROUGHPUT"})
    tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
    tokenizer.enable_truncation(max_length=meta.max_seq_length)
    tokenizer.no_padding()

    def encode(texts: list[str]) -> np.ndarray:
        encodings = tokenizer.encode_batch(texts)
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        out = np.zeros((len(texts), meta.dim), np.float32)
        for start in range(0, len(order), 32):
            rows = order[start:start + 32]
            width = max(len(encodings[i].ids) for i in rows)
            feed = {n: np.zeros((len(rows), width), np.int64) for n in meta.input_names}
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                feed["input_ids"][r, :n] = encodings[i].ids
                feed["attention_mask"][r, :n] = 1
            out[rows] = compiled(feed)[compiled.output(0)]
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    return encode


def compare(found: dict[str, Encode], texts: list[str], rounds: int) -> list[dict[str, Any]]:
    """Texts per second (median of ``rounds``, shuffled order) and cosine to raw fp32."""
    rates: dict[str, list[float]] = {name: [] for name in found}
    vectors: dict[str, np.ndarray] = {}
    names = list(found)
    for r in range(rounds):
        random.Random(r).shuffle(names)
        for name in names:
            started = time.perf_counter()
            vectors[name] = np.asarray(found[name](list(texts)), dtype=np.float32)
            rates[name].append(len(texts) / (time.perf_counter() - started))
    base_name = next(iter(found))
    base = vectors[base_name]
    base_rate = statistics.median(rates[base_name])
    rows = []
    for name in found:
        cos = np.sum(vectors[name] * base, axis=1)
        rate = statistics.median(rates[name])
        rows.append({"encoder": name, "texts_per_s": round(rate, 1),
                     "best_per_s": round(max(rates[name]), 1),
                     "over_raw": round(rate / base_rate, 2),
                     "cos_mean": round(float(cos.mean()), 5),
                     "cos_min": round(float(cos.min()), 5)})
    return rows


def chunk_texts(settings: Settings, n: int) -> list[str]:
    """``n`` chunk texts of the built index (seeded sample)."""
    data = versions.load(settings.index_dir, settings.embedding_model)
    picked = random.Random(0).sample(range(data.num_chunks), min(n, data.num_chunks))
    return [data.chunk_text(i) for i in picked]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_arg(parser)
    parser.add_argument("--runs", type=int, default=5, help="one-shot runs per case")
    parser.add_argument("--texts", type=int, default=300, help="chunk texts per encoder")
    parser.add_argument("--rounds", type=int, default=2, help="encoder rounds")
    parser.add_argument("--work", type=Path, help="keep the index here (default: temporary)")
    args = parser.parse_args(argv)
    facqa = facqa_or_skip(args.shared)
    quiet()
    started, load_start = time.perf_counter(), load_avg()
    question = read_jsonl(facqa / "questions-valid.jsonl")[0]["q"]
    with tempfile.TemporaryDirectory(prefix="kabar-bench-speed-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        settings = settings_for(facqa / "corpus", work / "index")
        built = builds(facqa / "corpus", settings.index_dir, work)
        shots = one_shots(settings.index_dir, question, work, args.runs)
        warm = warm_answer(settings, question)
        folder = export_folder(settings.index_dir, settings.embedding_model)
        rows = compare(encoders(settings, folder, work), chunk_texts(settings, args.texts),
                       args.rounds)
    one_shot = {name: {"wall_median_s": round(statistics.median(r.wall for r in runs), 3),
                       "walls_s": [round(r.wall, 2) for r in runs],
                       "peak_rss_mb": max(r.peak_rss_mb for r in runs)}
                for name, runs in shots.items()}
    figures = {"question": question, "one_shot": one_shot, "warm_answer_s": round(warm, 4),
               "builds": built, "encoders": rows, "texts": args.texts,
               "load_avg_start": load_start, "load_avg_end": load_avg(),
               "total_s": round(time.perf_counter() - started, 1)}
    report(figures)
    final_json("bench_speed", figures)
    return 0


def report(f: dict[str, Any]) -> None:
    """The figures as tables, each with its goal."""
    shots, b = f["one_shot"], f["builds"]
    bare = shots["python -c pass"]["wall_median_s"]
    new = shots["ask, ONNX (new)"]["wall_median_s"]
    print(table("bench_speed: one-shot `kabar ask --no-update` on the FacQA index "
                "(fresh processes, median)", ("case", "wall s", "- bare s", "peak RSS MB"),
                [(name, f"{s['wall_median_s']:.2f}", f"{s['wall_median_s'] - bare:.2f}",
                  f"{s['peak_rss_mb']:.0f}") for name, s in shots.items()]
                + [("warm Engine.answer (in process)", f"{f['warm_answer_s']:.3f}", "", "")]))
    today = shots["ask, torch (today)"]["wall_median_s"]
    print(f"one-shot goal <= 1.0 s: {new:.2f} s {verdict(new <= 1.0)}; "
          f"{today / new:.1f}x faster than torch")
    print(table(f"full builds, {b['chunks']} chunks ({b['sentences']} sentences embedded)",
                ("path", "seconds", "chunks/s", "peak RSS MB"),
                [("today (fp32, no export)", b["today_s"], b["today_chunks_per_s"],
                  b["today_peak_rss_mb"]),
                 ("new (bf16 where the CPU has it)", b["new_s"], b["new_chunks_per_s"],
                  b["new_peak_rss_mb"]),
                 ("new, first build incl. one-off export", b["first_build_with_export_s"], "",
                  b["first_build_peak_rss_mb"])]))
    print(f"build goal new >= 2x today: {b['new_over_today']:.2f}x "
          f"{verdict(b['new_over_today'] >= 2)}")
    print(table(f"encoders on the same {f['texts']} chunk texts (median of rounds)",
                ("encoder", "texts/s", "best/s", "x raw", "cos mean", "cos min"),
                [(r["encoder"], r["texts_per_s"], r["best_per_s"], r["over_raw"],
                  r["cos_mean"], r["cos_min"]) for r in f["encoders"]]))
    print(f"load average {f['load_avg_start']} -> {f['load_avg_end']}; total "
          f"{f['total_s']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
