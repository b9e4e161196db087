"""Alerts for followed stories: fan-out time and alert precision/recall on a labelled set.

The index is FacQA's corpus without the 50 articles of ``data/follow-labels.json``; 100 chats
follow 10 stories each (the labelled set's 10 stories, typed as users would, some in English).
The update publishes the 50 held-out articles (``build_index``, what ``kabar index`` does);
the real bot application runs against the fake Bot API of ``tests/fake_telegram.py`` and
notices the new version by itself (``KABAR_FOLLOW_POLL``).

Measured:

1. Time from the update being published to the last alert reaching the fake Bot API, and how
   much of it is matching (process_update) and sending.
2. Alert precision and recall over (story, article) pairs against the labels, at the
   ``KABAR_FOLLOW_MIN_SCORE`` in force, and the same at other thresholds (the calibration:
   the default is the lowest threshold at which no unrelated article alerts).

Run from the repository root: ``python benchmarks/bench_follow.py [--shared ../shared]``.
The base index is cached in ``--cache`` (default /tmp/kabar-bench-follow) and copied per run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from _common import add_shared_arg, facqa_or_skip, quiet, settings_for  # noqa: E402
from fake_telegram import FakeTelegram, app_thread  # noqa: E402

from bot import telegram as tg  # noqa: E402
from bot.app import embedder_loader, open_app  # noqa: E402
from bot.follow import FollowStore  # noqa: E402
from retrieval.building.indexer import build_index  # noqa: E402
from retrieval.config import Settings  # noqa: E402

LABELS = ROOT / "benchmarks" / "data" / "follow-labels.json"
CHATS, PER_CHAT = 100, 10
THRESHOLDS = (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.0)


def _base_index(facqa: Path, cache: Path, held_out: set[str]) -> Path:
    """The FacQA index without the held-out articles, built once into ``cache``."""
    seeds, index = cache / "seeds", cache / "index"
    if not (index / "CURRENT").exists():
        shutil.rmtree(cache, ignore_errors=True)
        seeds.mkdir(parents=True)
        for path in (facqa / "corpus").glob("*.txt"):
            if path.name not in held_out:
                shutil.copy(path, seeds / path.name)
        started = time.monotonic()
        settings = settings_for(seeds, index)
        build_index(settings, embedder_loader(settings))
        print(f"base index built in {time.monotonic() - started:.0f} s")
    return cache


def _pr(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), (hits / len(truth) if truth else 1.0)


def _calibration(settings: Settings, stories: dict[str, str], new: list[str],
                 truth: set[tuple[str, str]]) -> dict[str, list[float]]:
    """Precision and recall of the matcher at each threshold (story level)."""
    engine = open_app(settings, update=False).engine
    matcher = engine.stories(0.0)
    scored = [(key, m.doc_id, m.score) for key, story in stories.items()
              for m in matcher.match(story, new, engine.prepare(story).lang)]
    print("\nthreshold  alerts  precision  recall   (story, article) pairs over the labels")
    table: dict[str, list[float]] = {}
    for cut in THRESHOLDS:
        found = {(k, d) for k, d, s in scored if s >= cut}
        p, r = _pr(found, truth)
        print(f"  {cut:4.2f}    {len(found):5d}    {p:6.3f}   {r:6.3f}")
        table[f"{cut:.2f}"] = [len(found), round(p, 3), round(r, 3)]
    return table


def _run_bot(settings: Settings, chats: int) -> tuple[FakeTelegram, float, float]:
    """Publish the update with the bot running; the seconds to the last alert and to the
    update being processed."""
    with FakeTelegram() as server:
        settings = settings.replace(telegram_bot_token=server.token,
                                    telegram_api_url=server.base_url, follow_poll=0.5)
        app = tg.build_application(settings, lambda: open_app(settings, update=False).engine)
        with app_thread(app, lambda: tg.run_application(app, settings, stop_signals=None),
                        ready=lambda: server.calls("getUpdates")):
            for path in (settings.seeds_dir.parent / "held-out").glob("*.txt"):
                shutil.copy(path, settings.seeds_dir / path.name)
            build_index(settings, embedder_loader(settings))
            published = time.monotonic()
            store = FollowStore(settings.follow_db)
            new = open_app(settings, update=False).engine.info().version
            server.wait_for(lambda: store.processed_version() == new, 600, "the update")
            processed = time.monotonic() - published
            server.wait_for(lambda: store.next_due() is None, 600, "the outbox drained")
            store.close()
        alerts = [m for m in server.messages() if "🔔" in m.text]
        last = max((m.at for m in alerts), default=published) - published
        assert len({m.chat_id for m in alerts}) <= chats
    return server, last, processed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_shared_arg(parser)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kabar-bench-follow"))
    args = parser.parse_args()
    quiet()
    facqa = facqa_or_skip(args.shared)
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    stories: dict[str, str] = labels["stories"]
    held_out = set(labels["articles"])
    truth = {(s, d) for d, keys in labels["articles"].items() for s in keys}
    base = _base_index(facqa, args.cache, held_out)
    work = args.cache.parent / f"{args.cache.name}-run"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base, work)
    (work / "held-out").mkdir()
    for name in held_out:
        shutil.copy(facqa / "corpus" / name, work / "held-out" / name)
    settings = settings_for(work / "seeds", work / "index")
    store = FollowStore(settings.follow_db)
    keys = list(stories)
    engine = open_app(settings, update=False).engine
    for chat in range(1, CHATS + 1):  # as /follow records them, with the detected language
        for key in keys[:PER_CHAT]:
            store.follow(chat, stories[key], engine.prepare(stories[key]).lang, PER_CHAT)
    base_version = engine.stories(1.0)
    store.record_update(base_version.version, base_version.contents, [], time.time())
    store.close()
    server, last, processed = _run_bot(settings, CHATS)
    store = FollowStore(settings.follow_db)
    found = {(k, r.doc_id) for k in keys for r in store.reports_since(0.0)
             if r.story == stories[k]}
    store.close()
    p, r = _pr(found, truth)
    alerts = [m for m in server.messages() if "🔔" in m.text]
    print(f"{CHATS} chats x {PER_CHAT} stories, update of {len(held_out)} articles:")
    print(f"  publish -> update matched and queued: {processed:.1f} s")
    print(f"  publish -> last alert sent:           {last:.1f} s "
          f"({len(alerts)} alerts, longest {max(len(m.text) for m in alerts)} chars)")
    print(f"  alert precision {p:.3f}, recall {r:.3f} "
          f"({len(found)} story-article pairs, {len(truth)} labelled) "
          f"at KABAR_FOLLOW_MIN_SCORE={settings.follow_min_score}")
    table = _calibration(settings, stories, sorted(held_out), truth)
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(json.dumps({"chats": CHATS, "stories_per_chat": PER_CHAT,
                      "new_articles": len(held_out), "matched_s": round(processed, 2),
                      "last_alert_s": round(last, 2), "alerts": len(alerts),
                      "precision": round(p, 3), "recall": round(r, 3),
                      "min_score": settings.follow_min_score, "thresholds": table}))


if __name__ == "__main__":
    main()
