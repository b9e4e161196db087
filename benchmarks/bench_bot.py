"""Telegram bot latency and throughput against the bare engine, over the repository's seeds.

The real application (python-telegram-bot, AIORateLimiter, concurrent updates) runs against
the fake Bot API server of ``tests/fake_telegram.py`` on 127.0.0.1, with the real engine
(bundled all-MiniLM-L6-v2, FAISS) over an index of ``seeds/`` built into a temporary folder.
Nothing outside the repository is needed.

Questions: the 10 questions of the seeds dev set (copied here, so ``../shared`` is not needed)
and an English or Indonesian variant of each, 20 in all, assigned round-robin.

Measured, on the same sequence of questions:

1. ``Engine.answer`` alone, warm, one question at a time: p50/p95 per question.
2. The bot, paced: one question every ``--pace-ms`` (default: the engine's mean x 4, at least
   100 ms, so the machine is never saturated), round-robin over the chats. Latency is the time
   from pushing the update into the fake server to the bot's sendMessage reaching it: long
   polling, dispatch, "typing…", the engine in a worker thread, formatting and the HTTP call.
   Goal: p95 <= 1.3 x engine p95 + 50 ms.
3. The bot, saturated: every chat sends its next question as soon as it has the answer to the
   previous one. Throughput (answers/s) and latency under load, next to the engine's own
   throughput from as many threads. Telegram allows a bot about 30 messages a second overall;
   AIORateLimiter enforces it, and each answer costs two requests (typing + message).

Run from the repository root: ``python benchmarks/bench_bot.py [--chats 20]
[--questions 200] [--pace-ms N]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The fake Bot API server lives with the tests (which are not a package).
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_telegram import FakeTelegram, Sent, app_thread  # noqa: E402  (after the path set-up)

from bot import telegram as tg  # noqa: E402
from retrieval.building.indexer import build_index  # noqa: E402
from retrieval.config import Settings  # noqa: E402
from retrieval.embedding.embed import load_embedder  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.text.lexicon import Lexicon  # noqa: E402

#: The seeds dev set's questions (``shared/eval/seeds-dev.jsonl``), each followed by a variant
#: in the other language.
QUESTIONS = [
    "What was agreed in Paris?", "Apa yang disepakati di Paris?",
    "Berapa orang tewas dalam kekerasan sektarian di pesisir Suriah?",
    "How many people were killed in the sectarian violence on the Syrian coast?",
    "Who did the Mossad chief meet separately in Paris?",
    "Siapa yang ditemui kepala Mossad secara terpisah di Paris?",
    "Di mana Hamas menyelesaikan perundingan gencatan senjata?",
    "Where did Hamas finish the ceasefire negotiations?",
    "Who did John Kerry meet in Moscow?", "Siapa yang ditemui John Kerry di Moskow?",
    "Where did Syrian rebels and government forces fight ISIS together?",
    "Di mana pemberontak Suriah dan pasukan pemerintah bersama-sama melawan ISIS?",
    "What was agreed at the Astana talks?", "Apa yang disepakati dalam perundingan Astana?",
    "What did Kerry propose at the meeting in Rome?",
    "Apa yang diusulkan Kerry dalam pertemuan di Roma?",
    "What was agreed in Tokyo?", "Apa yang disepakati di Tokyo?",
    "What did Cambodia and Thailand agree on?", "Apa yang disepakati Kamboja dan Thailand?",
]


def _ms(values: Sequence[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values) * 1000, cuts[94] * 1000


def _replay(server: FakeTelegram, plan: list[tuple[int, str]], chats: int,
            pace: float | None) -> tuple[list[float], float]:
    """Send the plan through the bot; return per-answer latencies and the wall time.

    With ``pace`` the updates go out at that interval whatever happens; without, each chat
    sends its next question once the previous one is answered (``chats`` at a time).
    """
    latencies: list[float] = []
    lock = threading.Lock()

    def wait_answer(chat_id: int, count: int, pushed: float) -> None:
        def answered() -> Sent | None:
            mine = server.messages(chat_id)
            return mine[count - 1] if len(mine) >= count else None

        sent = server.wait_for(answered, 60, f"answer {count} in chat {chat_id}")
        with lock:
            latencies.append(sent.at - pushed)

    start = time.monotonic()
    if pace is not None:
        waiters = []
        asked: dict[int, int] = {}
        for i, (chat_id, question) in enumerate(plan):
            time.sleep(max(0.0, start + i * pace - time.monotonic()))
            asked[chat_id] = asked.get(chat_id, 0) + 1
            pushed = time.monotonic()
            server.push_message(chat_id, question)
            waiter = threading.Thread(target=wait_answer, args=(chat_id, asked[chat_id], pushed))
            waiter.start()
            waiters.append(waiter)
        for waiter in waiters:
            waiter.join()
    else:
        def chat(chat_id: int) -> None:
            mine = [q for c, q in plan if c == chat_id]
            for count, question in enumerate(mine, 1):
                pushed = time.monotonic()
                server.push_message(chat_id, question)
                wait_answer(chat_id, count, pushed)

        with ThreadPoolExecutor(chats) as pool:
            list(pool.map(chat, sorted({c for c, _ in plan})))
    return latencies, time.monotonic() - start


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--pace-ms", type=float, default=0.0,
                        help="interval between questions in the paced run (default: auto)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(levelname)s: %(message)s")
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(args.questions)]
    plan = [(1000 + i % args.chats, q) for i, q in enumerate(questions)]

    with tempfile.TemporaryDirectory(prefix="kabar-bench-bot-") as tmp:
        base = Settings.load(env={}, dotenv_path=None)
        # The shipped seeds, fixed (a user's own articles in seeds/ must not move figures).
        settings = base.replace(seeds_dir=ROOT / "tests" / "data" / "seeds",
                                index_dir=Path(tmp) / "index")
        embedder = load_embedder(settings)
        began = time.perf_counter()
        build_index(settings, lambda: embedder)
        engine = Engine(settings, embedder, Lexicon.load())
        info = engine.info()
        print(f"Index: {info.articles} articles, {info.chunks} chunks of the shipped seeds "
              f"(built in {time.perf_counter() - began:.1f} s); model {info.model}")
        print(f"Workload: {len(plan)} questions ({len(QUESTIONS)} distinct, EN + ID) "
              f"from {args.chats} chats, round-robin")

        for question in QUESTIONS:  # warm-up
            engine.answer(question)
        engine_times = []
        for question in questions:
            began = time.perf_counter()
            engine.answer(question)
            engine_times.append(time.perf_counter() - began)
        e50, e95 = _ms(engine_times)
        mean = statistics.fmean(engine_times)
        print(f"Engine.answer, warm, sequential:   p50 {e50:6.1f} ms   p95 {e95:6.1f} ms")
        began = time.perf_counter()
        with ThreadPoolExecutor(args.chats) as pool:
            list(pool.map(engine.answer, questions))
        engine_rate = len(questions) / (time.perf_counter() - began)
        print(f"Engine.answer from {args.chats} threads:    {engine_rate:6.1f} answers/s")

        with FakeTelegram() as server:
            bot_settings = settings.replace(telegram_bot_token=server.token,
                                               telegram_api_url=server.base_url)
            app = tg.build_application(bot_settings, lambda: engine)
            with app_thread(
                    app, lambda: tg.run_application(app, bot_settings, stop_signals=None),
                    ready=lambda: server.calls("getUpdates")):
                pace = args.pace_ms / 1000 if args.pace_ms else max(0.1, 4 * mean)
                paced, wall = _replay(server, plan, args.chats, pace)
                b50, b95 = _ms(paced)
                goal = 1.3 * e95 + 50
                print(f"Bot, paced (1 question / {pace * 1000:.0f} ms): p50 {b50:6.1f} ms   "
                      f"p95 {b95:6.1f} ms   ({len(paced) / wall:.1f} answers/s offered)")
                print(f"Goal: bot p95 <= 1.3 x engine p95 + 50 ms = {goal:.1f} ms -> "
                      f"{'met' if b95 <= goal else 'NOT met'}")
                busy_plan = [(c + 1000, q) for c, q in plan]  # fresh chats: no history
                loaded, wall = _replay(server, busy_plan, args.chats, None)
                l50, l95 = _ms(loaded)
                print(f"Bot, saturated ({args.chats} chats at once):  "
                      f"{len(loaded) / wall:6.1f} answers/s   p50 {l50:6.1f} ms   "
                      f"p95 {l95:6.1f} ms")
                print("  (bounded by Telegram's flood limit, which AIORateLimiter keeps: about "
                      "30 requests/s,\n   two per answer (typing + message), so ~15 answers/s "
                      "once its initial burst is spent)")
                flood = [c for c in server.calls() if c.status == 429]
                print(f"Requests refused with 429 by the fake server: {len(flood)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
