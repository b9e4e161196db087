"""The Milvus store (``KABAR_VECTOR_STORE=milvus``) on an embedded Milvus Lite.

Skipped where ``pip install kabar[milvus]`` was not run. The contract tests of the vector
index and the read view run on Milvus too (tests/contracts/test_contracts.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import make_settings

from bot.cli import main
from retrieval import store
from retrieval.building import build_index
from retrieval.config import Settings
from retrieval.embedding import Embedder
from retrieval.engine import Engine
from retrieval.errors import ConfigError, IndexWriteError
from retrieval.text.lexicon import Lexicon

pytest.importorskip("pymilvus", reason="Milvus tests need `pip install kabar[milvus]`")
pytest.importorskip("milvus_lite", reason="Milvus tests need `pip install kabar[milvus]`")

from retrieval.store.milvus_store import MilvusStore

QUESTIONS = ["What was agreed in Paris?", "Siapa yang memediasi perundingan di Paris?",
             "Berapa orang tewas dalam kekerasan sektarian di pesisir Suriah?"]


@pytest.fixture
def milvus_settings(tmp_path: Path, seeds: Path) -> Settings:
    """Settings of a Milvus Lite store in this test's folder (hashing embedder)."""
    return make_settings(tmp_path, seeds, vector_store="milvus",
                         milvus_uri=str(tmp_path / "milvus.db"))


def collections(settings: Settings) -> list[str]:
    milvus = store.open_store(settings)
    assert isinstance(milvus, MilvusStore)
    return sorted(milvus._client.list_collections())


def test_milvus_answers_as_faiss(milvus_settings: Settings, hashing_settings: Settings,
                                 hashing_embedder: Callable[[], Embedder]) -> None:
    build_index(hashing_settings, hashing_embedder)
    report = build_index(milvus_settings, hashing_embedder)
    assert report.published and report.full and report.added == 5
    embedder, lexicon = hashing_embedder(), Lexicon.load()
    local = Engine(hashing_settings, embedder, lexicon)
    milvus = Engine(milvus_settings, embedder, lexicon)
    for question in QUESTIONS:
        assert milvus.answer(question) == local.answer(question)
    dense = milvus_settings.replace(dense_weight=0.5)
    local_dense = Engine(hashing_settings.replace(dense_weight=0.5), embedder, lexicon)
    assert Engine(dense, embedder, lexicon).search(QUESTIONS[0], 10) == \
        local_dense.search(QUESTIONS[0], 10)


def test_incremental_add_update_remove_noop(milvus_settings: Settings, seeds: Path,
                                            hashing_embedder: Callable[[], Embedder]) -> None:
    first = build_index(milvus_settings, hashing_embedder)
    engine = Engine(milvus_settings, hashing_embedder(), Lexicon.load())
    noop = build_index(milvus_settings, hashing_embedder)
    assert not noop.published and noop.version == first.version
    article = sorted(seeds.glob("*.txt"))[0]
    article.write_text(article.read_text(encoding="utf-8")
                       + "\nPerundingan lanjutan digelar di Jenewa pekan depan.\n",
                       encoding="utf-8")
    updated = build_index(milvus_settings, hashing_embedder)
    assert (updated.added, updated.updated, updated.removed) == (0, 1, 0)
    assert 0 < updated.chunks_embedded < first.chunks_embedded
    assert engine.refresh() and engine.info().version == updated.version
    assert "Jenewa" in engine.answer("Di mana perundingan lanjutan digelar?").text
    sorted(seeds.glob("*.txt"))[1].unlink()
    (seeds / "new.txt").write_text("Jakarta — Banjir melanda Jakarta pada Senin.\n"
                                   "Ribuan warga mengungsi.\n", encoding="utf-8")
    changed = build_index(milvus_settings, hashing_embedder)
    assert (changed.added, changed.updated, changed.removed) == (1, 0, 1)
    assert engine.refresh() and len(engine.articles()) == 5


def test_full_rebuild_switches_the_alias_and_drops_only_old_versions(
        milvus_settings: Settings, hashing_embedder: Callable[[], Embedder]) -> None:
    versions = [build_index(milvus_settings, hashing_embedder, full=True).version
                for _ in range(3)]
    milvus = store.open_store(milvus_settings)
    assert isinstance(milvus, MilvusStore)
    assert milvus.current_version() == versions[-1]
    # The published version and one older are kept (readers may still be loading it).
    kept = [milvus.collection(v) for v in versions[1:]]
    generation = [n for n in collections(milvus_settings) if n.startswith("kabar_rows_")]
    assert len(generation) == 1  # every version shares the rows and parts of one generation
    shared = [generation[0], generation[0].replace("_rows_", "_parts_")]
    assert collections(milvus_settings) == sorted(kept + shared)
    milvus._safe_drop(milvus.alias)  # never through the alias...
    milvus._safe_drop(kept[-1])  # ...nor the collection it names
    assert milvus.current_version() == versions[-1]
    assert Engine(milvus_settings, hashing_embedder(), Lexicon.load()).answer(QUESTIONS[0]).text


@pytest.mark.parametrize("step", ["_fill", "_write_files", "_switch"])
def test_a_failed_build_leaves_the_previous_version_serving(
        milvus_settings: Settings, hashing_embedder: Callable[[], Embedder],
        monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    before = build_index(milvus_settings, hashing_embedder).version
    engine = Engine(milvus_settings, hashing_embedder(), Lexicon.load())
    expected = engine.answer(QUESTIONS[0])
    published = collections(milvus_settings)

    def crash(*args: object) -> None:
        raise KeyboardInterrupt  # as abrupt as it gets inside the process

    monkeypatch.setattr(MilvusStore, step, crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(milvus_settings, hashing_embedder, full=True)
    monkeypatch.undo()
    assert store.open_store(milvus_settings).current_version() == before
    assert not engine.refresh() and engine.answer(QUESTIONS[0]) == expected
    assert collections(milvus_settings) == published  # the half-built pair is gone


def test_a_milvus_error_is_one_line(milvus_settings: Settings,
                                    hashing_embedder: Callable[[], Embedder],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from pymilvus import MilvusException

    build_index(milvus_settings, hashing_embedder)

    def refuse(*args: object, **kwargs: object) -> None:
        raise MilvusException(message="disk quota exceeded")

    monkeypatch.setattr(MilvusStore, "_write_files", refuse)
    with pytest.raises(IndexWriteError, match=r"disk quota exceeded.*published version is kept"):
        build_index(milvus_settings, hashing_embedder, full=True)


def test_status_names_the_store_and_collection(
        milvus_settings: Settings, hashing_embedder: Callable[[], Embedder],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    build_index(milvus_settings, hashing_embedder)
    for name, value in {"KABAR_SEEDS_DIR": milvus_settings.seeds_dir,
                        "KABAR_INDEX_DIR": milvus_settings.index_dir,
                        "KABAR_EMBEDDING_MODEL": "hashing:64", "KABAR_VECTOR_STORE": "milvus",
                        "KABAR_MILVUS_URI": milvus_settings.milvus_uri,
                        "KABAR_MILVUS_TOKEN": "s3cret-token"}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.chdir(milvus_settings.index_dir.parent)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"Milvus {milvus_settings.milvus_uri} collection kabar" in out
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["store"] == "milvus" and "collection kabar" in status["index_dir"]
    assert "s3cret" not in out + json.dumps(status)


def test_settings_and_missing_package_are_one_line_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"KABAR_MILVUS_URI='milvus' is not accepted: use a "
                                          r"Milvus Lite path ending in \.db"):
        Settings.load(env={"KABAR_MILVUS_URI": "milvus"}, dotenv_path=None)
    with pytest.raises(ConfigError) as bad:
        Settings.load(env={"KABAR_MILVUS_TOKEN": "x" * 10, "KABAR_VECTOR_STORE": "x"},
                      dotenv_path=None)
    assert "xxxxxxxxxx" not in str(bad.value)
    from retrieval.store import milvus_client

    monkeypatch.setitem(sys.modules, "pymilvus", None)  # as if not installed
    monkeypatch.setattr(milvus_client, "_clients", {})
    settings = make_settings(tmp_path, tmp_path, vector_store="milvus")
    with pytest.raises(ConfigError, match=r"pip install kabar\[milvus\]$"):
        store.open_store(settings)
