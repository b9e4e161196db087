"""Dropping what no kept Milvus version needs (never what an alias names), and what a
killed build left.

After a publish the store keeps the new version and the one published just before (for
replicas still loading it); every other version's head goes, so do the generations (chunk
rows and file parts collections) no kept head uses, and the parts that only dropped heads
named. Each deletion is tried on its own: one that fails does not keep the others, and the
next build tries again.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retrieval.store import milvus_caps, milvus_local, milvus_parts, milvus_rows
from retrieval.store.manifest import Manifest
from retrieval.store.milvus import create_chunk_collection
from retrieval.store.milvus_head import Prior

__all__ = ["collect", "drop", "prepare"]

log = logging.getLogger(__name__)


def prepare(client: Any, prior: Prior | None, rows: str, parts: str, manifest: Manifest,
            mode: str) -> None:
    """A new generation's collections (``prior`` is ``None``), or the published
    generation's without what builds that never published left there."""
    if prior is None:
        create_chunk_collection(client, rows, manifest.dim, manifest.vector_kind, mode,
                                versioned=True)
        milvus_parts.create_collection(client, parts)
        return
    client.load_collection(rows)
    client.load_collection(parts)
    milvus_rows.clean(client, rows, prior.seq, mode == milvus_caps.HYBRID)
    milvus_parts.delete_born_after(client, parts, prior.seq)


def collect(client: Any, alias: str, kept: set[str], damaged: set[str], gens: set[str],
            parts: tuple[str, set[str]], parts_of: Callable[[str, str], set[str]],
            lite: Path | None) -> None:
    """Drop every head but ``kept`` (``damaged`` ones too) and the generations not in
    ``gens``; then delete from ``parts[0]`` the parts dropped heads named that are not in
    ``parts[1]`` (``parts_of(head, collection)`` reads them)."""
    heads = re.compile(re.escape(alias) + r"_v\d{8}T\d{12}_[0-9a-f]{6}(?:_files)?")
    generations = re.compile(re.escape(alias) + r"_(?:rows|parts)_([0-9a-f]{8})")
    try:
        names = set(client.list_collections()) | damaged
    except Exception:  # Milvus Lite cannot list collections beside a damaged one
        names = set(milvus_local.collection_names(lite) if lite else []) | damaged
    unused: set[str] = set()
    for name in sorted(names - kept):
        found = generations.fullmatch(name)
        if heads.fullmatch(name):
            unused |= parts_of(name, parts[0])
        elif not found or found.group(1) in gens:
            continue
        with contextlib.suppress(Exception):
            drop(client, alias, name)
    with contextlib.suppress(Exception):
        milvus_parts.delete(client, parts[0], unused - parts[1])


def drop(client: Any, alias: str, name: str) -> None:
    """Drop a collection unless an alias names it or it is an alias: Milvus Lite silently
    drops the target of an alias, and the aliases of a dropped collection."""
    if name == alias:
        return
    try:
        if not client.has_collection(name):
            return
    except Exception:  # Milvus Lite cannot open a damaged collection, but drops it
        log.debug("dropping %s, which Milvus cannot open", name, exc_info=True)
    if client.list_aliases(collection_name=name).get("aliases"):
        return
    if name in client.list_aliases().get("aliases", []):
        return
    client.drop_collection(name)
