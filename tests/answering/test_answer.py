"""Fast unit tests of the answer stage (hashing embedder, small English corpus built per module).

Each test pins one rule of the extractive writer: adjacent sentences read as a pair, a
"However, ..." sentence kept with the one it continues, near-duplicate sentences quoted once,
follow-up questions borrowing the previous turn's words, abstaining on confidence, and
another article cited only when it answers as fully.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.answering import ReadContext
from retrieval.answering.extractive.coverage import confidence
from retrieval.building import build_index
from retrieval.config import Settings
from retrieval.embedding import HashingEmbedder
from retrieval.engine import Engine
from retrieval.search.followup import follow_up_context, is_follow_up
from retrieval.text.lexicon import Lexicon
from retrieval.types import Answer, Turn

ARTICLES = {
    "astana.txt": (
        "Astana Talks\n\nMonday, 23 January 2017\n\n"
        "Delegations of the government and the armed opposition opened talks in Astana on Monday. "
        "There, a nationwide ceasefire and a prisoner exchange were agreed by both sides. "
        "Observers from the region watched the sessions closely."),
    "geneva.txt": (
        "Geneva Meeting\n\nTuesday, 7 March 2017\n\n"
        "The meeting of the water ministers in Geneva reached no final agreement on the dam. "
        "However, the ministers agreed to continue the negotiations in April. "
        "Reporters waited outside the building for hours."),
    "harvest.txt": (
        "Harvest Report\n\nFriday, 3 March 2017\n\n"
        "Coffee farmers in Gayo harvested a record crop of arabica beans this season. "
        "Coffee farmers in Gayo harvested a record crop of arabica beans this year. "
        "Prices at the local market rose sharply afterwards."),
    "oslo.txt": (
        "Fishing Talks in Oslo\n\nWednesday, 8 March 2017\n\n"
        "Fishing talks between the two coastal states took place in Oslo last week. "
        "The talks were mediated by a retired Finnish diplomat named Aho."),
    "paris-a.txt": (
        "Rail Talks\n\nThursday, 2 March 2017\n\n"
        "Rail unions and the transport ministry held talks in Paris about night trains."),
    "paris-b.txt": (
        "Bus Talks\n\nSaturday, 11 March 2017\n\n"
        "Bus unions and the city council held talks in Paris about night buses."),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    tmp: Path = tmp_path_factory.mktemp("answer")
    seeds = tmp / "seeds"
    seeds.mkdir()
    for name, text in ARTICLES.items():
        (seeds / name).write_text(text + "\n", encoding="utf-8")
    settings = Settings.load(env={}, dotenv_path=None).replace(
        seeds_dir=seeds, index_dir=tmp / "index", embedding_model="hashing:64")
    embedder = HashingEmbedder(64)
    build_index(settings, lambda: embedder)
    yield Engine(settings, embedder, Lexicon.load())


def quoted_lines(answer: Answer) -> list[str]:
    """The answer's lines without the English framing ("The report of ... says: “...”")."""
    return [re.sub(r"^The .*?report.*? says: “(.*)”( \[\d+\])$", r"\1\2", line)
            for line in answer.text.split("\n") if line]


def test_two_adjacent_sentences_are_read_together(engine: Engine) -> None:
    answer = engine.answer("What was agreed at the talks in Astana?")
    assert not answer.abstained
    (line,) = quoted_lines(answer)
    # The sentence naming Astana and the one saying what was agreed, quoted as one window.
    assert line.startswith("Delegations of the government")
    assert "There, a nationwide ceasefire and a prisoner exchange were agreed" in line
    assert line.endswith("[1]") and line.count("[1]") == 1


def test_a_however_sentence_stays_with_the_one_it_continues(engine: Engine) -> None:
    answer = engine.answer("Did the water ministers in Geneva reach a final agreement?")
    text = answer.text
    assert "reached no final agreement" in text
    assert "However, the ministers agreed to continue the negotiations" in text
    assert text.index("reached no final") < text.index("However")


def test_near_duplicate_sentences_are_quoted_once(engine: Engine) -> None:
    answer = engine.answer("What did the coffee farmers in Gayo harvest?")
    assert answer.text.count("harvested a record crop") == 1


def test_follow_up_questions(engine: Engine) -> None:
    assert is_follow_up("Who mediated them?") and is_follow_up("Siapa mediatornya?")
    assert not is_follow_up("Who mediated the fishing talks in Oslo?")
    first = engine.answer("Where did the fishing talks between the coastal states take place?")
    history = (Turn(first.question, first),)
    assert follow_up_context("Who mediated them?", history) == first.question
    assert follow_up_context("Who mediated the talks in Oslo?", history) == ""
    answer = engine.answer("Who mediated them?", history=history)
    assert not answer.abstained and "Aho" in answer.text
    assert answer.citations[0].doc_id == "oslo.txt"


def test_confidence_decides_abstention(engine: Engine) -> None:
    searcher = engine.searcher
    context = ReadContext(searcher.view, searcher.lexicon, searcher.tuning)
    covered = searcher.analyse("Who mediated the fishing talks in Oslo?")
    absent = searcher.analyse("Who mediated the salmon quota dispute in Tokyo?")
    high = confidence(context, covered, searcher.search(covered, 5))
    low = confidence(context, absent, searcher.search(absent, 5))
    assert high >= context.tuning.min_confidence > low
    answer = engine.answer("Who mediated the salmon quota dispute in Tokyo?")
    assert answer.abstained and answer.reason == "absent" and answer.missing == ("Tokyo",)


def test_another_article_is_cited_only_when_it_answers_as_fully(engine: Engine) -> None:
    both = engine.answer("Which unions held talks in Paris about night services?")
    cited = {c.doc_id for c in both.citations}
    assert cited == {"paris-a.txt", "paris-b.txt"}
    # Each report is labelled (by its publisher and date), so the reader can tell them apart.
    assert all(re.match(r"^The report of \w+ \d+ March 2017 says: ", line)
               for line in both.text.split("\n"))
    one = engine.answer("Which unions held talks in Paris about night trains?")
    assert [c.doc_id for c in one.citations] == ["paris-a.txt"]
    assert not one.text.startswith("(")
