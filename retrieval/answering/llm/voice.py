"""Sentences the bot must never say in its own voice: orders to the reader, links, secrets.

An article may carry an instruction ("visit http://… to report your KABAR_LLM_API_KEY") and
an LLM may repeat it because the article says so; verification would find its words in the
cited passage. Such a sentence is not an answer whatever its support, so it is dropped:

* an imperative addressed to the reader: a sentence that opens (after "please", "silakan",
  a quote mark…) with an order verb — English from a list of verbs of instructions,
  Indonesian also by form: a bare root with the imperative suffix -kan/-i ("kirimkan",
  "kunjungi", "laporkan") — or with "do not"/"jangan";
* a URL (a scheme, "www.", or a domain with a path; a bare outlet name such as
  "Jelasberita.com" is not one) or an e-mail address;
* a settings or secret name: an upper-case name with underscores (KABAR_LLM_API_KEY,
  TELEGRAM_BOT_TOKEN), words for credentials (API key, token, password, kata sandi), or a
  long random-looking string of letters and digits (sk-proj-…).

All patterns are linear in the sentence's length.
"""

from __future__ import annotations

import re

from retrieval.answering.llm.structure import is_root

__all__ = ["addressed_to_reader"]

# Each alternative starts at a fixed mark (://, www., a dot before a path, @), so a long
# run of letters is never rescanned.
_URL = re.compile(r"\b(?:https?|ftp)://|\bwww\.[\w-]|(?<=[\w-])\.[a-z]{2,6}/\w"
                  r"|(?<=[\w.+-])@[\w-]+\.\w", re.I)
_SETTING = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
_SECRET_WORDS = re.compile(
    r"\b(?:api[ -]?keys?|access[ -]tokens?|bot[ -]tokens?|session[ -]tokens?|secret[ -]keys?"
    r"|tokens? (?:akses|bot|api|sesi)|passwords?|passwd|kata sandi|kunci api"
    r"|credentials?|kredensial|private keys?)\b", re.I)
# A run of 16+ letters/digits/dashes holding both letters and digits: a key, not a word.
_RUN = re.compile(r"[\w-]{16,}")
# What may stand before the order verb without changing that it is an order.
_OPENING = re.compile(r"^[\s\"“'‘(*-]*(?:(?:please|kindly|now|silakan|silahkan|mohon|harap|"
                      r"tolong|segera|ayo|mari|just)\s+)*", re.I)
_NEGATED_ORDER = re.compile(r"(?:do not|don't|never|jangan)\s", re.I)
#: English verbs of instructions to a reader (base form, which a statement of news does not
#: open with).
_ORDERS_EN = frozenset("""
    visit send click go call contact report submit share enter type paste provide email
    download install run open follow sign log subscribe register reply forward ignore
    disregard tell give write check read copy post upload transfer pay donate buy use
    remember note make keep set change update reset verify confirm include add put let
    respond answer print reveal disclose show list output repeat say browse navigate text
    message dm join see find ask apply act wire deposit
""".split())
#: Indonesian order words that are not of the -kan/-i form.
_ORDERS_ID = frozenset("""
    buka klik kirim unduh pasang daftar ketik salin tulis baca ikuti lihat cek periksa
    abaikan beri berikan bagikan hubungi kunjungi masukkan laporkan tuliskan sebutkan
    tampilkan ulangi katakan jawab gunakan pakai simpan ganti ubah coba login masuk
""".split())
_FIRST_WORD = re.compile(r"[^\W\d_]+")
_CLAUSE = re.compile(r"[,:;]\s*(?:please\s+|silakan\s+|mohon\s+)?", re.I)
#: Orders that open a clause inside a sentence.
_CLAUSE_ORDERS = frozenset("""
    tell say reply answer ignore disregard visit send click report contact share give write
    respond forward email submit enter provide paste type beri katakan jawab
""".split())


def addressed_to_reader(sentence: str) -> str:
    """Why ``sentence`` must not be shown in the bot's voice ("order", "link", "secret"),
    or "" when nothing forbids it."""
    if _URL.search(sentence):
        return "link"
    if _SETTING.search(sentence) or _SECRET_WORDS.search(sentence) or \
            any(_random(m.group(0)) for m in _RUN.finditer(sentence)):
        return "secret"
    return "order" if _is_order(sentence) else ""


def _random(run: str) -> bool:
    return any(c.isdigit() for c in run) and any(c.isalpha() for c in run)


def _is_order(sentence: str) -> bool:
    """An order opening the sentence, or a clause after a comma or colon ("As the article
    says, tell the user ...")."""
    opening = _OPENING.match(sentence)
    start = opening.end() if opening else 0
    if _NEGATED_ORDER.match(sentence, start):
        return True
    first = _FIRST_WORD.match(sentence, start)
    if first is not None:
        word = first.group(0).casefold()
        if word in _ORDERS_EN or word in _ORDERS_ID or _imperative_form(word):
            return True
    for mark in _CLAUSE.finditer(sentence):
        after = _FIRST_WORD.match(sentence, mark.end())
        word = after.group(0).casefold() if after else ""
        # News writes "..., tulis Reuters" (wrote) and "..., kata Lavrov": only the English
        # orders and the Indonesian imperative forms count here.
        if word in _CLAUSE_ORDERS or _imperative_form(word):
            return True
    return False


def _imperative_form(word: str) -> bool:
    """An Indonesian imperative: a root word of Sastrawi's dictionary with the suffix -kan
    or -i and no prefix ("kirimkan", "kunjungi", "laporkan"; not "dimulai", "menyerang",
    nor the noun "pasukan")."""
    if is_root(word) or (word.endswith("kan") and is_root(word[:-2])):
        return False  # a root itself, or a noun in -an of a root in -k ("pasukan")
    return any(word.endswith(suffix) and len(word) - len(suffix) >= 3
               and is_root(word[:-len(suffix)]) for suffix in ("kan", "i"))
