"""Hybrid, cross-lingual search: BM25 with bilingual query expansion, fused with FAISS.

A question becomes *concepts*: each content word of the question with its translations
(English <-> Indonesian, from the FreeDict lexicon) and name aliases (Syria/Suriah...). BM25
scores every chunk for the weighted stems of all concepts; FAISS gives the dense side. The two
are fused as ``(1 - w) * bm25 / max_bm25 + w * dense`` over the union of both candidate lists,
with ``w`` tuned on FacQA (see ``benchmarks/``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from retrieval.building.embed import Embedder
from retrieval.search.lexicon import Language, Lexicon, detect_language
from retrieval.search.qtype import answer_type, holds
from retrieval.search.terms import STOPWORDS, stem, terms, words
from retrieval.store.versions import IndexData
from retrieval.types import Passage

#: Fusion weight of the dense side per model, swept on 800 FacQA train questions
#: (0, 0.05, 0.1, 0.2, 0.3): with the English-only bundled MiniLM every weight above 0 lowered
#: R@1 on Indonesian text (0.8125 at 0, 0.811 at 0.05, 0.8075 at 0.1), so by default it ranks
#: by BM25 alone and its vectors only help pick answer sentences. Other models (a multilingual
#: one, when configured) get 0.3, a common hybrid weight; no multilingual model could be
#: tuned offline here, so set ``KABAR_DENSE_WEIGHT`` from ``benchmarks/bench_quality.py
#: --tune`` for yours.
DEFAULT_DENSE_WEIGHTS = {"bundled:all-MiniLM-L6-v2": 0.0, "hashing": 0.0}
DEFAULT_DENSE_WEIGHT_OTHER = 0.3
#: Weight of a translated term relative to the question's own words, by the question's
#: language. Indonesian questions are mostly asked of Indonesian articles, so their English
#: translations are a weak hint (and the dictionary's noise hurt FacQA at higher weights).
TRANSLATION_WEIGHT = {"en": 0.7, "id": 0.2}
#: Candidates taken from each side before fusion.
BM25_CANDIDATES = 100
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")
DENSE_CANDIDATES = 50
#: Candidates reranked by answer type, and the bonus (in units of the top BM25 score) for
#: holding the wanted type. Tuned on FacQA train + valid (2,806 questions): R@1 0.8225 at
#: 0.2, 0.8236 at 0.3, 0.8239 at 0.4 and 0.5, 0.8225 at 0.7; depth 10 or 20 made no
#: difference. Of the two tied values 0.4 is used (it is also the better one on valid alone).
RERANK_DEPTH = 20
_CACHE_LIMIT = 200_000
ANSWER_TYPE_BONUS = 0.4


@dataclass(frozen=True)
class Concept:
    """One content word of the question with the stems that stand for it."""

    word: str
    stems: dict[str, float]
    name: bool = False  # written capitalised in the question: a place, person or body
    weight: float = 1.0  # importance (idf of its rarest known form) x its query weight
    bridged: bool = False  # has translations or aliases into the other language
    # Multiword forms ("ibu kota" for "capital"): they match only when all their words do.
    phrases: tuple[frozenset[str], ...] = ()
    singles: frozenset[str] = frozenset()  # forms that match on their own

    def found_in(self, present: frozenset[str] | set[str]) -> bool:
        """Whether a set of terms holds the concept in any of its forms."""
        return any(t in present for t in self.singles) or \
            any(p <= present for p in self.phrases)


@dataclass(frozen=True)
class Query:
    """An analysed question."""

    text: str
    lang: str
    concepts: tuple[Concept, ...]
    vector: np.ndarray

    def weighted_terms(self) -> dict[str, float]:
        """Every stem with its largest weight over the concepts."""
        out: dict[str, float] = {}
        for concept in self.concepts:
            for term, weight in concept.stems.items():
                out[term] = max(out.get(term, 0.0), weight)
        return out


@dataclass(frozen=True)
class Hit:
    """A candidate chunk with its scores."""

    chunk_id: int
    score: float
    bm25: float
    dense: float


def dense_weight_for(model_id: str, configured: float) -> float:
    """The fusion weight: the configured one, else the tuned default for the model."""
    if configured >= 0:
        return min(configured, 1.0)
    if model_id.startswith("hashing:"):
        return DEFAULT_DENSE_WEIGHTS["hashing"]
    return DEFAULT_DENSE_WEIGHTS.get(model_id, DEFAULT_DENSE_WEIGHT_OTHER)


class Searcher:
    """Searches one loaded index version.

    Args:
        data: The loaded index.
        embedder: The same model the index was built with.
        lexicon: The bilingual lexicon for query expansion.
        dense_weight: Fusion weight of the dense side, in [0, 1].
    """

    def __init__(self, data: IndexData, embedder: Embedder, lexicon: Lexicon,
                 dense_weight: float) -> None:
        self.data = data
        self._embedder = embedder
        self._lexicon = lexicon
        self._w = dense_weight
        self._n = max(1, data.num_chunks)
        # Term sets of articles and sentences met at question time; the index does not store
        # them, and re-analysing the same text for every question was a third of the time.
        self._article_terms: dict[int, frozenset[str]] = {}
        self._sentence_terms: dict[int, tuple[str, ...]] = {}

    def idf_of(self, df: int) -> float:
        """BM25 idf for a document frequency."""
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def _importance(self, stems: dict[str, float]) -> float:
        """How much a concept matters: the idf of its rarest form that the index knows.

        A concept none of whose forms occurs anywhere ("Tokyo" in articles about Syria)
        weighs as much as the rarest possible term, so leaving it unmatched costs confidence.
        """
        known = [self.idf_of(df) for df in map(self.data.bm25.doc_freq, stems) if df > 0]
        return max(known) if known else self.idf_of(0)

    def article_terms(self, article: int) -> frozenset[str]:
        """The BM25 terms of an article (title and text); cached per index version."""
        cached = self._article_terms.get(article)
        if cached is None:
            art = self.data.articles[article]
            cached = frozenset(terms(f"{art.meta.title or ''} {art.meta.place or ''} "
                                     f"{art.text}", art.lang))
            self._article_terms[article] = cached
        return cached

    def sentence_terms(self, sentence: int) -> tuple[str, ...]:
        """The BM25 terms of a sentence, in order; cached per index version."""
        cached = self._sentence_terms.get(sentence)
        if cached is None:
            if len(self._sentence_terms) > _CACHE_LIMIT:
                self._sentence_terms.clear()
            art = self.data.articles[self.data.layout.sent_article[sentence]]
            cached = tuple(terms(self.data.sentence_text(sentence), art.lang))
            self._sentence_terms[sentence] = cached
        return cached

    def analyse(self, question: str, context: str = "") -> Query:
        """Turn a question (and optional earlier-turn context) into a :class:`Query`.

        Args:
            question: The question.
            context: Text of earlier turns; its words join the query at half weight.
        """
        lang = detect_language(question)
        concepts = list(self._concepts(question, lang, 1.0))
        if context:
            own = {c.word for c in concepts}
            concepts += [c for c in self._concepts(context, detect_language(context), 0.5)
                         if c.word not in own]
        vector = self._embedder.encode_queries([f"{context} {question}".strip()])[0]
        return Query(question, lang, tuple(concepts), vector)

    def search(self, query: Query, k: int) -> list[Hit]:
        """The ``k`` best chunks for ``query``, best first."""
        data = self.data
        if data.num_chunks == 0:
            return []
        bm25 = data.bm25.scores(query.weighted_terms())
        top_bm25 = _top(bm25, BM25_CANDIDATES)
        candidates = set(top_bm25.tolist())
        if self._w > 0:
            ids = self._dense_search(query.vector, min(DENSE_CANDIDATES, data.num_chunks))
            candidates.update(int(i) for i in ids[0] if i >= 0)
        cand = np.fromiter(candidates, dtype=np.int64)
        dense = data.chunk_vectors()[cand] @ query.vector.astype(np.float32)
        b = bm25[cand]
        b_max = float(b.max()) if len(b) else 0.0
        b_norm = b / b_max if b_max > 0 else b
        if self._w > 0 and len(dense) > 1 and float(dense.max() - dense.min()) > 0:
            d_norm = (dense - dense.min()) / (dense.max() - dense.min())
        else:
            d_norm = np.zeros_like(dense)
        fused = (1 - self._w) * b_norm + self._w * d_norm
        kind = answer_type(query.text)
        if kind is not None and len(fused):
            # Rerank the head of the list: candidates holding the kind of answer the
            # question wants (a number for "berapa") get a small bonus.
            head = np.argsort(-fused, kind="stable")[:RERANK_DEPTH]
            for i in head:
                if holds(data.chunk_text(int(cand[i])), kind, query.text):
                    fused[i] += ANSWER_TYPE_BONUS
        # Ties (common when BM25 has nothing) fall back to the dense order, then chunk order.
        order = np.lexsort((cand, -dense, -fused))[:k]
        return [Hit(int(cand[i]), float(fused[i]), float(b[i]), float(dense[i])) for i in order]

    def _dense_search(self, vector: np.ndarray, k: int) -> np.ndarray:
        import faiss

        # One query runs 2-4x faster on one OpenMP thread than on two here. The thread count
        # is shared with torch, so it is lowered for the search only.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            _, ids = self.data.dense.search(vector.reshape(1, -1).astype(np.float32), k)
        finally:
            faiss.omp_set_num_threads(threads)
        return np.asarray(ids)

    def passages(self, hits: list[Hit]) -> list[Passage]:
        """Hits as typed passages."""
        out = []
        for hit in hits:
            art = self.data.articles[self.data.layout.chunk_article[hit.chunk_id]]
            out.append(Passage(
                chunk_id=hit.chunk_id, doc_id=art.doc_id, text=self.data.chunk_text(hit.chunk_id),
                title=art.meta.title, outlet=art.meta.outlet,
                date=art.meta.date or art.meta.date_text, score=round(hit.score, 4)))
        return out

    def _phrase_concept(self, phrase: str, aliases: list[str], weight: float) -> Concept:
        """A multiword name and its aliases as one concept."""
        stems: dict[str, float] = {}
        singles: set[str] = set()
        phrases: set[frozenset[str]] = set()
        for form in [phrase, *aliases]:
            for lang in ("id", "en"):
                parts = terms(form, lang)
                if len(parts) > 1:
                    phrases.add(frozenset(parts))
                else:
                    singles.update(parts)
                for t in parts:
                    stems[t] = max(stems.get(t, 0.0), weight / max(1, len(parts)))
        if not stems:
            stems = {phrase: weight}
        return Concept(phrase, stems, True, self._importance(stems) * max(stems.values()),
                       bridged=True, phrases=tuple(phrases), singles=frozenset(singles))

    def _concepts(self, text: str, lang: str, weight: float) -> list[Concept]:
        source: Language = "en" if lang == "en" else "id"
        concepts: list[Concept] = []
        seen: set[str] = set()
        capitalised = {w.casefold() for w in _CAPITALISED.findall(text)}
        units: list[tuple[str, list[str]]] = []  # (word or name phrase, its aliases)
        tokens = words(text)
        i = 0
        while i < len(tokens):
            # Names of two or three words ("united states", "amerika serikat", "arab saudi")
            # are one concept when the alias table knows them as a whole.
            for n in (3, 2):
                phrase = " ".join(tokens[i:i + n])
                found = self._lexicon.aliases(phrase) if len(tokens) >= i + n \
                    and self._lexicon.is_alias(phrase) else []
                if found:
                    units.append((phrase, found))
                    i += n
                    break
            else:
                if tokens[i] not in STOPWORDS:
                    units.append((tokens[i], []))
                i += 1
        for word, phrase_aliases in units:
            if word in seen:
                continue
            seen.add(word)
            if phrase_aliases:
                concepts.append(self._phrase_concept(word, phrase_aliases, weight))
                continue
            # The question's own word, stemmed for articles in either language.
            stems = {stem(word, "id"): weight, stem(word, "en"): weight}
            singles = set(stems)
            phrases: set[frozenset[str]] = set()
            forms = [(t, weight * TRANSLATION_WEIGHT[source])
                     for t, _ in self._lexicon.translate([word], source)]
            # Every translation gets the same weight: the dictionary's order of senses says
            # little about news usage ("agree" lists "berjanji" first and "sepakat", the
            # word news uses, last), and an article uses one form. Aliases are names.
            forms += [(a, weight) for a in self._lexicon.aliases(word)]
            for form, form_weight in forms:
                for lang in ("id", "en"):
                    parts = terms(form, lang)
                    if len(parts) > 1:
                        # A phrase shares its weight among its words in BM25.
                        phrases.add(frozenset(parts))
                        form_weight_each = form_weight / len(parts)
                    else:
                        singles.update(parts)
                        form_weight_each = form_weight
                    for t in parts:
                        stems[t] = max(stems.get(t, 0.0), form_weight_each)
            concepts.append(Concept(
                word, stems, word in capitalised,
                self._importance(stems) * max(stems.values()), bridged=bool(forms),
                phrases=tuple(phrases), singles=frozenset(singles)))
        return concepts


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]
