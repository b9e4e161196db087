"""Word lists of both languages: stopwords, a language guess, English lemmas.

Small, hand-kept lists rather than a library's: the stopwords must leave out words that are
content words in the other language ("as", "us" are the United States in Indonesian), and
the lemma rules only need to propose candidates that a dictionary then confirms.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["STOPWORDS_EN", "STOPWORDS_ID", "Language", "detect_language", "english_lemmas"]

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
