"""Negators and pairs of opposite predicates, in English and Indonesian, as data.

One line of :data:`PAIRS` is a pair of opposite poles, ``first words | second words``; each
side lists English and Indonesian words (matched by stem in their own language: "ended" and
"berakhir" are "end"). A word marked ``~`` counts only in a derived form (Indonesian
"berakhir", "mengakhiri" are "end", the bare "akhir" of "akhir pekan" is not). Saying a
word of one pole is saying "not" of the other: "the talks ended" ↔ "the talks did not
continue".

:data:`NEGATORS` turn what follows them in their clause into its opposite; a few
two-word phrases that look negative are not ("not only", "tidak hanya").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from retrieval.text.terms import stem

__all__ = ["NEGATORS", "NEGATOR_PHRASES", "NOT_NEGATIONS", "PAIRS", "pole_of"]

NEGATORS = frozenset("""
    not never no none nobody nothing neither nor without cannot unable fail failed fails
    failing tidak tak bukan belum tanpa gagal jangan tiada enggan
""".split())
#: Negators that negate only in a two-word phrase (written ``first second``).
NEGATOR_PHRASES = frozenset({"yet to", "no longer", "lack of", "absence of", "tidak lagi"})
#: Phrases whose first word is a negator but that do not negate what follows.
NOT_NEGATIONS = frozenset({"not only", "tidak hanya", "bukan hanya", "tak hanya",
                           "no doubt", "not least", "tidak lain", "bukan tidak"})

#: Pairs of opposite poles, one per paragraph: first pole's words, "|", the second's.
_TABLE = """
agree agreement accept approve consent sepakat setuju terima ~kabul
    | reject refuse disagree deny decline tolak ~tentang bantah
continue resume proceed lanjut ~terus
    | end stop halt cease suspend abandon ~akhir ~henti batal tunda
reach achieve succeed success manage capai ~hasil berhasil sukses
    | fail failure gagal
open reopen buka
    | close shut tutup
increase rise grow raise escalate naik ~tingkat tambah
    | decrease reduce fall drop decline lower cut turun ~kurang
begin start launch mulai ~luncur
    | finish conclude complete end selesai rampung usai ~akhir
win victory menang
    | lose =kalah
support endorse dukung ~sokong
    | oppose ~lawan ~tentang
allow permit izin ~boleh
    | forbid ban prohibit prevent block larang ~cegah
release free liberate bebas lepas
    | arrest detain imprison tangkap
confirm affirm ~benar konfirmasi
    | deny refute bantah sangkal
attend join hadir ikut gabung
    | absent boycott absen boikot
optimism optimistic hope optimis optimisme harap
    | pessimism pessimistic despair pesimis pesimisme
include involve libat sertakan
    | exclude kecuali
before prior sebelum
    | after following setelah sesudah
majority most mayoritas
    | minority minoritas
ally allies friend sekutu kawan
    | enemy foe musuh
peace peaceful truce damai
    | war warfare perang
safe secure aman
    | dangerous unsafe bahaya
honest jujur
    | dishonest bohong
"""


def _pairs(table: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    out = []
    for paragraph in table.replace("\n    |", " |").strip().splitlines():
        first, _, second = paragraph.partition("|")
        out.append((tuple(first.split()), tuple(second.split())))
    return tuple(out)


PAIRS = _pairs(_TABLE)


@dataclass(frozen=True)
class _Form:
    pair: int
    second: bool  # the second pole: says "not" of the first
    derived_only: bool
    bare_only: bool
    word: str


@cache
def _forms() -> dict[str, tuple[_Form, ...]]:
    """Each table word's stems in both languages, with the poles they stand for."""
    out: dict[str, list[_Form]] = {}
    for n, poles in enumerate(PAIRS):
        for second, words in enumerate(poles):
            for raw in words:
                word = raw.lstrip("~=")
                form = _Form(n, bool(second), raw.startswith("~"), raw.startswith("="), word)
                for key in {stem(word, "en"), stem(word, "id"), word}:
                    out.setdefault(key, []).append(form)
    return {k: tuple(v) for k, v in out.items()}


def pole_of(word: str, stems: frozenset[str] | set[str]) -> tuple[tuple[int, bool], ...]:
    """The poles a word (lowercased, with its stems in both languages) stands for, as
    (pair, second pole)."""
    forms = _forms()
    found: dict[int, bool] = {}
    for key in stems:
        for form in forms.get(key, ()):
            if (form.derived_only and word == form.word) or (form.bare_only and
                                                              word != form.word):
                continue
            found.setdefault(form.pair, form.second)
    return tuple(found.items())
