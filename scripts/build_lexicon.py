"""Regenerate ``retrieval/data/eng-ind.tsv`` from Debian's ``dict-freedict-eng-ind`` package.

The source is the FreeDict/WikDict English-Indonesian dictionary (CC-BY-SA 3.0, see
``retrieval/data/ATTRIBUTION.md``), shipped by Debian in dictd format. Get and unpack it::

    cd /tmp && apt-get download dict-freedict-eng-ind
    dpkg-deb -x dict-freedict-eng-ind_*_all.deb /tmp/freedict-eng-ind
    python scripts/build_lexicon.py /tmp/freedict-eng-ind

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

This is a development tool; the ``retrieval`` package only reads the TSV it writes.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

MAX_TRANSLATIONS = 8
MAX_WORDS = 3
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "retrieval" / "data" / "eng-ind.tsv"

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


def find_files(root: Path) -> tuple[Path, Path]:
    """Locate the dictd index and compressed dictionary below ``root``.

    Args:
        root: The folder the .deb was extracted to, or the folder holding the two files.

    Returns:
        The paths of ``freedict-eng-ind.index`` and ``freedict-eng-ind.dict.dz``.

    Raises:
        FileNotFoundError: If either file is missing.
    """
    found = []
    for name in ("freedict-eng-ind.index", "freedict-eng-ind.dict.dz"):
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
        "# Regenerate with scripts/build_lexicon.py. Format: english<TAB>indonesian|...",
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


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="folder the .deb was extracted to")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output TSV path")
    args = parser.parse_args(argv)
    index_path, dict_path = find_files(args.source)
    table = build(read_entries(index_path, dict_path))
    write_tsv(table, args.out, edition_of(index_path, dict_path))
    pairs = sum(len(t) for t in table.values())
    print(f"wrote {args.out}: {len(table)} headwords, {pairs} translations", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
