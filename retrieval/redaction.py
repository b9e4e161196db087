"""Keeping credentials written into URLs out of every message.

A URL setting may carry a secret: ``http://user:password@host`` (``KABAR_LLM_URL``,
``KABAR_MILVUS_URI``, ``TELEGRAM_API_URL``, a webhook URL) or ``?token=...``/``?key=...``.
Errors, logs and ``kabar status`` show URLs, so everything shown passes through
:func:`redact_urls`: domain errors redact their own message (:class:`retrieval.errors.
KabarError`), the front ends' log filter redacts every record, and the command line redacts
what it prints. It works on any text, so a URL inside a library's message is caught too.
"""

from __future__ import annotations

import re

__all__ = ["HIDDEN", "redact_urls"]

#: What a credential is replaced by.
HIDDEN = "***"

# ``scheme://userinfo@``: the user name goes too (it is often the token itself). Greedy up to
# the last ``@`` before the path, as URL parsers read it.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#]+@")
# ``user:password@host`` without a scheme (a host shown as its netloc).
_BARE_USERINFO = re.compile(r"(?<![\w.%+~/-])[\w.%+~-]+:[^\s/@]+@(?=[\w\[])")
# Query or fragment parameters whose name says they hold a secret.
_SECRET_PARAM = re.compile(
    r"(?P<name>[?&;#][\w.-]*(?:token|key|secret|passw|pwd|auth|sig|credential)[\w.-]*=)"
    r"[^&;#\s'\"]+", re.IGNORECASE)


def redact_urls(text: str) -> str:
    """``text`` with every credential in a URL replaced by ``***``.

    >>> redact_urls("cannot reach http://bob:s3cret@llm:8080/v1?api_key=abc&x=1")
    'cannot reach http://***@llm:8080/v1?api_key=***&x=1'
    """
    if "@" not in text and "=" not in text:  # the common case: nothing to look for
        return text
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}{HIDDEN}@", text)
    text = _BARE_USERINFO.sub(f"{HIDDEN}@", text)
    return _SECRET_PARAM.sub(lambda m: f"{m.group('name')}{HIDDEN}", text)
