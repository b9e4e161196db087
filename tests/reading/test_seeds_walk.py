"""Walking the seeds folder: no link followed at any step, however the folder changes during a
build, and no depth that stops a build.

The races are made deterministic: the swap of a sub-folder for a link happens exactly between
listing a folder and opening its sub-folder, or between the scan and the read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import KABAR, default_signals, kabar_env

from retrieval.reading import corpus, files, read_corpus, walk

SUFFIXES = frozenset({".txt", ".md"})
SECRET = "zebrakuning42"
STORY = ("Petani Gayo Panen Kopi\n\nPara petani kopi di Gayo memanen biji kopi arabika pada "
         "bulan Oktober setiap tahun.\n")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the seeds holding a file with the name of one inside."""
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "story.txt").write_text(f"Kata sandi server adalah {SECRET}. Sandi {SECRET} "
                                      "dimediasi oleh admin.\n", encoding="utf-8")
    return folder


@pytest.fixture
def with_sub(seeds: Path) -> Path:
    (seeds / "sub").mkdir()
    (seeds / "sub" / "story.txt").write_text(STORY, encoding="utf-8")
    return seeds


def swap_for_link(folder: Path, target: Path) -> None:
    """Replace ``folder`` by a link to ``target`` (what an attacker does mid-build)."""
    shutil.rmtree(folder)
    folder.symlink_to(target, target_is_directory=True)


def test_a_folder_swapped_for_a_link_while_walking_is_not_entered(
        with_sub: Path, outside: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = walk._open_child

    def swap_then_open(parent_fd: int, name: str) -> int:
        if name == "sub":  # listed as a folder; now a link, just before it is opened
            swap_for_link(with_sub / "sub", outside)
        return original(parent_fd, name)

    monkeypatch.setattr(walk, "_open_child", swap_then_open)
    listing = files.scan(with_sub, SUFFIXES)
    assert [e.rel for e in listing.entries if e.rel.startswith("sub")] == []
    (notice,) = [s for s in listing.skipped if s.path == "sub"]
    assert "no longer a folder" in notice.reason and "not followed" in notice.reason
    assert len(listing.entries) == 5


def test_a_folder_swapped_for_a_link_between_scan_and_read_is_not_read(
        with_sub: Path, outside: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scan = files.scan

    def scan_then_swap(root: Path, suffixes: frozenset[str]) -> files.Listing:
        listing = scan(root, suffixes)
        if (with_sub / "sub").is_dir() and not (with_sub / "sub").is_symlink():
            swap_for_link(with_sub / "sub", outside)
        return listing

    monkeypatch.setattr(corpus.files, "scan", scan_then_swap)
    found = read_corpus(with_sub)
    assert SECRET not in " ".join(a.text for a in found.articles)
    assert "Gayo" not in " ".join(a.text for a in found.articles)
    (skipped,) = [s for s in found.skipped if s.path == "sub/story.txt"]
    assert "unreadable" in skipped.reason


def test_read_entry_refuses_a_link_anywhere_on_the_way(with_sub: Path, outside: Path) -> None:
    (entry,) = [e for e in files.scan(with_sub, SUFFIXES).entries if e.rel == "sub/story.txt"]
    assert files.read_entry(entry)[0].decode("utf-8") == STORY
    swap_for_link(with_sub / "sub", outside)
    with pytest.raises(OSError):
        files.read_entry(entry)


def test_a_link_inside_the_folder_is_read_from_its_target(with_sub: Path, outside: Path) -> None:
    (with_sub / "latest.txt").symlink_to("sub/story.txt")
    (entry,) = [e for e in files.scan(with_sub, SUFFIXES).entries if e.rel == "latest.txt"]
    assert entry.target == "sub/story.txt"
    swap_for_link(with_sub / "sub", outside)  # the target's folder, now a link
    with pytest.raises(OSError):
        files.read_entry(entry)


def test_links_to_folders_are_never_entered(seeds: Path, outside: Path) -> None:
    (seeds / "elsewhere").symlink_to(outside, target_is_directory=True)
    (seeds / "loop").symlink_to(seeds, target_is_directory=True)
    listing = files.scan(seeds, SUFFIXES)
    assert len(listing.entries) == 5
    assert not any(e.rel.startswith(("elsewhere", "loop")) for e in listing.entries)


def deep_folder(base: Path, depth: int) -> Path:
    """``base/d/d/.../d`` with ``depth`` levels, made one level at a time (short paths)."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w",
                  encoding="utf-8") as out:
            out.write(STORY)
    finally:
        os.close(fd)
    return base / "d"


@pytest.fixture
def deep_seeds(seeds: Path) -> Path:
    deep_folder(seeds, 1000)
    (seeds / "d" / "d" / "near.txt").write_text(STORY.replace("Gayo", "Toraja"),
                                                encoding="utf-8")
    yield seeds
    # Python 3.11's rmtree recurses once per level; remove the tree with rm instead.
    subprocess.run(["rm", "-rf", str(seeds / "d")], check=True)


def test_a_folder_1000_levels_deep_is_cut_at_the_limit_with_one_notice(deep_seeds: Path) -> None:
    listing = files.scan(deep_seeds, SUFFIXES)
    assert "d/d/near.txt" in [e.rel for e in listing.entries]
    assert not any(e.rel.endswith("deep.txt") for e in listing.entries)
    (notice,) = [s for s in listing.skipped if s.path.startswith("d/")]
    assert notice.path == "/".join(["d"] * (walk.MAX_DEPTH + 1))
    assert f"more than {walk.MAX_DEPTH} folders deep" in notice.reason
    found = read_corpus(deep_seeds)
    assert any("Toraja" in a.text for a in found.articles)


def test_the_walk_keeps_few_descriptors_open(deep_seeds: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    folders = walk.walk(deep_seeds)
    deepest = max((f for f in folders if isinstance(f, walk.Folder)),
                  key=lambda f: f.rel.count("/"))
    assert deepest.rel.count("/") == walk.MAX_DEPTH - 1
    assert len(os.listdir("/proc/self/fd")) == before  # all closed at the end


def test_open_under_refuses_paths_leaving_the_folder(seeds: Path) -> None:
    for rel in ("../x.txt", "a/../../x.txt", "", "/etc/passwd"):
        with pytest.raises(OSError):
            walk.open_under(seeds, rel)


@pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")
def test_kabar_index_builds_over_a_1000_deep_folder(tmp_path: Path, deep_seeds: Path) -> None:
    assert KABAR is not None
    result = subprocess.run([KABAR, "index"], cwd=tmp_path, env=kabar_env(tmp_path, deep_seeds),
                            capture_output=True, text=True, timeout=120, check=False,
                            preexec_fn=default_signals)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Indexed 6 articles" in result.stdout
    (line,) = [x for x in result.stderr.splitlines() if "folders deep" in x]
    assert line.startswith("kabar: warning: skipped d/d/")


def test_watching_a_1000_deep_folder_falls_back_to_polling(deep_seeds: Path) -> None:
    from retrieval.building.watch import _start_observer

    observer = _start_observer(deep_seeds, threading.Event())  # must not raise
    if observer is not None:  # a watchdog that walks iteratively: it watches
        observer.stop()
        observer.join(10)
