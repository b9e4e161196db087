"""Reports that change (issue 19): reports that differ, the latest figure, timelines, and a
time named in the question — end to end with the default model over a small fixed folder of
scraped-style reports (tests/data/news: a flood whose toll rises and is corrected, a ferry
two authorities count differently, talks two outlets date differently, a trial whose verdict
is postponed and whose reports date the detention differently)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, make_settings

from bot.format import answer_json
from retrieval.answering.common.when import Day
from retrieval.answering.news.asked import read_asked
from retrieval.answering.news.corrections import corrects
from retrieval.building.indexer import build_index
from retrieval.config import DEFAULT_MODEL
from retrieval.embedding.embed import load_embedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon
from retrieval.types import Answer

NEWS = ROOT / "tests" / "data" / "news"
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    tmp = tmp_path_factory.mktemp("news")
    shutil.copytree(NEWS, tmp / "seeds")
    settings = make_settings(tmp, tmp / "seeds", model=DEFAULT_MODEL)
    embedder = load_embedder(settings)
    build_index(settings, lambda: embedder)
    return Engine(settings, embedder, Lexicon.load())


def _docs(answer: Answer) -> set[str]:
    return {Path(c.doc_id).stem for c in answer.citations}


def _lead(answer: Answer) -> str:
    m = re.search(r"\[\d+\]", answer.text)
    return answer.text[:m.end()] if m else answer.text


def test_reports_that_differ_show_every_value_with_its_report(engine: Engine) -> None:
    answer = engine.answer("Berapa penumpang KM Sinar Bahari?")
    [part] = answer.parts
    assert part.kind == "conflict"
    assert answer.text.startswith("Laporan berbeda:")
    values = " ".join(r.value for r in part.reports)
    assert "64" in values and "80" in values
    assert {"kapal-1-antara", "kapal-2-tribun"} <= _docs(answer)
    # Both values are in the lead, and every report is cited where its value is shown.
    assert "64" in _lead(answer) and "80" in _lead(answer)
    for report in part.reports:
        assert report.date == "2025-07-12" or report.date == "2025-07-13"
        line = next(ln for ln in answer.text.splitlines() if ln.startswith(f"- {report.value}"))
        assert f"[{report.n}]" in line


def test_a_meeting_dated_differently_is_a_conflict_of_dates(engine: Engine) -> None:
    answer = engine.answer("Kapan delegasi Ranaya dan Teluria bertemu di Jenewa?")
    [part] = answer.parts
    assert part.kind == "conflict"
    assert "17/7" in answer.text and "16/7" in answer.text
    assert _docs(answer) == {"talks-1-mina", "talks-2-sindo"}


def test_the_latest_figure_leads_and_a_corrected_one_is_never_current(engine: Engine) -> None:
    answer = engine.answer("How many people have died in the Sukamaju flood so far?")
    [part] = answer.parts
    assert part.kind == "latest"
    newest, *earlier = part.reports
    assert newest.status == "newest" and newest.date == "2025-07-04" and "9" in newest.value
    assert "9" in _lead(answer) and "12" not in _lead(answer)
    corrected = [r for r in earlier if "12" in r.value]
    assert corrected and corrected[0].status == "corrected"
    assert all(r.status in ("earlier", "corrected") for r in earlier)
    assert [r.date for r in earlier] == sorted((r.date or "" for r in earlier), reverse=True)
    assert {"banjir-4-antara", "banjir-3-detik", "banjir-2-kompas"} <= _docs(answer)


def test_a_timeline_lists_dated_steps_in_order_each_cited(engine: Engine) -> None:
    for question in ("Kronologi banjir bandang Sukamaju", "What happened in the Sukamaju flood?"):
        answer = engine.answer(question)
        [part] = answer.parts
        assert part.kind == "timeline"
        days = [r.date or "" for r in part.reports]
        assert days == sorted(days) and len(set(days)) >= 3
        steps = [ln for ln in answer.text.splitlines() if ln.startswith("- ")]
        assert len(steps) == len(part.reports)
        assert all(re.search(r"\[\d+\]$", ln) for ln in steps)
        assert len(_docs(answer)) >= 3


def test_a_single_fact_stays_a_plain_answer(engine: Engine) -> None:
    answer = engine.answer("Siapa yang memediasi pertemuan Ranaya dan Teluria?")
    assert not answer.parts and "Norwegia" in answer.text


def test_a_time_in_the_question_restricts_to_reports_of_then(engine: Engine) -> None:
    # The newest report is of 19 July: "kemarin" is 18 July, when no flood was reported.
    assert engine.answer("Berapa korban meninggal banjir Sukamaju kemarin?").abstained
    answer = engine.answer("Berapa korban meninggal banjir Sukamaju pada 2 Juli 2025?")
    assert not answer.abstained and "banjir-2-kompas" in _docs(answer)
    assert "banjir-4-antara" not in _docs(answer)


def test_json_carries_each_part_with_its_kind_and_dates(engine: Engine) -> None:
    obj = answer_json(engine.answer("Berapa penumpang KM Sinar Bahari?"))
    [part] = obj["parts"]
    assert part["kind"] == "conflict"
    assert all(r["date"] and r["n"] >= 1 and r["citations"] for r in part["reports"])


@pytest.mark.parametrize(("question", "latest", "timeline"), [
    ("Berapa korban sampai saat ini?", True, False),
    ("How many have died so far?", True, False),
    ("Kronologi tenggelamnya kapal", False, True),
    ("How did the talks unfold?", False, True),
    ("Apa yang terjadi sejauh ini?", False, True),
    ("Berapa penumpang kapal itu?", False, False),
    ("Bagaimana perjalanan sidang kasus itu?", False, True),
    ("How did the vote count progress?", False, True),
    ("How much is a kilo of chilli these days?", True, False),
])
def test_what_a_question_asks_of_changing_reports(question: str, latest: bool,
                                                  timeline: bool) -> None:
    asked = read_asked(question, Day(2025, 7, 19, 5))
    assert (asked.latest, asked.timeline) == (latest, timeline)


def test_periods_are_read_against_the_newest_report() -> None:
    now = Day(2025, 7, 19, 5)
    week = read_asked("What happened last week?", now).period
    assert week is not None and str(week.start) == "2025-07-12" and str(week.end) == "2025-07-19"
    month = read_asked("Apa yang terjadi pada Maret 2025?", now).period
    assert month is not None and (str(month.start), str(month.end)) == ("2025-03-01",
                                                                        "2025-03-31")
    assert read_asked("Who met on Tuesday?", now).period is None  # the story's Tuesday
    assert read_asked("Pada tahun 2011 siapa presidennya?", now).period is None


def test_a_correction_names_the_number_it_corrects() -> None:
    assert corrects("BNPB meralat angka 12 korban yang sempat beredar.", 12.0, "id")
    assert corrects("Korban meninggal 9 orang, bukan 12.", 12.0, "id")
    assert corrects("Angka 12 orang yang sempat beredar keliru.", 12.0, "id")
    assert corrects("The toll, earlier reported as 12, stands at 10.", 12.0, "en")
    # The figure the correction gives is not corrected, nor one far from the word.
    assert not corrects("Korban meninggal 9 orang, bukan 12.", 9.0, "id")
    assert not corrects("BNPB meralat angka 12 korban karena tiga jenazah tercatat dua kali "
                        "di dua posko.", 2.0, "id")


def test_a_classifier_count_counts_the_subject_of_its_clause() -> None:
    from retrieval.answering.common.spans import number_spans
    from retrieval.answering.extractive.factoid import counts

    def count_of(sentence: str, number: str) -> bool:
        span = next(s for s in number_spans(sentence, "id") if s.text.startswith(number))
        return counts(sentence, span, {"korban"}, "id")

    assert count_of("Korban meninggal dunia kini berjumlah 8 orang.", "8")
    # The noun has its own number: the classifier count is of something else.
    assert not count_of("Tiga korban dirawat dan 25 ribu orang mengungsi.", "25")
    assert not count_of("Menurut korban; polisi menahan 4 orang.", "4")


def test_telegram_keeps_a_timeline_together_and_within_its_limit(engine: Engine) -> None:
    from bot.telegram.render import MAX_MESSAGE, answer_html, length

    answer = engine.answer("Kronologi banjir bandang Sukamaju")
    messages = answer_html(answer)
    assert all(length(m) <= MAX_MESSAGE for m in messages)
    shown = "\n".join(messages)
    steps = [ln for ln in answer.text.splitlines() if ln.startswith("- ")]
    # One item per line, no blank line between them.
    first, second = (shown.index(s[:40]) for s in steps[:2])
    assert "\n\n" not in shown[first:second]


class _CountingChat:
    """An LLM at the chat boundary that counts its calls and quotes passage [1]."""

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, messages: object, on_delta: object = None) -> str:
        self.calls += 1
        return "Sesuatu [1]."


def test_with_an_llm_writer_the_structure_is_kept_from_the_reports(engine: Engine) -> None:
    from retrieval.answering import ExtractiveWriter, LlmWriter

    chat = _CountingChat()
    writer = LlmWriter(chat, ExtractiveWriter())
    answer = engine.answer("Berapa penumpang KM Sinar Bahari?", writer=writer)
    # Figures that differ are laid out from the reports' own sentences, never reworded.
    assert answer.parts and answer.parts[0].kind == "conflict"
    assert answer.writer == "extractive" and chat.calls == 0
    # A plain question still goes to the LLM writer.
    engine.answer("Siapa yang memediasi pertemuan Ranaya dan Teluria?", writer=writer)
    assert chat.calls == 1


def test_one_event_told_in_two_languages_is_one_timeline_step(engine: Engine) -> None:
    answer = engine.answer("Kronologi kapal Sinar Bahari")
    [part] = answer.parts
    sinking = next(r for r in part.reports if "tenggelam di perairan" in r.value)
    # ANTARA's sentence and the Jakarta Globe's "sank off Lembo island on Saturday morning".
    docs = {answer.citations[n - 1].doc_id for n in sinking.citations}
    assert docs == {"kapal-1-antara.txt", "kapal-3-en.txt"}


def test_values_are_compared_by_what_they_mean(engine: Engine) -> None:
    from retrieval.answering.common.spans import number_spans
    from retrieval.answering.news.clock import times_in
    from retrieval.answering.news.facts import value_key

    def key(text: str, lang: str) -> tuple[object, ...]:
        return value_key(number_spans(text, lang)[0], engine.context)

    same = {key("mengungsi 1.400 orang", "id"), key("1,400 people fled", "en"),
            key("seribu empat ratus orang mengungsi", "id")}
    assert len(same) == 1
    assert key("2,5 juta warga", "id") == key("2.5 million residents", "en")
    assert key("64 penumpang", "id") != key("80 penumpang", "id")
    minutes = [m for text in ("sekitar pukul 03.00 WIT", "around 3 a.m. local time",
                              "pukul 02.30 WIT", "pukul 7 malam", "pukul 19.00")
               for _, m in times_in(text)]
    assert minutes == [180, 180, 150, 1140, 1140]


def test_an_amount_of_money_is_never_answered_with_another_number() -> None:
    from retrieval.answering.extractive.measures import measure_unmet

    counted = ["Polisi: kapal itu mengangkut 80 penumpang."]
    assert measure_unmet("Berapa harga tiket KM Sinar Bahari 7?", counted, "id")
    assert measure_unmet("How much compensation will the families receive?",
                         ["The families met the regent on Monday."], "en")
    # Money, a scale word or a share answers; a date question about a fare is no amount.
    assert not measure_unmet("Berapa harga tiket kapal?", ["Tiket dijual Rp 150.000."], "id")
    assert not measure_unmet("Berapa nilai investasi tol?", ["Nilainya 9,8 triliun."], "id")
    assert not measure_unmet("Berapa penurunan nilai ekspor?", ["Turun 12 persen."], "id")
    assert not measure_unmet("Sejak tanggal berapa tarif tol naik?", counted, "id")


def test_a_postponed_verdict_is_the_latest_plan_not_a_report_that_differs(engine: Engine) -> None:
    # 4 June: verdict "pada Rabu (18/6)"; 18 and 19 June: postponed to 25 June. The plan of
    # the earlier report was still ahead of it, so the later day leads; the reports span
    # three weeks, linked by the ones between (not only 14 days from the best).
    answer = engine.answer("Kapan putusan Hendra Wiguna dibacakan?")
    [part] = answer.parts
    assert part.kind == "latest"
    newest, *earlier = part.reports
    assert newest.status == "newest" and "25" in newest.value and "25" in _lead(answer)
    assert "18/6" not in _lead(answer)
    assert any("18/6" in r.value and r.status == "earlier" for r in earlier)
    assert "sidang-1-antara" in _docs(answer)
    # The English report's "on Wednesday" is the day it was postponed, its news day: the
    # verdict's day is the other date of that sentence.
    assert "Wednesday" not in newest.value


def test_a_report_value_must_say_what_is_asked(engine: Engine) -> None:
    # Detention dated 3 February by ANTARA and 5 February by the Jakarta Globe; detik's
    # "menunda putusan ... Hendra Wiguna hingga Rabu (25/6)" names him but not the detention.
    answer = engine.answer("Sejak tanggal berapa Hendra Wiguna ditahan?")
    [part] = answer.parts
    assert part.kind == "conflict"
    values = [r.value for r in part.reports]
    assert len(values) == 2 and any("3 Februari" in v for v in values) and \
        any("5" in v and "February" in v for v in values)
    assert "25/6" not in answer.text and "sidang-2-detik" not in _docs(answer)


def test_words_are_matched_however_spelled_or_cut() -> None:
    from retrieval.answering.news.facts import _spelled_alike

    assert _spelled_alike("chilli", "chili") and _spelled_alike("kilo", "kilogram")
    assert _spelled_alike("tahan", "tahan")
    assert not _spelled_alike("day", "dayak") and not _spelled_alike("putus", "putih")


def test_a_place_no_report_names_abstains_though_its_kind_word_is_there(engine: Engine) -> None:
    # "Kabupaten" is in every flood report; "Sintang" in none.
    answer = engine.answer("Berapa korban banjir bandang di Kabupaten Sintang?")
    assert answer.abstained and answer.reason == "absent"
    assert not engine.answer("Berapa korban banjir bandang di Kabupaten Sukamaju?").abstained


def test_a_month_a_report_tells_of_holds_for_that_period() -> None:
    period = read_asked("Berapa inflasi pada Februari 2025?", Day(2025, 3, 4, 1)).period
    assert period is not None
    assert period.holds(Day(2025, 2)) is True  # "inflasi Februari 2025" in a March report
    assert period.holds(Day(2025, 3)) is False
    assert period.holds(Day(2025, 2, 10, 0)) is True


def test_a_dateline_left_over_is_no_timeline_step() -> None:
    from retrieval.answering.common.when import find_when
    from retrieval.answering.news.timeline import _only_dates

    def only(text: str) -> bool:
        return _only_dates(text, find_when(text, None))

    assert only("February 13, 2025 | 09:12 GMT+7")
    assert only("Minggu, 02 Maret 2025 - 13:40 WIB")
    assert not only("A forensic team was at the site on Thursday.")


def test_dates_and_figures_written_as_agencies_write_them() -> None:
    from retrieval.answering.common.spans import Span, number_spans
    from retrieval.answering.common.when import find_when
    from retrieval.answering.news.compare import _money
    from retrieval.answering.news.facts import same_thing

    [when] = find_when("postponed the verdict to Feb. 26.", None)
    assert (when.day.month, when.day.day) == (2, 26)

    def span(text: str, lang: str = "id") -> Span:
        return number_spans(text, lang)[0]

    # A share counts no named thing: 71 percent turnout and 52.4 percent of the vote differ.
    assert not same_thing(span("mencapai 71 persen"), span("meraih 52,4 persen"))
    assert same_thing(span("64 penumpang"), span("80 penumpang"))
    # A price is a price whatever unit word follows it.
    assert _money(span("naik menjadi Rp 65.000 per kilogram"))
    assert _money(span("sells for 80,000 rupiah", "en"))
    assert not _money(span("mencapai 71 persen"))
    # Shown alone, a price does not end on the word that led to its unit.
    from retrieval.answering.news.render import _DANGLING
    assert _DANGLING.sub("", "Rp 65.000 per") == "Rp 65.000"
    assert _DANGLING.sub("", "80,000 rupiah") == "80,000 rupiah"


def test_page_widgets_are_scrape_noise_and_no_outlet() -> None:
    from retrieval.reading.clean import clean_text, extract_metadata

    raw = (NEWS / "sidang-1-antara.txt").read_text()
    text = clean_text(raw + "\nSubscribe to our newsletter\nArtikel ini telah tayang di X.com\n"
                      "Bagikan: Facebook | Twitter | WhatsApp\n")
    for noise in ("ADVERTISEMENT", "Tags:", "newsletter", "telah tayang", "Bagikan"):
        assert noise not in text
    assert "Hendra ditahan sejak 3 Februari 2025" in text
    # A sentence that only mentions an advertisement or a newsletter stays.
    kept = clean_text("Judul\n\nIklan itu ditayangkan di televisi sejak Senin, kata dia.\n")
    assert "Iklan itu ditayangkan" in kept
    footer = extract_metadata("Judul\nSenin, 3 Maret 2025\nIsi berita ini.\nAll rights reserved\n")
    assert footer.outlet != "All rights reserved"


RALAT = {
    "inflasi-1.txt": (
        "BPS: Inflasi Kota Lembayung Naik\nSenin, 3 Maret 2025\n\n"
        "LEMBAYUNG, WartaKota.com — Badan Pusat Statistik Kota Lembayung mencatat inflasi "
        "tahunan pada Februari 2025 sebesar 2,19 persen, didorong harga beras.\n"),
    "inflasi-2.txt": (
        "Inflasi Lembayung Tertinggi dalam Setahun\nSenin, 3 Maret 2025\n\n"
        "Lembayung, EkonomiKita - Inflasi tahunan Kota Lembayung pada Februari 2025 mencapai "
        "1,92 persen, menurut rilis Badan Pusat Statistik.\n"),
    "beras-3.txt": (
        "Harga Beras di Lembayung Mulai Turun\nRabu, 5 Maret 2025\n\n"
        "LEMBAYUNG, WartaKota.com — Harga beras medium di Pasar Besar Lembayung turun menjadi "
        "Rp 12.500 per kilogram.\n\n"
        "Ralat: Dalam berita sebelumnya tertulis inflasi tahunan Kota Lembayung Februari 2025 "
        "sebesar 2,19 persen. Yang benar 1,92 persen.\n"),
}


def test_a_correction_notice_in_a_later_article_about_something_else_counts(
        tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, text in RALAT.items():
        (seeds / name).write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path, seeds, model=DEFAULT_MODEL)
    embedder = load_embedder(settings)
    build_index(settings, lambda: embedder)
    answer = Engine(settings, embedder, Lexicon.load()).answer(
        "Berapa inflasi tahunan Kota Lembayung pada Februari 2025?")
    [part] = answer.parts
    assert part.kind == "latest"
    wrong = [r for r in part.reports if "2.19" in r.value or "2,19" in r.value]
    assert wrong and wrong[0].status == "corrected"
    assert "2.19" not in _lead(answer) and "2,19" not in _lead(answer)
