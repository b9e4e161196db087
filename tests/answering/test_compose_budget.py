"""A reply without a short answer quotes the best window, then others only while the quotes
stay within ``Tuning.extra_window_chars``; the rest stay in their citations."""

from __future__ import annotations

from typing import Any, cast

from retrieval.answering.extractive.compose import _within
from retrieval.answering.writer import Window
from retrieval.store import IndexView


class _Sentences:
    """The one thing ``_within`` reads of a view: sentence texts (a boundary fake)."""

    def __init__(self, lengths: list[int]) -> None:
        self._texts = ["x" * n for n in lengths]

    def sentence_text(self, sentence: int) -> str:
        return self._texts[sentence]


def _windows(count: int) -> list[Window]:
    return [Window((i,), i, i, 1.0 - i / 10, 0.5, frozenset()) for i in range(count)]


def _view(lengths: list[int]) -> IndexView:
    return cast(IndexView, cast(Any, _Sentences(lengths)))


def test_windows_are_added_while_the_quotes_fit() -> None:
    shown = _within(_view([150, 150, 150]), _windows(3), 400)
    assert [w.sentences for w in shown] == [(0,), (1,)]  # 300 fits, 450 would not


def test_the_best_window_is_shown_however_long() -> None:
    shown = _within(_view([900, 50]), _windows(2), 400)
    assert [w.sentences for w in shown] == [(0,)]
    assert _within(_view([]), [], 400) == []


def test_a_large_budget_shows_every_window() -> None:
    assert len(_within(_view([300, 300, 300]), _windows(3), 10_000)) == 3
