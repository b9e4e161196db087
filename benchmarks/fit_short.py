"""Fit the short-answer model (answering/extractive/candidates.py) on FacQA train.

Asks the train questions (``--limit`` of them, from the top of the file) through
``Engine.answer`` and keeps, for each answered factoid question, the sentences the gate
read for its short answer (the first window). Every candidate there is labelled the way
the shared scorer labels a short line (``qa_eval.words``: it shares a word or number with
the gold answer), a logistic model is fitted on the candidates' features and the kind of
question (L2, Newton steps, numpy only), and for each threshold on the best candidate's
chance it prints the share of answered questions that get a short line and the share of
those that are right. Paste the printed weights into ``candidates.py`` and the threshold
into ``Tuning.short_min_chance``. The role features (office, agent, host) are rare in
FacQA: their printed weights are floored so that they keep deciding (see candidates.py).

Never run it on the valid split: that is the held-out check.

Run from the repository root: ``python benchmarks/fit_short.py [--limit N] [--index DIR]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from _common import facqa_or_skip, fixed, load_qa_eval, quiet, read_jsonl, settings_for

import retrieval.answering.gate as gate
from retrieval.answering.common.when import article_day
from retrieval.answering.context import ReadContext
from retrieval.answering.extractive.candidates import FEATURES, score_candidates
from retrieval.answering.extractive.factoid import ArticleNames, Context
from retrieval.answering.extractive.kinds import question_kind
from retrieval.answering.extractive.lead import dateline_end
from retrieval.answering.extractive.localize import localize
from retrieval.building.indexer import build_index
from retrieval.embedding.embed import load_embedder
from retrieval.engine import Engine
from retrieval.search import Query
from retrieval.text.lexicon import Lexicon

KINDS = ("who", "place", "date", "year", "number", "name")
FLOORS = {"office": 2.0, "agent": 1.0}
CEILINGS = {"host": -1.0}


def candidates_of(context: ReadContext, query: Query, article: int,
                  sentences: tuple[int, ...]) -> list[tuple[list[float], str]]:
    """Each candidate's features (then the kind one-hot) and its text as shown."""
    kind = question_kind(query.text)
    if kind is None:
        return []
    view, lexicon = context.view, context.lexicon
    art = view.article(article)
    names = ArticleNames.of(lexicon, art.text)
    day = article_day(art.meta.date, art.meta.date_text)
    read = [(text, Context(names, day, art.lang,
                           dateline_end(text, art.meta.place, art.meta.outlet)))
            for text in (view.sentence_text(s) for s in sentences)]
    return [([*c.features, *(1.0 if kind == k else 0.0 for k in KINDS)],
             localize(c.span, query.lang, lexicon.canonical))
            for c in score_candidates(kind, query, read)]


def collect(engine: Engine, questions: list[dict[str, Any]], qa_eval: Any
            ) -> tuple[list[list[tuple[list[float], bool]]], int]:
    """Per answered question, its candidates (features, right?); and how many answered."""
    seen: list[list[tuple[list[float], str]]] = []
    original = gate.short_lead

    def spy(context: ReadContext, query: Query, article: int, sentences: tuple[int, ...]
            ) -> Any:
        seen.append(candidates_of(context, query, article, sentences))
        return original(context, query, article, sentences)

    gate.short_lead = spy  # type: ignore[assignment]
    out, answered = [], 0
    try:
        for item in questions:
            seen.clear()
            if engine.answer(item["q"], k=10).abstained:
                continue
            answered += 1
            gold = qa_eval.words(item["answer"])
            out.append([(f, bool(qa_eval.words(t) & gold)) for f, t in (seen[-1] if seen
                                                                          else [])])
    finally:
        gate.short_lead = original  # type: ignore[assignment]
    return out, answered


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """Logistic regression without intercept (the kind one-hot is the bias), L2."""
    w = np.zeros(x.shape[1])
    for _ in range(25):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def main() -> int:
    """Collect, fit, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).parents[2] / "shared")
    parser.add_argument("--limit", type=int, default=600, help="train questions asked")
    parser.add_argument("--index", type=Path, help="build (or reuse) the FacQA index here")
    args = parser.parse_args()
    facqa, qa_eval = facqa_or_skip(args.shared), load_qa_eval(args.shared)
    quiet()
    questions = read_jsonl(facqa / "questions-train.jsonl")[:args.limit]
    with tempfile.TemporaryDirectory(prefix="kabar-fit-short-") as tmp:
        settings = settings_for(facqa / "corpus", args.index or Path(tmp) / "index")
        embedder = load_embedder(settings)
        build_index(settings, fixed(embedder))
        engine = Engine(settings, embedder, Lexicon.load())
        per_question, answered = collect(engine, questions, qa_eval)
    rows = [(f, y) for cands in per_question for f, y in cands]
    x = np.array([f for f, _ in rows])
    y = np.array([float(r) for _, r in rows])
    w = fit(x, y)
    names = [*FEATURES, *(f"bias_{k}" for k in KINDS)]
    weights = {n: round(float(v), 2) for n, v in zip(names, w, strict=True)}
    weights.update({n: max(weights[n], v) for n, v in FLOORS.items()})
    weights.update({n: min(weights[n], v) for n, v in CEILINGS.items()})
    print(f"{answered} answered of {len(questions)}; {len(rows)} candidates")
    print("weights:", weights)
    final = np.array([weights[n] for n in names])
    best = [max(((float(1 / (1 + np.exp(-np.array(f) @ final))), r) for f, r in cands),
                key=lambda pr: pr[0]) for cands in per_question if cands]
    for t in (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8):
        shown = [r for p, r in best if p >= t]
        right = sum(shown) / max(1, len(shown))
        print(f"threshold {t:.2f}: short on {len(shown) / max(1, answered):.3f} of answered, "
              f"{right:.3f} of them right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
