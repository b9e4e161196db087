"""Tests for retrieval.lexicon: language detection, dictionary lookups and aliases."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from retrieval.text.lexicon import Lexicon
from retrieval.text.wordlists import (
    STOPWORDS_EN,
    STOPWORDS_ID,
    Language,
    detect_language,
    english_lemmas,
)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def terms(pairs: list[tuple[str, float]]) -> set[str]:
    return {term for term, _ in pairs}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What was agreed in Paris?", "en"),
        ("Apa yang disepakati di Paris?", "id"),
        ("Siapa yang memediasi perundingan?", "id"),
        ("Who mediated them?", "en"),
        ("Berapa orang tewas?", "id"),
        ("Who did the Mossad chief meet separately in Paris?", "en"),
        ("Di mana Hamas menyelesaikan perundingan gencatan senjata?", "id"),
        ("Kapan gencatan senjata itu dimulai?", "id"),
        ("How many people were killed?", "en"),
        ("Mengapa AS mendukung Israel?", "id"),
        ("Gencatan senjata Gaza", "id"),  # no function words: Indonesian by default
        ("", "id"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_stopwords_keep_words_meaningful_in_the_other_language() -> None:
    # "AS"/"US" are the United States in Indonesian and English news.
    assert "as" not in STOPWORDS_EN and "us" not in STOPWORDS_EN
    assert {"the", "what", "who", "was", "did"} <= STOPWORDS_EN
    assert {"yang", "apa", "siapa", "di", "berapa", "tersebut"} <= STOPWORDS_ID
    assert not STOPWORDS_EN & STOPWORDS_ID


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("met", "meet"),
        ("agreed", "agree"),
        ("fought", "fight"),
        ("countries", "country"),
        ("stopped", "stop"),
        ("planning", "plan"),
        ("separately", "separate"),
        ("talks", "talk"),
        ("syria's", "syria"),
    ],
)
def test_english_lemmas(word: str, lemma: str) -> None:
    assert lemma in english_lemmas(word)


def test_translate_en_to_id_common_news_words(lexicon: Lexicon) -> None:
    # FreeDict's "agree" has berjanji/menyetujui; "kesepakatan" comes from the stem
    # family ("agreement"), and is what BM25 roots to "sepakat".
    agreed = terms(lexicon.translate(["agreed"], "en"))
    assert "menyetujui" in agreed and "kesepakatan" in agreed
    assert {"bertemu", "temu"} <= terms(lexicon.translate(["met"], "en"))
    assert "bertemu" in terms(lexicon.translate(["meet"], "en"))
    assert "kepala" in terms(lexicon.translate(["head"], "en"))
    assert "kepala" in terms(lexicon.translate(["chief"], "en"))  # from a synonym gloss
    assert "terpisah" in terms(lexicon.translate(["separated"], "en"))
    assert "terpisah" in terms(lexicon.translate(["separately"], "en"))
    assert "bersama" in terms(lexicon.translate(["together"], "en"))
    assert "negosiasi" in terms(lexicon.translate(["negotiate"], "en"))
    assert "pemerintah" in terms(lexicon.translate(["government"], "en"))


def test_translate_id_to_en(lexicon: Lexicon) -> None:
    sepakat = terms(lexicon.translate(["sepakat"], "id"))
    assert {"agree", "agreement"} <= sepakat
    # Missing surface form: found through its Snowball root.
    assert "agree" in terms(lexicon.translate(["disepakati"], "id"))
    assert "meet" in terms(lexicon.translate(["bertemu"], "id"))
    assert "together" in terms(lexicon.translate(["bersama"], "id"))


def test_pivot_translations_fill_gaps(lexicon: Lexicon) -> None:
    # None of these English words is in eng-ind.tsv: the translations come from
    # eng-ind-pivot.tsv (found through Finnish, Polish, Greek, German, Dutch, Italian).
    assert "sipil" in terms(lexicon.translate(["civilians"], "en"))
    assert "membebaskan" in terms(lexicon.translate(["released"], "en"))
    assert {"luka", "cedera"} <= terms(lexicon.translate(["injured"], "en"))
    assert "mencurigakan" in terms(lexicon.translate(["suspected"], "en"))
    # "continue" is absent too; before the pivot file only its stem family answered.
    assert "melanjutkan" in terms(lexicon.translate(["continued"], "en"))
    # The inverted direction uses them as well.
    assert "civilian" in terms(lexicon.translate(["sipil"], "id"))
    assert "release" in terms(lexicon.translate(["membebaskan"], "id"))
    assert "continue" in terms(lexicon.translate(["melanjutkan"], "id"))


def test_pivot_translations_rank_after_direct() -> None:
    small = Lexicon({"agree": ("berjanji", "menyetujui")}, [],
                    pivot={"agree": ("setuju",), "civilian": ("sipil",)})
    # "agree" has the direct translations berjanji/menyetujui; "setuju" is a pivot one.
    agree = dict(small.translate(["agree"], "en"))
    assert agree["setuju"] < agree["menyetujui"] < agree["berjanji"]
    # A word with only pivot translations gives them the whole budget.
    assert small.translate(["civilian"], "en") == [("sipil", 1.0)]


def test_news_glossary_ranks_first_and_gives_synonyms(lexicon: Lexicon) -> None:
    # FreeDict lists "berjanji" first for "agree"; news says "sepakat".
    agree = lexicon.translate(["agree"], "en")
    assert agree[0][0] == "sepakat" and "berjanji" in dict(agree)
    assert "korban tewas" in dict(lexicon.translate(["death toll"], "en"))
    assert lexicon.phrase_entry("took place") in ("took place", "take place")
    assert lexicon.phrase_entry("signed agreements") in (None, "sign agreement")
    assert lexicon.phrase_entry("peace talks") == "peace talks"
    assert "selesai" in lexicon.synonyms("tuntas") and "tuntas" in lexicon.synonyms("selesai")
    assert "tuntas" in lexicon.synonyms("diselesaikan")  # by its root
    assert lexicon.knows("perundingan") and not lexicon.knows("konashenkov")
    assert lexicon.canonical("Mesir") == "egypt" and lexicon.canonical("Sweida") is None


def test_translate_multiword_entries(lexicon: Lexicon) -> None:
    assert "ceasefire" in terms(lexicon.translate(["gencatan", "senjata"], "id"))
    assert "gencatan senjata" in terms(lexicon.translate(["ceasefire"], "en"))


@pytest.mark.parametrize(
    ("words", "source"),
    [
        (["agreed", "paris"], "en"),
        (["mossad", "chief", "meet", "separately", "paris"], "en"),
        (["where", "rebels", "government", "forces", "fight", "together"], "en"),
        (["sepakat", "perundingan", "bersama", "tewas"], "id"),
    ],
)
def test_weights_in_range_and_budget_per_word(
    lexicon: Lexicon, words: list[str], source: Language
) -> None:
    pairs = lexicon.translate(words, source)
    assert pairs
    assert all(0.0 < weight <= 1.0 for _, weight in pairs)
    assert [w for _, w in pairs] == sorted((w for _, w in pairs), reverse=True)
    for word in words:
        single = lexicon.translate([word], source)
        assert sum(weight for _, weight in single) <= 1.0 + 1e-9
        assert len(single) <= 8


def test_translate_unknown_words(lexicon: Lexicon) -> None:
    assert lexicon.translate([], "en") == []
    assert lexicon.translate(["qalamoun", "xyzzy"], "en") == []


def test_aliases(lexicon: Lexicon) -> None:
    found = lexicon.aliases("Syria and Egypt talks in Cairo")
    assert {"suriah", "mesir", "kairo"} <= set(found)
    assert "syria" not in found and "cairo" not in found
    assert "united states" in lexicon.aliases("Amerika Serikat")
    assert "amerika serikat" in lexicon.aliases("What did the US propose?")
    assert "pbb" in lexicon.aliases("the United Nations Security Council")
    assert "dewan keamanan" in lexicon.aliases("the United Nations Security Council")
    assert "gencatan senjata" in lexicon.aliases("a ceasefire in Gaza")


def test_aliases_match_whole_words_and_acronyms_by_case(lexicon: Lexicon) -> None:
    assert lexicon.aliases("Who is with us, as before?") == []
    assert "united states" in lexicon.aliases("Rusia dan AS")
    assert lexicon.aliases("Syriana") == []  # no partial-word matches


def test_lexicon_from_plain_data() -> None:
    lexicon = Lexicon(
        {"war": ("perang",), "agreement": ("kesepakatan", "perjanjian")},
        [["cairo", "kairo"], ["united states", "amerika serikat", "AS"]],
    )
    assert lexicon.translate(["war"], "en") == [("perang", 1.0)]
    assert "agreement" in terms(lexicon.translate(["kesepakatan"], "id"))
    assert lexicon.aliases("Kairo") == ["cairo"]
    assert lexicon.aliases("as") == []


def test_lexicon_with_pivot_data() -> None:
    lexicon = Lexicon(
        {"war": ("perang",), "agreement": ("kesepakatan",)},
        [],
        pivot={"war": ("peperangan",), "civilian": ("sipil", "warga sipil")},
    )
    war = lexicon.translate(["war"], "en")
    assert [term for term, _ in war] == ["perang", "peperangan"]
    assert sum(weight for _, weight in war) == pytest.approx(1.0)
    assert terms(lexicon.translate(["civilians"], "en")) == {"sipil", "warga sipil"}
    assert "civilian" in terms(lexicon.translate(["warga", "sipil"], "id"))
    assert lexicon.translate(["peperangan"], "id")[0][0] == "war"
    # Without pivot data the lexicon behaves as before.
    assert Lexicon({"war": ("perang",)}, []).translate(["civilian"], "en") == []


def test_data_files_and_attribution() -> None:
    data = resources.files("retrieval.text") / "data"
    tsv = (data / "eng-ind.tsv").read_text(encoding="utf-8")
    rows = [line for line in tsv.splitlines() if line and not line.startswith("#")]
    assert len(rows) > 5000
    assert all(line.count("\t") == 1 for line in rows)
    assert len(tsv.encode("utf-8")) < 2_000_000
    assert (data / "aliases.tsv").is_file()
    attribution = (data / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "CC BY-SA 3.0" in attribution and "FreeDict" in attribution


def test_pivot_data_file() -> None:
    data = resources.files("retrieval.text") / "data"
    direct = {
        line.split("\t")[0]: set(line.split("\t")[1].split("|"))
        for line in (data / "eng-ind.tsv").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    text = (data / "eng-ind-pivot.tsv").read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 2_000_000
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(rows) > 3000
    for row in rows:
        english, translations = row.split("\t")
        found = translations.split("|")
        assert 1 <= len(found) <= 8 and all(found)
        assert not set(found) & direct.get(english, set())  # only what eng-ind.tsv lacks
    # Every dictionary named in the file's provenance header is credited.
    attribution = (data / "ATTRIBUTION.md").read_text(encoding="utf-8")
    sources = set(re.findall(r"\b[a-z]{3}-[a-z]{3}\b", header)) - {"eng-ind"}
    assert len(sources) >= 10
    for pair in sources:
        assert f"dict-freedict-{pair}" in attribution
    assert "eng-ind-pivot.tsv" in attribution
