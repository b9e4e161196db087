"""``kabar index`` and ``kabar status`` run as the real console script (hashing model: fast)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import KABAR, kabar_env

from retrieval.store import versions

pytestmark = pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")

REPORT_KEYS = {"added", "updated", "removed", "unchanged", "chunks", "chunks_embedded", "seconds"}


def run(tmp_path: Path, seeds: Path, *args: str, timeout: float = 60
        ) -> subprocess.CompletedProcess[str]:
    assert KABAR is not None
    return subprocess.run([KABAR, *args], cwd=tmp_path, env=kabar_env(tmp_path, seeds),
                          capture_output=True, text=True, timeout=timeout, check=False)


def last_json(stdout: str) -> dict[str, object]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert lines, "no output"
    obj = json.loads(lines[-1])
    assert isinstance(obj, dict)
    return obj


def test_index_json(tmp_path: Path, seeds: Path) -> None:
    result = run(tmp_path, seeds, "index", "--json")
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report.keys() >= REPORT_KEYS
    assert report["added"] == 5 and report["unchanged"] == 0
    assert isinstance(report["chunks"], int) and report["chunks"] > 0
    assert report["chunks_embedded"] == report["chunks"]
    assert isinstance(report["seconds"], float | int)
    # A second run changes nothing.
    again = last_json(run(tmp_path, seeds, "index", "--json").stdout)
    assert (again["added"], again["updated"], again["removed"], again["unchanged"]) == (0, 0, 0, 5)
    assert again["chunks_embedded"] == 0 and again["chunks"] == report["chunks"]


def test_index_stderr_is_quiet(tmp_path: Path, seeds: Path) -> None:
    """A successful build writes nothing but its summary: no library debug chatter."""
    result = run(tmp_path, seeds, "index")
    assert result.returncode == 0, result.stderr
    assert "Indexed 5 articles" in result.stdout
    assert result.stderr.strip() == "", result.stderr


def test_index_text_summary(tmp_path: Path, seeds: Path) -> None:
    first = run(tmp_path, seeds, "index")
    assert first.returncode == 0 and "5 added" in first.stdout
    (seeds / "new.txt").write_text(
        "Judul Baru\nWarga kota menerima bantuan beras pada Senin pagi. Bantuan datang dari "
        "pemerintah daerah.\n", encoding="utf-8")
    second = run(tmp_path, seeds, "index")
    assert second.returncode == 0 and "1 added" in second.stdout and "5 unchanged" in second.stdout
    third = run(tmp_path, seeds, "index")
    assert "up to date" in third.stdout


def test_index_warns_about_skipped_files(tmp_path: Path, seeds: Path) -> None:
    (seeds / "broken.txt").write_bytes(b"\xff\xfe\xfa\xfb")
    result = run(tmp_path, seeds, "index", "--json")
    assert result.returncode == 0
    assert "broken.txt" in result.stderr and "Traceback" not in result.stderr
    assert last_json(result.stdout)["added"] == 5


def test_status(tmp_path: Path, seeds: Path) -> None:
    assert run(tmp_path, seeds, "index").returncode == 0
    result = run(tmp_path, seeds, "status")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Articles:" in out and "5" in out.split("Articles:")[1].splitlines()[0]
    assert "Chunks:" in out
    assert "hashing:64" in out
    assert "2024-02-24" in out  # the newest dated seed
    assert "unchanged since the last build" in out
    assert "Vector index:   faiss (flat)" in out
    (seeds / "new.txt").write_text("Judul\nIsi berita baru yang Penting.\n", encoding="utf-8")
    changed = run(tmp_path, seeds, "status")
    assert changed.returncode == 0 and "changed since the last build" in changed.stdout
    assert "kabar index" in changed.stdout


def test_status_json(tmp_path: Path, seeds: Path) -> None:
    index = last_json(run(tmp_path, seeds, "index", "--json").stdout)
    status = last_json(run(tmp_path, seeds, "status", "--json").stdout)
    assert status["articles"] == 5 and status["chunks"] == index["chunks"]
    assert status["model"] == "hashing:64" and status["seeds_changed"] is False
    assert str(status["newest_date"]).startswith("2024-02-24")
    assert status["version"] == index["version"]
    # Both axes: where versions live and which vector index holds the vectors.
    assert (status["store"], status["vector_index"], status["vector_kind"]) == \
        ("faiss", "faiss", "flat")


def test_status_without_index(tmp_path: Path, seeds: Path) -> None:
    result = run(tmp_path, seeds, "status")
    assert result.returncode == 1
    assert "run `kabar index`" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_index_missing_seeds(tmp_path: Path, seeds: Path) -> None:
    result = run(tmp_path, seeds, "index", "--seeds", "/nonexistent")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "/nonexistent" in result.stderr and "does not exist" in result.stderr
    assert "--seeds" in result.stderr
    assert versions.current_version(tmp_path / "index") is None


def test_index_empty_seeds_keeps_index(tmp_path: Path, seeds: Path) -> None:
    first = last_json(run(tmp_path, seeds, "index", "--json").stdout)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(tmp_path, seeds, "index", "--seeds", str(empty))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no readable article" in result.stderr
    assert versions.current_version(tmp_path / "index") == first["version"]
    assert run(tmp_path, seeds, "status").returncode == 0


def test_status_on_corrupt_index(tmp_path: Path, seeds: Path) -> None:
    report = last_json(run(tmp_path, seeds, "index", "--json").stdout)
    dense = tmp_path / "index" / "versions" / str(report["version"]) / "dense.faiss"
    dense.write_bytes(dense.read_bytes()[:100])
    result = run(tmp_path, seeds, "status")
    assert result.returncode == 1
    assert "run `kabar index`" in result.stderr and "Traceback" not in result.stderr
    repaired = run(tmp_path, seeds, "index", "--json")
    assert repaired.returncode == 0
    assert last_json(repaired.stdout)["full"] is True
    assert run(tmp_path, seeds, "status").returncode == 0


def test_index_other_model_rebuilds(tmp_path: Path, seeds: Path) -> None:
    assert run(tmp_path, seeds, "index").returncode == 0
    assert KABAR is not None
    result = subprocess.run([KABAR, "index", "--json"], cwd=tmp_path,
                            env=kabar_env(tmp_path, seeds, model="hashing:32"),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report["full"] is True and "model" in str(report["reason"])
