"""How the parts of a version are turned into file contents and back."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from retrieval.store.data import Layout, StoredArticle
from retrieval.types import ArticleMeta

__all__ = ["articles_from_bytes", "articles_to_bytes", "layout_from_bytes", "layout_to_bytes",
           "npy_bytes", "npy_view"]


def articles_to_bytes(articles: Sequence[StoredArticle]) -> bytes:
    """``articles.jsonl``: one article a line (ASCII JSON, whatever the text holds)."""
    return "".join(json.dumps(_row(a)) + "\n" for a in articles).encode("utf-8")


def articles_from_bytes(data: bytes) -> Iterator[StoredArticle]:
    """The articles of ``articles.jsonl``."""
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


def layout_to_bytes(layout: Layout) -> bytes:
    """``layout.npz``: the offset arrays by name."""
    buffer = io.BytesIO()
    np.savez(buffer, **{name: getattr(layout, name) for name in Layout.names()})
    return buffer.getvalue()


def layout_from_bytes(data: bytes) -> Layout:
    """The offsets of ``layout.npz``."""
    with np.load(io.BytesIO(data)) as z:
        return Layout(**{name: z[name] for name in Layout.names()})


def npy_bytes(array: np.ndarray) -> bytes:
    """An array as an ``.npy`` file."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npy_view(data: bytes) -> np.ndarray:
    """An ``.npy`` file's array as a read-only view of its bytes (no second copy)."""
    buffer = io.BytesIO(data)
    fmt = np.lib.format
    major, _ = fmt.read_magic(buffer)
    read_header = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
    shape, fortran, dtype = read_header(buffer)
    array = np.frombuffer(data, dtype=dtype, offset=buffer.tell(),
                          count=int(np.prod(shape, dtype=np.int64)))
    return array.reshape(shape, order="F" if fortran else "C")


def _row(a: StoredArticle) -> dict[str, Any]:
    return {
        "doc_id": a.doc_id, "paths": list(a.paths), "hash": a.content_hash,
        "title": a.meta.title, "outlet": a.meta.outlet, "place": a.meta.place,
        "date": a.meta.date, "date_text": a.meta.date_text,
        "sent": [a.sent_lo, a.sent_hi], "chunk": [a.chunk_lo, a.chunk_hi], "lang": a.lang,
        "text": a.text,
    }
