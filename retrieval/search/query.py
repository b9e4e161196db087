"""Question analysis: a question becomes concepts with their forms in both languages.

Each content word of the question becomes a :class:`Concept` holding its stems for articles
in either language, its translations (English <-> Indonesian, from the lexicon) and its name
aliases (Syria/Suriah...); names of two or three words ("Amerika Serikat") are one concept.
Each concept is weighted by how rare its rarest known form is in the index (BM25 idf).

The loaded index also checks the lexicon: an English word's translations are weighted by
how many passages use them (:mod:`retrieval.text.senses`), its loanword spellings are
added when the index holds them ("selection" -> "seleksi", :mod:`retrieval.text.cognates`),
senses of two adjacent words that the passages use together can be lifted as a phrase
(when the caller passes co-occurrence counts), and an acronym the articles expand ("RSUP")
stands for its long name and back (:mod:`retrieval.text.acronyms`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retrieval.text import cognates, senses
from retrieval.text.acronyms import Acronyms
from retrieval.text.lexicon import Lexicon
from retrieval.text.places import is_place
from retrieval.text.terms import STOPWORDS, stem, terms, words
from retrieval.text.wordlists import Language, detect_language

__all__ = ["Concept", "Query", "QueryEncoder", "analyse", "concepts_of"]

_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")
# A word written as an acronym: two capitals or more ("RSUP", "PBB", "KPK").
_ACRONYM = re.compile(r"\b[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*\b")
#: Weight of a phrase's last word relative to the phrase ("talks" for "peace talks").
_HEAD_SHARE = 0.5
#: Weight of a loanword spelling the corpus holds ("seleksi" for "selection") relative to a
#: translation, when the dictionary already has senses for the word (alone it takes their
#: place at full translation weight).
_COGNATE_SHARE = 0.5
#: Sense pairs of two adjacent words lifted at most (the most strongly associated first).
_MAX_PAIRS = 2
_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
          (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
# Words and phrases that only say an event happened ("Which talks took place in Paris?",
# "Apa yang terjadi di Sweida?"): the question is about the talks and the place, and as
# concepts these would match any sentence reporting anything.
_EVENT_WORDS = frozenset({"take place", "took place", "takes place", "taken place",
                          "taking place", "happen", "happened", "happens", "occur", "occurred",
                          "occurs", "terjadi", "berlangsung"})


class QueryEncoder(Protocol):
    """What search needs of an embedding model: question vectors."""

    @property
    def model_id(self) -> str:
        """The model id the index was built with."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per question."""
        ...


@dataclass(frozen=True)
class Concept:
    """One content word of the question with the stems that stand for it."""

    word: str
    stems: dict[str, float]
    name: bool = False  # written capitalised in the question: a place, person or body
    weight: float = 1.0  # importance (idf of its rarest known form) x its query weight
    bridged: bool = False  # has translations or aliases into the other language
    # Multiword forms ("ibu kota" for "capital"): they match only when all their words do.
    phrases: tuple[frozenset[str], ...] = ()
    singles: frozenset[str] = frozenset()  # forms that match on their own

    def found_in(self, present: frozenset[str] | set[str]) -> bool:
        """Whether a set of terms holds the concept in any of its forms."""
        return any(t in present for t in self.singles) or \
            any(p <= present for p in self.phrases)

    def strength(self, present: frozenset[str] | set[str]) -> float:
        """How directly a set of terms holds the concept: 1 for the question's own word (or
        an alias), less for a synonym or a translation, 0 when it is not there."""
        top = max(self.stems.values())
        found = [self.stems[t] for t in self.singles if t in present]
        found += [max(self.stems.get(t, 0.0) for t in p) * len(p) for p in self.phrases
                  if p <= present]
        return min(1.0, max(found) / top) if found else 0.0


@dataclass(frozen=True)
class Query:
    """An analysed question."""

    text: str
    lang: str
    concepts: tuple[Concept, ...]
    vector: np.ndarray

    def weighted_terms(self) -> dict[str, float]:
        """Every stem with its largest weight over the concepts."""
        out: dict[str, float] = {}
        for concept in self.concepts:
            for term, weight in concept.stems.items():
                out[term] = max(out.get(term, 0.0), weight)
        return out


@dataclass(frozen=True)
class _Analyser:
    lexicon: Lexicon
    doc_freq: Callable[[str], int]
    num_docs: int
    translation_weight: Mapping[str, float]
    synonym_weight: float
    acronyms: Acronyms
    # Passages holding both of two terms; ``None`` leaves adjacent words uncomposed.
    together: Callable[[str, str], int] | None

    def idf(self, df: int) -> float:
        n = max(1, self.num_docs)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def importance(self, stems: dict[str, float]) -> float:
        """How much a concept matters: the idf of its rarest form that the index knows.

        A concept none of whose forms occurs anywhere ("Tokyo" in articles about Syria)
        weighs as much as the rarest possible term, so leaving it unmatched costs confidence.
        """
        known = [self.idf(df) for df in map(self.doc_freq, stems) if df > 0]
        return max(known) if known else self.idf(0)

    def concepts(self, text: str, lang: str, weight: float) -> list[Concept]:
        capitalised = {w.casefold() for w in _CAPITALISED.findall(text)}
        written_short = {w.casefold() for w in _ACRONYM.findall(text)}
        out: list[Concept] = []
        seen: set[str] = set()
        for word, phrase_aliases in self._units(text, lang == "en"):
            if word in seen:
                continue
            seen.add(word)
            if phrase_aliases:
                out.append(self._phrase(word, phrase_aliases, weight))
            else:
                concept = self._word(word, "en" if lang == "en" else "id", weight,
                                     word in capitalised,
                                     self.acronyms.aliases_of(word) if word in written_short
                                     else [])
                out.append(concept)
        return self._composed(out, weight) if lang == "en" else out

    def _composed(self, concepts: list[Concept], weight: float) -> list[Concept]:
        """Neighbouring words translated as a phrase: senses of two adjacent words that the
        corpus uses together ("deputy chairman" -> "wakil" + "ketua") get the full
        translation weight, whatever their use alone."""
        if self.together is None:
            return concepts
        full = weight * self.translation_weight["en"]
        out = list(concepts)
        for i in range(len(out) - 1):
            left, right = out[i], out[i + 1]
            if left.name or right.name:
                continue
            for a, b in senses.supported_pairs(_translated(left), _translated(right),
                                               self.doc_freq, self.together,
                                               self.num_docs)[:_MAX_PAIRS]:
                out[i], out[i + 1] = _lifted(out[i], a, full), _lifted(out[i + 1], b, full)
        return out

    def _units(self, text: str, english: bool) -> list[tuple[str, list[str]]]:
        """Content words and whole names, each with the aliases of a name."""
        units: list[tuple[str, list[str]]] = []
        tokens = words(text)
        i = 0
        while i < len(tokens):
            long_form = self._long_form(tokens, i)
            if long_form:
                # A name the articles give an acronym for ("rumah sakit umum pusat" is
                # "RSUP" in the next paragraph): one concept with its acronyms.
                phrase = " ".join(tokens[i:i + long_form])
                units.append((phrase, [*self.acronyms.aliases_of(phrase),
                                       *self.lexicon.aliases(phrase)]))
                i += long_form
                continue
            # Names of two or three words ("united states", "amerika serikat", "arab saudi")
            # are one concept when the alias table knows them as a whole.
            for n in (3, 2):
                phrase = " ".join(tokens[i:i + n])
                if len(tokens) < i + n:
                    continue
                found = self.lexicon.aliases(phrase) if self.lexicon.is_alias(phrase) else []
                if found:
                    units.append((phrase, found))
                    i += n
                    break
                # An English dictionary phrase ("death toll", "took place") is one concept
                # too: its translation is not the translations of its words.
                entry = self.lexicon.phrase_entry(phrase) if english else None
                if entry is not None and tokens[i] not in STOPWORDS and (
                        self.lexicon.curated(entry)  # "stand for", "known as"
                        or not any(t in STOPWORDS for t in tokens[i:i + n])):
                    if entry not in _EVENT_WORDS:
                        units.append((entry, []))
                    i += n
                    break
            else:
                ordinal = _ordinal(tokens, i)
                if ordinal:
                    # "the 22nd SEA Games" is "SEA Games XXII" or "ke-22" in Indonesian.
                    units.append((str(ordinal), [_roman(ordinal)]))
                    i += 2
                    continue
                if tokens[i] not in STOPWORDS and tokens[i] not in _EVENT_WORDS:
                    units.append((tokens[i], []))
                i += 1
        return units

    def _long_form(self, tokens: Sequence[str], i: int) -> int:
        """The number of words of a long name with an acronym starting at ``tokens[i]``
        (0 for none), longest first."""
        for n in range(min(self.acronyms.longest, len(tokens) - i), 1, -1):
            if self.acronyms.aliases_of(" ".join(tokens[i:i + n])):
                return n
        return 0

    def _phrase(self, phrase: str, aliases: list[str], weight: float) -> Concept:
        """A multiword name and its aliases as one concept."""
        stems: dict[str, float] = {}
        singles: set[str] = set()
        phrases: set[frozenset[str]] = set()
        for form in [phrase, *aliases]:
            _add_form(form, weight, stems, singles, phrases)
        canonical = self.lexicon.canonical(phrase) or phrase
        if canonical.islower() and not is_place(canonical):
            # A news term ("peace talks" = "perundingan damai") also stands, more weakly, for
            # its head noun, as a dictionary phrase does: a report says "perundingan".
            head = canonical.rsplit(" ", 1)[-1]
            share = weight * self.translation_weight["en"] * _HEAD_SHARE
            for form in [head, *(t for t, _ in self.lexicon.translate([head], "en"))]:
                _add_form(form, share, stems, singles, phrases)
        if not stems:
            stems = {phrase: weight}
        return Concept(phrase, stems, True, self.importance(stems) * max(stems.values()),
                       bridged=True, phrases=tuple(phrases), singles=frozenset(singles))

    def _word(self, word: str, source: Language, weight: float, capitalised: bool,
              long_forms: Sequence[str] = ()) -> Concept:
        # The question's own word, stemmed for articles in either language.
        stems: dict[str, float] = {}
        singles: set[str] = set()
        phrases: set[frozenset[str]] = set()
        if " " in word:
            _add_form(word, weight, stems, singles, phrases)
        else:
            stems = {stem(word, "id"): weight, stem(word, "en"): weight}
            singles = set(stems)
        forms = self._senses(word, source, weight * self.translation_weight[source])
        head = word.rsplit(" ", 1)[-1]
        if " " in word and head not in STOPWORDS:  # ("stand for" is not "for")
            # A phrase ("peace talks") also stands, more weakly, for its last word ("talks"):
            # a report may say "perundingan" without "damai".
            forms += [(t, weight * self.translation_weight[source] * _HEAD_SHARE)
                      for t, _ in self.lexicon.translate([head], source)]
        # Aliases are names: full weight.
        forms += [(a, weight) for a in [*self.lexicon.aliases(word), *long_forms]]
        bridged = bool(forms)
        if source == "id":
            # The same meaning in other news words ("tuntas" -> "selesai").
            forms += [(w, weight * self.synonym_weight) for w in self.lexicon.synonyms(word)]
        for form, form_weight in forms:
            _add_form(form, form_weight, stems, singles, phrases)
        if not stems:  # a phrase of stopwords only
            stems, singles = {word: weight}, {word}
        return Concept(word, stems, capitalised, self.importance(stems) * max(stems.values()),
                       bridged=bridged, phrases=tuple(phrases), singles=frozenset(singles))


    def uses(self, form: str) -> int:
        """Passages of the index holding an Indonesian form (all words of a phrase)."""
        found = [self.doc_freq(t) for t in terms(form, "id")]
        return min(found) if found else 0

    def _senses(self, word: str, source: Language, weight: float) -> list[tuple[str, float]]:
        """A word's translations, weighted by how the corpus uses them, and for an English
        word the loanword spellings the corpus holds ("selection" -> "seleksi")."""
        # The dictionary's order of senses says little about news usage ("agree" lists
        # "berjanji" first and "sepakat", the word news uses, last), so the corpus decides.
        translated = [t for t, _ in self.lexicon.translate([word], source)]
        forms = senses.by_use([(t, weight) for t in translated], self.uses) \
            if source == "en" else [(t, weight) for t in translated]
        if source == "en":
            share = _COGNATE_SHARE if translated else 1.0
            forms += [(f, weight * share) for f in cognates.confirmed(word, self._holds)
                      if f not in translated]
        return forms

    def _holds(self, form: str) -> bool:
        return self.uses(form) > 0


def _translated(concept: Concept) -> list[str]:
    """The single-term senses of a concept other than its own word's stems."""
    top = max(concept.stems.values())
    return [t for t in concept.singles if concept.stems.get(t, top) < top]


def _lifted(concept: Concept, term: str, weight: float) -> Concept:
    """``concept`` with ``term`` weighing at least ``weight``."""
    if concept.stems.get(term, 0.0) >= weight:
        return concept
    return dataclasses.replace(concept, stems={**concept.stems, term: weight})


def _ordinal(tokens: Sequence[str], i: int) -> int:
    """The ordinal written at ``tokens[i]`` ("22" "nd"), or 0."""
    if i + 1 < len(tokens) and tokens[i].isdigit() and tokens[i + 1] in _ORDINAL_SUFFIXES:
        value = int(tokens[i])
        return value if 0 < value < 4000 else 0
    return 0


def _roman(value: int) -> str:
    """``value`` in lowercase Roman numerals (22 -> "xxii")."""
    out = []
    for number, letters in _ROMAN:
        count, value = divmod(value, number)
        out.append(letters * count)
    return "".join(out)


def _add_form(form: str, weight: float, stems: dict[str, float], singles: set[str],
              phrases: set[frozenset[str]]) -> None:
    """Add a form's stems in both languages; a multiword form shares its weight."""
    for lang in ("id", "en"):
        parts = terms(form, lang)
        if len(parts) > 1:
            phrases.add(frozenset(parts))
        else:
            singles.update(parts)
        each = weight / len(parts) if len(parts) > 1 else weight
        for t in parts:
            stems[t] = max(stems.get(t, 0.0), each)


def analyse(question: str, context: str, lexicon: Lexicon, doc_freq: Callable[[str], int],
            num_docs: int, encoder: QueryEncoder, translation_weight: Mapping[str, float],
            synonym_weight: float, lang: str | None = None,
            acronyms: Acronyms | None = None,
            together: Callable[[str, str], int] | None = None) -> Query:
    """Turn a question (and optional earlier-turn context) into a :class:`Query`.

    Args:
        question: The question.
        context: Text of earlier turns; its words join the query at half weight.
        lexicon: Translations and aliases.
        doc_freq: The index's document frequency of a term.
        num_docs: The number of chunks.
        encoder: Encodes the question (with its context) into a vector.
        translation_weight: Weight of translated forms, by the question's language.
        synonym_weight: Weight of an Indonesian word's news synonyms.
        lang: The question's language when the caller found it already (a prepared
            question); detected here otherwise.
        acronyms: Acronyms the articles expand; a question naming one form also
            searches the other.
        together: Passages holding both of two terms, for translating adjacent English
            words as a phrase; ``None`` (the searcher's choice: on English FacQA train it
            moved R@1 by one question in 300, down) translates each word alone.
    """
    analyser = _Analyser(lexicon, doc_freq, num_docs, translation_weight, synonym_weight,
                         acronyms or Acronyms(), together)
    lang = lang or detect_language(question)
    concepts = analyser.concepts(question, lang, 1.0)
    if context:
        own = {c.word for c in concepts}
        concepts += [c for c in analyser.concepts(context, detect_language(context), 0.5)
                     if c.word not in own]
    vector = encoder.encode_queries([f"{context} {question}".strip()])[0]
    return Query(question, lang, tuple(concepts), vector)


def concepts_of(text: str, lang: str, lexicon: Lexicon, doc_freq: Callable[[str], int],
                num_docs: int, translation_weight: Mapping[str, float],
                synonym_weight: float, acronyms: Acronyms | None = None
                ) -> tuple[Concept, ...]:
    """The concepts of any text (a sentence an LLM wrote), analysed as a question's words
    are but without a vector: its content words and names with their translations."""
    analyser = _Analyser(lexicon, doc_freq, num_docs, translation_weight, synonym_weight,
                         acronyms or Acronyms(), None)
    return tuple(analyser.concepts(text, lang, 1.0))
