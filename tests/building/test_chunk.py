"""Sentence splitting and chunking: invariants on the seeds, on hand-made and on random text."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

from retrieval.building.chunks import Chunk, Sentence, chunk_sentences, chunk_text, split_sentences
from retrieval.reading.clean import clean_text

try:  # hypothesis is optional: without it the seeded random test below still runs
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - depends on the environment
    st = None  # type: ignore[assignment]

SEEDS = Path(__file__).resolve().parent.parent / "data" / "seeds"  # fixed copy, never the live one
SEED_FILES = sorted(SEEDS.glob("*.txt"))
NUMBER = re.compile(r"\d+(?:[.,:]\d+)+")


def texts(sentences: list[Sentence]) -> list[str]:
    return [s.text for s in sentences]


def pieces_of(chunks: list[Chunk]) -> list[Sentence]:
    """Every distinct sentence piece the chunks hold, in text order."""
    return sorted({p for c in chunks for p in c.sentences}, key=lambda p: p.start)


def check_sentences(text: str, sentences: list[Sentence]) -> None:
    """Sentences are stripped, ordered, non-empty slices that together hold every word."""
    last_end = 0
    for s in sentences:
        assert s.text == text[s.start:s.end]
        assert s.text and s.text == s.text.strip()
        assert s.start >= last_end
        last_end = s.end
    covered = bytearray(len(text))
    for s in sentences:
        covered[s.start:s.end] = b"\1" * (s.end - s.start)
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not lost, f"characters in no sentence: {[text[i] for i in lost][:20]}"
    # A number such as 1.400, 29.514 or 10.30 never straddles a sentence boundary.
    for m in NUMBER.finditer(text):
        assert any(s.start <= m.start() and m.end() <= s.end for s in sentences), m.group()


def check_chunks(text: str, chunks: list[Chunk], max_chars: int, overlap: int) -> None:
    """The chunking invariants (all but "every chunk adds something new", tested apart)."""
    sentences = split_sentences(text)
    if not sentences:
        assert chunks == []
        return
    assert chunks
    for c in chunks:
        assert c.text == text[c.start:c.end]
        assert len(c.text) <= max_chars
        assert c.sentences
        assert c.start == c.sentences[0].start and c.end == c.sentences[-1].end
        for a, b in zip(c.sentences, c.sentences[1:], strict=False):
            assert a.end <= b.start
        for p in c.sentences:
            assert p.text == text[p.start:p.end] and p.text
    # Every sentence is in some chunk: a sentence that fits is whole in one chunk; a longer
    # one is cut at word boundaries into pieces that together hold all of its words.
    spans = [(p.start, p.end) for c in chunks for p in c.sentences]
    for s in sentences:
        if s.end - s.start <= max_chars:
            assert (s.start, s.end) in spans, f"sentence in no chunk: {s.text!r}"
        else:
            inside = sorted({sp for sp in spans if s.start <= sp[0] and sp[1] <= s.end})
            assert inside[0][0] == s.start and inside[-1][1] == s.end
            for (p_start, end), (start, _) in itertools.pairwise(inside):
                assert text[end:start].strip() == "", "a long sentence lost words when cut"
                # Cut at a space, unless a single word is longer than max_chars.
                assert end < start or " " not in text[p_start:end], (
                    "a long sentence was cut inside a word")
            for sp in inside:
                assert sp[1] - sp[0] <= max_chars
    # Consecutive chunks share a run of trailing/leading pieces: exactly `overlap` of them
    # when the chunk is longer than that and those pieces plus the next new one fit.
    order = pieces_of(chunks)
    rank = {p: i for i, p in enumerate(order)}
    for prev, nxt in itertools.pairwise(chunks):
        assert nxt.start > prev.start
        shared = [p for p in nxt.sentences if p in set(prev.sentences)]
        assert len(shared) <= overlap
        if shared:
            assert tuple(shared) == prev.sentences[-len(shared):] == nxt.sentences[:len(shared)]
        last = rank[prev.sentences[-1]]
        if overlap and len(prev.sentences) > overlap and last + 1 < len(order):
            first_kept = prev.sentences[-overlap]
            if order[last + 1].end - first_kept.start <= max_chars:
                assert len(shared) == overlap, (
                    f"chunks share {len(shared)} sentences, expected {overlap}")


def check_progress(chunks: list[Chunk]) -> None:
    """Every chunk holds a piece the chunk before it does not (no redundant chunks)."""
    for prev, nxt in itertools.pairwise(chunks):
        assert set(nxt.sentences) - set(prev.sentences), (
            f"chunk {nxt.start}:{nxt.end} repeats part of the previous chunk "
            f"{prev.start}:{prev.end} and adds nothing")


def check_all(text: str, max_chars: int, overlap: int) -> list[Chunk]:
    sentences = split_sentences(text)
    check_sentences(text, sentences)
    chunks = chunk_sentences("doc", "Title", text, sentences, max_chars, overlap)
    assert chunks == chunk_text("doc", "Title", text, max_chars, overlap)
    check_chunks(text, chunks, max_chars, overlap)
    assert all(c.doc_id == "doc" and c.title == "Title" for c in chunks)
    return chunks


# --------------------------------------------------------------------------------------
# The seeds
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize(("max_chars", "overlap"), [(700, 1), (300, 1), (150, 2), (100, 0)])
def test_seed_invariants(path: Path, max_chars: int, overlap: int) -> None:
    text = clean_text(path.read_text(encoding="utf-8"))
    chunks = check_all(text, max_chars, overlap)
    assert len(chunks) >= 1
    if max_chars == 700:
        assert len(split_sentences(text)) >= 5


def test_seed_numbers_stay_in_one_sentence() -> None:
    text = "\n\n".join(clean_text(p.read_text(encoding="utf-8")) for p in SEED_FILES)
    sentences = texts(split_sentences(text))
    for number in ("1.400", "29.514", "250.000"):
        assert any(number in s for s in sentences)
        # The sentence holding it goes on after the number: it was not cut there.
        holder = next(s for s in sentences if number in s)
        assert not holder.endswith(number) and not holder.startswith(number.split(".")[1])


# --------------------------------------------------------------------------------------
# Sentence splitting
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Budi datang ke Jl. Sudirman kemarin. Dia pulang sore.",
         ["Dr. Budi datang ke Jl. Sudirman kemarin.", "Dia pulang sore."]),
        ("Mr. Smith visited the U.S. Army base. He left at noon.",
         ["Mr. Smith visited the U.S. Army base.", "He left at noon."]),
        ("Bantuan berupa beras, gula, minyak, dll. dikirim ke Sweida. Warga menyambutnya.",
         ["Bantuan berupa beras, gula, minyak, dll. dikirim ke Sweida.", "Warga menyambutnya."]),
        ("Menurut J. Kerry, perundingan berjalan baik. Semua pihak setuju.",
         ["Menurut J. Kerry, perundingan berjalan baik.", "Semua pihak setuju."]),
        ("Kantornya di Jl. Merdeka No. 5. Rumahnya besar.",
         ["Kantornya di Jl. Merdeka No. 5.", "Rumahnya besar."]),
        ('"Kami siap." Lalu mereka berangkat.', ['"Kami siap."', "Lalu mereka berangkat."]),
        ("“Kami siap.” Lalu mereka berangkat. ‘Ya.’ Kata dia.",
         ["“Kami siap.”", "Lalu mereka berangkat.", "‘Ya.’", "Kata dia."]),
        ("Ia berkata, “Kami siap.” Lalu pergi.", ["Ia berkata, “Kami siap.”", "Lalu pergi."]),
        ("Lebih dari 1.400 orang tewas dan 29.514 luka. Pukul 10.30 WIB acara dimulai.",
         ["Lebih dari 1.400 orang tewas dan 29.514 luka.", "Pukul 10.30 WIB acara dimulai."]),
        ("Apa benar? Ya! Tentu saja.", ["Apa benar?", "Ya!", "Tentu saja."]),
        ("Benarkah?! Tidak mungkin... Lalu reda.",
         ["Benarkah?!", "Tidak mungkin...", "Lalu reda."]),
        ("Korban tewas 1.400. Lalu bantuan datang.",
         ["Korban tewas 1.400.", "Lalu bantuan datang."]),
        ("Jaraknya 30 km. dari kota. Itu dekat.", ["Jaraknya 30 km. dari kota.", "Itu dekat."]),
        ("Harga naik 5 persen. 2024 adalah tahun berat.",
         ["Harga naik 5 persen.", "2024 adalah tahun berat."]),
        ("Baris satu tanpa titik\n\nBaris dua.", ["Baris satu tanpa titik", "Baris dua."]),
        ("Kalimat (dalam kurung.) Berikutnya.", ["Kalimat (dalam kurung.)", "Berikutnya."]),
        ("Akhir paragraf dengan Dr.\n\nParagraf baru.", ["Akhir paragraf dengan Dr.",
                                                        "Paragraf baru."]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    sentences = split_sentences(text)
    assert texts(sentences) == expected
    check_sentences(text, sentences)


@pytest.mark.parametrize("number", ["1.400", "29.514", "10.30", "3,5", "1.000.000"])
def test_numbers_never_split(number: str) -> None:
    text = f"Sebanyak {number} orang hadir. Acara selesai."
    assert texts(split_sentences(text))[0] == f"Sebanyak {number} orang hadir."


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", " \t\n \n"])
def test_empty_text_gives_nothing(text: str) -> None:
    assert split_sentences(text) == []
    assert chunk_text("doc", None, text) == []
    assert chunk_sentences("doc", None, text, []) == []


# --------------------------------------------------------------------------------------
# Chunking
# --------------------------------------------------------------------------------------

SENTENCE_POOL = [
    "Para pejabat bertemu di Paris pada Sabtu (26/7).",
    "Lebih dari 1.400 orang tewas dalam kekerasan sektarian.",
    "Dr. Budi tinggal di Jl. Sudirman No. 10.",
    "“Kami siap berunding,” kata J. Kerry kepada wartawan.",
    "Apakah gencatan senjata akan bertahan?",
    "Ya!",
    "Setidaknya 29.514 warga Palestina tewas sejak Oktober.",
    "Pertemuan dimulai pukul 10.30 WIB dan berakhir sore hari.",
    "Mr. Lavrov said the U.S. delegation arrived late.",
]


def test_chunks_pack_sentences_with_overlap() -> None:
    text = " ".join(SENTENCE_POOL * 3)
    for max_chars, overlap in [(120, 1), (200, 2), (200, 0), (700, 1)]:
        chunks = check_all(text, max_chars, overlap)
        assert len(chunks) > 1
        check_progress(chunks)
        if overlap:
            for prev, nxt in itertools.pairwise(chunks):
                assert prev.sentences[-overlap:] == nxt.sentences[:overlap]


def test_short_text_is_one_chunk() -> None:
    text = "Satu kalimat. Dua kalimat."
    (chunk,) = check_all(text, 700, 1)
    assert chunk.text == text and len(chunk.sentences) == 2


def test_long_sentence_is_cut_at_word_boundaries() -> None:
    words = [f"Kata{i:03d}" for i in range(120)]  # 959 characters, no sentence end inside
    text = "Awal. " + " ".join(words) + ". Akhir."
    chunks = check_all(text, 100, 1)
    long = split_sentences(text)[1]
    assert long.end - long.start > 100
    pieces = [p for p in pieces_of(chunks) if long.start <= p.start and p.end <= long.end]
    assert len(pieces) >= 10
    for p in pieces:
        assert len(p.text) <= 100
        # Each piece is whole words: its ends are not inside a word.
        assert p.text.split(" ")[0].removesuffix(".") in words
        assert p.text.split(" ")[-1].removesuffix(".") in words
    assert " ".join(p.text for p in pieces) == long.text
    check_progress(chunks)


def test_word_longer_than_max_chars_is_cut_hard() -> None:
    text = "Awal. " + "x" * 250 + " akhir."
    chunks = chunk_text("doc", None, text, max_chars=100, overlap=1)
    assert all(len(c.text) <= 100 for c in chunks)
    assert "".join(p.text for p in pieces_of(chunks) if "x" in p.text).startswith("x" * 250)
    for c in chunks:
        assert c.text == text[c.start:c.end]


def test_no_chunk_only_repeats_the_previous_one() -> None:
    # When the overlap sentence plus the next sentence do not fit, the next chunk must not be
    # the overlap sentence alone (a copy of text already in the previous chunk).
    text = "A" * 10 + " aaa. " + "B" * 40 + " bb. " + "C" * 40 + " cc. " + "D" * 10 + " dd."
    chunks = chunk_text("doc", None, text, max_chars=60, overlap=1)
    check_chunks(text, chunks, 60, 1)
    check_progress(chunks)


def test_overlap_zero_shares_nothing() -> None:
    text = " ".join(SENTENCE_POOL * 2)
    chunks = check_all(text, 150, 0)
    for prev, nxt in itertools.pairwise(chunks):
        assert prev.end < nxt.start


# --------------------------------------------------------------------------------------
# Random text
# --------------------------------------------------------------------------------------

TOKENS = [
    "Dr.", "Jl.", "dll.", "Mr.", "U.S.", "J.", "No.", "1.400", "29.514", "10.30", "Rp",
    "kata", "Suriah", "perundingan", "di", "Paris", "dan", "yang", "pada", "Kerry",
    '"Kami siap."', "“Ya.”", "‘tidak’", "(kiri)", "?", "!", ".", "...", ",", "–",
    "\n", "\n\n", "sangatpanjangsekalikatainitanpaspasi" * 3,
]


def random_text(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(0, 120)):
        token = rng.choice(TOKENS)
        if rng.random() < 0.3:
            token = token.capitalize()
        out.append(token)
        out.append(rng.choice([" ", " ", " ", "", ". ", "? ", "\n", "  "]))
    return "".join(out)


def test_random_text_seeded() -> None:
    rng = random.Random(20240224)
    for _ in range(400):
        text = random_text(rng)
        max_chars = rng.choice([20, 40, 80, 150, 700])
        overlap = rng.choice([0, 1, 2, 3])
        check_all(text, max_chars, overlap)


if st is not None:
    _text = st.one_of(
        st.lists(st.sampled_from(TOKENS), max_size=80).flatmap(
            lambda toks: st.lists(st.sampled_from([" ", "", ". ", "\n", "! "]),
                                  min_size=len(toks), max_size=len(toks)).map(
                lambda seps: "".join(t + s for t, s in zip(toks, seps, strict=True)))),
        st.text(alphabet=st.sampled_from(list("ab AB.,!?\n\"'”“()19")), max_size=400),
        st.text(max_size=300),
    )

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text=_text, max_chars=st.integers(10, 400), overlap=st.integers(0, 3))
    def test_random_text_property(text: str, max_chars: int, overlap: int) -> None:
        check_all(text, max_chars, overlap)

    @settings(max_examples=200, deadline=None)
    @given(text=_text, max_chars=st.integers(20, 300), overlap=st.integers(1, 3))
    def test_random_text_every_chunk_adds_something(text: str, max_chars: int,
                                                    overlap: int) -> None:
        check_progress(chunk_text("doc", None, text, max_chars, overlap))
