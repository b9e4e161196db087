"""Domain errors. Each message names the fix; front ends show them as they are."""

from __future__ import annotations

from typing import Any

from retrieval.redaction import redact_urls


class KabarError(Exception):
    """Base class for errors a user can act on.

    Its message never holds a credential written into a URL (``user:password@``,
    ``?token=``): the text is redacted when the error is made, so every place that shows or
    logs it is safe.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*(redact_urls(a) if isinstance(a, str) else a for a in args))


class SeedsError(KabarError):
    """The seeds folder is missing, empty or holds no readable article."""


class NoIndexError(KabarError):
    """There is no built index where one was expected."""


class IndexMismatchError(KabarError):
    """The index was built with another model or an older format."""


class CorruptIndexError(KabarError):
    """A file of the index is truncated, altered or unreadable."""


class IndexWriteError(KabarError):
    """The index could not be written (disk full, quota, read-only folder)."""


class ConfigError(KabarError):
    """A setting has a value that cannot be used."""


class ModelLoadError(KabarError):
    """The embedding model could not be loaded."""


class LlmError(KabarError):
    """The LLM did not give a usable reply (unreachable, error, timeout, refusal, empty);
    the message is one line and never holds the API key."""
