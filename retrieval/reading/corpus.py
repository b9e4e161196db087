"""Read the seeds folder into a corpus of cleaned, de-duplicated articles.

Every ``.txt`` and ``.md`` file under the folder (recursively, hidden names excluded)
is decoded, cleaned and given metadata by :mod:`retrieval.clean`. A file that cannot be
used is skipped with a warning; the rest go on. The same story saved under several
names becomes one :class:`Article` that records every path.

Duplicates are found in two steps:

1. exact: the cleaned text reduced to its lower-cased words (so whitespace and
   punctuation differences vanish) is hashed, and equal hashes are one story;
2. near: word 5-gram shingle sets with Jaccard similarity >= ``NEAR_DUPLICATE_JACCARD``
   (0.9) are one story. Candidates come from MinHash signatures split into LSH bands,
   so the cost grows with the number of articles, not with the number of pairs; each
   candidate pair is then confirmed with the exact Jaccard similarity.

At 0.9, one changed word in a 300-word article (J ~ 0.97) or a different footer merges,
while two reports of the same event by different outlets (J well under 0.5) do not.
Articles of a few dozen words need an almost identical text to merge, since one
changed word moves five of their few shingles.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from retrieval.errors import SeedsError
from retrieval.reading import files
from retrieval.reading.clean import parse_article
from retrieval.reading.files import ARTICLE_SUFFIXES, Skipped
from retrieval.types import ArticleMeta

__all__ = [
    "ARTICLE_SUFFIXES",
    "NEAR_DUPLICATE_JACCARD",
    "Article",
    "Corpus",
    "Skipped",
    "fingerprint",
    "group_duplicates",
    "list_article_files",
    "read_corpus",
]

logger = logging.getLogger(__name__)

NEAR_DUPLICATE_JACCARD = 0.9
SHINGLE_WORDS = 5

# MinHash/LSH parameters. With 16 bands of 5 rows, a pair at Jaccard 0.9 becomes a
# candidate with probability 1 - (1 - 0.9**5)**16 > 0.999999, a pair at 0.5 with ~0.4
# (then rejected by the exact check) and an unrelated pair (J ~ 0.05) almost never.
_BANDS = 16
_ROWS = 5
_PERMUTATIONS = _BANDS * _ROWS
# Hash family h(x) = ((a*x + b) mod 2**64) >> 32 over 32-bit shingle hashes, with random
# 64-bit a, b ("multiply-add-shift", strongly universal): uint64 arithmetic wraps modulo
# 2**64 by itself, so no slow modulo is needed.
# Fixed seed: the same corpus always groups the same way, so content hashes are stable.
_rng = np.random.default_rng(20240224)
_A = _rng.integers(0, 2**64, size=_PERMUTATIONS, dtype=np.uint64, endpoint=False)
_B = _rng.integers(0, 2**64, size=_PERMUTATIONS, dtype=np.uint64, endpoint=False)
_SHIFT = np.uint64(32)
_MINHASH_BLOCK = 65_536

_WORD = re.compile(r"\w+")


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

    See :func:`retrieval.files.scan`: links leaving the folder and special files are left out.

    Raises:
        SeedsError: The folder does not exist or is not a folder.
    """
    root = Path(seeds_dir)
    return [root / e.rel for e in files.scan(root).entries]


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
    return files.scan(root).stamps


def _content_hash(text: str, meta: ArticleMeta) -> str:
    payload = json.dumps({"text": text, "meta": asdict(meta)}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


@lru_cache(maxsize=4096)
def _shingles(text: str) -> frozenset[int]:
    """32-bit hashes of the text's word 5-grams (the whole text if shorter)."""
    words = _words(text)
    if len(words) <= SHINGLE_WORDS:
        return frozenset({zlib.crc32(" ".join(words).encode("utf-8"))})
    return frozenset(
        zlib.crc32(" ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8"))
        for i in range(len(words) - SHINGLE_WORDS + 1)
    )


def _minhash(shingles: frozenset[int]) -> np.ndarray:
    values = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
    # One row per hash function; the minimum over the shingles is that row's MinHash. The
    # shingles go through in blocks, so a huge article needs a bounded (~40 MB) work array.
    signature = np.full(_PERMUTATIONS, np.iinfo(np.uint64).max, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping modulo 2**64 is the point
        for lo in range(0, len(values), _MINHASH_BLOCK):
            block = values[None, lo:lo + _MINHASH_BLOCK]
            np.minimum(signature, ((_A[:, None] * block + _B[:, None]) >> _SHIFT).min(axis=1),
                       out=signature)
    return signature


def _jaccard(left: frozenset[int], right: frozenset[int]) -> float:
    if not left or not right:
        return 0.0
    inter = len(left & right)
    return inter / (len(left) + len(right) - inter)


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, left: int, right: int) -> None:
        a, b = self.find(left), self.find(right)
        if a != b:
            # The smaller index stays the root, so a group's root is its first text.
            self.parent[max(a, b)] = min(a, b)


def group_duplicates(texts: Sequence[str]) -> list[list[int]]:
    """Group texts that are the same story.

    Args:
        texts: Cleaned article texts.

    Returns:
        Groups of indices into ``texts``, each sorted, ordered by their first index;
        every index is in exactly one group. Texts equal up to case, whitespace and
        punctuation, or whose word 5-gram Jaccard similarity is at least
        ``NEAR_DUPLICATE_JACCARD``, share a group (transitively).
    """
    groups = _UnionFind(len(texts))
    # Step 1: exact duplicates by the hash of the normalised word sequence.
    first_by_key: dict[str, int] = {}
    for index, text in enumerate(texts):
        normalised = " ".join(_words(text)) or text
        digest = hashlib.sha256(normalised.encode("utf-8")).hexdigest()
        if digest in first_by_key:
            groups.union(first_by_key[digest], index)
        else:
            first_by_key[digest] = index

    # Step 2: near duplicates among the distinct texts, via MinHash LSH banding.
    buckets: dict[tuple[int, bytes], list[int]] = {}
    for index in sorted(first_by_key.values()):
        shingles = _shingles(texts[index])
        signature = _minhash(shingles)
        for band in range(_BANDS):
            bucket = (band, signature[band * _ROWS : (band + 1) * _ROWS].tobytes())
            members = buckets.setdefault(bucket, [])
            for other in members:
                if groups.find(other) == groups.find(index):
                    continue
                if _jaccard(shingles, _shingles(texts[other])) >= NEAR_DUPLICATE_JACCARD:
                    groups.union(other, index)
            members.append(index)

    by_root: dict[int, list[int]] = {}
    for index in range(len(texts)):
        by_root.setdefault(groups.find(index), []).append(index)
    return sorted(by_root.values(), key=lambda group: group[0])


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


def read_corpus(seeds_dir: Path | str, max_bytes: int = files.DEFAULT_MAX_BYTES) -> Corpus:
    """Read, clean and de-duplicate every article in a seeds folder.

    Files are read in sorted relative-path order, safely (see :mod:`retrieval.files`). A
    file that cannot be decoded as text, is empty or whitespace-only, or holds nothing but
    scrape noise is skipped; a file over ``max_bytes`` is cut. Nothing is logged here above
    DEBUG: the corpus lists what was skipped or cut, and front ends show it once.

    Args:
        seeds_dir: The seeds folder.
        max_bytes: Read at most this many bytes of each file.

    Returns:
        The articles (one per story, sorted by ``doc_id``), the skipped files and notes.

    Raises:
        SeedsError: The folder does not exist, or holds no readable article.
    """
    root = Path(seeds_dir)
    listing = files.scan(root)
    relative: list[str] = []
    texts: list[str] = []
    metas: list[ArticleMeta] = []
    skipped: list[Skipped] = list(listing.skipped)
    notes: list[Skipped] = []

    for entry in listing.entries:
        found = _read_one(entry, max_bytes, skipped, notes)
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
            f"no readable article in seeds folder {root}{found_note} — put UTF-8 .txt or .md "
            "articles in it, or pass --seeds DIR"
        )

    articles: list[Article] = []
    for group in group_duplicates(texts):
        first = group[0]
        meta = _merge_meta([metas[i] for i in group])
        if len(group) > 1:
            logger.info(
                "%s: same story as %s", relative[first], ", ".join(relative[i] for i in group[1:])
            )
        articles.append(
            Article(
                doc_id=relative[first],
                paths=tuple(relative[i] for i in group),
                text=texts[first],
                meta=meta,
                content_hash=_content_hash(texts[first], meta),
            )
        )
    _shingles.cache_clear()  # the texts are held by the articles; free the shingle sets
    return Corpus(articles=tuple(articles), skipped=tuple(skipped), notes=tuple(notes))


def _read_one(entry: files.FileEntry, max_bytes: int, skipped: list[Skipped],
              notes: list[Skipped]) -> tuple[str, ArticleMeta] | None:
    """Read, decode and clean one file; record why when it is skipped or altered."""
    try:
        data, cut = files.read_entry(entry, max_bytes)
    except OSError as exc:
        skipped.append(Skipped(entry.rel, f"unreadable ({exc.strerror or exc})"))
        return None
    decoded = files.decode(data)
    if decoded is None:
        skipped.append(Skipped(entry.rel, "not text (not UTF-8, and no other encoding fits)"))
        return None
    raw, encoding = decoded
    if not raw.strip():
        skipped.append(Skipped(entry.rel, "empty"))
        return None
    body, meta = parse_article(raw)
    if not body:
        skipped.append(Skipped(entry.rel, "nothing left after cleaning"))
        return None
    if cut:
        notes.append(Skipped(entry.rel, f"larger than {_megabytes(max_bytes)}; only the first "
                                        f"{_megabytes(len(data))} were read (raise "
                                        "KABAR_MAX_FILE_MB to read more)"))
    if encoding != "utf-8":
        notes.append(Skipped(entry.rel, f"not UTF-8; read as {encoding}"))
    return body, meta


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
