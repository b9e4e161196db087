"""Abstaining on names: a question about a name the answering report does not mention.

"What was agreed at the meeting in Oslo between Syria and Israel?" must not be answered with
the Paris talks because both are meetings between Syria and Israel: every place, person,
organisation or event the question names must be in the report that answers, under one of
its names (the lexicon's aliases and translations, and whatever further names an
:data:`AliasProvider` knows, such as an acronym's long form).

:func:`check_names` sorts the question's missing names in two:

- **absent** — no indexed article mentions it at all: the answer says "No article mentions
  X", whether or not the question's other names are found;
- **elsewhere** — another article mentions it, so the chosen report is about something
  else (the gate abstains plainly). Only a place or an acronym may be missing: it is
  context ("the population of Jiangsu, China") when another name of the question is found
  in the report, and is not held against it.

The question's names are its runs of capitalised words (not titles, months or weekdays) and
the places the gazetteer knows. A person's name of several words counts as mentioned by its
family name ("Hosni Mubarak" by "Mubarak"; "John Doe" is not mentioned by "John Kerry");
another name of several words by any of its words ("Dewan Keamanan PBB" by "PBB").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass

from retrieval.answering.common.spans import TITLES
from retrieval.answering.context import ReadContext
from retrieval.search import Query
from retrieval.text.places import is_major_place, is_place
from retrieval.text.terms import STOPWORDS, stem, terms

__all__ = ["AliasProvider", "NameCheck", "check_names"]

#: Further names of a name as the question writes it ("RSUP" -> "Rumah Sakit Umum Pusat"),
#: beyond the lexicon's aliases, which the question's concepts already hold.
AliasProvider = Callable[[str], Sequence[str]]

_TOKEN = re.compile(r"[^\W_][\w'’.-]*")
_CALENDAR = frozenset("""
    januari februari maret april mei juni juli agustus september oktober november desember
    january february march april may june july august october december senin selasa rabu
    kamis jumat sabtu minggu monday tuesday wednesday thursday friday saturday sunday
""".split())


@dataclass(frozen=True)
class NameCheck:
    """The question's names the answering report does not mention, as the question writes
    them: ``absent`` ones no indexed article mentions, ``elsewhere`` ones that another
    article does and that make the chosen report the wrong one."""

    absent: tuple[str, ...] = ()
    elsewhere: tuple[str, ...] = ()


class _IndexTerms(Container[str]):
    """Every term of the index, by its document frequency (no set is built)."""

    def __init__(self, context: ReadContext) -> None:
        self._doc_freq = context.view.bm25.doc_freq

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._doc_freq(term) > 0


def check_names(context: ReadContext, query: Query, articles: Sequence[int],
                aliases: AliasProvider | None = None) -> NameCheck:
    """The names of the question that ``articles`` (the report that would answer) lack.

    Args:
        context: For the articles' terms, the index's terms and the lexicon.
        query: The analysed question.
        articles: The articles the answer would quote.
        aliases: Further names of a name (acronyms and their long forms); the lexicon's
            aliases are always consulted.
    """
    report: frozenset[str] = frozenset().union(*(context.article_terms(a) for a in articles))
    index = _IndexTerms(context)
    found, absent, elsewhere = [], [], []
    for group in _name_groups(context, query.text):
        person = _person(context, group)
        known = _known(context, group)
        if _mentioned(query, group, report, person, aliases, known):
            found.append(group)
        elif _mentioned(query, group, index, person, aliases, known):
            elsewhere.append(group)
        else:
            absent.append(" ".join(group))
    # A missing person, body or event means the report is about something else; a missing
    # place or acronym is context when another of the question's names is in the report.
    wrong = [" ".join(g) for g in elsewhere if not (found and _context(context, g))]
    return NameCheck(tuple(absent), tuple(wrong))


def _known(context: ReadContext, group: list[str]) -> Callable[[str], bool]:
    """Whether a word of a name is an ordinary word (or an acronym such as "KM"), which
    does not tell one place or body from another of its kind."""
    acronyms = {w.casefold() for w in group if w.isupper() and len(w) <= 5}
    return lambda word: word in acronyms or context.lexicon.knows(word)


def _name_groups(context: ReadContext, text: str) -> list[list[str]]:
    # "Syria's coast" names Syria (as the question's terms do, retrieval.text.terms).
    tokens = [re.sub(r"['’]s$", "", m.group(0)).rstrip(".'’") for m in _TOKEN.finditer(text)]
    lexicon = context.lexicon
    groups: list[list[str]] = []
    current: list[str] = []
    for i, token in enumerate(tokens):
        lowered = token.casefold()
        skip = lowered in STOPWORDS or lowered in TITLES or lowered in _CALENDAR \
            or token[:1].isdigit()
        first_known = i == 0 and lexicon.knows(lowered)
        if token[:1].isupper() and not skip and not first_known:
            current.append(token)
            continue
        if current:
            groups.append(current)
            current = []
        if not skip and token.islower() and is_major_place(lowered) \
                and not lexicon.knows(lowered):
            groups.append([token])  # a place typed in lowercase ("uzbekistan")
    if current:
        groups.append(current)
    return groups


def _mentioned(query: Query, group: list[str], present: Container[str], person: bool,
               aliases: AliasProvider | None,
               known: Callable[[str], bool] | None = None) -> bool:
    """Whether ``present`` (a report's terms, or the index's) holds the name ``group``."""
    words = [part for w in group for part in re.split(r"[-/]", w.casefold()) if part]
    phrase = " ".join(group).casefold()
    # A person of several words is named by the family name; other names by any word
    # that names it ("Sintang" in "Kabupaten Sintang": "Kabupaten" names none), any word
    # when all are ordinary words ("Kementerian Perhubungan").
    needed = {words[-1]} if person and len(words) > 1 else set(words)
    if not person and known is not None:
        needed = {w for w in needed if not known(w) and not w.isdigit()} or needed
    for concept in query.concepts:
        named = concept.word == phrase or concept.word in needed
        if named and _holds(concept.singles, concept.phrases, present):
            return True
    # Words the analysis dropped or merged: look them up directly.
    if any(stem(w, "id") in present or stem(w, "en") in present or w in present
           for w in needed):
        return True
    # Another name of the whole (an acronym's long form): all of its words must be there.
    others = aliases(" ".join(group)) if aliases is not None else ()
    return any(_all_terms(alias, present) for alias in others)


def _holds(singles: frozenset[str], phrases: tuple[frozenset[str], ...],
           present: Container[str]) -> bool:
    """Whether ``present`` holds one of a concept's forms (a phrase: all its words)."""
    return any(t in present for t in singles) or any(
        all(t in present for t in p) for p in phrases)


def _all_terms(name: str, present: Container[str]) -> bool:
    """Whether every content word of ``name`` is in ``present``, in either language's
    stemming."""
    for lang in ("id", "en"):
        parts = terms(name, lang)
        if parts and all(t in present for t in parts):
            return True
    return False


def _context(context: ReadContext, group: list[str]) -> bool:
    """A name that may be context only: a place ("China" after "Jiangsu"), also under its
    name in another language (the gazetteer knows "France", the question says "Prancis"),
    or an acronym."""
    return all(is_place(w) or any(is_place(a) for a in context.lexicon.aliases(w))
               or (w.isupper() and len(w) <= 5) for w in group)


def _person(context: ReadContext, group: list[str]) -> bool:
    """A person's (or an organisation's) name: no place, no acronym, no ordinary word."""
    lexicon = context.lexicon
    return not any(is_place(w) or lexicon.is_alias(w) or (w.isupper() and len(w) <= 5)
                   or lexicon.knows(w.casefold()) for w in group)
