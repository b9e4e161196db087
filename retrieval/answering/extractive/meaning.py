"""Abstaining on meaning: a question about a name no retrieved article mentions.

"What was agreed at the meeting in Baku?" must not be answered with the Paris talks because
both are meetings: when the question is about a place, person or body that none of the
answering articles mentions under any of its names (aliases and translations included), the
answer says so instead.

The question's names are its runs of capitalised words (not titles, months or weekdays) and
the places the gazetteer knows. A name of several words counts as mentioned when one of its
words is ("Hosni Mubarak" by "Mubarak"). A missing person's name means the articles are about
someone else. A missing place or acronym is only context ("the population of Jiangsu,
China") when another name of the question is mentioned; when none is, the articles are
about somewhere else.
"""

from __future__ import annotations

import re

from retrieval.answering.common.spans import TITLES
from retrieval.answering.context import ReadContext
from retrieval.search import Query
from retrieval.text.places import is_major_place, is_place
from retrieval.text.terms import STOPWORDS, stem

__all__ = ["absent_names", "mentioned_anywhere", "off_focus"]

_TOKEN = re.compile(r"[^\W_][\w'’.-]*")
_CALENDAR = frozenset("""
    januari februari maret april mei juni juli agustus september oktober november desember
    january february march april may june july august october december senin selasa rabu
    kamis jumat sabtu minggu monday tuesday wednesday thursday friday saturday sunday
""".split())


def absent_names(context: ReadContext, query: Query, articles: list[int]) -> list[str]:
    """The names of the question that make ``articles`` the wrong ones to answer from.

    Args:
        context: For the articles' terms and the lexicon.
        query: The analysed question.
        articles: The articles the answer would quote.

    Returns:
        The missing names as the question writes them (empty: the articles will do).
    """
    present = frozenset().union(*(context.article_terms(a) for a in articles))
    found: list[list[str]] = []
    missing: list[list[str]] = []
    for group in _name_groups(context, query.text):
        (found if _mentioned(query, group, present) else missing).append(group)
    people = [g for g in missing if _person(context, g)]
    if people:
        return [" ".join(g) for g in people]
    return [" ".join(g) for g in missing] if missing and not found else []


def mentioned_anywhere(context: ReadContext, query: Query, name: str) -> bool:
    """Whether any indexed article mentions ``name`` (one of the question's names), under
    any of its forms: then the articles chosen are about something else, but "no article
    mentions it" would be false."""
    words = {part for part in re.split(r"[\s/-]+", name.casefold()) if part}
    doc_freq = context.view.bm25.doc_freq
    for concept in query.concepts:
        named = concept.word in words or concept.word == name.casefold()
        if named and any(doc_freq(t) > 0 for t in concept.singles):
            return True
    return any(doc_freq(stem(w, "id")) > 0 or doc_freq(stem(w, "en")) > 0 for w in words)


def _name_groups(context: ReadContext, text: str) -> list[list[str]]:
    # "Syria's coast" names Syria (as the question's terms do, retrieval.text.terms).
    tokens = [re.sub(r"['’]s$", "", m.group(0)).rstrip(".'’") for m in _TOKEN.finditer(text)]
    lexicon = context.lexicon
    groups: list[list[str]] = []
    current: list[str] = []
    for i, token in enumerate(tokens):
        lowered = token.casefold()
        skip = lowered in STOPWORDS or lowered in TITLES or lowered in _CALENDAR \
            or token[:1].isdigit()
        first_known = i == 0 and lexicon.knows(lowered)
        if token[:1].isupper() and not skip and not first_known:
            current.append(token)
            continue
        if current:
            groups.append(current)
            current = []
        if not skip and token.islower() and is_major_place(lowered) \
                and not lexicon.knows(lowered):
            groups.append([token])  # a place typed in lowercase ("uzbekistan")
    if current:
        groups.append(current)
    return groups


def _mentioned(query: Query, group: list[str], present: frozenset[str]) -> bool:
    words = {part for w in group for part in re.split(r"[-/]", w.casefold()) if part}
    phrase = " ".join(group).casefold()
    for concept in query.concepts:
        named = concept.word in words or concept.word == phrase
        if named and concept.found_in(present):
            return True
    # Words the analysis dropped or merged: look them up directly.
    return any(stem(w, "id") in present or stem(w, "en") in present or w in present
               for w in words)


def _person(context: ReadContext, group: list[str]) -> bool:
    """A person's (or an organisation's) name: no place, no acronym, no ordinary word."""
    lexicon = context.lexicon
    return not any(is_place(w) or lexicon.is_alias(w) or (w.isupper() and len(w) <= 5)
                   or lexicon.knows(w.casefold()) for w in group)


# What a factoid question is about, right after its question word: "how many *soldiers*",
# "what is the *capital* of", "berapa *orang*", "apa nama *sungai*". The answer must be
# about that too. ("Who is the athlete ..." is not checked: an answer names the person
# without repeating the role.)
_FOCUS = (
    re.compile(r"\bhow (?:many|much) ((?:\w+ ){0,2}\w+)"),
    re.compile(r"\bwhat (?:is|was|are|were) the ((?:\w+ ){0,2}\w+) (?:of|in|for)\b"),
    re.compile(r"(?<!tahun )(?<!tanggal )(?<!pukul )\bberapa(?:kah)? ((?:\w+ ){0,2}\w+)"),
    re.compile(r"\bapa(?:kah)? nama ((?:\w+ ){0,2}\w+)"),
    # "Who is the UN *envoy* for Syria?", "Siapa *presiden* Prancis?": the role.
    re.compile(r"\bwho (?:is|was|are|were) the ((?:\w+ ){0,2}\w+) (?:of|for|in|at)\b"),
)
# Words that only say what kind of answer is wanted, or which attribute of the thing asked
# about (its age, title, rate): an answer states those without repeating the word.
_GENERIC = frozenset("""
    name nama jumlah number total kind jenis type sort macam banyak lama one satu day days
    year years date time month week country countries city cities place places hari tahun
    tanggal waktu bulan pekan minggu negara kota tempat provinsi daerah wilayah age usia umur
    tingkat rate level title judul abbreviation singkatan kepanjangan latin current sekarang
    kira long old high tinggi weight berat size ukuran luas area amount population populasi
    penduduk price harga cost biaya value nilai percentage persen persentase revenue
    pendapatan distance jarak height length panjang much many kali times
""".split())


def off_focus(query: Query, window_terms: frozenset[str]) -> str | None:
    """The focus word of a factoid question when the answering sentence lacks it, else None.

    "How many Israeli soldiers were killed?" answered by "more than 1,400 people were
    killed" is another count; "What is the capital of France?" answered by "the talks began
    in Paris, France" does not say what the capital is. The focus is the first word after
    the question word that is neither a name nor a word for the kind of answer.
    """
    text = " ".join(query.text.casefold().split())
    for pattern in _FOCUS:
        m = pattern.search(text)
        if m is None:
            continue
        for word in m.group(1).split():
            word = re.sub(r"(?<=\w\w\w)(?:kah|lah)$", "", word)  # "kalikah" asks for "kali"
            if word in STOPWORDS:
                return None
            concept = next((c for c in query.concepts
                            if c.word == word or c.word.startswith(word + " ")), None)
            if concept is None or concept.name:
                continue  # an adjective of nationality, a name: the focus comes after it
            if word in _GENERIC:
                return None
            return None if concept.found_in(window_terms) else word
        return None
    return None
