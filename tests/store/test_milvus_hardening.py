"""The Milvus store trusts nothing it reads back (issue 16, point 7) on an embedded Milvus Lite.

Damaged chunk rows are found (on the question path, the hits each answer uses; in plain
``kabar index`` and inside every build, every row) and repaired by plain ``kabar index``; a
damaged Milvus Lite alias file is named in one line and replaced by a build (``--full`` too);
a Milvus Lite file another process holds is one line, never a library traceback; a second
build waits for the first.

Skipped where ``pip install kabar[milvus]`` was not run.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import KABAR, default_signals, kabar_env, make_settings
from test_telegram import PARIS
from test_watch import Proc, wait_for

from retrieval import store
from retrieval.building import build_index
from retrieval.building.state import BuildState
from retrieval.config import Settings
from retrieval.embedding import Embedder
from retrieval.engine import Engine
from retrieval.errors import CorruptIndexError, IndexWriteError
from retrieval.text.lexicon import Lexicon

pytest.importorskip("pymilvus", reason="Milvus tests need `pip install kabar[milvus]`")
pytest.importorskip("milvus_lite", reason="Milvus tests need `pip install kabar[milvus]`")

from retrieval.store.milvus_head import rows_of
from retrieval.store.milvus_store import MilvusStore

needs_cli = pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")


@pytest.fixture
def milvus_settings(tmp_path: Path, seeds: Path) -> Settings:
    """Settings of a Milvus Lite store in this test's folder (hashing embedder)."""
    return make_settings(tmp_path, seeds, vector_store="milvus",
                         milvus_uri=str(tmp_path / "milvus.db"))


def published(settings: Settings) -> tuple[MilvusStore, str]:
    """The store and the collection of the published version's chunk rows."""
    milvus = store.open_store(settings)
    assert isinstance(milvus, MilvusStore)
    version = milvus.current_version()
    assert version is not None
    return milvus, rows_of(milvus._head(version).generation, milvus.alias)[0]


def alter_row(settings: Settings, chunk_id: int) -> None:
    """Same-size damage: one chunk's vector halved in place, its BM25 weights kept."""
    milvus, name = published(settings)
    client = milvus._client
    key = int(store.open_store(settings).load().vectors.view.keys[chunk_id])  # type: ignore[attr-defined]
    row = client.get(name, ids=[key], output_fields=["dense", "sparse", "born", "died"])[0]
    client.upsert(name, [{"chunk_id": key, "sparse": row["sparse"], "born": row["born"],
                          "died": row["died"],
                          "dense": (np.asarray(row["dense"], np.float32) * 0.5).tolist()}])
    client.flush(name)


def reopen(settings: Settings) -> None:
    """Close this process's Milvus Lite (server and client), as if a new process opened it
    next: the server keeps what it loaded in memory."""
    from milvus_lite.server_manager import server_manager_instance

    from retrieval.store import milvus_client

    milvus_client._clients.pop((settings.milvus_target, settings.milvus_token)).close()
    server_manager_instance.release_server(settings.milvus_target)


def test_altered_chunk_row_is_refused_then_repaired_by_plain_index(
        milvus_settings: Settings, hashing_embedder: Callable[[], Embedder],
        caplog: pytest.LogCaptureFixture) -> None:
    build_index(milvus_settings, hashing_embedder)
    engine = Engine(milvus_settings, hashing_embedder(), Lexicon.load())
    expected = engine.answer(PARIS)
    alter_row(milvus_settings, 3)
    # The question path checks the vectors of its hits (all 22 chunks here).
    with pytest.raises(CorruptIndexError, match=r"chunk 3 .*run `kabar index`"):
        Engine(milvus_settings, hashing_embedder(), Lexicon.load()).answer(PARIS)
    milvus, _ = published(milvus_settings)
    version = milvus.current_version()
    assert version is not None
    with pytest.raises(CorruptIndexError, match="chunk 3"):
        milvus.verify(version, milvus.read_manifest(version))
    with caplog.at_level(logging.WARNING):
        repaired = build_index(milvus_settings, hashing_embedder)  # plain: nothing changed
    assert repaired.published and repaired.reason == "previous index unreadable"
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "chunk 3" in warnings[0], warnings
    assert Engine(milvus_settings, hashing_embedder(), Lexicon.load()).answer(PARIS) == expected
    assert not build_index(milvus_settings, hashing_embedder).published  # whole again


def test_unreadable_chunk_collection_is_rebuilt_and_dropped(
        milvus_settings: Settings, hashing_embedder: Callable[[], Embedder]) -> None:
    build_index(milvus_settings, hashing_embedder)
    _, name = published(milvus_settings)
    db = Path(milvus_settings.milvus_target)
    # Milvus Lite keeps a collection's rows in parquet files under its folder.
    data = sorted((db / "collections" / name).rglob("*.parquet"))
    assert data
    for path in data:
        path.write_bytes(path.read_bytes()[:100] + b"\x00" * 300)
    reopen(milvus_settings)
    with pytest.raises(CorruptIndexError, match=r"damaged: run `kabar index`"):
        Engine(milvus_settings, hashing_embedder(), Lexicon.load())
    repaired = build_index(milvus_settings, hashing_embedder)
    assert repaired.published and repaired.reason == "previous index unreadable"
    milvus, rows = published(milvus_settings)
    version = milvus.current_version()
    assert version is not None
    # The damaged generation is dropped at once (Milvus Lite cannot list collections beside
    # it); the rebuilt version starts a new one.
    assert rows != name
    assert sorted(milvus._client.list_collections()) == \
        sorted([milvus.collection(version), rows, rows.replace("_rows_", "_parts_")])
    assert Engine(milvus_settings, hashing_embedder(), Lexicon.load()).answer(PARIS).text


def test_a_second_build_waits_at_most_the_bound(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    index = tmp_path / "index"
    with BuildState(index).lock() as waited:
        assert not waited
        with caplog.at_level(logging.WARNING), pytest.raises(
                IndexWriteError, match=r"another build .* published version is kept"), \
                BuildState(index).lock(timeout=0.6):
            pass
    assert "waiting for another build" in caplog.text
    with BuildState(index).lock() as waited:  # released: the next build goes at once
        assert not waited


# --- the command line, several processes ----------------------------------------------------


def milvus_env(tmp_path: Path, seeds: Path) -> dict[str, str]:
    env = kabar_env(tmp_path, seeds)
    env.update(KABAR_VECTOR_STORE="milvus", KABAR_MILVUS_URI=str(tmp_path / "milvus.db"))
    return env


def kabar(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert KABAR is not None
    return subprocess.run([KABAR, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=180, check=False, preexec_fn=default_signals)


def assert_one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and lines[0].startswith("kabar: error: ")
    for word in words:
        assert word in lines[0], lines[0]


@needs_cli
def test_garbage_aliases_json_is_named_then_replaced(tmp_path: Path, seeds: Path) -> None:
    env = milvus_env(tmp_path, seeds)
    assert kabar(env, tmp_path, "index").returncode == 0
    aliases = tmp_path / "milvus.db" / "aliases.json"
    aliases.write_text("garbage{{", encoding="utf-8")
    assert_one_line(kabar(env, tmp_path, "ask", "--no-update", PARIS),
                    str(aliases), "run `kabar index`")
    full = kabar(env, tmp_path, "index", "--full")
    assert full.returncode == 0 and "Indexed 5 articles" in full.stdout, full.stderr
    assert "Traceback" not in full.stderr and len(full.stderr.splitlines()) == 1, full.stderr
    assert "replaced" in full.stderr
    target = json.loads(aliases.read_text(encoding="utf-8"))["kabar"]
    assert target.startswith("kabar_v")
    assert [p.read_text() for p in aliases.parent.glob("aliases.json.damaged-*")] == \
["garbage{{"]
    # Plain `kabar index` repairs it too: the alias names nothing, so it rebuilds.
    aliases.unlink()
    os.mkfifo(aliases)  # would hang Milvus Lite, which opens it
    plain = kabar(env, tmp_path, "index")
    assert plain.returncode == 0 and "previous index unreadable" in plain.stdout, plain.stderr
    assert "Traceback" not in plain.stderr and len(plain.stderr.splitlines()) <= 2
    asked = kabar(env, tmp_path, "ask", "--no-update", PARIS)
    assert asked.returncode == 0 and "[1]" in asked.stdout, asked.stderr


HOLDER = textwrap.dedent("""\
    import fcntl, os, sys, time
    from pymilvus import MilvusClient
    lock = None
    if sys.argv[2]:  # also hold the build lock, as a running `kabar index` does
        lock = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT)
        fcntl.flock(lock, fcntl.LOCK_EX)
    client = MilvusClient(uri=sys.argv[1])
    print("held", flush=True)
    sys.stdin.readline()
    if lock is not None:
        fcntl.flock(lock, fcntl.LOCK_UN)
    time.sleep(1.0)  # a build that ends still holds Milvus Lite while its process exits
""")


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[Callable[[bool], subprocess.Popen[str]]]:
    """Starts a process that opens this test's Milvus Lite file (and, when asked, holds the
    build lock) until a line is written to it."""
    procs: list[subprocess.Popen[str]] = []

    def start(build_lock: bool) -> subprocess.Popen[str]:
        (tmp_path / "index").mkdir(exist_ok=True)
        lock = str(tmp_path / "index" / ".lock") if build_lock else ""
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "milvus.db"),
                                 lock], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True,
                                preexec_fn=default_signals)
        procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@needs_cli
def test_another_process_on_the_lite_file_is_one_line(
        tmp_path: Path, seeds: Path,
        holder: Callable[[bool], subprocess.Popen[str]]) -> None:
    env = milvus_env(tmp_path, seeds)
    assert kabar(env, tmp_path, "index").returncode == 0
    holder(False)
    fix = ("another process is using the Milvus Lite file", "milvus-lite server",
           "KABAR_MILVUS_URI=http://127.0.0.1:19530")
    assert_one_line(kabar(env, tmp_path, "ask", "--no-update", PARIS), *fix)
    assert_one_line(kabar(env, tmp_path, "status"), *fix)
    assert_one_line(kabar(env, tmp_path, "index"), *fix)


@needs_cli
def test_a_second_build_waits_for_the_first(
        tmp_path: Path, seeds: Path,
        holder: Callable[[bool], subprocess.Popen[str]]) -> None:
    env = milvus_env(tmp_path, seeds)
    first = holder(True)  # a build in progress: the lock and the Lite file
    second = Proc(["index", "--full"], tmp_path, env)
    try:
        wait_for(lambda: "waiting for another build" in second.stderr(), 60,
                 "the second build to wait")
        assert second.popen.poll() is None  # still waiting, not failed
        assert first.stdin is not None
        first.stdin.write("go\n")
        first.stdin.flush()
        assert second.popen.wait(timeout=120) == 0, second.stderr()
        assert "Indexed 5 articles" in second.next_line(timeout=5)
    finally:
        second.kill()
    assert "Traceback" not in second.stderr() and len(second.stderr().splitlines()) == 1
