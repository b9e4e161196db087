"""Answer quality on the seeds: the shared dev set and the project's own, with the shared scorer.

Indexes a copy of the shipped seeds (``tests/data/seeds/``) with the bundled model (or
``--model``), asks every question of ``../shared/eval/seeds-dev.jsonl`` and of
``benchmarks/data/seeds-dev.jsonl`` through ``Engine.answer``, writes the ``kabar ask
--json`` objects and scores them with ``eval/qa_eval.py seeds``: support, false abstentions,
abstention on unanswerable questions, citation precision, first_hit (the lead answers),
short_ok (the short answer is in the lead, in the asker's language) and chars (mean answer
length). Goals (issue 18's acceptance for fresh seeds questions, with issue 9's citation
precision and length): support >= 0.85, false abstentions <= 1, abstain_ok >= 0.83,
cite_precision >= 0.95, first_hit >= 0.75, short_ok >= 0.75, chars <= 260.

``benchmarks/data/seeds-fresh.jsonl`` (30 questions written from the articles' meaning in
issue 18's last round, after the code: 10 answerable, 20 about things no article reports, many
naming a place, person or office the articles do mention) shows how abstention carries to
wordings nothing was tuned on.

The last set, ``benchmarks/data/seeds-blind.jsonl`` (60 questions written by a helper who
never saw the code or the dev sets), is scored in aggregate only: nothing was tuned on its
items, and ``--show``/``--misses`` never print them, so it stays a stand-in for the held-out
sets. Goals are checked on it and on the own dev set.

``--show`` prints every dev question with its answer (``--misses`` only the failing ones).

Run from the repository root: ``python benchmarks/bench_answers.py [--show|--misses]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import (
    ROOT,
    SEEDS,
    add_shared_arg,
    final_json,
    fixed,
    load_qa_eval,
    quiet,
    read_jsonl,
    settings_for,
    table,
    verdict,
)

from bot.format import answer_json
from retrieval.building import build_index
from retrieval.embedding import load_embedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon

BLIND = "blind (60)"
GOALS = {"support": (">=", 0.85), "false_abstain": ("<=", 1), "abstain_ok": (">=", 0.83),
         "cite_precision": (">=", 0.95), "first_hit": (">=", 0.75), "short_ok": (">=", 0.75),
         "chars": ("<=", 260)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_arg(parser)
    parser.add_argument("--model", help="embedding model (default: the bundled one)")
    parser.add_argument("--show", action="store_true", help="print every answer")
    parser.add_argument("--misses", action="store_true", help="print the failing answers")
    args = parser.parse_args(argv)
    quiet()
    qa_eval = load_qa_eval(args.shared)
    sets = {"shared dev (10)": args.shared / "eval" / "seeds-dev.jsonl",
            "own dev": ROOT / "benchmarks" / "data" / "seeds-dev.jsonl",
            "own fresh": ROOT / "benchmarks" / "data" / "seeds-fresh.jsonl",
            BLIND: ROOT / "benchmarks" / "data" / "seeds-blind.jsonl"}
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        shutil.copytree(SEEDS, seeds)
        changes: dict[str, Any] = {"embedding_model": args.model} if args.model else {}
        settings = settings_for(seeds, Path(tmp) / "index", **changes)
        embedder = load_embedder(settings)
        build_index(settings, fixed(embedder))
        engine = Engine(settings, embedder, Lexicon.load())
        rows, figures = [], {}
        for name, path in sets.items():
            if not path.is_file():
                print(f"skipped {name}: {path} not found")
                continue
            items = read_jsonl(path)
            outs = [answer_json(engine.answer(item["q"])) for item in items]
            scores = qa_eval.seeds(items, outs)
            figures[name] = scores
            rows.append([name, len(items)] + [_fmt(scores[k]) for k in (
                "support", "false_abstain", "abstain_ok", "cite_precision", "first_hit",
                "short_ok", "chars")])
            if (args.show or args.misses) and name != BLIND:
                _show(qa_eval, items, outs, only_misses=args.misses)
    header = ["set", "n", "support", "false abst.", "abstain_ok", "cite prec.", "first_hit",
              "short_ok", "chars"]
    print(table("Answer quality on the seeds (qa_eval.py seeds)", header, rows))
    for name in ("own dev", BLIND):
        got = figures.get(name, {})
        for key, (op, goal) in GOALS.items():
            if key in got:
                ok = got[key] >= goal if op == ">=" else got[key] <= goal
                print(f"{name} {key} {op} {goal}: {_fmt(got[key])} {verdict(ok)}")
    final_json("answers", {name: {k: v for k, v in s.items() if k != "misses"}
                for name, s in figures.items()})
    return 0


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _show(qa_eval: Any, items: list[dict[str, Any]], outs: list[dict[str, Any]],
          only_misses: bool) -> None:
    for item, out in zip(items, outs, strict=True):
        if item["answerable"]:
            scores = qa_eval.seeds([item], [out])
            bad = bool(scores["misses"] or scores["first_hit"] < 1
                       or scores["cite_precision"] < 1
                       or (item.get("short") and scores["short_ok"] < 1))
        else:
            bad = not out["abstained"]
        if only_misses and not bad:
            continue
        flag = "MISS " if bad else ""
        print(f"{flag}[{item['id']}] {item['q']}  (short: {item.get('short')}, "
              f"answerable: {item['answerable']})")
        for line in out["answer"].split("\n"):
            print(f"    {line}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
