"""Speed: light imports, the torch-free question path, the ONNX export, build progress."""

from __future__ import annotations

import json
import logging
import os
import pty
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings

from retrieval.building import build_index
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder, HashingEmbedder
from retrieval.embedding.onnx_files import failure_file, model_folder
from retrieval.embedding.runtime import ensure_export, query_embedder
from retrieval.engine import Engine
from retrieval.errors import ModelLoadError
from retrieval.text.lexicon import Lexicon

HEAVY = ("torch", "transformers", "sentence_transformers")
# Runs the CLI in a fresh interpreter, then prints which heavy modules it imported.
PROBE = """
import json, sys
from bot.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
print(json.dumps({"status": status, "loaded": [m for m in %r if m in sys.modules]}))
"""


def loaded_after(args: Sequence[str], env: dict[str, str] | None = None,
                 heavy: Sequence[str] = (*HEAVY, "onnxruntime")) -> list[str]:
    """The heavy modules a fresh ``kabar ARGS`` imported (it must succeed)."""
    done = subprocess.run([sys.executable, "-c", PROBE % (tuple(heavy),), *args],
                          capture_output=True, text=True, timeout=300, check=False,
                          env=env or dict(os.environ))
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] in (0, None), done.stderr
    return list(result["loaded"])


def test_help_loads_no_model() -> None:
    assert loaded_after(["--help"]) == []


def test_status_loads_no_model(hashing_settings: Settings) -> None:
    build_index(hashing_settings, lambda: HashingEmbedder(64))
    where = ["--seeds", str(hashing_settings.seeds_dir), "--index",
             str(hashing_settings.index_dir)]
    assert loaded_after(["status", *where]) == []


class _Unexportable(HashingEmbedder):
    """A model id that is not ``hashing:``, backed by a model the exporter must refuse."""

    class _Clip:
        """Stands for a module the ONNX graph cannot hold."""

    def __init__(self) -> None:
        super().__init__(64)
        self.sentence_transformer = [self._Clip()]
        self.loads = 0

    @property
    def model_id(self) -> str:
        return "example/clip-like"


def test_unexportable_model_falls_back_with_one_notice(
        tmp_path: Path, seeds: Path, caplog: pytest.LogCaptureFixture) -> None:
    model = _Unexportable()
    settings = make_settings(tmp_path, seeds, model=model.model_id)
    with caplog.at_level(logging.WARNING):
        build_index(settings, lambda: model)
    notices = [r.getMessage() for r in caplog.records if "cannot be exported" in
               r.getMessage()]
    assert len(notices) == 1 and "_Clip" in notices[0] and "\n" not in notices[0]
    assert failure_file(model_folder(settings.index_dir, model.model_id)).is_file()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        ensure_export(settings, lambda: model)  # refused before: no retry, no new notice
        encoder = query_embedder(settings, lambda: model)
    assert encoder is model
    [notice] = [r.getMessage() for r in caplog.records]
    assert notice.startswith("answering with torch") and "cannot be exported" in notice
    answer = Engine(settings, encoder, Lexicon.load()).answer("What was agreed in Paris?")
    assert answer.text


def test_missing_export_is_a_notice_or_with_onnx_an_error(
        hashing_settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    model = _Unexportable()
    settings = hashing_settings.replace(embedding_model=model.model_id)
    with caplog.at_level(logging.WARNING):
        assert query_embedder(settings, lambda: model) is model
    assert "has no ONNX export yet" in caplog.text
    with pytest.raises(ModelLoadError, match="KABAR_QUERY_RUNTIME=onnx"):
        query_embedder(settings.replace(query_runtime="onnx"), lambda: model)
    torch_only = settings.replace(query_runtime="torch")
    ensure_export(torch_only, lambda: model)
    assert not model_folder(settings.index_dir, model.model_id).parent.exists()


def _index_on(tmp_path: Path, seeds: Path, *flags: str, tty: bool) -> tuple[str, str]:
    """``kabar index`` with stderr on a pseudo-terminal (or a pipe): (stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
    env.update(KABAR_EMBEDDING_MODEL="hashing:64", COLUMNS="100")
    command = [sys.executable, "-m", "bot.cli", "index", "--seeds", str(seeds), "--index",
               str(tmp_path / "index"), *flags]
    if not tty:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120,
                              check=True)
        return done.stdout, done.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower, env=env) as run:
        os.close(follower)
        drawn = b""
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            drawn += data
        out = run.stdout.read() if run.stdout else b""
    os.close(leader)
    assert run.returncode == 0, drawn
    return out.decode(), drawn.decode()


def test_progress_on_a_terminal_only(tmp_path: Path, seeds: Path) -> None:
    out, drawn = _index_on(tmp_path, seeds, "--full", tty=True)
    assert "5/5 files" in drawn and "sentences" in drawn and "left" in drawn
    assert drawn.endswith("\r")  # the line is cleared before the summary
    assert out.startswith("Indexed 5 articles") and out.count("\n") == 1
    out, err = _index_on(tmp_path, seeds, "--full", tty=False)
    assert err == "" and out.startswith("Indexed 5 articles") and out.count("\n") == 1
    out, drawn = _index_on(tmp_path, seeds, "--full", "--json", tty=True)
    assert json.loads(out)["sentences_embedded"] > 0 and "sentences" in drawn


@pytest.mark.e2e
def test_question_path_imports_no_torch(real_index: Settings) -> None:
    assert (model_folder(real_index.index_dir, real_index.embedding_model) / "model.onnx"
            ).is_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
    env["KABAR_EMBEDDING_MODEL"] = real_index.embedding_model  # MiniLM's ONNX export
    args = ["ask", "--no-update", "--seeds", str(real_index.seeds_dir), "--index",
            str(real_index.index_dir), "What was agreed in Paris?"]
    assert loaded_after(args, env, HEAVY) == []


@pytest.mark.e2e
def test_onnx_agrees_with_torch_on_the_seeds(real_index: Settings, real_embedder: Embedder
                                             ) -> None:
    from retrieval.store import versions

    encoder = query_embedder(real_index, lambda: real_embedder)
    assert type(encoder).__name__ == "OnnxEmbedder"
    data = versions.load(real_index.index_dir, real_index.embedding_model)
    sentences = [data.sentence_text(i) for i in range(len(data.layout.sent_start))]
    onnx = encoder.encode_queries(sentences)
    torch_fp32 = real_embedder.encode_queries(sentences)
    assert float(np.min(np.sum(onnx * torch_fp32, axis=1))) >= 0.99
    # The stored passages (bf16 on CPUs that have it) and ONNX questions share one space.
    stored = data.sentence_vector_rows.astype(np.float32)
    assert float(np.min(np.sum(onnx * stored, axis=1))) >= 0.99


def test_lexicon_and_places_come_back_the_same_from_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval.text import places

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = Lexicon.load()
    [saved] = (tmp_path / "kabar").glob("lexicon-*.marshal")
    cached = Lexicon.load()
    assert {k: v for k, v in vars(cached).items() if not k.endswith("_stemmer")} == \
        {k: v for k, v in vars(built).items() if not k.endswith("_stemmer")}
    assert cached.translate(["agreement"], "en") == built.translate(["agreement"], "en")
    saved.write_bytes(b"\x00damaged")
    assert Lexicon.load().translate(["disepakati"], "id") == built.translate(["disepakati"],
                                                                             "id")
    places._names.cache_clear()
    fresh = places._names()
    places._names.cache_clear()
    assert places._names() == fresh and "jakarta" in fresh[1]


@pytest.mark.e2e
def test_damaged_export_falls_back_to_torch(tmp_path: Path, real_index: Settings,
                                            real_embedder: Embedder,
                                            caplog: pytest.LogCaptureFixture) -> None:
    import shutil

    source = model_folder(real_index.index_dir, real_index.embedding_model)
    settings = real_index.replace(index_dir=tmp_path / "index")
    copy = model_folder(settings.index_dir, settings.embedding_model)
    shutil.copytree(source, copy)
    size = (copy / "model.onnx").stat().st_size
    (copy / "model.onnx").write_bytes(b"\0" * size)  # same size: only loading finds out
    encoder = query_embedder(settings, lambda: real_embedder)
    with caplog.at_level(logging.WARNING):
        vectors = encoder.encode_queries(["What was agreed in Paris?"])
    assert "cannot be loaded" in caplog.text and not (copy / "meta.json").exists()
    assert np.allclose(vectors, real_embedder.encode_queries(["What was agreed in Paris?"]))
