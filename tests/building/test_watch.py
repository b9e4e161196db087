"""Keeping the index fresh: ``retrieval.watch.watch`` in a thread, and ``kabar index --watch``."""

from __future__ import annotations

import json
import logging
import os
import queue
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import KABAR, default_signals, kabar_env

from retrieval.building.indexer import BuildReport, build_index
from retrieval.building.watch import watch
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder
from retrieval.errors import KabarError, NoIndexError
from retrieval.store import versions

needs_kabar = pytest.mark.skipif(KABAR is None, reason="the kabar console script is missing")

SETTLE, POLL = 0.3, 0.2

PART_ONE = (
    "Banjir Rob Rendam Pelabuhan Sunda Kelapa\n"
    "Jakarta – Banjir rob merendam kawasan Pelabuhan Sunda Kelapa pada Selasa pagi. "
    "Ratusan kapal nelayan tidak bisa berlayar karena air laut naik setinggi lutut.\n"
)
PART_TWO = (
    "Petugas pelabuhan mengatakan air mulai surut menjelang sore. Penutupan sementara "
    "dermaga berakhir pukul 17.00 WIB, kata Kepala Syahbandar Budi Santoso.\n"
)

WORDS = [
    "pemerintah", "warga", "kota", "desa", "bantuan", "pasukan", "menteri", "presiden",
    "rakyat", "sekolah", "pasar", "harga", "beras", "listrik", "jalan", "banjir", "hujan",
    "kapal", "pelabuhan", "petani", "nelayan", "rapat", "anggaran", "pajak",
]


def make_article(n: int, paragraphs: int = 4) -> str:
    rng = random.Random(n)
    lines = [f"Laporan Khusus Nomor {n} Tentang Kota"]
    for p in range(paragraphs):
        lines.append(" ".join(" ".join(rng.sample(WORDS, 10)).capitalize() + f" kode{n}p{p}s{s}."
                              for s in range(4)))
    return "\n".join(lines) + "\n"


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def doc_ids(index_dir: Path) -> set[str]:
    try:
        return {a.doc_id for a in versions.load(index_dir).articles}
    except NoIndexError:
        return set()


class Watcher:
    """``watch`` running in a thread, with a rebuild that records every published index."""

    def __init__(self, settings: Settings, embedder: Callable[[], Embedder]) -> None:
        self.settings = settings
        self.embedder = embedder
        self.reports: list[BuildReport] = []
        self.errors: list[BaseException] = []
        self.published: list[dict[str, str]] = []  # doc_id -> text, after every rebuild
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self._run, daemon=True, name="kabar-watch-test")

    def _run(self) -> None:
        try:
            watch(self.settings.seeds_dir, self.rebuild, settle=SETTLE, poll=POLL, stop=self.stop)
        except BaseException as exc:  # surfaced by the test, not lost in the thread
            self.errors.append(exc)

    def rebuild(self) -> None:
        try:
            report = build_index(self.settings, self.embedder)
        except KabarError as exc:
            self.errors.append(exc)
            raise
        self.reports.append(report)
        data = versions.load(self.settings.index_dir)
        self.published.append({a.doc_id: a.text for a in data.articles})

    def __enter__(self) -> Watcher:
        self.thread.start()
        time.sleep(0.3)  # let the watch take its first look at the folder
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive(), "watch did not stop when asked"


@pytest.fixture
def indexed(hashing_settings: Settings, hashing_embedder: Callable[[], Embedder]) -> Settings:
    build_index(hashing_settings, hashing_embedder)
    return hashing_settings


def test_new_file_is_indexed_only_when_complete(
        indexed: Settings, hashing_embedder: Callable[[], Embedder]) -> None:
    path = indexed.seeds_dir / "banjir.txt"
    with Watcher(indexed, hashing_embedder) as w:
        # Written in two parts, with a pause shorter than `settle` between them.
        with open(path, "w", encoding="utf-8") as f:
            f.write(PART_ONE)
            f.flush()
            os.fsync(f.fileno())
            time.sleep(SETTLE / 2)
            f.write(PART_TWO)
        wait_for(lambda: "banjir.txt" in doc_ids(indexed.index_dir), 10, "the new article")
    assert not [e for e in w.errors if not isinstance(e, KabarError)], w.errors
    text = {a.doc_id: a.text for a in versions.load(indexed.index_dir).articles}["banjir.txt"]
    assert "Penutupan sementara" in text and "Sunda Kelapa" in text
    # No published version ever held the article half-written.
    with_it = [p["banjir.txt"] for p in w.published if "banjir.txt" in p]
    assert with_it and all("Penutupan sementara" in t for t in with_it)
    assert w.reports[0].added == 1 and w.reports[0].unchanged == 5


def test_edit_and_delete_are_picked_up(
        indexed: Settings, hashing_embedder: Callable[[], Embedder]) -> None:
    files = sorted(indexed.seeds_dir.glob("*.txt"))
    with Watcher(indexed, hashing_embedder) as w:
        files[0].unlink()
        wait_for(lambda: files[0].name not in doc_ids(indexed.index_dir), 10, "the removal")
        files[1].write_text(files[1].read_text(encoding="utf-8").replace("Suriah", "Libanon"),
                            encoding="utf-8")

        def edited() -> bool:
            data = versions.load(indexed.index_dir)
            return any(a.doc_id == files[1].name and "Libanon" in a.text for a in data.articles)

        wait_for(edited, 10, "the edit")
    assert sum(r.removed for r in w.reports) == 1 and sum(r.updated for r in w.reports) == 1


def test_rebuild_errors_do_not_end_the_watch(
        indexed: Settings, hashing_embedder: Callable[[], Embedder],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="retrieval.watch")
    version = versions.current_version(indexed.index_dir)
    moved = indexed.seeds_dir.parent / "moved"
    moved.mkdir()
    with Watcher(indexed, hashing_embedder) as w:
        for path in indexed.seeds_dir.glob("*.txt"):
            path.rename(moved / path.name)
        wait_for(lambda: bool(w.errors), 10, "the failed rebuild")
        assert versions.current_version(indexed.index_dir) == version  # nothing lost
        assert w.thread.is_alive()
        (indexed.seeds_dir / "kembali.txt").write_text(make_article(1), encoding="utf-8")
        wait_for(lambda: doc_ids(indexed.index_dir) == {"kembali.txt"}, 10, "the next rebuild")
    assert "no readable article" in caplog.text


def test_os_errors_do_not_end_the_watch(tmp_path: Path, seeds: Path,
                                        caplog: pytest.LogCaptureFixture) -> None:
    """A rebuild failing with an OSError (disk full, permissions) is logged; the watch goes on."""
    caplog.set_level(logging.ERROR, logger="retrieval.watch")
    calls: list[int] = []
    failures: list[BaseException] = []

    def rebuild() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise OSError(28, "No space left on device")

    stop = threading.Event()

    def run() -> None:
        try:
            watch(seeds, rebuild, settle=SETTLE, poll=POLL, stop=stop)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(0.3)
    try:
        (seeds / "a.txt").write_text(make_article(7), encoding="utf-8")
        wait_for(lambda: len(calls) == 1 or bool(failures), 10, "the first rebuild")
        time.sleep(0.1)
        (seeds / "b.txt").write_text(make_article(8), encoding="utf-8")
        wait_for(lambda: len(calls) == 2 or bool(failures), 10, "the second rebuild")
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not failures, f"the watch ended: {failures!r}"
    assert "No space left" in caplog.text


def test_stop_is_prompt(indexed: Settings, hashing_embedder: Callable[[], Embedder]) -> None:
    w = Watcher(indexed, hashing_embedder)
    w.thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    w.stop.set()
    w.thread.join(timeout=5)
    assert not w.thread.is_alive() and time.monotonic() - started < 2
    assert w.reports == [] and w.errors == []


def test_watch_a_folder_created_later(tmp_path: Path, hashing_embedder: Callable[[], Embedder]
                                      ) -> None:
    from conftest import make_settings

    settings = make_settings(tmp_path, tmp_path / "later")
    with Watcher(settings, hashing_embedder) as w:
        staging = tmp_path / "staging"
        staging.mkdir()
        (staging / "a.txt").write_text(make_article(5), encoding="utf-8")
        staging.rename(settings.seeds_dir)
        wait_for(lambda: doc_ids(settings.index_dir) == {"a.txt"}, 10, "the first build")
    assert w.reports and w.reports[0].added == 1


# --------------------------------------------------------------------------------------
# kabar index --watch
# --------------------------------------------------------------------------------------


class Proc:
    """A ``kabar`` subprocess whose output lines are read by background threads."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        assert KABAR is not None
        self.popen = subprocess.Popen([KABAR, *args], cwd=cwd, env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      preexec_fn=default_signals)
        self.out: queue.Queue[str] = queue.Queue()
        self.err: list[str] = []
        assert self.popen.stdout is not None and self.popen.stderr is not None
        threading.Thread(target=self._pump, args=(self.popen.stdout, self.out.put),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.popen.stderr, self.err.append),
                         daemon=True).start()

    @staticmethod
    def _pump(stream: Iterator[str], put: Callable[[str], None]) -> None:
        for line in stream:
            put(line)

    def next_line(self, timeout: float) -> str:
        try:
            return self.out.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"no output within {timeout} s; stderr: {''.join(self.err)}") from None

    def stderr(self) -> str:
        return "".join(self.err)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(timeout=10)


def status_articles(tmp_path: Path, seeds: Path) -> int:
    assert KABAR is not None
    result = subprocess.run([KABAR, "status", "--json"], cwd=tmp_path,
                            env=kabar_env(tmp_path, seeds), capture_output=True, text=True,
                            timeout=30, check=False)
    if result.returncode != 0:
        return -1
    return int(json.loads(result.stdout.splitlines()[-1])["articles"])


@needs_kabar
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_kabar_index_watch(tmp_path: Path, seeds: Path, sig: signal.Signals) -> None:
    proc = Proc(["index", "--watch", "--json"], tmp_path, kabar_env(tmp_path, seeds))
    try:
        first = json.loads(proc.next_line(timeout=30))
        assert first["added"] == 5
        wait_for(lambda: "Watching" in proc.stderr(), 10, "the watch to start")
        time.sleep(0.5)  # the watch takes its first look right after saying so
        (seeds / "banjir.txt").write_text(PART_ONE + PART_TWO, encoding="utf-8")
        second = json.loads(proc.next_line(timeout=20))
        assert (second["added"], second["unchanged"]) == (1, 5)
        assert status_articles(tmp_path, seeds) == 6
        proc.popen.send_signal(sig)
        code = proc.popen.wait(timeout=10)
    finally:
        proc.kill()
    if sig == signal.SIGINT:
        assert code == 0, proc.stderr()
        assert "Stopped watching" in proc.stderr()
        assert "Traceback" not in proc.stderr()
    else:
        assert code != 0
    assert status_articles(tmp_path, seeds) == 6


def test_kabar_index_watch_misses_nothing_saved_during_the_first_build(
        tmp_path: Path, seeds: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file saved while the first build runs (before the watch starts) gets indexed too.

    Runs the CLI in-process so the file can be saved at a known point: right after the first
    build has read the seeds, before the watch takes its first look at the folder.
    """
    import retrieval.building as watch_module
    from bot import cli
    from retrieval.building import indexer
    from retrieval.reading import corpus as ingest

    index_dir = tmp_path / "index"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KABAR_EMBEDDING_MODEL", "hashing:64")
    real_read, real_watch = ingest.read_corpus, watch_module.watch
    late = seeds / "late.txt"

    def read_then_save(seeds_dir: Path | str, *args: Any) -> ingest.Corpus:
        corpus = real_read(seeds_dir, *args)
        if not late.exists():
            late.write_text(PART_ONE + PART_TWO, encoding="utf-8")
        return corpus

    stop = threading.Event()

    def quick_watch(seeds_dir: Path, rebuild: Callable[[], None], **kwargs: Any) -> None:
        real_watch(seeds_dir, rebuild, settle=SETTLE, poll=POLL, stop=stop, **kwargs)

    monkeypatch.setattr(indexer, "read_corpus", read_then_save)
    monkeypatch.setattr(watch_module, "watch", quick_watch)
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(cli.main(
        ["index", "--watch", "--seeds", str(seeds), "--index", str(index_dir)])), daemon=True)
    thread.start()
    try:
        wait_for(lambda: versions.current_version(index_dir) is not None, 20, "the first build")
        assert late.exists() and "late.txt" not in doc_ids(index_dir)
        deadline = time.monotonic() + 10 * (SETTLE + POLL)
        while time.monotonic() < deadline and "late.txt" not in doc_ids(index_dir):
            time.sleep(0.05)
        assert "late.txt" in doc_ids(index_dir), (
            "kabar index --watch never indexed a file saved during its first build")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert codes == [0]
