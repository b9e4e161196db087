"""A small English-Indonesian lexicon for cross-language lexical (BM25) retrieval.

Questions come in English and Indonesian, articles mostly in Indonesian. BM25 only matches
shared terms, so a question's content words are translated into the other language with
a bilingual word list (``data/eng-ind.tsv``, derived from FreeDict/WikDict, see
``data/ATTRIBUTION.md``), backed by translations found through other languages
(``data/eng-ind-pivot.tsv``: English -> Finnish/Polish/Greek/... -> Indonesian, kept only
when several languages agree; they rank below the direct ones), and names and news terms
are expanded with an alias table (``data/aliases.tsv``). The files are read by
:meth:`Lexicon.load`, never at import time.

Typical use::

    lexicon = Lexicon.load()
    if detect_language(question) == "en":
        extra = lexicon.translate(content_words, "en")  # [("sepakat", 0.4), ...]
    names = lexicon.aliases(question)  # ["suriah", "kairo", ...]
"""

from __future__ import annotations

import marshal
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path

from retrieval.text import diskcache
from retrieval.text.wordlists import (
    STOPWORDS_EN,
    STOPWORDS_ID,
    Language,
    english_lemmas,
)

_ALIAS_TOKEN = re.compile(r"[^\W_]+")

# Translation weighting. The options of one source word share a budget of 1 (so a word
# with eight vague translations cannot outweigh a word with one precise translation);
# within a tier they decay with dictionary rank as 1/sqrt(rank + 1), because FreeDict lists
# the commonest sense first. Related words (same English stem family, or Indonesian
# root matches when the surface form was found) only get a minor share. Pivot
# translations (found through other languages, noisier) follow the direct ones in rank
# and have their decayed weight scaled by _PIVOT_FACTOR; when a word has no direct
# translation they take its place. They never take the last _MIN_RELATED option slots
# from related words.
_MAX_OPTIONS = 8
_RELATED_CEILING = 0.9  # related forms stay below the head translation
_MINOR_SHARE = 0.25
_MAX_FAMILY = 4
_PIVOT_FACTOR = 0.5
_MIN_RELATED = 2



#: The data files the lexicon is built from.
_DATA_FILES = ("eng-ind.tsv", "eng-ind-pivot.tsv", "news-glossary.tsv", "general-glossary.tsv",
               "aliases.tsv")


def _read_data(name: str) -> str:
    return (resources.files("retrieval.text") / "data" / name).read_text(encoding="utf-8")


def _read_table(name: str) -> dict[str, tuple[str, ...]]:
    """Parse a ``english<TAB>indonesian|...`` file from ``data``; ``#`` lines are comments."""
    table: dict[str, tuple[str, ...]] = {}
    for line in _read_data(name).splitlines():
        if not line or line.startswith("#"):
            continue
        english, _, translations = line.partition("\t")
        table[english] = tuple(t for t in translations.split("|") if t)
    return table


def _ranked_first(first: Mapping[str, Sequence[str]], then: Mapping[str, tuple[str, ...]]
                  ) -> dict[str, tuple[str, ...]]:
    """``then`` with the translations of ``first`` put before its own, headword by headword."""
    merged = dict(then)
    for english, found in first.items():
        merged[english] = tuple(dict.fromkeys([*found, *then.get(english, ())]))
    return merged


def _decayed(terms: Iterable[str], share: float) -> dict[str, float]:
    """Split ``share`` over ``terms`` in proportion to 1/sqrt(rank + 1)."""
    ranked = list(dict.fromkeys(terms))
    raw = [1.0 / math.sqrt(rank + 1) for rank in range(len(ranked))]
    total = sum(raw)
    return {term: share * r / total for term, r in zip(ranked, raw, strict=True)}


def _weighted(
    major: list[str], minor: list[str], pivot: Sequence[str] = ()
) -> list[tuple[str, float]]:
    """Weights for one source word's options, summing to at most 1.

    ``major`` (direct translations) and then ``pivot`` ones share the main budget, pivot
    ones ranked after and scaled down by _PIVOT_FACTOR (which cancels out when there is no
    direct translation); ``minor`` (related words) share the rest.
    """
    major = list(dict.fromkeys(major))[:_MAX_OPTIONS]
    pivot = [t for t in dict.fromkeys(pivot) if t not in major]
    minor = [t for t in dict.fromkeys(minor) if t not in major and t not in pivot]
    pivot = pivot[: max(0, _MAX_OPTIONS - len(major) - min(len(minor), _MIN_RELATED))]
    minor = minor[: _MAX_OPTIONS - len(major) - len(pivot)]
    main = major + pivot
    if not main:
        main, minor = minor, []
    if not main:
        return []
    raw = [
        (_PIVOT_FACTOR if rank >= len(major) else 1.0) / math.sqrt(rank + 1)
        for rank in range(len(main))
    ]
    share = 1.0 - _MINOR_SHARE if minor else 1.0
    total = sum(raw)
    weights = {term: share * r / total for term, r in zip(main, raw, strict=True)}
    if minor:
        # A related form never outranks the head translation ("agree" -> "sepakat"
        # before "perjanjian" from "agreement"), however many direct options share the
        # main budget.
        ceiling = max(weights.values()) * _RELATED_CEILING
        weights.update((t, min(w, ceiling)) for t, w in _decayed(minor, _MINOR_SHARE).items())
    return list(weights.items())


class Lexicon:
    """Bilingual word list plus alias table, with lookups in both directions.

    Build it with :meth:`load`; the constructor takes already-parsed data (handy in tests).
    """

    def __init__(
        self,
        en_to_id: dict[str, tuple[str, ...]],
        alias_groups: Sequence[Sequence[str]],
        pivot: dict[str, tuple[str, ...]] | None = None,
        glossary: dict[str, tuple[str, ...]] | None = None,
        general: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        """Index the data.

        Args:
            en_to_id: Lowercase English headword -> Indonesian translations, best first.
            alias_groups: Equivalence groups, canonical form first. Members containing an
                uppercase letter ("AS", "WHO", "Minggu") match case-sensitively, because
                their lowercase forms are ordinary words ("as", "who", "minggu" = week).
            pivot: Optional second-rank translations in the same shape as ``en_to_id``
                (found through other languages); used after the direct ones.
            glossary: Optional news vocabulary in the same shape, ranked before
                ``en_to_id``; the Indonesian words of one entry are synonyms of each other.
            general: Optional general vocabulary in the same shape, ranked after
                ``glossary`` and before ``en_to_id``; its entries may mix senses ("court"
                -> "pengadilan", "lapangan"), so they are not taken as synonyms.
        """
        import Stemmer  # deferred: importing this module must stay free of work

        glossary = glossary or {}
        # Indonesian -> English reads only the news glossary and the dictionary: the
        # general glossary's extra senses help English questions find Indonesian words, but
        # turned around they gave Indonesian questions loose English words (FacQA valid
        # answer_contains fell 0.78 -> 0.75).
        two_way = _ranked_first(glossary, en_to_id)
        en_to_id = _ranked_first(glossary, _ranked_first(general or {}, en_to_id))
        self._curated = frozenset(glossary) | frozenset(general or {})
        self._id_stemmer = Stemmer.Stemmer("indonesian")
        self._en_stemmer = Stemmer.Stemmer("english")
        self._index_synonyms(glossary)
        self._en_to_id = en_to_id
        self._pivot = pivot or {}

        # Indonesian -> English: surface forms (incl. multiword) and, for single words,
        # Snowball roots so "disepakati" finds what "kesepakatan" translates.
        self._id_to_en, self._root_to_en = self._invert(two_way)
        self._pivot_id_to_en, self._pivot_root_to_en = self._invert(self._pivot)
        self._index_families()
        self._index_aliases(alias_groups)

    def _index_synonyms(self, glossary: Mapping[str, Sequence[str]]) -> None:
        """The news glossary's words of one entry are synonyms, by word and by root."""
        self._synonyms: dict[str, set[str]] = {}
        for found in glossary.values():
            for word in found:
                self._synonyms.setdefault(word, set()).update(w for w in found if w != word)
        self._synonym_roots: dict[str, set[str]] = {}
        for word, others in self._synonyms.items():
            if " " not in word:
                self._synonym_roots.setdefault(self._id_root(word), set()).update(
                    others | {word})

    def _index_families(self) -> None:
        """English stem families, direct headwords before pivot-only ones."""
        family: dict[str, list[tuple[bool, int, str]]] = {}
        for is_pivot, headwords in ((False, self._en_to_id), (True, self._pivot)):
            for english in headwords:
                if " " in english or (is_pivot and english in self._en_to_id):
                    continue
                for family_key in self._family_keys(english):
                    family.setdefault(family_key, []).append((is_pivot, len(english), english))
        self._family = {k: [e for *_, e in sorted(v)] for k, v in family.items()}

    def _index_aliases(self, alias_groups: Sequence[Sequence[str]]) -> None:
        """Alias groups by their members' tokens, case-sensitive members apart."""
        self._groups = [tuple(g) for g in alias_groups if g]
        self._alias_ci: dict[tuple[str, ...], list[int]] = {}
        self._alias_cs: dict[tuple[str, ...], list[int]] = {}
        for number, group in enumerate(self._groups):
            for member in group:
                table = self._alias_cs if member != member.lower() else self._alias_ci
                tokens = tuple(_ALIAS_TOKEN.findall(member))
                if tokens and number not in table.setdefault(tokens, []):
                    table[tokens].append(number)
        self._alias_max = max((len(k) for k in (*self._alias_ci, *self._alias_cs)), default=0)

    @classmethod
    def load(cls) -> Lexicon:
        """Read ``eng-ind.tsv``, ``eng-ind-pivot.tsv``, ``news-glossary.tsv``,
        ``general-glossary.tsv`` and ``aliases.tsv`` from ``data``.

        Returns:
            A ready lexicon (about 0.15 s to build; callers should keep one instance).
        """
        # Its indexes are rebuilt only when the data or this code changes; otherwise they
        # are read back from the cache folder (~0.3 s of a one-shot question saved).
        name = "lexicon-" + diskcache.digest(
            [Path(__file__).read_bytes(), *(_read_data(f) for f in _DATA_FILES)]) + ".marshal"
        cached = diskcache.read(name)
        if cached is not None:
            try:
                return cls._restored(marshal.loads(cached))
            except (ValueError, EOFError, TypeError, AttributeError):
                pass  # damaged: build it again
        groups = []
        for line in _read_data("aliases.tsv").splitlines():
            if line.strip() and not line.startswith("#"):
                groups.append([m.strip() for m in line.split("\t") if m.strip()])
        lexicon = cls(_read_table("eng-ind.tsv"), groups, _read_table("eng-ind-pivot.tsv"),
                      _read_table("news-glossary.tsv"), _read_table("general-glossary.tsv"))
        diskcache.write(name, marshal.dumps({k: v for k, v in vars(lexicon).items()
                                             if not k.endswith("_stemmer")}))
        return lexicon

    @classmethod
    def _restored(cls, state: dict[str, object]) -> Lexicon:
        """A lexicon from its saved indexes (plain data); the stemmers are made anew."""
        import Stemmer

        lexicon = cls.__new__(cls)
        vars(lexicon).update(state)  # the file name holds this code's hash: same fields
        lexicon._id_stemmer = Stemmer.Stemmer("indonesian")
        lexicon._en_stemmer = Stemmer.Stemmer("english")
        return lexicon

    def translate(self, words: Sequence[str], source: Language) -> list[tuple[str, float]]:
        """Translate a question's content words into the other language.

        Each source word (and each run of 2-3 consecutive words that is itself an entry,
        e.g. "gencatan senjata") gets at most eight options whose weights sum to at most 1:
        direct translations share 3/4 (all of it when nothing else was found) decaying
        with dictionary rank, related forms share the remaining 1/4. Pivot translations
        (through other languages) rank after the direct ones in the 3/4 with half their
        decayed weight, or replace them when there are none ("civilian" -> "sipil").
        English words missing from the dictionary are retried as their lemmas ("met" ->
        "meet"); related forms are other headwords of the same English stem family
        ("negotiate" -> "negotiation", "agree" -> "agreement"). Indonesian words are
        looked up as they are, then by Snowball root ("disepakati" -> "sepakat").

        Args:
            words: Lowercased content words of the question, in order, stopwords removed.
            source: The language of ``words``.

        Returns:
            ``(term, weight)`` pairs in the other language, weight in (0, 1], best first.
            Multiword terms are single strings with spaces. A term reached from several
            source words keeps its highest weight.
        """
        words = [w.casefold() for w in words if w]
        lookup = self._options_en if source == "en" else self._options_id
        tables: tuple[Mapping[str, object], ...]
        if source == "en":
            tables = (self._en_to_id, self._pivot)
        else:
            tables = (self._id_to_en, self._pivot_id_to_en)
        units = list(words)
        for size in (3, 2):
            for start in range(len(words) - size + 1):
                phrase = " ".join(words[start : start + size])
                if any(phrase in table for table in tables):
                    units.append(phrase)
        best: dict[str, float] = {}
        for unit in dict.fromkeys(units):
            for term, weight in lookup(unit):
                best[term] = max(best.get(term, 0.0), weight)
        return sorted(best.items(), key=lambda item: -item[1])

    def knows(self, word: str) -> bool:
        """Whether a lowercase word is an ordinary word: a stopword or a dictionary entry
        of either language (directly, or by its Indonesian root)."""
        return word in STOPWORDS_EN or word in STOPWORDS_ID or word in self._en_to_id \
            or word in self._id_to_en or self._id_root(word) in self._root_to_en \
            or any(lemma in self._en_to_id for lemma in english_lemmas(word))

    def is_alias(self, phrase: str) -> bool:
        """Whether ``phrase`` as a whole is a name in the alias table ("amerika serikat")."""
        tokens = tuple(_ALIAS_TOKEN.findall(phrase))
        lowered = tuple(t.casefold() for t in tokens)
        return bool(self._alias_cs.get(tokens) or self._alias_ci.get(lowered))

    def is_entry(self, phrase: str) -> bool:
        """Whether a phrase of several words is a dictionary entry of either language
        ("death toll", "gencatan senjata")."""
        return " " in phrase and (phrase in self._en_to_id or phrase in self._id_to_en
                                  or phrase in self._pivot)

    def phrase_entry(self, phrase: str) -> str | None:
        """The English dictionary entry a phrase of several words is, its first word
        lemmatised when needed ("took place" -> "take place"), or ``None``."""
        if self.is_entry(phrase):
            return phrase
        first, _, rest = phrase.partition(" ")
        for lemma in english_lemmas(first):
            if rest and self.is_entry(f"{lemma} {rest}"):
                return f"{lemma} {rest}"
        return None

    def curated(self, english: str) -> bool:
        """Whether a hand-compiled glossary lists this English headword (such phrases may
        hold stopwords: "stand for", "known as")."""
        return english in self._curated

    def synonyms(self, word: str) -> list[str]:
        """Indonesian words of the same meaning in news usage ("tuntas" -> "selesai", ...),
        from the news glossary; by the word itself, else by its root."""
        found = self._synonyms.get(word)
        if found is None:
            found = self._synonym_roots.get(self._id_root(word), set()) - {word}
        return sorted(found)

    def canonical(self, name: str) -> str | None:
        """The canonical (English) form of a name in the alias table ("mesir" -> "egypt"),
        or ``None`` when the table does not know the name."""
        tokens = tuple(_ALIAS_TOKEN.findall(name))
        found = self._alias_cs.get(tokens) or self._alias_ci.get(
            tuple(t.casefold() for t in tokens))
        return self._groups[found[0]][0] if found else None

    def aliases(self, text: str) -> list[str]:
        """Other names of the names and news terms mentioned in ``text``.

        Matches whole words, longest alias first ("Amerika Serikat" beats "Amerika"),
        case-insensitively except for members written with capitals in the table.

        Args:
            text: Raw text (a question); case is significant only for acronyms.

        Returns:
            Lowercased members of every matched group, minus the forms found in ``text``,
            in order of first mention.
        """
        tokens = _ALIAS_TOKEN.findall(text)
        lowered = [t.casefold() for t in tokens]
        matched_groups: list[int] = []
        matched_forms: set[str] = set()
        position = 0
        while position < len(tokens):
            for size in range(min(self._alias_max, len(tokens) - position), 0, -1):
                end = position + size
                hits = self._alias_cs.get(tuple(tokens[position:end]), []) + self._alias_ci.get(
                    tuple(lowered[position:end]), []
                )
                if hits:
                    matched_groups.extend(hits)
                    matched_forms.add(" ".join(lowered[position:end]))
                    position = end
                    break
            else:
                position += 1
        result: dict[str, None] = {}
        for number in dict.fromkeys(matched_groups):
            for member in self._groups[number]:
                form = " ".join(_ALIAS_TOKEN.findall(member.casefold()))
                if form not in matched_forms and member.casefold() not in matched_forms:
                    result[member.casefold()] = None
        return list(result)

    def _id_root(self, word: str) -> str:
        root: str = self._id_stemmer.stemWord(word)
        return root

    def _invert(
        self, en_to_id: Mapping[str, Sequence[str]]
    ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Indonesian surface form -> English, and Indonesian Snowball root -> English."""
        id_to_en: dict[str, list[tuple[int, int, str]]] = {}
        root_to_en: dict[str, list[tuple[int, int, str]]] = {}
        for english, translations in en_to_id.items():
            for rank, indonesian in enumerate(translations):
                # Rank in the headword's list first, then prefer headwords with few senses.
                key = (rank, len(translations), english)
                id_to_en.setdefault(indonesian, []).append(key)
                if " " not in indonesian:
                    root_to_en.setdefault(self._id_root(indonesian), []).append(key)
        return (
            {k: [e for *_, e in sorted(v)] for k, v in id_to_en.items()},
            {k: [e for *_, e in sorted(v)] for k, v in root_to_en.items()},
        )

    def _family_keys(self, english: str) -> set[str]:
        # Snowball keeps "-ment" nouns apart from their verbs ("agreement" vs "agre"), so
        # such nouns are also filed under their base's stem.
        keys = {self._en_stemmer.stemWord(english)}
        if english.endswith("ment") and len(english) > 7:
            keys.add(self._en_stemmer.stemWord(english[:-4]))
        return keys

    def _family_of(self, words: Iterable[str]) -> list[str]:
        words = list(words)
        members: list[str] = []
        for word in words:
            for key in self._family_keys(word):
                members.extend(self._family.get(key, ()))
        members = [m for m in dict.fromkeys(members) if m not in words]
        # Headwords of the direct dictionary first (stable), pivot-only ones after.
        members.sort(key=lambda m: m not in self._en_to_id)
        return members[:_MAX_FAMILY]

    def _options_en(self, word: str) -> list[tuple[str, float]]:
        candidates = (word, *english_lemmas(word))
        found = [w for w in candidates if w in self._en_to_id or w in self._pivot]
        major = [t for w in found for t in self._en_to_id.get(w, ())]
        pivot = [t for w in found for t in self._pivot.get(w, ())]
        related = self._family_of(found or [word])
        minor = [t for w in related for t in self._en_to_id.get(w, ())]
        minor += [t for w in related for t in self._pivot.get(w, ())]
        return _weighted(major, minor, pivot)

    def _options_id(self, word: str) -> list[tuple[str, float]]:
        single = " " not in word
        root = self._id_root(word) if single else ""
        surface = self._id_to_en.get(word, [])
        by_root = self._root_to_en.get(root, []) if single else []
        major = surface or by_root
        pivot_by_root = self._pivot_root_to_en.get(root, []) if single else []
        pivot = self._pivot_id_to_en.get(word, []) or pivot_by_root
        minor = [e for e in by_root if e not in major]
        # English relatives of everything found: "sepakat" -> "agreement" -> "agree".
        minor += self._family_of(major + minor + pivot)
        return _weighted(major, minor, pivot)
