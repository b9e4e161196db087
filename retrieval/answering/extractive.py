"""Extractive answers: pick the articles' own sentences that answer the question, cite them.

The sentences of the best-matching articles are scored against the question: how much of the
question's concepts (idf-weighted, in either language) a sentence covers, with names the
article states elsewhere counting for most of theirs; how close together they sit; the
sentence vector's similarity; and the retrieval score of its passage. Two adjacent sentences
may be read together when the second completes the first, and a quoted sentence keeps the
"However, ..." sentence that follows it. The best few, without near-duplicates, are quoted
verbatim and numbered by article; another article is cited only when it covers the question
as fully as the best one, and then each report is labelled with its own date. When no
retrieved article covers the question well enough (a threshold calibrated on FacQA, see
``benchmarks/calibrate_abstention.py``) the answer abstains and cites nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.search.searcher import Hit, Query, Searcher
from retrieval.search.terms import terms
from retrieval.types import Answer, Citation, Passage, Turn

#: Coverage below which the answer abstains, calibrated on 800 FacQA train questions asked
#: with and without their answering passage (benchmarks/calibrate_abstention.py): the highest
#: threshold that still answers 90% of answerable questions (90.6%; it abstains on 61.5% of
#: the same questions once their answer is removed).
DEFAULT_MIN_CONFIDENCE = 0.51
MAX_SENTENCES = 3
#: Passages whose sentences are considered for the answer.
ANSWER_PASSAGES = 5
#: Share of the best sentence's score another sentence needs to join the answer, from the
#: same article and from another one.
RELATIVE_CUTOFF, OTHER_ARTICLE_CUTOFF = 0.8, 0.7
#: How much less of the question another article's best window may cover, and how many
#: other articles may be cited besides the best one.
LEX_TIE, MAX_OTHER_ARTICLES = 0.02, 1
#: ... and its best passage must have been retrieved nearly as strongly as the top one.
OTHER_ARTICLE_RETRIEVAL = 0.9
#: Articles whose sentences are read for the answer, and how many chunks of each at most.
ANSWER_ARTICLES, MAX_ARTICLE_CHUNKS = 3, 40
#: A chunk of a top article that was not itself retrieved scores this share of the hit.
UNRETRIEVED_CHUNK = 0.7
LEX_WEIGHT, DENSE_WEIGHT, PASSAGE_WEIGHT = 0.6, 0.15, 0.25
#: Credit for a question's name found elsewhere in the article, or a word elsewhere in the
#: passage, rather than in the sentence itself.
NAME_IN_CONTEXT, TERM_IN_CONTEXT = 0.6, 0.2
#: Weight, in the confidence check, of a word that could not be translated into the
#: language of the article it is checked against.
UNTRANSLATED_WEIGHT = 0.3
#: Weight of how close together the question's concepts sit in a sentence.
PROXIMITY_WEIGHT = 0.1
#: Coverage two adjacent sentences must add over either alone to be quoted together; it is
#: also taken off their score, so a single sentence wins a tie.
PAIR_GAIN = 0.05

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

# Words that open a sentence continuing the one before it.
_CONTINUATIONS = frozenset(
    "namun tetapi meski meskipun walaupun sedangkan sementara padahal dimana "
    "however but although though yet still nevertheless instead".split()
)

# Words that make a question lean on the previous turn ("Who mediated them?").
_ANAPHORA = frozenset(
    "they them their it its he him his she her this that these those there then "
    "mereka ia dia beliau itu tersebut ini sana situ kedua keduanya".split()
)


@dataclass(frozen=True)
class _Scored:
    sentences: tuple[int, ...]  # one sentence, or two adjacent ones read together
    chunk: int
    article: int
    score: float
    lex: float
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
    sure = confidence(searcher, query, hits[:ANSWER_PASSAGES]) >= min_confidence
    chosen = _choose(searcher, query, hits[:ANSWER_PASSAGES]) if sure else []
    if not chosen:
        return Answer(question, messages["abstain"], True, query.lang, (), passages, notice)
    return _compose(searcher, question, query.lang, chosen, passages, notice)


def is_follow_up(question: str) -> bool:
    """Whether a question points back at the previous turn (pronouns, or almost no words)."""
    words = [w.strip("?.!,").lower() for w in question.split()]
    return any(w in _ANAPHORA or (w.endswith("nya") and len(w) > 5) for w in words) \
        or len(terms(question)) <= 1


def _context(question: str, history: Sequence[Turn]) -> str:
    if not history or not is_follow_up(question):
        return ""
    return history[-1].question


def _coverage(searcher: Searcher, query: Query, present: frozenset[str],
              other_language: bool = False) -> float:
    """Share of the question's concepts (idf-weighted) that ``present`` holds in any form.

    Against an article in the other language, a word the lexicon cannot translate (and
    that is no name, which reads the same in both) cannot be checked either way; it then
    counts for less, so a dictionary gap alone does not make Kabar abstain.
    """
    matched = possible = 0.0
    for concept in query.concepts:
        weight = concept.weight
        if other_language and not concept.bridged and not concept.name:
            weight *= UNTRANSLATED_WEIGHT
        possible += weight
        if concept.found_in(present):
            matched += weight
    return matched / possible if possible > 0 else 0.0


def confidence(searcher: Searcher, query: Query, hits: list[Hit]) -> float:
    """How well the best retrieved article covers the question's concepts, in [0, 1]."""
    data = searcher.data
    best = 0.0
    seen: set[int] = set()
    for hit in hits:
        art_no = int(data.layout.chunk_article[hit.chunk_id])
        if art_no in seen:
            continue
        seen.add(art_no)
        other = data.articles[art_no].lang != query.lang
        best = max(best, _coverage(searcher, query, searcher.article_terms(art_no), other))
    return best


def _sentence_coverage(searcher: Searcher, query: Query, sentence: frozenset[str],
                       chunk: frozenset[str], article: frozenset[str]) -> float:
    """Coverage of the question by one sentence, read in its context.

    A name the question mentions (``Paris``, ``Astana``) is often stated once in an article's
    dateline or first sentence while the sentence that answers only says "the talks": names
    found elsewhere in the article earn most of their weight. Other concepts (what was
    agreed, who met) must be in the sentence itself to count fully.
    """
    matched = possible = 0.0
    for concept in query.concepts:
        weight = concept.weight
        possible += weight
        if concept.found_in(sentence):
            matched += weight
        elif concept.name and concept.found_in(article):
            matched += NAME_IN_CONTEXT * weight
        elif concept.found_in(chunk):
            matched += TERM_IN_CONTEXT * weight
    return matched / possible if possible > 0 else 0.0


def _compactness(query: Query, sentence_terms: tuple[str, ...]) -> float:
    """How close together the question's concepts sit in a sentence, in [0, 1].

    "kepala intelijen Mesir" answers "head of Egyptian intelligence" better than a sentence
    with "kepala dinas intelijen Israel ..." and "Mesir" far apart. Counts matched concepts
    over the span from the first to the last of their first mentions.
    """
    positions = []
    for concept in query.concepts:
        where = [i for i, t in enumerate(sentence_terms) if t in concept.stems]
        if where:
            positions.append(where[0])
    if len(positions) < 2:
        return 0.0
    return len(positions) / (max(positions) - min(positions) + 1)


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
    scored: dict[tuple[int, ...], _Scored] = {}
    article_terms: dict[int, frozenset[str]] = {}
    for chunk, passage_score in chunk_score.items():
        lo, hi = int(lay.chunk_slo[chunk]), int(lay.chunk_shi[chunk])
        art_no = int(lay.chunk_article[chunk])
        if art_no not in article_terms:
            article_terms[art_no] = searcher.article_terms(art_no)
        sent_lists = [searcher.sentence_terms(j) for j in range(lo, hi)]
        chunk_terms = frozenset(t for terms_ in sent_lists for t in terms_)
        sims = np.asarray(data.sentence_vectors[lo:hi], dtype=np.float32) @ \
            query.vector.astype(np.float32)
        sent_terms = [frozenset(t) for t in sent_lists]
        cover = [_sentence_coverage(searcher, query, t, chunk_terms, article_terms[art_no])
                 + PROXIMITY_WEIGHT * _compactness(query, tl)
                 for t, tl in zip(sent_terms, sent_lists, strict=True)]
        for i in range(hi - lo):
            windows: list[tuple[tuple[int, ...], float, frozenset[str], float]] = [
                ((lo + i,), cover[i], sent_terms[i], float(sims[i]))]
            if i + 1 < hi - lo:
                # Two adjacent sentences, when the second completes the first ("... talks in
                # Astana. There, a ceasefire was agreed ..."): kept only if together they
                # cover clearly more of the question than either alone.
                both = sent_terms[i] | sent_terms[i + 1]
                pair = _sentence_coverage(searcher, query, both, chunk_terms,
                                          article_terms[art_no])
                if pair > max(cover[i], cover[i + 1]) + PAIR_GAIN:
                    windows.append(((lo + i, lo + i + 1), pair - PAIR_GAIN, both,
                                    float(max(sims[i], sims[i + 1]))))
            for key, lex, window_terms, sim in windows:
                if lex == 0 or key in scored:
                    continue
                score = (LEX_WEIGHT * lex + DENSE_WEIGHT * max(0.0, sim)
                         + PASSAGE_WEIGHT * passage_score)
                scored[key] = _Scored(key, chunk, art_no, score, lex, window_terms)
    ranked = sorted(scored.values(), key=lambda s: (-s.score, s.sentences))
    if not ranked:
        return []
    best = ranked[0]
    # Other articles are cited only when they match the question as fully as the best one
    # (two reports of talks in Paris), each with its own best window; then the best
    # article's further windows fill the remaining room.
    # An article's retrieval strength: its best hit's share of the top hit's score.
    top = max((h.score for h in hits), default=0.0) or 1.0
    strength: dict[int, float] = {}
    for hit in hits:
        art_no = int(lay.chunk_article[hit.chunk_id])
        strength[art_no] = max(strength.get(art_no, 0.0), hit.score / top)
    picks = [best]
    for cand in ranked[1:]:
        if len({p.article for p in picks}) > MAX_OTHER_ARTICLES:
            break
        if cand.article not in {p.article for p in picks} and cand.lex >= best.lex - LEX_TIE \
                and cand.score >= OTHER_ARTICLE_CUTOFF * best.score \
                and strength.get(cand.article, 0.0) >= OTHER_ARTICLE_RETRIEVAL:
            picks.append(cand)
    picks += [c for c in ranked[1:] if c.article == best.article
              and c.score >= RELATIVE_CUTOFF * best.score]
    chosen: list[_Scored] = []
    used: set[int] = set()
    for cand in picks:
        if sum(len(c.sentences) for c in chosen) + len(cand.sentences) > MAX_SENTENCES:
            continue
        if used.intersection(cand.sentences) or any(_similar(cand.terms, c.terms)
                                                    for c in chosen):
            continue
        room = MAX_SENTENCES - sum(len(c.sentences) for c in chosen) - len(cand.sentences)
        cand = _complete(searcher, cand, used) if room > 0 else cand
        chosen.append(cand)
        used.update(cand.sentences)
    # Quote each article's sentences together, in the order the articles ranked.
    rank = {a: i for i, a in enumerate(dict.fromkeys(c.article for c in chosen))}
    return sorted(chosen, key=lambda c: (rank[c.article], c.sentences))


def _complete(searcher: Searcher, cand: _Scored, used: set[int]) -> _Scored:
    """Add the next sentence when it continues the quoted one ("However, ...", "Namun ...").

    A quote cut before its "but" can say the opposite of the article ("the meeting reached
    no final agreement" + "However, the parties agreed to continue talks").
    """
    data = searcher.data
    lay = data.layout
    nxt = cand.sentences[-1] + 1
    art = data.articles[cand.article]
    if nxt >= art.sent_hi or nxt in used:
        return cand
    gap = art.text[int(lay.sent_end[nxt - 1]):int(lay.sent_start[nxt])]
    opening = data.sentence_text(nxt).casefold().split(maxsplit=2)
    first = opening[0].strip(",")
    if first == "akan" and len(opening) > 1:  # "Akan tetapi, ..." (but not "Akan ada ...")
        first = opening[1].strip(",")
    if "\n\n" in gap or first not in _CONTINUATIONS:
        return cand
    return dataclasses.replace(cand, sentences=(*cand.sentences, nxt))


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) / max(1, len(a | b)) >= 0.6


def _compose(
    searcher: Searcher,
    question: str,
    lang: str,
    chosen: list[_Scored],
    passages: tuple[Passage, ...],
    notice: str,
) -> Answer:
    data = searcher.data
    lay = data.layout
    numbers: dict[int, int] = {}
    for c in chosen:
        numbers.setdefault(c.article, len(numbers) + 1)
    several = len(numbers) > 1
    lines = []
    for c in chosen:
        art = data.articles[c.article]
        quote = " ".join(data.sentence_text(j) for j in c.sentences)
        text = f"{quote} [{numbers[c.article]}]"
        if several:
            # Different articles may report different events that both match: say which is
            # which, by date when the article has one, else by its title or outlet.
            label = art.meta.date_text or art.meta.date or art.meta.title or art.meta.outlet
            if label:
                text = f"({label}) {text}"
        lines.append(text)
    citations = []
    for article, n in numbers.items():
        art = data.articles[article]
        mine = sorted((c for c in chosen if c.article == article), key=lambda c: c.sentences)
        citations.append(Citation(
            n=n, doc_id=art.doc_id, title=art.meta.title, source=art.meta.outlet,
            date=art.meta.date or art.meta.date_text,
            quote=" … ".join(" ".join(data.sentence_text(j) for j in c.sentences)
                             for c in mine),
            score=round(max(c.score for c in mine), 4),
            # The passage behind the citation spans every chunk its quotes come from.
            passage=art.text[min(int(lay.chunk_start[c.chunk]) for c in mine):
                             max(int(lay.chunk_end[c.chunk]) for c in mine)],
        ))
    return Answer(question, "\n".join(lines), False, lang, tuple(citations), passages, notice)
