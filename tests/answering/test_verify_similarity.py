"""The meaning check of the LLM writer's verification: an LLM sentence must be close, by the
model's sentence vectors, to a sentence of a passage it cites — for models with a calibrated
floor only. The hashing embedder stands in for the model (its vectors are bags of words)."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest
from conftest import make_settings

from retrieval.answering import ReadContext
from retrieval.answering.llm.similar import closest_similarity, meaning_gap
from retrieval.answering.llm.verify import check, claims, facts
from retrieval.building.indexer import build_index
from retrieval.embedding.embed import HashingEmbedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon

ARTICLE = ("Perundingan damai di Jenewa\n"
           "Jenewa – Perundingan damai antara kedua pihak dilanjutkan di Jenewa pada Senin. "
           "Delegasi Mesir menyerahkan usulan gencatan senjata kepada kedua pihak.\n")


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> ReadContext:
    tmp = tmp_path_factory.mktemp("similar")
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "jenewa.txt").write_text(ARTICLE, encoding="utf-8")
    settings = make_settings(tmp, seeds)
    embedder = HashingEmbedder(64)
    build_index(settings, lambda: embedder)
    return Engine(settings, embedder, Lexicon.load()).context


def _with_floor(context: ReadContext, floor: float | None) -> ReadContext:
    table = {} if floor is None else {context.encoder.model_id: floor}  # type: ignore[union-attr]
    tuning = dataclasses.replace(context.tuning, verify_similarity=MappingProxyType(table))
    return dataclasses.replace(context, tuning=tuning)


def test_the_engine_gives_the_context_its_encoder(context: ReadContext) -> None:
    assert context.encoder is not None and context.encoder.model_id == "hashing:64"
    assert context.verify_floor is None  # no floor calibrated for the hashing model


def test_a_copied_sentence_is_closest_and_an_unrelated_one_is_not(context: ReadContext) -> None:
    same = closest_similarity(context, "Delegasi Mesir menyerahkan usulan gencatan senjata "
                                       "kepada kedua pihak.", [0])
    other = closest_similarity(context, "Harga minyak dunia naik tajam pekan ini.", [0])
    assert same > 0.99 and other < same - 0.3
    assert closest_similarity(context, "apa saja", []) == -1.0


def test_the_floor_drops_a_sentence_far_from_every_cited_one(context: ReadContext) -> None:
    text = "Delegasi Mesir menyerahkan usulan gencatan senjata kepada kedua pihak."
    sim = closest_similarity(context, text, [0])
    assert meaning_gap(_with_floor(context, sim - 0.01), text, [0]) == ""
    assert meaning_gap(_with_floor(context, min(sim + 0.01, 1.0) + 0.01), text, [0]) == "meaning"
    assert meaning_gap(_with_floor(context, None), text, [0]) == ""  # no floor: no check


def test_check_reports_meaning_only_where_the_words_pass(context: ReadContext) -> None:
    [claim] = claims("Kedua pihak melanjutkan perundingan damai di Jenewa pada Senin [1].")
    sent = {1: facts(context, 1, 0)}
    assert check(_with_floor(context, None), claim, "id", sent).kept
    strict = _with_floor(context, 1.01)  # no sentence can be that close
    verdict = check(strict, claim, "id", sent)
    assert not verdict.kept and verdict.why == "meaning"


def test_without_an_encoder_the_check_is_off(context: ReadContext) -> None:
    bare = dataclasses.replace(_with_floor(context, 1.01), encoder=None)
    assert bare.verify_floor is None
    assert meaning_gap(bare, "anything at all", [0]) == ""
