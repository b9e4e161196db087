"""What a "how many / how much" question measures, and what a number in the text measures.

"Berapa *harga* ..." asks an amount of money, "berapa *luas* ..." an area, "how *long*" a
time, "berapa *jumlah korban*" or "how many" a count. A number's unit says what it measures
("1.320 hektar" an area, "Rp 6 triliun" money, "122 tahun" a time). A number that measures
something else than what is asked ("122 tahun" for the death toll, "empat bulan" for the
value of an investment) is the wrong short answer however near the question's words it sits
(:mod:`.candidates` scores the match and the clash). The words below are units and measure
nouns of both languages: classes of answer, not answers.
"""

from __future__ import annotations

import re

from retrieval.answering.common.spans import Span, number_spans
from retrieval.answering.extractive.kinds import question_kind

__all__ = ["asked_measure", "clashes", "is_measure", "measure_of", "measure_unmet"]

_MEASURES: dict[str, tuple[str, str]] = {
    # class: (question words asking for it, unit words of it)
    "money": ("harga biaya nilai dana anggaran investasi modal kerugian sumbangan gaji upah "
              "tarif pendapatan penghasilan omzet laba utang pinjaman bantuan hadiah devisa "
              "price cost value worth fund budget investment loss revenue income salary wage "
              "fee debt loan aid prize compensation kompensasi santunan fare ongkos",
              "rp rupiah dollar dolar usd euro yen ringgit baht yuan pound poundsterling riyal "
              "won peso rupee franc $"),
    "percent": ("persen persentase percent percentage", "persen percent % pct"),
    "area": ("luas area", "hektar hektare ha km2 acre are"),
    "length": ("tinggi ketinggian panjang jarak kedalaman lebar height length distance depth "
               "width altitude elevation elevasi jauh far high",
               "meter m km kilometer cm mm mil mile miles kaki feet foot mdpl dpl"),
    "weight": ("berat bobot weight", "ton kg kilogram gram kuintal tons"),
    "time": ("lama durasi usia umur age old duration long",
             "tahun bulan minggu pekan hari jam menit detik abad dekade year years month months "
             "week weeks day days hour hours minute minutes second seconds decade decades"),
    "power": ("daya kapasitas listrik power capacity",
              "mw megawatt kw kilowatt watt gw gigawatt kwh"),
    "volume": ("volume debit", "liter barel barrel barrels m3 kiloliter"),
}
_ASKED = {w: cls for cls, (asked, _) in _MEASURES.items() for w in asked.split()}
_UNITS = {w: cls for cls, (_, units) in _MEASURES.items() for w in units.split()}
# The words after the question word: "berapa *luas* ...", "how *long* ...", "what is the
# *price* of".
_AFTER = re.compile(r"\b(?:berapa(?:kah)?|how|what is the|what was the|what were the)\s+"
                    r"((?:\w+ ){0,2}\w+)")
_COUNT = re.compile(r"\b(?:how many|berapa(?:kah)? (?:jumlah|banyak|banyaknya|orang)|"
                    r"jumlah)\b")


def asked_measure(question: str) -> str | None:
    """What the question measures: a class of :data:`_MEASURES`, ``"count"`` for "how
    many", or ``None`` when it does not say."""
    lowered = " ".join(question.casefold().split())
    m = _AFTER.search(lowered)
    if m is not None:
        for word in m.group(1).split():
            found = _ASKED.get(word) or _UNITS.get(word)
            if found:
                return found
    return "count" if _COUNT.search(lowered) else None


def is_measure(word: str) -> bool:
    """Whether a question's word asks for a measure ("luas", "volume"), not for things to
    count."""
    return word.casefold() in _ASKED


def measure_of(span: Span) -> str | None:
    """What a number measures, by its currency sign or unit word (``None``: a bare count
    or a unit not known here)."""
    if span.currency:
        return "money"
    return _UNITS.get(span.unit.casefold())


def clashes(asked: str | None, measured: str | None, span: Span) -> bool:
    """Whether a number measures something else than what is asked: another measure
    ("3.805 meter" for an area), a count of things for a measure ("tiga buah" for "berapa
    luas"), or a time or a share for a count ("122 tahun" for the death toll)."""
    if asked is None:
        return False
    if asked == "count":
        return measured in ("time", "percent")
    return measured != asked and (measured is not None or bool(span.unit))


#: Measures whose every answer carries its unit or sign: an amount of money is written with a
#: currency or a scale word ("Rp 6 triliun", "2 juta dolar"). (Areas, volumes and weights
#: were tried too: on FacQA train they refused right answers written in units not listed,
#: "kilometer persegi", production "volume" in tons.)
_UNIT_BOUND = frozenset({"money"})


def measure_unmet(question: str, sentences: list[str], lang: str) -> bool:
    """Whether a question asking an amount of a measure that always carries its unit ("berapa
    harga tiket", "how much did it cost") is read against sentences holding no number of it:
    the closest sentence then answers something else (a passenger count for a ticket
    price)."""
    asked = asked_measure(question)
    if asked not in _UNIT_BOUND or question_kind(question) != "number":
        return False  # "Sejak tanggal berapa tarif tol naik?" asks a date
    # A change in value is often a share ("nilai ekspor turun 12 persen"): it answers too.
    return not any(measure_of(span) in (asked, "percent") or span.scale
                   for text in sentences for span in number_spans(text, lang))
