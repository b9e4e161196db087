"""Roles: who did what to whom, where — the claim's entity must hold the role it claims.

"Pejabat Suriah dan Israel mengadakan perundingan di Paris ..., yang dimediasi oleh Amerika
Serikat": the United States is the *agent* of "dimediasi"; Paris the *location* of
"mengadakan perundingan". "Syria mediated the talks" names an entity of the sentence in the
agent role that another holds; "talks hosted by the United States" gives it a predicate the
passage never gives it.

Roles are read from word patterns of both languages, over any predicate:

* agent — after "oleh"/"by" (a passive: "dimediasi oleh X", "mediated by X"), or before
  an active verb (Indonesian meN-/ber- forms, English past forms: "X mediated", "X
  menyerang");
* patient — after an active verb, or before a passive one (di- forms, "was/were ...ed");
* partner — after "dengan"/"with" ("bertemu dengan X", "met with X");
* location — after "di"/"in"/"at", for the predicates before it in the clause.

A role's filler is the content words there (up to :data:`_FILLER`). A claim's role
clashes with a cited sentence when the sentence gives the same predicate (any form or
translation: the claim's concepts) that role filled by others only, and the claim's filler
is in the sentence too or is a name. An agent named in the claim must also have its
predicate somewhere in the cited passages. Linear in the claim's length.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from retrieval.answering.structure import Sentence, Word, is_root, positions
from retrieval.search.query import Concept
from retrieval.search.terms import stem

__all__ = ["Role", "role_clash", "roles"]

_MARKERS = {"oleh": "agent", "by": "agent", "dengan": "partner", "with": "partner",
            "di": "location", "in": "location", "at": "location"}
_BE = frozenset("is are was were be been being telah sudah".split())
_AND = frozenset("and dan serta".split())
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
_REACH = 4  # content words back from a location to the predicates it places


@dataclass(frozen=True)
class Role:
    """A predicate's role in a sentence: word positions of the predicate and the filler."""

    kind: str
    predicate: int
    filler: tuple[int, ...]


def _verb(words: Sequence[Word], i: int) -> str:
    """"active", "passive" or "" for word ``i``."""
    word = words[i]
    text = word.text
    if word.stop or word.capital or not text.isalpha():
        return ""
    if text.endswith("ed") or text in _IRREGULAR:
        before = [w.text for w in words[max(0, i - 2):i] if w.clause == word.clause]
        return "passive" if any(b in _BE for b in before) else "active"
    root = stem(text, "id")
    if root == text or root.startswith("di") or not is_root(root):
        return ""
    return "passive" if text.startswith("di") else \
        "active" if text.startswith(("me", "ber")) else ""


def roles(sentence: Sentence) -> list[Role]:
    """The roles :mod:`roles` reads in ``sentence``."""
    words = sentence.words
    out: list[Role] = []
    for i, word in enumerate(words):
        kind = _MARKERS.get(word.text)
        if kind is not None:
            filler = _after(words, i + 1)
            if filler:
                preds = _before(words, i, _REACH if kind == "location" else 1, content=True)
                out += [Role(kind, p, filler) for p in preds]
            continue
        voice = _verb(words, i)
        if voice:
            before = tuple(_before(words, i, _FILLER + 1, content=False))
            after = _after(words, i + 1)
            first, second = ("agent", "patient") if voice == "active" else \
                ("patient", "agent")
            out += [Role(first, i, before)] if before else []
            out += [Role(second, i, after)] if after and voice == "active" else []
    return out


def _after(words: Sequence[Word], i: int) -> tuple[int, ...]:
    """The content words from ``i`` on in its clause: a filler (leading stopwords
    skipped, ending at the next stopword or marker)."""
    out: list[int] = []
    clause = words[i].clause if i < len(words) else -1
    while i < len(words) and len(out) < _FILLER:
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


def _before(words: Sequence[Word], i: int, reach: int, content: bool) -> list[int]:
    """Up to ``reach`` content words before ``i`` in its clause: the predicates of a
    marker (``content``: no names), or the filler before a verb (stopping at another
    verb)."""
    out: list[int] = []
    clause = words[i].clause
    j = i - 1
    while j >= 0 and words[j].clause == clause and len(out) < reach:
        word = words[j]
        if not content and (_verb(words, j) or word.text in _MARKERS or
                            word.text in _PURPOSE):
            break
        if not word.stop and word.text[0].isalpha() and not (content and word.capital):
            out.append(j)
        elif not content and word.stop and out and word.text not in _BE | _AND:
            break
        j -= 1
    return out


def role_clash(claim: Sentence, concepts: Sequence[Concept],
               cited: Sequence[tuple[Sentence, Sequence[Role]]], names: AbstractSet[str]
               ) -> str:
    """"role" when a role of the claim is held by others in the cited sentences (each with
    its roles), or a named agent's predicate is nowhere in them; else "". ``names``: the
    claim's words that are names (lowercased)."""
    owners: dict[int, list[Concept]] = {}
    for concept in concepts:
        for i in positions(concept, claim):
            owners.setdefault(i, []).append(concept)
    for role in roles(claim):
        predicate = owners.get(role.predicate, [])
        fillers = [owners[i] for i in role.filler if i in owners]
        name = any(claim.words[i].text in names for i in role.filler)
        place = all(claim.words[i].text in names for i in role.filler)
        if not predicate or not fillers or (role.kind == "location" and not place):
            continue  # "in the violence", "in Israeli attacks": no place
        verdict = _held(role.kind, predicate, fillers, name, cited)
        if verdict == "clash" or (verdict == "absent" and name and role.kind == "agent"):
            return "role"
        if verdict != "held" and name and role.kind == "agent" and _only_a_place(fillers,
                                                                                 cited):
            return "role"
    return ""


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


def _held(kind: str, predicate: Sequence[Concept], fillers: Sequence[Sequence[Concept]],
          name: bool, cited: Sequence[tuple[Sentence, Sequence[Role]]]) -> str:
    """"held", "clash" (the role is given to others there), "open" (not said) or "absent"
    (the predicate is in no cited sentence)."""
    found = False
    clash = False
    for sentence, theirs in cited:
        where = {i for c in predicate for i in positions(c, sentence)}
        if not where:
            continue
        found = True
        # A place is a name: "di tepi selatan wilayah" places nothing against "in Rafah".
        same = [r for r in theirs if r.kind == kind and r.predicate in where and (
            kind != "location" or any(sentence.words[i].capital for i in r.filler))]
        if not same:
            continue
        places = [{i for c in owners for i in positions(c, sentence)} for owners in fillers]
        if any(set(r.filler) & p for r in same for p in places):
            return "held"
        # Given to others: a clash when the claimed one is a name and the sentence names
        # another there or holds the claimed one too (not "sekutu dekatnya", which may be
        # the claimed one), or when it holds another role there (a swap: the victims
        # named as the attackers).
        roles_held = {i for r in theirs if r.kind != "location" for i in r.filler}
        named_there = any(sentence.words[i].capital for r in same for i in r.filler)
        clash = clash or (name and kind in ("agent", "location", "partner")
                          and (named_there or any(places))) or any(p & roles_held
                                                                    for p in places)
    return "clash" if clash else "open" if found else "absent"
