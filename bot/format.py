"""Pure formatting of answers and index facts for the terminal (no I/O here)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from retrieval.types import Answer, ArticleInfo, Citation, IndexInfo

LABELS = {
    "en": {"sources": "Sources", "no_title": "(untitled)", "asked": "Question"},
    "id": {"sources": "Sumber", "no_title": "(tanpa judul)", "asked": "Pertanyaan"},
}


# Characters that can forge terminal output: C0/C1 controls (escape sequences start with
# ESC or CSI), DEL, bidirectional overrides, and lone surrogates (which cannot be printed).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_OR_NEWLINE = re.compile(_UNSAFE.pattern[:-1] + "\n\t]")
# What json.dumps(ensure_ascii=False) leaves raw but a terminal may act on.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str, keep_newlines: bool = True) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``, ``\\n``).

    Args:
        text: Text from a file name, an article or a user.
        keep_newlines: Keep line breaks and tabs (multi-line output) or escape them too
            (one-line output such as a file name or a log line).
    """
    pattern = _UNSAFE if keep_newlines else _UNSAFE_OR_NEWLINE
    return pattern.sub(_escape_char, text)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return {10: "\\n", 9: "\\t"}.get(code) or (
        f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def source_line(c: Citation | ArticleInfo, lang: str = "en") -> str:
    """``title — outlet, date (doc_id)`` with the parts an article has, on one line."""
    title = c.title or LABELS[lang]["no_title"]
    outlet = c.source if isinstance(c, Citation) else c.outlet
    extra = ", ".join(p for p in (outlet, c.date) if p)
    line = f"{title}" + (f" — {extra}" if extra else "") + f" ({c.doc_id})"
    return printable(line, keep_newlines=False)


def format_answer(answer: Answer) -> str:
    """The answer for a terminal: notice, answer text, then the numbered sources."""
    labels = LABELS[answer.lang]
    parts = []
    if answer.notice:
        parts.append(f"({answer.notice})")
    parts.append(printable(answer.text))
    if answer.citations:
        parts.append("")
        parts.append(f"{labels['sources']}:")
        parts.extend(f"  [{c.n}] {source_line(c, answer.lang)}" for c in answer.citations)
    return "\n".join(parts)


def answer_json(answer: Answer) -> dict[str, Any]:
    """The ``kabar ask --json`` object for one answer."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "lang": answer.lang,
        "notice": answer.notice or None,
        "citations": [
            {"n": c.n, "doc_id": c.doc_id, "title": c.title, "source": c.source,
             "date": c.date, "quote": c.quote, "score": c.score}
            for c in answer.citations
        ],
        "passages": [
            {"doc_id": p.doc_id, "text": p.text, "score": p.score, "title": p.title,
             "chunk_id": p.chunk_id}
            for p in answer.passages
        ],
    }


def dumps(obj: Any) -> str:
    """One-line JSON, keeping non-ASCII text readable (control characters are escaped)."""
    text = json.dumps(obj, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def format_status(info: IndexInfo, index_dir: str, seeds_dir: str, seeds_changed: bool) -> str:
    """``kabar status`` output."""
    fresh = ("changed since the last build — run `kabar index`" if seeds_changed
             else "unchanged since the last build")
    index_dir, seeds_dir = printable(index_dir, False), printable(seeds_dir, False)
    return "\n".join([
        f"Index:          {index_dir} (version {info.version}, built {info.built_at})",
        f"Articles:       {info.articles}",
        f"Chunks:         {info.chunks}",
        f"Model:          {info.model} ({info.dim} dimensions)",
        f"Newest article: {info.newest_date or 'no dated article'}",
        f"Seeds:          {seeds_dir} — {fresh}",
    ])


def status_json(info: IndexInfo, index_dir: str, seeds_dir: str, seeds_changed: bool
                ) -> dict[str, Any]:
    """``kabar status --json`` object."""
    return {**asdict(info), "index_dir": index_dir, "seeds_dir": seeds_dir,
            "seeds_changed": seeds_changed}


def format_sources(articles: list[ArticleInfo]) -> str:
    """The list of indexed articles, numbered."""
    return "\n".join(f"{i:>3}. {source_line(a)}" for i, a in enumerate(articles, 1))
