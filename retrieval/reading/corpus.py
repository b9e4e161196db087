"""Read the seeds folder into a corpus of cleaned, de-duplicated articles.

Every article file under the folder (recursively, hidden names excluded; see
:mod:`retrieval.reading.files` for what is never read) goes to the reader of its suffix
(:mod:`retrieval.reading.readers`). A file that cannot be used is skipped, with the reason
recorded; the rest go on. The same story saved under several names becomes one
:class:`Article` that records every path (:mod:`retrieval.reading.dedupe`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from retrieval.errors import SeedsError
from retrieval.reading import files
from retrieval.reading.dedupe import group_duplicates
from retrieval.reading.files import Skipped
from retrieval.reading.readers import NotAnArticle, formats, reader_for, suffixes
from retrieval.types import ArticleMeta

__all__ = ["Article", "Corpus", "Skipped", "fingerprint", "list_article_files", "read_corpus"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Article:
    """One story from the seeds folder.

    Attributes:
        doc_id: The path of its first file relative to the seeds folder, with POSIX
            separators (``"000_0824a75aebbd95f9.txt"``, ``"sub/x.md"``).
        paths: Every relative path holding this story, sorted; ``doc_id`` is the first.
        text: The cleaned body (paragraphs joined by ``"\\n\\n"``).
        meta: The metadata the text states.
        content_hash: SHA-256 (hex) of the text and metadata: it changes exactly when
            what would be indexed for this article changes.
    """

    doc_id: str
    paths: tuple[str, ...]
    text: str
    meta: ArticleMeta
    content_hash: str


@dataclass(frozen=True)
class Corpus:
    """The articles of a seeds folder.

    Attributes:
        articles: The de-duplicated articles, sorted by ``doc_id``.
        skipped: The files that could not be used, in path order.
        notes: Warnings about files that were read (cut at the size cap, or decoded from
            another encoding than UTF-8), as ``Skipped``-shaped ``(path, message)`` pairs.
    """

    articles: tuple[Article, ...]
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[Skipped, ...] = ()


def list_article_files(seeds_dir: Path | str) -> list[Path]:
    """The files of a seeds folder that are read as articles, in relative-path order.

    See :func:`retrieval.reading.files.scan`: links leaving the folder and special files
    are left out.

    Raises:
        SeedsError: The folder does not exist or is not a folder.
    """
    root = Path(seeds_dir)
    return [root / e.rel for e in files.scan(root, suffixes()).entries]


def fingerprint(seeds_dir: Path | str) -> dict[str, tuple[int, int]]:
    """Describe the seeds folder's files cheaply, without reading them.

    Compare two fingerprints to tell whether the seeds changed since a build.

    Args:
        seeds_dir: The seeds folder.

    Returns:
        Relative POSIX path -> ``(size in bytes, mtime in ns)`` for every article file and
        every skipped entry (so that adding a FIFO or a bad link is noticed, and reported
        by the next build); empty when the folder does not exist (so a removed folder
        reads as a change rather than as an error).
    """
    root = Path(seeds_dir)
    if not root.is_dir():
        return {}
    return files.scan(root, suffixes()).stamps


def _content_hash(text: str, meta: ArticleMeta) -> str:
    payload = json.dumps({"text": text, "meta": asdict(meta)}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _merge_meta(metas: Sequence[ArticleMeta]) -> ArticleMeta:
    """The first copy's metadata, with fields it lacks taken from the other copies."""
    merged = metas[0]
    for other in metas[1:]:
        missing = {
            name: value
            for name, value in asdict(other).items()
            if value is not None and getattr(merged, name) is None
        }
        if missing:
            merged = replace(merged, **missing)
    return merged


def read_corpus(seeds_dir: Path | str, max_bytes: int = files.DEFAULT_MAX_BYTES,
                on_file: Callable[[int, int], None] | None = None) -> Corpus:
    """Read, clean and de-duplicate every article in a seeds folder.

    Files are read in sorted relative-path order, safely (see :mod:`retrieval.reading.files`). A
    file its reader finds no article in (not text, empty, nothing but scrape noise, not a file
    of its kind) is skipped; a file over ``max_bytes`` is cut at a line end when its reader is
    ``cuttable``, and skipped whole otherwise. Nothing is logged here above
    DEBUG: the corpus lists what was skipped or cut, and front ends show it once.

    Args:
        seeds_dir: The seeds folder.
        max_bytes: Read at most this many bytes of each file.
        on_file: Called with (files read, files in all) after each file (progress).

    Returns:
        The articles (one per story, sorted by ``doc_id``), the skipped files and notes.

    Raises:
        SeedsError: The folder does not exist, or holds no readable article.
    """
    root = Path(seeds_dir)
    listing = files.scan(root, suffixes())
    relative: list[str] = []
    texts: list[str] = []
    metas: list[ArticleMeta] = []
    skipped: list[Skipped] = list(listing.skipped)
    notes: list[Skipped] = []

    for done, entry in enumerate(listing.entries, 1):
        found = _read_one(entry, max_bytes, skipped, notes)
        if on_file is not None:
            on_file(done, len(listing.entries))
        if found is not None:
            relative.append(entry.rel)
            texts.append(found[0])
            metas.append(found[1])
    skipped.sort(key=lambda s: s.path)
    for item in skipped:
        logger.debug("skipping %s: %s", item.path, item.reason)

    if not texts:
        found_note = f" ({len(skipped)} file(s) skipped, see the warnings)" if skipped else ""
        raise SeedsError(
            f"no readable article in seeds folder {root}{found_note} — put {formats()} "
            "articles in it, or pass --seeds DIR"
        )

    articles = _merge_copies(relative, texts, metas)
    return Corpus(articles=tuple(articles), skipped=tuple(skipped), notes=tuple(notes))


def _merge_copies(relative: list[str], texts: list[str], metas: list[ArticleMeta]
                  ) -> list[Article]:
    """One article per story: copies share the first copy's id and text, and all paths."""
    articles: list[Article] = []
    for group in group_duplicates(texts):
        first = group[0]
        meta = _merge_meta([metas[i] for i in group])
        if len(group) > 1:
            logger.info(
                "%s: same story as %s", relative[first], ", ".join(relative[i] for i in group[1:])
            )
        articles.append(Article(
            doc_id=relative[first], paths=tuple(relative[i] for i in group), text=texts[first],
            meta=meta, content_hash=_content_hash(texts[first], meta)))
    return articles


def _read_one(entry: files.FileEntry, max_bytes: int, skipped: list[Skipped],
              notes: list[Skipped]) -> tuple[str, ArticleMeta] | None:
    """Read one file with the reader of its suffix; record why it is skipped or altered."""
    reader = reader_for(entry.rel)
    if reader is None:  # listed by suffix, so only a changed registry gets here
        skipped.append(Skipped(entry.rel, "no reader for this kind of file"))
        return None
    try:
        data, cut = files.read_entry(entry, max_bytes, cuttable=reader.cuttable)
        article = reader.read(data)
    except files.OverCap:
        # Cut short, a packed file (a .docx is a zip) is no longer one of its kind: the
        # reader would only report damage, so the cap is named instead.
        kind = Path(entry.rel).suffix.lower()
        skipped.append(Skipped(entry.rel, f"larger than {_megabytes(max_bytes)}; a {kind} "
                                          "file is never cut, so it was not read (raise "
                                          "KABAR_MAX_FILE_MB to read it)"))
        return None
    except OSError as exc:
        skipped.append(Skipped(entry.rel, f"unreadable ({exc.strerror or exc})"))
        return None
    except NotAnArticle as exc:
        skipped.append(Skipped(entry.rel, str(exc)))
        return None
    if cut:
        notes.append(Skipped(entry.rel, f"larger than {_megabytes(max_bytes)}; only the first "
                                        f"{_megabytes(len(data))} were read (raise "
                                        "KABAR_MAX_FILE_MB to read more)"))
    if article.note:
        notes.append(Skipped(entry.rel, article.note))
    return article.body, article.meta


def _megabytes(size: int) -> str:
    """``"2.0 MB"``; below a tenth of a megabyte in kB, so a small cap does not read "0.0"."""
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.1f} MB" if megabytes >= 0.1 else f"{size / 1024:.0f} kB"
