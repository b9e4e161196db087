"""Near-duplicate detection: the same story saved under several names is one article.

Duplicates are found in two steps:

1. exact: the cleaned text reduced to its lower-cased words (so whitespace and punctuation
   differences vanish) is hashed, and equal hashes are one story;
2. near: word 5-gram shingle sets with Jaccard similarity >= ``NEAR_DUPLICATE_JACCARD``
   (0.9) are one story. Candidates come from MinHash signatures in LSH bands (datasketch),
   so the cost grows with the number of articles, not the number of pairs; each candidate
   pair is then confirmed with the exact Jaccard similarity.

At 0.9, one changed word in a 300-word article (J ~ 0.97) or a different footer merges,
while two reports of the same event by different outlets (J well under 0.5) do not.
Articles of a few dozen words need an almost identical text to merge, since one changed
word moves five of their few shingles.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

__all__ = ["NEAR_DUPLICATE_JACCARD", "group_duplicates"]

NEAR_DUPLICATE_JACCARD = 0.9
SHINGLE_WORDS = 5
# 16 bands of 5 rows: a pair at Jaccard 0.9 becomes a candidate with probability
# 1 - (1 - 0.9**5)**16 > 0.999999, a pair at 0.5 with ~0.4 (then rejected by the exact check)
# and an unrelated pair (J ~ 0.05) almost never.
_BANDS, _ROWS = 16, 5
# Fixed seed: the same corpus always groups the same way, so content hashes are stable.
_SEED = 20240224
# Shingles are fed to MinHash in blocks, so a huge article needs a bounded work array.
_BLOCK = 65_536
_WORD = re.compile(r"\w+")


def group_duplicates(texts: Sequence[str]) -> list[list[int]]:
    """Group texts that are the same story.

    Args:
        texts: Cleaned article texts.

    Returns:
        Groups of indices into ``texts``, each sorted, ordered by their first index; every
        index is in exactly one group. Texts equal up to case, whitespace and punctuation,
        or whose word 5-gram Jaccard similarity is at least ``NEAR_DUPLICATE_JACCARD``,
        share a group (transitively).
    """
    from datasketch import MinHashLSH
    from scipy.cluster.hierarchy import DisjointSet

    groups: Any = DisjointSet(range(len(texts)))
    distinct: dict[str, int] = {}
    for index, text in enumerate(texts):
        normalised = " ".join(_words(text)) or text
        first = distinct.setdefault(hashlib.sha256(normalised.encode("utf-8")).hexdigest(),
                                    index)
        groups.merge(first, index)

    lsh = MinHashLSH(threshold=NEAR_DUPLICATE_JACCARD, num_perm=_BANDS * _ROWS,
                     params=(_BANDS, _ROWS))
    for index in sorted(distinct.values()):
        shingles = _shingles(texts[index])
        signature = _minhash(shingles)
        for other in lsh.query(signature):
            if not groups.connected(other, index) and \
                    _jaccard(shingles, _shingles(texts[other])) >= NEAR_DUPLICATE_JACCARD:
                groups.merge(other, index)
        lsh.insert(index, signature)
    _shingles.cache_clear()  # the texts are held by their articles; free the shingle sets
    return sorted((sorted(group) for group in groups.subsets()), key=lambda g: g[0])


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


def _minhash(shingles: frozenset[int]) -> Any:
    from datasketch import MinHash

    # The shingles are already 32-bit hashes, so MinHash's own hashing is the identity.
    signature = MinHash(num_perm=_BANDS * _ROWS, seed=_SEED, hashfunc=int)
    values = list(shingles)
    for lo in range(0, len(values), _BLOCK):
        signature.update_batch(values[lo:lo + _BLOCK])
    return signature


def _jaccard(left: frozenset[int], right: frozenset[int]) -> float:
    if not left or not right:
        return 0.0
    inter = len(left & right)
    return inter / (len(left) + len(right) - inter)
