"""What a Milvus publish costs when one article changed, at two archive sizes.

Builds a synthetic version of N chunks (articles of 10 chunks, 3 sentences each, dim-384 unit
vectors, ~30 BM25 terms per chunk drawn from a Zipf vocabulary, the BM25 matrix made by bm25s
as a build makes it) and publishes it once into Milvus (``MilvusStore.write_version``). Then,
``--repeat`` times, one article's text, vectors and terms change (its chunk count stays) and
the version is published again: the time of that publish (the store's part only: the build's
chunking, embedding and BM25 matrix are not timed), the rows and file parts it wrote.

Runs on Milvus Lite (a ``.db`` in a temporary folder) and, with ``--server``, on the real
Milvus 2.3.5 standalone server of the ``milvus`` wheel, started on a free loopback port with
its own data folder (as ``tests/milvus_server.py`` does) and stopped at the end.

Run from the repository root: ``python benchmarks/bench_publish.py --chunks 10000 200000
[--server]``; needs ``pip install kabar[milvus]`` (and ``milvus==2.3.5`` for ``--server``).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from _common import final_json, load_avg, quiet, table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from retrieval.building.bm25_weights import build_bm25
from retrieval.store.data import Layout, StoredArticle
from retrieval.store.manifest import Manifest
from retrieval.store.milvus_store import MilvusStore
from retrieval.types import ArticleMeta

DIM, PER_ARTICLE, SENTENCES, TERMS, VOCAB = 384, 10, 3, 30, 50_000


class Corpus:
    """A synthetic version whose article ``n`` can be changed in place."""

    def __init__(self, chunks: int, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.articles = chunks // PER_ARTICLE
        n = self.articles * PER_ARTICLE
        self.vectors = self._unit(n)
        self.sentences = self.rng.standard_normal((n * SENTENCES, DIM)).astype(np.float16)
        self.terms = [self._terms() for _ in range(n)]
        self.texts = [f"article {a} " + "kata " * 400 for a in range(self.articles)]

    def _unit(self, n: int) -> np.ndarray:
        v = self.rng.standard_normal((n, DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def _terms(self) -> list[str]:
        return [f"t{t}" for t in np.minimum(self.rng.zipf(1.3, TERMS), VOCAB)]

    def change(self, a: int, stamp: int) -> None:
        """Article ``a`` gets a new text, new vectors and new terms."""
        lo = a * PER_ARTICLE
        self.texts[a] = f"article {a} changed {stamp} " + "kata " * 400
        self.vectors[lo:lo + PER_ARTICLE] = self._unit(PER_ARTICLE)
        for i in range(lo, lo + PER_ARTICLE):
            self.terms[i] = self._terms()

    def version(self) -> tuple[Manifest, list[StoredArticle], Layout]:
        """The manifest, articles and layout of the corpus as it is now."""
        articles, per = [], PER_ARTICLE
        for a, text in enumerate(self.texts):
            digest = hashlib.sha256(text.encode()).hexdigest()
            articles.append(StoredArticle(
                f"{a:07d}.txt", (f"{a:07d}.txt",), text, ArticleMeta(title=f"Artikel {a}"),
                digest, a * per * SENTENCES, (a + 1) * per * SENTENCES, a * per,
                (a + 1) * per))
        n = len(self.vectors)
        chunk = np.arange(n)
        sent = np.arange(n * SENTENCES)
        layout = Layout(
            chunk_article=(chunk // per).astype(np.int32),
            chunk_start=((chunk % per) * 40).astype(np.int32),
            chunk_end=((chunk % per) * 40 + 40).astype(np.int32),
            chunk_slo=(chunk * SENTENCES).astype(np.int32),
            chunk_shi=(chunk * SENTENCES + SENTENCES).astype(np.int32),
            sent_article=(sent // (per * SENTENCES)).astype(np.int32),
            sent_start=((sent % (per * SENTENCES)) * 13).astype(np.int32),
            sent_end=((sent % (per * SENTENCES)) * 13 + 13).astype(np.int32))
        manifest = Manifest(
            model="synthetic", dim=DIM, analysis={"bm25_k1": 1.2, "bm25_b": 0.75},
            vector_backend="milvus", vector_kind="flat",
            articles={x.doc_id: x.content_hash for x in articles},
            counts={"articles": len(articles), "chunks": n,
                    "sentences": n * SENTENCES})
        return manifest, articles, layout


def publish(store: MilvusStore, corpus: Corpus) -> dict[str, float]:
    """One publish of the corpus as it is: seconds and what was written."""
    manifest, articles, layout = corpus.version()
    bm25 = build_bm25(corpus.terms, 1.2, 0.75)
    start = time.perf_counter()
    store.write_version(manifest, articles, layout, corpus.sentences, corpus.vectors, bm25)
    seconds = time.perf_counter() - start
    stats = store.last_publish
    assert stats is not None
    return {"seconds": seconds, "rows": stats.rows_written, "removed": stats.rows_removed,
            "parts": stats.parts_written, "mb": stats.part_bytes / 1e6}


def measure(uri: str, token: str, chunks: int, repeat: int) -> dict[str, object]:
    """A first publish of ``chunks`` chunks, then ``repeat`` publishes of one changed
    article; the figures of each."""
    corpus = Corpus(chunks)
    store = MilvusStore(uri, f"bench{chunks}", token, timeout=60.0)
    with store.building(False):
        first = publish(store, corpus)
        changed = []
        for i in range(repeat):
            corpus.change((i * 7919) % corpus.articles, i)
            changed.append(publish(store, corpus))
        loaded = time.perf_counter()
        data = store.load()
        load_s = time.perf_counter() - loaded
        assert data.num_chunks == len(corpus.vectors)
    secs = sorted(c["seconds"] for c in changed)
    return {"chunks": len(corpus.vectors), "first_s": round(first["seconds"], 1),
            "change_p50_s": round(secs[len(secs) // 2], 2), "change_max_s": round(secs[-1], 2),
            "rows": changed[-1]["rows"], "removed": changed[-1]["removed"],
            "parts": changed[-1]["parts"], "mb_written": round(changed[-1]["mb"], 2),
            "first_mb": round(first["mb"], 1), "load_s": round(load_s, 2)}


@contextmanager
def milvus_target(server: bool, folder: Path) -> Iterator[tuple[str, str, str]]:
    """(URI, token, name) of a Milvus Lite file or of a started 2.3.5 server."""
    if not server:
        yield str(folder / "bench.db"), "", "Milvus Lite"
        return
    from milvus_server import TOKEN, running_server

    with running_server(folder / "server") as proc:
        yield proc.uri, TOKEN, "Milvus 2.3.5 server"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[10_000, 200_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--server", action="store_true", help="the real 2.3.5 server")
    args = parser.parse_args()
    quiet()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp, \
            milvus_target(args.server, Path(tmp)) as (uri, token, name):
        for chunks in args.chunks:
            got = measure(uri, token, chunks, args.repeat)
            print(f"{name}: {got}", flush=True)
            rows.append({"store": name, **got})
    header = list(rows[0])
    print(table("publish of one changed article", header, [[r[h] for h in header]
                                                           for r in rows]))
    small, large = rows[0]["change_p50_s"], rows[-1]["change_p50_s"]
    ratio = float(large) / max(float(small), 1e-9)  # type: ignore[arg-type]
    print(f"one changed article: {large} s at {rows[-1]['chunks']:,} chunks vs {small} s at "
          f"{rows[0]['chunks']:,} ({ratio:.2f}x; goal <= 2x); load {load_avg()}")
    final_json("bench_publish", {"rows": rows, "ratio": round(ratio, 2), "load": load_avg()})


if __name__ == "__main__":
    main()
