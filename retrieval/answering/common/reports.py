"""How an answer names the report it cites: the article's date written out, its outlet.

Shared by the extractive writer (a report's label before its quote) and the LLM writer (each
passage's heading in the prompt).
"""

from __future__ import annotations

from retrieval.answering.common.when import Day, article_day, format_day
from retrieval.store import IndexView

__all__ = ["article_date_text", "report_label"]

_REPORT = {"en": "The {outlet}report{of} says", "id": "Laporan {outlet}{of}"}
_OF = {"en": " of {date}", "id": " tanggal {date}"}


def article_date_text(view: IndexView, article: int, lang: str) -> str:
    """An article's date written out in ``lang`` ("" when it has none)."""
    meta = view.article(article).meta
    day: Day | None = article_day(meta.date, meta.date_text)
    return format_day(day, lang) if day is not None else ""


def report_label(view: IndexView, article: int, lang: str) -> str:
    """How a report is named in an answer: "The MINA report of Saturday 26 July ... says"."""
    meta = view.article(article).meta
    date = article_date_text(view, article, lang)
    outlet = f"{meta.outlet} " if meta.outlet and lang == "en" else ""
    if lang != "en" and meta.outlet:
        outlet = f"{meta.outlet} "
    label = _REPORT["en" if lang == "en" else "id"].format(
        outlet=outlet, of=_OF["en" if lang == "en" else "id"].format(date=date) if date else "")
    return " ".join(label.split())
