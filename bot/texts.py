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
                    "/status — index size, model and last update\n"
                    "/follow WORDS — alert me when new reports on a story arrive\n"
                    "/following — the stories this chat follows\n"
                    "/unfollow N — stop following one (or /unfollow all)\n"
                    "/digest — new reports since the last digest (/digest daily 07:00, "
                    "/digest off)\n/help — this message",
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
        "follow_usage": "Say what to follow after the command, e.g. /follow {example}",
        "followed": "Following “{story}” ({n} of {max}). I'll send new reports on it here.",
        "already_followed": "This chat already follows “{story}”.",
        "follow_limit": "This chat follows {max} stories already; /unfollow one first.",
        "newest_match": "Newest report already on it:",
        "no_match_yet": "No report in the articles matches it yet.",
        "following": "Stories this chat follows:",
        "following_none": "This chat follows no story. Follow one with /follow WORDS.",
        "unfollow_usage": "Say which story to stop following: /unfollow N (see /following) "
                          "or /unfollow all.",
        "unfollowed": "Stopped following “{story}”.",
        "unfollowed_all": "Stopped following {n} stories.",
        "alert_title": "New reports on a story you follow",
        "story": "Story",
        "is_new": "new",
        "is_updated": "updated",
        "more_reports": "… and {n} more: /digest",
        "source_button": "Source [{n}]",
        "digest_title": "Digest since {since}",
        "digest_empty": "No new reports on the stories this chat follows since {since}.",
        "digest_usage": "/digest — new reports since the last digest; /digest daily HH:MM "
                        "— every day at that time ({zone}); /digest off — no daily digest.",
        "daily_on": "Daily digest at {at} ({zone}).",
        "daily_off": "No daily digest.",
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
                    "/status — ukuran indeks, model, dan pembaruan terakhir\n"
                    "/follow KATA — kabari saya saat ada laporan baru tentang sebuah berita\n"
                    "/following — berita yang diikuti obrolan ini\n"
                    "/unfollow N — berhenti mengikuti satu (atau /unfollow all)\n"
                    "/digest — laporan baru sejak ringkasan terakhir (/digest daily 07:00, "
                    "/digest off)\n/help — pesan ini",
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
        "follow_usage": "Tulis apa yang diikuti setelah perintahnya, misalnya /follow {example}",
        "followed": "Mengikuti “{story}” ({n} dari {max}). Laporan baru akan saya kirim ke "
                    "sini.",
        "already_followed": "Obrolan ini sudah mengikuti “{story}”.",
        "follow_limit": "Obrolan ini sudah mengikuti {max} berita; /unfollow salah satunya "
                        "dulu.",
        "newest_match": "Laporan terbaru tentangnya:",
        "no_match_yet": "Belum ada laporan di artikel yang cocok.",
        "following": "Berita yang diikuti obrolan ini:",
        "following_none": "Obrolan ini tidak mengikuti berita apa pun. Ikuti dengan /follow "
                          "KATA.",
        "unfollow_usage": "Sebutkan berita yang tidak diikuti lagi: /unfollow N (lihat "
                          "/following) atau /unfollow all.",
        "unfollowed": "Berhenti mengikuti “{story}”.",
        "unfollowed_all": "Berhenti mengikuti {n} berita.",
        "alert_title": "Laporan baru tentang berita yang Anda ikuti",
        "story": "Berita",
        "is_new": "baru",
        "is_updated": "diperbarui",
        "more_reports": "… dan {n} lagi: /digest",
        "source_button": "Sumber [{n}]",
        "digest_title": "Ringkasan sejak {since}",
        "digest_empty": "Tidak ada laporan baru tentang berita yang diikuti obrolan ini sejak "
                        "{since}.",
        "digest_usage": "/digest — laporan baru sejak ringkasan terakhir; /digest daily HH:MM "
                        "— setiap hari pada jam itu ({zone}); /digest off — tanpa ringkasan "
                        "harian.",
        "daily_on": "Ringkasan harian pukul {at} ({zone}).",
        "daily_off": "Tanpa ringkasan harian.",
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
