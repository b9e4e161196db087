"""Cleaning and metadata on the five seed articles and on hand-made edge cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retrieval.reading.clean import (
    clean_text,
    extract_metadata,
    parse_article,
    split_title_and_body,
)
from retrieval.types import ArticleMeta

SEEDS = Path(__file__).resolve().parent.parent / "data" / "seeds"  # fixed copy, never the live one
SEED_NAMES = [
    "000_0824a75aebbd95f9.txt",
    "001_807304e9ae65fd15.txt",
    "002_32c7552fa8fd2136.txt",
    "003_1c1b4390ddce87f2.txt",
    "004_7aea4bd5392cc0f6.txt",
]

# Strings that must not survive cleaning in any seed.
FORBIDDEN = [
    "Baca Juga",
    "Baca juga",
    "•",
    "Leave a Reply",
    "email address will not be published",
    "menggunakan kuki",
    "Terima kuki",
    "Hak cipta",
    "foto:",
    "Foto:",
    "(esn)",
    "[]",
    "Mi’raj News Agency",
    "Willy Haryono",
]
# Whole lines that must not survive (they are fine as parts of words or sentences).
FORBIDDEN_LINES = {"EPA", "A", "A A A", "AP", "Reuters", "AFP", "Antara"}

# The noise lines of the seeds, written out by hand and independently of the rules in
# retrieval/clean.py: every other line of a seed is content and must be kept.
KNOWN_NOISE_LINES = {
    "Baca Juga: Inggris, Prancis, dan Jerman Sepakat Luncurkan Bantuan ke Gaza Lewat Udara",
    "Baca Juga: Trump: Kamboja dan Thailand Sepakat Perundingan Gencatan Senjata",
    "Baca Juga: PM Kanada Dukung Solusi Dua Negara Demi Perdamaian Palestina-Israel",
    "Mi’raj News Agency (MINA)",
    "•",
    "foto: huffingtonpost.com",
    "Leave a Reply",
    "Your email address will not be published.",
    "Kehancuran akibat serangan udara Israel di Jalur Gaza. (AP)",
    "Willy Haryono • 24 February 2024 20:35",
    "Baca juga: Israel Lancarkan Serangan Udara di Rafah saat Gencatan Senjata Dibahas",
    "A",
    "(esn)",
    "EPA",
    "Hak cipta milik Rossiyskaya Gazeta.",
    "Situs ini menggunakan kuki. Klik di sini untuk mempelajari lebih lanjut.",
    "Terima kuki",
}
TITLES = {
    "001_807304e9ae65fd15.txt": "Rusia dan AS dukung terwujudnya perdamaian di Suriah",
    "003_1c1b4390ddce87f2.txt": "Langka, Pemerintah dan Pemberontak Suriah Bersatu Lawan ISIS",
    "004_7aea4bd5392cc0f6.txt": (
        "Bahas Aleppo, Lavrov: AS Akhirnya Ajukan Proposal yang Sejalan dengan Rusia"
    ),
}


def _normalise(line: str) -> str:
    """Collapse whitespace (NBSP too) and drop the "[]" placeholder, like a reader would."""
    return " ".join(line.replace("[]", " ").split())


def _raw(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def _content_lines(name: str) -> list[str]:
    lines = [_normalise(line) for line in _raw(name).splitlines()]
    title = TITLES.get(name)
    return [line for line in lines if line and line not in KNOWN_NOISE_LINES and line != title]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_noise_is_removed(name: str) -> None:
    body = clean_text(_raw(name))
    for forbidden in FORBIDDEN:
        assert forbidden not in body, f"{forbidden!r} survived in {name}"
    paragraphs = body.split("\n\n")
    for paragraph in paragraphs:
        assert paragraph.strip() not in FORBIDDEN_LINES
        assert paragraph == paragraph.strip()
        assert "\n" not in paragraph
        assert "  " not in paragraph and "\u00a0" not in paragraph


@pytest.mark.parametrize("name", SEED_NAMES)
def test_every_content_line_is_kept_once(name: str) -> None:
    paragraphs = clean_text(_raw(name)).split("\n\n")
    content = _content_lines(name)
    assert content, "the seed should have content"
    for line in content:
        assert paragraphs.count(line) == 1, f"content line lost or repeated in {name}: {line!r}"
    # Nothing else is in the body: every paragraph comes from a content line.
    assert set(paragraphs) == set(content)
    assert len(paragraphs) == len(set(paragraphs))


def test_repeated_paragraphs_appear_once() -> None:
    raw = _raw("003_1c1b4390ddce87f2.txt")
    body = clean_text(raw)
    repeated = "Menurut keterangan Kepala Staf Umum militer Rusia, Letnan Jenderal Sergei Rudskoi"
    assert raw.count(repeated) == 2
    assert body.count(repeated) == 1
    caption = (
        "Menteri Luar Negeri AS John Kerry (kiri) dan Menteri Luar Negeri Rusia Sergey Lavrov."
    )
    raw_004 = _raw("004_7aea4bd5392cc0f6.txt")
    assert raw_004.count(caption) == 2
    assert clean_text(raw_004).split("\n\n").count(caption) == 1


@pytest.mark.parametrize("name", SEED_NAMES)
def test_title_is_not_in_body(name: str) -> None:
    title, body = split_title_and_body(_raw(name))
    assert title == TITLES.get(name)
    if title is not None:
        assert title not in body


def test_empty_brackets_removed_but_sentence_kept() -> None:
    body = clean_text(_raw("000_0824a75aebbd95f9.txt"))
    assert body.endswith("dalam konfirmasi pertama dari pihak Suriah.")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "000_0824a75aebbd95f9.txt",
            ArticleMeta(
                title=None, outlet="MINA", place="Paris", date=None, date_text="Sabtu (26/7)"
            ),
        ),
        (
            "001_807304e9ae65fd15.txt",
            ArticleMeta(
                title="Rusia dan AS dukung terwujudnya perdamaian di Suriah",
                outlet="Jelasberita.com",
                place="Moskow",
            ),
        ),
        (
            "002_32c7552fa8fd2136.txt",
            ArticleMeta(
                title=None,
                outlet=None,
                place="Paris",
                date="2024-02-24T20:35",
                date_text="24 February 2024 20:35",
            ),
        ),
        (
            "003_1c1b4390ddce87f2.txt",
            ArticleMeta(
                title="Langka, Pemerintah dan Pemberontak Suriah Bersatu Lawan ISIS",
                place="Damaskus",
                date_text="Rabu (8/2)",
            ),
        ),
        (
            "004_7aea4bd5392cc0f6.txt",
            ArticleMeta(
                title="Bahas Aleppo, Lavrov: AS Akhirnya Ajukan Proposal yang Sejalan dengan Rusia",
                outlet="Rossiyskaya Gazeta",
                date_text="Sabtu (3/12)",
            ),
        ),
    ],
)
def test_seed_metadata(name: str, expected: ArticleMeta) -> None:
    assert extract_metadata(_raw(name)) == expected


@pytest.mark.parametrize("name", SEED_NAMES)
def test_parse_article_matches_the_separate_calls(name: str) -> None:
    raw = _raw(name)
    assert parse_article(raw) == (clean_text(raw), extract_metadata(raw))


def test_crlf_bom_and_nbsp_do_not_change_the_result() -> None:
    raw = _raw("001_807304e9ae65fd15.txt")
    messy = "\ufeff" + raw.replace("\n", "\r\n").replace(" ", " \u00a0 ")
    assert parse_article(messy) == parse_article(raw)


# --- conservative rules: prose that only looks like noise is kept ----------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Foto itu diambil di Gaza pada malam hari.",
        "Hak cipta lagu itu dimiliki oleh penyanyi tersebut.",
        "Dua orang tewas. Polisi menyelidiki kasus itu. (AP)",
        "Kejadian itu terjadi pada Sabtu, 24 Februari 2024",
        "Organisasi Kerja Sama Islam (OKI) menggelar sidang darurat.",
        "Organisasi Kerja Sama Islam (OKI)",
        "Israel - Hamas sepakat gencatan senjata.",
        "Copyright atas foto itu masih diperdebatkan di pengadilan.",
        "A. Rahman mengatakan bahwa situasinya aman.",
        "Kelompok AP menyatakan dukungannya.",
        "Situs berita itu menggunakan kuki untuk melacak pembaca, kata peneliti.",
    ],
)
def test_prose_that_resembles_noise_is_kept(sentence: str) -> None:
    raw = f"Sebuah paragraf pembuka yang cukup panjang untuk menjadi isi berita.\n{sentence}\n"
    assert sentence in clean_text(raw).split("\n\n")


@pytest.mark.parametrize(
    "noise",
    [
        "Baca juga: Judul berita lain",
        "BACA JUGA: Judul berita lain",
        "Simak juga: Video terbaru",
        "  •  \u00a0",
        "• • •",
        "Leave a Reply",
        "Leave a Reply Cancel reply",
        "Your email address will not be published. Required fields are marked *",
        "Required fields are marked *",
        "Tinggalkan Balasan",
        "Alamat email Anda tidak akan dipublikasikan.",
        "Situs ini menggunakan kuki. Klik di sini untuk mempelajari lebih lanjut.",
        "Terima kuki",
        "This site uses cookies. By continuing you agree.",
        "Accept cookies",
        "Hak cipta milik Kantor Berita X.",
        "Copyright © 2024 Kompas.com. All rights reserved.",
        "© 2024 Tempo",
        "foto: huffingtonpost.com",
        "Foto: Reuters/Ahmad",
        "Foto/Istimewa",
        "EPA",
        "AP",
        "Reuters",
        "AFP",
        "Antara",
        "Reuters/Ahmad Yusni",
        "Kehancuran akibat serangan udara Israel di Jalur Gaza. (AP)",
        "Warga mengungsi dari Rafah (AFP)",
        "A",
        "A A A",
        "(esn)",
        "(ant/ara)",
        "Editor: Budi Santoso",
        "Willy Haryono • 24 February 2024 20:35",
        "Sabtu, 24 Februari 2024 20:35 WIB",
        "Mi’raj News Agency (MINA)",
    ],
)
def test_noise_lines_are_removed(noise: str) -> None:
    content = "Sebuah paragraf pembuka yang cukup panjang untuk menjadi isi berita."
    raw = f"{content}\n{noise}\nParagraf kedua juga berisi kalimat berita."
    assert clean_text(raw) == f"{content}\n\nParagraf kedua juga berisi kalimat berita."


def test_inline_noise_is_cut_from_content_lines() -> None:
    raw = (
        "Paragraf pertama berisi kalimat berita. []\n"
        "Paragraf kedua berakhir di sini. Baca juga: Judul berita lain\n"
        "Paragraf terakhir ditutup inisial editor. (rah)\n"
    )
    assert clean_text(raw).split("\n\n") == [
        "Paragraf pertama berisi kalimat berita.",
        "Paragraf kedua berakhir di sini.",
        "Paragraf terakhir ditutup inisial editor.",
    ]


def test_only_noise_gives_empty_body() -> None:
    assert clean_text("Baca Juga: Judul\n  •  \nLeave a Reply\n(esn)\n") == ""


def test_hard_wrapped_markdown_paragraph_is_joined() -> None:
    raw = (
        "# Judul Artikel Markdown\n\n"
        "JAKARTA (ANTARA) - Pemerintah mengumumkan kebijakan baru yang\n"
        "akan berlaku mulai bulan depan, kata menteri pada Senin (5/8).\n\n"
        "Kebijakan itu disambut baik.\n"
    )
    body, meta = parse_article(raw)
    assert body.split("\n\n") == [
        "JAKARTA (ANTARA) - Pemerintah mengumumkan kebijakan baru yang akan berlaku mulai "
        "bulan depan, kata menteri pada Senin (5/8).",
        "Kebijakan itu disambut baik.",
    ]
    assert meta == ArticleMeta(
        title="Judul Artikel Markdown", outlet="ANTARA", place="Jakarta", date_text="Senin (5/8)"
    )


# --- metadata details ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso", "date_text"),
    [
        ("Sabtu, 24 Februari 2024 pukul 20.35 WIB", "2024-02-24T20:35", None),
        ("24 February 2024 20:35", "2024-02-24T20:35", None),
        ("pada 5 Mei 2023, 20.000 orang", "2023-05-05", "5 Mei 2023"),
        ("on February 24, 2024.", "2024-02-24", "February 24, 2024"),
        ("Jumat (26/7/2025)", "2025-07-26", None),
        ("Kamis, 31/12/2023", "2023-12-31", None),
        ("diperbarui 2024-02-24T08:05", "2024-02-24T08:05", "2024-02-24T08:05"),
        ("pada Sabtu (26/7) lalu", None, "Sabtu (26/7)"),
        ("30 Februari 2024", None, None),
        ("jumat, 18 Desember", None, None),
    ],
)
def test_dates(text: str, iso: str | None, date_text: str | None) -> None:
    meta = extract_metadata(f"JAKARTA - Paragraf berita {text} berisi kalimat.")
    assert meta.date == iso
    expected_text = date_text if (date_text is not None or iso is None) else text
    assert meta.date_text == expected_text


def test_outlet_from_copyright_and_signature() -> None:
    copyright_only = (
        "Paragraf berita.\nParagraf kedua.\nCopyright © 2024 Kompas.com. All rights reserved."
    )
    assert extract_metadata(copyright_only).outlet == "Kompas.com"
    signature = "Paragraf berita.\nAntara News Agency (ANTARA)\n"
    assert extract_metadata(signature).outlet == "ANTARA"


@pytest.mark.parametrize(
    ("opening", "place", "outlet"),
    [
        ("Paris, MINA – Para pejabat bertemu.", "Paris", "MINA"),
        ("Moskow, Jelasberita.com| Selasa lalu, menteri bertemu.", "Moskow", "Jelasberita.com"),
        ("JAKARTA, KOMPAS.com - Presiden berpidato.", "Jakarta", "KOMPAS.com"),
        ("NEW YORK - Sidang dimulai.", "New York", None),
        ("Paris: Pembicaraan dimulai.", "Paris", None),
        ("Jakarta, Indonesia - Hujan deras turun.", None, None),
        ("Para pejabat bertemu di Paris.", None, None),
        # The outlet's domain first, then the place or the day.
        ("TRIBUNNEWS.COM, LEMBO - Kapal tenggelam.", "Lembo", "TRIBUNNEWS.COM"),
        ("Detakpos.com, Sabtu (5/7/2025) – Operasi ditutup.", None, "Detakpos.com"),
        # A capitalised name in brackets after the place is the outlet.
        ("LEMBO, Indonesia (Jakarta Globe) - A ferry sank.", "Lembo", "Jakarta Globe"),
    ],
)
def test_datelines(opening: str, place: str | None, outlet: str | None) -> None:
    meta = extract_metadata(opening)
    assert (meta.place, meta.outlet) == (place, outlet)
    assert opening in clean_text(opening)  # the dateline stays part of the sentence


def test_a_headline_with_a_colon_is_a_headline_not_a_dateline() -> None:
    raw = ("Polisi: Penumpang KM Sinar Bahari 7 Capai 80 Orang\n\n"
           "Lirang (SAMUDRA) - Polisi menyebut jumlah penumpang lebih banyak.")
    meta = extract_metadata(raw)
    assert meta.title == "Polisi: Penumpang KM Sinar Bahari 7 Capai 80 Orang"
    assert (meta.place, meta.outlet) == ("Lirang", "SAMUDRA")


def test_no_title_when_first_line_is_a_sentence() -> None:
    raw = "Presiden tiba di Paris pada pagi hari.\nIa disambut oleh menteri luar negeri."
    assert split_title_and_body(raw)[0] is None


def test_no_title_for_a_single_line() -> None:
    assert split_title_and_body("Presiden tiba di Paris")[0] is None


def test_repeated_title_line_is_not_kept_in_body() -> None:
    raw = "Judul Berita Hari Ini\nParagraf pertama.\nJudul Berita Hari Ini\nParagraf kedua."
    title, body = split_title_and_body(raw)
    assert title == "Judul Berita Hari Ini"
    assert body == "Paragraf pertama.\n\nParagraf kedua."


def test_paragraph_dedupe_ignores_spacing_and_case() -> None:
    raw = "Kalimat berita yang sama.\nKalimat  berita yang SAMA.\nKalimat lain."
    assert re.split(r"\n\n", clean_text(raw)) == ["Kalimat berita yang sama.", "Kalimat lain."]
