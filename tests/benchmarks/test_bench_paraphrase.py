"""bench_paraphrase's agreement figures, on a tiny fake (no index, no scorer run)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from bench_loader import load_bench

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("bench_paraphrase")


def test_agreement_counts_groups_whose_wordings_all_agree(bench: ModuleType) -> None:
    o = bench.Outcome
    groups = {
        # Every wording cites the same article with the right short answer.
        "same": [o(False, "a", "right"), o(False, "a", "right"), o(False, "a", "right")],
        # One wording abstains: decision, article and short answer all disagree.
        "one-abstains": [o(False, "a", "right"), o(True, None, None), o(False, "a", "right")],
        # Same decision, another first article, same (missing) short answer.
        "other-doc": [o(False, "a", None), o(False, "b", None)],
        # Unanswerable, all abstain: agrees (it has no short answer to give).
        "trap": [o(True, None, None), o(True, None, None)],
    }
    shorts = {"same": True, "one-abstains": True, "other-doc": True, "trap": False}
    got = bench.agreement(groups, shorts.__getitem__)
    assert got["groups"] == 4
    assert got["agree_decision"] == pytest.approx(3 / 4)
    assert got["agree_first_doc"] == pytest.approx(2 / 4)
    assert got["agree_short"] == pytest.approx(2 / 3)  # only groups expecting one count
    assert got["agree_all"] == pytest.approx(2 / 4)  # "same" and "trap"
    traps = bench.agreement({"trap": groups["trap"]}, shorts.__getitem__)
    assert traps["agree_short"] is None and traps["agree_all"] == 1.0


def test_an_outcome_reads_the_first_citation_and_the_short_line(bench: ModuleType) -> None:
    class Scorer:  # the shared scorer's helpers, faked at the boundary
        @staticmethod
        def stem(doc_id: str) -> str:
            return doc_id.removesuffix(".txt")

        @staticmethod
        def short_line(out: dict[str, str]) -> str | None:
            first, _, rest = out["answer"].partition("\n")
            return first if rest else None

        @staticmethod
        def short_hit(item: dict[str, object], out: dict[str, str]) -> bool:
            return "Cairo" in out["answer"].split("\n")[0]

    item = {"short": [["cairo"]]}
    right = {"answer": "Cairo [1]\nquote [1]", "abstained": False,
             "citations": [{"doc_id": "002_x.txt"}, {"doc_id": "003_y.txt"}]}
    wrong = {"answer": "Doha, 29.514 [1]\nquote [1]", "abstained": False,
             "citations": [{"doc_id": "004_z.txt"}]}
    none = {"answer": "", "abstained": True, "citations": []}
    assert bench.outcome(item, right, Scorer) == bench.Outcome(False, "002_x", "right")
    assert bench.outcome(item, wrong, Scorer) == bench.Outcome(False, "004_z", "doha, 29514")
    assert bench.outcome(item, none, Scorer) == bench.Outcome(True, None, None)
