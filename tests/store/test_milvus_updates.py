"""A Milvus publish writes what changed (issue 21, point 3), on an embedded Milvus Lite.

Every version of a generation shares one collection of chunk rows (``born``/``died``) and one
of content-addressed file parts: an update writes the rows of the changed article and the
parts whose bytes changed, readers of the version before see none of it, and a build killed
at any step leaves only what no published version sees, which the next build clears.

Skipped where ``pip install kabar[milvus]`` was not run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings

from retrieval import store
from retrieval.building import build_index
from retrieval.config import Settings
from retrieval.embedding import Embedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon

pytest.importorskip("pymilvus", reason="Milvus tests need `pip install kabar[milvus]`")
pytest.importorskip("milvus_lite", reason="Milvus tests need `pip install kabar[milvus]`")

from retrieval.store import milvus_parts
from retrieval.store.milvus_head import rows_of
from retrieval.store.milvus_store import MilvusStore

PARIS = "What was agreed in Paris?"
GENEVA = "Di mana perundingan lanjutan digelar?"
QUESTIONS = [PARIS, GENEVA, "Siapa yang memediasi perundingan di Paris?",
             "Berapa orang tewas dalam kekerasan sektarian di pesisir Suriah?"]


@pytest.fixture
def milvus_settings(tmp_path: Path, seeds: Path) -> Settings:
    """Settings of a Milvus Lite store in this test's folder (hashing embedder)."""
    return make_settings(tmp_path, seeds, vector_store="milvus",
                         milvus_uri=str(tmp_path / "milvus.db"))


def open_milvus(settings: Settings) -> MilvusStore:
    milvus = store.open_store(settings)
    assert isinstance(milvus, MilvusStore)
    return milvus


def all_rows(milvus: MilvusStore) -> int:
    """Every row of the published generation, whichever versions hold it."""
    version = milvus.current_version()
    assert version is not None
    name = rows_of(milvus._head(version).generation, milvus.alias)[0]
    return int(milvus._client.query(name, filter="chunk_id >= 0",
                                    output_fields=["count(*)"])[0]["count(*)"])


def change_first_article(seeds: Path) -> str:
    article = sorted(seeds.glob("*.txt"))[0]
    article.write_text(article.read_text(encoding="utf-8")
                       + "\nPerundingan lanjutan digelar di Jenewa pekan depan.\n",
                       encoding="utf-8")
    return article.name


def test_an_update_writes_only_the_changed_article(
        milvus_settings: Settings, hashing_settings: Settings, seeds: Path,
        hashing_embedder: Callable[[], Embedder]) -> None:
    milvus = open_milvus(milvus_settings)
    first = build_index(milvus_settings, hashing_embedder, store=milvus)
    whole = milvus.last_publish
    assert whole is not None and whole.new_generation and whole.rows_written == first.chunks
    before = milvus.load(version=first.version)
    name = change_first_article(seeds)
    update = build_index(milvus_settings, hashing_embedder, store=milvus)
    stats = milvus.last_publish
    assert stats is not None and not stats.new_generation
    old_chunks = next(a for a in before.articles if a.doc_id == name)
    new = milvus.load(version=update.version)
    new_chunks = next(a for a in new.articles if a.doc_id == name)
    # Only the changed article's rows are written, and only its old rows are removed.
    assert stats.rows_written == new_chunks.chunk_hi - new_chunks.chunk_lo
    assert stats.rows_removed == old_chunks.chunk_hi - old_chunks.chunk_lo
    assert stats.rows_written < update.chunks
    # (Each seeds file is one part, under 8 kB: parts are shared at larger sizes, see
    # test_content_defined_parts_survive_an_insertion and benchmarks/bench_publish.py.)
    # Both versions stay whole: the old one's readers see none of the new rows.
    old = milvus.load(version=first.version)
    assert old.num_chunks == before.num_chunks == len(old.vectors)
    assert np.array_equal(old.vectors.vectors(np.arange(old.num_chunks)),
                          before.vectors.vectors(np.arange(before.num_chunks)))
    assert all_rows(milvus) == update.chunks + stats.rows_removed
    # Rows kept from the version before hold BM25 term parts of its statistics; answers
    # are still those of a FAISS index built from scratch on the same articles.
    build_index(hashing_settings, hashing_embedder)
    embedder, lexicon = hashing_embedder(), Lexicon.load()
    engine, local = (Engine(s, embedder, lexicon) for s in (milvus_settings, hashing_settings))
    assert "Jenewa" in engine.answer(GENEVA).text
    for question in QUESTIONS:
        assert engine.answer(question) == local.answer(question)
    dense = {"dense_weight": 0.5}
    assert Engine(milvus_settings.replace(**dense), embedder, lexicon).search(PARIS, 10) == \
        Engine(hashing_settings.replace(**dense), embedder, lexicon).search(PARIS, 10)
    # The next publish drops the first version, and the rows only it held.
    (seeds / "new.txt").write_text("Jakarta — Banjir melanda Jakarta pada Senin.\n",
                                   encoding="utf-8")
    third = build_index(milvus_settings, hashing_embedder, store=milvus)
    assert all_rows(milvus) == third.chunks  # the article added no row the other removed
    assert milvus.load(version=update.version).num_chunks == update.chunks


def test_removed_then_readded_article_gets_fresh_rows(
        milvus_settings: Settings, seeds: Path,
        hashing_embedder: Callable[[], Embedder]) -> None:
    """An article removed and then added back unchanged must not collide with its old rows,
    which the version in between still marks removed."""
    build_index(milvus_settings, hashing_embedder)
    article = sorted(seeds.glob("*.txt"))[1]
    text = article.read_text(encoding="utf-8")
    article.unlink()
    build_index(milvus_settings, hashing_embedder)
    article.write_text(text, encoding="utf-8")
    back = build_index(milvus_settings, hashing_embedder)
    assert back.added == 1
    milvus = open_milvus(milvus_settings)
    data = milvus.load()
    assert len(data.vectors) == data.num_chunks == back.chunks
    milvus.verify(back.version, data.manifest)


@pytest.mark.parametrize("step", ["_write_files", "_switch"])
def test_what_a_killed_build_left_is_invisible_then_cleared(
        milvus_settings: Settings, seeds: Path, hashing_embedder: Callable[[], Embedder],
        monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    """Killed (no clean-up at all) after the rows, or the rows and parts, were written."""
    before = build_index(milvus_settings, hashing_embedder)
    engine = Engine(milvus_settings, hashing_embedder(), Lexicon.load())
    expected = engine.answer(PARIS)
    rows_before = all_rows(open_milvus(milvus_settings))

    def crash(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(MilvusStore, step, crash)
    monkeypatch.setattr(MilvusStore, "_drop_unpublished", lambda *args: None)
    change_first_article(seeds)
    with pytest.raises(KeyboardInterrupt):
        build_index(milvus_settings, hashing_embedder)
    monkeypatch.undo()
    milvus = open_milvus(milvus_settings)
    assert milvus.current_version() == before.version
    assert all_rows(milvus) > rows_before  # the killed build's rows are there...
    assert not engine.refresh() and engine.answer(PARIS) == expected  # ...and unseen
    fresh = Engine(milvus_settings, hashing_embedder(), Lexicon.load())
    assert fresh.answer(PARIS) == expected and "Jenewa" not in fresh.answer(GENEVA).text
    milvus.verify(before.version, milvus.read_manifest())
    after = build_index(milvus_settings, hashing_embedder)
    assert after.published and (after.updated, after.added) == (1, 0)
    assert engine.refresh() and "Jenewa" in engine.answer(GENEVA).text
    stats = milvus.last_publish or open_milvus(milvus_settings).last_publish
    changed = all_rows(open_milvus(milvus_settings)) - after.chunks
    assert changed >= 0 and changed == (stats.rows_removed if stats else changed)


def test_content_defined_parts_survive_an_insertion() -> None:
    """Bytes inserted in the middle of a file change the parts around them only."""
    data = np.random.default_rng(1).integers(0, 256, 400_000, dtype=np.uint8).tobytes()
    edited = data[:200_000] + b"a changed article" * 50 + data[200_000:]
    parts = {data[lo:hi] for lo, hi in milvus_parts.split(data)}
    after = [edited[lo:hi] for lo, hi in milvus_parts.split(edited)]
    assert b"".join(after) == edited
    assert all(8_000 <= len(p) <= milvus_parts.MAX_PART for p in after[:-1])
    assert sum(p not in parts for p in after) <= 2


@pytest.mark.parametrize("kind", ["array", "lines"])
def test_parts_of_arrays_and_lines_survive_a_removal(kind: str) -> None:
    """Rows of an array (cut at row starts) or lines of a text whose lines all begin alike
    (cut at line starts), some removed in the middle: the other parts are the same."""
    from retrieval.store import codec

    rng = np.random.default_rng(2)
    if kind == "array":
        rows = rng.standard_normal((20_000, 64)).astype(np.float16)
        data = codec.npy_bytes(rows)
        edited = codec.npy_bytes(np.delete(rows, range(5_000, 5_012), axis=0))
    else:
        lines = [b'{"doc_id": "%07d", "text": "%s"}\n' % (i, b"kata " * 60) for i in range(6000)]
        data, edited = b"".join(lines), b"".join(lines[:3000] + lines[3004:])
    parts = {data[lo:hi] for lo, hi in milvus_parts.split(data)}
    after = [edited[lo:hi] for lo, hi in milvus_parts.split(edited)]
    assert b"".join(after) == edited and len(after) > 50
    assert sum(p not in parts for p in after) <= 3
