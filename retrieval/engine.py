"""The engine the front ends share: one loaded model and index, answering questions.

The REPL, ``kabar ask`` and the Telegram bot all call :meth:`Engine.answer`: the question is
cleaned, analysed and searched (:mod:`retrieval.search`), the gate decides whether the
articles answer it (:func:`retrieval.answering.judge`), and only then an answer writer
(:mod:`retrieval.answering`) writes the answer. Between questions the engine looks at the
index folder's ``CURRENT`` pointer; when ``kabar index`` (or ``kabar index --watch``) has
published a new version, the engine loads it completely and only then swaps it in, so no
question is ever answered from a half-written index.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from retrieval.answering import (
    AnswerWriter,
    Evidence,
    ReadContext,
    abstention,
    arrange,
    judge,
    within_period,
    writer_for,
)
from retrieval.config import Settings
from retrieval.errors import KabarError
from retrieval.search import QueryEncoder, Searcher
from retrieval.search.followup import follow_up_context
from retrieval.store import IndexStore, open_store
from retrieval.stories import Stories
from retrieval.text.languages import SUPPORTED, question_language
from retrieval.text.lexicon import Lexicon
from retrieval.text.terms import words
from retrieval.text.wordlists import detect_language
from retrieval.tuning import TUNING, Tuning, effective
from retrieval.types import Answer, ArticleInfo, IndexInfo, Passage, Question, Turn

__all__ = ["Engine", "clean_question", "has_words"]

log = logging.getLogger(__name__)

# Never part of a question: control characters (NUL, escape sequences), lone UTF-16
# surrogates (from a client's broken JSON; they cannot even be encoded) and bidi overrides.
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def clean_question(text: str) -> str:
    """A question as plain text: characters that are not text become spaces, whitespace is
    collapsed, and the result is in Unicode NFC."""
    return unicodedata.normalize("NFC", " ".join(_NOT_TEXT.sub(" ", text).split()))


def has_words(question: str) -> bool:
    """Whether a question holds a word or a number, not only emoji, symbols or punctuation
    (such a message asks nothing: it gets a hint, never the previous question's answer)."""
    return bool(words(question))


@dataclass(frozen=True)
class _Loaded:
    searcher: Searcher
    info: IndexInfo
    context: ReadContext  # what the gate and the writers read of this version
    contents: Mapping[str, str]  # article id -> content hash, from the manifest


class Engine:
    """Answers questions from the published index; safe to share between threads.

    Args:
        settings: Index folder and answer settings.
        encoder: The embedding model the index was built with (loaded once by the caller).
        lexicon: The bilingual lexicon.
        writer: Writes answers from the evidence (default: the one the settings ask for,
            :func:`retrieval.answering.writer_for`).
        tuning: The tuned constants; settings that mean "tuned" are resolved against it.
        store: The store the caller opened (default: the one ``settings`` name).
    """

    def __init__(self, settings: Settings, encoder: QueryEncoder, lexicon: Lexicon,
                 writer: AnswerWriter | None = None, tuning: Tuning = TUNING,
                 store: IndexStore | None = None) -> None:
        self.settings = settings
        self._encoder = encoder
        self._lexicon = lexicon
        self._writer: AnswerWriter = writer or writer_for(settings)
        self._tuning = effective(settings, encoder.model_id, tuning)
        self._lock = threading.Lock()
        self._store = store or open_store(settings)
        self._loaded = self._load()

    @classmethod
    def open(cls, settings: Settings, store: IndexStore | None = None) -> Engine:
        """Load the model, the lexicon and the published index (from ``store`` when given).

        Raises:
            NoIndexError, IndexMismatchError, CorruptIndexError, ModelLoadError.
        """
        from retrieval.embedding.embed import load_embedder
        from retrieval.embedding.runtime import query_embedder

        encoder = query_embedder(settings, lambda: load_embedder(settings))
        return cls(settings, encoder, Lexicon.load(), store=store)

    def refresh(self) -> bool:
        """Switch to a newer published index version, if there is one.

        Returns:
            True when a new version was loaded. A version that fails to load is logged and
            the current one kept.
        """
        try:
            published = self._store.current_version()
        except KabarError as exc:  # damaged pointer: keep serving what is loaded
            log.warning("keeping index version %s: %s", self._loaded.info.version, exc)
            return False
        if published is None or published == self._loaded.info.version:
            return False
        with self._lock:
            if published == self._loaded.info.version:
                return False
            try:
                self._loaded = self._load(published)
            except KabarError as exc:
                log.error("keeping index version %s: %s", self._loaded.info.version, exc)
                return False
        log.info("switched to index version %s", published)
        return True

    def prepare(self, text: str) -> Question:
        """``text`` as the engine reads a question: cleaned, cut to ``max_question_chars``,
        its language found. Front ends call this once and pass the result to :meth:`answer`.
        """
        question = clean_question(text)
        limit = self.settings.max_question_chars
        cut_to = limit if len(question) > limit else None
        question = question[:limit]
        return Question(question, detect_language(question),
                        question_language(question) in SUPPORTED, has_words(question), cut_to)

    def answer(self, question: str | Question, k: int | None = None, history: Sequence[Turn] = (),
               on_text: Callable[[str], None] | None = None,
               writer: AnswerWriter | None = None) -> Answer:
        """Answer a question from the newest published index.

        Args:
            question: The question, as typed or prepared (:meth:`prepare`); control
                characters are dropped and over-long input is cut (``cut_to`` says so).
            k: Number of passages to retrieve and report (default: the ``top_k`` setting).
            history: Earlier turns of this conversation, oldest first; a follow-up question
                borrows the previous turn's words.
            on_text: Called with the answer written so far while an LLM writes it (the
                returned answer, verified, replaces it); never called otherwise.
            writer: The writer for this question instead of the engine's (the bot answers
                extractively at once when its LLM pool is full). No writer runs when the
                gate judges that the articles do not answer.
        """
        self.refresh()
        loaded = self._loaded  # one consistent version for the whole question
        searcher = loaded.searcher
        prepared = question if isinstance(question, Question) else self.prepare(question)
        question, cut_to = prepared.text, prepared.cut_to
        if not question:
            return Answer(question, "", True, "en", cut_to=cut_to, reason="empty")
        if not prepared.has_words:  # said in the conversation's language, if known
            lang = history[-1].answer.lang if history else "en"
            return Answer(question, "", True, lang, cut_to=cut_to, reason="no_words")
        if not prepared.supported:
            return Answer(question, "", True, "en", cut_to=cut_to, reason="language")
        k = k or self.settings.top_k
        # Its language was found once, when it was prepared.
        query = searcher.analyse(question, follow_up_context(question, history), prepared.lang)
        tuning = self._tuning
        hits = searcher.search(query, max(k, tuning.answer_passages, tuning.report_passages))
        # "in March 2025", "minggu lalu": only the reports of that time answer.
        hits = within_period(loaded.context, question, hits)
        evidence = Evidence(question, query, tuple(hits[:tuning.answer_passages]),
                            tuple(searcher.passages(hits[:k])), loaded.context, cut_to, on_text,
                            tuple(hits))
        # Acronyms the articles spell out count as names of what they stand for.
        decision = judge(evidence, searcher.aliases_of)
        if not decision.answers:
            return abstention(evidence, decision)
        # Reports that differ, a figure that changed, a timeline: laid out from the reports'
        # own sentences, whichever writer is set (an LLM's rewording of figures is exactly
        # what must not differ from the reports).
        structured = arrange(evidence, decision)
        return structured or (writer or self._writer).write(evidence, decision)

    def search(self, question: str, k: int | None = None) -> list[Passage]:
        """The top passages for ``question`` without composing an answer."""
        self.refresh()
        searcher = self._loaded.searcher
        query = searcher.analyse(clean_question(question))
        return searcher.passages(searcher.search(query, k or self.settings.top_k))

    @property
    def context(self) -> ReadContext:
        """What the gate and the writers read of the loaded version."""
        return self._loaded.context

    @property
    def searcher(self) -> Searcher:
        """The searcher over the currently loaded index version."""
        return self._loaded.searcher

    def stories(self, min_score: float) -> Stories:
        """Followed stories matched against the newest published version (one version for
        all of its calls: the hashes diffed and the articles matched agree).

        Args:
            min_score: The least share of a story's concepts a matching article covers.
        """
        self.refresh()
        loaded = self._loaded
        return Stories(loaded.info.version, loaded.contents, loaded.searcher, loaded.context,
                       min_score)

    def info(self) -> IndexInfo:
        """What the loaded index holds."""
        return self._loaded.info

    def articles(self) -> list[ArticleInfo]:
        """The indexed articles, in id order."""
        view = self._loaded.searcher.view
        return [
            ArticleInfo(a.doc_id, view.article_title(n), a.meta.outlet, view.article_date(n),
                        a.paths, a.chunk_hi - a.chunk_lo)
            for n, a in enumerate(view.articles)
        ]

    def _load(self, version: str | None = None) -> _Loaded:
        data = self._store.load(self._encoder.model_id, version)
        return _Loaded(Searcher(data, self._encoder, self._lexicon, self._tuning), data.info(),
                       ReadContext(data, self._lexicon, self._tuning, self._encoder),
                       dict(data.manifest.articles))
