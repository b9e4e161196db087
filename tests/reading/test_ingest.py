"""Reading the seeds folder: files found, files skipped, errors and de-duplication."""

from __future__ import annotations

import logging
import os
import random
import shutil
from pathlib import Path

import pytest

from retrieval.errors import SeedsError
from retrieval.reading import READERS
from retrieval.reading.clean import clean_text
from retrieval.reading.corpus import (
    Corpus,
    fingerprint,
    group_duplicates,
    list_article_files,
    read_corpus,
)

SEEDS = Path(__file__).resolve().parent.parent / "data" / "seeds"  # fixed copy, never the live one
SEED_NAMES = sorted(path.name for path in SEEDS.glob("*.txt"))


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A writable copy of the five seed articles."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    for name in SEED_NAMES:
        shutil.copyfile(SEEDS / name, folder / name)
    return folder


def _doc_ids(corpus: Corpus) -> list[str]:
    return [article.doc_id for article in corpus.articles]


def test_reads_the_five_seeds(seeds: Path) -> None:
    corpus = read_corpus(seeds)
    assert _doc_ids(corpus) == SEED_NAMES
    assert corpus.skipped == ()
    for article in corpus.articles:
        assert article.paths == (article.doc_id,)
        raw = (seeds / article.doc_id).read_text(encoding="utf-8")
        assert article.text == clean_text(raw)
        assert len(article.content_hash) == 64
    assert len({article.content_hash for article in corpus.articles}) == 5
    assert corpus.articles[2].meta.date == "2024-02-24T20:35"


def test_recurses_and_ignores_hidden_and_other_files(seeds: Path) -> None:
    (seeds / "sub" / "deeper").mkdir(parents=True)
    (seeds / "sub" / "x.md").write_text(
        "# Judul Markdown\n\nJAKARTA - Isi berita dalam berkas markdown.\n", encoding="utf-8"
    )
    (seeds / "sub" / "deeper" / "Y.TXT").write_text("Berita lain yang berbeda sekali.\n")
    (seeds / ".hidden.txt").write_text("Berkas tersembunyi tidak dibaca.\n")
    (seeds / ".git").mkdir()
    (seeds / ".git" / "z.txt").write_text("Isi folder tersembunyi tidak dibaca.\n")
    (seeds / "sub" / ".cache").mkdir()
    (seeds / "sub" / ".cache" / "w.md").write_text("Juga tersembunyi.\n")
    (seeds / "notes.json").write_text('{"not": "an article"}')
    (seeds / "readme.rst").write_text("Bukan artikel.\n")

    corpus = read_corpus(seeds)
    assert _doc_ids(corpus) == [*SEED_NAMES, "sub/deeper/Y.TXT", "sub/x.md"]
    markdown = next(article for article in corpus.articles if article.doc_id == "sub/x.md")
    assert markdown.meta.title == "Judul Markdown"
    assert markdown.meta.place == "Jakarta"
    assert markdown.text == "JAKARTA - Isi berita dalam berkas markdown."

    listed = [path.relative_to(seeds).as_posix() for path in list_article_files(seeds)]
    assert listed == [*SEED_NAMES, "sub/deeper/Y.TXT", "sub/x.md"]


def test_bad_files_are_skipped_with_a_warning(
    seeds: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (seeds / "bad.txt").write_bytes(b"\xff\xfe\xfa bad")
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "blank.md").write_text("  \n\t\n \u00a0\n", encoding="utf-8")
    (seeds / "noise.txt").write_text("Baca Juga: Judul lain\n  •  \nLeave a Reply\n")

    with caplog.at_level(logging.WARNING, logger="retrieval.ingest"):
        corpus = read_corpus(seeds)

    assert _doc_ids(corpus) == SEED_NAMES
    assert {(s.path, s.reason) for s in corpus.skipped} == {
        ("bad.txt", "not text (not UTF-8, and no other encoding fits)"),
        ("empty.txt", "empty"),
        ("blank.md", "empty"),
        ("noise.txt", "nothing left after cleaning"),
    }
    # The corpus lists them; the front end prints each once. Logging them here as well
    # printed every warning twice, in two formats.
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_bom_and_crlf_are_normalised(seeds: Path) -> None:
    raw = (seeds / SEED_NAMES[1]).read_text(encoding="utf-8")
    (seeds / SEED_NAMES[1]).write_bytes(b"\xef\xbb\xbf" + raw.replace("\n", "\r\n").encode())
    article = read_corpus(seeds).articles[1]
    assert article.text == clean_text(raw)
    assert article.meta.title == "Rusia dan AS dukung terwujudnya perdamaian di Suriah"


def test_missing_folder_names_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(SeedsError, match="does not exist") as info:
        read_corpus(missing)
    assert str(missing) in str(info.value)
    assert "--seeds" in str(info.value)
    assert all(suffix in str(info.value) for suffix in READERS)  # every kind that is read


def test_empty_folder_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SeedsError, match="no readable article") as info:
        read_corpus(tmp_path)
    assert str(tmp_path) in str(info.value)
    assert "--seeds" in str(info.value)


def test_folder_with_only_bad_files_raises(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\xfa bad")
    (tmp_path / "empty.md").write_text("")
    with pytest.raises(SeedsError, match="--seeds"):
        read_corpus(tmp_path)


def test_file_instead_of_folder_raises(tmp_path: Path) -> None:
    path = tmp_path / "file.txt"
    path.write_text("Bukan folder.")
    with pytest.raises(SeedsError, match="not a folder"):
        read_corpus(path)


def test_exact_duplicate_is_one_article(seeds: Path) -> None:
    raw = (seeds / SEED_NAMES[0]).read_text(encoding="utf-8")
    (seeds / "copies").mkdir()
    # Same story: other line ends, extra spaces, a different related link and footer.
    variant = (
        raw.replace("\n", "\r\n").replace(". ", ".  ").replace("Baca Juga: Trump", "Baca Juga: X")
    )
    (seeds / "copies" / "republished.txt").write_text(variant + "\n(red)\n", encoding="utf-8")

    corpus = read_corpus(seeds)
    assert _doc_ids(corpus) == SEED_NAMES
    assert corpus.articles[0].paths == (SEED_NAMES[0], "copies/republished.txt")
    assert corpus.articles[0].doc_id == SEED_NAMES[0]


def test_near_duplicate_is_one_article(seeds: Path) -> None:
    raw = (seeds / SEED_NAMES[2]).read_text(encoding="utf-8")
    changed = raw.replace("Saluran televisi", "Stasiun televisi", 1)
    assert changed != raw
    (seeds / "zz_other_name.md").write_text(changed, encoding="utf-8")

    corpus = read_corpus(seeds)
    assert _doc_ids(corpus) == SEED_NAMES
    assert corpus.articles[2].paths == (SEED_NAMES[2], "zz_other_name.md")
    assert "Saluran televisi" in corpus.articles[2].text  # the first path's text is kept


def test_different_articles_are_not_merged(seeds: Path) -> None:
    # Two reports sharing a quoted paragraph but otherwise different stay apart.
    shared = (
        "Presiden mengatakan bahwa pemerintah akan terus mendukung proses perdamaian "
        "dan menyerukan semua pihak untuk menahan diri demi keselamatan warga sipil."
    )
    (seeds / "a.txt").write_text(
        f"Banjir melanda kota pesisir pada pagi hari dan merendam ratusan rumah.\n{shared}\n"
    )
    (seeds / "b.txt").write_text(
        f"Harga beras naik tajam menjelang musim kemarau di banyak provinsi.\n{shared}\n"
    )
    corpus = read_corpus(seeds)
    assert "a.txt" in _doc_ids(corpus) and "b.txt" in _doc_ids(corpus)
    assert len(corpus.articles) == 7


def test_duplicate_keeps_metadata_from_other_copies(seeds: Path) -> None:
    raw = (seeds / SEED_NAMES[3]).read_text(encoding="utf-8")
    without_title = raw.split("\n", 1)[1]
    (seeds / "000_a_copy_without_title.txt").write_text(without_title, encoding="utf-8")
    corpus = read_corpus(seeds)
    merged = next(a for a in corpus.articles if "000_a_copy_without_title.txt" in a.paths)
    assert merged.doc_id == "000_a_copy_without_title.txt"
    assert merged.meta.title == "Langka, Pemerintah dan Pemberontak Suriah Bersatu Lawan ISIS"


def test_content_hash_tracks_what_is_indexed(seeds: Path) -> None:
    before = {a.doc_id: a.content_hash for a in read_corpus(seeds).articles}
    path = seeds / SEED_NAMES[0]
    raw = path.read_text(encoding="utf-8")
    # Noise and spacing changes do not change what is indexed.
    path.write_text(raw.replace("\n", "\n\n") + "\nLeave a Reply\n", encoding="utf-8")
    assert {a.doc_id: a.content_hash for a in read_corpus(seeds).articles} == before
    # A changed sentence does.
    path.write_text(raw.replace("1.400 orang", "1.500 orang"), encoding="utf-8")
    after = {a.doc_id: a.content_hash for a in read_corpus(seeds).articles}
    assert after[SEED_NAMES[0]] != before[SEED_NAMES[0]]
    assert {k: v for k, v in after.items() if k != SEED_NAMES[0]} == {
        k: v for k, v in before.items() if k != SEED_NAMES[0]
    }


def test_fingerprint_lists_files_without_reading(seeds: Path) -> None:
    (seeds / ".hidden.txt").write_text("x")
    (seeds / "sub").mkdir()
    (seeds / "sub" / "n.md").write_text("Isi.")
    first = fingerprint(seeds)
    assert sorted(first) == [*SEED_NAMES, "sub/n.md"]
    stat = (seeds / "sub" / "n.md").stat()
    assert first["sub/n.md"] == (stat.st_size, stat.st_mtime_ns)
    assert fingerprint(seeds) == first

    (seeds / "sub" / "n.md").write_text("Isi yang berubah.")
    os.utime(seeds / "sub" / "n.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert fingerprint(seeds) != first
    assert fingerprint(seeds / "missing") == {}


def test_group_duplicates_scales_without_all_pairs() -> None:
    # 3,000 distinct random articles plus 30 one-word edits of some of them.
    rng = random.Random(7)
    vocabulary = [f"kata{i}" for i in range(5000)]
    texts = [" ".join(rng.choices(vocabulary, k=200)) for _ in range(3000)]
    for index in range(0, 300, 10):
        words = texts[index].split()
        words[100] = "berubah"
        texts.append(" ".join(words))
    groups = group_duplicates(texts)
    merged = [group for group in groups if len(group) > 1]
    assert len(groups) == 3000
    assert merged == [[index, 3000 + index // 10] for index in range(0, 300, 10)]


def test_group_duplicates_threshold() -> None:
    rng = random.Random(3)
    words = [f"kata{i}" for i in range(2000)]
    base = rng.choices(words, k=300)
    half = base[:150] + rng.choices(words, k=150)
    assert group_duplicates([" ".join(base), " ".join(half)]) == [[0], [1]]
    assert group_duplicates(["Sama persis!", "sama, PERSIS"]) == [[0, 1]]
    assert group_duplicates([]) == []


def test_a_text_file_over_the_cap_is_cut_at_a_line_end_with_a_note(seeds: Path) -> None:
    # Text readers are cuttable: the start of a long file is still an article.
    lines = [f"Baris berita nomor {i} tentang perundingan di Paris." for i in range(200)]
    (seeds / "long.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert READERS[".txt"].cuttable
    corpus = read_corpus(seeds, max_bytes=2048)
    (note,) = [n for n in corpus.notes if n.path == "long.txt"]
    assert note.reason.startswith("larger than 2 kB; only the first")
    assert "KABAR_MAX_FILE_MB" in note.reason
    (article,) = [a for a in corpus.articles if a.doc_id == "long.txt"]
    kept = article.text.split("\n\n")
    assert kept and kept == [line for line in lines[: len(kept)]]  # whole lines, in order
    assert len(kept) < len(lines)
