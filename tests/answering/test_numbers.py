"""Numbers read by the text's conventions and written in the asker's (issue 16, point 3).

Indonesian groups thousands with "." and marks decimals with ","; English the other way
round. "$7,500" in an English article is seven and a half thousand dollars, not 7.5; "1.400
orang" in an Indonesian one is 1,400 people. Pure functions, plus one end-to-end answer over a
small English article built with the hashing embedder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings

from retrieval.answering.common.numbers import read_digits, spelled_numbers, write_number
from retrieval.answering.common.spans import Span, number_spans, number_values
from retrieval.answering.extractive.localize import localize
from retrieval.building import build_index
from retrieval.embedding import HashingEmbedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon


def values(text: str, lang: str | None = None) -> list[float]:
    """One value per number found (each reading here is unambiguous)."""
    out = []
    for found in number_values(text, lang):
        assert len(found) == 1, (text, found)
        out.append(next(iter(found)))
    return out


def spans(text: str, lang: str | None = None) -> list[Span]:
    return number_spans(text, lang)


def shown(text: str, article_lang: str | None, asker: str) -> str:
    """The one number of ``text`` as an asker of language ``asker`` reads it."""
    [span] = spans(text, article_lang)
    return localize(span, asker, lambda name: None)


# Digits by convention ----------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "lang", "after", "value"), [
    # English thousands, the cases: a comma before exactly three digits groups them.
    ("7,500", "en", "", 7500.0),
    ("1,250", "en", "passengers", 1250.0),
    # Indonesian thousands.
    ("7.500", "id", "", 7500.0),
    ("1.400", "id", "orang", 1400.0),
    # Repeated separators only group; two kinds: the last one is the decimal point.
    ("1,250,000", None, "", 1250000.0),
    ("1.250.000", None, "", 1250000.0),
    ("1.162,5", None, "", 1162.5),
    ("1,162.5", None, "", 1162.5),
    # Other than three digits after one separator: a decimal point in either language.
    ("2,5", None, "juta", 2.5),
    ("2.5", None, "million", 2.5),
    ("49,55", "id", "detik", 49.55),
    ("0,125", "en", "", 0.125),
    # Three digits after the language's decimal mark, with a scale word or a measure: a
    # decimal (as every such form in the FacQA articles is).
    ("889,351", "id", "juta", 889.351),
    ("1,508", "id", "poin", 1.508),
    ("1.125", "en", "million", 1.125),
    ("1,250", "id", "km", 1.25),
    # ... but a count of things is never a fraction.
    ("1,250", "id", "penumpang", 1250.0),
    ("7.500", "en", "people", 7500.0),
    # No language given: the scale word tells it, else the form groups thousands.
    ("889,351", None, "juta", 889.351),
    ("7,500", None, "", 7500.0),
    ("7.500", None, "", 7500.0),
    ("2024", None, "", 2024.0),
])
def test_digits_are_read_by_the_texts_conventions(raw: str, lang: str | None, after: str,
                                                  value: float) -> None:
    reading = read_digits(raw, lang, after)
    assert reading is not None
    assert reading.value == value


def test_separators_that_make_no_number_are_not_read() -> None:
    assert read_digits("1.2.3") is None
    assert read_digits("1,2.3,4") is None


def test_the_reading_says_whose_conventions_the_digits_follow() -> None:
    def written(raw: str, lang: str | None = None) -> str:
        reading = read_digits(raw, lang)
        assert reading is not None
        return reading.written

    assert written("7,500", "en") == "en"
    assert written("2,5") == "id"
    assert written("1.400", "id") == "id"
    assert written("500") == ""


# Values in text --------------------------------------------------------------------------

def test_english_thousands_in_an_english_text() -> None:
    assert values("The operator was fined $7,500 on Monday.", "en") == [7500.0]
    assert values("The ferry had 1,250 passengers aboard.", "en") == [1250.0]
    # The language need not be known for these.
    assert values("The operator was fined $7,500 on Monday.") == [7500.0]
    assert values("The ferry had 1,250 passengers aboard.") == [1250.0]


def test_indonesian_thousands_and_decimals() -> None:
    assert values("Lebih dari 1.400 orang tewas.", "id") == [1400.0]
    assert values("sekitar 7,5 ribu warga", "id") == [7500.0]
    assert values("2,5 juta pengungsi", "id") == [2_500_000.0]
    assert values("Nilai proyek Rp 7,5 miliar.", "id") == [7_500_000_000.0]
    assert values("volume 889,351 juta saham", "id") == [889_351_000.0]


def test_the_same_amount_written_in_either_language_has_one_value() -> None:
    assert values("2,5 juta", "id") == values("2.5 million", "en") == [2_500_000.0]
    assert values("1.400 orang", "id") == values("1,400 people", "en") == [1400.0]
    assert values("US$1.2 billion", "en") == values("US$1,2 miliar", "id") == [1.2e9]


def test_decimals_and_percentages() -> None:
    assert values("Inflasi naik 3,5 persen.", "id") == [3.5]
    assert values("Inflation rose 3.5 percent.", "en") == [3.5]
    assert values("naik 3,5% tahun ini", "id") == [3.5]
    [span] = spans("Inflation rose 3.5% in March.", "en")
    assert (span.value, span.unit) == (3.5, "%")


def test_years_are_values_but_not_counts() -> None:
    assert values("Perang dimulai pada 2011.", "id") == [2011.0]
    assert spans("Perang dimulai pada 2011.", "id") == []
    assert spans("pada 2024 lalu", "id") == []  # a function word after it: still a year
    assert spans("from 2011-2014 the war went on", "en") == []
    [count] = spans("Sebanyak 2011 orang dievakuasi.", "id")  # a counted noun: an amount
    assert (count.value, count.unit) == (2011.0, "orang")


def test_ranges_give_both_ends() -> None:
    assert values("1.000-2.000 orang", "id") == [1000.0, 2000.0]
    assert values("between 1,000 and 2,000 people", "en") == [1000.0, 2000.0]
    # A range's scale word applies to both ends; the lower may also be quoted bare.
    assert number_values("dana Rp 4-5 juta", "id") == [frozenset({4.0, 4e6}), frozenset({5e6})]
    [span] = spans("antara 1.000 dan 2.000 orang mengungsi", "id")
    assert (span.value, span.upper, span.qualifier, span.unit) == (1000.0, 2000.0, "antara",
                                                                   "orang")


def test_currency_is_part_of_the_span() -> None:
    [span] = spans("The operator was fined $7,500 on Monday.", "en")
    assert (span.text, span.currency, span.value) == ("$7,500 on", "$", 7500.0)
    [rupiah] = spans("Nilai proyek Rp 7,5 miliar.", "id")
    assert (rupiah.currency, rupiah.value, rupiah.scale) == ("Rp ", 7.5, "miliar")


# Number words ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value", "scale"), [
    ("seribu empat ratus", 1400, ""),
    ("dua puluh lima", 25, ""),
    ("sebelas", 11, ""),
    ("seratus", 100, ""),
    ("tiga belas", 13, ""),
    ("seratus dua puluh tiga", 123, ""),
    ("dua juta", 2, "juta"),
    ("dua ratus ribu", 200, "ribu"),
    ("dua juta lima ratus ribu", 2_500_000, ""),
    ("one thousand four hundred", 1400, ""),
    ("twenty-five", 25, ""),
    ("twenty five", 25, ""),
    ("one hundred and five", 105, ""),
    ("a dozen", 12, ""),
    ("two million", 2, "million"),
    ("a thousand", 1, "thousand"),
    ("twelve hundred", 1200, ""),
])
def test_spelled_numbers_in_both_languages(text: str, value: int, scale: str) -> None:
    [found] = spelled_numbers(f"kata {text} kata")
    assert (found.value, found.scale) == (value, scale)
    assert found.start == 5 and found.end == 5 + len(text)


def test_words_that_make_no_number_are_not_read() -> None:
    assert spelled_numbers("a man and a woman") == []
    assert spelled_numbers("ribuan orang dan puluhan rumah") == []
    # Two numbers side by side stay two ("dua tiga" is not 23).
    assert [s.value for s in spelled_numbers("dua tiga")] == [2, 3]
    # Words of two languages do not make one number.
    assert [s.value for s in spelled_numbers("dua hundred")] == [2]


def test_spelled_numbers_are_values_and_spans() -> None:
    assert values("seribu empat ratus orang tewas", "id") == [1400.0]
    assert values("two million refugees", "en") == [2_000_000.0]
    # Indonesian news borrows English scale words.
    assert values("total cadangan enam billion British thermal units", "id") == [6e9]
    [span] = spans("Sebanyak dua puluh lima penumpang selamat.", "id")
    assert (span.value, span.unit, span.qualifier) == (25.0, "penumpang", "sebanyak")


# Written in the asker's language -----------------------------------------------------------

def test_an_english_asker_reads_english_conventions() -> None:
    assert shown("Lebih dari 1.400 orang tewas.", "id", "en") == "more than 1,400 people"
    assert shown("sekitar 80 ribu warga", "id", "en") == "about 80,000 residents"
    assert shown("2,5 juta pengungsi", "id", "en") == "2.5 million refugees"
    assert shown("Nilai proyek Rp 7,5 miliar.", "id", "en") == "Rp 7.5 billion"
    assert shown("The operator was fined $7,500 on Monday.", "en", "en") == "$7,500"
    assert shown("The ferry had 1,250 passengers aboard.", "en", "en") == "1,250 passengers"
    assert shown("1.000-2.000 orang", "id", "en") == "1,000–2,000 people"


def test_an_indonesian_asker_reads_indonesian_conventions() -> None:
    assert shown("The operator was fined $7,500 on Monday.", "en", "id") == "$7.500"
    assert shown("more than 1,250 passengers", "en", "id") == "lebih dari 1.250 penumpang"
    assert shown("worth US$1.2 billion", "en", "id") == "US$1,2 miliar"
    assert shown("Inflation rose 3.5 percent.", "en", "id") == "3,5 persen"
    assert shown("twenty-five passengers", "en", "id") == "25 penumpang"
    # An Indonesian article's own words are kept.
    assert shown("Lebih dari 1.400 orang tewas.", "id", "id") == "Lebih dari 1.400 orang"


def test_write_number() -> None:
    assert (write_number(1400, "en"), write_number(1400, "id")) == ("1,400", "1.400")
    assert (write_number(2.5, "en"), write_number(2.5, "id")) == ("2.5", "2,5")
    assert write_number(1_162.5, "id") == "1.162,5"
    assert write_number(2.3 * 1e6, "en") == "2,300,000"


# End to end: an English article --------------------------------------------------------------

FERRY = (
    "Ferry Operator Fined After Harbour Collision\n\n"
    "Monday, 4 March 2024\n\n"
    "Jakarta, Reuters - The harbour authority fined the ferry operator $7,500 for sailing "
    "without a licensed pilot, officials said on Monday. "
    "The ferry had 1,250 passengers aboard when it struck the pier in the early morning. "
    "Nobody was seriously hurt, and twenty-five passengers were treated for minor injuries. "
    "Repairs to the pier are expected to cost about US$1.2 million.\n")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    tmp: Path = tmp_path_factory.mktemp("numbers")
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "ferry.txt").write_text(FERRY, encoding="utf-8")
    settings = make_settings(tmp, seeds)
    embedder = HashingEmbedder(64)
    build_index(settings, lambda: embedder)
    yield Engine(settings, embedder, Lexicon.load())


@pytest.mark.parametrize(("question", "lead"), [
    ("How much was the fine?", "$7,500 [1]"),
    ("How many passengers were aboard?", "1,250 passengers [1]"),
    ("How many passengers were treated for injuries?", "25 passengers [1]"),
    ("How much will the repairs cost?", "About US$1.2 million [1]"),
    ("Berapa penumpang di kapal itu?", "1.250 penumpang [1]"),
])
def test_short_answers_from_an_english_article(engine: Engine, question: str,
                                                lead: str) -> None:
    answer = engine.answer(question)
    assert not answer.abstained, answer.text
    assert answer.text.split("\n", 1)[0] == lead
