"""Keeping the bot token out of every log line (httpx logs request URLs, which hold it)."""

from __future__ import annotations

import logging

from bot.logs import RedactingFilter

__all__ = ["TokenFilter", "protect_logs", "redact"]

_REDACTED = "[bot token]"


class TokenFilter(RedactingFilter):
    """Replaces the bot token in log records (httpx logs request URLs, which contain it).

    A :class:`~bot.logs.RedactingFilter` (it sees every record reaching the root handlers)
    that knows the token.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def redact(self, text: str) -> str:
        """``text`` without the token (see :func:`redact`)."""
        return redact(text, self.token)


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
