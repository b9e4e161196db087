"""Pure formatting of answers and index facts for the terminal (no I/O here)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from bot.app import BuildReport, describe_date
from bot.texts import EXAMPLES, lang_of, text
from retrieval.types import Answer, ArticleInfo, Citation, IndexInfo

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
    """``title — outlet, date (doc_id)`` with the parts an article has, on one line; the date
    written out in ``lang`` (a relative one resolved, a missing year said so)."""
    title = c.title or text(lang, "no_title")
    outlet = c.source if isinstance(c, Citation) else c.outlet
    extra = ", ".join(p for p in (outlet, describe_date(c.date, lang)) if p)
    line = f"{title}" + (f" — {extra}" if extra else "") + f" ({c.doc_id})"
    return printable(line, keep_newlines=False)


def answer_text(answer: Answer) -> str:
    """The answer's words: the quoted sentences, or why there is no answer, in the asker's
    language (with the closest report when the question names something no article does)."""
    if not answer.abstained:
        return answer.text
    if answer.reason == "absent":
        names = _join([f"“{n}”" for n in answer.missing], text(answer.lang, "and"))
        shown = text(answer.lang, "absent", names=names)
        return f"{shown}\n{text(answer.lang, 'related')}\n{answer.text}" if answer.text \
            else shown
    if answer.reason == "no_words":
        return text(answer.lang, "no_words", example=EXAMPLES[lang_of(answer.lang)][0])
    return text(answer.lang, "language" if answer.reason == "language" else "abstain")


def _join(parts: list[str], conjunction: str) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def notice_text(answer: Answer) -> str:
    """What to tell the asker about the question itself (it was cut), or ""."""
    return text(answer.lang, "cut", n=answer.cut_to) if answer.cut_to else ""


def fallback_text(answer: Answer) -> str:
    """Why an LLM was asked but the answer quotes the articles, or "" (for the CLI and REPL;
    the bot does not trouble its users with it)."""
    return printable(text(answer.lang, "fallback", why=answer.fallback), keep_newlines=False) \
        if answer.fallback else ""


def format_asked(answer: Answer) -> str:
    """The question an answer is for, as a heading line ("Question: ...")."""
    return printable(f"{text(answer.lang, 'asked')}: {answer.question}", keep_newlines=False)


def format_answer(answer: Answer) -> str:
    """The answer for a terminal: notice, answer text, then the numbered sources."""
    parts = []
    if answer.cut_to:
        parts.append(f"({notice_text(answer)})")
    parts.append(printable(answer_text(answer)))
    if answer.citations:
        parts.append("")
        parts.append(f"{text(answer.lang, 'sources')}:")
        for c in answer.citations:
            parts.append(f"  [{c.n}] {source_line(c, answer.lang)}")
            if support_quoted(answer):
                parts.append(f"      “{printable(c.quote, keep_newlines=False)}”")
    return "\n".join(parts)


def support_quoted(answer: Answer) -> bool:
    """Whether the sources should quote the sentences behind the answer: when an LLM wrote
    it, the reader sees the articles' own words only there."""
    return answer.writer == "llm"


def answer_json(answer: Answer) -> dict[str, Any]:
    """The ``kabar ask --json`` object for one answer (its fields are listed in the README)."""
    return {
        "question": answer.question,
        "answer": answer_text(answer),
        "abstained": answer.abstained,
        "lang": answer.lang,
        "notice": notice_text(answer) or None,
        "writer": answer.writer,
        "dropped": answer.dropped,
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
        # Reports that differ, the latest figure, a timeline: each part's kind and the
        # reports' values, dates and citation numbers.
        "parts": [
            {"kind": part.kind, "reports": [
                {"value": r.value, "n": r.n, "date": r.date, "outlet": r.outlet,
                 "status": r.status, "citations": list(r.citations)}
                for r in part.reports]}
            for part in answer.parts
        ],
    }


def dumps(obj: Any) -> str:
    """One-line JSON, keeping non-ASCII text readable (control characters are escaped)."""
    text = json.dumps(obj, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def format_status(info: IndexInfo, index_dir: str, seeds_dir: str, seeds_changed: bool,
                  vectors: str = "") -> str:
    """``kabar status`` output; ``vectors`` names the vector index (and its kind)."""
    fresh = ("changed since the last build — run `kabar index`" if seeds_changed
             else "unchanged since the last build")
    index_dir, seeds_dir = printable(index_dir, False), printable(seeds_dir, False)
    return "\n".join([
        f"Index:          {index_dir} (version {info.version}, built {info.built_at})",
        *([f"Vector index:   {vectors}"] if vectors else []),
        f"Articles:       {info.articles}",
        f"Chunks:         {info.chunks}",
        f"Model:          {info.model} ({info.dim} dimensions)",
        f"Newest article: {info.newest_date or 'no dated article'}",
        f"Seeds:          {seeds_dir} — {fresh}",
    ])


def status_json(info: IndexInfo, index_dir: str, seeds_dir: str, seeds_changed: bool,
                store: str = "faiss", vector_index: str = "faiss", vector_kind: str = "flat"
                ) -> dict[str, Any]:
    """``kabar status --json`` object: where versions live (``store``) and which vector
    index holds the vectors (``vector_index``, ``vector_kind``)."""
    return {**asdict(info), "store": store, "vector_index": vector_index,
            "vector_kind": vector_kind, "index_dir": index_dir, "seeds_dir": seeds_dir,
            "seeds_changed": seeds_changed}


def format_sources(articles: list[ArticleInfo]) -> str:
    """The list of indexed articles, numbered."""
    return "\n".join(f"{i:>3}. {source_line(a)}" for i, a in enumerate(articles, 1))


def index_summary(report: BuildReport, index_dir: str) -> str:
    """The one-line summary of ``kabar index``."""
    if not report.changed:
        return (f"Index is up to date: {report.unchanged} articles, {report.chunks} chunks "
                f"in {printable(index_dir, False)}/ ({report.seconds:.2f} s).")
    why = f" ({report.reason})" if report.full and report.reason else ""
    return (
        f"Indexed {report.added + report.updated + report.unchanged} articles"
        f"{' from scratch' + why if report.full else ''}: {report.added} added, "
        f"{report.updated} updated, {report.removed} removed, {report.unchanged} unchanged. "
        f"{report.chunks} chunks ({report.chunks_embedded} embedded) in "
        f"{report.seconds:.1f} s -> {printable(index_dir, False)}/ (version {report.version})."
    )


def report_json(report: BuildReport) -> dict[str, object]:
    """The ``kabar index --json`` object (its fields are listed in the README)."""
    return {
        "added": report.added, "updated": report.updated, "removed": report.removed,
        "unchanged": report.unchanged, "chunks": report.chunks,
        "chunks_embedded": report.chunks_embedded,
        "sentences_embedded": report.sentences_embedded,
        "seconds": round(report.seconds, 3), "version": report.version, "full": report.full,
        "reason": report.reason, "skipped": list(report.skipped), "notes": list(report.notes),
    }


def file_warnings(report: BuildReport) -> list[str]:
    """One warning per skipped or altered file."""
    return [f"skipped {s}" for s in report.skipped] + list(report.notes)
