"""The answer a person reads (issue "answers a reader can use"), one test per behaviour.

Fast: a small Indonesian corpus built with the hashing embedder, so every rule here is
lexical and the tests run in seconds. The e2e counterparts with the real model are in
``test_search.py`` (two reports) and ``test_ask.py`` (CLI output, absent places).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from bot.format import format_answer
from bot.repl import Repl
from retrieval.answering.common.when import Day, article_day, find_when, format_day
from retrieval.answering.extractive.kinds import question_kind
from retrieval.building import build_index
from retrieval.config import Settings
from retrieval.embedding import HashingEmbedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon
from retrieval.types import Answer

CAIRO = (
    "Perundingan Gencatan Senjata Dimulai di Kairo\n\n"
    "Sabtu, 24 Februari 2024\n\n"
    "Kairo, ANTARA – Cuaca di ibu kota cerah sepanjang pekan dan lalu lintas berjalan lancar.\n\n"
    "Delegasi kedua pihak bertemu di hotel pusat kota untuk pembukaan acara pada pagi hari.\n\n"
    "Perundingan gencatan senjata di Kairo dimediasi oleh Amerika Serikat dan dimulai pada "
    "Jumat lalu. "
    "Lebih dari 1.400 orang tewas dalam konflik tersebut sejak tahun 2011. "
    "Menurut pejabat setempat, sekitar 80 ribu warga telah dievakuasi dari wilayah perbatasan. "
    "Para pihak berharap perundingan selesai hingga akhir tahun ini.\n")
# No headline: the first line is already a sentence of the story.
UNTITLED = (
    "Para nelayan di pesisir Gayo menolak rencana pembangunan pelabuhan baru yang diusulkan "
    "pemerintah daerah karena dinilai merusak terumbu karang, kata seorang tokoh masyarakat. "
    "Penolakan itu disampaikan dalam rapat desa pada Selasa (5/3).\n")
HTML = (
    "<!DOCTYPE html><html><head><title>Festival Kopi Gayo Digelar</title>"
    "<script>var tracker = 1;</script><style>p { color: red; }</style></head><body>"
    "<nav><a href='/'>Beranda</a></nav><article><h1>Festival Kopi Gayo Digelar</h1>"
    "<p>Festival kopi Gayo &amp; budaya Aceh digelar di Takengon selama tiga hari.</p>"
    "<p>Panitia mencatat lebih dari <b>5.000</b> pengunjung datang ke festival itu.</p>"
    "</article><footer>Hak cipta &copy; 2024</footer></body></html>\n")
MARKUP_TXT = (
    "<html><body><h1>Harga Cabai Naik</h1><p>Harga cabai di pasar Medan naik menjadi "
    "Rp 80.000 per kilogram karena&nbsp;hujan deras.</p></body></html>\n")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    tmp: Path = tmp_path_factory.mktemp("reader")
    seeds = tmp / "seeds"
    seeds.mkdir()
    for name, text in {"cairo.txt": CAIRO, "gayo.txt": UNTITLED, "kopi.html": HTML,
                       "cabai.txt": MARKUP_TXT}.items():
        (seeds / name).write_text(text, encoding="utf-8")
    settings = Settings.load(env={}, dotenv_path=None).replace(
        seeds_dir=seeds, index_dir=tmp / "index", embedding_model="hashing:64")
    embedder = HashingEmbedder(64)
    build_index(settings, lambda: embedder)
    yield Engine(settings, embedder, Lexicon.load())


def lead(answer: Answer) -> str:
    """The answer's first line: what a reader reads first."""
    return answer.text.split("\n", 1)[0]


# Answer first ---------------------------------------------------------------------------------


def test_the_answering_sentence_comes_first_without_padding(engine: Engine) -> None:
    answer = engine.answer("Siapa yang memediasi perundingan gencatan senjata?")
    assert not answer.abstained, answer.text
    assert lead(answer) == "Amerika Serikat [1]"
    assert "dimediasi oleh Amerika Serikat" in answer.text.split("\n")[1]
    assert len(answer.text.split("\n")) == 2
    # The weather and the hotel opening of the same article are not quoted.
    assert "Cuaca" not in answer.text and "hotel" not in answer.text


# Short answers per kind, in the asker's language ----------------------------------------------


@pytest.mark.parametrize(("question", "expected"), [
    ("Who mediated the ceasefire talks?", "The United States [1]"),
    ("Where did the ceasefire talks begin?", "Cairo [1]"),
    ("How many people died in the conflict?", "More than 1,400 people [1]"),
    ("Berapa orang tewas dalam konflik tersebut?", "Lebih dari 1.400 orang [1]"),
    ("How many residents were evacuated?", "About 80,000 residents [1]"),
    ("Since what year has the conflict killed people?", "2011 [1]"),
    ("When did the ceasefire talks begin?", "Friday 23 February 2024 [1]"),
    ("Kapan perundingan gencatan senjata dimulai?", "Jumat, 23 Februari 2024 [1]"),
    ("By when do the parties hope the talks are finished?", "The end of 2024 [1]"),
])
def test_factoid_questions_get_a_short_answer_first(engine: Engine, question: str,
                                                    expected: str) -> None:
    answer = engine.answer(question)
    assert not answer.abstained, answer.text
    assert lead(answer) == expected, answer.text
    assert answer.text.split("\n")[1].endswith("[1]")  # then the quoted evidence


def test_an_english_open_question_names_the_report_and_its_date(engine: Engine) -> None:
    answer = engine.answer("What did the mediators of the ceasefire talks do?")
    assert lead(answer).startswith("The ANTARA report of Saturday 24 February 2024 says: “")


def test_question_kinds() -> None:
    kinds = {"Siapa yang memediasi?": "who", "Di mana perundingan digelar?": "place",
             "When did it start?": "date", "Tahun berapa perang dimulai?": "year",
             "How many people died?": "number", "Which TV channel reported it?": "name",
             "What was agreed in Paris?": None, "Mengapa Israel menyerang?": None}
    assert {q: question_kind(q) for q in kinds} == kinds


# Dates ------------------------------------------------------------------------------------------


def test_relative_dates_resolve_against_the_article_date() -> None:
    saturday = Day(2024, 2, 24, 5)
    (last_friday,) = find_when("dimulai di Paris pada Jumat lalu.", saturday)
    assert format_day(last_friday.day, "en") == "Friday 23 February 2024"
    (yesterday,) = find_when("Kemarin, para menteri bertemu.", saturday)
    assert format_day(yesterday.day, "id") == "Jumat, 23 Februari 2024"
    (end,) = find_when("hingga akhir tahun ini", saturday)
    assert format_day(end.day, "en") == "the end of 2024"


def test_an_unknown_year_is_said_not_guessed() -> None:
    undated = article_day(None, "Sabtu (26/7)")
    assert undated is not None
    assert format_day(undated, "en") == "Saturday 26 July (year not stated)"
    (last_friday,) = find_when("pada Jumat lalu", None)  # an undated article
    assert format_day(last_friday.day, "en") == "last Friday (the article gives no date)"


# Abstaining on meaning ---------------------------------------------------------------------------


def test_a_place_no_article_mentions_is_said_so(engine: Engine) -> None:
    answer = engine.answer("What was agreed at the ceasefire talks in Baku?")
    assert answer.abstained and answer.reason == "absent" and answer.missing == ("Baku",)
    lines = format_answer(answer).split("\n")
    assert lines[0] == "No article mentions “Baku”."
    assert lines[1] == "The closest report:" and lines[2].endswith("[1]")


def test_what_the_articles_do_not_say_is_refused(engine: Engine) -> None:
    answer = engine.answer("What is the name of the delegation leader?")  # no one is named
    assert answer.abstained and answer.citations == (), answer.text


def test_a_missing_category_word_quotes_the_sentence_without_a_short_answer(
        engine: Engine) -> None:
    # The report counts people, not soldiers: a missing category word is no reason to
    # abstain (issue 18), but no count of soldiers is put in bold either.
    answer = engine.answer("How many soldiers were killed in the conflict?")
    assert answer.text.startswith("The ANTARA report of Saturday 24 February 2024 says: "), \
        answer.text
    assert "1.400 orang tewas" in answer.text


def test_a_question_outside_the_subject_is_refused(engine: Engine) -> None:
    answer = engine.answer("What is the capital of France?")
    assert answer.abstained and answer.missing == ("France",), answer.text


def test_paraphrases_are_answered(engine: Engine) -> None:
    # killed / death toll / died; selesai / tuntas (news synonyms)
    for question in ("How many people were killed in the conflict?",
                     "What is the death toll of the conflict?",
                     "Kapan perundingan diharapkan tuntas?"):
        answer = engine.answer(question)
        assert not answer.abstained, (question, answer.text)


# Sources people can read -----------------------------------------------------------------------


def test_every_citation_has_a_title_and_a_readable_date(engine: Engine) -> None:
    answer = engine.answer("Mengapa nelayan menolak pembangunan pelabuhan baru?")
    (citation,) = answer.citations
    assert citation.title and citation.title.startswith("Para nelayan di pesisir Gayo")
    assert citation.title.endswith("…") and len(citation.title) <= 80
    shown = format_answer(answer)
    assert "(untitled)" not in shown
    cairo = engine.answer("Who mediated the ceasefire talks?")
    assert "Perundingan Gencatan Senjata Dimulai di Kairo — ANTARA, Saturday 24 February 2024" \
        in format_answer(cairo)


# HTML articles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["Berapa pengunjung festival kopi Gayo?",
                                      "Berapa harga cabai di pasar Medan?"])
def test_html_is_read_as_text(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert not answer.abstained, answer.text
    quoted = answer.text + " ".join(c.quote + (c.title or "") for c in answer.citations)
    for markup in ("<", ">", "&amp;", "&nbsp;", "&copy;", "tracker", "color: red"):
        assert markup not in quoted, (markup, answer.text)
    assert answer.citations[0].title in ("Festival Kopi Gayo Digelar", "Harga Cabai Naik")


# Other languages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["Qu'est-ce qui a été convenu lors des négociations?",
                                      "Was wurde bei den Verhandlungen vereinbart?"])
def test_an_unsupported_language_gets_an_english_reply(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert answer.abstained and answer.reason == "language"
    assert format_answer(answer).startswith("I answer questions in English and Indonesian only")


# The REPL ---------------------------------------------------------------------------------------


def test_bare_repl_words_are_commands_not_questions(engine: Engine) -> None:
    out = io.StringIO()
    repl = Repl(cast(Engine, engine), stdin=io.StringIO("help\nclear\nexit\nnot asked\n"),
                stdout=out)
    assert repl.run() == 0
    text = out.getvalue()
    assert ":help" in text and "Conversation cleared" in text
    assert repl.last_answer is None  # nothing was asked, and "not asked" was never read
