"""Typed results shared by the pipeline stages and the front ends."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArticleMeta:
    """Metadata found in an article's text.

    Attributes:
        title: The headline line, when the article has one.
        outlet: The news outlet the text names (``"MINA"``, ``"Jelasberita.com"``...).
        place: The dateline place (``"Paris"``, ``"Moskow"``...).
        date: The publication date in ISO 8601 when fully stated
            (``"2024-02-24T20:35"``), else ``None``.
        date_text: A date as written when only partly stated (``"Sabtu (26/7)"``), or
            the full date's original text.
    """

    title: str | None = None
    outlet: str | None = None
    place: str | None = None
    date: str | None = None
    date_text: str | None = None


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk of an article.

    Attributes:
        chunk_id: Position of the chunk in the index.
        doc_id: The article id: its path relative to the seeds folder.
        text: The chunk's cleaned text.
        title: The article's title, or ``None``.
        outlet: The outlet named by the article, or ``None``.
        date: The article's date (ISO when known, else as written), or ``None``.
        score: The fused retrieval score; higher is better.
    """

    chunk_id: int
    doc_id: str
    text: str
    title: str | None
    outlet: str | None
    date: str | None
    score: float


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer.

    Attributes:
        n: The number shown as ``[n]`` in the answer.
        doc_id: The cited article's id.
        title: The article's title, or ``None``.
        source: The outlet, or ``None``.
        date: The article's date, or ``None``.
        quote: The article's own sentence(s) quoted in the answer.
        score: How well the quoted sentences match the question.
        passage: The full passage the quote comes from (for ``:show N`` and buttons).
    """

    n: int
    doc_id: str
    title: str | None
    source: str | None
    date: str | None
    quote: str
    score: float
    passage: str


@dataclass(frozen=True)
class ReportValue:
    """One report's value in a structured answer (reports that differ, the latest figure, a
    timeline's step).

    Attributes:
        value: The value as the answer shows it ("9 people", "Kamis (17/7)"), or a
            timeline step's sentence.
        n: The citation number of the report that gives it (a merged timeline step keeps
            its first report's here; ``citations`` lists all).
        date: The day it refers to (ISO ``YYYY-MM-DD`` when known): the report's date for a
            figure, the event's day for a timeline step; else ``None``.
        outlet: The outlet of the report, or ``None``.
        status: ``"newest"``, ``"earlier"`` or ``"corrected"`` (a later report corrects
            it) for the latest figure; ``""`` otherwise.
        citations: Every citation number that reports it (several outlets, one step).
    """

    value: str
    n: int
    date: str | None
    outlet: str | None
    status: str = ""
    citations: tuple[int, ...] = ()


@dataclass(frozen=True)
class AnswerPart:
    """A structured part of an answer over reports that change.

    Attributes:
        kind: ``"conflict"`` (the reports give different values), ``"latest"`` (a figure
            that changed, newest first) or ``"timeline"`` (dated steps, in the order they
            happened).
        reports: Its values, in the order shown.
    """

    kind: str
    reports: tuple[ReportValue, ...]


@dataclass(frozen=True)
class Answer:
    """An answer, written by the extractive writer or (verified) by an LLM.

    Attributes:
        question: The question as asked (after cleaning, and cutting when too long).
        text: The answer: verbatim sentences, each followed by its ``[n]`` marker; empty
            when abstained (front ends say "not found" in the asker's language).
        abstained: True when the articles do not answer the question.
        lang: The question's language, ``"en"`` or ``"id"``.
        citations: The numbered sources, in ``n`` order; empty when abstained.
        passages: The top retrieved passages, best first.
        cut_to: The length the question was cut to, when it was too long; else ``None``.
        writer: The answer writer that wrote it (``"extractive"`` or ``"llm"``).
        reason: Why it abstained: ``"not_found"`` (no article covers the question),
            ``"absent"`` (the question names something no answering article mentions; see
            ``missing``), ``"language"`` (a language Kabar does not answer in), ``"empty"``,
            ``"no_words"`` (only emoji, symbols or punctuation); "" when it answered.
        missing: The names of the question no article mentions (with ``reason="absent"``).
        dropped: How many sentences an LLM wrote that verification dropped.
        fallback: Why an LLM was asked but the extractive answer is shown ("" otherwise):
            one line for logs and the CLI, never containing the API key.
        parts: Structured parts when reports differ, a figure changed or a timeline was
            asked for (:class:`AnswerPart`); empty for a plain answer.
    """

    question: str
    text: str
    abstained: bool
    lang: str
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = ()
    cut_to: int | None = None
    writer: str = "extractive"
    reason: str = ""
    missing: tuple[str, ...] = ()
    dropped: int = 0
    fallback: str = ""
    parts: tuple[AnswerPart, ...] = ()


@dataclass(frozen=True)
class Question:
    """A question as the engine reads it, prepared once (:meth:`Engine.prepare`).

    Front ends take the asker's language from here for their own words (a refusal, a hint)
    and hand the same object to ``Engine.answer``, so the text is cleaned and its language
    found once per question.

    Attributes:
        text: The question as plain text (control characters gone, whitespace collapsed,
            Unicode NFC), cut to the length limit.
        lang: The language to talk to the asker in, ``"en"`` or ``"id"``.
        supported: Whether the question is in a language Kabar answers in (a question in
            French has ``supported=False``; ``lang`` is then only a best guess).
        has_words: Whether it holds a word or a number, not only emoji or punctuation.
        cut_to: The length the question was cut to, when it was too long; else ``None``.
    """

    text: str
    lang: str
    supported: bool
    has_words: bool
    cut_to: int | None = None


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, used to read follow-up questions."""

    question: str
    answer: Answer


@dataclass(frozen=True)
class ArticleInfo:
    """One indexed article as listed by ``:sources`` and ``/sources``."""

    doc_id: str
    title: str | None
    outlet: str | None
    date: str | None
    paths: tuple[str, ...] = ()
    chunks: int = 0


@dataclass(frozen=True)
class IndexInfo:
    """What an index holds, for ``kabar status``, ``/status`` and ``/start``.

    Attributes:
        version: The published version's name.
        articles: Number of indexed articles.
        chunks: Number of indexed chunks.
        model: The embedding model id.
        dim: The embedding dimension.
        newest_date: The newest article date (ISO or as written), or ``None``.
        built_at: When the version was published (ISO 8601, UTC).
    """

    version: str
    articles: int
    chunks: int
    model: str
    dim: int
    newest_date: str | None
    built_at: str


@dataclass(frozen=True)
class StoryMatch:
    """An article that reports on a followed story (:mod:`retrieval.stories`).

    Attributes:
        doc_id: The article's id.
        title: Its headline, or ``None``.
        outlet: Its outlet, or ``None``.
        date: Its date, or ``None``.
        sentence: The article's sentence(s) that match the story best.
        passage: The passage that sentence sits in (for the citation button).
        score: The share of the story's concepts the article covers, in [0, 1].
    """

    doc_id: str
    title: str | None
    outlet: str | None
    date: str | None
    sentence: str
    passage: str
    score: float
