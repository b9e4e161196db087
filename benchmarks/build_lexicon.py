"""Regenerate ``retrieval/text/data/eng-ind.tsv`` (``--pivot``: ``eng-ind-pivot.tsv``).

The source is the FreeDict/WikDict English-Indonesian dictionary (CC-BY-SA 3.0, see
``retrieval/text/data/ATTRIBUTION.md``), shipped by Debian in dictd format. Get and unpack it::

    cd /tmp && apt-get download dict-freedict-eng-ind
    dpkg-deb -x dict-freedict-eng-ind_*_all.deb /tmp/freedict-eng-ind
    python benchmarks/build_lexicon.py /tmp/freedict-eng-ind

The argument is the folder the package was extracted to (the script looks for
``freedict-eng-ind.index`` and ``freedict-eng-ind.dict.dz`` anywhere below it) or the folder
holding those two files. ``--out`` changes the output path.

Output: one line per English headword, ``headword<TAB>indonesian1|indonesian2|...``, all
lowercase, at most :data:`MAX_TRANSLATIONS` translations in dictionary order (first sense
first), each at most :data:`MAX_WORDS` words, with wiki markup, parentheticals, affixes
("ko-") and punctuation-only leftovers dropped. Lines starting with ``#`` are comments.

Besides the headwords, a few hundred English words that are *not* headwords are added from
the dictionary's own sense glosses: when a gloss is a plain list of single-word synonyms
("leader, chief, mastermind" under *head* = "kepala, pimpin"), each synonym that has no
entry of its own gets that sense's translations. Single-word glosses are not used: they are
mostly category labels ("fruit" under *orange* = "jeruk"), not synonyms.

Pivot translations (``--pivot``)
--------------------------------
The direct dictionary is thin for news vocabulary ("civilian", "injure", "release" have no
entry), so ``--pivot`` writes a second file, ``retrieval/text/data/eng-ind-pivot.tsv``, of
English -> Indonesian translations found *through other languages*: English -> X from a
FreeDict/WikDict dictionary (eng-X, or X-eng read backwards), then X -> Indonesian from
X-ind. Only dictionaries licensed CC-BY-SA 3.0 are used (the WikDict ones, Debian source
package ``freedict-wikdict``); the older FreeDict English<->German/Dutch/Italian/Greek/Polish
dictionaries (eng-deu, deu-eng, eng-nld, nld-eng, eng-ita, ita-eng, eng-ell, eng-pol) are
GPL or GFDL and deliberately not read, even when present. Get and unpack everything into
one folder::

    mkdir -p /tmp/freedict && cd /tmp/freedict
    for pair in eng-ind eng-fin fin-eng pol-eng ell-eng \\
                fin-ind pol-ind ell-ind deu-ind nld-ind ita-ind \\
                fin-deu deu-fin pol-deu deu-pol deu-ell \\
                fin-nld nld-fin pol-nld nld-pol ell-nld nld-ell \\
                fin-ita ita-fin pol-ita ita-pol ell-ita ita-ell; do
        apt-get download dict-freedict-$pair && dpkg-deb -x dict-freedict-${pair}_*_all.deb .
    done
    python benchmarks/build_lexicon.py --pivot /tmp/freedict

The script checks each dictionary's licence in the package's ``copyright`` file and refuses
anything that is not CC-BY-SA. How translations are kept (see :func:`build_pivot`):

* First-hop languages :data:`PIVOTS` (Finnish, Polish, Greek) have their own English
  dictionary. Chained languages :data:`CHAINED` (German, Dutch, Italian) have none under
  CC-BY-SA; an English word reaches a German/Dutch/Italian word only when at least two
  first-hop languages lead there (e.g. English -> Finnish -> German *and* English ->
  Polish -> German), through the WikDict dictionaries between the two languages.
* A translation (English e, Indonesian i) is kept when its votes reach 2: one per
  first-hop language and half per chained language leading from e to i. A single
  language is enough when the direct dictionary backs it: i has the Indonesian Snowball
  root of a direct translation of e or of an English word of e's stem family ("agree" ->
  "setuju" because the direct "agree" has "menyetujui").
* Translations the direct dictionary already gives for e are left out; the rest are
  ranked by votes, then number of routes, at most :data:`MAX_TRANSLATIONS` per headword.

This is a development tool; the ``retrieval`` package only reads the TSVs it writes.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
import textwrap
from pathlib import Path

MAX_TRANSLATIONS = 8
MAX_WORDS = 3
DATA_DIR = Path(__file__).resolve().parent.parent / "retrieval" / "data"
DEFAULT_OUT = DATA_DIR / "eng-ind.tsv"
DEFAULT_PIVOT_OUT = DATA_DIR / "eng-ind-pivot.tsv"

# Pivot languages with a CC-BY-SA dictionary to or from English (WikDict eng-fin, fin-eng,
# pol-eng, ell-eng) and one to Indonesian.
PIVOTS = ("fin", "pol", "ell")
# Languages with a CC-BY-SA dictionary to Indonesian but none with English; reached from
# English through two PIVOTS.
CHAINED = ("deu", "nld", "ita")
# Votes a pivot translation needs; a first-hop language gives 1, a chained one 1/2.
MIN_VOTES = 2.0
CHAINED_VOTE = 0.5
ACCEPTED_LICENCES = ("CC-BY-SA-3.0",)

# dictd stores offsets and lengths in this base-64 alphabet, most significant digit first.
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64)}

_SENSE = re.compile(r"^(\d+)\.\s+(.*)$")  # "2. kepala, pimpin": a numbered translation line
_SUBSENSE = re.compile(r"^\s*\d+\.\s*$")  # " 3.": a sub-sense marker, a gloss follows
_TRAILING_NUMBER = re.compile(r"\s+\d+\.\s*$")  # "iklim 2.": a marker glued to the line
_WIKILINK = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]")  # [[target|shown]] -> shown
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_HEADWORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*(?: [^\W\d_]+(?:['’-][^\W\d_]+)*)*")
_SYNONYM = re.compile(r"[a-z]+(?:-[a-z]+)*")


def _b64(text: str) -> int:
    value = 0
    for char in text:
        value = value * 64 + _B64_VALUE[char]
    return value


def find_files(root: Path, pair: str = "eng-ind") -> tuple[Path, Path]:
    """Locate the dictd index and compressed dictionary below ``root``.

    Args:
        root: The folder the .deb was extracted to, or the folder holding the two files.
        pair: The dictionary, as FreeDict names it ("eng-ind", "fin-deu"...).

    Returns:
        The paths of ``freedict-<pair>.index`` and ``freedict-<pair>.dict.dz``.

    Raises:
        FileNotFoundError: If either file is missing.
    """
    found = []
    for name in (f"freedict-{pair}.index", f"freedict-{pair}.dict.dz"):
        hits = sorted(root.rglob(name))
        if not hits:
            raise FileNotFoundError(f"{name} not found below {root}")
        found.append(hits[0])
    return found[0], found[1]


def read_entries(index_path: Path, dict_path: Path) -> list[tuple[str, str]]:
    """Read every (headword, entry text) pair, in index order, skipping dictd metadata."""
    # dictzip files are gzip-compatible; the whole dictionary is well under 2 MB unpacked.
    data = gzip.decompress(dict_path.read_bytes())
    entries = []
    seen: set[tuple[str, int, int]] = set()
    for line in index_path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or parts[0].startswith("00database"):
            continue
        head, offset, length = parts[0], _b64(parts[1]), _b64(parts[2])
        if (head, offset, length) in seen:
            continue
        seen.add((head, offset, length))
        entries.append((head, data[offset : offset + length].decode("utf-8")))
    return entries


def clean_translation(raw: str) -> str | None:
    """Normalise one comma-separated translation; None when it is not worth keeping."""
    if any(char.isdigit() for char in raw):
        return None  # ordinals such as "ke-2"
    text = _WIKILINK.sub(r"\1", raw)
    text = _PARENS.sub(" ", text)
    words = _WORD.findall(text.lower())
    if not words or len(words) > MAX_WORDS:
        return None
    # Affixes such as "amfi-" lose their hyphen in _WORD; catch them on the raw text.
    if raw.strip().endswith("-") or raw.strip().startswith("-"):
        return None
    return " ".join(words)


def parse_entry(text: str) -> list[tuple[list[str], list[str]]]:
    """Split one dictd entry into senses.

    Args:
        text: The entry: a header line (headword, pronunciations, ``<pos>``), then for each
            sense a translation line (numbered "N. ..." when there are several senses)
            followed by zero or more English gloss lines.

    Returns:
        ``(translations, glosses)`` per sense, translations already cleaned. Glosses of
        numbered sub-senses (" 3." lines) are left out: the translation line belongs to the
        main sense, and sub-senses stray from it ("hidup" = live, sub-sense "survive,
        persevere, continue").
    """
    senses: list[tuple[list[str], list[str]]] = []
    lines = [ln for ln in text.split("\n")[1:] if ln.strip()]
    in_subsense = False
    for index, line in enumerate(lines):
        match = _SENSE.match(line)
        if match or index == 0:
            in_subsense = False
            body = match.group(2) if match else line
            body = _TRAILING_NUMBER.sub("", body)
            translations = []
            for piece in re.split(r"[,/]", body):
                cleaned = clean_translation(piece)
                if cleaned:
                    translations.append(cleaned)
            senses.append((translations, []))
        elif _SUBSENSE.match(line):
            in_subsense = True
        elif senses and not in_subsense:
            senses[-1][1].append(line.strip())
    return senses


def gloss_synonyms(gloss: str) -> list[str]:
    """The single-word synonyms of a gloss that is nothing but a list of them, else []."""
    items = [item.strip() for item in re.split(r"[,;]", gloss) if item.strip()]
    if len(items) < 2 or not all(_SYNONYM.fullmatch(item) for item in items):
        return []
    return items


def build(entries: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Turn dictd entries into ``{english: [indonesian, ...]}``, capped and deduplicated."""
    table: dict[str, list[str]] = {}
    from_glosses: dict[str, list[str]] = {}
    for head, text in entries:
        headword = " ".join(head.lower().split())
        # Numbers ("2nd"), punctuation and long phrases (proverbs) are of no use for lookups.
        if not _HEADWORD.fullmatch(headword) or len(headword.split()) > MAX_WORDS:
            continue
        for translations, glosses in parse_entry(text):
            bucket = table.setdefault(headword, [])
            bucket.extend(t for t in translations if t not in bucket)
            for gloss in glosses:
                for synonym in gloss_synonyms(gloss):
                    extra = from_glosses.setdefault(synonym, [])
                    extra.extend(t for t in translations if t not in extra)
    for synonym, translations in from_glosses.items():
        # Only fill gaps: a real entry is always better evidence than a gloss.
        if synonym not in table:
            table[synonym] = translations
    return {
        head: translations[:MAX_TRANSLATIONS]
        for head, translations in sorted(table.items())
        if translations
    }


def write_tsv(table: dict[str, list[str]], out: Path, edition: str) -> None:
    """Write the table with a provenance header."""
    lines = [
        f"# English-Indonesian word list derived from FreeDict/WikDict eng-ind {edition}",
        "# (Debian package dict-freedict-eng-ind), CC-BY-SA 3.0; see ATTRIBUTION.md.",
        "# Regenerate with benchmarks/build_lexicon.py. Format: english<TAB>indonesian|...",
    ]
    lines.extend(f"{head}\t{'|'.join(translations)}" for head, translations in table.items())
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def edition_of(index_path: Path, dict_path: Path) -> str:
    """The dictionary edition from its ``00databaseshort`` entry, or "unknown"."""
    data = gzip.decompress(dict_path.read_bytes())
    for line in index_path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] == "00databaseshort":
            short = data[_b64(parts[1]) : _b64(parts[1]) + _b64(parts[2])].decode("utf-8")
            match = re.search(r"ver\.\s*(\S+)", short)
            if match:
                return match.group(1)
    return "unknown"


def licence_of(root: Path, pair: str) -> str | None:
    """The licence Debian's ``copyright`` file gives for ``<pair>/*``, or None if unknown."""
    for copyright_path in sorted(root.rglob(f"dict-freedict-{pair}/copyright")):
        for stanza in copyright_path.read_text(encoding="utf-8").split("\n\n"):
            if re.search(rf"^Files:.*\b{re.escape(pair)}/\*", stanza, re.MULTILINE):
                match = re.search(r"^License:\s*(\S.*)$", stanza, re.MULTILINE)
                return match.group(1).strip() if match else None
    return None


def read_pair(root: Path, pair: str) -> dict[str, list[str]] | None:
    """``{headword: [translation, ...]}`` of one dictionary, or None if it is not there.

    Headwords are lowercased with spaces normalised; translations are cleaned as for the
    direct dictionary, all senses together in dictionary order. A dictionary whose licence
    (per the package's ``copyright`` file) is not one of :data:`ACCEPTED_LICENCES` is
    skipped with a warning, as if it were missing.
    """
    try:
        index_path, dict_path = find_files(root, pair)
    except FileNotFoundError:
        print(f"{pair}: not found, skipped", file=sys.stderr)
        return None
    licence = licence_of(root, pair)
    if licence not in ACCEPTED_LICENCES:
        print(f"{pair}: licence {licence!r} not accepted, skipped", file=sys.stderr)
        return None
    table: dict[str, list[str]] = {}
    for head, text in read_entries(index_path, dict_path):
        headword = " ".join(head.lower().split())
        bucket = table.setdefault(headword, [])
        for translations, _ in parse_entry(text):
            bucket.extend(t for t in translations if t not in bucket)
    return table


def _links(
    forward: dict[str, list[str]] | None, backward: dict[str, list[str]] | None
) -> dict[str, list[str]]:
    """A -> B word links from an A-B dictionary plus a B-A dictionary read backwards."""
    links: dict[str, dict[str, None]] = {}
    for head, translations in (forward or {}).items():
        for translation in translations:
            links.setdefault(head, {})[translation] = None
    for head, translations in (backward or {}).items():
        for translation in translations:
            links.setdefault(translation, {})[head] = None
    return {word: list(targets) for word, targets in links.items()}


class _Stems:
    """The Snowball stemming that ``retrieval.lexicon`` uses, for the direct-support rule."""

    def __init__(self, direct: dict[str, list[str]]) -> None:
        import Stemmer  # PyStemmer, a dependency of the project

        self._id = Stemmer.Stemmer("indonesian")
        self._en = Stemmer.Stemmer("english")
        self._direct = direct
        self._family: dict[str, set[str]] = {}
        for english in direct:
            for key in self._family_keys(english):
                self._family.setdefault(key, set()).add(english)

    def _family_keys(self, english: str) -> set[str]:
        if " " in english:
            return set()
        keys = {self._en.stemWord(english)}
        if english.endswith("ment") and len(english) > 7:
            keys.add(self._en.stemWord(english[:-4]))
        return keys

    def id_root(self, indonesian: str) -> str:
        """Snowball root of a single word; multiword terms are their own root."""
        return indonesian if " " in indonesian else str(self._id.stemWord(indonesian))

    def direct_roots(self, english: str) -> set[str]:
        """Roots of the direct translations of ``english`` and of its stem family."""
        related = {english}
        for key in self._family_keys(english):
            related |= self._family.get(key, set())
        return {self.id_root(t) for word in related for t in self._direct.get(word, ())}


def build_pivot(root: Path, direct: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[str]]:
    """English -> Indonesian translations through other languages (see the module doc).

    Args:
        root: Folder below which the FreeDict packages were extracted.
        direct: The direct dictionary, ``{english: [indonesian, ...]}``.

    Returns:
        ``({english: [indonesian, ...]}, pairs used)``; only translations missing from
        ``direct`` are listed, best first, at most :data:`MAX_TRANSLATIONS` per headword.
    """
    used: list[str] = []
    cache: dict[str, dict[str, list[str]] | None] = {}

    def pair(name: str) -> dict[str, list[str]] | None:
        if name not in cache:
            cache[name] = read_pair(root, name)
            if cache[name] is not None:
                used.append(name)
        return cache[name]

    # English word -> words of each language, in dictionary order.
    routes: dict[str, dict[str, list[str]]] = {}
    for lang in PIVOTS:
        routes[lang] = _links(pair(f"eng-{lang}"), pair(f"{lang}-eng"))
    for lang in CHAINED:
        reached: dict[str, dict[str, set[str]]] = {}
        for first in PIVOTS:
            bridge = _links(pair(f"{first}-{lang}"), pair(f"{lang}-{first}"))
            for english, words in routes[first].items():
                for word in words:
                    for target in bridge.get(word, ()):
                        reached.setdefault(english, {}).setdefault(target, set()).add(first)
        routes[lang] = {
            english: [t for t, firsts in targets.items() if len(firsts) >= 2]
            for english, targets in reached.items()
        }

    # (english, indonesian) -> language -> ranks of the routes found.
    found: dict[str, dict[str, dict[str, list[int]]]] = {}
    for lang in (*PIVOTS, *CHAINED):
        to_indonesian = pair(f"{lang}-ind")
        if to_indonesian is None:
            continue
        for english, words in routes[lang].items():
            if not _HEADWORD.fullmatch(english) or len(english.split()) > MAX_WORDS:
                continue
            for word_rank, word in enumerate(words):
                for rank, indonesian in enumerate(to_indonesian.get(word, ())):
                    votes = found.setdefault(english, {}).setdefault(indonesian, {})
                    votes.setdefault(lang, []).append(word_rank + rank)

    stems = _Stems(direct)
    table: dict[str, list[str]] = {}
    for english, candidates in sorted(found.items()):
        known = set(direct.get(english, ()))
        backed: set[str] | None = None
        ranked = []
        for indonesian, by_lang in candidates.items():
            if indonesian in known:
                continue
            votes = sum(1.0 if lang in PIVOTS else CHAINED_VOTE for lang in by_lang)
            if votes < MIN_VOTES:
                if backed is None:
                    backed = stems.direct_roots(english)
                if stems.id_root(indonesian) not in backed:
                    continue
            n_routes = sum(len(ranks) for ranks in by_lang.values())
            best = min(min(ranks) for ranks in by_lang.values())
            ranked.append((-votes, -n_routes, best, indonesian))
        if ranked:
            table[english] = [item[-1] for item in sorted(ranked)[:MAX_TRANSLATIONS]]
    return table, used


def read_tsv(path: Path) -> dict[str, list[str]]:
    """Read a table written by :func:`write_tsv`."""
    table: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            head, _, translations = line.partition("\t")
            table[head] = [t for t in translations.split("|") if t]
    return table


def write_pivot_tsv(table: dict[str, list[str]], out: Path, sources: list[str]) -> None:
    """Write the pivot table with a provenance header."""
    credits = "English-Indonesian translations through other languages, derived from the "
    credits += f"FreeDict/WikDict dictionaries {', '.join(sources)} (CC-BY-SA 3.0; see "
    credits += "ATTRIBUTION.md). Only translations missing from eng-ind.tsv."
    lines = [f"# {line}" for line in textwrap.wrap(credits, 88, break_on_hyphens=False)]
    lines.append(
        "# Regenerate with benchmarks/build_lexicon.py --pivot. Format: english<TAB>indonesian|..."
    )
    lines.extend(f"{head}\t{'|'.join(translations)}" for head, translations in table.items())
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="folder the .deb(s) were extracted to")
    parser.add_argument("--out", type=Path, help="output TSV path")
    parser.add_argument(
        "--pivot", action="store_true", help="build eng-ind-pivot.tsv instead of eng-ind.tsv"
    )
    parser.add_argument(
        "--direct", type=Path, default=DEFAULT_OUT, help="direct TSV (with --pivot)"
    )
    args = parser.parse_args(argv)
    if args.pivot:
        out = args.out or DEFAULT_PIVOT_OUT
        pivot, used = build_pivot(args.source, read_tsv(args.direct))
        write_pivot_tsv(pivot, out, used)
        pairs = sum(len(t) for t in pivot.values())
        print(f"used {' '.join(used)}", file=sys.stderr)
        print(f"wrote {out}: {len(pivot)} headwords, {pairs} translations", file=sys.stderr)
        return 0
    args.out = args.out or DEFAULT_OUT
    index_path, dict_path = find_files(args.source)
    table = build(read_entries(index_path, dict_path))
    write_tsv(table, args.out, edition_of(index_path, dict_path))
    pairs = sum(len(t) for t in table.values())
    print(f"wrote {args.out}: {len(table)} headwords, {pairs} translations", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
