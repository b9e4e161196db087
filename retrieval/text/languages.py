"""Which language a question is in: English, Indonesian, or one Kabar does not answer in.

Kabar answers in English and Indonesian. A question in another language gets a reply saying
so, rather than a wrong answer or an Indonesian "not found". The language is found by its
function words (the commonest short words of a language, which a question can hardly avoid)
for the languages a user of a news bot is most likely to try instead, and by its script: a
question written mostly in a non-Latin script is not English or Indonesian either.
"""

from __future__ import annotations

import re
import unicodedata

from retrieval.text.wordlists import detect_language

__all__ = ["SUPPORTED", "question_language"]

#: The languages Kabar answers in.
SUPPORTED = ("en", "id")

# Function words of other languages, without those shared with English or Indonesian
# ("in", "a", "de" is kept: it is not an English or Indonesian word).
_FOREIGN = {
    "fr": "de le la les des du une est sont qui que quoi quel quelle quels où quand comment "
          "pourquoi combien été avec pour dans sur pas ce cette ces au aux et ont été c'est qu'est",
    "de": "der die das den dem des ein eine einen ist sind was wurde wurden wer wie wo wann "
          "warum welche welcher welches nicht und in mit von zu im auf für auch hat haben viele",
    "es": "de el los las del una es son fue qué quién quiénes dónde cuándo cómo por cuántos "
          "cuántas y con para en se acordó lo",
    "it": "il gli lo della delle degli è sono chi che cosa dove quando come perché quanti "
          "quante con per non nel nella stato",
    "pt": "de o os as da das do dos um uma é são foi quem onde quando como porque quantos "
          "quantas com para não em no na acordado",
    "nl": "de het een is zijn wie wat waar wanneer hoe waarom hoeveel niet en met van voor "
          "op er werd afgesproken",
}
_FOREIGN_WORDS = {lang: frozenset(words.split()) for lang, words in _FOREIGN.items()}
_ENGLISH = frozenset("a an the is are was were what who whom whose where when why how which "
                     "did does do in on at of to for and with by from has have had been "
                     "many much".split())
_INDONESIAN = frozenset("yang di ke dari dan apa siapa kapan mana berapa mengapa kenapa "
                        "bagaimana apakah dengan untuk pada dalam ini itu adalah tidak "
                        "sudah telah akan oleh atau".split())
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def question_language(text: str) -> str:
    """``"en"``, ``"id"``, or the code of another language (``"fr"``...; ``"other"``).

    Args:
        text: A question.
    """
    letters = [c for c in text if c.isalpha()]
    if letters and sum(_latin(c) for c in letters) < len(letters) / 2:
        return "other"
    words = [w.casefold() for w in _WORD.findall(text)]
    english = sum(w in _ENGLISH for w in words)
    indonesian = sum(w in _INDONESIAN for w in words)
    foreign = {lang: sum(w in vocab for w in words) for lang, vocab in _FOREIGN_WORDS.items()}
    best = max(foreign, key=lambda lang: foreign[lang])
    # A question opening with an English or Indonesian word is in that language, whatever
    # foreign names it holds ("Di negara manakah ... Universite des Sciences et Techniques").
    opens_known = bool(words) and words[0] in (_ENGLISH | _INDONESIAN) \
        and words[0] not in _FOREIGN_WORDS[best]
    if opens_known or indonesian > foreign[best] or foreign[best] < 2:
        return detect_language(text)
    if foreign[best] > english:
        return best
    if foreign[best] == english:
        # A tie with English ("Was wurde in Paris vereinbart?" shares "was" and "in" with
        # English): a character-model language identifier decides. It is loaded only here.
        return _identify(text, best)
    return detect_language(text)


def _identify(text: str, candidate: str) -> str:
    import py3langid

    py3langid.set_languages(["en", "id", candidate])
    found, _ = py3langid.classify(text)
    return str(found)


def _latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")
