"""Nothing Kabar reads back from the disk is trusted: index versions, the ONNX export, caches.

A FIFO, a device or a link where a file of a published version, of the ONNX export or of a
cache belongs is damage: reported at once in one line (never waited on, never read without
end), and repaired by plain ``kabar index`` (or, for a cache, by computing it again). Damage
of the same size (NaN weights, a shifted vocabulary) is found by checksum. Temporary files
are created exclusively, so a link planted at a name Kabar writes never redirects a write.

Every test that could hang runs under a timeout (a subprocess timeout or pytest-timeout).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import KABAR
from fake_telegram import FakeTelegram
from test_safety import MEDIATOR, TOKEN, ask_bot, kabar, kabar_bot, one_line_error

from retrieval import safe_io
from retrieval.building.indexer import build_index
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder, HashingEmbedder
from retrieval.embedding.onnx_files import (
    META_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    OnnxMeta,
    file_sums,
    model_folder,
    read_meta,
)
from retrieval.embedding.runtime import ensure_export, query_embedder
from retrieval.engine import Engine
from retrieval.errors import CorruptIndexError
from retrieval.store import versions
from retrieval.text import diskcache, places
from retrieval.text.lexicon import Lexicon

pytestmark = pytest.mark.timeout(300)
#: The tests that drive the real ``kabar`` command.
needs_kabar = pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")

QUESTION = "What was agreed in Paris?"


def version_folder(index_dir: Path) -> Path:
    return index_dir / "versions" / str(versions.current_version(index_dir))


def plant(path: Path, kind: str) -> None:
    """Put a FIFO or a link to /dev/zero where ``path`` is."""
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")


# --- the index folder ---------------------------------------------------------------------


@needs_kabar
@pytest.mark.parametrize(("name", "kind"), [("dense.faiss", "fifo"), ("manifest.json", "fifo"),
                                            ("articles.jsonl", "zero"), ("CURRENT", "fifo"),
                                            ("CURRENT", "zero")])
def test_a_fifo_or_dev_zero_in_the_published_version_is_one_line_then_repaired(
        tmp_path: Path, seeds: Path, name: str, kind: str) -> None:
    """`ask`, `status` and `index` return at once (a FIFO once hung all three)."""
    assert kabar(tmp_path, seeds, "index").returncode == 0
    index = tmp_path / "index"
    plant(index / name if name == "CURRENT" else version_folder(index) / name, kind)
    what = "a FIFO" if kind == "fifo" else "a symbolic link"
    for command in (["status"], ["ask", "--no-update", MEDIATOR]):
        one_line_error(kabar(tmp_path, seeds, *command, timeout=60), what, "kabar index")
    repaired = kabar(tmp_path, seeds, "index", timeout=120)
    assert repaired.returncode == 0 and "Indexed 5 articles" in repaired.stdout, \
        repaired.stderr
    assert "Traceback" not in repaired.stderr
    status = kabar(tmp_path, seeds, "status", "--json", timeout=60)
    assert status.returncode == 0 and json.loads(status.stdout)["articles"] == 5


@needs_kabar
def test_plain_index_names_the_damage_it_repairs(tmp_path: Path, seeds: Path) -> None:
    assert kabar(tmp_path, seeds, "index").returncode == 0
    plant(version_folder(tmp_path / "index") / "sentences.npy", "fifo")
    repaired = kabar(tmp_path, seeds, "index", timeout=120)
    warnings = [line for line in repaired.stderr.splitlines() if "warning" in line.lower()]
    assert len(warnings) == 1 and "sentences.npy" in warnings[0] and "FIFO" in warnings[0]
    assert "previous index unreadable" in repaired.stdout


@pytest.mark.parametrize("name", ["seeds-state.json", ".lock"])
def test_special_files_beside_the_versions_do_not_block_a_build(
        hashing_settings: Settings, hashing_embedder: object, name: str) -> None:
    build_index(hashing_settings, hashing_embedder)  # type: ignore[arg-type]
    plant(hashing_settings.index_dir / name, "fifo")
    report = build_index(hashing_settings, hashing_embedder)  # type: ignore[arg-type]
    assert report.chunks > 0
    assert (hashing_settings.index_dir / name).is_file()  # a regular file again


def test_reads_stop_at_the_manifest_size(hashing_settings: Settings,
                                         hashing_embedder: object) -> None:
    """A sparse 8 GiB file where a version file belongs is refused without reading it."""
    build_index(hashing_settings, hashing_embedder)  # type: ignore[arg-type]
    os.truncate(version_folder(hashing_settings.index_dir) / "sentences.npy", 8 << 30)
    with pytest.raises(CorruptIndexError, match=r"sentences\.npy is damaged \(larger than"):
        versions.load(hashing_settings.index_dir)


def test_same_size_damage_of_a_version_file_is_found(hashing_settings: Settings,
                                                     hashing_embedder: object) -> None:
    build_index(hashing_settings, hashing_embedder)  # type: ignore[arg-type]
    path = version_folder(hashing_settings.index_dir) / "sentences.npy"
    data = bytearray(path.read_bytes())
    data[-2:] = struct.pack("<e", float("nan"))  # one float16 vector component made NaN
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptIndexError, match="checksum mismatch"):
        versions.load(hashing_settings.index_dir)
    report = build_index(hashing_settings, hashing_embedder)  # type: ignore[arg-type]
    assert report.published and report.full
    assert np.isfinite(versions.load(hashing_settings.index_dir).sentence_vector_rows).all()


def test_a_running_engine_keeps_its_version_when_the_new_one_holds_a_fifo(
        hashing_settings: Settings, hashing_embedder: object) -> None:
    build_index(hashing_settings, hashing_embedder)  # type: ignore[arg-type]
    engine = Engine(hashing_settings, HashingEmbedder(64), Lexicon.load())
    index = hashing_settings.index_dir
    old = version_folder(index)
    new = old.with_name("v20991231T235959000000-abcdef")
    shutil.copytree(old, new)
    plant(new / "bm25.npz", "fifo")
    (index / "CURRENT").write_text(new.name + "\n", encoding="ascii")
    assert not engine.refresh()
    assert engine.info().version == old.name and engine.answer(MEDIATOR).text


@needs_kabar
@pytest.mark.e2e
def test_the_live_bot_keeps_answering_and_stops_on_sigterm(tmp_path: Path,
                                                            seeds: Path) -> None:
    assert kabar(tmp_path, seeds, "index").returncode == 0
    index = tmp_path / "index"
    with FakeTelegram(token=TOKEN) as server, kabar_bot(tmp_path, seeds, server) as bot:
        assert "[1]" in ask_bot(server, 1, MEDIATOR)
        old = version_folder(index)
        new = old.with_name("v20991231T235959000000-abcdef")
        shutil.copytree(old, new)
        plant(new / "dense.faiss", "fifo")
        (index / "CURRENT").write_text(new.name + "\n", encoding="ascii")
        assert "[1]" in ask_bot(server, 2, MEDIATOR)
        bot.send_signal(signal.SIGTERM)
        _, stderr = bot.communicate(timeout=30)
    assert "FIFO" in stderr and "Traceback" not in stderr


# --- temporary files ------------------------------------------------------------------------


def test_a_link_planted_at_the_temporary_name_is_never_written_through(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first name tried is taken by a planted link: it is skipped, the target kept."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    folder = tmp_path / "index"
    folder.mkdir()
    names = iter(["planted", "planted", "fresh"])
    monkeypatch.setattr(safe_io.secrets, "token_hex", lambda _n: next(names))
    (folder / ".CURRENT.planted.tmp").symlink_to(victim)
    safe_io.write_atomic(folder / "CURRENT", b"new\n")
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert (folder / "CURRENT").read_bytes() == b"new\n"
    assert (folder / ".CURRENT.planted.tmp").is_symlink()  # left alone, not followed


def test_links_at_every_name_kabar_writes_are_replaced_not_followed(
        hashing_settings: Settings, hashing_embedder: object, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    index = hashing_settings.index_dir
    index.mkdir()
    pid = os.getpid()  # the old, predictable temporary names held the process id
    for name in (".lock", f".CURRENT.{pid}.tmp", f".seeds-state.json.{pid}.tmp", "CURRENT"):
        (index / name).symlink_to(victim)
    build_index(hashing_settings, hashing_embedder)  # type: ignore[arg-type]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "cache" / "kabar").mkdir(parents=True)
    (tmp_path / "cache" / "kabar" / f".probe.{pid}").symlink_to(victim)
    (tmp_path / "cache" / "kabar" / "probe").symlink_to(victim)
    diskcache.write("probe", b"cached")
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert diskcache.read("probe") == b"cached"
    assert (index / "CURRENT").is_file() and not (index / "CURRENT").is_symlink()
    assert (index / ".lock").is_file() and not (index / ".lock").is_symlink()


# --- caches ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "zero", "flipped"])
def test_damaged_lexicon_and_places_caches_are_rebuilt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = Lexicon.load()
    places._names.cache_clear()
    names = places._names()
    caches = sorted((tmp_path / "kabar").iterdir())
    assert [p.suffix for p in caches] == [".marshal", ".txt"]
    for path in caches:
        if kind == "flipped":  # same size, one byte changed
            data = bytearray(path.read_bytes())
            data[len(data) // 2] ^= 0x20
            path.write_bytes(bytes(data))
        else:
            plant(path, kind)
    assert Lexicon.load().translate(["agreement"], "en") == built.translate(["agreement"],
                                                                            "en")
    places._names.cache_clear()
    assert places._names() == names
    for path in caches:  # written again, as regular files that read back
        assert path.is_file() and not path.is_symlink()
        assert diskcache.read(path.name) is not None


# --- the ONNX export ------------------------------------------------------------------------


class _ExportedLike(HashingEmbedder):
    """A model id that is not ``hashing:`` (so an export is looked for), without torch."""

    @property
    def model_id(self) -> str:
        return "example/exported-like"


def _fake_export(folder: Path, model_id: str) -> None:
    """An export's files with a current meta.json (checksums and all), without torch."""
    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(b"graph" * 100)
    (folder / TOKENIZER_FILE).write_bytes(b"{}")
    meta = OnnxMeta(model_id, 128, ("input_ids",), 0, False, 64, files=file_sums(folder))
    (folder / META_FILE).write_text(meta.to_json(), encoding="utf-8")


@pytest.mark.parametrize("name", [META_FILE, MODEL_FILE, TOKENIZER_FILE])
@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_special_file_in_the_export_falls_back_at_once(
        hashing_settings: Settings, caplog: pytest.LogCaptureFixture, kind: str,
        name: str) -> None:
    model = _ExportedLike(64)
    settings = hashing_settings.replace(embedding_model=model.model_id)
    folder = model_folder(settings.index_dir, model.model_id)
    _fake_export(folder, model.model_id)
    plant(folder / name, kind)
    with caplog.at_level(logging.WARNING):
        assert query_embedder(settings, lambda: model) is model
    assert "ONNX export is damaged" in caplog.text and name in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        ensure_export(settings, lambda: model)  # plain `kabar index`: damage is dropped
    assert "exporting it again" in caplog.text
    assert not folder.exists()


def _copy_export(real_index: Settings, tmp_path: Path) -> tuple[Settings, Path]:
    settings = real_index.replace(index_dir=tmp_path / "index")
    shutil.copytree(real_index.index_dir, settings.index_dir)
    return settings, model_folder(settings.index_dir, settings.embedding_model)


def _nan_weights(model: Path) -> None:
    """Make the first weights of the graph NaN, keeping the file's size."""
    import onnx

    graph = onnx.load(str(model), load_external_data=False)
    weights = next(t.raw_data for t in graph.graph.initializer if len(t.raw_data) >= 4096)
    data = model.read_bytes()
    at = data.index(weights[:4096])
    nan = struct.pack("<f", float("nan")) * 16
    model.write_bytes(data[:at] + nan + data[at + len(nan):])


def _shift_vocabulary(tokenizer: Path) -> None:
    """Swap two same-length tokens' ids: the same size, every question tokenised wrongly."""
    text = tokenizer.read_text(encoding="utf-8")
    swapped = text.replace('"the":', '"@@@":').replace('"and":', '"the":').replace(
        '"@@@":', '"and":')
    assert swapped != text and len(swapped) == len(text)
    tokenizer.write_text(swapped, encoding="utf-8")


@pytest.mark.e2e
@pytest.mark.parametrize("damage", ["nan-weights", "flipped-bytes", "shifted-vocabulary"])
def test_same_size_export_damage_is_found_and_repaired_by_plain_index(
        tmp_path: Path, real_index: Settings, real_embedder: Embedder,
        caplog: pytest.LogCaptureFixture, damage: str) -> None:
    settings, folder = _copy_export(real_index, tmp_path)
    intact = read_meta(folder)
    if damage == "nan-weights":
        _nan_weights(folder / MODEL_FILE)
    elif damage == "flipped-bytes":
        with open(folder / MODEL_FILE, "r+b") as f:
            f.seek(intact.files[MODEL_FILE].size // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
    else:
        _shift_vocabulary(folder / TOKENIZER_FILE)
    for name in (MODEL_FILE, TOKENIZER_FILE):
        assert (folder / name).stat().st_size == intact.files[name].size
    # A question finds it on the bytes it loads, and answers with torch meanwhile.
    with caplog.at_level(logging.WARNING):
        encoder = query_embedder(settings, lambda: real_embedder)
        vectors = encoder.encode_queries([QUESTION])
    assert "torch" in caplog.text and ("damaged" in caplog.text or "checksum" in caplog.text)
    assert np.allclose(vectors, real_embedder.encode_queries([QUESTION]), atol=1e-3)
    # Plain `kabar index`, with nothing else to do, makes the export again.
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        build_index(settings, lambda: real_embedder)
    remade = read_meta(folder)
    assert remade.files[TOKENIZER_FILE] == intact.files[TOKENIZER_FILE]
    encoder = query_embedder(settings, lambda: real_embedder)
    assert type(encoder).__name__ == "OnnxEmbedder"
    assert np.allclose(encoder.encode_queries([QUESTION]),
                       real_embedder.encode_queries([QUESTION]), atol=2e-2)


def test_an_old_meta_json_without_checksums_is_made_again(
        hashing_settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    """Exports checked by size only (exporter 1) are not trusted: made again."""
    model = _ExportedLike(64)
    settings = hashing_settings.replace(embedding_model=model.model_id)
    folder = model_folder(settings.index_dir, model.model_id)
    folder.mkdir(parents=True)
    old = {"model_id": model.model_id, "max_seq_length": 128, "input_names": ["input_ids"],
           "pad_id": 0, "lower_case": False, "dim": 64, "size": 1, "sha256": "0" * 64,
           "min_cosine": 1.0, "exporter": 1}
    (folder / META_FILE).write_text(json.dumps(old), encoding="utf-8")
    (folder / MODEL_FILE).write_bytes(b"x")
    (folder / TOKENIZER_FILE).write_bytes(b"{}")
    with caplog.at_level(logging.WARNING):
        assert query_embedder(settings, lambda: model) is model
    assert "older Kabar" in caplog.text
    caplog.clear()
    ensure_export(settings, lambda: model)  # no torch model to export with: left as it was
    assert read_meta(folder).exporter == 1

