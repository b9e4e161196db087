"""The engine the front ends share: one loaded model and index, answering questions.

The REPL, ``kabar ask`` and the Telegram bot all call :meth:`Engine.answer`. Between questions
the engine looks at the index folder's ``CURRENT`` pointer; when ``kabar index`` (or
``kabar index --watch``) has published a new version, the engine loads it completely and only
then swaps it in, so no question is ever answered from a half-written index.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.answering.extractive import DEFAULT_MIN_CONFIDENCE, MESSAGES, answer_question
from retrieval.building.embed import Embedder, load_embedder
from retrieval.config import Settings
from retrieval.errors import KabarError
from retrieval.search.lexicon import Lexicon, detect_language
from retrieval.search.searcher import Searcher, dense_weight_for
from retrieval.store import versions as store
from retrieval.types import Answer, ArticleInfo, IndexInfo, Passage, Turn

log = logging.getLogger(__name__)

# Never part of a question: control characters (NUL, escape sequences), lone UTF-16
# surrogates (from a client's broken JSON; they cannot even be encoded) and bidi overrides.
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def clean_question(text: str) -> str:
    """A question as plain text: characters that are not text become spaces, whitespace is
    collapsed, and the result is in Unicode NFC."""
    return unicodedata.normalize("NFC", " ".join(_NOT_TEXT.sub(" ", text).split()))


@dataclass(frozen=True)
class _Loaded:
    searcher: Searcher
    info: IndexInfo


class Engine:
    """Answers questions from the published index; safe to share between threads.

    Args:
        settings: Index folder, model and answer settings.
        embedder: The embedding model (loaded once by the caller).
        lexicon: The bilingual lexicon.
    """

    def __init__(self, settings: Settings, embedder: Embedder, lexicon: Lexicon) -> None:
        self.settings = settings
        self._embedder = embedder
        self._lexicon = lexicon
        self._lock = threading.Lock()
        self._loaded = self._load()

    @classmethod
    def open(cls, settings: Settings) -> Engine:
        """Load the model, the lexicon and the published index.

        Raises:
            NoIndexError, IndexMismatchError, CorruptIndexError, ModelLoadError.
        """
        return cls(settings, load_embedder(settings), Lexicon.load())

    def refresh(self) -> bool:
        """Switch to a newer published index version, if there is one.

        Returns:
            True when a new version was loaded. A version that fails to load is logged and
            the current one kept.
        """
        try:
            published = store.current_version(self.settings.index_dir)
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

    def answer(self, question: str, k: int | None = None, history: Sequence[Turn] = ()) -> Answer:
        """Answer a question from the newest published index.

        Args:
            question: The question; over-long input is cut (the answer's ``notice`` says so).
            k: Number of passages to retrieve (default: the ``top_k`` setting).
            history: Earlier turns of this conversation, oldest first.
        """
        self.refresh()
        loaded = self._loaded  # one consistent version for the whole question
        question = clean_question(question)
        notice = ""
        limit = self.settings.max_question_chars
        if len(question) > limit:
            question = question[:limit]
            notice = MESSAGES[detect_language(question)]["cut"].format(n=limit)
        if not question:
            lang = "en"
            return Answer(question, MESSAGES[lang]["abstain"], True, lang, (), (), notice)
        min_conf = self.settings.min_confidence
        return answer_question(
            loaded.searcher, question, k or self.settings.top_k, history,
            DEFAULT_MIN_CONFIDENCE if min_conf < 0 else min_conf, notice,
        )

    def search(self, question: str, k: int | None = None) -> list[Passage]:
        """The top passages for ``question`` without composing an answer."""
        self.refresh()
        searcher = self._loaded.searcher
        query = searcher.analyse(clean_question(question))
        return searcher.passages(searcher.search(query, k or self.settings.top_k))

    @property
    def searcher(self) -> Searcher:
        """The searcher over the currently loaded index version."""
        return self._loaded.searcher

    def info(self) -> IndexInfo:
        """What the loaded index holds."""
        return self._loaded.info

    def articles(self) -> list[ArticleInfo]:
        """The indexed articles, in id order."""
        data = self._loaded.searcher.data
        return [
            ArticleInfo(a.doc_id, a.meta.title, a.meta.outlet, a.meta.date or a.meta.date_text,
                        a.paths, a.chunk_hi - a.chunk_lo)
            for a in data.articles
        ]

    def _load(self, version: str | None = None) -> _Loaded:
        data = store.load(self.settings.index_dir, self._embedder.model_id, version)
        weight = dense_weight_for(self._embedder.model_id, self.settings.dense_weight)
        return _Loaded(Searcher(data, self._embedder, self._lexicon, weight), data.info())
