"""Helpers shared by the benchmark scripts: paths, settings, timing, peak RSS, output.

Not a benchmark itself. The scripts put ``benchmarks/`` on ``sys.path`` by being run as
``python benchmarks/NAME.py``, so they import this module as ``_common``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from bot.logs import quiet_libraries
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared"
#: The five seed articles as shipped, kept fixed: the dev sets ask about these, and a user's
#: own articles in ``seeds/`` must not move the figures.
SEEDS = ROOT / "tests" / "data" / "seeds"


def add_shared_arg(parser: argparse.ArgumentParser) -> None:
    """The ``--shared PATH`` option every script takes."""
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, metavar="PATH",
                        help="the shared folder holding bench/facqa and eval/qa_eval.py "
                             "(default: ../shared next to the repository)")


def facqa_or_skip(shared: Path) -> Path:
    """The FacQA folder; prints a skip line and exits 0 when it is not there."""
    facqa = shared / "bench" / "facqa"
    if not (facqa / "corpus").is_dir():
        shown = os.path.relpath(facqa, Path.cwd())
        print(f"skipped: {shown} not found")
        sys.exit(0)
    return facqa


def quiet() -> None:
    """Keep library chatter (logs, progress bars) out of the benchmark output."""
    quiet_libraries(logging.ERROR)
    logging.getLogger("retrieval").setLevel(logging.ERROR)


def settings_for(seeds: Path, index: Path, **changes: Any) -> Settings:
    """Default settings (no environment, no ``.env``) for the given folders."""
    base = Settings.load(env={}, dotenv_path=None)
    return base.replace(seeds_dir=seeds, index_dir=index, **changes)


def fixed(embedder: Embedder) -> Callable[[], Embedder]:
    """A ``get_embedder`` for :func:`retrieval.indexer.build_index` that reuses one model."""
    return lambda: embedder


def kabar_command() -> list[str]:
    """The ``kabar`` entry point of this virtualenv."""
    script = Path(sys.executable).with_name("kabar")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def kabar_env() -> dict[str, str]:
    """The environment for ``kabar`` subprocesses: defaults only (no KABAR_* overrides)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# Linux carries a process's peak RSS over fork and exec, so RUSAGE_CHILDREN of this (large)
# process would report at least its own size at spawn time. A small Python in between
# spawns the command instead and reports the command's own peak and wall time.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(json.loads(sys.argv[1]), capture_output=True, text=True)
print(json.dumps({"wall": time.perf_counter() - started, "rc": done.returncode,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "stdout": done.stdout, "stderr": done.stderr}))
"""


@dataclass(frozen=True)
class ChildRun:
    """One measured subprocess: wall seconds, exit status, peak RSS (MB) and its output."""

    wall: float
    returncode: int
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_child(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> ChildRun:
    """Run ``cmd``; its wall time (spawn to exit) and peak RSS (RUSAGE_CHILDREN) measured."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, json.dumps(list(cmd))], cwd=cwd,
                          env=env, capture_output=True, text=True, check=True)
    r = json.loads(done.stdout)
    return ChildRun(r["wall"], r["rc"], round(r["maxrss_kb"] / 1024, 1), r["stdout"],
                    r["stderr"])


def load_avg() -> float:
    """The 1-minute load average (other processes compete for the 2 cores)."""
    return round(os.getloadavg()[0], 2)


class Stopwatch:
    """Wall and process-CPU time of a block: ``with Stopwatch() as sw: ...; sw.wall``."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self) -> Stopwatch:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu

    @property
    def cores(self) -> float:
        """CPU seconds per wall second: how many cores the block kept busy on average."""
        return self.cpu / self.wall if self.wall > 0 else 0.0


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of durations given in seconds, in milliseconds."""
    return float(np.percentile(np.asarray(seconds) * 1000.0, q)) if seconds else 0.0


def load_qa_eval(shared: Path) -> ModuleType:
    """Import the shared scorer ``eval/qa_eval.py`` by path; prints a skip line and exits 0
    when it is not there (every figure of the calling script is scored by it)."""
    path = shared / "eval" / "qa_eval.py"
    if not path.is_file():
        shown = os.path.relpath(path, Path.cwd())
        print(f"skipped: {shown} not found (the shared scorer; pass --shared PATH)")
        sys.exit(0)
    spec = importlib.util.spec_from_file_location("qa_eval", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import the scorer {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """One JSON object per non-empty line."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write one JSON object per line (UTF-8, non-ASCII kept)."""
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain fixed-width table: first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in header], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        return "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                         for i, c in enumerate(r))

    rule = "-" * len(line(cells[0]))
    return "\n".join([title, rule, line(cells[0]), rule, *(line(r) for r in cells[1:]), rule])


def verdict(ok: bool) -> str:
    """``PASS`` or ``FAIL``."""
    return "PASS" if ok else "FAIL"


def code_commit() -> str:
    """The repository's HEAD commit (read-only), so figures can be traced to the code."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=False)
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def final_json(name: str, figures: dict[str, Any]) -> None:
    """The last line of every script: its figures as one JSON object."""
    print(json.dumps({"benchmark": name, "commit": code_commit(), **figures},
                     ensure_ascii=False))


class Prefetched:
    """An embedder whose question vectors for a known set of questions are computed in one
    batch call up front (the engine's batch path; one call per question spends most of its
    time in thread start-up and barriers when the machine is busy). Same vectors: any
    other text still goes to the model. Passages go to the model as always."""

    def __init__(self, embedder: Embedder, questions: Sequence[str]) -> None:
        self._embedder = embedder
        unique = sorted(set(questions))
        vectors = embedder.encode_queries(unique) if unique else np.zeros((0, embedder.dim))
        self._known = dict(zip(unique, np.asarray(vectors, dtype=np.float32), strict=True))

    @property
    def model_id(self) -> str:
        """The wrapped model's id."""
        return self._embedder.model_id

    @property
    def dim(self) -> int:
        """The wrapped model's dimension."""
        return self._embedder.dim

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """The wrapped model's passage vectors."""
        return self._embedder.encode_passages(texts, progress)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Prefetched vectors where known, the model's otherwise."""
        missing = [t for t in texts if t not in self._known]
        if missing:
            fresh = self._embedder.encode_queries(missing)
            self._known.update(zip(missing, np.asarray(fresh, dtype=np.float32), strict=True))
        return np.vstack([self._known[t] for t in texts]) if texts else \
            np.zeros((0, self.dim), dtype=np.float32)
