"""The database of followed stories: SQLite in WAL mode, with a schema version and migrations.

One file (``Settings.follow_db``: in ``KABAR_DATA_DIR``, else beside the index) holds

- ``follows``: each chat's followed stories, in the order they were followed;
- ``chats``: a chat's daily digest time and when it last had a digest;
- ``state`` and ``articles``: the last index version processed and its article hashes, so
  that a restart neither repeats an update nor misses one;
- ``reports``: what each update matched, per followed story (digests read them);
- ``outbox``: messages still to send (one row per chat per update, or per daily digest),
  marked when sent.

An update is recorded in one transaction (reports, outbox rows, the new version), so a crash
either leaves all of it or none of it. ``PRAGMA user_version`` is the schema version;
:data:`MIGRATIONS` brings an older file up to date when it is opened. One connection is shared
by the bot's event loop and its worker threads, behind a lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from retrieval.errors import KabarError
from retrieval.types import StoryMatch

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Follow", "FollowStore", "NewReport", "Outgoing",
           "Report"]

#: Each entry brings the schema from version i to i + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE follows (id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL,
                          story TEXT NOT NULL, lang TEXT NOT NULL, created REAL NOT NULL);
    CREATE INDEX follows_by_chat ON follows (chat_id, id);
    CREATE TABLE chats (chat_id INTEGER PRIMARY KEY, daily TEXT, last_digest REAL,
                        last_daily TEXT);
    CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE articles (doc_id TEXT PRIMARY KEY, hash TEXT NOT NULL);
    CREATE TABLE reports (id INTEGER PRIMARY KEY, follow_id INTEGER NOT NULL,
                          chat_id INTEGER NOT NULL, story TEXT NOT NULL, lang TEXT NOT NULL,
                          version TEXT NOT NULL, doc_id TEXT NOT NULL, kind TEXT NOT NULL,
                          title TEXT, outlet TEXT, date TEXT, sentence TEXT NOT NULL,
                          passage TEXT NOT NULL, score REAL NOT NULL, at REAL NOT NULL,
                          UNIQUE (version, doc_id, follow_id));
    CREATE INDEX reports_by_chat ON reports (chat_id, at);
    CREATE TABLE outbox (id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL,
                         key TEXT NOT NULL, kind TEXT NOT NULL, reports TEXT NOT NULL,
                         lang TEXT NOT NULL, created REAL NOT NULL, due REAL NOT NULL,
                         tries INTEGER NOT NULL DEFAULT 0, sent REAL,
                         UNIQUE (chat_id, key));
    CREATE INDEX outbox_due ON outbox (sent, due);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
#: Seconds a writer waits for another process holding the database (``kabar digest``).
_BUSY_TIMEOUT = 10.0


@dataclass(frozen=True)
class Follow:
    """A story a chat follows."""

    id: int
    chat_id: int
    story: str
    lang: str


@dataclass(frozen=True)
class NewReport:
    """An article an update added (``"new"``) or changed (``"updated"``) that matches a
    followed story."""

    follow: Follow
    kind: str
    match: StoryMatch


@dataclass(frozen=True)
class Report:
    """A recorded match of an update, as digests and alerts show it."""

    id: int
    follow_id: int
    chat_id: int
    story: str
    lang: str
    version: str
    doc_id: str
    kind: str
    title: str | None
    outlet: str | None
    date: str | None
    sentence: str
    passage: str
    score: float
    at: float


@dataclass(frozen=True)
class Outgoing:
    """A message still to send: an ``"alert"`` or a ``"digest"`` of ``reports``."""

    id: int
    chat_id: int
    kind: str
    reports: tuple[int, ...]
    lang: str
    tries: int


class FollowStore:
    """The database; every method is one transaction.

    Args:
        path: The database file (its folder is made when missing).

    Raises:
        KabarError: The file cannot be opened, is no database, or is newer than this code.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=_BUSY_TIMEOUT, isolation_level=None,
                                       check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a sent mark survives power loss
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise KabarError(f"cannot use the follow database {path}: {exc} — move it away "
                             "or set KABAR_DATA_DIR to a writable folder") from None

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {version} is newer than this "
                                        f"Kabar's {SCHEMA_VERSION}")
        for number in range(version, SCHEMA_VERSION):
            with self._write():
                # DDL is transactional in SQLite: a failed migration leaves the old schema.
                # (executescript would commit first, so statements run one by one.)
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (no deadlock between two writers)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, *args: object) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, args))

    def schema_version(self) -> int:
        """The file's schema version."""
        return int(self._rows("PRAGMA user_version")[0][0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    # -- followed stories ---------------------------------------------------------------------

    def follow(self, chat_id: int, story: str, lang: str, limit: int) -> Follow | None:
        """Follow ``story`` in a chat; the existing follow when it is followed already;
        ``None`` when the chat follows ``limit`` stories already."""
        with self._write() as db:
            rows = list(db.execute("SELECT id, story, lang FROM follows WHERE chat_id = ?",
                                   (chat_id,)))
            same = [r for r in rows if r["story"].casefold() == story.casefold()]
            if same:
                return Follow(same[0]["id"], chat_id, same[0]["story"], same[0]["lang"])
            if len(rows) >= limit:
                return None
            cursor = db.execute("INSERT INTO follows (chat_id, story, lang, created) "
                                "VALUES (?, ?, ?, ?)", (chat_id, story, lang, time.time()))
            return Follow(int(cursor.lastrowid or 0), chat_id, story, lang)

    def follows(self, chat_id: int | None = None) -> list[Follow]:
        """A chat's followed stories in the order followed (every chat's when ``None``)."""
        sql = "SELECT id, chat_id, story, lang FROM follows"
        rows = self._rows(sql + " ORDER BY id") if chat_id is None else self._rows(
            sql + " WHERE chat_id = ? ORDER BY id", chat_id)
        return [Follow(r["id"], r["chat_id"], r["story"], r["lang"]) for r in rows]

    def unfollow(self, chat_id: int, number: int | None) -> list[Follow]:
        """Stop following the chat's story ``number`` (from 1, as ``/following`` lists
        them), or all of them when ``None``; returns what was removed."""
        with self._write() as db:
            rows = [Follow(r["id"], chat_id, r["story"], r["lang"]) for r in db.execute(
                "SELECT id, story, lang FROM follows WHERE chat_id = ? ORDER BY id",
                (chat_id,))]
            gone = rows if number is None else rows[number - 1:number] if number >= 1 else []
            db.executemany("DELETE FROM follows WHERE id = ?", [(f.id,) for f in gone])
            return gone

    def forget_chat(self, chat_id: int) -> None:
        """A chat that blocked the bot (or is gone): its follows, digest and unsent
        messages are removed; what it was sent stays recorded."""
        with self._write() as db:
            db.execute("DELETE FROM follows WHERE chat_id = ?", (chat_id,))
            db.execute("DELETE FROM chats WHERE chat_id = ?", (chat_id,))
            db.execute("DELETE FROM outbox WHERE chat_id = ? AND sent IS NULL", (chat_id,))

    # -- index versions -----------------------------------------------------------------------

    def processed_version(self) -> str | None:
        """The last index version whose changes were matched, or ``None`` (never)."""
        rows = self._rows("SELECT value FROM state WHERE key = 'version'")
        return str(rows[0][0]) if rows else None

    def known_contents(self) -> dict[str, str]:
        """Article id -> content hash of the last version processed."""
        return {r["doc_id"]: r["hash"] for r in self._rows("SELECT doc_id, hash FROM articles")}

    def record_update(self, version: str, contents: Mapping[str, str],
                      reports: Sequence[NewReport], now: float) -> int:
        """Record a processed version in one transaction: its reports (for follows that
        still exist), one alert per chat in the outbox, its article hashes. Returns the
        number of alerts queued."""
        with self._write() as db:
            by_chat: dict[int, list[int]] = {}
            for r in reports:
                m = r.match
                cursor = db.execute(
                    "INSERT OR IGNORE INTO reports (follow_id, chat_id, story, lang, version, "
                    "doc_id, kind, title, outlet, date, sentence, passage, score, at) "
                    "SELECT id, chat_id, story, lang, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
                    "FROM follows WHERE id = ?",
                    (version, m.doc_id, r.kind, m.title, m.outlet, m.date, m.sentence,
                     m.passage, m.score, now, r.follow.id))
                if cursor.rowcount:
                    by_chat.setdefault(r.follow.chat_id, []).append(int(cursor.lastrowid or 0))
            for chat_id, ids in by_chat.items():
                lang = next(r.follow.lang for r in reports if r.follow.chat_id == chat_id)
                self._queue(db, chat_id, f"alert:{version}", "alert", ids, lang, now)
            db.execute("INSERT OR REPLACE INTO state (key, value) VALUES ('version', ?)",
                       (version,))
            db.execute("DELETE FROM articles")
            db.executemany("INSERT INTO articles (doc_id, hash) VALUES (?, ?)",
                           list(contents.items()))
            return len(by_chat)

    @staticmethod
    def _queue(db: sqlite3.Connection, chat_id: int, key: str, kind: str, ids: Sequence[int],
               lang: str, now: float) -> None:
        db.execute("INSERT OR IGNORE INTO outbox (chat_id, key, kind, reports, lang, created, "
                   "due) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (chat_id, key, kind, json.dumps(list(ids)), lang, now, now))

    # -- reports and digests ------------------------------------------------------------------

    def reports(self, ids: Sequence[int], followed: bool = False) -> list[Report]:
        """The reports of these ids, in id order; with ``followed``, only those of stories
        still followed (an alert queued before ``/unfollow`` is not sent after it)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        join = "JOIN follows f ON f.id = r.follow_id " if followed else ""
        return [_report(r) for r in self._rows(
            f"SELECT r.* FROM reports r {join}WHERE r.id IN ({marks}) ORDER BY r.id", *ids)]

    def reports_since(self, since: float, chat_id: int | None = None) -> list[Report]:
        """Reports recorded after ``since`` (epoch seconds) for stories still followed, of
        one chat or of all, oldest first."""
        sql = ("SELECT r.* FROM reports r JOIN follows f ON f.id = r.follow_id "
               "WHERE r.at > ?")
        rows = self._rows(sql + " ORDER BY r.id", since) if chat_id is None else self._rows(
            sql + " AND r.chat_id = ? ORDER BY r.id", since, chat_id)
        return [_report(r) for r in rows]

    def last_digest(self, chat_id: int) -> float | None:
        """When the chat last had a digest (epoch seconds), or ``None``."""
        rows = self._rows("SELECT last_digest FROM chats WHERE chat_id = ?", chat_id)
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    def digested(self, chat_id: int, at: float) -> None:
        """Record that the chat had a digest covering everything up to ``at``."""
        with self._write() as db:
            db.execute("INSERT INTO chats (chat_id, last_digest) VALUES (?, ?) ON CONFLICT "
                       "(chat_id) DO UPDATE SET last_digest = excluded.last_digest",
                       (chat_id, at))

    def set_daily(self, chat_id: int, at: str | None) -> None:
        """The chat's daily digest time (``"HH:MM"``, local), or ``None`` for none."""
        with self._write() as db:
            db.execute("INSERT INTO chats (chat_id, daily) VALUES (?, ?) ON CONFLICT "
                       "(chat_id) DO UPDATE SET daily = excluded.daily", (chat_id, at))

    def daily(self) -> list[tuple[int, str, str | None]]:
        """Chats with a daily digest: id, ``"HH:MM"`` and the local date of the last one."""
        return [(r["chat_id"], r["daily"], r["last_daily"]) for r in self._rows(
            "SELECT chat_id, daily, last_daily FROM chats WHERE daily IS NOT NULL")]

    def queue_daily(self, chat_id: int, day: str, reports: Sequence[Report], lang: str,
                    now: float) -> None:
        """Queue the chat's daily digest of ``day`` (once per day, whatever happens) and
        record it as the chat's last digest."""
        with self._write() as db:
            if reports:
                self._queue(db, chat_id, f"daily:{day}", "digest", [r.id for r in reports],
                            lang, now)
            db.execute("UPDATE chats SET last_daily = ?, last_digest = ? WHERE chat_id = ?",
                       (day, now, chat_id))

    # -- the outbox ---------------------------------------------------------------------------

    def due(self, now: float, limit: int = 100) -> list[Outgoing]:
        """Unsent messages due by ``now``, oldest first."""
        return [Outgoing(r["id"], r["chat_id"], r["kind"], tuple(json.loads(r["reports"])),
                         r["lang"], r["tries"])
                for r in self._rows("SELECT * FROM outbox WHERE sent IS NULL AND due <= ? "
                                    "ORDER BY due, id LIMIT ?", now, limit)]

    def next_due(self) -> float | None:
        """When the next unsent message is due, or ``None``."""
        rows = self._rows("SELECT MIN(due) FROM outbox WHERE sent IS NULL")
        return float(rows[0][0]) if rows[0][0] is not None else None

    def sent(self, outgoing_id: int, now: float) -> None:
        """Mark a message sent (after Telegram took it)."""
        with self._write() as db:
            db.execute("UPDATE outbox SET sent = ? WHERE id = ?", (now, outgoing_id))

    def postpone(self, outgoing_id: int, due: float) -> None:
        """Try a message again at ``due`` (a 429 or a network failure)."""
        with self._write() as db:
            db.execute("UPDATE outbox SET due = ?, tries = tries + 1 WHERE id = ?",
                       (due, outgoing_id))

    def drop(self, outgoing_id: int) -> None:
        """Give a message up (Telegram refuses it for good); it is not sent again."""
        with self._write() as db:
            db.execute("DELETE FROM outbox WHERE id = ?", (outgoing_id,))


def _report(row: sqlite3.Row) -> Report:
    return Report(row["id"], row["follow_id"], row["chat_id"], row["story"], row["lang"],
                  row["version"], row["doc_id"], row["kind"], row["title"], row["outlet"],
                  row["date"], row["sentence"], row["passage"], float(row["score"]),
                  float(row["at"]))
