"""Fit the short-answer model (answering/extractive/candidates.py) on FacQA train, cross-validated.

Asks the train questions (``--limit`` of them, from the top of the file, and the English
translations of ``benchmarks/data/facqa-train-en.jsonl``) through ``Engine.answer`` with the
default model, and keeps, for each answered factoid question, the sentences the gate read
for its short answer (the first window). Every candidate there is labelled the way the
shared scorer labels a short line (``qa_eval.words``: it shares a word or number with the
gold answer), without the words the question itself names (a candidate that only repeats
the question is not right). A logistic model is fitted on the candidates' features and the
kind of question (L2, Newton steps, numpy only), in ``--folds`` folds by question: each
fold's questions are scored by the model fitted on the others, and for each threshold on
the best candidate's chance it prints, per asker's language, the share of answered
questions that get a short line and the share of those that are right (the scorer's rule).
Then the weights fitted on all of them. Paste the weights into ``candidates.py`` and the
threshold into ``Tuning.short_min_chance``. The role features (office, agent, host) are rare
in FacQA: their printed weights are floored so that they keep deciding (see candidates.py).

Never run it on the valid split: that is the held-out check.

Run from the repository root: ``python benchmarks/fit_short.py [--limit N] [--index DIR]
[--folds K]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from _common import facqa_or_skip, fixed, load_qa_eval, quiet, read_jsonl, settings_for

import retrieval.answering.gate as gate
from retrieval.answering.context import ReadContext
from retrieval.answering.extractive.candidates import FEATURES
from retrieval.answering.extractive.kinds import question_kind
from retrieval.answering.extractive.lead import candidates
from retrieval.answering.extractive.localize import localize
from retrieval.building.indexer import build_index
from retrieval.embedding.embed import load_embedder
from retrieval.engine import Engine
from retrieval.search import Query
from retrieval.text.lexicon import Lexicon

KINDS = ("who", "place", "date", "year", "number", "name")
FLOORS = {"office": 2.0, "agent": 1.0}
CEILINGS = {"host": -1.0}
THRESHOLDS = (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
#: One candidate: its features (then the kind one-hot), right by the scorer, right by words
#: the question does not name.
Row = tuple[list[float], bool, bool]


@dataclass(frozen=True)
class Asked:
    """One answered question: the asker's language and its candidates."""

    lang: str
    candidates: list[Row]


def candidates_of(context: ReadContext, query: Query, article: int,
                  sentences: tuple[int, ...]) -> list[tuple[list[float], str]]:
    """Each candidate's features (then the kind one-hot) and its text as shown."""
    kind = question_kind(query.text)
    return [([*c.features, *(1.0 if kind == k else 0.0 for k in KINDS)],
             localize(c.span, query.lang, context.lexicon.canonical))
            for c in candidates(context, query, article, sentences)]


def collect(engine: Engine, questions: list[dict[str, Any]], qa_eval: Any) -> list[Asked]:
    """Each answered question's candidates, labelled."""
    seen: list[list[tuple[list[float], str]]] = []
    original = gate.shown_lead

    def spy(context: ReadContext, query: Query, article: int, sentences: tuple[int, ...]
            ) -> Any:
        seen.append(candidates_of(context, query, article, sentences))
        return original(context, query, article, sentences)

    gate.shown_lead = spy
    out = []
    try:
        for item in questions:
            seen.clear()
            if engine.answer(item["q"], k=10).abstained:
                continue
            gold, asked = qa_eval.words(item["answer"]), qa_eval.words(item["q"])
            rows = [(f, bool(qa_eval.words(t) & gold), bool(qa_eval.words(t) & gold - asked))
                    for f, t in (seen[-1] if seen else [])]
            out.append(Asked(item.get("lang", "id"), rows))
    finally:
        gate.shown_lead = original
    return out


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """Logistic regression without intercept (the kind one-hot is the bias), L2."""
    w = np.zeros(x.shape[1])
    for _ in range(25):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def fitted(asked: list[Asked]) -> dict[str, float]:
    """The weights fitted on ``asked``, role features floored."""
    rows = [r for a in asked for r in a.candidates]
    w = fit(np.array([f for f, _, _ in rows]), np.array([float(s) for _, _, s in rows]))
    names = [*FEATURES, *(f"bias_{k}" for k in KINDS)]
    weights = {n: round(float(v), 2) for n, v in zip(names, w, strict=True)}
    weights.update({n: max(weights[n], v) for n, v in FLOORS.items()})
    weights.update({n: min(weights[n], v) for n, v in CEILINGS.items()})
    return weights


def best_of(weights: dict[str, float], asked: Asked) -> tuple[float, bool] | None:
    """The best candidate's chance and whether the scorer counts it right."""
    if not asked.candidates:
        return None
    w = np.array(list(weights.values()))
    return max(((float(1 / (1 + np.exp(-np.array(f) @ w))), r) for f, r, _ in asked.candidates),
               key=lambda pr: pr[0])


def cross_validated(asked: list[Asked], folds: int) -> list[tuple[str, tuple[float, bool] | None]]:
    """Each question's best candidate by the model fitted on the other folds."""
    out = []
    for k in range(folds):
        weights = fitted([a for i, a in enumerate(asked) if i % folds != k])
        out += [(a.lang, best_of(weights, a)) for i, a in enumerate(asked) if i % folds == k]
    return out


def report(scored: list[tuple[str, tuple[float, bool] | None]]) -> None:
    """Short lines given and right at each threshold, per language."""
    for t in THRESHOLDS:
        cells = []
        for lang in ("id", "en"):
            mine = [b for lg, b in scored if lg == lang]
            shown = [r for b in mine if b is not None and b[0] >= t for r in (b[1],)]
            cells.append(f"{lang}: given {len(shown) / max(1, len(mine)):.3f}, right "
                         f"{sum(shown) / max(1, len(shown)):.3f}")
        print(f"threshold {t:.2f}: " + "; ".join(cells))


def main() -> int:
    """Collect, fit, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).parents[2] / "shared")
    parser.add_argument("--limit", type=int, default=3000, help="train questions asked")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    parser.add_argument("--index", type=Path, help="build (or reuse) the FacQA index here")
    args = parser.parse_args()
    facqa, qa_eval = facqa_or_skip(args.shared), load_qa_eval(args.shared)
    quiet()
    questions = read_jsonl(facqa / "questions-train.jsonl")[:args.limit]
    questions += [{**q, "lang": "en"} for q in read_jsonl(Path(__file__).parent / "data" /
                                                          "facqa-train-en.jsonl")]
    with tempfile.TemporaryDirectory(prefix="kabar-fit-short-") as tmp:
        settings = settings_for(facqa / "corpus", args.index or Path(tmp) / "index")
        embedder = load_embedder(settings)
        build_index(settings, fixed(embedder))
        engine = Engine(settings, embedder, Lexicon.load())
        asked = collect(engine, questions, qa_eval)
    print(f"{len(asked)} answered of {len(questions)} ({settings.embedding_model}); "
          f"{sum(len(a.candidates) for a in asked)} candidates")
    print(f"cross-validated ({args.folds} folds):")
    report(cross_validated(asked, args.folds))
    print("weights (all answered):", fitted(asked))
    return 0


if __name__ == "__main__":
    sys.exit(main())
