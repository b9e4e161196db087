"""The one logging setup every front end uses.

Log lines go to stderr as ``kabar: LEVEL: message``. Three things are taken care of here:

- control characters in a message (a file name holding an escape sequence or a newline) are
  shown escaped, so a log line cannot forge terminal output or fake further lines;
- third-party chatter (bm25s' debug logs, model-loading bars) stays off the terminal;
- at DEBUG, python-telegram-bot logs every Bot API call with its parameters and results,
  which hold the users' messages: unless ``KABAR_LOG_MESSAGE_TEXT`` is on, message texts in
  those lines are replaced by their length (privacy);
- credentials written into URLs (``user:password@``, ``?token=``) are replaced in every
  record, whatever logger it came from (:class:`RedactingFilter`; the bot adds its token).
"""

from __future__ import annotations

import logging
import os
import re

from bot.format import printable
from retrieval.redaction import redact_urls

__all__ = ["RedactingFilter", "TextPrivacyFilter", "quiet_libraries", "setup_logging"]

_FORMAT = "kabar: %(levelname)s: %(message)s"
# Message texts in a dict repr, a JSON string or an object repr (``text='...'``), single- or
# double-quoted.
_TEXT_FIELD = re.compile(
    r"""(?P<key>['"](?:text|caption|question|query|data)['"]\s*:\s*|"""
    r"""\b(?:text|caption|query|data)=)"""
    r"""(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


class _SafeFormatter(logging.Formatter):
    """Escapes control characters in the formatted line (tracebacks keep their newlines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return printable(super().formatMessage(record), keep_newlines=False)


class RedactingFilter(logging.Filter):
    """Redacts secrets in log records: by default credentials in URLs (:func:`redact_urls`).

    Installed on the root logger's handlers, it sees every record that reaches them, whatever
    logger it came from; the record is changed in place, so later handlers get it redacted
    too. Subclasses redact other secrets by overriding :meth:`redact`.
    """

    def redact(self, text: str) -> str:
        """``text`` without the secrets this filter knows."""
        return redact_urls(text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message, its arguments and any formatted traceback; keep the record."""
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class TextPrivacyFilter(logging.Filter):
    """Replaces message texts in python-telegram-bot's DEBUG lines by their length."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; always keep it."""
        if record.name.startswith("telegram") and record.levelno <= logging.DEBUG:
            message = record.getMessage()
            redacted = _TEXT_FIELD.sub(
                lambda m: f"{m.group('key')}'[{len(m.group('value')) - 2} characters]'",
                message)
            if redacted != message:
                record.msg, record.args = redacted, None
        return True


def quiet_libraries(level: int = logging.WARNING) -> None:
    """Keep third-party chatter (debug logs, model-loading bars) off the user's terminal."""
    for name in ("bm25s", "sentence_transformers", "transformers", "httpx", "faiss"):
        logging.getLogger(name).setLevel(max(level, logging.getLogger(name).level))
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def setup_logging(level: str = "WARNING", message_text: bool = False) -> None:
    """Configure the root logger once: one stderr handler with the safe format.

    Args:
        level: The level name (``KABAR_LOG_LEVEL``).
        message_text: Whether DEBUG lines may show users' message texts
            (``KABAR_LOG_MESSAGE_TEXT``).
    """
    root = logging.getLogger()
    if not any(getattr(h, "_kabar", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(_SafeFormatter(_FORMAT))
        handler._kabar = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(getattr(logging, level, logging.WARNING))
    for existing in root.handlers:
        if not any(type(f) is RedactingFilter for f in existing.filters):
            existing.addFilter(RedactingFilter())
        privacy = [f for f in existing.filters if isinstance(f, TextPrivacyFilter)]
        if not message_text and not privacy:
            existing.addFilter(TextPrivacyFilter())
        elif message_text:
            for f in privacy:
                existing.removeFilter(f)
    quiet_libraries()
