"""Every candidate short answer in the chosen sentences, scored by how likely it is right.

Each span of the kind asked (:mod:`.factoid`) gets features: how near it sits to the
words that match the question, whether a cue word introduces it, whether it is of the
sort asked (a person for "who", a known place for "where", a count of the thing asked
for "how many"), whether it fills the role asked (:mod:`.roles`: the holder of that
office of that country, the doer of that action, not the host), whether it is the only
candidate. A logistic model over them gives the chance that the short answer is right;
the weights were fitted on FacQA train (``benchmarks/fit_short.py`` prints them), and
the short line is shown only above ``Tuning.short_min_chance``, else the quoted
sentence leads alone. The role features are rare in FacQA, so their weights are floors set
by hand (office 2, agent 1, host -1), and a name attached to another office never answers.
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
            "host")
# Fitted on the first 450 FacQA train questions (benchmarks/fit_short.py --limit 450): the
# log-odds a feature adds, and the log-odds of each kind of question before any feature.
_WEIGHTS: dict[str, float] = {
    "near": 1.88, "near_name": -0.01, "cued": 1.01, "place_fit": 0.45, "person_fit": 0.34,
    "category": 2.38, "counts": 0.5, "unit": -0.32, "first": -0.39, "alone": 1.59, "list":
    0.62, "trimmed": 0.12, "opening": -0.48, "day": 0.12, "office": 2.0, "agent": 1.0, "host":
    -1.0,
}
_BIAS: dict[str, float] = {
    "who": -1.96, "place": -1.72, "date": -0.89, "year": -1.49, "number": -1.09, "name": -2.09,
}
# "X apa(kah)/mana(kah)", "apa nama X", "which X": X is the kind of thing asked.
_CATEGORY = re.compile(r"\b(?:apa(?:kah)? nama|which|what) (\w+)|(\w+) (?:apa|mana)(?:kah)?\b")
_NOT_CATEGORY = frozenset("yang is was are were did does do the a an di ke dari pada".split())
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
    role = asked_role(query)
    wanted = counted(query)
    person = kind in ("who", "name") and wants_person(query)
    out = []
    for i, text, ctx, span, cut in found:
        feats = _features(kind, query, text, ctx, span, wanted, person, role)
        feats["first"] = 1.0 if i == 0 else 0.0
        feats["alone"] = 1.0 if len(found) == 1 else 0.0
        feats["trimmed"] = 1.0 if cut else 0.0
        # A name the sentence attaches to another office (or to the office of another
        # country) never answers, however near it sits.
        likely = 0.0 if feats["office"] < 0 else chance(kind, feats)
        out.append(Candidate(span, i, tuple(feats[f] for f in FEATURES), likely))
    return sorted(out, key=lambda c: (-c.chance, c.sentence, c.span.start))


def _features(kind: Kind, query: Query, text: str, ctx: Context, span: Span,
              wanted: set[str], person: bool, role: Role) -> dict[str, float]:
    lang = ctx.lang
    naming = kind in ("who", "name")
    return {
        "near": _nearness(query.concepts, text, span, lang),
        "near_name": _nearness([c for c in query.concepts if c.name], text, span, lang),
        "category": 1.0 if naming and _of_category(query, text, span, lang) else 0.0,
        "opening": 1.0 if span.start <= ctx.dateline_end and " " not in span.text else 0.0,
        "cued": 1.0 if cued(kind, text, span, ctx.names) else 0.0,
        # Of the sort asked, or not: a known place for "where", a person for "who".
        "place_fit": _fit(kind == "place", kind_fits(kind, span, ctx.names, person)),
        "person_fit": _fit(kind == "who" or person, kind_fits(kind, span, ctx.names, person)),
        "counts": 1.0 if kind == "number" and wanted and counts(text, span, wanted, lang)
        else 0.0,
        "unit": 1.0 if kind == "number" and span.unit and not span.unit[:1].isdigit()
        else 0.0,
        "list": 1.0 if span.kind == "list" else 0.0,
        "day": 1.0 if kind == "date" and span.day is not None and span.day.day is not None
        else 0.0,
        "office": office_fit(role, text, span, lang) if naming else 0.0,
        "agent": agent_of(role, text, span, lang) if naming and not role.offices else 0.0,
        "host": 1.0 if naming and hosted(text, span) else 0.0,
    }


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
    *perusahaan*")."""
    m = _CATEGORY.search(" ".join(query.text.casefold().split()))
    word = next((g for g in m.groups() if g), "") if m else ""
    return set(terms(word, query.lang)) if word and word not in _NOT_CATEGORY else set()


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
    return any(t in wanted for w in near for t in terms(w, lang)[:1])
