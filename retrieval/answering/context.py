"""What answering reads: one loaded index version, its tuning and lexicon, and term caches.

The gate and the writers never see the searcher: they read the index through a
:class:`ReadContext`, which the engine builds once per loaded version (so its caches, and
those keyed on it, live exactly as long as that version is served).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from retrieval.search.query import Concept, QueryEncoder, concepts_of
from retrieval.store import IndexView
from retrieval.text.lexicon import Lexicon
from retrieval.text.terms import terms
from retrieval.tuning import Tuning

__all__ = ["ReadContext"]

# Sentence term lists kept at most; past it the cache starts again (a long-running bot
# meets every sentence of a large index in time).
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, eq=False)
class ReadContext:
    """The read side of one loaded index version, for the gate and the writers.

    Compared (and hashed) by identity: per-version caches elsewhere are keyed on it.

    Attributes:
        view: The loaded index (articles, chunks, sentences, BM25 statistics).
        lexicon: The bilingual lexicon (translations, aliases, known words).
        tuning: The tuned constants, resolved for the loaded model.
        encoder: The model's question side, for checks that embed a sentence at answer
            time (an LLM sentence's meaning); ``None`` leaves them off.
    """

    view: IndexView
    lexicon: Lexicon
    tuning: Tuning
    encoder: QueryEncoder | None = None
    # Term sets of articles and sentences met at question time; the index does not store
    # them, and re-analysing the same text for every question was a third of the time.
    _article_terms: dict[int, frozenset[str]] = field(default_factory=dict, init=False,
                                                      repr=False)
    _sentence_terms: dict[int, tuple[str, ...]] = field(default_factory=dict, init=False,
                                                        repr=False)

    @property
    def verify_floor(self) -> float | None:
        """The calibrated similarity an LLM sentence needs to a cited sentence, for the
        loaded model; ``None`` when it has none (see :mod:`..llm.similar`)."""
        if self.encoder is None:
            return None
        return self.tuning.verify_floor_for(self.encoder.model_id)

    def article_terms(self, article: int) -> frozenset[str]:
        """The BM25 terms of an article (title, place and text); cached."""
        cached = self._article_terms.get(article)
        if cached is None:
            art = self.view.article(article)
            cached = frozenset(terms(f"{art.meta.title or ''} {art.meta.place or ''} "
                                     f"{art.text}", art.lang))
            self._article_terms[article] = cached
        return cached

    def sentence_terms(self, sentence: int) -> tuple[str, ...]:
        """The BM25 terms of a sentence, in order; cached."""
        cached = self._sentence_terms.get(sentence)
        if cached is None:
            if len(self._sentence_terms) > _CACHE_LIMIT:
                self._sentence_terms.clear()
            art = self.view.article(self.view.article_of_sentence(sentence))
            cached = tuple(terms(self.view.sentence_text(sentence), art.lang))
            self._sentence_terms[sentence] = cached
        return cached

    def concepts(self, text: str, lang: str) -> tuple[Concept, ...]:
        """The concepts of ``text`` in ``lang``, analysed as a question's words are (no
        vector): for checking what a sentence says against passages."""
        return concepts_of(text, lang, self.lexicon, self.view.bm25.doc_freq,
                           self.view.num_chunks, self.tuning.translation_weight,
                           self.tuning.synonym_weight)
