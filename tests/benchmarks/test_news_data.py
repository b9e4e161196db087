"""The news benchmark (issue 19): its data is well-formed, and its per-kind checks hold.

A broken gold id, a support string that no report holds or a kind the benchmark does not know
would make its figures silently wrong. Reads the fixed files in ``benchmarks/data`` (never
``seeds/`` or ``index/``); the checks of ``benchmarks/bench_news.py`` run on hand-made answers."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from bench_loader import load_bench

from retrieval.reading.clean import parse_article
from retrieval.reading.dedupe import group_duplicates

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
CORPUS = DATA / "news"
SETS = {"dev": (DATA / "news-dev.jsonl", 35), "blind": (DATA / "news-blind.jsonl", 20)}
KINDS = {"conflict", "latest", "timeline", "single", "unanswerable"}
FIELDS = {"id": str, "kind": str, "q": str, "lang": str, "docs": list, "support": list,
          "answerable": bool, "forbidden": list}


def norm(text: str) -> str:
    """The shared scorer's normalisation (eval/qa_eval.py ``norm``), so that a string found
    here is found by the scorer too."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"\s+([,.;:!?%)])", r"\1", text).replace("( ", "(").strip()


@pytest.fixture(scope="module")
def articles() -> dict[str, str]:
    return {p.stem: norm(p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.txt"))}


def load(name: str) -> list[dict[str, Any]]:
    with open(SETS[name][0], encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module", params=sorted(SETS))
def questions(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, load(request.param)


def holds(articles: dict[str, str], docs: list[str], text: str) -> list[str]:
    """The docs (of ``docs``) whose text holds ``text`` verbatim after normalisation."""
    return [d for d in docs if norm(text) in articles[d]]


def test_the_corpus_is_articles_each_with_a_headline_and_a_full_date() -> None:
    files = sorted(CORPUS.glob("*.txt"))
    assert len(files) >= 25
    assert [p for p in CORPUS.iterdir() if p.suffix != ".txt"] == []  # all read as articles
    for path in files:
        raw = path.read_text(encoding="utf-8")
        body, meta = parse_article(raw)
        assert raw.split("\n", 1)[0].strip(), path.name
        assert len(body.split()) >= 60, path.name
        # Latest and timeline questions need each report's own date to order and resolve.
        assert meta.date is not None and meta.date.startswith("2025-"), path.name


def test_no_two_reports_merge_as_copies_of_one_story() -> None:
    # The reader keeps one article per near-duplicate group: a merged report's id would never
    # be cited and every question naming it would fail for a reason that is not the answer.
    texts = [parse_article(p.read_text(encoding="utf-8"))[0]
             for p in sorted(CORPUS.glob("*.txt"))]
    assert all(len(group) == 1 for group in group_duplicates(texts))


def test_fields_kinds_and_counts(questions: tuple[str, list[dict[str, Any]]]) -> None:
    name, items = questions
    assert len(items) >= SETS[name][1]
    for item in items:
        for field, kind in FIELDS.items():
            assert isinstance(item.get(field), kind), (item.get("id"), field)
        assert item["kind"] in KINDS, item["id"]
        assert item["lang"] in ("en", "id"), item["id"]
        assert item["answerable"] == (item["kind"] != "unanswerable"), item["id"]
        if not item["answerable"]:
            assert item["docs"] == [] and item["support"] == [], item["id"]
    kinds = Counter(item["kind"] for item in items)
    assert set(kinds) == KINDS  # every kind is scored in every set
    assert {item["lang"] for item in items} == {"en", "id"}


def test_ids_are_unique_and_blind_questions_are_not_dev_questions() -> None:
    dev, blind = load("dev"), load("blind")
    ids = [item["id"] for item in dev + blind]
    assert len(ids) == len(set(ids))
    assert not {norm(i["q"]) for i in dev} & {norm(i["q"]) for i in blind}


def test_every_doc_exists_and_every_support_string_is_in_one_of_its_docs(
        articles: dict[str, str], questions: tuple[str, list[dict[str, Any]]]) -> None:
    for item in questions[1]:
        assert set(item["docs"]) <= set(articles), item["id"]
        for text in item["support"]:
            assert holds(articles, item["docs"], text), (item["id"], text)


def test_each_gold_doc_of_a_conflict_or_timeline_holds_one_of_its_values(
        articles: dict[str, str], questions: tuple[str, list[dict[str, Any]]]) -> None:
    # all_docs asks for every gold doc to be cited: a doc without a value would be unfair.
    for item in questions[1]:
        if item["kind"] in ("conflict", "timeline"):
            assert len(item["support"]) >= 2 and len(item["docs"]) >= 2, item["id"]
            for doc in item["docs"]:
                assert any(holds(articles, [doc], s) for s in item["support"]), (item["id"], doc)


def test_latest_questions_name_the_newest_report_and_where_the_earlier_values_are(
        articles: dict[str, str], questions: tuple[str, list[dict[str, Any]]]) -> None:
    for item in questions[1]:
        if item["kind"] != "latest":
            continue
        newest, earlier_docs = item["newest_doc"], item["earlier_docs"]
        assert newest in item["docs"] and newest not in earlier_docs, item["id"]
        assert set(earlier_docs) <= set(item["docs"]), item["id"]
        assert any(holds(articles, [newest], s) for s in item["support"]), item["id"]
        assert item["earlier"], item["id"]
        for text in item["earlier"]:
            assert holds(articles, earlier_docs, text), (item["id"], text)
        assert item.get("short"), item["id"]  # the lead is checked on the short forms


def test_noise_strings_occur_in_the_corpus_and_never_in_an_answer(
        articles: dict[str, str], questions: tuple[str, list[dict[str, Any]]]) -> None:
    raw = "\n".join(articles.values())
    for item in questions[1]:
        assert item["forbidden"], item["id"]
        for noise in item["forbidden"]:
            assert norm(noise) in raw, noise  # a noise check that can never fire checks nothing
            for text in item["support"]:
                assert norm(noise) not in norm(text), (item["id"], noise)


# ---------------------------------------------------------------------------------------
# The benchmark's per-kind checks (benchmarks/bench_news.py) on hand-made answers
# ---------------------------------------------------------------------------------------


class Scorer:
    """The few helpers of the shared scorer the checks use, faked at that boundary with the
    scorer's own rules (lead = text up to the first [n]; short forms as whole words)."""

    norm = staticmethod(norm)

    @staticmethod
    def stem(doc_id: str) -> str:
        return doc_id.rsplit("/", 1)[-1].removesuffix(".txt")

    @staticmethod
    def visible(out: dict[str, Any]) -> str:
        quotes = [c.get("quote", "") for c in out.get("citations", [])]
        return norm(" \n ".join([out.get("answer", ""), *quotes]))

    @staticmethod
    def lead(out: dict[str, Any]) -> str:
        answer = out.get("answer", "")
        m = re.search(r"\[\d+\]", answer)
        return norm(answer[: m.end()] if m else answer.split("\n", 1)[0])

    @staticmethod
    def has_form(text: str, form: str) -> bool:
        return re.search(r"(?<![\w.,])" + re.escape(norm(form)) + r"(?![\w]|[.,]\d)", text) \
            is not None

    @classmethod
    def short_hit(cls, item: dict[str, Any], out: dict[str, Any]) -> bool:
        return all(any(cls.has_form(cls.lead(out), f) for f in group) for group in item["short"])


@pytest.fixture(scope="module")
def bench() -> Any:
    return load_bench("bench_news")


def answer(text: str, *docs: str) -> dict[str, Any]:
    return {"answer": text, "abstained": False,
            "citations": [{"n": n, "doc_id": f"{d}.txt", "quote": ""}
                          for n, d in enumerate(docs, 1)]}


LATEST = {"id": "l", "kind": "latest", "docs": ["a", "b", "c"], "support": ["menjadi 14 orang"],
          "short": [["14"]], "earlier": ["7 orang"], "earlier_docs": ["a"], "newest_doc": "c",
          "corrected": ["12"]}


def test_latest_needs_the_newest_value_first_and_an_earlier_report_cited(bench: Any) -> None:
    ok = bench.kind_ok
    assert ok(Scorer, LATEST, answer("14 dead as of Saturday [1]; earlier 7 [2]", "c", "a"))
    assert not ok(Scorer, LATEST, answer("14 dead as of Saturday [1]", "c"))  # no earlier
    assert not ok(Scorer, LATEST, answer("7 dead [1]; later 14 [2]", "a", "c"))  # old first
    assert not ok(Scorer, LATEST, answer("12 dead, now 14 [1]; earlier 7 [2]", "c", "a"))


def test_conflict_and_timeline_need_every_value_and_every_report(bench: Any) -> None:
    item = {"id": "c", "kind": "conflict", "docs": ["a", "b"],
            "support": ["64 penumpang", "80 penumpang"]}
    both = answer("Reports differ: 64 penumpang [1]; 80 penumpang [2]", "a", "b")
    assert bench.kind_ok(Scorer, item, both)
    assert not bench.kind_ok(Scorer, item, answer("64 penumpang [1]", "a"))
    one_cited = answer("64 penumpang [1]; 80 penumpang [1]", "a")
    assert not bench.kind_ok(Scorer, item, one_cited)
    assert bench.kind_ok(Scorer, {**item, "kind": "timeline"}, both)


def test_parts_are_counted_per_kind_and_a_single_fact_must_not_differ(bench: Any) -> None:
    newest = {"kind": "latest", "reports": [{"value": "14 orang", "status": "newest"},
                                            {"value": "7 orang", "status": "earlier"}]}
    assert bench.part_ok(Scorer, LATEST, {"parts": [newest]})
    stale = {"kind": "latest", "reports": [{"value": "7 orang", "status": "newest"}]}
    assert not bench.part_ok(Scorer, LATEST, {"parts": [stale]})
    single = {"id": "s", "kind": "single", "docs": ["a"], "support": ["1.400 warga"]}
    conflict = {"kind": "conflict", "reports": [{"value": "1.400"}, {"value": "1,400"}]}
    assert bench.part_ok(Scorer, single, {"parts": []})
    assert not bench.part_ok(Scorer, single, {"parts": [conflict]})
    items = [LATEST, single]
    scores = bench.score_kinds(Scorer, items, [answer("x"), answer("y")])
    assert all(s.part is None for s in scores)  # answers without parts: no part figure


def test_noise_and_abstention(bench: Any) -> None:
    item = {"id": "u", "kind": "unanswerable", "docs": [], "support": [],
            "forbidden": ["ADVERTISEMENT"]}
    abstained = {"answer": "", "abstained": True, "citations": []}
    assert bench.kind_ok(Scorer, item, abstained)
    assert not bench.kind_ok(Scorer, item, answer("ADVERTISEMENT [1]", "a"))
    assert bench.noisy(Scorer, [item, item], [abstained, answer("ADVERTISEMENT [1]", "a")]) \
        == ["u"]
