"""Whether a candidate fills the role a question asks about, read from word order.

Two structures decide most wrong short answers in the news:

* **An office and its holder.** "Siapa presiden Suriah?" is answered by the name the
  sentence attaches to that office and that country: the title chain before the name
  ("Presiden Suriah Bashar al-Assad") or an apposition after it ("Bashar al-Assad,
  Presiden Suriah"). A name attached to another office ("Menteri Luar Negeri Rusia Sergey
  Lavrov") or to the same office of another country ("Presiden Rusia Vladimir Putin") is
  the wrong answer, however close it sits.
* **The doer of an action.** "Siapa yang memediasi perundingan?" is answered by the agent of
  that verb: the name after "oleh/by" that follows it (passive), or the name right before
  it (active subject). A place after "di/in/at" only hosts the event.

Office words are the titles names carry (:data:`~retrieval.answering.common.spans.TITLES`);
the question's office and the action are its concepts, matched through their stems in both
languages, so "who is the president of Syria" finds "Presiden Suriah". Nothing here names a
particular office, verb or country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.answering.common.spans import TITLES, Span
from retrieval.search import Concept, Query
from retrieval.text.terms import STOPWORDS, terms

__all__ = ["OFFICES", "Role", "agent_of", "asked_role", "attached", "hosted", "office_fit",
           "relation_unmet"]

_TOKEN = re.compile(r"\w[\w’'-]*")
# Titles that are courtesy, not an office ("Dr", "Mr"): they say nothing of the role.
_COURTESY = frozenset("dr ir prof mr mrs ms sir the".split())
OFFICES = frozenset(TITLES - STOPWORDS - _COURTESY)
# Words that introduce the agent of a passive verb.
_BY = frozenset({"oleh", "by"})
# Words that put a name as the place where something happens, not its doer.
_AT = frozenset("di in at ke to dari from menuju near dekat".split())
# What may stand between a name and its apposition ("X, presiden Y"; "X selaku ketua Y").
_APPOSITION = re.compile(r"^\s*(?:,|\(|\bselaku\b|\bsebagai\b|\bas\b|,\s*(?:the|sang))\s*",
                         re.I)
_ASIDE = re.compile(r"\([^()]{0,30}\)")
_CHAIN = 6  # tokens of a title chain looked at
# The predicate of a "who did it" question: the word after "yang" or after "who".
_PREDICATE = re.compile(r"\b(?:yang|who|which \w+|what \w+)\s+(?:(?:telah|sudah|akan|has|"
                        r"have|had|was|were|is|are|did|will|first|pertama)\s+)?([\w-]+)")


# "What is the capital of France", "who is the leader of Hamas": the question asks for the
# thing that stands in that relation to the name. (Indonesian "siapa X Y" is not read so: its
# X is as often a loose description, "siapa jenderal Rusia yang ...", as the relation.)
_RELATION = re.compile(r"^\s*(?:what|who|which)\s+(?:is|was|are|were)\s+(?:the\s+)?"
                       r"(?!(?:names?|titles?|term|full)\b)([a-z]+)\s+of\b")


@dataclass(frozen=True)
class Role:
    """What the question asks the answer to be: the holder of an office, of which place."""

    offices: tuple[Concept, ...]  # the question's office words ("presiden", "menteri")
    owners: tuple[Concept, ...]  # the names that qualify it ("Suriah", "IMF")
    actions: tuple[Concept, ...]  # its other content words: the action asked about


def asked_role(query: Query) -> Role:
    """The office, its owners and the action of ``query``: the action is the predicate the
    question word governs ("siapa yang *memediasi*", "who *brokered*", "kelompok apakah
    yang *menyatakan*")."""
    offices = tuple(c for c in query.concepts if _office(c))
    owners = tuple(c for c in query.concepts if c.name and not _office(c))
    m = _PREDICATE.search(" ".join(query.text.casefold().split()))
    verb = m.group(1) if m else ""
    actions = tuple(c for c in query.concepts if not c.name and not _office(c)
                    and verb and c.found_in(_stems(verb, query.lang)))
    return Role(offices, owners, actions)


def _office(concept: Concept) -> bool:
    """An office word or phrase of the question ("presiden", "menteri luar negeri")."""
    return all(w in OFFICES for w in concept.word.split())


def _stems(word: str, lang: str) -> set[str]:
    return set(terms(word, lang)) | set(terms(word, "en")) | {word.casefold()}


def attached(sentence: str, span: Span) -> list[str]:
    """The title or category words the sentence attaches to ``span``: before it
    ("kelompok militan Hamas") or in apposition ("Hamas, kelompok militan")."""
    return _chain(sentence, span)


def _chain(sentence: str, span: Span) -> list[str]:
    """The title chain attached to ``span``: the titles and names right before it
    ("Presiden Suriah"), else its apposition after a comma ("…, Presiden Suriah")."""
    before = list(_TOKEN.finditer(sentence[max(0, span.start - 120):span.start]))
    chain: list[str] = []
    for m in reversed(before[-_CHAIN:]):
        word = m.group(0)
        if word.casefold() in TITLES or word[:1].isupper():
            chain.append(word)
        else:
            break
    if any(w.casefold() in OFFICES for w in chain):
        return chain[::-1]
    after = _APPOSITION.match(sentence[span.end:])
    if after is None:
        return []
    follow: list[str] = []
    for m in _TOKEN.finditer(sentence, span.end + after.end()):
        word = m.group(0)
        if len(follow) >= _CHAIN or not (word.casefold() in TITLES or word[:1].isupper()):
            break
        follow.append(word)
    return follow if follow and follow[0].casefold() in OFFICES else []


def office_fit(role: Role, sentence: str, span: Span, lang: str) -> float:
    """How well the office attached to ``span`` is the one asked: 1 the office and its
    owner, 0.5 the office (owner not said there), 0 nothing attached, -1 another office or
    the office of another owner."""
    if not role.offices:
        return 0.0
    chain = _chain(sentence, span)
    if not chain:
        return 0.0
    stems = [_stems(w, lang) for w in chain]
    pooled = set().union(*stems)
    if not all(c.found_in(pooled) for c in role.offices):
        return -1.0  # another office holder ("Menteri Luar Negeri ... Lavrov")
    names = [s for w, s in zip(chain, stems, strict=True)
             if w[:1].isupper() and w.casefold() not in TITLES]
    if not role.owners:
        return 0.5
    if not names:
        # "Presiden Xanana Gusmao" for "presiden Indonesia": whose president the
        # sentence does not say unless it names the country asked somewhere.
        return 0.5 if _said(role, sentence, lang) else 0.0
    if any(c.found_in(s) for c in role.owners for s in names):
        return 1.0
    return -1.0  # the same office of another country or body


def _said(role: Role, sentence: str, lang: str) -> bool:
    """Whether the sentence names one of the question's owners anywhere."""
    return any(any(c.found_in(_stems(m.group(0), lang)) for c in role.owners)
               for m in _TOKEN.finditer(sentence))


def agent_of(role: Role, sentence: str, span: Span, lang: str) -> float:
    """1 when ``span`` does the action asked: named after "oleh/by" that follows the verb
    (passive) or standing right before the verb (active subject); else 0."""
    if not role.actions:
        return 0.0
    before = [m.group(0) for m in _TOKEN.finditer(sentence[max(0, span.start - 80):span.start])]
    if before and before[-1].casefold() in _BY:
        verb_zone = before[-5:-1]
        if any(_acts(role, w, lang) for w in verb_zone):
            return 1.0
    # The subject: the verb follows, past function words and a dated aside ("Pemerintah
    # China, Selasa (18/10), membatalkan").
    rest = _ASIDE.sub(" ", sentence[span.end:span.end + 80])
    for m in list(_TOKEN.finditer(rest))[:4]:
        word = m.group(0)
        if _acts(role, word, lang):
            return 0.0 if _passive(word) else 1.0
        if "." in rest[:m.start()] or not (word.casefold() in STOPWORDS or word[:1].isdigit()
                                          or _between_commas(rest, m)):
            return 0.0
    return 0.0


def _between_commas(text: str, m: re.Match[str]) -> bool:
    return text[:m.start()].rstrip().endswith(",") and text[m.end():].lstrip()[:1] == ","


def _acts(role: Role, word: str, lang: str) -> bool:
    stems = _stems(word, lang)
    return word.casefold() not in STOPWORDS and any(c.found_in(stems) for c in role.actions)


def _passive(word: str) -> bool:
    """An Indonesian passive verb ("dimediasi"): its subject is what the action is done to."""
    lowered = word.casefold()
    return lowered.startswith("di") and len(lowered) > 5 and not lowered.startswith("dia")


def hosted(sentence: str, span: Span) -> bool:
    """Whether ``span`` is named as a place something happens in ("di Kairo", "in Doha"),
    through any title before it."""
    before = [m.group(0) for m in _TOKEN.finditer(sentence[max(0, span.start - 60):span.start])]
    for word in reversed(before[-4:]):
        lowered = word.casefold()
        if lowered in _AT:
            return True
        if lowered not in TITLES and not word[:1].isupper():
            return False
    return False


def relation_unmet(query: Query, present: frozenset[str]) -> bool:
    """Whether a question asking for "the X of Y" ("What is the capital of France?") is
    read against sentences that do not say X in any of its forms: naming Y beside another
    of its places answers nothing of what was asked."""
    text = " ".join(query.text.split())
    m = _RELATION.match(text[:1].lower() + text[1:])
    word = m.group(1) if m else None
    if word is None:
        return False
    concept = next((c for c in query.concepts if c.word == word.casefold()), None)
    return concept is not None and not concept.name and not concept.found_in(present)
