"""bench_answer_1m's copies of a real index: same layout, renamed texts whose BM25 terms
follow, perturbed vectors, and a version the store reads back (a seeds index built with the
hashing embedder; no model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from bench_loader import load_bench

from retrieval.building.indexer import build_index
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder
from retrieval.store import versions
from retrieval.text.terms import terms

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("bench_answer_1m")


def test_copies_keep_the_layout_rename_names_and_perturb_vectors(
        bench: ModuleType, hashing_settings: Settings,
        hashing_embedder: Callable[[], Embedder]) -> None:
    build_index(hashing_settings, hashing_embedder)
    base = versions.load(hashing_settings.index_dir)
    n = base.num_chunks
    parts = bench.make_copies(base, 3 * n - 1)  # whole copies, rounded up
    assert len(parts.chunks) == len(parts.chunk_terms) == 3 * n
    assert len(parts.articles) == 3 * len(base.articles)
    lay = parts.layout
    changed = same_terms = 0
    for c in range(3 * n):
        art = parts.articles[lay.chunk_article[c]]
        text = art.text[lay.chunk_start[c]:lay.chunk_end[c]]
        source = base.chunk_text(c % n)
        assert len(text) == len(source)  # renames keep every offset
        assert lay.chunk_slo[c] == base.layout.chunk_slo[c % n] + (c // n) * base.num_sentences
        changed += text != source
        context = " ".join(p for p in (art.meta.title, art.meta.place) if p)
        own = (terms(context, art.lang) if context else []) + terms(text, art.lang)
        same_terms += own == parts.chunk_terms[c]
    assert 0 < changed <= 2 * n  # copy 0 is the base itself; the others rename names
    assert same_terms == 3 * n  # BM25 terms follow the renamed text
    assert np.array_equal(parts.chunks[:n], base.vectors.vectors(np.arange(n)))
    cosine = np.sum(parts.chunks[n:] * np.tile(parts.chunks[:n], (2, 1)), axis=1)
    assert 0.6 < float(cosine.mean()) < 0.99
    assert {a.doc_id.split("/")[0] for a in parts.articles[len(base.articles):]} == \
        {"copy0001", "copy0002"}


def test_the_big_version_is_read_back_by_the_store(
        bench: ModuleType, hashing_settings: Settings,
        hashing_embedder: Callable[[], Embedder], tmp_path: Path) -> None:
    build_index(hashing_settings, hashing_embedder)
    base = versions.load(hashing_settings.index_dir)
    queries = base.vectors.vectors(np.arange(2))
    facts = bench.write_big(base, 2 * base.num_chunks, tmp_path, hashing_settings, queries)
    big = versions.load(tmp_path / f"index-{2 * base.num_chunks}")
    assert big.num_chunks == facts["chunks"] == 2 * base.num_chunks
    assert big.vectors.kind == "hnsw" and big.manifest.counts["articles"] == facts["articles"]
    exact = np.load(tmp_path / f"exact-{2 * base.num_chunks}.npy")
    assert exact.shape == (2, 10) and 0 in exact[0] and 1 in exact[1]  # each finds itself
