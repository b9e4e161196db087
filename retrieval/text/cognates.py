"""English words as Indonesian loanwords: spelling rules that propose, a corpus that confirms.

Indonesian borrowed much of its news vocabulary from Dutch and English and respelled it by
regular rules: ``selection`` -> ``seleksi``, ``university`` -> ``universitas``, ``politics``
-> ``politik``, ``democracy`` -> ``demokrasi``, ``active`` -> ``aktif``. A dictionary lists
only some of these, so :func:`cognates` proposes the spellings the rules give; the caller
keeps only those the loaded index actually holds (:func:`confirmed`), so a wrong guess never
adds a term: the rules may over-generate freely.

Typical use::

    found = confirmed("selection", lambda form: doc_freq(stem(form, "id")) > 0)
    # ["seleksi"]
"""

from __future__ import annotations

import re
from collections.abc import Callable

from retrieval.text.wordlists import STOPWORDS_EN, english_lemmas

__all__ = ["cognates", "confirmed"]

#: Words shorter than this are not guessed at: short respellings meet unrelated Indonesian
#: words by chance ("mass" -> "mas").
_MIN_WORD = 5
_MIN_FORM = 5
_MAX_FORMS = 12

# English ending -> Indonesian endings, longest English ending first (the first that
# matches wins; the bare word is always tried too).
_SUFFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ization", ("isasi",)), ("isation", ("isasi",)), ("ically", ("is", "ik")),
    ("ation", ("asi",)), ("ction", ("ksi",)), ("ssion", ("si",)), ("graphy", ("grafi",)),
    ("tion", ("si",)), ("sion", ("si",)), ("ical", ("is", "ik")), ("ence", ("ensi",)),
    ("ance", ("ansi",)), ("logy", ("logi",)), ("ics", ("ik", "ika")), ("ity", ("itas",)),
    ("ism", ("isme",)), ("ist", ("is",)), ("ize", ("isasi",)), ("ise", ("isasi",)),
    ("ary", ("er", "ari")), ("ory", ("ori",)), ("ive", ("if",)), ("ure", ("ur",)),
    ("ate", ("at",)), ("ent", ("en",)), ("ant", ("an",)), ("ty", ("tas",)),
    ("cy", ("si",)), ("ic", ("ik",)), ("or", ("or", "ur")), ("y", ("i",)), ("e", ("", "e")),
)

# Letter groups respelled the Indonesian way, in this order ("ch" before "c").
_LETTERS: tuple[tuple[str, str], ...] = (
    ("ph", "f"), ("th", "t"), ("ch", "k"), ("ck", "k"), ("sh", "sy"), ("qu", "kw"),
    ("x", "ks"), ("z", "s"), ("y", "i"), ("ou", "u"),
)
_DOUBLE = re.compile(r"([b-df-hj-np-tv-z])\1")
_SOFT_C = re.compile(r"c(?=[eiy])")


def _respell(stem: str) -> set[str]:
    """The Indonesian spellings of an English stem (without its ending)."""
    for old, new in _LETTERS:
        stem = stem.replace(old, new)
    out = set()
    # "c" is "s" before e/i ("percent" -> "persen") and "k" elsewhere; some loans keep
    # "k" throughout ("acid" stays unguessed either way), so both are proposed.
    for soft in (_SOFT_C.sub("s", stem), stem):
        hard = soft.replace("c", "k")
        out.add(hard)
        out.add(_DOUBLE.sub(r"\1", hard))  # "commission" -> "komisi"
    return out


def cognates(word: str) -> list[str]:
    """Indonesian loanword spellings an English word may have, unchecked.

    Args:
        word: One lowercased English word ("selection", "politics").

    Returns:
        Distinct candidate spellings, the word itself excluded, most regular first; empty
        for short words and stopwords.
    """
    if len(word) < _MIN_WORD or word in STOPWORDS_EN or not word.isalpha():
        return []
    out: dict[str, None] = {}
    for base in (word, *english_lemmas(word)):
        for ending, replacements in _SUFFIXES:
            if base.endswith(ending) and len(base) > len(ending) + 2:
                head = base[: -len(ending)]
                for stem in sorted(_respell(head)):
                    out.update((stem + r, None) for r in replacements)
                break
        out.update(dict.fromkeys(sorted(_respell(base))))
    return [f for f in out if f != word and len(f) >= _MIN_FORM][:_MAX_FORMS]


def confirmed(word: str, known: Callable[[str], bool]) -> list[str]:
    """The cognates of ``word`` that the corpus holds.

    Args:
        word: One lowercased English word.
        known: Whether the corpus holds an Indonesian form (e.g. its stem has a document
            frequency above 0 in the loaded index).
    """
    return [form for form in cognates(word) if known(form)]
