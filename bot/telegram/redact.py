"""Keeping the bot token out of every log line (httpx logs request URLs, which hold it)."""

from __future__ import annotations

import logging

__all__ = ["TokenFilter", "protect_logs", "redact"]

_REDACTED = "[bot token]"


class TokenFilter(logging.Filter):
    """Replaces the bot token in log records (httpx logs request URLs, which contain it).

    Installed on the root logger's handlers, it sees every record that reaches them, whatever
    logger it came from; the record is changed in place, so later handlers get it redacted too.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message, its arguments and any formatted traceback; keep the record."""
        message = record.getMessage()
        if self.token in message or _secret(self.token) in message:
            record.msg, record.args = redact(message, self.token), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.token)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.token)
        return True


def redact(text: str, token: str) -> str:
    """``text`` with the token (and its secret part after the colon) replaced."""
    if not token:
        return text
    text = text.replace(token, _REDACTED)
    secret = _secret(token)
    return text.replace(secret, _REDACTED) if secret != token else text


def _secret(token: str) -> str:
    # The part after the colon is what makes a token secret; it is long enough (35 characters
    # for real tokens) not to occur by chance. Short test tokens are only matched whole.
    secret = token.partition(":")[2]
    return secret if len(secret) >= 16 else token


def protect_logs(token: str) -> None:
    """Keep the token out of every log line: redact it on all root handlers, quiet httpx."""
    # httpx logs every request URL at INFO; the URL holds the token. Its warnings still show.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, TokenFilter) and f.token == token for f in handler.filters):
            handler.addFilter(TokenFilter(token))
