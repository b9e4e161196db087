"""Listing and safely reading the files of a seeds folder.

A seeds folder is untrusted input: it may hold links to files outside it (``/etc/passwd``),
FIFOs and devices that block or never end, huge dumps and text in legacy encodings. Only
these are read:

- regular files with an article suffix, and links whose final target is a regular file
  *inside* the seeds folder (links that leave it are skipped, so nothing outside the folder
  can reach an answer);
- at most ``max_bytes`` of each file, so memory stays bounded whatever the folder holds: a
  longer text file is cut at a line end (with a warning); a file of a format that cannot be
  cut (a zip, such as ``.docx``) is not read at all (:class:`OverCap`).

FIFOs, sockets and devices are skipped with a warning and never opened for reading; a file
is opened with ``O_NONBLOCK`` and checked again on the open descriptor, so one swapped for a
FIFO between listing and reading cannot hang a build. Folders are walked, and files opened,
relative to open folder descriptors without following any link (:mod:`.walk`), so a folder
swapped for a link during a build cannot bring a file from outside in.

Text that is not UTF-8 is decoded with the encoding charset-normalizer detects, when the
detection is clear (a low "mess" score and text that reads as words); otherwise the file is
skipped.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from retrieval.errors import SeedsError
from retrieval.reading.walk import Unread, open_under, walk

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FileEntry",
    "Listing",
    "OverCap",
    "Skipped",
    "decode",
    "kinds",
    "read_entry",
    "scan",
]

#: Files larger than this are cut (``KABAR_MAX_FILE_MB``); news articles are a few kB.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: How far back from the cap a line end is looked for when a long file is cut.
_CUT_WINDOW = 64 * 1024
#: A legacy encoding is trusted only when charset-normalizer finds little "mess" ...
_MAX_CHAOS = 0.1
#: ... and the decoded text is made of words: this share of its non-space characters are
#: letters, digits or ordinary punctuation, and it holds at least this many words.
_MIN_WORDY_SHARE = 0.9
_MIN_WORDS = 3


class OverCap(Exception):
    """A file over the size cap whose format cannot be cut; it is skipped whole."""


@dataclass(frozen=True)
class Skipped:
    """A file that was not read as an article, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class FileEntry:
    """A file that may be read as an article.

    Attributes:
        rel: Its path relative to the seeds folder, with POSIX separators.
        root: The seeds folder.
        target: What to open, relative to ``root``: ``rel`` itself, or a link's target
            inside the folder (a path without links at the time of the scan).
        size: Size in bytes.
        mtime_ns: Modification time of the file (of the link's target for a link).
    """

    rel: str
    root: Path
    target: str
    size: int
    mtime_ns: int

    @property
    def path(self) -> Path:
        """The file's path (for messages and tests; reading never follows it blindly)."""
        return self.root / self.target


@dataclass(frozen=True)
class Listing:
    """What :func:`scan` found.

    Attributes:
        entries: The files to read, sorted by ``rel``.
        skipped: Entries that will not be read (special files, links leaving the folder),
            sorted by path, with lstat-based stamps in ``stamps`` so that adding one is
            noticed as a change of the folder.
        stamps: ``rel -> (size, mtime_ns)`` of every entry and skipped entry.
    """

    entries: tuple[FileEntry, ...]
    skipped: tuple[Skipped, ...]
    stamps: dict[str, tuple[int, int]]


def kinds(suffixes: Collection[str]) -> str:
    """The article suffixes for a message, in the given order: ``".txt, .md or .html"``."""
    names = list(suffixes)
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


def _check_folder(root: Path, suffixes: Collection[str]) -> None:
    if not root.exists():
        raise SeedsError(
            f"seeds folder {root} does not exist — create it and put {kinds(suffixes)} "
            "articles in it, or pass --seeds DIR"
        )
    if not root.is_dir():
        raise SeedsError(
            f"seeds path {root} is not a folder — point --seeds at a folder of "
            f"{kinds(suffixes)} articles"
        )


def scan(seeds_dir: Path | str, suffixes: Collection[str]) -> Listing:
    """List the article files of a seeds folder without reading them.

    Every file with one of ``suffixes`` (lower case with the dot; the file's in any case)
    under the folder, in sub-folders too, is considered; names starting with ``"."`` and
    everything inside such folders are ignored. Folders are walked without following any
    link (:mod:`.walk`): links to folders are never entered, and a folder swapped for a link
    while the walk runs is reported, not entered. Folders more than
    :data:`~retrieval.reading.walk.MAX_DEPTH` levels down are reported and not read.

    Args:
        seeds_dir: The seeds folder.

    Returns:
        The readable entries and the skipped ones.

    Raises:
        SeedsError: The folder does not exist or is not a folder.
    """
    root = Path(seeds_dir)
    _check_folder(root, suffixes)
    real_root = Path(os.path.realpath(root))
    entries: list[FileEntry] = []
    skipped: list[Skipped] = []
    stamps: dict[str, tuple[int, int]] = {}
    for folder in walk(root):
        if isinstance(folder, Unread):
            skipped.append(Skipped(_shown_name(folder.rel), folder.reason))
            continue
        for item in folder.items:
            name = item.name
            if os.path.splitext(name)[1].lower() not in suffixes:
                continue
            rel = f"{folder.rel}/{name}" if folder.rel else name
            found = _entry(rel, item, root, real_root) if _valid_name(rel) else Skipped(
                _shown_name(rel), "its name is not valid UTF-8 (rename the file)")
            if found is None:
                continue
            if isinstance(found, Skipped):
                skipped.append(found)
                stamps[found.path] = _lstamp(item)
            else:
                entries.append(found)
                stamps[rel] = (found.size, found.mtime_ns)
    entries.sort(key=lambda e: e.rel)
    skipped.sort(key=lambda s: s.path)
    return Listing(tuple(entries), tuple(skipped), dict(sorted(stamps.items())))


def _valid_name(rel: str) -> bool:
    """Whether a path decoded from the file system is real text (no surrogate escapes)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown_name(rel: str) -> str:
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _lstamp(item: os.DirEntry[str]) -> tuple[int, int]:
    try:
        info = item.stat(follow_symlinks=False)
    except OSError:
        return (-1, -1)
    return (info.st_size, info.st_mtime_ns)


def _entry(rel: str, item: os.DirEntry[str], root: Path, real_root: Path
           ) -> FileEntry | Skipped | None:
    """A readable entry for a listed file, why it is skipped, or ``None`` (a sub-folder)."""
    try:
        info = item.stat(follow_symlinks=False)
    except OSError as exc:
        return Skipped(rel, f"unreadable ({exc.strerror or exc})")
    target = rel
    if stat.S_ISLNK(info.st_mode):
        # Where the link leads is only used to pick the file inside the folder to open;
        # read_entry opens it again from the seeds folder following no link, so a swap made
        # after this look-up cannot lead outside.
        real = Path(os.path.realpath(real_root / rel))
        if not real.is_relative_to(real_root):
            return Skipped(rel, "a link to a file outside the seeds folder (not followed)")
        try:
            info = real.stat()
        except OSError as exc:
            return Skipped(rel, f"a broken link ({exc.strerror or exc})")
        target = real.relative_to(real_root).as_posix()
    if stat.S_ISDIR(info.st_mode):
        return None
    kind = _special_kind(info.st_mode)
    if kind is not None:
        return Skipped(rel, f"{kind}, not a regular file")
    return FileEntry(rel, root, target, info.st_size, info.st_mtime_ns)


def _special_kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"


def read_entry(entry: FileEntry, max_bytes: int = DEFAULT_MAX_BYTES, *,
               cuttable: bool = True) -> tuple[bytes, bool]:
    """Read at most ``max_bytes`` of a listed file, without blocking on special files.

    Args:
        entry: From :func:`scan`.
        max_bytes: The cap; a longer file is cut at the last line end before it.
        cuttable: Whether the file's format may be cut (text); if not, a longer file is
            not read at all.

    Returns:
        ``(data, cut)``: the bytes read and whether the file was longer than the cap.

    Raises:
        OverCap: The file is longer than the cap and may not be cut.
        OSError: The file cannot be opened or read, a folder on its way is now a link, or
            it is no longer a regular file (then ``errno`` is ``EINVAL``).
    """
    if not cuttable and entry.size > max_bytes:  # known from the scan: nothing to open
        raise OverCap(entry.rel)
    fd = open_under(entry.root, entry.target)
    try:
        info = os.fstat(fd)
        kind = _special_kind(info.st_mode)
        if kind is not None:  # swapped since the scan
            raise OSError(22, f"{kind}, not a regular file")
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            block = os.read(fd, min(remaining, 1 << 20))
            if not block:
                break
            chunks.append(block)
            remaining -= len(block)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) <= max_bytes:
        return data, False
    if not cuttable:  # grew past the cap since the scan
        raise OverCap(entry.rel)
    data = data[:max_bytes]
    # Cut at a line end (a byte that never occurs inside a UTF-8 character) when one is near.
    newline = data.rfind(b"\n", max(0, max_bytes - _CUT_WINDOW))
    return (data[: newline + 1] if newline >= 0 else data), True


def decode(data: bytes) -> tuple[str, str] | None:
    """Decode article bytes to text with ``\\n`` line ends.

    UTF-8 (with or without a BOM) is tried first. Otherwise the encoding is detected with
    charset-normalizer and accepted only when the result clearly reads as text.

    Args:
        data: The file's bytes.

    Returns:
        ``(text, encoding)``, or ``None`` when the bytes are not clearly text.
    """
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        found = _detect(data)
        if found is None:
            return None
        text, encoding = found
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text, encoding


def _detect(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    # Indonesian and English news in a legacy encoding is nearly always Windows-1252 (or its
    # subset Latin-1), which detection alone confuses with Central European code pages that
    # decode plain letters the same ("très" -> "trčs"): it is tried first.
    for isolation in (["cp1252"], None):
        best = from_bytes(data, cp_isolation=isolation).best()
        if best is not None and best.chaos <= _MAX_CHAOS and _reads_as_text(str(best)):
            return str(best), best.encoding
    return None


def _reads_as_text(text: str) -> bool:
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return False
    wordy = sum(c.isalnum() or c in ".,;:!?'\"()-–—/%&“”‘’" for c in visible)
    words = sum(1 for w in text.split() if sum(c.isalpha() for c in w) >= 2)
    return wordy >= _MIN_WORDY_SHARE * len(visible) and words >= _MIN_WORDS
