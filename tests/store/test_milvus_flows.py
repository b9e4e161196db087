"""The README's flows with ``KABAR_VECTOR_STORE=milvus``: the console script against a
``milvus-lite server`` (several processes share one store, as replicas would), and the bot
and answers with the real model on an embedded Milvus Lite.

Skipped where ``pip install kabar[milvus]`` was not run.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import KABAR, SHARED, default_signals, kabar_env, make_settings
from test_telegram import PARIS, assert_answer_structure, running_bot
from test_watch import PART_ONE, PART_TWO, Proc, wait_for

from retrieval.building import build_index
from retrieval.config import Settings
from retrieval.embedding import Embedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon

pytest.importorskip("pymilvus", reason="Milvus tests need `pip install kabar[milvus]`")
pytest.importorskip("milvus_lite", reason="Milvus tests need `pip install kabar[milvus]`")

SERVER = Path(sys.executable).with_name("milvus-lite")


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """A ``milvus-lite server`` on a free local port; its URI."""
    if not SERVER.exists():
        pytest.skip("the milvus-lite command is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(SERVER), "server", "--data-dir", str(tmp_path / "server.db"),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=default_signals)
    try:
        def listening() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        wait_for(listening, 30, "milvus-lite server to listen")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def milvus_env(tmp_path: Path, seeds: Path, uri: str) -> dict[str, str]:
    env = kabar_env(tmp_path, seeds)
    env.update(KABAR_VECTOR_STORE="milvus", KABAR_MILVUS_URI=uri,
               KABAR_MILVUS_TOKEN="root:Milvus-s3cret")
    return env


def kabar(env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None
          ) -> subprocess.CompletedProcess[str]:
    assert KABAR is not None
    return subprocess.run([KABAR, *args], cwd=cwd, env=env, input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")
def test_index_watch_ask_repl_status_share_one_milvus(tmp_path: Path, seeds: Path,
                                                      milvus_server: str) -> None:
    env = milvus_env(tmp_path, seeds, milvus_server)
    watch = Proc(["index", "--watch", "--json"], tmp_path, env)
    try:
        first = json.loads(watch.next_line(timeout=60))
        assert first["added"] == 5
        wait_for(lambda: "Watching" in watch.stderr(), 10, "the watch to start")
        time.sleep(0.5)
        (seeds / "banjir.txt").write_text(PART_ONE + PART_TWO, encoding="utf-8")
        second = json.loads(watch.next_line(timeout=60))
        assert (second["added"], second["unchanged"]) == (1, 5)
        # Other processes read the same store while the watch runs (replicas).
        status = kabar(env, tmp_path, "status", "--json")
        assert status.returncode == 0, status.stderr
        shown = json.loads(status.stdout.splitlines()[-1])
        assert shown["store"] == "milvus" and shown["articles"] == 6
        asked = kabar(env, tmp_path, "ask", "--no-update", "--json", PARIS)
        assert asked.returncode == 0, asked.stderr
        answer = json.loads(asked.stdout.splitlines()[-1])
        assert answer["citations"] and not answer["abstained"]
        repl = kabar(env, tmp_path, "repl", "--no-update", stdin=f"{PARIS}\nexit\n")
        assert repl.returncode == 0 and "[1]" in repl.stdout, repl.stderr
        watch.popen.send_signal(signal.SIGINT)
        assert watch.popen.wait(timeout=20) == 0, watch.stderr()
    finally:
        watch.kill()
    everything = watch.stderr() + status.stdout + status.stderr + asked.stderr + repl.stderr
    assert "s3cret" not in everything and "Traceback" not in everything


@pytest.fixture(scope="module")
def milvus_real(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder
                ) -> Settings:
    """The seeds indexed with the real model in an embedded Milvus Lite."""
    import shutil

    from conftest import SEEDS

    tmp = tmp_path_factory.mktemp("milvus-real")
    shutil.copytree(SEEDS, tmp / "seeds")
    settings = make_settings(tmp, tmp / "seeds", model=real_embedder.model_id,
                             vector_store="milvus", milvus_uri=str(tmp / "milvus.db"))
    build_index(settings, lambda: real_embedder)
    return settings


@pytest.mark.e2e
def test_held_out_questions_answer_as_with_faiss(milvus_real: Settings, real_engine: Engine,
                                                 real_embedder: Embedder) -> None:
    dev = SHARED / "eval" / "seeds-dev.jsonl"
    if not dev.is_file():
        pytest.skip(f"{dev} not found")
    questions = [json.loads(line)["q"] for line in dev.read_text("utf-8").splitlines() if line]
    milvus = Engine(milvus_real, real_embedder, Lexicon.load())
    for question in questions:
        assert milvus.answer(question) == real_engine.answer(question), question


@pytest.mark.e2e
def test_bot_answers_from_milvus(milvus_real: Settings, real_embedder: Embedder) -> None:
    engine = Engine(milvus_real, real_embedder, Lexicon.load())
    with running_bot(milvus_real, lambda: engine) as bot:
        assert_answer_structure(bot.ask(42, PARIS))


@pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")
def test_embedded_milvus_lite_cli_is_quiet(tmp_path: Path, seeds: Path) -> None:
    """With a local ``.db`` the server runs inside ``kabar``: none of its chatter shows."""
    env = milvus_env(tmp_path, seeds, str(tmp_path / "lite" / "kabar.db"))
    built = kabar(env, tmp_path, "index")
    assert built.returncode == 0 and "5 added" in built.stdout, built.stderr
    (seeds / "new.txt").write_text(PART_ONE + PART_TWO, encoding="utf-8")
    asked = kabar(env, tmp_path, "ask", PARIS)
    assert asked.returncode == 0 and "[1]" in asked.stdout, asked.stderr
    assert asked.stderr.strip().startswith("Updated the index") or not asked.stderr.strip()
    assert "Traceback" not in asked.stderr and "ERROR" not in asked.stderr, asked.stderr
    assert "s3cret" not in built.stdout + built.stderr + asked.stdout + asked.stderr
