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

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Literal

Language = Literal["en", "id"]

# Stopwords are removed from *all* text (questions and articles of both languages), so a
# word may only be listed when it is never a content word in the other language: "as" and
# "us" are left out of the English list because "AS"/"US" mean the United States.
_STOPWORDS_EN_TEXT = """
    a about above after again against all also am an and any are around at be because
    been before being below between both but by can could did do does doing done down
    during each either else ever few for from further had has have having he her here
    hers herself him himself his how however i if in into is it its itself just many
    may me might more most much must my myself neither no nor not now of off on once
    only or other our ours ourselves out over own same shall she should since so some
    such than that the their theirs them themselves then there these they this those
    through to too under until up upon very was we were what whatever when where whether
    which while who whom whose why will with within without would yet you your yours
    yourself yourselves
"""
STOPWORDS_EN: frozenset[str] = frozenset(_STOPWORDS_EN_TEXT.split())

_STOPWORDS_ID_TEXT = """
    ada adalah agar akan akankah anda antara apa apabila apakah atas atau bagaimana
    bagaimanakah bagi bahwa beberapa begitu belum berapa berapakah bila bisa bukan
    dalam dan dapat dari daripada demikian dengan di dia harus hingga ia ialah ini itu
    jika juga kalau kami kamu kapan kapankah karena ke kemudian kenapa kepada ketika
    kita lagi lalu maka mana masih mengapa mereka namun nya oleh pada para pun saat
    saja sampai sangat saya secara sedang sejak sekarang seperti serta setelah sudah
    supaya tak tanpa telah tentang terhadap tersebut tetapi tidak untuk yaitu yakni yang
    sebuah seorang siapa siapakah sebagai sebelum sesudah walaupun meskipun ataupun
"""
STOPWORDS_ID: frozenset[str] = frozenset(_STOPWORDS_ID_TEXT.split())

# Detection uses function words only: they are frequent, short and language-specific.
_DETECT_EN = STOPWORDS_EN - {"a", "i", "am", "may", "me", "no", "up"}
_DETECT_ID = STOPWORDS_ID - {"anda", "ada", "para", "dia"}
# Letter patterns common in English spelling and rare in Indonesian; used only to break
# ties when a text has no (or equally many) stopwords of both languages.
_ENGLISH_LOOKING = re.compile(r"th|wh|ph|ck|ee|oo|ou|ea|(?:ing|ed|ly|tion)$")
_WORD = re.compile(r"[^\W\d_]+")
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
_MINOR_SHARE = 0.25
_MAX_FAMILY = 4
_PIVOT_FACTOR = 0.5
_MIN_RELATED = 2

# Irregular English forms that suffix rules cannot undo, as "base form form..." items.
_IRREGULAR_TEXT = """
    arise arose arisen, be was were been, bear bore borne born, beat beaten, become became,
    begin began begun, bend bent, bind bound, bleed bled, blow blew blown,
    break broke broken, bring brought, build built, buy bought, catch caught,
    choose chose chosen, come came, deal dealt, do did done, draw drew drawn,
    drink drank drunk, drive drove driven, eat ate eaten, fall fell fallen, feed fed,
    feel felt, fight fought, find found, flee fled, fly flew flown,
    forbid forbade forbidden, forget forgot forgotten, forgive forgave, freeze froze frozen,
    get got gotten, give gave given, go went gone, grow grew grown, have had has, hang hung,
    hear heard, hide hid hidden, hold held, keep kept, know knew known, lay laid, lead led,
    leave left, lend lent, lie lay lain, lose lost, make made, mean meant, meet met,
    overcome overcame, pay paid, ride rode ridden, ring rang rung, rise rose risen, run ran,
    say said, see saw seen, seek sought, sell sold, send sent, shake shook shaken,
    shoot shot, sing sang sung, sink sank sunk, sit sat, sleep slept, speak spoke spoken,
    spend spent, stand stood, steal stole stolen, strike struck, swear swore sworn,
    swim swam swum, take took taken, teach taught, tear tore torn, tell told, think thought,
    throw threw thrown, understand understood, undertake undertook, uphold upheld,
    wake woke woken, wear wore worn, weep wept, win won, withdraw withdrew withdrawn,
    withhold withheld, write wrote written, overthrow overthrew overthrown, child children,
    dig dug, stick stuck, sweep swept, swing swung, light lit, spin spun, slide slid,
    rebuild rebuilt, mislead misled, oversee oversaw overseen, withstand withstood,
    foresee foresaw foreseen, man men, woman women, person people, foot feet, tooth teeth,
    mouse mice
"""
_IRREGULAR: dict[str, str] = {
    form: item.split()[0] for item in _IRREGULAR_TEXT.split(",") for form in item.split()[1:]
}
_VOWELS = frozenset("aeiou")


def _read_data(name: str) -> str:
    return (resources.files("retrieval.search") / "data" / name).read_text(encoding="utf-8")


def _read_table(name: str) -> dict[str, tuple[str, ...]]:
    """Parse a ``english<TAB>indonesian|...`` file from ``data``; ``#`` lines are comments."""
    table: dict[str, tuple[str, ...]] = {}
    for line in _read_data(name).splitlines():
        if not line or line.startswith("#"):
            continue
        english, _, translations = line.partition("\t")
        table[english] = tuple(t for t in translations.split("|") if t)
    return table


def detect_language(text: str) -> Language:
    """Guess whether ``text`` (typically a question) is English or Indonesian.

    Counts function words of each language; on a tie (including none at all) the text is
    Indonesian unless its spelling looks clearly English (th, wh, -ing, -tion...).

    Args:
        text: Any text; case and punctuation are ignored.

    Returns:
        ``"en"`` or ``"id"``.
    """
    words = _WORD.findall(text.casefold())
    en = sum(word in _DETECT_EN for word in words)
    id_ = sum(word in _DETECT_ID for word in words)
    if en != id_:
        return "en" if en > id_ else "id"
    looks_english = sum(bool(_ENGLISH_LOOKING.search(word)) for word in words)
    return "en" if looks_english * 2 > len(words) > 0 else "id"


def english_lemmas(word: str) -> list[str]:
    """Candidate base forms of an English word, most likely first, the word excluded.

    A deliberately small rule set (irregular forms, -ies/-ied, -ing, -ed, -es, -s, -ly, -'s):
    callers keep only the candidates their dictionary knows, so over-generation is harmless.

    Args:
        word: One lowercased English word.

    Returns:
        Distinct candidates, e.g. ``"stopped"`` -> ``["stopp", "stoppe", "stop"]``.
    """
    original = word
    candidates: list[str] = []
    if word.endswith(("'s", "’s")):
        candidates.append(word[:-2])
        word = word[:-2]
    if word in _IRREGULAR:
        candidates.append(_IRREGULAR[word])
    for suffix, replacements in (
        ("ies", ("y",)),
        ("ied", ("y",)),
        ("ves", ("f", "fe")),
        ("ing", ("", "e")),
        ("ed", ("", "e")),
        ("es", ("",)),
        ("s", ("",)),
        ("ily", ("y",)),
        ("ly", ("", "le")),
    ):
        stem = word[: -len(suffix)]
        if not word.endswith(suffix) or len(stem) < 2:
            continue
        candidates.extend(stem + ending for ending in replacements)
        # "stopped", "planning": undo the doubled final consonant.
        doubled = len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS
        if suffix in ("ing", "ed") and doubled:
            candidates.append(stem[:-1])
    return [c for c in dict.fromkeys(candidates) if c != original]


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
        weights.update(_decayed(minor, _MINOR_SHARE))
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
        """
        import Stemmer  # deferred: importing this module must stay free of work

        glossary = glossary or {}
        en_to_id = {**en_to_id, **{
            english: tuple(dict.fromkeys([*found, *en_to_id.get(english, ())]))
            for english, found in glossary.items()}}
        self._synonyms: dict[str, set[str]] = {}
        for found in glossary.values():
            for word in found:
                self._synonyms.setdefault(word, set()).update(w for w in found if w != word)

        self._id_stemmer = Stemmer.Stemmer("indonesian")
        self._en_stemmer = Stemmer.Stemmer("english")
        self._synonym_roots: dict[str, set[str]] = {}
        for word, others in self._synonyms.items():
            if " " not in word:
                self._synonym_roots.setdefault(self._id_root(word), set()).update(
                    others | {word})
        self._en_to_id = en_to_id
        self._pivot = pivot or {}

        # Indonesian -> English: surface forms (incl. multiword) and, for single words,
        # Snowball roots so "disepakati" finds what "kesepakatan" translates.
        self._id_to_en, self._root_to_en = self._invert(en_to_id)
        self._pivot_id_to_en, self._pivot_root_to_en = self._invert(self._pivot)
        # English stem families, direct headwords before pivot-only ones.
        family: dict[str, list[tuple[bool, int, str]]] = {}
        for is_pivot, headwords in ((False, en_to_id), (True, self._pivot)):
            for english in headwords:
                if " " in english or (is_pivot and english in en_to_id):
                    continue
                for family_key in self._family_keys(english):
                    family.setdefault(family_key, []).append((is_pivot, len(english), english))
        self._family = {k: [e for *_, e in sorted(v)] for k, v in family.items()}

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
        """Read ``eng-ind.tsv``, ``eng-ind-pivot.tsv``, ``news-glossary.tsv`` and
        ``aliases.tsv`` from ``data``.

        Returns:
            A ready lexicon (about 0.15 s to build; callers should keep one instance).
        """
        groups = []
        for line in _read_data("aliases.tsv").splitlines():
            if line.strip() and not line.startswith("#"):
                groups.append([m.strip() for m in line.split("\t") if m.strip()])
        return cls(_read_table("eng-ind.tsv"), groups, _read_table("eng-ind-pivot.tsv"),
                   _read_table("news-glossary.tsv"))

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
