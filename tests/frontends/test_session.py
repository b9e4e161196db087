"""The front ends' shared parts: one ChatSession, one message splitter, the prepared question,
and the app's index/status entry points."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from fake_telegram import check_html

from bot import app
from bot.repl import Repl
from bot.session import ChatSession
from bot.split import PLAIN, Block, Markup, hard_cut, split_blocks
from bot.telegram import render as tf
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon
from retrieval.types import Answer, Question


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def answer(question: str, lang: str = "en") -> Answer:
    return Answer(question, f"About {question}. [1]", False, lang)


# ChatSession ----------------------------------------------------------------------------------


def test_history_keeps_the_newest_turns_in_order() -> None:
    session = ChatSession(turns=3)
    for q in ("one", "two", "three", "four"):
        session.remember(answer(q))
    assert [t.question for t in session.history()] == ["two", "three", "four"]
    assert [t.answer.question for t in session.history()] == ["two", "three", "four"]


def test_history_forgets_turns_older_than_max_age() -> None:
    clock = Clock()
    session = ChatSession(turns=3, max_age=30 * 60, clock=clock)
    session.remember(answer("old"))
    clock.now += 20 * 60
    session.remember(answer("recent"))
    assert [t.question for t in session.history()] == ["old", "recent"]
    clock.now += 15 * 60  # "old" is 35 minutes old now, "recent" 15
    assert [t.question for t in session.history()] == ["recent"]


def test_rate_limit_counts_questions_per_minute() -> None:
    clock = Clock()
    session = ChatSession(turns=3, rate_limit=2, clock=clock)
    assert session.wait_seconds() == 0
    clock.now += 10
    assert session.wait_seconds() == 0
    clock.now += 5
    assert session.wait_seconds() == 45  # the first question leaves the window at +60 s
    clock.now += 44.5
    assert session.wait_seconds() == 1  # rounded up, never 0 while refused
    clock.now += 0.5
    assert session.wait_seconds() == 0  # the first question left the window
    assert session.wait_seconds() == 10  # the second question leaves at +70 s; refusals uncounted


def test_no_rate_limit_by_default() -> None:
    session = ChatSession(turns=5)
    assert all(session.wait_seconds() == 0 for _ in range(1000))


def test_kept_answers_by_key_oldest_forgotten_first() -> None:
    session = ChatSession(turns=3, keep=2)
    first, second, third = answer("a"), answer("b"), answer("c")
    session.remember(first, 101)
    session.remember(second, 102)
    assert session.answer_for(101) is first and session.answer_for(102) is second
    session.remember(third, 103)
    assert session.answer_for(101) is None  # its buttons now say "ask again"
    assert session.answer_for(103) is third and session.last_answer is third


def test_last_answer_and_clear() -> None:
    session = ChatSession(turns=5)
    assert session.last_answer is None
    session.remember(answer("Paris"))
    session.remember(answer("Moskow"))
    assert session.last_answer is not None and session.last_answer.question == "Moskow"
    session.clear()
    assert session.last_answer is None and session.history() == ()
    assert session.answer_for(None) is None


# Message splitting ----------------------------------------------------------------------------


def sentences(n: int) -> str:
    return " ".join(f"Sentence number {i} says something. [{i % 9 + 1}]" for i in range(n))


@pytest.mark.parametrize("limit", [60, 200, 4096])
def test_plain_split_fits_the_limit_and_keeps_markers_with_sentences(limit: int) -> None:
    text = sentences(300)
    parts = split_blocks([Block(text)], limit)
    assert len(parts) > 1
    assert all(len(p) <= limit for p in parts)
    assert " ".join(parts) == text  # cut at spaces only, nothing lost
    assert not any(p.startswith("[") for p in parts)  # a marker is never cut from its sentence


def test_blocks_are_packed_with_their_separators() -> None:
    blocks = [Block("Heading"), Block("line one", sep="\n"), Block("line two", sep="\n")]
    assert split_blocks(blocks, 100) == ["Heading\nline one\nline two"]
    assert split_blocks(blocks, 17) == ["Heading\nline one", "line two"]


def test_html_split_is_balanced_and_measured_in_utf16() -> None:
    text = "Hamas & Israel <agreed> 🙂. " * 400
    parts = split_blocks([Block(text, open="<i>", close="</i>")], tf.MAX_MESSAGE, tf.HTML)
    assert len(parts) > 1
    for part in parts:
        assert tf.length(part) <= tf.MAX_MESSAGE
        assert part.startswith("<i>") and part.endswith("</i>")
        assert check_html(part) is None
        assert "&amp;" in part and "<agreed>" not in part


def test_a_new_markup_is_a_parameter() -> None:
    """A front end with its own escaping and counting (here: Markdown, bytes) gets the same
    cutting rules."""
    markdown = Markup(escape=lambda s: re.sub(r"([*_`\[\]])", r"\\\1", s),
                      length=lambda s: len(s.encode("utf-8")))
    text = "Kata *penting* dan_lain. " * 50
    parts = split_blocks([Block(text, open="*", close="*")], 120, markdown)
    assert len(parts) > 1
    assert all(markdown.length(p) <= 120 for p in parts)
    assert all(p.startswith("*") and p.endswith("*") for p in parts)
    assert all("\\*penting\\*" in p for p in parts)


def test_hard_cut_never_splits_an_escape_or_a_marker() -> None:
    pieces = hard_cut("a&b&c&d[12]efg", 7, tf.HTML)
    assert "".join(pieces) == "a&b&c&d[12]efg"
    assert all(tf.length(tf.escape(p)) <= 7 for p in pieces)
    assert "[12]" in "".join(p for p in pieces if "[" in p)  # the marker stayed whole
    assert hard_cut("abcdef", 4, PLAIN) == ["abcd", "ef"]


# The prepared question ------------------------------------------------------------------------


@pytest.fixture
def engine(hashing_settings: Settings, hashing_embedder: Callable[[], Embedder]) -> Engine:
    app.build(hashing_settings, hashing_embedder)
    return Engine(hashing_settings, hashing_embedder(), Lexicon.load())


def test_prepare_cleans_cuts_and_finds_the_language_once(engine: Engine) -> None:
    question = engine.prepare("  Siapa\x00 yang\u202e memediasi\n perundingan?  ")
    assert question == Question("Siapa yang memediasi perundingan?", "id", True, True)
    assert engine.prepare("What was agreed in Paris?").lang == "en"
    assert not engine.prepare("Qu'est-ce qui a été convenu à Paris avec les ministres?").supported
    assert not engine.prepare("🙂 ?!").has_words
    limit = engine.settings.max_question_chars
    long = engine.prepare("What was agreed in Paris? " * 100)
    assert long.cut_to == limit and len(long.text) == limit


def test_answer_takes_a_prepared_question_as_it_is(engine: Engine) -> None:
    typed = "What was agreed in Paris?"
    assert engine.answer(engine.prepare(typed)) == engine.answer(typed)
    # The prepared text is not cleaned again: the engine trusts what prepare() made.
    odd = Question("Qu'est-ce qui a été convenu?", "en", False, True)
    assert engine.answer(odd).reason == "language"


class CountingEngine:
    """Delegates to an engine, counting prepare() calls and recording what answer() gets."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.prepared = 0
        self.asked: list[Any] = []

    def prepare(self, text: str) -> Question:
        self.prepared += 1
        return self.engine.prepare(text)

    def answer(self, question: Any, *args: Any, **kwargs: Any) -> Answer:
        self.asked.append(question)
        return self.engine.answer(question, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


def test_repl_prepares_each_question_once(engine: Engine) -> None:
    spy = CountingEngine(engine)
    out = io.StringIO()
    Repl(cast(Engine, spy), stdin=io.StringIO("What was agreed in Paris?\nWho met?\n"),
         stdout=out).run()
    assert spy.prepared == 2
    assert [type(q) for q in spy.asked] == [Question, Question]
    assert [q.text for q in spy.asked] == ["What was agreed in Paris?", "Who met?"]


# The app's index and status ------------------------------------------------------------------


def test_app_builds_watches_from_a_snapshot_and_reports_status(
        hashing_settings: Settings, hashing_embedder: Callable[[], Embedder]) -> None:
    index = app.open_index(hashing_settings)
    assert app.published_version(index) is None
    before = app.seeds_snapshot(hashing_settings)
    report = app.build(hashing_settings, hashing_embedder, index=index)
    assert report.version == app.published_version(index)
    status = app.index_status(hashing_settings)
    assert (status.store, status.seeds_changed) == ("faiss", False)
    assert (status.vector_index, status.vector_kind) == ("faiss", "flat")
    assert status.info.articles == 5 and status.info.version == report.version
    assert status.where == str(hashing_settings.index_dir)
    extra = Path(hashing_settings.seeds_dir) / "late.txt"
    extra.write_text("Judul\n\nJAKARTA - Sebuah artikel baru tentang Paris.\n", encoding="utf-8")
    assert app.index_status(hashing_settings).seeds_changed
    assert app.seeds_snapshot(hashing_settings) != before
