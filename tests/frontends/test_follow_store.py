"""The follow database and the update processing behind alerts, without Telegram.

- The database: WAL, a schema version, migrations from an older file, a newer file refused
  in one line; follows with a per-chat limit; an update recorded once (a second run, or a
  second process, queues nothing more); a follow removed meanwhile gets nothing.
- Processing a version: the first one seen is only recorded; new articles that match alert,
  a changed one says "updated", a removed one never alerts, unrelated stories get nothing.
- Digests and ``kabar digest`` (text and JSON).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_follow import CAIRO, STORY

from bot import cli
from bot.follow import FollowStore, digest_since, parse_since, process_update
from bot.follow.store import MIGRATIONS, SCHEMA_VERSION, NewReport
from retrieval.building.indexer import build_index
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder
from retrieval.engine import Engine
from retrieval.errors import KabarError
from retrieval.text.lexicon import Lexicon
from retrieval.types import StoryMatch


def match(doc_id: str, sentence: str = "Gencatan senjata di Gaza disepakati.") -> StoryMatch:
    return StoryMatch(doc_id, f"Title of {doc_id}", "Antara", "2024-03-04", sentence,
                      f"Passage. {sentence}", 0.9)


@pytest.fixture
def store(tmp_path: Path) -> FollowStore:
    return FollowStore(tmp_path / "data" / "follow.sqlite3")


def test_the_database_is_wal_with_its_schema_version(store: FollowStore) -> None:
    assert store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_older_file_is_migrated_and_a_newer_one_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "follow.sqlite3"
    with sqlite3.connect(path) as db:  # a file of an older schema: version 0, no tables
        db.execute("CREATE TABLE unrelated (x)")
    assert FollowStore(path).schema_version() == SCHEMA_VERSION
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(KabarError, match="newer than this Kabar's") as caught:
        FollowStore(path)
    assert "\n" not in str(caught.value) and "KABAR_DATA_DIR" in str(caught.value)


def test_follows_are_numbered_limited_and_not_doubled(store: FollowStore) -> None:
    first = store.follow(1, STORY, "id", limit=2)
    assert first is not None
    assert store.follow(1, STORY.upper(), "id", limit=2) == first  # already followed
    assert store.follow(1, "Aleppo", "en", limit=2) is not None
    assert store.follow(1, "ISIS", "en", limit=2) is None  # over KABAR_MAX_FOLLOWS
    assert [f.story for f in store.follows(1)] == [STORY, "Aleppo"]
    assert [f.story for f in store.unfollow(1, 1)] == [STORY]
    assert [f.story for f in store.follows(1)] == ["Aleppo"]
    assert store.unfollow(1, 5) == []
    assert len(store.unfollow(1, None)) == 1 and store.follows(1) == []


def test_an_update_is_recorded_once_with_one_alert_per_chat(store: FollowStore) -> None:
    a = store.follow(1, STORY, "id", 10)
    b = store.follow(1, "Hamas", "id", 10)
    c = store.follow(2, STORY, "id", 10)
    assert a and b and c
    reports = [NewReport(a, "new", match("x.txt")), NewReport(b, "new", match("x.txt")),
               NewReport(c, "updated", match("y.txt"))]
    assert store.record_update("v2", {"x.txt": "h1", "y.txt": "h2"}, reports, 100.0) == 2
    assert store.processed_version() == "v2"
    assert store.known_contents() == {"x.txt": "h1", "y.txt": "h2"}
    # The same update again (a second process, a retried transaction): nothing new.
    assert store.record_update("v2", {"x.txt": "h1", "y.txt": "h2"}, reports, 101.0) == 0
    due = store.due(time.time())
    assert sorted((o.chat_id, len(o.reports)) for o in due) == [(1, 2), (2, 1)]
    store.sent(due[0].id, time.time())
    assert len(store.due(time.time())) == 1
    store.postpone(due[1].id, time.time() + 60)
    assert store.due(time.time()) == [] and store.next_due() is not None


def test_a_follow_removed_while_matching_gets_nothing(store: FollowStore) -> None:
    follow = store.follow(1, STORY, "id", 10)
    assert follow is not None
    store.unfollow(1, None)
    assert store.record_update("v2", {}, [NewReport(follow, "new", match("x.txt"))], 1.0) == 0
    assert store.due(time.time()) == []


def test_a_chat_that_is_gone_is_forgotten(store: FollowStore) -> None:
    follow = store.follow(1, STORY, "id", 10)
    assert follow is not None
    store.record_update("v2", {}, [NewReport(follow, "new", match("x.txt"))], 1.0)
    store.set_daily(1, "07:00")
    store.forget_chat(1)
    assert store.follows(1) == [] and store.due(time.time()) == [] and store.daily() == []


def test_daily_digests_are_queued_once_a_day(store: FollowStore) -> None:
    follow = store.follow(1, STORY, "id", 10)
    assert follow is not None
    store.record_update("v2", {}, [NewReport(follow, "new", match("x.txt"))], 50.0)
    store.sent(store.due(time.time())[0].id, 60.0)
    store.set_daily(1, "07:00")
    assert store.daily() == [(1, "07:00", None)]
    reports = store.reports_since(0.0, 1)
    store.queue_daily(1, "2026-12-08", reports, "id", 70.0)
    store.queue_daily(1, "2026-12-08", reports, "id", 71.0)
    assert [o.kind for o in store.due(time.time())] == ["digest"]
    assert store.daily() == [(1, "07:00", "2026-12-08")] and store.last_digest(1) == 71.0


def test_digests_group_reports_by_story(store: FollowStore) -> None:
    a, b = store.follow(1, STORY, "id", 10), store.follow(2, STORY, "id", 10)
    assert a and b
    store.record_update("v2", {}, [NewReport(a, "new", match("x.txt")),
                                   NewReport(b, "new", match("x.txt"))], 10.0)
    store.record_update("v3", {}, [NewReport(a, "updated", match("x.txt", "Diperbarui."))],
                        20.0)
    (everyone,) = digest_since(store, 0.0)
    assert everyone.story == STORY and [r.kind for r in everyone.reports] == ["updated"]
    assert digest_since(store, 20.0) == []


@pytest.mark.parametrize(("text", "seconds"), [("24h", 86400), ("90m", 5400), ("2d", 172800),
                                               ("1w", 604800), ("12", 43200)])
def test_since_takes_the_usual_durations(text: str, seconds: float) -> None:
    assert parse_since(text) == seconds


def test_a_bad_since_is_one_line_naming_the_forms() -> None:
    with pytest.raises(ValueError, match=r"use e\.g\. 24h, 90m, 2d or 1w"):
        parse_since("yesterday")


# --- processing an index version (hashing embedder: fast, lexical checks decide) -----------

@pytest.fixture
def engine(hashing_settings: Settings, hashing_embedder: Callable[[], Embedder]
           ) -> Callable[[], Engine]:
    build_index(hashing_settings, hashing_embedder)
    return lambda: Engine(hashing_settings, hashing_embedder(), Lexicon.load())


def test_new_changed_and_removed_articles(hashing_settings: Settings,
                                          hashing_embedder: Callable[[], Embedder],
                                          engine: Callable[[], Engine]) -> None:
    store = FollowStore(hashing_settings.follow_db)
    served = engine()
    first = process_update(served, store, 0.8)
    assert first is not None and first.alerts == 0  # the first version is only recorded
    assert process_update(served, store, 0.8) is None
    store.follow(1, STORY, "id", 10)
    store.follow(2, "Aleppo", "en", 10)
    seeds = hashing_settings.seeds_dir
    (seeds / "cairo.txt").write_text(CAIRO, encoding="utf-8")
    build_index(hashing_settings, hashing_embedder)
    result = process_update(served, store, 0.8)
    assert result is not None and (result.added, result.changed, result.alerts) == (1, 0, 1)
    (alert,) = store.due(time.time())
    assert alert.chat_id == 1
    assert [(r.doc_id, r.kind) for r in store.reports(alert.reports)] == [("cairo.txt", "new")]
    store.sent(alert.id, time.time())
    (seeds / "cairo.txt").write_text(CAIRO + "\nGencatan senjata di Gaza dimulai Senin.\n",
                                     encoding="utf-8")
    shutil.move(seeds / "000_0824a75aebbd95f9.txt", seeds.parent / "removed.txt")
    build_index(hashing_settings, hashing_embedder)
    result = process_update(served, store, 0.8)
    assert result is not None and (result.added, result.changed) == (0, 1)
    (alert,) = store.due(time.time())
    assert [(r.doc_id, r.kind) for r in store.reports(alert.reports)] == [
        ("cairo.txt", "updated")]


def test_kabar_digest_prints_text_and_json(hashing_settings: Settings, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    store = FollowStore(tmp_path / "data" / "follow.sqlite3")
    follow = store.follow(1, STORY, "id", 10)
    assert follow is not None
    store.record_update("v2", {}, [NewReport(follow, "new", match("cairo.txt"))], time.time())
    store.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KABAR_DATA_DIR", str(tmp_path / "data"))
    args = ["digest", "--index", str(hashing_settings.index_dir), "--no-update"]
    assert cli.main(args) == 0
    shown = capsys.readouterr().out
    assert f"Story: {STORY}" in shown and "Title of cairo.txt — Antara" in shown
    assert "“Gencatan senjata di Gaza disepakati.”" in shown
    assert cli.main([*args, "--json", "--since", "1h"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["stories"][0]["reports"][0]["doc_id"] == "cairo.txt"
    assert cli.main([*args, "--since", "soon"]) == 1
    assert "use e.g. 24h" in capsys.readouterr().err


def test_an_alert_queued_before_unfollow_has_nothing_left_to_say(store: FollowStore) -> None:
    follow = store.follow(1, STORY, "id", 10)
    assert follow is not None
    store.record_update("v2", {}, [NewReport(follow, "new", match("x.txt"))], 1.0)
    (alert,) = store.due(time.time())
    assert len(store.reports(alert.reports, followed=True)) == 1
    store.unfollow(1, 1)
    assert store.reports(alert.reports, followed=True) == []
    assert len(store.reports(alert.reports)) == 1  # its citation button still works
