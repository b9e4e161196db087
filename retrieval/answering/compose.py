"""Writing the chosen windows out: quoted sentences with ``[n]``, and the numbered sources."""

from __future__ import annotations

from retrieval.answering.choose import Window
from retrieval.answering.writer import Evidence
from retrieval.store import IndexView
from retrieval.types import Answer, Citation

__all__ = ["compose"]


def compose(evidence: Evidence, chosen: list[Window]) -> Answer:
    """The answer quoting ``chosen``, numbered by article in the order given."""
    view = evidence.searcher.view
    numbers: dict[int, int] = {}
    for w in chosen:
        numbers.setdefault(w.article, len(numbers) + 1)
    several = len(numbers) > 1
    lines = []
    for w in chosen:
        text = f"{_quote(view, w)} [{numbers[w.article]}]"
        if several:
            # Different articles may report different events that both match: say which is
            # which, by date when the article has one, else by its title or outlet.
            meta = view.article(w.article).meta
            label = meta.date_text or meta.date or meta.title or meta.outlet
            if label:
                text = f"({label}) {text}"
        lines.append(text)
    citations = tuple(_citation(view, article, n, [w for w in chosen if w.article == article])
                      for article, n in numbers.items())
    return Answer(evidence.question, "\n".join(lines), False, evidence.query.lang, citations,
                  evidence.passages, cut_to=evidence.cut_to)


def _quote(view: IndexView, window: Window) -> str:
    return " ".join(view.sentence_text(j) for j in window.sentences)


def _citation(view: IndexView, article: int, n: int, mine: list[Window]) -> Citation:
    art = view.article(article)
    mine = sorted(mine, key=lambda w: w.sentences)
    spans = [view.chunk_span(w.chunk) for w in mine]
    return Citation(
        n=n, doc_id=art.doc_id, title=art.meta.title, source=art.meta.outlet,
        date=view.article_date(article),
        quote=" … ".join(_quote(view, w) for w in mine),
        score=round(max(w.score for w in mine), 4),
        # The passage behind the citation spans every chunk its quotes come from.
        passage=view.span_text(article, min(s for s, _ in spans), max(e for _, e in spans)),
    )
