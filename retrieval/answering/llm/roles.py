"""Roles: who did what to whom, where — the claim's entity must hold the role it claims.

"Pejabat Suriah dan Israel mengadakan perundingan di Paris ..., yang dimediasi oleh Amerika
Serikat": the United States is the *agent* of "dimediasi"; Paris the *location* of
"mengadakan perundingan". "Syria mediated the talks" names an entity of the sentence in the
agent role that another holds; "talks hosted by the United States" gives it a predicate the
passage never gives it.

Roles are read from word patterns of both languages, over any predicate:

* agent — after "oleh"/"by" (a passive: "dimediasi oleh X", "mediated by X"), or the
  subject of an active verb (Indonesian meN-/ber- forms, English past forms: "X
  mediated", "X menyerang"): the words from the clause's start to the verb;
* patient — the object after an active verb;
* partner — after "dengan"/"with" ("bertemu dengan X", "met with X");
* location — after "di"/"in"/"at", for the predicates before it in the clause.

A role's filler is the content words there (up to :data:`_FILLER`). A claim's role (the
same predicate in any form or translation: the claim's concepts) clashes with a cited
sentence when

* the sentence gives that role to another name only ("dimediasi oleh Amerika Serikat" vs
  "mediated by Syria"; a place: "di Kairo" vs "in Paris") — a filler that names nobody
  ("sekutu dekatnya") may be anyone;
* the claimed agent is the patient there, or the claimed patient the agent (a swap: the
  victims named as the attackers);
* a named agent given with "by"/"oleh" has a predicate no cited sentence says ("hosted by
  the United States"), or a named subject is only a place there ("dimulai di Paris,
  Prancis" vs "France mediated").

Patterns this light misread often, so only these clear contradictions count. Linear in the
claim's length.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from retrieval.answering.llm.structure import Sentence, Word, is_root, positions
from retrieval.search.query import Concept
from retrieval.text.terms import stem

__all__ = ["Role", "role_clash", "roles"]

_MARKERS = {"oleh": "agent", "by": "agent", "dengan": "partner", "with": "partner",
            "di": "location", "in": "location", "at": "location"}
_BE = frozenset("is are was were be been being telah sudah".split())
#: Words before a verb that say it is another's purpose, not its subject's act ("meminta
#: Israel *untuk* tidak melakukan").
_PURPOSE = frozenset("untuk to agar supaya that bahwa".split())
_IRREGULAR = frozenset("""
    met held led hit struck took taken sent made began begun won lost fought brought gave
    given told seized caught kept left shot spoke spoken wrote written broke broken chose
    chosen drove sought stood
""".split())
#: Words of time that end a filler ("in Paris *last week*").
_TIME = frozenset("""
    last next this yesterday today tomorrow week weeks month months year years day days
    lalu depan kemarin hari ini besok pekan minggu bulan tahun pagi siang sore malam
""".split())
_FILLER = 3
#: Words a pattern looks through at most (keeps the reading linear in a long text).
_WINDOW = 12
#: How much of what the best sentence holds of the claim a sentence must hold for its roles
#: to count against the claim.
_ALIGNED = 0.75
_REACH = 4  # content words back from a location to the predicates it places


@dataclass(frozen=True)
class Role:
    """A predicate's role in a sentence: word positions of the predicate and the filler;
    ``marked``: read from "by"/"oleh", not from word order."""

    kind: str
    predicate: int
    filler: tuple[int, ...]
    marked: bool = False


def _verb(words: Sequence[Word], i: int) -> str:
    """"active", "passive" or "" for word ``i``."""
    word = words[i]
    text = word.text
    if word.stop or word.capital or not text.isalpha():
        return ""
    if text.endswith("ed") or text in _IRREGULAR:
        before = [w.text for w in words[max(0, i - 2):i] if w.clause == word.clause]
        by = i + 1 < len(words) and words[i + 1].text == "by"
        return "passive" if by or any(b in _BE for b in before) else "active"
    root = stem(text, "id")
    if root == text or root.startswith("di") or not is_root(root) or \
            text.startswith("memper"):
        return ""  # not a derived verb; or a causative, whose object does the act
    return "passive" if text.startswith("di") else \
        "active" if text.startswith(("me", "ber")) else ""


def roles(sentence: Sentence) -> list[Role]:
    """The roles :mod:`roles` reads in ``sentence``."""
    words = sentence.words
    out: list[Role] = []
    last: tuple[int, ...] = ()  # the last subject: a clause without one shares it
    for i, word in enumerate(words):
        kind = _MARKERS.get(word.text)
        if kind is not None:
            filler = _after(words, i + 1)
            if filler:
                preds = _predicates(words, i, _REACH if kind == "location" else 1)
                out += [Role(kind, p, filler, kind == "agent") for p in preds]
            continue
        if _verb(words, i) == "active":
            subject = _subject(words, i) or (last if _opens_clause(words, i) else ())
            last = subject or last
            after = _after(words, i + 1)
            out += [Role("agent", i, subject)] if subject else []
            out += [Role("patient", i, after)] if after else []
    return out


def _after(words: Sequence[Word], i: int) -> tuple[int, ...]:
    """The content words from ``i`` on in its clause: a filler (leading stopwords
    skipped, ending at the next stopword, marker, verb or word of time)."""
    out: list[int] = []
    clause = words[i].clause if i < len(words) else -1
    stop = i + _WINDOW
    while i < min(len(words), stop) and len(out) < _FILLER:
        word = words[i]
        if word.clause != clause:
            # A name after a name across a comma is the same place ("di Paris, Prancis").
            if not (out and words[out[-1]].capital and word.capital
                    and word.clause == clause + 1):
                break
            clause = word.clause
        if word.text in _MARKERS or word.text in _TIME or (word.stop and out) or \
                _verb(words, i):
            break
        if not word.stop and word.text[0].isalpha():
            out.append(i)
        i += 1
    return tuple(out)


def _predicates(words: Sequence[Word], i: int, reach: int) -> list[int]:
    """Up to ``reach`` content words (no names) before marker ``i`` in its clause."""
    out: list[int] = []
    j = i - 1
    while j >= max(0, i - _WINDOW) and words[j].clause == words[i].clause and len(out) < reach:
        word = words[j]
        if not word.stop and word.text[0].isalpha() and not word.capital:
            out.append(j)
        j -= 1
    return out


def _opens_clause(words: Sequence[Word], i: int) -> bool:
    """Whether only stopwords stand before word ``i`` in its clause, which is not the
    sentence's first ("Israel melakukan intervensi ..., *menyerang* gedung-gedung")."""
    j = i - 1
    while j >= max(0, i - _WINDOW) and words[j].clause == words[i].clause:
        if not words[j].stop:
            return False
        j -= 1
    return j >= 0 and words[j].clause != words[i].clause


def _subject(words: Sequence[Word], i: int) -> tuple[int, ...]:
    """The subject of the active verb ``i``: its clause's words before it, when they are
    one group (content words joined by "and"/"dan", with auxiliaries), else none."""
    out: list[int] = []
    j = i - 1
    while j >= 0 and words[j].clause == words[i].clause:
        if j < i - _WINDOW:
            return ()  # no subject of a few words: a long clause before the verb
        word = words[j]
        if word.text in _MARKERS or word.text in _PURPOSE or _verb(words, j):
            return ()
        if not word.stop and word.text[0].isalpha():
            out.append(j)
        j -= 1
    # Titles make a subject long ("Menteri Luar Negeri AS John Kerry"): its last words.
    return tuple(out[:_FILLER + 1]) if 0 < len(out) <= 2 * _FILLER + 2 else ()


def role_clash(claim: Sentence, concepts: Sequence[Concept],
               cited: Sequence[tuple[Sentence, Sequence[Role]]], names: AbstractSet[str]
               ) -> str:
    """"role" when a role of the claim contradicts the cited sentences (each with its
    roles; see the module docstring), else "". A clash counts in the sentences that hold
    most of the claim. ``names``: the claim's words that are names (lowercased)."""
    owners: dict[int, list[Concept]] = {}
    for concept in concepts:
        for i in positions(concept, claim):
            owners.setdefault(i, []).append(concept)
    scores = [sum(c.weight for c in concepts if c.found_in(s.terms)) for s, _ in cited]
    for role in roles(claim):
        predicate = owners.get(role.predicate, [])
        fillers = [owners[i] for i in role.filler if i in owners]
        named = [claim.words[i].text in names for i in role.filler]
        if not predicate or not fillers or (role.kind == "location" and not all(named)):
            continue  # "in the violence", "in Israeli attacks": no place
        verdict = _held(role.kind, predicate, fillers, any(named), cited)
        if verdict != "held" and _held(role.kind, predicate, fillers, any(named),
                                       _anchored(predicate, cited, scores)) == "clash":
            return "role"  # contradicted by the sentence the claim rests on
        if role.kind == "agent" and any(named) and verdict != "held" and (
                (verdict == "absent" and role.marked) or _only_a_place(fillers, cited)
                or (verdict == "absent" and _another_does_it(fillers, cited, scores))):
            return "role"
    return ""


def _another_does_it(fillers: Sequence[Sequence[Concept]],
                     cited: Sequence[tuple[Sentence, Sequence[Role]]],
                     scores: Sequence[float]) -> bool:
    """Whether the sentence holding most of the claim names others, and never the claimed
    agent, as who acts ("John Kerry mengajukan proposal ..., kata Sergey Lavrov" against
    "Lavrov submitted a proposal", whatever word the claim uses for the act)."""
    top = max(scores, default=0.0)
    best = [pair for pair, score in zip(cited, scores, strict=True) if top and score >= top]
    others = False
    for sentence, theirs in best:
        where = {i for owners in fillers for c in owners for i in positions(c, sentence)}
        for role in theirs:
            if where & set(role.filler) and role.kind in ("agent", "location"):
                return False  # it acts there, or it is a place ("the Astana talks")
            others = others or (role.kind == "agent" and any(
                sentence.words[i].capital for i in role.filler))
    return others


def _anchored(predicate: Sequence[Concept], cited: Sequence[tuple[Sentence, Sequence[Role]]],
              scores: Sequence[float]) -> list[tuple[Sentence, Sequence[Role]]]:
    """Of the sentences saying the predicate, those holding most of the claim — when that
    is nearly as much as the sentence holding most of it does (else the predicate is
    another sense of the word: "held Israel responsible" is no "mengadakan")."""
    having = [k for k, (s, _) in enumerate(cited) if any(c.found_in(s.terms)
                                                       for c in predicate)]
    top = max((scores[k] for k in having), default=0.0)
    if top < _ALIGNED * max(scores, default=0.0):
        return []
    return [cited[k] for k in having if scores[k] >= top]


def _held(kind: str, predicate: Sequence[Concept], fillers: Sequence[Sequence[Concept]],
          name: bool, cited: Sequence[tuple[Sentence, Sequence[Role]]]) -> str:
    """"held", "clash", "open" (not said) or "absent" (the predicate is in no cited
    sentence)."""
    found = clash = False
    swapped = {"agent": "patient", "patient": "agent"}.get(kind, "")
    for sentence, theirs in cited:
        where = {i for c in predicate for i in positions(c, sentence)}
        if not where:
            continue
        found = True
        places = {i for owners in fillers for c in owners for i in positions(c, sentence)}
        same = [r for r in theirs if r.kind == kind and r.predicate in where]
        if any(set(r.filler) & places for r in same):
            return "held"
        # Given to another name ("a place is a name": "di tepi selatan wilayah" places
        # nothing against "in Rafah").
        roles_held = {i for r in theirs if r.kind != "location" for i in r.filler}
        others = name and same and (bool(places & roles_held) or (kind != "patient" and any(
            sentence.words[i].capital for r in same for i in r.filler)))
        swap = any(set(r.filler) & places for r in theirs
                   if r.kind == swapped and r.predicate in where)
        clash = clash or others or swap
    return "clash" if clash else "open" if found else "absent"


def _only_a_place(fillers: Sequence[Sequence[Concept]],
                  cited: Sequence[tuple[Sentence, Sequence[Role]]]) -> bool:
    """Whether the cited sentences name the claimed agent only as where things happen
    ("dimulai di Paris, Prancis"): the place of an event is not who did it."""
    seen = False
    for sentence, theirs in cited:
        where = {i for owners in fillers for c in owners for i in positions(c, sentence)}
        if not where:
            continue
        seen = True
        places = {i for r in theirs if r.kind == "location" for i in r.filler}
        if where - places:
            return False
    return seen
