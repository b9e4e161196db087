"""Writing the chosen windows out: the lead, the quoted sentences with ``[n]``, the sources.

The best window comes first. A factoid question's short answer leads, in the asker's
language, above the same quotes an answer without one shows (a short line never drops a
window that may hold the answer); an English question of another kind names the report it
quotes, with its date.
When several articles answer, each report is labelled with its own date.
"""

from __future__ import annotations

from retrieval.answering.common.reports import article_date_text, report_label
from retrieval.answering.writer import Evidence, Lead, Window
from retrieval.store import IndexView
from retrieval.types import Answer, Citation

__all__ = ["citation", "compose"]


def compose(evidence: Evidence, chosen: list[Window], lead: Lead | None = None) -> Answer:
    """The answer quoting ``chosen`` (best first), numbered by article in that order.

    Args:
        evidence: The question and the index version it was answered from.
        chosen: The windows to quote, best first.
        lead: The short answer of a factoid question, found in the first window.
    """
    view = evidence.context.view
    lang = evidence.query.lang
    # The same windows with a short answer as without: a short line never drops a sentence
    # that may hold the answer (the short answer may be wrong, the next window right).
    shown = _within(view, chosen, evidence.context.tuning.extra_window_chars)
    numbers: dict[int, int] = {}
    for w in shown:
        numbers.setdefault(w.article, len(numbers) + 1)
    several = len(numbers) > 1
    first = chosen[0]
    found = lead
    lines = [f"{found.text} [{numbers[first.article]}]"] if found is not None else []
    framed: set[int] = set()
    for w in shown:
        quote, n = _quote(view, w), numbers[w.article]
        if found is None and lang == "en" and w.article not in framed:
            lines.append(f"{report_label(view, w.article, 'en')}: “{quote}” [{n}]")
        elif several and w.article not in framed:
            # Different articles may report different events that both match: say which is
            # which, by date when the article has one, else by its title.
            label = article_date_text(view, w.article, lang) or view.article_title(w.article)
            lines.append(f"{label}: {quote} [{n}]")
        else:
            lines.append(f"{quote} [{n}]")
        framed.add(w.article)
    citations = tuple(citation(view, article, n, [w for w in chosen if w.article == article])
                      for article, n in numbers.items())
    return Answer(evidence.question, "\n".join(lines), False, lang, citations,
                  evidence.passages, cut_to=evidence.cut_to)


def _within(view: IndexView, chosen: list[Window], budget: int) -> list[Window]:
    """The best window, then the others in order while the quotes stay within ``budget``
    characters: a reply is read on a phone, and a further window repeats the first more
    often than it adds to it (the others stay in their citations)."""
    shown, used = chosen[:1], len(_quote(view, chosen[0])) if chosen else 0
    for w in chosen[1:]:
        used += len(_quote(view, w))
        if used > budget:
            break
        shown.append(w)
    return shown


def _quote(view: IndexView, window: Window) -> str:
    return " ".join(view.sentence_text(j) for j in window.sentences)


def citation(view: IndexView, article: int, n: int, mine: list[Window]) -> Citation:
    """Citation ``n`` of ``article``: its quote is the windows ``mine`` (in text order),
    its passage every chunk they come from."""
    art = view.article(article)
    mine = sorted(mine, key=lambda w: w.sentences)
    spans = [view.chunk_span(w.chunk) for w in mine]
    return Citation(
        n=n, doc_id=art.doc_id, title=view.article_title(article), source=art.meta.outlet,
        date=view.article_date(article),
        quote=" … ".join(_quote(view, w) for w in mine),
        score=round(max(w.score for w in mine), 4),
        # The passage behind the citation spans every chunk its quotes come from.
        passage=view.span_text(article, min(s for s, _ in spans), max(e for _, e in spans)),
    )
