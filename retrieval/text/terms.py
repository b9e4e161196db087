"""Turning text into BM25 terms, the same way for articles and questions.

Indonesian words carry their grammar in affixes (``perundingan``, ``berunding``,
``merundingkan``), so terms are stems from Sastrawi, a dictionary-based Indonesian stemmer
(Nazief–Adriani): unlike the Snowball rules it restores the root's first letter
(``menolak`` -> ``tolak``, ``penumpang`` -> ``tumpang``), which lifted FacQA R@1 (train
0.820 -> 0.824, valid 0.849 -> 0.852). Stopwords of both languages are dropped. Numbers
lose their thousands separators so ``1.400`` and ``1400`` meet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from retrieval.text.wordlists import STOPWORDS_EN, STOPWORDS_ID

# Digits with inner separators stay one token; words may hold inner apostrophes.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$")
STOPWORDS = STOPWORDS_EN | STOPWORDS_ID
#: Bumped whenever the analysis below changes, so indexes built with the old one rebuild.
TERMS_VERSION = 7

_stemmer: Any = None
_english: Any = None


def words(text: str) -> list[str]:
    """Lowercased word and number tokens of ``text``, stopwords included, nothing stemmed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    # A possessive is its noun: "Indonesia's president" asks about "indonesia".
    return [re.sub(r"[.,]", "", t) if t[0].isdigit() else _POSSESSIVE.sub("", t)
            for t in _TOKEN.findall(text)]


@lru_cache(maxsize=500_000)
def stem(word: str, lang: str = "id") -> str:
    """The stem of one lowercased word in ``lang`` ("id" or "en"); numbers and short words
    are kept as they are."""
    global _stemmer, _english
    if word[0].isdigit() or len(word) <= 3:
        return word
    if lang == "en":
        if _english is None:
            import Stemmer

            _english = Stemmer.Stemmer("english")
        english: str = _english.stemWord(word)
        return english
    if _stemmer is None:
        # Built on first use: it loads a 30k-word root dictionary.
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        _stemmer = StemmerFactory().create_stemmer()
    stemmed: str = _stemmer.stem(word)
    # Sastrawi also strips "se-" from roots that begin with it ("setuju" -> "tuju", which
    # then meets "tujuan" and "menuju"; "disepakati" -> "pakat"). News vocabulary has many
    # such roots, so "se-" is kept whenever the word holds it right before the stem
    # ("nye" is "se" after the prefix "meN-": "menyetujui").
    if ("se" + stemmed) in word or ("nye" + stemmed) in word:
        stemmed = "se" + stemmed
    # Keep a stem only when a meaningful part remains (names can be cut to fragments).
    return stemmed if len(stemmed) >= 3 else word


def terms(text: str, lang: str = "id") -> list[str]:
    """BM25 terms of ``text`` in language ``lang``: tokens minus stopwords, stemmed.

    Indonesian text is stemmed with Sastrawi, English text with Snowball's English stemmer
    (an article's language is detected when it is indexed). Stopwords are checked again
    after stemming: question words carry particles ("siapakah", "berapakah") that the
    stemmer strips back to a stopword.
    """
    return [t for t in (stem(w, lang) for w in words(text) if w not in STOPWORDS)
            if t not in STOPWORDS]
