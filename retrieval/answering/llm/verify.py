"""Checking what an LLM wrote, sentence by sentence, against the passages it cites.

:func:`claims` splits a reply into sentences with the ``[n]`` numbers they end with;
:func:`check` keeps a sentence only when

* it cites at least one passage, and only passages that were sent;
* every number in it is a number of a cited passage, in either language's writing (1,400 ↔
  1.400, 80,000 ↔ 80 ribu), or part of a date a cited passage gives (its own date, or a
  relative one resolved against it: "Jumat lalu" → Friday 23 February 2024);
* every date it writes is one day of those dates, day, month, year and weekday each
  (:mod:`.dates`);
* every name in it (a capitalised word other than a sentence's ordinary first word) is in a
  cited passage, its title or outlet, under any alias or translation (Egypt ↔ Mesir);
* most of its other content words are there too, across languages (the question's bilingual
  term matching, :meth:`~retrieval.answering.context.ReadContext.concepts`): a share of
  their weight of at least ``Tuning.verify_coverage``;
* it says what the cited sentences say, read for structure (:mod:`.structure`): no
  negation or opposite the aligned sentence does not have (:mod:`.polarity`), no role given
  to another than the one holding it there (:mod:`.roles`), no number counting something
  other than what it counts there (:mod:`.counts`; numbers in words, :mod:`.spelled`, are
  numbers);
* it is close in meaning to one sentence it cites, by the model's sentence vectors
  (:mod:`.similar`; models with a calibrated floor only);
* it is no order to the reader, link or setting/secret name (:mod:`.voice`), whatever the
  article says: those are never said in the bot's voice.

Dropped sentences are counted. The checks are patterns over words, not a parse: what
``benchmarks/bench_verify.py`` measures is what they catch. Every check is linear in the
length of the reply.
"""

from __future__ import annotations

import dataclasses
import re
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from retrieval.answering.common.spans import number_values
from retrieval.answering.common.when import Day, WhenSpan, article_day, find_when
from retrieval.answering.context import ReadContext
from retrieval.answering.llm.counts import Count, count_clash, counts, spelled_values
from retrieval.answering.llm.dates import date_clash, when_in
from retrieval.answering.llm.polarity import polarity_clash
from retrieval.answering.llm.roles import Role, role_clash, roles
from retrieval.answering.llm.similar import meaning_gap
from retrieval.answering.llm.structure import Sentence, is_root, read
from retrieval.answering.llm.voice import addressed_to_reader
from retrieval.search.query import Concept
from retrieval.text.terms import stem, terms

__all__ = ["Claim", "Facts", "Verdict", "check", "claims", "facts"]

_CITES = re.compile(r"(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_NUMBER = re.compile(r"\d+")
_TRAIL = re.compile(r"[.!?]*")
_CAPITAL = re.compile(r"\b[A-Z][\w'’-]*")
#: Words that carry no claim of their own: an answer's "yes", the "hari" of "hari Jumat".
#: Hedges on a number ("at least 30") are not content either: the number itself is checked.
_FILLER = re.compile(r"\b(?:yes|ya|indeed|tentu|hari|at least|setidaknya|sedikitnya)\b",
                     re.I)

#: Facts of each chunk, per loaded version (forgotten with it).
_FACTS: weakref.WeakKeyDictionary[ReadContext, dict[int, Facts]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Claim:
    """One sentence of the reply and the passage numbers it cites."""

    text: str
    cites: tuple[int, ...]


@dataclass(frozen=True)
class Facts:
    """What one sent passage can support."""

    n: int
    chunk: int
    terms: frozenset[str]  # its text's, title's and outlet's terms
    numbers: frozenset[float]  # numbers of its text and the parts of its dates
    months: frozenset[int]
    weekdays: frozenset[int]
    days: tuple[Day, ...] = ()  # every date it gives, resolved
    sentences: tuple[Sentence, ...] = ()  # its title and sentences, read for structure
    roles: tuple[tuple[Role, ...], ...] = ()  # the roles each of those sentences gives
    counts: tuple[tuple[Count, ...], ...] = ()  # and the numbers with what they count


@dataclass(frozen=True)
class Verdict:
    """Whether a claim is shown, and why not."""

    claim: Claim
    kept: bool
    why: str = ""  # "no citation", "cites a passage not sent", "number", "date", "name",
    #                "meaning" (too far from every cited sentence),
    #                "content"
    concepts: tuple[Concept, ...] = ()  # what it says, for picking the supporting quotes


def claims(reply: str) -> list[Claim]:
    """The reply's sentences with the numbers of the passages each cites.

    Citations close a sentence ("... talks [1].", "... talks. [1][2]"); a sentence before
    another without its own marker ("A. B [1].") cites nothing.
    """
    out: list[Claim] = []
    start = 0
    for m in _CITES.finditer(reply):
        segment = reply[start:m.start()]
        cites = tuple(dict.fromkeys(int(n) for n in re.findall(r"\d+", m.group(0))))
        start = m.end()
        # Punctuation after the marker ("[1].") belongs to the sentence.
        trail = _TRAIL.match(reply, start)
        start = trail.end() if trail else start
        *uncited, last = _SENTENCE_END.split(segment.strip()) or [""]
        out += [Claim(t.strip(), ()) for t in uncited if _wordy(t)]
        if _wordy(last):
            out.append(Claim(last.strip().rstrip(",;:") + (trail.group(0) if trail else ""),
                             cites))
    out += [Claim(t.strip(), ()) for t in _SENTENCE_END.split(reply[start:]) if _wordy(t)]
    return out


def facts(context: ReadContext, n: int, chunk: int) -> Facts:
    """What passage ``n`` (chunk ``chunk`` of the index) can support."""
    # A chunk's facts depend on the loaded version only, and reading its dates and numbers
    # is nine tenths of a check: they are worked out once per chunk and version.
    known = _FACTS.setdefault(context, {})
    found = known.get(chunk)
    if found is None:
        found = known[chunk] = _chunk_facts(context, chunk)
    return dataclasses.replace(found, n=n)


def _chunk_facts(context: ReadContext, chunk: int) -> Facts:
    view = context.view
    number = view.article_of_chunk(chunk)
    art = view.article(number)
    text = view.chunk_text(chunk)
    title = view.article_title(number)
    published = article_day(art.meta.date, art.meta.date_text)
    sentences = (title, *(view.sentence_text(j) for j in view.sentences_of_chunk(chunk)))
    days = [w.day for w in find_when(f"{title}. {text}", published)]
    days += [published] if published is not None else []
    # Read by the article's conventions: "7,500" is 7500 in English, "7,5" is 7.5 in Indonesian.
    numbers = {v for values in number_values(f"{title} {text}", art.lang) for v in values}
    numbers |= {float(x) for d in days for x in (d.day, d.year, d.month) if x is not None}
    read_sentences = tuple(read(t) for t in sentences if t.strip())
    numbers |= {v for s in read_sentences for v in spelled_values(s)}
    words = f"{title} {art.meta.outlet or ''} {text}"
    return Facts(0, chunk, frozenset(terms(words, art.lang)) | frozenset(terms(words, "en")),
                 frozenset(numbers), frozenset(d.month for d in days if d.month),
                 frozenset(d.weekday for d in days if d.weekday is not None),
                 tuple(dict.fromkeys(days)), read_sentences,
                 tuple(tuple(roles(s)) for s in read_sentences),
                 tuple(tuple(c for c in counts(s, wide=True) if c.group)
                       for s in read_sentences))


def check(context: ReadContext, claim: Claim, lang: str, sent: Mapping[int, Facts]) -> Verdict:
    """Whether the passages ``claim`` cites support it (see the module docstring)."""
    if not claim.cites:
        return Verdict(claim, False, "no citation")
    if any(n not in sent for n in claim.cites):
        return Verdict(claim, False, "cites a passage not sent")
    cited = [sent[n] for n in claim.cites]
    present = frozenset().union(*(f.terms for f in cited))
    text = _CITES.sub(" ", claim.text)
    voice = addressed_to_reader(text)
    if voice:
        return Verdict(claim, False, voice)
    dates = when_in(text)
    concepts = context.concepts(_without_dates(text, dates), lang)
    words = read(text)
    why = _numbers_and_dates(text, words, dates, cited, lang) \
        or _names_and_content(context, text, concepts, present) \
        or _structure(words, concepts, cited, [(w.start, w.end) for w in dates],
                      _names(context, text), lang) \
        or meaning_gap(context, text, [f.chunk for f in cited])
    return Verdict(claim, not why, why, concepts)


def _structure(words: Sentence, concepts: Sequence[Concept], cited: Sequence[Facts],
               dates: Sequence[tuple[int, int]], names: set[str], lang: str) -> str:
    """What the claim's structure says against its cited sentences: polarity, roles, what
    its numbers count."""
    sentences = [s for f in cited for s in f.sentences]
    return polarity_clash(words, concepts, sentences) \
        or role_clash(words, concepts, [(s, r) for f in cited for s, r in zip(
            f.sentences, f.roles, strict=True)], names) \
        or count_clash(words, concepts, [(s, c) for f in cited for s, c in zip(
            f.sentences, f.counts, strict=True)], dates, names, lang == "en")


def _numbers_and_dates(text: str, words: Sentence, dates: Sequence[WhenSpan],
                       cited: Sequence[Facts], lang: str) -> str:
    numbers = frozenset().union(*(f.numbers for f in cited))
    if any(not values & numbers for values in number_values(text, lang)) or any(
            v not in numbers for v in spelled_values(words)):
        return "number"
    return date_clash(dates, [d for f in cited for d in f.days])


def _names_and_content(context: ReadContext, text: str, concepts: Sequence[Concept],
                       present: frozenset[str]) -> str:
    names = _names(context, text)
    total = found = 0.0
    for concept in concepts:
        hit = concept.found_in(present)
        if _is_name(concept, names) and not hit:
            return "name"
        total += concept.weight
        found += concept.weight if hit else 0.0
    # A sentence that says nothing checkable ("or [1][2].", an echo of the rules) is no
    # answer either.
    if not total or found / total < context.tuning.verify_coverage:
        return "content"
    return ""


def _names(context: ReadContext, text: str) -> set[str]:
    """The capitalised words that are names: all but a sentence's first word, which is one
    only when it is not an ordinary word ("Egypt mediated", not "Talks began" or "Korban
    tewas"). A possessive counts as its name ("Astana's"), a compound as its parts
    ("Syrian-Israeli")."""
    names: set[str] = set()
    lead = len(text) - len(text.lstrip())
    for m in _CAPITAL.finditer(text):
        word = re.sub(r"['’]s?$", "", m.group(0).casefold())
        first = m.start() == lead
        if first and _ordinary(context, word):
            continue
        names.update(part for part in word.split("-") if part)
    return names


def _ordinary(context: ReadContext, word: str) -> bool:
    """Whether a word is a common word of either language: an Indonesian word whose root is
    in Sastrawi's dictionary of root words, or a word the lexicon knows that is no alias."""
    # Sastrawi's stemmer keeps the prefix se- ("sebanyak", "setelah"); it is tried here.
    if is_root(word) or is_root(stem(word, "id")) or (word.startswith("se") and
                                                      is_root(word[2:])):
        return True
    # The alias table holds names ("egypt", "mesir") and a few synonym sets ("korban"):
    # an alias is a name unless it is a root word above.
    return context.lexicon.knows(word) and not context.lexicon.is_alias(word)


def _is_name(concept: Concept, names: set[str]) -> bool:
    return any(part in names for part in concept.word.split())


def _without_dates(text: str, dates: Sequence[WhenSpan]) -> str:
    """``text`` with its ``dates`` taken out (checked on their own) and its digits (numbers
    are checked by value, not as words)."""
    pieces, start = [], 0
    for when in dates:
        pieces += [text[start:when.start], " "]
        start = when.end
    text = "".join(pieces) + text[start:]
    return _FILLER.sub(" ", _NUMBER.sub(" ", text))


def _wordy(text: str) -> bool:
    return bool(re.search(r"[^\W\d_]{2}", text))
