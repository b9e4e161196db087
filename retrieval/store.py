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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.bm25 import BM25Index
from retrieval.errors import CorruptIndexError, IndexMismatchError, NoIndexError
from retrieval.types import ArticleMeta, IndexInfo

FORMAT_VERSION = 1
_CURRENT = "CURRENT"
_VERSIONS = "versions"
_KEEP_OLD = 1  # older versions kept besides the published one, for readers still loading


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
    """Name of the published version, or ``None`` when nothing is published."""
    try:
        name = (index_dir / _CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def read_manifest(index_dir: Path, version: str | None = None) -> dict[str, Any]:
    """Read the manifest of ``version`` (default: the published one).

    Raises:
        NoIndexError: Nothing is published in ``index_dir``.
        CorruptIndexError: The manifest is missing or unreadable.
    """
    version = version or current_version(index_dir)
    if version is None:
        raise NoIndexError(f"no index at {index_dir}/ — run `kabar index` to build it")
    path = index_dir / _VERSIONS / version / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorruptIndexError(
            f"the published index version {version} has no manifest at {path} — "
            "run `kabar index --full` to rebuild"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptIndexError(
            f"{path} is corrupt ({exc}) — run `kabar index --full` to rebuild"
        ) from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        raise CorruptIndexError(
            f"{path} is not a Kabar manifest — run `kabar index --full` to rebuild")
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
    """Load and verify the published index version.

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
    folder = index_dir / _VERSIONS / version
    _verify_files(folder, manifest)
    try:
        articles = tuple(_read_articles(folder / "articles.jsonl"))
        with np.load(folder / "layout.npz") as z:
            layout = Layout(**{name: z[name] for name in Layout.__dataclass_fields__})
        vectors = np.load(folder / "sentences.npy", mmap_mode="r")
        dense = faiss.read_index(str(folder / "dense.faiss"))
        bm25 = BM25Index.load(folder)
    except Exception as exc:  # the checksums passed, so this is a bug or a foreign file
        raise CorruptIndexError(
            f"could not read index version {version} in {index_dir}/ ({exc}) — "
            "run `kabar index --full` to rebuild"
        ) from exc
    data = IndexData(version, manifest, articles, layout, vectors, dense, bm25)
    if dense.ntotal != data.num_chunks or bm25.num_docs != data.num_chunks:
        raise CorruptIndexError(
            f"index version {version} in {index_dir}/ is inconsistent (chunk counts differ) "
            "— run `kabar index --full` to rebuild"
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
    """
    import faiss

    versions = index_dir / _VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC)
    name = f"v{stamp:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}"  # sorts in build order
    tmp = versions / f".tmp-{name}"
    tmp.mkdir()
    with open(tmp / "articles.jsonl", "w", encoding="utf-8") as out:
        for a in articles:
            out.write(json.dumps(_article_row(a), ensure_ascii=False) + "\n")
    np.savez(tmp / "layout.npz", **{k: getattr(layout, k) for k in Layout.__dataclass_fields__})
    np.save(tmp / "sentences.npy", np.asarray(sentence_vectors, dtype=np.float16))
    faiss.write_index(dense, str(tmp / "dense.faiss"))
    files = ["articles.jsonl", "layout.npz", "sentences.npy", "dense.faiss", *bm25.save(tmp)]
    manifest = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "version": name,
        "built_at": stamp.isoformat(timespec="seconds"),
        "files": {f: {"size": (tmp / f).stat().st_size, "sha256": _sha256(tmp / f)}
                  for f in files},
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                       encoding="utf-8")
    for file_name in [*files, "manifest.json"]:
        _fsync(tmp / file_name)
    os.replace(tmp, versions / name)
    _fsync_dir(versions)
    _replace_text(index_dir / _CURRENT, name + "\n")
    _collect_garbage(index_dir, keep=name)
    return name


def read_seeds_state(index_dir: Path) -> dict[str, Any] | None:
    """The seeds' file list recorded at the last build, or ``None``."""
    try:
        state: dict[str, Any] = json.loads(
            (index_dir / "seeds-state.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return state


def write_seeds_state(index_dir: Path, state: dict[str, Any]) -> None:
    """Record the seeds' file list (atomically)."""
    _replace_text(index_dir / "seeds-state.json", json.dumps(state, ensure_ascii=False))


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's build lock; a second build waits for the first one."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "a+") as lock_file:
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


def _article_row(a: StoredArticle) -> dict[str, Any]:
    return {
        "doc_id": a.doc_id, "paths": list(a.paths), "hash": a.content_hash,
        "title": a.meta.title, "outlet": a.meta.outlet, "place": a.meta.place,
        "date": a.meta.date, "date_text": a.meta.date_text,
        "sent": [a.sent_lo, a.sent_hi], "chunk": [a.chunk_lo, a.chunk_hi], "lang": a.lang,
        "text": a.text,
    }


def _read_articles(path: Path) -> Iterator[StoredArticle]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            yield StoredArticle(
                doc_id=row["doc_id"], paths=tuple(row["paths"]), text=row["text"],
                meta=ArticleMeta(row["title"], row["outlet"], row["place"], row["date"],
                                 row["date_text"]),
                content_hash=row["hash"], sent_lo=row["sent"][0], sent_hi=row["sent"][1],
                chunk_lo=row["chunk"][0], chunk_hi=row["chunk"][1],
                lang=row.get("lang", "id"),
            )


def verify(index_dir: Path, version: str, manifest: dict[str, Any]) -> None:
    """Check every file of a version against the sizes and checksums in its manifest.

    Raises:
        CorruptIndexError: A file is missing, truncated or altered.
    """
    _verify_files(index_dir / _VERSIONS / version, manifest)


def _verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise CorruptIndexError(f"{folder}/manifest.json lists no files — run `kabar index --full`")
    for name, expected in files.items():
        path = folder / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise CorruptIndexError(
                f"{path} is missing — run `kabar index --full` to rebuild") from None
        if size != expected.get("size"):
            raise CorruptIndexError(
                f"{path} is truncated or altered ({size} bytes, expected {expected.get('size')})"
                " — run `kabar index --full` to rebuild"
            )
        if _sha256(path) != expected.get("sha256"):
            raise CorruptIndexError(
                f"{path} is corrupt (checksum mismatch) — run `kabar index --full` to rebuild"
            )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _collect_garbage(index_dir: Path, keep: str) -> None:
    versions = sorted(
        (p for p in (index_dir / _VERSIONS).iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )
    old = [p for p in versions if p.name != keep]
    for stale in old[: max(0, len(old) - _KEEP_OLD)]:
        shutil.rmtree(stale, ignore_errors=True)
