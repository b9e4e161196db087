"""Answers that hold on any wording: the paraphrase set asked of the seeds, agreement scored.

``benchmarks/data/seeds-paraphrase.jsonl`` holds 31 groups: a dev question (``original``)
and three or more wordings of it written from its meaning, not from the article's words, in
English and Indonesian (24 answerable groups, 7 about things no article reports). Each
wording carries the dev files' answer fields (docs, support, short in its own language), so
the shared scorer (``eval/qa_eval.py seeds``) scores it as one question.

Indexes a copy of the shipped seeds like ``bench_answers.py``, asks every wording through
``Engine.answer`` and reports, per group, whether all its wordings

- give the same decision (all answer or all abstain: ``agree_decision``),
- cite the same first article (``agree_first_doc``; an abstention cites none),
- give the same short answer (``agree_short``, groups with an expected short answer: a right
  short line counts as the same answer in either language, anything else by its text),

and ``agree_all`` (all three), next to the scorer's figures over every wording (support,
false abstentions, abstain_ok, first_hit, short_ok). Goal (issue 18): the answers agree.

Run from the repository root: ``python benchmarks/bench_paraphrase.py [--model ID]
[--show]``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
)

from bot.format import answer_json
from retrieval.building import build_index
from retrieval.embedding import load_embedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon

PARAPHRASES = ROOT / "benchmarks" / "data" / "seeds-paraphrase.jsonl"


@dataclass(frozen=True)
class Outcome:
    """What one wording got: whether it abstained, the first cited article (``None`` when it
    abstained), and its short answer: ``"right"`` when the scorer finds an expected one in the
    lead, else the short line's normalised text (``None``: no short line)."""

    abstained: bool
    first_doc: str | None
    short: str | None


def outcome(item: Mapping[str, Any], out: Mapping[str, Any], qa_eval: Any) -> Outcome:
    """The :class:`Outcome` of one answer (``kabar ask --json`` object) to ``item``."""
    abstained = bool(out.get("abstained"))
    citations = out.get("citations") or []
    first = None if abstained or not citations else qa_eval.stem(citations[0].get("doc_id"))
    short: str | None = None
    if item.get("short") and not abstained:
        line = qa_eval.short_line(out)
        if qa_eval.short_hit(item, out) and line:
            short = "right"
        elif line:
            short = _normalised(line)
    return Outcome(abstained, first, short)


def _normalised(line: str) -> str:
    """A short line without its citation marks, digit separators and case."""
    text = re.sub(r"\[\d+\]", "", line).casefold()
    return " ".join(re.sub(r"(?<=\d)[.,](?=\d)", "", text).split())


def agreement(groups: Mapping[str, Sequence[Outcome]], with_short: Callable[[str], bool]
              ) -> dict[str, float | None]:
    """Shares of groups whose wordings all agree, on each count and on all three.

    Args:
        groups: Each group's outcomes, one per wording.
        with_short: Whether a group expects a short answer (only those count for
            ``agree_short``, ``None`` when no group does; ``agree_all`` ignores short
            answers for the others).
    """
    decision = first_doc = short = every = 0
    shorts = 0
    for name, outcomes in groups.items():
        same_decision = len({o.abstained for o in outcomes}) == 1
        same_doc = len({o.first_doc for o in outcomes}) == 1
        same_short = len({o.short for o in outcomes}) == 1
        decision += same_decision
        first_doc += same_doc
        if with_short(name):
            shorts += 1
            short += same_short
        every += same_decision and same_doc and (same_short or not with_short(name))
    n = max(1, len(groups))
    return {"groups": len(groups), "agree_decision": decision / n,
            "agree_first_doc": first_doc / n,
            "agree_short": short / shorts if shorts else None, "agree_all": every / n}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_arg(parser)
    parser.add_argument("--model", help="embedding model (default: the configured default)")
    parser.add_argument("--show", action="store_true", help="print the groups that disagree")
    args = parser.parse_args(argv)
    quiet()
    qa_eval = load_qa_eval(args.shared)
    items = read_jsonl(PARAPHRASES)
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        shutil.copytree(SEEDS, seeds)
        changes: dict[str, Any] = {"embedding_model": args.model} if args.model else {}
        settings = settings_for(seeds, Path(tmp) / "index", **changes)
        embedder = load_embedder(settings)
        build_index(settings, fixed(embedder))
        engine = Engine(settings, embedder, Lexicon.load())
        outs = [answer_json(engine.answer(item["q"])) for item in items]
    groups: dict[str, list[Outcome]] = {}
    expects_short: dict[str, bool] = {}
    for item, out in zip(items, outs, strict=True):
        groups.setdefault(item["group"], []).append(outcome(item, out, qa_eval))
        expects_short[item["group"]] = bool(item.get("short"))
    figures: dict[str, Any] = {"model": settings.embedding_model}
    for name, keep in (("answerable", True), ("unanswerable", False)):
        chosen = {g: o for g, o in groups.items()
                  if any(i["answerable"] == keep for i in items if i["group"] == g)}
        figures[name] = agreement(chosen, expects_short.__getitem__)
    scores = qa_eval.seeds(items, outs)
    figures["per_wording"] = {k: scores[k] for k in (
        "support", "false_abstain", "abstain_ok", "first_hit", "short_ok", "n")}
    if args.show:
        _show(items, outs, groups)
    _print(figures)
    final_json("paraphrase", figures)
    return 0


def _print(figures: dict[str, Any]) -> None:
    rows = [[name, f["groups"]] + ["n/a" if f[k] is None else f"{f[k]:.3f}" for k in (
        "agree_decision", "agree_first_doc", "agree_short", "agree_all")]
        for name, f in ((n, figures[n]) for n in ("answerable", "unanswerable"))]
    print(table(f"Paraphrase agreement on the seeds ({figures['model']})",
                ["groups", "n", "decision", "first doc", "short", "all"], rows))
    w = figures["per_wording"]
    print(f"per wording ({w['n']}): support {w['support']:.3f}, false abstentions "
          f"{w['false_abstain']}, abstain_ok {w['abstain_ok']:.3f}, first_hit "
          f"{w['first_hit']:.3f}, short_ok {w['short_ok']:.3f}")


def _show(items: list[dict[str, Any]], outs: list[dict[str, Any]],
          groups: dict[str, list[Outcome]]) -> None:
    for name, outcomes in groups.items():
        if len(set(outcomes)) == 1:
            continue
        print(f"DISAGREE {name}")
        for item, out in zip(items, outs, strict=True):
            if item["group"] == name:
                first = out["answer"].split("\n", 1)[0][:110]
                print(f"    [{item['lang']}] {item['q']}\n        -> "
                      f"{'ABSTAIN ' + str(out.get('reason')) if out['abstained'] else first}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
