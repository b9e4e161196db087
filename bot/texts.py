"""The one table of user-visible texts, in English and Indonesian.

Every front end takes its words from here: the answer's labels and "not found", the notice
for a cut question, and the Telegram bot's messages. Keys are the same in both languages (a
test checks it); :func:`text` picks the asker's language and fills in the values.
"""

from __future__ import annotations

__all__ = ["EXAMPLES", "TEXTS", "lang_of", "text"]

#: Two example questions in each language, shown by /start and /help.
EXAMPLES = {
    "en": ("What was agreed in Paris?", "Who did John Kerry meet in Moscow?"),
    "id": ("Berapa orang tewas dalam kekerasan sektarian di pesisir Suriah?",
           "Di mana Hamas menyelesaikan perundingan gencatan senjata?"),
}

#: The texts; the key is an answer's or a user's language.
TEXTS = {
    "en": {
        "abstain": "I couldn't find that in the articles.",
        "absent": "No article mentions {names}.",
        "related": "The closest report:",
        "and": "and",
        "language": "I answer questions in English and Indonesian only: please ask in one of "
                    "them. (Saya menjawab pertanyaan dalam bahasa Inggris dan Indonesia.)",
        "cut": "Your question was cut to {n} characters.",
        "sources": "Sources",
        "no_title": "(untitled)",
        "asked": "Question",
        "intro": "I answer questions about {n} Indonesian news articles{newest}, quoting the "
                 "articles' own sentences with numbered sources.",
        "newest": " (newest from {date})",
        "how": "Ask in English or Indonesian. In a private chat just write your question; in a "
               "group use /ask, mention me, or reply to one of my messages.",
        "examples": "Examples",
        "commands": "/ask QUESTION — ask a question\n/sources — the articles I know\n"
                    "/status — index size, model and last update\n/help — this message",
        "quote_button": "Quote [{n}]",
        "also_quoted": "Also quoted from this article:",
        "refused": "Sorry, this bot does not answer in this chat.",
        "slow_down": "Slow down, please: at most {n} questions a minute in this chat. "
                     "Try again in {s} s.",
        "not_text": "I can only read text messages. Ask me a question, e.g. “{example}”",
        "ask_usage": "Put your question after the command, e.g. /ask {example}",
        "no_words": "Ask a question in words, e.g. “{example}”",
        "apology": "Sorry, something went wrong while answering. Please try again.",
        "expired": "That answer is too old; please ask again.",
        "page": "page {page} of {pages}, {n} articles",
        "prev": "‹ Previous",
        "next": "Next ›",
        "no_articles": "The index holds no articles.",
        "status": "Index status",
        "articles": "Articles",
        "chunks": "Passages",
        "model": "Model",
        "newest_article": "Newest article",
        "updated": "Last update",
        "version": "Version",
        "no_date": "no dated article",
        "dimensions": "dimensions",
        "fallback": "The LLM's answer was not used ({why}); this answer quotes the articles.",
        "drafting": "(draft, being checked against the articles)",
    },
    "id": {
        "abstain": "Saya tidak menemukan jawabannya di artikel-artikel yang ada.",
        "absent": "Tidak ada artikel yang menyebut {names}.",
        "related": "Laporan yang paling dekat:",
        "and": "dan",
        "language": "Saya menjawab pertanyaan dalam bahasa Inggris dan Indonesia saja. (I "
                    "answer questions in English and Indonesian only.)",
        "cut": "Pertanyaan Anda dipotong menjadi {n} karakter.",
        "sources": "Sumber",
        "no_title": "(tanpa judul)",
        "asked": "Pertanyaan",
        "intro": "Saya menjawab pertanyaan tentang {n} artikel berita Indonesia{newest} dengan "
                 "mengutip kalimat artikel itu sendiri beserta sumber bernomor.",
        "newest": " (terbaru dari {date})",
        "how": "Bertanyalah dalam bahasa Indonesia atau Inggris. Di obrolan pribadi cukup tulis "
               "pertanyaan Anda; di grup gunakan /ask, sebut saya, atau balas salah satu pesan "
               "saya.",
        "examples": "Contoh",
        "commands": "/ask PERTANYAAN — ajukan pertanyaan\n/sources — artikel yang saya ketahui\n"
                    "/status — ukuran indeks, model, dan pembaruan terakhir\n/help — pesan ini",
        "quote_button": "Kutipan [{n}]",
        "also_quoted": "Juga dikutip dari artikel ini:",
        "refused": "Maaf, bot ini tidak menjawab di obrolan ini.",
        "slow_down": "Pelan-pelan: paling banyak {n} pertanyaan per menit di obrolan ini. "
                     "Coba lagi dalam {s} detik.",
        "not_text": "Saya hanya bisa membaca pesan teks. Ajukan pertanyaan, misalnya “{example}”",
        "ask_usage": "Tulis pertanyaan Anda setelah perintahnya, misalnya /ask {example}",
        "no_words": "Ajukan pertanyaan dengan kata-kata, misalnya “{example}”",
        "apology": "Maaf, terjadi kesalahan saat menjawab. Silakan coba lagi.",
        "expired": "Jawaban itu sudah terlalu lama; silakan bertanya lagi.",
        "page": "halaman {page} dari {pages}, {n} artikel",
        "prev": "‹ Sebelumnya",
        "next": "Berikutnya ›",
        "no_articles": "Indeks tidak berisi artikel.",
        "status": "Status indeks",
        "articles": "Artikel",
        "chunks": "Bagian teks",
        "model": "Model",
        "newest_article": "Artikel terbaru",
        "updated": "Pembaruan terakhir",
        "version": "Versi",
        "no_date": "tidak ada artikel bertanggal",
        "dimensions": "dimensi",
        "fallback": "Jawaban LLM tidak dipakai ({why}); jawaban ini mengutip artikel.",
        "drafting": "(draf, sedang diperiksa dengan artikel)",
    },
}


def lang_of(lang: str) -> str:
    """A language the table has: ``lang`` itself, else English."""
    return lang if lang in TEXTS else "en"


def text(lang: str, key: str, **values: object) -> str:
    """Text ``key`` in ``lang`` (English when the table has no such language), filled in."""
    return TEXTS[lang_of(lang)][key].format(**values)
