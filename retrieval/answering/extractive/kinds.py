"""What kind of short answer a factoid question asks for.

"Siapa/who" wants a name, "di mana/where" a place, "kapan/when" a date, "tahun berapa/what
year" a year, "berapa/how many" a number, "which TV channel/negara mana" a name of that kind.
Questions of other kinds (what was agreed, why) get no short answer: the lead quotes the
report instead.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Kind", "question_kind"]

Kind = Literal["who", "place", "date", "year", "number", "name"]

# Nouns naming a kind of named thing: "which *country*", "*partai* apa". "Which talks" or
# "perundingan apa" ask about an event, answered by quoting the reports.
_ENTITY = r"(?:countries|country|cities|city|towns?|groups?|organi[sz]ations?|organisasi|" \
          r"kelompok|companies|company|perusahaan|parties|party|partai|channels?|stasiun|" \
          r"tv|televisi|newspapers?|surat kabar|media|agency|agencies|badan|lembaga|" \
          r"ministry|kementerian|departemen|department|team|tim|klub|club|bank|negara|kota|" \
          r"provinsi|propinsi|province|kabupaten|kecamatan|desa|benua|continent|" \
          r"state|person|man|woman|official|pejabat|tokoh|figure|leader|" \
          r"pemimpin|president|presiden|minister|menteri|rivers?|sungai|mountains?|gunung|" \
          r"island|pulau|airport|bandara|hospital|rumah sakit|university|universitas|" \
          r"school|sekolah|museum|ship|kapal|aircraft|pesawat|weapons?|senjata|drug|obat|" \
          r"disease|penyakit|virus|species|spesies|animal|hewan|plant|tanaman|book|buku|" \
          r"film|song|lagu|award|penghargaan|prize|hadiah|festival|tribes?|suku|religion|" \
          r"agama|language|bahasa|currency|mata uang|brand|merek|product|produk|yayasan|" \
          r"foundation|komisi|commission|maskapai|airline|pengadilan|court|majalah|magazine|" \
          r"julukan|nickname|judul|title)"

# "What was the annual inflation rate", "what is its share of the vote": the thing asked is a
# measure, so a number answers (as "berapa" does in Indonesian).
_MEASURED = r"(?:what|which) (?:is|was|are|were) (?:the |its |their )?(?:[\w'-]+ ){0,3}?" \
            r"(?:rate|share|percentage|price|cost|turnout|tally)"

# Checked in order: the first that matches decides ("tahun berapa" before "berapa").
_KINDS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    # "Tahun berapakah", "pada tahun kapankah": the question word may carry "-kah".
    ("year", re.compile(r"\b(tahun (?:berapa|apa|kapan)(?:kah)?|sejak tahun|what year|"
                        r"which year|in what year|since what year|since which year)\b")),
    ("date", re.compile(r"\b(kapan|kapankah|tanggal (?:berapa|apa)(?:kah)?|pada tanggal|"
                        r"hari apa(?:kah)?|bulan apa(?:kah)?|when|what date|what day|which day|"
                        r"on what day|which date)\b")),
    ("number", re.compile(r"\b(berapa|berapakah|how many|how much|how long|how far|how old|"
                          r"what number|what percentage|how high|death toll|toll|number of|"
                          r"jumlah korban|jumlah|" + _MEASURED + r")\b")),
    ("place", re.compile(r"\b(di ?mana|di ?manakah|ke ?mana|ke ?manakah|dari ?mana|"
                         r"dari ?manakah|where|in which (?:city|country|town|place)|"
                         r"(?:kota|negara|daerah|wilayah|provinsi|propinsi|tempat|pulau|"
                         r"kabupaten|kecamatan|desa|benua) "
                         r"(?:apa|mana)(?:kah)?|"
                         r"which (?:cities|city|countries|country|towns|town|places|place|"
                         r"regions|region))\b")),
    ("who", re.compile(r"\b(siapa|siapakah|who|whom|whose)\b")),
    ("name", re.compile(rf"\b(apa nama|apakah nama|nama \w+ apa|what is the name|what was the "
                        rf"name|what are the names|(?:which|what) {_ENTITY}\b|{_ENTITY} (?:apa|"
                        rf"mana)(?:kah)?\b|\w+ manakah|apa (?:judul|kepanjangan|singkatan|"
                        rf"julukan|gelar|jabatan|istilah)|apa itu|what is an?|what is)\b")),
)
# "Apakah" before a word naming what is asked ("Apakah nama ...", "Apakah kepanjangan dari
# HNSI?") asks "what is", not yes or no.
_APAKAH_WHAT = re.compile(r"^\s*apakah (?=(?:nama|judul|kepanjangan|singkatan|julukan|gelar|"
                          r"jabatan|istilah)\b)")
# Question openings that ask for an explanation, not a short answer.
_OPEN = re.compile(r"^\s*(why|how did|how does|how do|how is|how are|what did|what does|"
                   r"what do|what was agreed|what were|mengapa|kenapa|bagaimana|apa yang|"
                   r"apa saja|apa hasil|apa isi|apakah)\b")


def question_kind(question: str) -> Kind | None:
    """The kind of short answer ``question`` asks for, or ``None`` for an open question."""
    lowered = _APAKAH_WHAT.sub("apa ", " ".join(question.casefold().split()))
    if _OPEN.match(lowered) and not re.match(r"^\s*(what did .* (?:say|call)|apa yang "
                                             r"(?:disebut|dimaksud))", lowered):
        # "Apa yang diserang...", "What did Kerry propose": open, unless a short kind word
        # follows ("What did ... cost" has none; "apakah" questions are yes/no).
        return _first_asked(lowered, _KINDS[:5])
    return _first_asked(lowered, _KINDS)


def _first_asked(lowered: str, kinds: tuple[tuple[Kind, re.Pattern[str]], ...]) -> Kind | None:
    """The kind whose question word comes first: "Siapakah yang membuka pameran ... pada
    tanggal 15 Desember" asks who, not when; on a tie the earlier kind in ``kinds`` wins
    ("tahun berapa" before "berapa"). A name is asked only when no other kind is."""
    found = [(m.start(), i, kind) for i, (kind, pattern) in enumerate(kinds)
             if (m := pattern.search(lowered)) is not None]
    # "What is" / "apa nama" is only a fallback: "What is the death toll" asks a number.
    asked = [f for f in found if f[2] != "name"] or found
    return min(asked)[2] if asked else None
