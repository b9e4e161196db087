"""A lexicon checked against the corpus: loanword spellings, acronyms the articles expand,
and translation senses weighted by how the articles use them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import make_settings

from retrieval.building.indexer import build_index
from retrieval.embedding.embed import Embedder
from retrieval.engine import Engine
from retrieval.search.query import Concept, Query
from retrieval.text.acronyms import Acronyms
from retrieval.text.cognates import cognates, confirmed
from retrieval.text.lexicon import Lexicon
from retrieval.text.senses import by_use, supported_pairs

ARTICLES = {
    "hospital.txt": "Korban dibawa ke Rumah Sakit Umum Pusat (RSUP) Sanglah\n\n"
                    "DENPASAR - Tiga korban kecelakaan bus dibawa ke Rumah Sakit Umum Pusat "
                    "(RSUP) Sanglah pada Senin. Kepala RSUP Sanglah disebut sebagai saksi.\n",
    "long_only.txt": "Dokter baru di Rumah Sakit Umum Pusat Kariadi\n\n"
                     "SEMARANG - Rumah Sakit Umum Pusat Kariadi menerima dua puluh dokter baru "
                     "lewat seleksi nasional, kata direktur pada Selasa.\n",
    "un.txt": "PBB (Perserikatan Bangsa-Bangsa) kirim bantuan\n\n"
              "JENEWA - PBB (Perserikatan Bangsa-Bangsa) mengirim bantuan pangan. Wilayah itu "
              "disebut rawan. Utusan yang disebut sebagai penengah tiba pada Rabu.\n",
    "nickname.txt": "Penyanyi yang dijuluki raja dangdut tampil\n\n"
                    "JAKARTA - Penyanyi yang dijuluki raja dangdut tampil di Jakarta. Penonton "
                    "disebut mencapai ribuan orang.\n",
}


@pytest.fixture
def engine(tmp_path: Path, hashing_embedder: Callable[[], Embedder]) -> Engine:
    """An engine over the small article set above, built by the real build."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, text in ARTICLES.items():
        (seeds / name).write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path, seeds)
    build_index(settings, hashing_embedder)
    return Engine(settings, hashing_embedder(), Lexicon.load())


def _concept(query: Query, word: str) -> Concept:
    return next(c for c in query.concepts if c.word == word)


def test_cognate_rules_propose_indonesian_loanword_spellings() -> None:
    assert "seleksi" in cognates("selection")
    assert "universitas" in cognates("university")
    assert "politik" in cognates("politics")
    assert "demokrasi" in cognates("democracy")
    assert "aktif" in cognates("active")
    assert cognates("mass") == []  # too short to guess at: "mas" is another word
    assert confirmed("selection", {"seleksi"}.__contains__) == ["seleksi"]
    assert confirmed("borbication", {"seleksi"}.__contains__) == []


def test_a_cognate_is_added_only_when_the_corpus_holds_it(engine: Engine) -> None:
    selection = _concept(engine.searcher.analyse("Who passed the selection?"), "selection")
    assert "seleksi" in selection.singles and selection.bridged
    # The rules do propose a spelling for a made-up word, but no article holds it.
    assert "borbikasi" in cognates("borbication")
    made_up = _concept(engine.searcher.analyse("Who saw the borbication?"), "borbication")
    assert "borbikasi" not in made_up.stems
    hits = engine.searcher.search(engine.searcher.analyse("Who passed the selection?"), 1)
    assert engine.searcher.passages(hits)[0].doc_id == "long_only.txt"


def test_acronyms_are_read_from_articles_with_an_initials_check() -> None:
    acronyms = Acronyms.found_in([
        "Pasien dirawat di Rumah Sakit Umum Pusat (RSUP) Sanglah.",
        "Sekjen PBB (Perserikatan Bangsa-Bangsa) datang. Badan Pusat Statistik (BPS) mencatat.",
        "Ia tinggal di Jakarta (DKI) sejak kecil. Kementerian Pendidikan dan Kebudayaan "
        "(Kemendikbud) menolak.",  # letters that are no name's initials: not acronyms
    ])
    assert acronyms.aliases_of("RSUP") == ["rumah sakit umum pusat"]
    assert acronyms.aliases_of("Perserikatan  Bangsa-Bangsa") == ["pbb"]
    assert acronyms.aliases_of("bps") == ["badan pusat statistik"]
    assert acronyms.aliases_of("DKI") == [] and acronyms.aliases_of("Kemendikbud") == []
    assert acronyms.longest == 4 and Acronyms().longest == 0  # "rumah sakit umum pusat"


def test_an_acronym_question_searches_the_long_name_and_back(engine: Engine) -> None:
    searcher = engine.searcher
    assert searcher.aliases_of("RSUP") == ["rumah sakit umum pusat"]
    assert "pbb" in searcher.aliases_of("Perserikatan Bangsa-Bangsa")
    # The acronym finds the article that only ever writes the long name.
    query = searcher.analyse("How many doctors did RSUP Kariadi receive?")
    rsup = _concept(query, "rsup")
    assert rsup.found_in({"rumah", "sakit", "umum", "pusat"})
    hits = searcher.passages(searcher.search(query, 1))
    assert hits[0].doc_id == "long_only.txt"
    # The long name in a question also stands for its acronym.
    long_query = searcher.analyse("Siapa kepala Rumah Sakit Umum Pusat Sanglah?")
    name = _concept(long_query, "rumah sakit umum pusat")
    assert name.found_in({"rsup"})


def test_senses_are_weighted_by_corpus_use() -> None:
    use = {"disebut": 400, "bernama": 100, "dijuluki": 4, "dinamakan": 0}.get
    forms = [("dijuluki", 0.7), ("disebut", 0.7), ("bernama", 0.7), ("dinamakan", 0.7)]
    weighted = dict(by_use(forms, lambda form: use(form) or 0, exponent=0.5, floor=0.25,
                           rare=0.1))
    # Senses the corpus uses often keep their weight, whatever the dictionary's order ...
    assert weighted["disebut"] == weighted["bernama"] == pytest.approx(0.7)
    # ... a rare one is demoted (4 uses against 400: a tenth of the way to "common") ...
    assert weighted["dijuluki"] == pytest.approx(0.7 * 0.1 ** 0.5)
    # ... and one no article uses adds nothing.
    assert weighted["dinamakan"] == 0
    # No sense in the corpus: the dictionary's weights are kept.
    assert by_use([("a", 0.5), ("b", 0.3)], lambda form: 0) == [("a", 0.5), ("b", 0.3)]


def test_a_question_word_keeps_only_the_senses_the_articles_use(engine: Engine) -> None:
    called = _concept(engine.searcher.analyse("Who was called a mediator?"), "called")
    # "disebut" and "dijuluki" are in the articles; "dinamakan", also a dictionary sense of
    # "called", is in none and weighs nothing.
    assert called.stems["sebut"] > 0 and called.stems["juluk"] > 0
    assert called.stems.get("dinamakan", 0.0) == 0.0 and called.stems.get("nama", 0.0) == 0.0


def test_pairs_of_senses_used_together_are_found() -> None:
    df = {"wakil": 10, "ketua": 12, "deputi": 3, "presiden": 40}
    both = {("wakil", "ketua"): 8, ("deputi", "ketua"): 0, ("wakil", "presiden"): 4}
    pairs = supported_pairs(["wakil", "deputi"], ["ketua", "presiden"], lambda t: df[t],
                            lambda a, b: both.get((a, b), 0), total=1000)
    assert pairs[0] == ("wakil", "ketua") and ("deputi", "ketua") not in pairs
