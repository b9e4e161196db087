"""SIGKILL of a real ``kabar index`` (real bundled model) mid-rebuild never loses the index.

Each kill must leave the previously published version in place, whole and loadable, and
``kabar status`` working; the next normal run must then publish the new version.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import KABAR, kabar_env

from retrieval.config import DEFAULT_MODEL
from retrieval.store import versions

pytestmark = pytest.mark.e2e

SEEDS = Path(__file__).resolve().parent.parent / "data" / "seeds"  # fixed copy, never the live one
EXTRA_ARTICLES = 60

WORDS = [
    "pemerintah", "warga", "kota", "desa", "bantuan", "pasukan", "perundingan", "menteri",
    "presiden", "rakyat", "sekolah", "pasar", "harga", "beras", "listrik", "jalan",
    "banjir", "hujan", "kapal", "pelabuhan", "bandara", "petani", "nelayan", "hasil",
    "rapat", "anggaran", "pajak", "polisi", "hakim", "sidang", "laporan", "data", "survei",
    "gencatan", "senjata", "delegasi",
]


def make_article(n: int, paragraphs: int = 4) -> str:
    rng = random.Random(n)
    lines = [f"Laporan Khusus Nomor {n} Tentang Kota", f"Jakarta – Berita ke-{n} dimulai."]
    for p in range(paragraphs):
        sentences = [" ".join(rng.sample(WORDS, rng.randint(8, 14))).capitalize()
                     + f" kode{n}p{p}s{s}." for s in range(rng.randint(4, 7))]
        lines.append(" ".join(sentences))
    return "\n".join(lines) + "\n"


def run_kabar(tmp_path: Path, seeds: Path, *args: str, timeout: float = 600
              ) -> subprocess.CompletedProcess[str]:
    assert KABAR is not None
    return subprocess.run([KABAR, *args], cwd=tmp_path, env=kabar_env(tmp_path, seeds, model=None),
                          capture_output=True, text=True, timeout=timeout, check=False)


def tmp_versions(index_dir: Path) -> list[str]:
    try:
        return [n for n in os.listdir(index_dir / "versions") if n.startswith(".tmp-")]
    except FileNotFoundError:
        return []


@pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")
def test_sigkill_mid_rebuild_keeps_the_published_index(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    index_dir = tmp_path / "index"

    first = run_kabar(tmp_path, seeds, "index", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout.splitlines()[-1])
    published, articles = report["version"], 5
    assert report["added"] == 5

    for n in range(EXTRA_ARTICLES):
        (seeds / f"gen{n:03d}.txt").write_text(make_article(n), encoding="utf-8")

    def check_previous_intact(label: str) -> None:
        data = versions.load(index_dir, model_id=DEFAULT_MODEL)
        assert data.version == published, label
        assert len(data.articles) == articles, label
        assert len(data.vectors) == data.num_chunks == data.bm25.num_docs, label
        status = run_kabar(tmp_path, seeds, "status", "--json", timeout=120)
        assert status.returncode == 0, f"{label}: {status.stderr}"
        info = json.loads(status.stdout.splitlines()[-1])
        assert (info["version"], info["articles"]) == (published, articles), label
        assert info["seeds_changed"] is True, label

    def after(seconds: float) -> Callable[[subprocess.Popen[str]], bool]:
        def wait(proc: subprocess.Popen[str]) -> bool:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    return False
                time.sleep(0.01)
            return True
        return wait

    def while_writing(proc: subprocess.Popen[str]) -> bool:
        # The new version is being written into versions/.tmp-*: kill it right there.
        # (Leftovers of an earlier kill may be there already; only a new folder counts.)
        stale = set(tmp_versions(index_dir))
        while proc.poll() is None:
            if set(tmp_versions(index_dir)) - stale:
                return True
            time.sleep(0.001)
        return False

    kill_points: list[tuple[str, Callable[[subprocess.Popen[str]], bool]]] = [
        ("after 0.5 s", after(0.5)),
        ("after 1.5 s", after(1.5)),
        ("after 3 s", after(3.0)),
        ("while writing", while_writing),
    ]
    killed_while_writing = 0
    assert KABAR is not None
    for label, wait in kill_points:
        started = time.monotonic()
        proc = subprocess.Popen([KABAR, "index", "--full", "--json"], cwd=tmp_path,
                                env=kabar_env(tmp_path, seeds, model=None), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        in_time = False
        try:
            in_time = wait(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
            out, err = proc.communicate(timeout=600)
        if proc.returncode == 0:
            # The run finished before the kill point (a fast machine): it must have published.
            in_time = False
            report = json.loads(out.splitlines()[-1])
            published, articles = report["version"], 5 + EXTRA_ARTICLES
        else:
            assert proc.returncode == -9, f"{label}: exit {proc.returncode}: {err}"
            if label.startswith("while writing"):
                killed_while_writing += 1
            now = versions.current_version(index_dir)
            if now != published:
                # Killed in the instant after the new version was published: that is the
                # other whole state an atomic publish allows.
                published, articles = now, 5 + EXTRA_ARTICLES
        check_previous_intact(label)
        print(f"{label}: {'killed' if in_time else 'finished first'} "  # shown with -s
              f"after {time.monotonic() - started:.1f} s")

    assert killed_while_writing >= 1, "never managed to kill a build while it was writing"

    final = run_kabar(tmp_path, seeds, "index", "--json")
    assert final.returncode == 0, final.stderr
    report = json.loads(final.stdout.splitlines()[-1])
    assert report["version"] != published
    data = versions.load(index_dir, model_id=DEFAULT_MODEL)
    assert data.version == report["version"] == versions.current_version(index_dir)
    assert len(data.articles) == 5 + EXTRA_ARTICLES
    assert len(data.vectors) == data.num_chunks == report["chunks"]
    assert not tmp_versions(index_dir), "a killed build's leftovers were not removed"
    status = run_kabar(tmp_path, seeds, "status", "--json", timeout=120)
    info = json.loads(status.stdout.splitlines()[-1])
    assert info["articles"] == 5 + EXTRA_ARTICLES and info["seeds_changed"] is False
