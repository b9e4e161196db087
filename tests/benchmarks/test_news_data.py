"""The news benchmark's data (issue 19) is well-formed: a broken gold id, a support string that
no report holds or a kind the benchmark does not know would make its figures silently wrong.

Reads the fixed files in ``benchmarks/data`` (never ``seeds/`` or ``index/``)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

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
