"""The index on disk: plain files in versioned folders, published atomically.

Layout of an index folder::

    index/
      CURRENT                 name of the published version (replaced atomically)
      seeds-state.json        the seeds' file list (size, mtime) at the last build
      .lock                   held by the one build that may run at a time
      versions/<name>/
        manifest.json         format, model, dim, chunker settings, article hashes, file sums
        articles.jsonl        one cleaned article per line, with its metadata
        layout.npz            chunk and sentence offsets
        sentences.npy         sentence vectors (float16)
        dense.faiss           chunk vectors in a FAISS inner-product index
        bm25.npz, bm25_vocab.json

A build writes a new version folder beside the published one, syncs it, and only then
replaces ``CURRENT``; a process killed at any point leaves the previous version published
and whole. Every file's size and SHA-256 are in the manifest and checked on load.

Loading reads each file of a version once into memory and checks its checksum on those
bytes, which are then parsed: nothing is memory-mapped, so a file truncated or rewritten
by someone else while a bot serves it cannot crash the process (a mapped page that
vanishes raises SIGBUS), and what is served is exactly what was verified. ``CURRENT`` must
name a version of the expected shape; anything else is reported as damage, which plain
``kabar index`` repairs by rebuilding. A write that fails (disk full, quota, read-only
file system) removes its temporary folder and leaves the published version as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import (
    ConfigError,
    CorruptIndexError,
    IndexMismatchError,
    IndexWriteError,
    NoIndexError,
)
from retrieval.store.bm25 import BM25Index
from retrieval.types import ArticleMeta, IndexInfo

FORMAT_VERSION = 1
_CURRENT = "CURRENT"
_VERSIONS = "versions"
_KEEP_OLD = 1  # older versions kept besides the published one, for readers still loading
#: The shape of a version name (``v20240224T203500123456-1a2b3c``): ``CURRENT`` must hold one.
_VERSION_NAME = re.compile(r"v\d{8}T\d{12}-[0-9a-f]{6}")
#: A file named in a manifest: a plain name inside the version folder.
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_REBUILD = "run `kabar index` to rebuild it"


@dataclass(frozen=True)
class StoredArticle:
    """An indexed article with where its sentences and chunks sit in the index arrays."""

    doc_id: str
    paths: tuple[str, ...]
    text: str
    meta: ArticleMeta
    content_hash: str
    sent_lo: int
    sent_hi: int
    chunk_lo: int
    chunk_hi: int
    lang: str = "id"  # the article's language, which decides how its words are stemmed


@dataclass(frozen=True)
class Layout:
    """Offsets of every chunk and sentence (parallel int32 arrays).

    Chunk ``i`` is ``articles[chunk_article[i]].text[chunk_start[i]:chunk_end[i]]`` and holds
    sentences ``chunk_slo[i]`` to ``chunk_shi[i] - 1``.
    """

    chunk_article: np.ndarray
    chunk_start: np.ndarray
    chunk_end: np.ndarray
    chunk_slo: np.ndarray
    chunk_shi: np.ndarray
    sent_article: np.ndarray
    sent_start: np.ndarray
    sent_end: np.ndarray


@dataclass(frozen=True)
class IndexData:
    """A loaded index version."""

    version: str
    manifest: dict[str, Any]
    articles: tuple[StoredArticle, ...]
    layout: Layout
    sentence_vectors: np.ndarray
    dense: Any  # faiss.Index; faiss ships no type information
    bm25: BM25Index

    @property
    def num_chunks(self) -> int:
        """Number of chunks."""
        return len(self.layout.chunk_start)

    def info(self) -> IndexInfo:
        """What this version holds, for ``kabar status``, ``/status`` and ``/start``."""
        manifest = self.manifest
        return IndexInfo(
            version=self.version, articles=len(self.articles), chunks=self.num_chunks,
            model=str(manifest.get("model")), dim=int(manifest.get("dim", 0)),
            newest_date=manifest.get("newest_date"), built_at=str(manifest.get("built_at")),
        )

    def chunk_text(self, i: int) -> str:
        """Text of chunk ``i``."""
        lay = self.layout
        return self.articles[lay.chunk_article[i]].text[lay.chunk_start[i]:lay.chunk_end[i]]

    def sentence_text(self, j: int) -> str:
        """Text of sentence ``j``."""
        lay = self.layout
        return self.articles[lay.sent_article[j]].text[lay.sent_start[j]:lay.sent_end[j]]

    def chunk_vectors(self) -> np.ndarray:
        """All chunk vectors, read from the FAISS index's own storage (no copy)."""
        import faiss

        flat: Any = self.dense if isinstance(self.dense, faiss.IndexFlat) else \
            faiss.downcast_index(self.dense.storage)
        n, d = flat.ntotal, flat.d
        if n == 0:
            return np.zeros((0, d), dtype=np.float32)
        return faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)


def current_version(index_dir: Path) -> str | None:
    """Name of the published version, or ``None`` when nothing is published.

    Raises:
        ConfigError: ``index_dir`` is a file, not a folder.
        CorruptIndexError: ``CURRENT`` cannot be read or does not name a version.
    """
    _check_folder(index_dir)
    path = index_dir / _CURRENT
    try:
        raw = path.read_bytes()[:200]
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptIndexError(f"{path} cannot be read ({exc.strerror or exc}) — {_REBUILD}") \
            from None
    name = raw.decode("ascii", "replace").strip()
    if not name:
        return None
    if not _VERSION_NAME.fullmatch(name) or (index_dir / _VERSIONS / name).is_symlink():
        raise CorruptIndexError(f"{path} is damaged (it names no index version) — {_REBUILD}")
    return name


def _check_folder(index_dir: Path) -> None:
    if index_dir.exists() and not index_dir.is_dir():
        raise ConfigError(
            f"the index path {index_dir} is a file, not a folder — point --index or "
            "KABAR_INDEX_DIR at a folder (it is created when missing)")


def read_manifest(index_dir: Path, version: str | None = None) -> dict[str, Any]:
    """Read the manifest of ``version`` (default: the published one).

    Raises:
        NoIndexError: Nothing is published in ``index_dir``.
        CorruptIndexError: The manifest is missing, unreadable or malformed.
    """
    version = version or current_version(index_dir)
    if version is None:
        raise NoIndexError(f"no index at {index_dir}/ — run `kabar index` to build it")
    path = index_dir / _VERSIONS / version / "manifest.json"
    try:
        manifest = json.loads(_read_bytes(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptIndexError(f"{path} is corrupt ({exc}) — {_REBUILD}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not files or not all(
            isinstance(v, dict) and _FILE_NAME.fullmatch(str(k)) for k, v in files.items()):
        raise CorruptIndexError(f"{path} is not a Kabar manifest — {_REBUILD}")
    return manifest


def check_compatible(manifest: dict[str, Any], model_id: str | None, index_dir: Path) -> None:
    """Raise :class:`IndexMismatchError` when the index cannot serve ``model_id``."""
    fmt = manifest.get("format_version")
    if fmt != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index at {index_dir}/ has format {fmt}, this Kabar reads format "
            f"{FORMAT_VERSION} — run `kabar index --full` to rebuild it"
        )
    if model_id is not None and manifest.get("model") != model_id:
        raise IndexMismatchError(
            f"the index at {index_dir}/ was built with the model {manifest.get('model')!r} "
            f"but KABAR_EMBEDDING_MODEL is {model_id!r} — run `kabar index` to rebuild it "
            "with the configured model, or set KABAR_EMBEDDING_MODEL back"
        )


def load(index_dir: Path, model_id: str | None = None, version: str | None = None) -> IndexData:
    """Load and verify the published index version, wholly into memory.

    Args:
        index_dir: The index folder.
        model_id: When given, the model the index must have been built with.
        version: A specific version to load instead of the published one.

    Returns:
        The loaded index.

    Raises:
        NoIndexError: No index has been built.
        IndexMismatchError: Another model or format; the message says how to rebuild.
        CorruptIndexError: A file is missing, truncated or altered.
    """
    import faiss

    version = version or current_version(index_dir)
    manifest = read_manifest(index_dir, version)
    assert version is not None  # read_manifest raised otherwise
    check_compatible(manifest, model_id, index_dir)
    blobs = _read_verified(index_dir / _VERSIONS / version, manifest)
    try:
        articles = tuple(_parse_articles(blobs["articles.jsonl"]))
        with np.load(io.BytesIO(blobs["layout.npz"])) as z:
            layout = Layout(**{name: z[name] for name in Layout.__dataclass_fields__})
        vectors = _npy_view(blobs.pop("sentences.npy"))
        dense = faiss.deserialize_index(np.frombuffer(blobs.pop("dense.faiss"), dtype=np.uint8))
        bm25 = BM25Index.from_files(blobs)
    except Exception as exc:  # the checksums passed, so this is a bug or a foreign file
        raise CorruptIndexError(
            f"could not read index version {version} in {index_dir}/ ({exc}) — {_REBUILD}"
        ) from exc
    data = IndexData(version, manifest, articles, layout, vectors, dense, bm25)
    if dense.ntotal != data.num_chunks or bm25.num_docs != data.num_chunks:
        raise CorruptIndexError(
            f"index version {version} in {index_dir}/ is inconsistent (chunk counts differ) "
            f"— {_REBUILD}"
        )
    return data


def write_version(
    index_dir: Path,
    manifest: dict[str, Any],
    articles: list[StoredArticle],
    layout: Layout,
    sentence_vectors: np.ndarray,
    dense: Any,
    bm25: BM25Index,
) -> str:
    """Write a complete new version and publish it atomically.

    Returns:
        The new version's name.

    Raises:
        IndexWriteError: The disk is full, the quota exceeded or the folder not writable;
            the temporary folder is removed and the published version stays as it was.
    """
    import faiss

    blobs: dict[str, bytes] = {
        "articles.jsonl": "".join(json.dumps(_article_row(a)) + "\n" for a in articles)
        .encode("utf-8"),
        "layout.npz": _npz_bytes({k: getattr(layout, k) for k in Layout.__dataclass_fields__}),
        "sentences.npy": _npy_bytes(np.asarray(sentence_vectors, dtype=np.float16)),
        "dense.faiss": faiss.serialize_index(dense).tobytes(),
        **bm25.to_files(),
    }
    stamp = dt.datetime.now(dt.UTC)
    name = f"v{stamp:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}"  # sorts in build order
    manifest = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "version": name,
        "built_at": stamp.isoformat(timespec="seconds"),
        "files": {f: {"size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                  for f, b in blobs.items()},
    }
    blobs["manifest.json"] = json.dumps(manifest, indent=1).encode("utf-8")
    versions = index_dir / _VERSIONS
    tmp, final = versions / f".tmp-{name}", versions / name
    try:
        _make_folder(versions)
        tmp.mkdir()
        for file_name, data in blobs.items():
            _write_synced(tmp / file_name, data)
        os.replace(tmp, final)
        _fsync_dir(versions)
        _replace_text(index_dir / _CURRENT, name + "\n")
    except BaseException as exc:
        # Nothing half-written may stay behind to fill the disk; the published version was
        # never touched (CURRENT is replaced last, atomically).
        for leftover in (tmp, final):
            shutil.rmtree(leftover, ignore_errors=True)
        if isinstance(exc, OSError):
            raise write_error(exc, index_dir) from None
        raise
    _collect_garbage(index_dir, keep=name)
    return name


def write_error(exc: OSError, index_dir: Path) -> IndexWriteError:
    """A one-line error for a failed write into ``index_dir`` that names the fix."""
    kept = "; the published index is unchanged"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what = "the disk is full" if exc.errno == errno.ENOSPC else "the disk quota is exceeded"
        return IndexWriteError(
            f"could not write the index in {index_dir}/: {what} — free some space and run "
            f"`kabar index` again{kept}")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return IndexWriteError(
            f"cannot write to the index folder {index_dir}/ ({exc.strerror}) — make it "
            f"writable, or point --index or KABAR_INDEX_DIR at a writable folder{kept}")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return IndexWriteError(
            f"cannot create the index folder {index_dir}/ ({exc.strerror}: {exc.filename}) — "
            "point --index or KABAR_INDEX_DIR at a folder")
    return IndexWriteError(
        f"could not write the index in {index_dir}/ ({exc.strerror or exc}) — check the "
        f"folder and run `kabar index` again{kept}")


def read_seeds_state(index_dir: Path) -> dict[str, Any] | None:
    """The seeds' file list recorded at the last build, or ``None`` (also when damaged)."""
    try:
        state = json.loads((index_dir / "seeds-state.json").read_bytes())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def write_seeds_state(index_dir: Path, state: dict[str, Any]) -> None:
    """Record the seeds' file list (atomically).

    Raises:
        IndexWriteError: It could not be written.
    """
    try:
        _replace_text(index_dir / "seeds-state.json", json.dumps(state))
    except OSError as exc:
        raise write_error(exc, index_dir) from None


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's build lock; a second build waits for the first one.

    Raises:
        ConfigError: ``index_dir`` is a file.
        IndexWriteError: The folder cannot be created or is not writable.
    """
    _check_folder(index_dir)
    try:
        _make_folder(index_dir)
        lock_file = open(index_dir / ".lock", "a+")  # noqa: SIM115
    except OSError as exc:
        raise write_error(exc, index_dir) from None
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            # Leftovers of a build that was killed: nobody else can be writing them now.
            versions = index_dir / _VERSIONS
            if versions.is_dir():
                for stale in versions.glob(".tmp-*"):
                    shutil.rmtree(stale, ignore_errors=True)
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _make_folder(path: Path) -> None:
    """Create ``path``; a stray file where the folder belongs (damage) is replaced."""
    if path.exists() and not path.is_dir() and path.name == _VERSIONS:
        path.unlink()
    path.mkdir(parents=True, exist_ok=True)


def _article_row(a: StoredArticle) -> dict[str, Any]:
    return {
        "doc_id": a.doc_id, "paths": list(a.paths), "hash": a.content_hash,
        "title": a.meta.title, "outlet": a.meta.outlet, "place": a.meta.place,
        "date": a.meta.date, "date_text": a.meta.date_text,
        "sent": [a.sent_lo, a.sent_hi], "chunk": [a.chunk_lo, a.chunk_hi], "lang": a.lang,
        "text": a.text,
    }


def _parse_articles(data: bytes) -> Iterator[StoredArticle]:
    for line in data.decode("utf-8").splitlines():
        row = json.loads(line)
        yield StoredArticle(
            doc_id=row["doc_id"], paths=tuple(row["paths"]), text=row["text"],
            meta=ArticleMeta(row["title"], row["outlet"], row["place"], row["date"],
                             row["date_text"]),
            content_hash=row["hash"], sent_lo=row["sent"][0], sent_hi=row["sent"][1],
            chunk_lo=row["chunk"][0], chunk_hi=row["chunk"][1],
            lang=row.get("lang", "id"),
        )


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def _npy_view(data: bytes) -> np.ndarray:
    """An ``.npy`` file's array as a read-only view of its bytes (no second copy)."""
    buffer = io.BytesIO(data)
    fmt = np.lib.format
    major, _ = fmt.read_magic(buffer)
    read_header = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
    shape, fortran, dtype = read_header(buffer)
    array = np.frombuffer(data, dtype=dtype, offset=buffer.tell(),
                          count=int(np.prod(shape, dtype=np.int64)))
    return array.reshape(shape, order="F" if fortran else "C")


def verify(index_dir: Path, version: str, manifest: dict[str, Any]) -> None:
    """Check every file of a version against the sizes and checksums in its manifest.

    Raises:
        CorruptIndexError: A file is missing, truncated or altered.
    """
    _read_verified(index_dir / _VERSIONS / version, manifest)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CorruptIndexError(f"{path} is missing — {_REBUILD}") from None
    except OSError as exc:
        raise CorruptIndexError(f"{path} cannot be read ({exc.strerror or exc}) — {_REBUILD}") \
            from None


def _read_verified(folder: Path, manifest: dict[str, Any]) -> dict[str, bytes]:
    """Every file of a version, read once and checked against the manifest."""
    blobs: dict[str, bytes] = {}
    for name, expected in manifest["files"].items():
        path = folder / name
        data = _read_bytes(path)
        if len(data) != expected.get("size"):
            raise CorruptIndexError(
                f"{path} is truncated or altered ({len(data)} bytes, expected "
                f"{expected.get('size')}) — {_REBUILD}")
        if hashlib.sha256(data).hexdigest() != expected.get("sha256"):
            raise CorruptIndexError(f"{path} is corrupt (checksum mismatch) — {_REBUILD}")
        blobs[name] = data
    return blobs


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _write_synced(tmp, text.encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _collect_garbage(index_dir: Path, keep: str) -> None:
    try:
        versions = sorted(
            (p for p in (index_dir / _VERSIONS).iterdir()
             if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.name,
        )
    except OSError:
        return  # old versions only cost space; the next build tries again
    old = [p for p in versions if p.name != keep]
    for stale in old[: max(0, len(old) - _KEEP_OLD)]:
        shutil.rmtree(stale, ignore_errors=True)
