"""Extractive answers: pick the articles' own sentences that answer the question, cite them.

Sentences of the top passages are scored against the question (weighted, idf-scaled overlap
with the question's concepts in either language, the sentence vector's similarity, and the
passage's retrieval score). The best few, without near-duplicates, are quoted verbatim and
numbered by source article. When no retrieved article covers the question's concepts well
enough (a threshold calibrated on FacQA, see ``benchmarks/calibrate_abstention.py``) the answer
abstains and cites nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.search import Concept, Hit, Query, Searcher
from retrieval.terms import terms
from retrieval.types import Answer, Citation, Turn

#: Coverage below which the answer abstains, calibrated on FacQA train questions against the
#: same questions with their answering passage removed (benchmarks/calibrate_abstention.py).
DEFAULT_MIN_CONFIDENCE = 0.5
MAX_SENTENCES = 3
#: Passages whose sentences are considered for the answer.
ANSWER_PASSAGES = 5
#: Share of the best sentence's score another sentence needs to join the answer, from the
#: same article and from another one.
RELATIVE_CUTOFF, OTHER_ARTICLE_CUTOFF = 0.8, 0.92
#: Articles whose sentences are read for the answer, and how many chunks of each at most.
ANSWER_ARTICLES, MAX_ARTICLE_CHUNKS = 3, 40
#: A chunk of a top article that was not itself retrieved scores this share of the hit.
UNRETRIEVED_CHUNK = 0.7
LEX_WEIGHT, DENSE_WEIGHT, PASSAGE_WEIGHT = 0.6, 0.15, 0.25
#: Credit for a question's name found elsewhere in the article, or a word elsewhere in the
#: passage, rather than in the sentence itself.
NAME_IN_CONTEXT, TERM_IN_CONTEXT = 0.8, 0.2

MESSAGES = {
    "en": {
        "abstain": "I couldn't find that in the articles.",
        "cut": "Your question was cut to {n} characters.",
    },
    "id": {
        "abstain": "Saya tidak menemukan jawabannya di artikel-artikel yang ada.",
        "cut": "Pertanyaan Anda dipotong menjadi {n} karakter.",
    },
}

# Words that make a question lean on the previous turn ("Who mediated them?").
_ANAPHORA = frozenset(
    "they them their it its he him his she her this that these those there then "
    "mereka ia dia beliau itu tersebut ini sana situ kedua keduanya".split()
)


@dataclass(frozen=True)
class _Scored:
    sentence: int
    chunk: int
    article: int
    score: float
    terms: frozenset[str]


def answer_question(
    searcher: Searcher,
    question: str,
    k: int = 5,
    history: Sequence[Turn] = (),
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    notice: str = "",
) -> Answer:
    """Answer ``question`` from the index behind ``searcher``.

    Args:
        searcher: Search over the loaded index.
        question: The question, already trimmed.
        k: Number of passages to retrieve and report.
        history: Earlier turns of the conversation, oldest first; a follow-up question
            borrows the previous turn's words.
        min_confidence: Coverage below which to abstain.
        notice: A message about the question to pass on (it was cut, say).

    Returns:
        The answer, abstained or with numbered citations.
    """
    context = _context(question, history)
    query = searcher.analyse(question, context)
    hits = searcher.search(query, max(k, ANSWER_PASSAGES))
    passages = tuple(searcher.passages(hits[:k]))
    messages = MESSAGES[query.lang]
    confidence = _confidence(searcher, query, hits[:ANSWER_PASSAGES])
    chosen = _choose(searcher, query, hits[:ANSWER_PASSAGES]) if confidence >= min_confidence \
        else []
    if not chosen:
        return Answer(question, messages["abstain"], True, query.lang, (), passages, notice)
    return _compose(searcher, question, query.lang, chosen, passages, notice)


def is_follow_up(question: str) -> bool:
    """Whether a question points back at the previous turn (pronouns, or almost no words)."""
    words = [w.strip("?.!,").lower() for w in question.split()]
    return any(w in _ANAPHORA or w.endswith("nya") and len(w) > 5 for w in words) \
        or len(terms(question)) <= 1


def _context(question: str, history: Sequence[Turn]) -> str:
    if not history or not is_follow_up(question):
        return ""
    return history[-1].question


def _importance(searcher: Searcher, concept: Concept) -> float:
    """How much a concept matters: the idf of its rarest form that the index knows.

    A concept none of whose forms occurs anywhere ("Tokyo" in articles about Syria) weighs
    as much as the rarest possible term, so that leaving it unmatched costs confidence.
    """
    known = [searcher.idf(t) for t in concept.stems if searcher.data.bm25.doc_freq(t) > 0]
    return max(known) if known else searcher.idf_of(0)


def _coverage(searcher: Searcher, query: Query, present: frozenset[str] | set[str]) -> float:
    """Share of the question's concepts (idf-weighted) that ``present`` holds in any form."""
    matched = possible = 0.0
    for concept in query.concepts:
        weight = _importance(searcher, concept) * max(concept.stems.values())
        possible += weight
        if any(t in present for t in concept.stems):
            matched += weight
    return matched / possible if possible > 0 else 0.0


def _confidence(searcher: Searcher, query: Query, hits: list[Hit]) -> float:
    """How well the best retrieved article covers the question's concepts, in [0, 1]."""
    data = searcher.data
    best = 0.0
    seen: set[int] = set()
    for hit in hits:
        art_no = int(data.layout.chunk_article[hit.chunk_id])
        if art_no in seen:
            continue
        seen.add(art_no)
        art = data.articles[art_no]
        present = set(terms(art.text))
        if art.meta.title:
            present.update(terms(art.meta.title))
        best = max(best, _coverage(searcher, query, present))
    return best


def _sentence_coverage(searcher: Searcher, query: Query, sentence: frozenset[str],
                       chunk: set[str], article: set[str]) -> float:
    """Coverage of the question by one sentence, read in its context.

    A name the question mentions (``Paris``, ``Astana``) is often stated once in an article's
    dateline or first sentence while the sentence that answers only says "the talks": names
    found elsewhere in the article earn most of their weight. Other concepts (what was
    agreed, who met) must be in the sentence itself to count fully.
    """
    matched = possible = 0.0
    for concept in query.concepts:
        weight = _importance(searcher, concept) * max(concept.stems.values())
        possible += weight
        forms = concept.stems.keys()
        if any(t in sentence for t in forms):
            matched += weight
        elif concept.name and any(t in article for t in forms):
            matched += NAME_IN_CONTEXT * weight
        elif any(t in chunk for t in forms):
            matched += TERM_IN_CONTEXT * weight
    return matched / possible if possible > 0 else 0.0


def _choose(searcher: Searcher, query: Query, hits: list[Hit]) -> list[_Scored]:
    """Score the sentences of the best articles and keep the few that answer."""
    data = searcher.data
    lay = data.layout
    top_score = max((h.score for h in hits), default=0.0) or 1.0
    # The answering sentence may sit in a chunk of a well-matching article that did not
    # itself rank (news articles are short): read every chunk of the top articles, scoring a
    # chunk that was not retrieved at a discount of its article's best hit.
    chunk_score: dict[int, float] = {}
    for hit in hits:
        chunk_score.setdefault(hit.chunk_id, hit.score / top_score)
    articles: list[int] = []
    for hit in hits:
        art_no = int(lay.chunk_article[hit.chunk_id])
        if art_no not in articles and len(articles) < ANSWER_ARTICLES:
            articles.append(art_no)
            art = data.articles[art_no]
            for chunk in range(art.chunk_lo, min(art.chunk_hi, art.chunk_lo + MAX_ARTICLE_CHUNKS)):
                chunk_score.setdefault(chunk, UNRETRIEVED_CHUNK * hit.score / top_score)
    scored: dict[int, _Scored] = {}
    article_terms: dict[int, set[str]] = {}
    for chunk, passage_score in chunk_score.items():
        lo, hi = int(lay.chunk_slo[chunk]), int(lay.chunk_shi[chunk])
        art_no = int(lay.chunk_article[chunk])
        if art_no not in article_terms:
            art = data.articles[art_no]
            article_terms[art_no] = set(terms(f"{art.meta.title or ''} {art.text}"))
        chunk_terms = set(terms(data.chunk_text(chunk)))
        vectors = np.asarray(data.sentence_vectors[lo:hi], dtype=np.float32)
        sims = vectors @ query.vector.astype(np.float32)
        for offset, j in enumerate(range(lo, hi)):
            sent_terms = frozenset(terms(data.sentence_text(j)))
            if not any(t in sent_terms for c in query.concepts for t in c.stems):
                continue
            lex = _sentence_coverage(searcher, query, sent_terms, chunk_terms,
                                     article_terms[art_no])
            score = (LEX_WEIGHT * lex + DENSE_WEIGHT * max(0.0, float(sims[offset]))
                     + PASSAGE_WEIGHT * passage_score)
            if j not in scored or scored[j].score < score:
                scored[j] = _Scored(j, chunk, art_no, score, sent_terms)
    ranked = sorted(scored.values(), key=lambda s: (-s.score, s.sentence))
    chosen: list[_Scored] = []
    for cand in ranked:
        if len(chosen) == MAX_SENTENCES:
            break
        # Another article must match about as well as the best one to be cited too.
        same = cand.article == ranked[0].article
        if cand.score < (RELATIVE_CUTOFF if same else OTHER_ARTICLE_CUTOFF) * ranked[0].score:
            continue
        if any(_similar(cand.terms, c.terms) for c in chosen):
            continue
        chosen.append(cand)
    return chosen


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) / max(1, len(a | b)) >= 0.6


def _compose(
    searcher: Searcher,
    question: str,
    lang: str,
    chosen: list[_Scored],
    passages: tuple,  # type: ignore[type-arg]
    notice: str,
) -> Answer:
    data = searcher.data
    numbers: dict[int, int] = {}
    for c in chosen:
        numbers.setdefault(c.article, len(numbers) + 1)
    several = len(numbers) > 1
    lines = []
    for c in chosen:
        art = data.articles[c.article]
        text = f"{data.sentence_text(c.sentence)} [{numbers[c.article]}]"
        if several:
            # Different articles may report different events that both match: say which is
            # which, by date when the article has one, else by its title or outlet.
            label = art.meta.date or art.meta.date_text or art.meta.title or art.meta.outlet
            if label:
                text = f"({label}) {text}"
        lines.append(text)
    citations = []
    for article, n in numbers.items():
        art = data.articles[article]
        mine = sorted((c for c in chosen if c.article == article), key=lambda c: c.sentence)
        citations.append(Citation(
            n=n, doc_id=art.doc_id, title=art.meta.title, source=art.meta.outlet,
            date=art.meta.date or art.meta.date_text,
            quote=" … ".join(data.sentence_text(c.sentence) for c in mine),
            score=round(max(c.score for c in mine), 4),
            passage=data.chunk_text(mine[0].chunk),
        ))
    return Answer(question, "\n".join(lines), False, lang, tuple(citations), passages, notice)
