"""Where versions live and which vector index holds the vectors are two settings.

- a new vector index is one class and one registry line (:mod:`toy_vectors`), and switching
  to it republishes from the stored sentence vectors without running the model;
- ``KABAR_VECTOR_INDEX`` names a vector index the store can hold, or says the fix;
- the store is opened once per command and handed on (build, freshness, engine).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings
from toy_vectors import ToyVectorIndex

from bot.cli import main
from retrieval.building import build_index, freshness
from retrieval.config import Settings
from retrieval.embedding import HashingEmbedder
from retrieval.engine import Engine
from retrieval.errors import ConfigError
from retrieval.store import open_store, stores, vectors
from retrieval.text.lexicon import Lexicon

QUESTIONS = ["What was agreed in Paris?", "Siapa yang memediasi perundingan di Paris?"]


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting the passages it is asked to embed."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim)
        self.passages = 0

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        self.passages += len(texts)
        return super().encode_passages(texts, progress)


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one registry line of the toy vector index."""
    monkeypatch.setitem(vectors.BACKENDS, "toy",
                        (ToyVectorIndex.create, ToyVectorIndex.from_bytes))


def test_switching_the_vector_index_republishes_without_the_model(
        toy: None, tmp_path: Path, seeds: Path) -> None:
    embedder = CountingEmbedder()
    lexicon = Lexicon.load()
    faiss = make_settings(tmp_path, seeds)
    first = build_index(faiss, lambda: embedder)
    embedded = embedder.passages
    assert first.published and embedded > 0
    exact = [Engine(faiss, embedder, lexicon).answer(q) for q in QUESTIONS]
    switched = faiss.replace(vector_index="toy")
    assert freshness(switched).stale  # the seeds state records the vector index
    report = build_index(switched, lambda: embedder)
    assert report.published and not report.full and report.sentences_embedded == 0
    assert embedder.passages == embedded  # the model never ran
    data = open_store(switched).load()
    assert data.manifest.vector_backend == "toy" and isinstance(data.vectors, ToyVectorIndex)
    assert not freshness(switched).stale
    again = build_index(switched, lambda: embedder)
    assert not again.published and again.version == report.version
    # Questions go through the toy, and it answers as exact FAISS did (both are exact).
    engine = Engine(switched, embedder, lexicon)
    assert isinstance(engine.searcher.view.vectors, ToyVectorIndex)
    for question, before in zip(QUESTIONS, exact, strict=True):
        answer = engine.answer(question)
        assert not answer.abstained and answer.citations
        assert answer.text == before.text and answer.citations == before.citations
    back = build_index(faiss, lambda: embedder)
    assert back.published and back.sentences_embedded == 0 and embedder.passages == embedded
    assert open_store(faiss).load().manifest.vector_backend == "faiss"
    assert engine.refresh() and engine.info().version == back.version


def test_a_version_of_an_unknown_vector_index_is_republished(
        toy: None, tmp_path: Path, seeds: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A version built with a vector index no longer installed is rebuilt, not a crash."""
    embedder = CountingEmbedder()
    settings = make_settings(tmp_path, seeds, vector_index="toy")
    build_index(settings, lambda: embedder)
    monkeypatch.delitem(vectors.BACKENDS, "toy")
    report = build_index(settings.replace(vector_index="auto"), lambda: embedder)
    assert report.published
    assert open_store(settings.replace(vector_index="auto")).load().manifest.vector_backend \
        == "faiss"


@pytest.mark.parametrize(("changes", "says"), [
    ({"vector_index": "annoy"}, "KABAR_VECTOR_INDEX=annoy is not a vector index"),
    ({"vector_index": "milvus"}, "KABAR_VECTOR_STORE=milvus"),
    ({"vector_store": "milvus", "vector_index": "faiss"}, "KABAR_VECTOR_INDEX=auto"),
])
def test_a_vector_index_the_store_cannot_hold_says_the_fix(
        tmp_path: Path, seeds: Path, changes: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        open_store(make_settings(tmp_path, seeds, **changes))
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_the_auto_vector_index_is_the_stores_own(tmp_path: Path, seeds: Path) -> None:
    assert open_store(make_settings(tmp_path, seeds)).vector_index == "faiss"


# --- the store is opened once per command ------------------------------------------------------

@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every local store this process opens (whatever module asks for one)."""
    seen: list[Path] = []
    real = stores.LocalStore.__init__

    def counting(self: stores.LocalStore, index_dir: Path, vector_index: str = "faiss"
                 ) -> None:
        seen.append(index_dir)
        real(self, index_dir, vector_index)

    monkeypatch.setattr(stores.LocalStore, "__init__", counting)
    return seen


def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seeds: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the project
    for name, value in {"KABAR_SEEDS_DIR": str(seeds), "KABAR_INDEX_DIR": str(tmp_path / "index"),
                        "KABAR_EMBEDDING_MODEL": "hashing:64",
                        "KABAR_QUERY_RUNTIME": "torch"}.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("commands", [
    [["ask", "What was agreed in Paris?"]],  # a first ask builds the index, then answers
    [["index"], ["index"], ["status"], ["status", "--json"], ["ask", "Siapa mediatornya?"]],
], ids=["first-ask", "index-status-ask"])
def test_the_store_is_opened_once_per_command(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seeds: Path, opened: list[Path],
        commands: list[list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    cli_env(monkeypatch, tmp_path, seeds)
    for command in commands:
        opened.clear()
        assert main(command) == 0, capsys.readouterr().err
        assert opened == [tmp_path / "index"], command


def test_app_hands_its_store_on(tmp_path: Path, seeds: Path, opened: list[Path]) -> None:
    settings: Settings = make_settings(tmp_path, seeds, query_runtime="torch")
    from bot.app import open_app

    app = open_app(settings)
    assert app.report is not None and app.report.published
    app.engine.answer(QUESTIONS[0])
    assert len(opened) == 1


# --- the build's own state -----------------------------------------------------------------

def test_build_state_lives_with_the_build(tmp_path: Path) -> None:
    """The seeds state is the building machine's: written atomically, damage reads as none."""
    from retrieval.building.state import BuildState

    state = BuildState(tmp_path / "index")
    assert state.read_seeds() is None
    with state.lock() as waited:
        assert not waited
        state.write_seeds({"version": "v1", "files": {}})
    assert state.read_seeds() == {"version": "v1", "files": {}}
    (tmp_path / "index" / "seeds-state.json").write_text("[1, 2", encoding="utf-8")
    assert state.read_seeds() is None
