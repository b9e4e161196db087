"""Building, updating, loading and recovering the on-disk index (hashing embedder: fast)."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings

from retrieval import store
from retrieval.building import freshness
from retrieval.building.chunks import chunk_text
from retrieval.building.indexer import BuildReport, build_index
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder, HashingEmbedder
from retrieval.errors import CorruptIndexError, IndexMismatchError, NoIndexError, SeedsError
from retrieval.reading.clean import parse_article
from retrieval.store import versions

Getter = Callable[[], Embedder]

VOCAB = [
    "pemerintah", "warga", "kota", "desa", "bantuan", "pasukan", "perundingan", "menteri",
    "presiden", "rakyat", "sekolah", "pasar", "harga", "beras", "listrik", "jalan",
    "banjir", "hujan", "kapal", "pelabuhan", "bandara", "petani", "nelayan", "hasil",
    "rapat", "anggaran", "pajak", "polisi", "hakim", "sidang", "laporan", "data", "survei",
]


def make_article(n: int, paragraphs: int = 4) -> str:
    """A made-up article, different for every ``n`` (never a near-duplicate of another)."""
    rng = random.Random(n)
    lines = [f"Laporan Khusus Nomor {n} Tentang Kota"]
    for p in range(paragraphs):
        sentences = []
        for s in range(rng.randint(3, 6)):
            words = rng.sample(VOCAB, rng.randint(8, 14))
            sentences.append(" ".join(words).capitalize() + f" kode{n}p{p}s{s}.")
        lines.append(" ".join(sentences))
    return "\n".join(lines) + "\n"


def no_model() -> Embedder:
    raise AssertionError("the model was loaded although nothing needed embedding")


def expected_chunks(settings: Settings, raw: str) -> int:
    body, meta = parse_article(raw)
    return len(chunk_text("x", meta.title, body, settings.chunk_chars, settings.chunk_overlap))


def build(settings: Settings, embedder: Getter, **kwargs: bool) -> BuildReport:
    return build_index(settings, embedder, **kwargs)


def loaded(settings: Settings) -> store.IndexData:
    return versions.load(settings.index_dir, model_id=settings.embedding_model)


def current(settings: Settings) -> str | None:
    return versions.current_version(settings.index_dir)


def version_dir(settings: Settings) -> Path:
    version = current(settings)
    assert version is not None
    return settings.index_dir / "versions" / version


def set_mtime(path: Path, delta_s: int) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + delta_s * 1_000_000_000))


@pytest.fixture
def built(hashing_settings: Settings, hashing_embedder: Getter) -> BuildReport:
    return build(hashing_settings, hashing_embedder)


# --------------------------------------------------------------------------------------
# First build and incremental updates
# --------------------------------------------------------------------------------------


def test_first_build(hashing_settings: Settings, hashing_embedder: Getter) -> None:
    report = build(hashing_settings, hashing_embedder)
    assert (report.added, report.updated, report.removed, report.unchanged) == (5, 0, 0, 0)
    assert report.chunks > 0 and report.chunks_embedded == report.chunks
    assert report.sentences_embedded > report.chunks // 2
    assert report.full and report.changed and report.reason == "no index yet"
    assert report.skipped == () and report.seconds >= 0
    assert report.version == current(hashing_settings)
    data = loaded(hashing_settings)
    assert len(data.articles) == 5 and data.num_chunks == report.chunks
    assert len(data.vectors) == report.chunks and data.bm25.num_docs == report.chunks
    assert data.sentence_vector_rows.shape[1] == 64
    assert data.manifest.model == "hashing:64"
    assert data.manifest.counts["articles"] == 5
    fields = {f.name for f in dataclasses.fields(BuildReport)}
    assert {"added", "updated", "removed", "unchanged", "chunks", "chunks_embedded",
            "seconds"} <= fields
    # Every chunk's text is a slice of its article and sits inside the article's range.
    for i in range(data.num_chunks):
        art = data.articles[data.layout.chunk_article[i]]
        assert art.chunk_lo <= i < art.chunk_hi
        assert data.chunk_text(i) and data.chunk_text(i) in art.text


def test_add_embeds_only_the_new_article(built: BuildReport, hashing_settings: Settings,
                                         hashing_embedder: Getter) -> None:
    raw = make_article(1)
    (hashing_settings.seeds_dir / "new.txt").write_text(raw, encoding="utf-8")
    report = build(hashing_settings, hashing_embedder)
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 0, 0, 5)
    assert report.chunks_embedded == expected_chunks(hashing_settings, raw)
    assert report.chunks == built.chunks + report.chunks_embedded
    assert not report.full and report.changed and report.version != built.version
    data = loaded(hashing_settings)
    assert "new.txt" in {a.doc_id for a in data.articles} and len(data.articles) == 6


def test_incremental_equals_full_rebuild(built: BuildReport, hashing_settings: Settings,
                                         hashing_embedder: Getter, tmp_path: Path) -> None:
    seeds = hashing_settings.seeds_dir
    (seeds / "new.txt").write_text(make_article(2), encoding="utf-8")
    first = sorted(seeds.glob("0*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nParagraf tambahan Baru.\n",
                     encoding="utf-8")
    sorted(seeds.glob("0*.txt"))[-1].unlink()
    report = build(hashing_settings, hashing_embedder)
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 3)
    fresh_settings = hashing_settings.replace(index_dir=tmp_path / "fresh")
    build(fresh_settings, hashing_embedder)
    inc, full = loaded(hashing_settings), loaded(fresh_settings)
    assert [a.doc_id for a in inc.articles] == [a.doc_id for a in full.articles]
    assert [a.text for a in inc.articles] == [a.text for a in full.articles]
    for name in store.Layout.names():
        assert np.array_equal(getattr(inc.layout, name), getattr(full.layout, name)), name
    assert np.array_equal(inc.sentence_vector_rows, full.sentence_vector_rows)
    every = np.arange(inc.num_chunks)
    assert np.allclose(inc.vectors.vectors(every), full.vectors.vectors(every))


def test_update(built: BuildReport, hashing_settings: Settings,
                hashing_embedder: Getter) -> None:
    path = sorted(hashing_settings.seeds_dir.glob("*.txt"))[2]
    path.write_text(path.read_text(encoding="utf-8").replace("Israel", "Yordania"),
                    encoding="utf-8")
    report = build(hashing_settings, hashing_embedder)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 4)
    assert 0 < report.chunks_embedded < report.chunks
    (article,) = [a for a in loaded(hashing_settings).articles if a.doc_id == path.name]
    assert "Yordania" in article.text and "Israel" not in article.text


def test_remove(built: BuildReport, hashing_settings: Settings,
                hashing_embedder: Getter) -> None:
    path = sorted(hashing_settings.seeds_dir.glob("*.txt"))[1]
    path.unlink()
    report = build(hashing_settings, no_model)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 1, 4)
    assert report.chunks_embedded == 0 and report.chunks < built.chunks and report.changed
    data = loaded(hashing_settings)
    assert path.name not in {a.doc_id for a in data.articles}
    assert len(data.articles) == 4
    assert path.name not in data.manifest.articles


def test_noop_keeps_the_version(built: BuildReport, hashing_settings: Settings) -> None:
    before = sorted(p.name for p in (hashing_settings.index_dir / "versions").iterdir())
    report = build(hashing_settings, no_model)
    assert not report.changed and not report.full
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 5)
    assert report.chunks == built.chunks and report.chunks_embedded == 0
    assert report.version == built.version == current(hashing_settings)
    after = sorted(p.name for p in (hashing_settings.index_dir / "versions").iterdir())
    assert after == before


def test_touch_is_a_noop(built: BuildReport, hashing_settings: Settings) -> None:
    for path in hashing_settings.seeds_dir.glob("*.txt"):
        set_mtime(path, 10)
    assert freshness(hashing_settings).stale
    report = build(hashing_settings, no_model)
    assert not report.changed and report.version == built.version == current(hashing_settings)
    assert report.chunks_embedded == 0 and report.sentences_embedded == 0
    # The new times were recorded: the seeds read as unchanged again.
    assert not freshness(hashing_settings).stale
    assert build(hashing_settings, no_model).version == built.version


def test_full_rebuilds_everything(built: BuildReport, hashing_settings: Settings,
                                  hashing_embedder: Getter) -> None:
    report = build(hashing_settings, hashing_embedder, full=True)
    assert report.full and report.changed and report.reason == "--full"
    assert report.chunks_embedded == report.chunks == built.chunks
    assert report.added + report.updated + report.unchanged == 5
    assert report.version != built.version and report.version == current(hashing_settings)
    assert len(loaded(hashing_settings).articles) == 5


def test_model_change_forces_full_rebuild(built: BuildReport, hashing_settings: Settings
                                          ) -> None:
    other = hashing_settings.replace(embedding_model="hashing:32")
    small = HashingEmbedder(32)
    report = build(other, lambda: small)
    assert report.full and "model" in report.reason
    assert report.chunks_embedded == report.chunks
    data = loaded(other)
    assert data.manifest.model == "hashing:32" and data.sentence_vector_rows.shape[1] == 32
    assert data.vectors.dim == 32


def test_chunker_change_forces_full_rebuild(built: BuildReport, hashing_settings: Settings,
                                            hashing_embedder: Getter) -> None:
    other = hashing_settings.replace(chunk_chars=300)
    report = build(other, hashing_embedder)
    assert report.full and "chunk" in report.reason and report.chunks > built.chunks


def test_passage_prompt_change_forces_full_rebuild(built: BuildReport,
                                                   hashing_settings: Settings,
                                                   hashing_embedder: Getter) -> None:
    # Vectors embedded with another passage prompt must not be mixed with or kept in place
    # of new ones: the prompt is part of what the vectors mean, like the model.
    other = hashing_settings.replace(passage_prompt="passage: ")
    report = build(other, hashing_embedder)
    assert report.full and report.chunks_embedded == report.chunks
    assert loaded(other).manifest.passage_prompt == "passage: "


def test_faiss_type_change_takes_effect(built: BuildReport, hashing_settings: Settings,
                                        hashing_embedder: Getter) -> None:
    assert loaded(hashing_settings).manifest.vector_kind == "flat"
    other = hashing_settings.replace(faiss_index="hnsw")
    build(other, hashing_embedder)
    data = loaded(other)
    assert data.manifest.vector_kind == "hnsw" and data.vectors.kind == "hnsw"


def test_load_with_other_model_says_how_to_rebuild(built: BuildReport,
                                                   hashing_settings: Settings) -> None:
    with pytest.raises(IndexMismatchError) as err:
        versions.load(hashing_settings.index_dir, model_id="hashing:32")
    message = str(err.value)
    assert "hashing:64" in message and "hashing:32" in message
    assert "kabar index" in message


def test_load_without_index(tmp_path: Path) -> None:
    with pytest.raises(NoIndexError, match="kabar index"):
        versions.load(tmp_path / "nothing")


# --------------------------------------------------------------------------------------
# Odd seeds
# --------------------------------------------------------------------------------------


def test_duplicate_file_is_indexed_once(hashing_settings: Settings,
                                        hashing_embedder: Getter) -> None:
    seeds = hashing_settings.seeds_dir
    original = sorted(seeds.glob("*.txt"))[0]
    shutil.copyfile(original, seeds / "zz_copy.txt")
    report = build(hashing_settings, hashing_embedder)
    assert report.added == 5
    data = loaded(hashing_settings)
    assert len(data.articles) == 5
    (article,) = [a for a in data.articles if a.doc_id == original.name]
    assert article.paths == (original.name, "zz_copy.txt")


def test_duplicate_added_later_is_published(built: BuildReport, hashing_settings: Settings
                                            ) -> None:
    seeds = hashing_settings.seeds_dir
    original = sorted(seeds.glob("*.txt"))[0]
    shutil.copyfile(original, seeds / "zz_copy.txt")
    report = build(hashing_settings, no_model)
    (article,) = [a for a in loaded(hashing_settings).articles if a.doc_id == original.name]
    assert article.paths == (original.name, "zz_copy.txt")
    assert report.version == current(hashing_settings)
    # A run that published a new version must say so (the CLI prints "up to date" otherwise).
    assert report.changed == (report.version != built.version)


def test_bad_files_are_skipped(hashing_settings: Settings, hashing_embedder: Getter) -> None:
    seeds = hashing_settings.seeds_dir
    (seeds / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "blank.md").write_text("  \n\n \n", encoding="utf-8")
    report = build(hashing_settings, hashing_embedder)
    assert report.added == 5
    skipped = "\n".join(report.skipped)
    for name in ("binary.txt", "empty.txt", "blank.md"):
        assert name in skipped
    assert len(report.skipped) == 3
    assert {a.doc_id for a in loaded(hashing_settings).articles} == {
        p.name for p in seeds.glob("0*.txt")}


def test_legacy_encodings_are_read(hashing_settings: Settings, hashing_embedder: Getter) -> None:
    """A Windows-1252 article is decoded (not dropped), with one note saying so."""
    seeds = hashing_settings.seeds_dir
    text = ("Kafe di Jakarta\n\nPemilik kafe “Très Bon” di Jakarta – kata dia – menjual kopi "
            "seharga Rp 25.000 per cangkir sejak Senin. Pengunjung café itu ramai.\n")
    (seeds / "cp1252.txt").write_bytes(text.encode("cp1252"))
    report = build(hashing_settings, hashing_embedder)
    assert report.added == 6 and not report.skipped
    assert report.notes == ("cp1252.txt: not UTF-8; read as cp1252",)
    (article,) = [a for a in loaded(hashing_settings).articles if a.doc_id == "cp1252.txt"]
    assert "“Très Bon”" in article.text and "café" in article.text


@pytest.mark.parametrize("how", ["empty", "missing", "only_bad"])
def test_unusable_seeds_keep_the_published_index(built: BuildReport, hashing_settings: Settings,
                                                 hashing_embedder: Getter, how: str) -> None:
    seeds = hashing_settings.seeds_dir
    if how == "missing":
        shutil.rmtree(seeds)
    else:
        for path in seeds.glob("*.txt"):
            path.unlink()
        if how == "only_bad":
            (seeds / "bad.txt").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(SeedsError) as err:
        build(hashing_settings, hashing_embedder)
    message = str(err.value)
    assert str(seeds) in message
    assert "--seeds" in message and ("put" in message or "create" in message)
    # Nothing already indexed is lost.
    assert current(hashing_settings) == built.version
    data = loaded(hashing_settings)
    assert len(data.articles) == 5 and data.version == built.version
    assert freshness(hashing_settings).stale


def test_missing_seeds_without_index(tmp_path: Path, hashing_embedder: Getter) -> None:
    settings = make_settings(tmp_path, tmp_path / "no-such-seeds")
    with pytest.raises(SeedsError, match="does not exist"):
        build(settings, hashing_embedder)
    assert current(settings) is None


# --------------------------------------------------------------------------------------
# Corruption and crashes
# --------------------------------------------------------------------------------------


def _truncate_dense(folder: Path) -> None:
    path = folder / "dense.faiss"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_sentences(folder: Path) -> None:
    path = folder / "sentences.npy"
    data = bytearray(path.read_bytes())
    data[len(data) - 7] ^= 0x5A
    path.write_bytes(bytes(data))


def _delete_bm25(folder: Path) -> None:
    (folder / "bm25.npz").unlink()


def _garbage_manifest(folder: Path) -> None:
    (folder / "manifest.json").write_bytes(b"\x00\xffnot json at all{{")


def _half_manifest(folder: Path) -> None:
    path = folder / "manifest.json"
    path.write_bytes(path.read_bytes()[:40])


def _manifest_not_an_object(folder: Path) -> None:
    (folder / "manifest.json").write_text("[1, 2, 3]", encoding="utf-8")


def _manifest_bad_file_entry(folder: Path) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"]["dense.faiss"] = "garbage"
    path.write_text(json.dumps(manifest), encoding="utf-8")


def _delete_manifest(folder: Path) -> None:
    (folder / "manifest.json").unlink()


def _delete_version(folder: Path) -> None:
    shutil.rmtree(folder)


CORRUPTIONS = {
    "truncated dense.faiss": _truncate_dense,
    "flipped byte in sentences.npy": _flip_sentences,
    "deleted bm25.npz": _delete_bm25,
    "garbage manifest.json": _garbage_manifest,
    "half a manifest.json": _half_manifest,
    "manifest.json not an object": _manifest_not_an_object,
    "manifest.json bad file entry": _manifest_bad_file_entry,
    "deleted manifest.json": _delete_manifest,
    "deleted version folder": _delete_version,
}


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS.values()), ids=list(CORRUPTIONS))
def test_corruption_is_detected_and_repaired(built: BuildReport, hashing_settings: Settings,
                                             hashing_embedder: Getter,
                                             corrupt: Callable[[Path], None]) -> None:
    corrupt(version_dir(hashing_settings))
    with pytest.raises(CorruptIndexError) as err:
        versions.load(hashing_settings.index_dir)
    assert "run `kabar index`" in str(err.value)
    # A plain build notices and rebuilds everything; the result loads.
    report = build(hashing_settings, hashing_embedder)
    assert report.full and report.changed and report.version != built.version
    assert report.reason
    data = loaded(hashing_settings)
    assert len(data.articles) == 5 and data.num_chunks == built.chunks


def test_stale_tmp_folders_are_removed(built: BuildReport, hashing_settings: Settings) -> None:
    versions = hashing_settings.index_dir / "versions"
    stale = versions / ".tmp-v20000101T000000-dead00"
    stale.mkdir()
    (stale / "sentences.npy").write_bytes(b"half written")
    (stale / "sub").mkdir()
    report = build(hashing_settings, no_model)  # even a no-op run cleans up
    assert not stale.exists()
    assert report.version == built.version
    assert len(loaded(hashing_settings).articles) == 5


def test_old_versions_are_collected(built: BuildReport, hashing_settings: Settings,
                                    hashing_embedder: Getter) -> None:
    seen = [built.version]
    for n in range(3):
        (hashing_settings.seeds_dir / f"extra{n}.txt").write_text(make_article(100 + n),
                                                                   encoding="utf-8")
        seen.append(build(hashing_settings, hashing_embedder).version)
    kept = sorted(p.name for p in (hashing_settings.index_dir / "versions").iterdir())
    assert kept == sorted(seen[-2:])  # the published one and one older for readers
    assert len(loaded(hashing_settings).articles) == 8


# --------------------------------------------------------------------------------------
# seeds_changed
# --------------------------------------------------------------------------------------


def test_seeds_changed(hashing_settings: Settings, hashing_embedder: Getter) -> None:
    assert freshness(hashing_settings).stale  # nothing built yet
    build(hashing_settings, hashing_embedder)
    assert not freshness(hashing_settings).stale
    new = hashing_settings.seeds_dir / "new.txt"
    new.write_text(make_article(3), encoding="utf-8")
    assert freshness(hashing_settings).stale
    build(hashing_settings, hashing_embedder)
    assert not freshness(hashing_settings).stale
    new.unlink()
    assert freshness(hashing_settings).stale
    build(hashing_settings, hashing_embedder)
    assert not freshness(hashing_settings).stale
    # Another seeds folder with the same files is still "changed" for this index.
    other = hashing_settings.seeds_dir.parent / "other-seeds"
    shutil.copytree(hashing_settings.seeds_dir, other, copy_function=shutil.copy2)
    assert freshness(hashing_settings.replace(seeds_dir=other)).stale
    # Hidden and non-article files do not count.
    (hashing_settings.seeds_dir / ".draft.txt").write_text("x", encoding="utf-8")
    (hashing_settings.seeds_dir / "notes.pdf").write_bytes(b"%PDF")
    assert not freshness(hashing_settings).stale
