"""Choosing the sentences that answer: score windows of one or two sentences, then pick.

1. :func:`reading_list` — the chunks to read: the retrieved ones, and every chunk of the
   best articles at a discount (news articles are short, and the answering sentence may sit
   in a chunk that did not itself rank);
2. :func:`score_windows` — each sentence (or two adjacent ones, when the second completes
   the first) scored by coverage, proximity, sentence-vector similarity and passage score;
3. :func:`pick` — the best window, other articles' best windows when they match as fully
   (two reports of talks in Paris), then the best article's further windows;
4. :func:`fill` — within the sentence budget, without near-duplicates, each window
   completed by a "However, ..." sentence that follows it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import numpy as np

from retrieval.answering.context import ReadContext
from retrieval.answering.extractive.coverage import compactness, sentence_coverage
from retrieval.answering.extractive.kinds import question_kind
from retrieval.answering.extractive.lead import short_lead
from retrieval.answering.writer import Window
from retrieval.search import Hit, Query
from retrieval.store import IndexView
from retrieval.text.terms import terms
from retrieval.tuning import Tuning

__all__ = ["answer_first", "choose", "fill", "kind_first", "pick", "reading_list",
           "score_windows"]

_WORD = re.compile(r"\w+")
# Words that deny or suppose what follows them.
_HEDGES = frozenset("tidak tak tanpa belum bukan jika kalau apabila seandainya bila no not "
                    "never without if unless nor".split())
# Words that open a sentence continuing the one before it.
_CONTINUATIONS = frozenset(
    "namun tetapi meski meskipun walaupun sedangkan sementara padahal dimana "
    "however but although though yet still nevertheless instead".split()
)


def choose(context: ReadContext, query: Query, hits: Sequence[Hit]) -> list[Window]:
    """The windows to quote, grouped by article in the order the articles ranked."""
    windows = score_windows(context, query, reading_list(context, hits))
    ranked = sorted(windows.values(), key=lambda w: (-w.score, w.sentences))
    if not ranked:
        return []
    ranked = kind_first(context, query, ranked)
    chosen = fill(context, pick(query, ranked, _strength(context, hits), context.tuning))
    return answer_first(query, chosen)


def kind_first(context: ReadContext, query: Query, ranked: list[Window]) -> list[Window]:
    """For a factoid question, the first window holding an answer of the kind asked for
    (a place for "where", a number for "how many") leads, when it scores nearly as well as
    the best: "Where did rebels and the government fight ISIS together?" is answered by the
    sentence naming Qalamoun, not by the one that only repeats the question."""
    if question_kind(query.text) is None:
        return ranked
    floor = context.tuning.kind_window_share * ranked[0].score
    for i, w in enumerate(ranked):
        if w.score < floor:
            break
        if short_lead(context, query, w.article, w.sentences) is not None:
            return [w, *ranked[:i], *ranked[i + 1:]]
    return ranked


def answer_first(query: Query, chosen: list[Window]) -> list[Window]:
    """The best window first, then other reports, then only the windows of the best article
    that cover part of the question the windows before them did not (no padding)."""
    best = chosen[0]
    covered = _covered(query, best.terms)
    extra: list[Window] = []
    for w in chosen[1:]:
        if w.article == best.article:
            gain = _covered(query, w.terms) - covered
            if gain:
                extra.append(w)
                covered |= gain
    return [best] + [w for w in chosen[1:] if w.article != best.article] + extra


def _covered(query: Query, terms: frozenset[str]) -> set[int]:
    return {i for i, c in enumerate(query.concepts) if c.found_in(terms)}


def reading_list(context: ReadContext, hits: Sequence[Hit], articles: int | None = None
                 ) -> dict[int, float]:
    """Chunk -> passage score (share of the top hit) for every chunk worth reading: the
    retrieved ones, and every chunk of the first ``articles`` retrieved articles
    (``Tuning.answer_articles`` by default) at a discount."""
    view, tuning = context.view, context.tuning
    whole = tuning.answer_articles if articles is None else articles
    top_score = max((h.score for h in hits), default=0.0) or 1.0
    chunk_score: dict[int, float] = {}
    for hit in hits:
        chunk_score.setdefault(hit.chunk_id, hit.score / top_score)
    read: list[int] = []
    for hit in hits:
        number = view.article_of_chunk(hit.chunk_id)
        if number not in read and len(read) < whole:
            read.append(number)
            chunks = view.chunks_of_article(number)
            for chunk in chunks[:tuning.max_article_chunks]:
                chunk_score.setdefault(chunk, tuning.unretrieved_chunk * hit.score / top_score)
    return chunk_score


def score_windows(context: ReadContext, query: Query, chunk_score: dict[int, float]
                  ) -> dict[tuple[int, ...], Window]:
    """Every window of the listed chunks with its score (the first score of a window wins)."""
    view, tuning = context.view, context.tuning
    scored: dict[tuple[int, ...], Window] = {}
    for chunk, passage_score in chunk_score.items():
        sentences = view.sentences_of_chunk(chunk)
        number = view.article_of_chunk(chunk)
        art_lang = view.article(number).lang
        article_terms = context.article_terms(number)
        lists = [context.sentence_terms(j) for j in sentences]
        chunk_terms = frozenset(t for terms_ in lists for t in terms_)
        sims = view.sentence_vectors(sentences.start, sentences.stop) @ \
            query.vector.astype(np.float32)
        sets = [frozenset(t) for t in lists]
        cover = [sentence_coverage(query, t, chunk_terms, article_terms, tuning)
                 + tuning.proximity_weight * compactness(query, tl)
                 for t, tl in zip(sets, lists, strict=True)]
        for i, first in enumerate(sentences):
            candidates: list[tuple[tuple[int, ...], float, frozenset[str], float]] = [
                ((first,), cover[i], sets[i], float(sims[i]))]
            if i + 1 < len(sentences):
                # Two adjacent sentences, when the second completes the first ("... talks in
                # Astana. There, a ceasefire was agreed ..."): kept only if together they
                # cover clearly more of the question than either alone.
                both = sets[i] | sets[i + 1]
                pair = sentence_coverage(query, both, chunk_terms, article_terms, tuning)
                if pair > max(cover[i], cover[i + 1]) + tuning.pair_gain:
                    candidates.append(((first, first + 1), pair - tuning.pair_gain, both,
                                       float(max(sims[i], sims[i + 1]))))
            for key, lex, window_terms, sim in candidates:
                if lex == 0 or key in scored:
                    continue
                score = (tuning.lex_weight * lex + tuning.sentence_dense_weight * max(0.0, sim)
                         + tuning.passage_weight * passage_score)
                denied = hedged(query, " ".join(view.sentence_text(j) for j in key), art_lang)
                if denied:
                    score -= tuning.hedge_penalty
                scored[key] = Window(key, chunk, number, score, lex, window_terms, denied)
    return scored


def _strength(context: ReadContext, hits: Sequence[Hit]) -> dict[int, float]:
    """An article's retrieval strength: its best hit's share of the top hit's score."""
    top = max((h.score for h in hits), default=0.0) or 1.0
    strength: dict[int, float] = {}
    for hit in hits:
        number = context.view.article_of_chunk(hit.chunk_id)
        strength[number] = max(strength.get(number, 0.0), hit.score / top)
    return strength


def pick(query: Query, ranked: list[Window], strength: dict[int, float], tuning: Tuning
         ) -> list[Window]:
    """The best window; other articles' windows that match the question as fully as it
    (each with its own best window); then the best article's further windows.

    Another article counts as a second report when its window matches as strongly and the
    article was retrieved nearly as well, or when its window names every concept of the
    question, as the best one does ("Which talks took place in Paris?": the Syria-Israel
    talks and the Gaza talks), and the article was retrieved well enough (open questions
    only).
    """
    best = ranked[0]
    picks = [best]
    # Only open questions: a factoid one has one answer, and the best window holds it.
    full = question_kind(query.text) is None \
        and _covered(query, best.terms) == set(range(len(query.concepts)))
    for cand in ranked[1:]:
        if len({p.article for p in picks}) > tuning.max_other_articles:
            break
        if cand.article in {p.article for p in picks} or cand.hedged \
                or cand.score < tuning.other_article_cutoff * best.score:
            continue
        retrieved = strength.get(cand.article, 0.0)
        tied = cand.lex >= best.lex - tuning.lex_tie \
            and retrieved >= tuning.other_article_retrieval
        complete = full and retrieved >= tuning.complete_article_retrieval \
            and _covered(query, cand.terms) == set(range(len(query.concepts)))
        if tied or complete:
            picks.append(cand)
    picks += [c for c in ranked[1:] if c.article == best.article
              and c.score >= tuning.relative_cutoff * best.score]
    return picks


def fill(context: ReadContext, picks: list[Window]) -> list[Window]:
    """Take picks while the sentence budget lasts, skipping overlaps and near-duplicates."""
    budget = context.tuning.max_sentences
    chosen: list[Window] = []
    used: set[int] = set()
    for cand in picks:
        if sum(len(c.sentences) for c in chosen) + len(cand.sentences) > budget:
            continue
        if used.intersection(cand.sentences) or any(
                _similar(cand.terms, c.terms, context.tuning) for c in chosen):
            continue
        room = budget - sum(len(c.sentences) for c in chosen) - len(cand.sentences)
        cand = _complete(context, cand, used) if room > 0 else cand
        chosen.append(cand)
        used.update(cand.sentences)
    return chosen


def _complete(context: ReadContext, cand: Window, used: set[int]) -> Window:
    """Read a quote with the sentence it leans on: the one before, when the quote opens with
    "However, ..." ("Namun ..."), and the next one, when that continues the quote.

    A quote cut before its "but" can say the opposite of the article ("the meeting reached no
    final agreement" + "However, the parties agreed to continue talks"), and one that opens
    with "However" means little alone.
    """
    view = context.view
    art = view.article(cand.article)
    first, last = cand.sentences[0], cand.sentences[-1]
    before = first - 1
    if before >= art.sent_lo and before not in used and _continues(view, first):
        cand = dataclasses.replace(cand, sentences=(before, *cand.sentences))
    nxt = last + 1
    if nxt < art.sent_hi and nxt not in used and _continues(view, nxt):
        cand = dataclasses.replace(cand, sentences=(*cand.sentences, nxt))
    return cand


def _continues(view: IndexView, sentence: int) -> bool:
    """Whether a sentence opens by continuing the one before it, in the same paragraph."""
    opening = view.sentence_text(sentence).casefold().split(maxsplit=2)
    first = opening[0].strip(",") if opening else ""
    if first == "akan" and len(opening) > 1:  # "Akan tetapi, ..." (but not "Akan ada ...")
        first = opening[1].strip(",")
    return "\n\n" not in view.gap_before(sentence) and first in _CONTINUATIONS


def hedged(query: Query, sentence: str, lang: str) -> bool:
    """Whether the sentence names one of the question's (non-name) concepts only as denied
    or supposed ("jika tidak ada kesepakatan", "no agreement was reached"): such a sentence
    reports what did not happen, a weaker answer than one that says what did."""
    words = [(m.group(0).casefold(), m.start()) for m in _WORD.finditer(sentence)]
    stems = [terms(w, lang) for w, _ in words]
    for concept in query.concepts:
        if concept.name:
            continue
        places = [i for i, s in enumerate(stems) if s and s[0] in concept.stems]
        if places and all(any(words[k][0] in _HEDGES for k in range(max(0, i - 3), i))
                          for i in places):
            return True
    return False
def _similar(a: frozenset[str], b: frozenset[str], tuning: Tuning) -> bool:
    return len(a & b) / max(1, len(a | b)) >= tuning.duplicate_overlap
