"""A short answer only when it is right (issue 18): the role asked, the type asked, a gate.

Synthetic Indonesian reports built with the hashing embedder and asked through the real
engine. Each report puts a wrong candidate next to the right one: another office holder
in the same sentence, the city that hosted talks beside the country that mediated them, a
date beside a count, a count beside a year.
"""

from __future__ import annotations

import dataclasses

import pytest
from conftest import build_hashing

from retrieval.answering.extractive.kinds import question_kind
from retrieval.config import Settings
from retrieval.embedding import HashingEmbedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon
from retrieval.tuning import TUNING
from retrieval.types import Answer

REPORTS = {
    "moskow.txt": (
        "Putin Terima Sharaa di Moskow\n\n"
        "Rabu, 6 Maret 2024\n\n"
        "Presiden Rusia Vladimir Putin menerima Presiden Suriah Ahmed Sharaa di Kremlin "
        "untuk membahas bantuan rekonstruksi. "
        "Menteri Luar Negeri Suriah Asaad Shaibani ikut mendampingi Sharaa dalam kunjungan "
        "itu.\n"),
    "amman.txt": (
        "Utusan Yordania di Damaskus\n\n"
        "Selasa, 5 Maret 2024\n\n"
        "Dalam pertemuan dengan utusan Yordania di Damaskus, Menteri Luar Negeri Suriah "
        "Asaad Shaibani membahas pemulangan pengungsi.\n"),
    "doha.txt": (
        "Perundingan Tahanan di Kairo\n\n"
        "Senin, 4 Maret 2024\n\n"
        "Perundingan pertukaran tahanan di Kairo dimediasi oleh Qatar sejak pekan lalu. "
        "Delegasi kedua pihak menginap di hotel yang sama.\n"),
    "serangan.txt": (
        "Serangan di Perbatasan\n\n"
        "Kamis, 14 Desember 2023\n\n"
        "Pada 12 Desember, sebanyak 35 tentara tewas dalam serangan di pos perbatasan. "
        "Serangan itu terjadi setelah tiga bulan tanpa insiden.\n"),
    "tembok.txt": (
        "Sejarah Tembok Berlin\n\n"
        "Tembok Berlin runtuh pada tahun 1989 setelah berdiri selama 28 tahun dan "
        "memisahkan 2 bagian kota.\n"),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, HashingEmbedder]:
    return build_hashing(tmp_path_factory.mktemp("short"), REPORTS)


@pytest.fixture(scope="module")
def engine(built: tuple[Settings, HashingEmbedder]) -> Engine:
    settings, embedder = built
    return Engine(settings, embedder, Lexicon.load())


def short_line(answer: Answer) -> str:
    """The short answer line ("X [1]") without its citation, or "" when the answer opens
    with the quoted sentence."""
    first, _, rest = answer.text.partition("\n")
    return first.rsplit(" [", 1)[0] if rest and len(first) < 60 else ""


def test_the_holder_of_the_office_of_the_country_asked(engine: Engine) -> None:
    answer = engine.answer("Siapa presiden Suriah?")
    assert short_line(answer) == "Ahmed Sharaa", answer.text


def test_another_office_of_the_same_country_is_not_the_answer(engine: Engine) -> None:
    answer = engine.answer("Siapa menteri luar negeri Suriah?")
    assert short_line(answer) == "Asaad Shaibani", answer.text


def test_no_short_line_names_the_holder_of_another_office(engine: Engine) -> None:
    # The only name near "Yordania" is Syria's foreign minister: not Jordan's president.
    answer = engine.answer("Siapa presiden Yordania?")
    assert "Shaibani" not in short_line(answer), answer.text


def test_the_mediator_not_the_city_that_hosted(engine: Engine) -> None:
    answer = engine.answer("Siapa yang memediasi perundingan pertukaran tahanan?")
    assert short_line(answer) == "Qatar", answer.text


def test_how_many_is_answered_with_a_count_never_a_date(engine: Engine) -> None:
    answer = engine.answer("Berapa banyak tentara yang tewas dalam serangan di pos perbatasan?")
    assert short_line(answer).endswith("35 tentara"), answer.text  # "Sebanyak 35 tentara"
    assert "Desember" not in short_line(answer)


def test_tahun_berapa_asks_for_a_year(engine: Engine) -> None:
    assert question_kind("Tahun berapakah Tembok Berlin runtuh?") == "year"
    assert question_kind("Pada tahun kapankah Tembok Berlin runtuh?") == "year"
    answer = engine.answer("Tahun berapakah Tembok Berlin runtuh?")
    assert not answer.abstained, answer.text
    assert short_line(answer) == "1989", answer.text


def test_below_the_threshold_the_quoted_sentence_leads(
        built: tuple[Settings, HashingEmbedder]) -> None:
    settings, embedder = built
    unsure = Engine(settings, embedder, Lexicon.load(),
                    tuning=dataclasses.replace(TUNING, short_min_chance=1.01))
    answer = unsure.answer("Siapa yang memediasi perundingan pertukaran tahanan?")
    assert not answer.abstained, answer.text  # no short line is no reason to refuse
    assert short_line(answer) == ""
    assert answer.text.startswith("Perundingan pertukaran tahanan di Kairo dimediasi oleh Qatar")
