"""Search and answer behaviour: the BM25 scorer, answer types, phrases, cross-lingual answers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import bm25s
import numpy as np
import pytest
from conftest import SEEDS, make_settings

from retrieval.building.bm25_weights import build_bm25
from retrieval.building.indexer import build_index
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder
from retrieval.engine import Engine
from retrieval.search.bm25_scoring import bm25_scores
from retrieval.search.qtype import answer_type, holds
from retrieval.text.lexicon import Lexicon
from retrieval.tuning import TUNING

PARIS_TALKS = "000_0824a75aebbd95f9.txt"
GAZA_TALKS = "002_32c7552fa8fd2136.txt"

ENGLISH_ARTICLE = """Canada hosts Arctic fisheries talks

OTTAWA, Reuters - Canada and Norway signed an agreement on Arctic fisheries in Ottawa on \
Tuesday, the foreign ministry said.

The agreement limits cod fishing in the Barents Sea for five years and creates a joint \
monitoring commission.

Fishermen's unions in both countries welcomed the deal, saying it would protect fish stocks.
"""


def test_minimal_bm25_scorer_matches_bm25s() -> None:
    docs = [["gencatan", "senjata", "paris", "paris"], ["paris", "damaskus"],
            ["senjata", "rudal", "gencatan", "kairo", "kairo", "kairo"], []]
    index = build_bm25(docs, TUNING.bm25_k1, TUNING.bm25_b)
    reference = bm25s.BM25(k1=TUNING.bm25_k1, b=TUNING.bm25_b, method="lucene")
    reference.index(docs, show_progress=False)
    for query in (["paris"], ["gencatan", "kairo"], ["senjata", "paris", "damaskus"]):
        ours = bm25_scores(index, dict.fromkeys(query, 1.0))
        theirs = reference.get_scores(query)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    # Weights scale a term's contribution; unknown terms contribute nothing.
    half = bm25_scores(index, {"paris": 0.5, "nowhere": 1.0})
    np.testing.assert_allclose(half, 0.5 * bm25_scores(index, {"paris": 1.0}), rtol=1e-6)


@pytest.mark.parametrize(("question", "kind"), [
    ("Berapa penumpang yang turut dalam penerbangan itu?", "number"),
    ("How many people were killed?", "number"),
    ("Kapan perundingan dimulai?", "time"),
    ("Tahun berapa konflik itu pecah?", "time"),
    ("When did the talks start?", "time"),
    ("Siapa yang memediasi perundingan?", "name"),
    ("Di mana Hamas menyelesaikan perundingan?", "name"),
    ("Who mediated the talks?", "name"),
    ("What was agreed in Paris?", None),
])
def test_answer_type(question: str, kind: str | None) -> None:
    assert answer_type(question) == kind


def test_holds_needs_something_the_question_does_not_say() -> None:
    question = "Berapa orang tewas pada 2011?"
    assert holds("Lebih dari 1.400 orang tewas.", "number", question)
    assert not holds("Banyak orang tewas pada 2011.", "number", question)
    assert holds("Pertemuan itu digelar Sabtu (26/7).", "time", "Kapan pertemuan digelar?")
    assert holds("Perundingan dimediasi oleh Amerika Serikat.", "name", "Siapa mediatornya?")


def test_multiword_translation_matches_only_as_a_whole(
        hashing_settings: Settings, hashing_embedder: Callable[[], Embedder]) -> None:
    build_index(hashing_settings, hashing_embedder)
    engine = Engine(hashing_settings, hashing_embedder(), Lexicon.load())
    query = engine.searcher.analyse("What is the capital of France?")
    capital = next(c for c in query.concepts if c.word == "capital")
    assert frozenset({"ibu", "kota"}) in capital.phrases  # "ibu kota" in the dictionary
    assert not capital.found_in({"kota"})  # "kota" alone is "city", not "capital"
    assert capital.found_in({"ibu", "kota", "prancis"})
    names = [c.word for c in engine.searcher.analyse("Did the United States agree?").concepts]
    assert "united states" in names and "united" not in names


@pytest.mark.e2e
@pytest.mark.parametrize("question", ["Which peace talks took place in Paris?",
                                      "Perundingan apa saja yang berlangsung di Paris?"])
def test_two_reports_are_listed_each_with_its_date(real_engine: Engine, question: str) -> None:
    answer = real_engine.answer(question)
    assert {c.doc_id for c in answer.citations} == {PARIS_TALKS, GAZA_TALKS}, answer.text
    dates = {PARIS_TALKS: ("26 July", "26 Juli"), GAZA_TALKS: ("24 February 2024",
                                                             "24 Februari 2024")}
    lines = answer.text.splitlines()
    for citation in answer.citations:
        mine = [line for line in lines if line.endswith(f"[{citation.n}]")]
        # Each report on its own line, labelled with its own date: the talks are not mixed.
        assert len(mine) == 1, answer.text
        label = mine[0].split(": ", 1)[0]
        assert any(d in label for d in dates[citation.doc_id]), answer.text


@pytest.mark.e2e
def test_what_was_agreed_in_paris_leads_with_the_agreement(real_engine: Engine) -> None:
    answer = real_engine.answer("What was agreed in Paris?")
    first = answer.text.splitlines()[0]
    assert first.startswith("The MINA report of Saturday 26 July (year not stated) says: “")
    assert "sepakat untuk melanjutkan perundingan" in first and first.endswith("[1]")
    assert answer.citations[0].doc_id == PARIS_TALKS


@pytest.mark.e2e
def test_indonesian_question_finds_an_english_article(
        tmp_path: Path, real_embedder: Embedder) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "en_ottawa.txt").write_text(ENGLISH_ARTICLE, encoding="utf-8")
    settings = make_settings(tmp_path, seeds, model=real_embedder.model_id)
    build_index(settings, lambda: real_embedder)
    engine = Engine(settings, real_embedder, Lexicon.load())

    answer = engine.answer("Apa yang ditandatangani Kanada dan Norwegia di Ottawa?")
    assert not answer.abstained and answer.lang == "id"
    assert [c.doc_id for c in answer.citations] == ["en_ottawa.txt"], answer.text
    assert "signed an agreement on Arctic fisheries" in answer.citations[0].quote

    welcomed = engine.answer("Siapa yang menyambut baik kesepakatan perikanan itu?")
    assert "en_ottawa.txt" in {c.doc_id for c in welcomed.citations}, welcomed.text
    assert "welcomed the deal" in welcomed.text

    # An English question still reaches the Indonesian articles of the same index.
    coast = engine.answer("How many people were killed in sectarian violence on the coast?")
    assert "1.400 orang" in coast.text
