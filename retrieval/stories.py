"""Followed stories: which articles of an index version report on a story, and with what.

A story is followed in words ("gencatan senjata Gaza", "Syria Israel talks in Paris"); an
article reports on it when the same checks that let a question be answered pass for that
article alone: retrieval scores its chunks for the story's words (BM25 and the dense side,
fused as :class:`retrieval.search.Searcher` does), and the gate
(:func:`retrieval.answering.judge`) finds a sentence that covers the story's concepts, names
what the story names and is close enough in meaning. On top, the article must name at least
half of the story's names and cover at least ``min_score`` of the story's concepts
(idf-weighted, :func:`coverage.confidence`), a threshold calibrated on a labelled set
(``benchmarks/bench_follow.py``) so that unrelated articles do not alert.

:class:`Stories` is bound to ONE loaded version (from :meth:`retrieval.engine.Engine.stories`),
so the article hashes it diffs and the articles it matches always agree.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from retrieval.answering import Evidence, ReadContext, judge
from retrieval.answering.extractive.coverage import confidence
from retrieval.search import Hit, Query, Searcher
from retrieval.text.languages import SUPPORTED
from retrieval.types import StoryMatch

__all__ = ["Stories"]

#: Articles of a whole-index search looked at for "the newest report already matching".
_NEWEST_AMONG = 20


@dataclass(frozen=True)
class Stories:
    """Matching followed stories against the articles of one loaded index version.

    Attributes:
        version: The index version.
        contents: Article id -> content hash (the manifest's), for diffing versions.
        searcher: The version's searcher.
        context: What the gate reads of the version.
        min_score: The least share of a story's concepts an article must cover.
    """

    version: str
    contents: Mapping[str, str]
    searcher: Searcher
    context: ReadContext
    min_score: float

    def match(self, story: str, doc_ids: Collection[str], lang: str | None = None
              ) -> list[StoryMatch]:
        """The articles among ``doc_ids`` that report on ``story``, best first.

        Args:
            story: The story as followed (words or a question, either language).
            doc_ids: Article ids of this version to check (the ones an update added or
                changed); unknown ids are skipped.
            lang: The story's language when known.
        """
        view = self.searcher.view
        wanted = set(doc_ids)
        numbers = [n for n, a in enumerate(view.articles) if a.doc_id in wanted]
        if not numbers or not story.strip():
            return []
        chunks = np.fromiter((c for n in numbers for c in view.chunks_of_article(n)),
                             dtype=np.int64)
        query = self._reading(story, lang)
        by_article: dict[int, list[Hit]] = {}
        for hit in self.searcher.score_chunks(query, chunks):
            by_article.setdefault(view.article_of_chunk(hit.chunk_id), []).append(hit)
        best = {m.doc_id: m for n, own in by_article.items()
                if (m := self._judge(story, query, n, own)) is not None}
        return sorted(best.values(), key=lambda m: (-m.score, m.doc_id))

    def _reading(self, story: str, lang: str | None) -> Query:
        """The story analysed in the language that understands more of its words.

        A story is a few words, too few to tell their language reliably ("bird flu" reads
        as Indonesian): it is analysed as each language, and the reading in which more of
        its words are known (translated into the other language) wins; a tie keeps ``lang``
        (the detected one)."""
        readings = [self.searcher.analyse(story, "", x)
                    for x in dict.fromkeys(x for x in (lang, *SUPPORTED) if x)]
        return max(readings, key=lambda q: sum(c.bridged for c in q.concepts))

    def newest(self, story: str, lang: str | None = None) -> StoryMatch | None:
        """The newest article of the whole version that reports on ``story``, or ``None``
        (the reply to ``/follow``): the best search results, matched one by one."""
        query = self._reading(story, lang)
        view = self.searcher.view
        hits = self.searcher.search(query, _NEWEST_AMONG)
        ids = {view.article(view.article_of_chunk(h.chunk_id)).doc_id for h in hits}
        found = self.match(story, ids, lang)
        return max(found, key=lambda m: (m.date or "", m.score), default=None)

    def _judge(self, story: str, query: Query, number: int, hits: list[Hit]
               ) -> StoryMatch | None:
        """The article's match, when the gate answers the story from it alone."""
        hits = hits[:self.context.tuning.answer_passages]
        score = confidence(self.context, query, hits)
        if score < self.min_score:  # cheap, and most unrelated articles stop here
            return None
        # A story is defined by its names more than a question is: the gate lets a place be
        # missing as context ("talks in Paris" answered from a report that omits Paris),
        # but "Syria Israel talks in Paris" is not about Hamas and Israel talking in Cairo.
        # At least half of the names it writes must be in the article.
        names = [c for c in query.concepts if c.name]
        terms = self.context.article_terms(number)
        if 2 * sum(c.found_in(terms) for c in names) < len(names):
            return None
        decision = judge(Evidence(story, query, tuple(hits), (), self.context),
                         self.searcher.aliases_of)
        if not decision.answers or not decision.windows:
            return None
        view = self.searcher.view
        window = decision.windows[0]
        article = view.article(number)
        sentence = " ".join(view.sentence_text(s).strip() for s in window.sentences)
        return StoryMatch(article.doc_id, view.article_title(number), article.meta.outlet,
                          view.article_date(number), sentence,
                          view.chunk_text(window.chunk), round(score, 4))
