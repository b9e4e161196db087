"""The ``kabar`` command: index, status, ask, repl, digest and bot.

A thin layer over :mod:`bot.app` and the engine: arguments become settings, results become
lines (:mod:`bot.format`), and domain errors become one-line messages here, at the boundary;
everything below raises.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import app
from bot import format as fmt
from bot.format import printable
from bot.logs import setup_logging
from retrieval.config import Settings
from retrieval.errors import KabarError
from retrieval.redaction import redact_urls

log = logging.getLogger("kabar")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kabar`` command line; returns the exit status."""
    for stream in (sys.stdout, sys.stderr):
        # Output piped under an odd locale (LANG=C with an ASCII encoding) must not crash on
        # Indonesian text: what it cannot show is written as an escape. Terminals are left
        # alone: reconfiguring one keeps input() from using readline.
        with contextlib.suppress(AttributeError, ValueError, OSError):
            if not stream.isatty():
                stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    args = _parser(app.article_formats()).parse_args(argv)
    try:
        settings = _settings(args)
        setup_logging(settings.log_level, settings.log_message_text)
        status: int = args.run(args, settings)
        return status
    except KabarError as exc:
        _error(str(exc))
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`kabar ask ... | head -1`): stop quietly, like other tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # what the domain did not expect: still one line, never a trace
        log.debug("unexpected error", exc_info=True)
        where = f": {exc.filename}" if exc.filename else ""
        _error(f"{exc.strerror or exc}{where} — check that path, then try again")
        return 1
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        _error(f"unexpected {type(exc).__name__}: {exc} — run with KABAR_LOG_LEVEL=DEBUG "
               "for details, and please report it")
        return 1


def _error(message: str) -> None:
    print(f"kabar: error: {_shown(message)}", file=sys.stderr)


def _warn(message: str) -> None:
    print(f"kabar: warning: {_shown(message)}", file=sys.stderr)


def _shown(message: str) -> str:
    """One printable line without credentials (a library's message may quote a URL)."""
    return printable(redact_urls(message), keep_newlines=False)


def kabar_version() -> str:
    """The installed version of Kabar."""
    # Imported here: importlib.metadata and the scan of installed packages cost a one-shot
    # question ~50 ms when only --version needs them.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kabar")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 help: str = "show the version and exit") -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(f"kabar {kabar_version()}")
        parser.exit()


def _parser(formats: str) -> argparse.ArgumentParser:
    """The command line; ``formats`` names the article formats read (from the registry)."""
    parser = argparse.ArgumentParser(
        prog="kabar", description="Ask questions about a folder of news articles.")
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, run: Callable[[argparse.Namespace, Settings], int], text: str
            ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--seeds", type=Path, metavar="DIR",
                       help=f"folder of {formats} articles "
                            "(default: KABAR_SEEDS_DIR or seeds/)")
        p.add_argument("--index", type=Path, metavar="DIR",
                       help="index folder (default: KABAR_INDEX_DIR or index/)")
        p.set_defaults(run=run)
        return p

    p = add("index", _cmd_index, "build or update the index from the seeds folder")
    p.add_argument("--full", action="store_true", help="rebuild everything")
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    p.add_argument("--watch", action="store_true",
                   help="keep watching the seeds folder and re-index when it changes")

    p = add("status", _cmd_status, "show what the index holds and whether it is up to date")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("ask", _cmd_ask, "answer a question (or a file of questions)")
    p.add_argument("question", nargs="*", help="the question")
    p.add_argument("-f", "--file", type=Path, help="read one question per line ('-' = stdin)")
    p.add_argument("-k", type=_positive, metavar="N", help="passages to retrieve (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    p.add_argument("--no-update", action="store_true",
                   help="do not update the index first, even if the seeds changed")

    p = add("repl", _cmd_repl, "ask questions interactively")
    p.add_argument("-k", type=_positive, metavar="N", help="passages to retrieve (default 5)")
    p.add_argument("--no-update", action="store_true", help="do not update the index first")

    p = add("digest", _cmd_digest, "print the new reports on followed stories, by story")
    p.add_argument("--since", default="24h", metavar="AGE",
                   help="how far back: 24h (default), 90m, 2d, 1w")
    p.add_argument("--chat", type=int, metavar="ID", help="one chat's stories (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--no-update", action="store_true",
                   help="do not match the newest index version first (the bot does it too)")

    p = add("bot", _cmd_bot, "run the Telegram bot")
    p.add_argument("--no-update", action="store_true", help="do not update the index first")
    return parser


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{raw!r}: use a whole number from 1 to 100")
    return value


def _settings(args: argparse.Namespace) -> Settings:
    changes: dict[str, object] = {}
    if args.seeds is not None:
        changes["seeds_dir"] = args.seeds
    if args.index is not None:
        changes["index_dir"] = args.index
    if getattr(args, "k", None) is not None:
        changes["top_k"] = args.k
    return Settings.load(warn=_warn).replace(**changes)


def _progress() -> bool:
    """Whether to draw progress: only when stderr is a terminal."""
    return sys.stderr.isatty()


def _cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    get_embedder = app.embedder_loader(settings)
    index = app.open_index(settings)  # once, for every build of this command

    def run(full: bool) -> None:
        report = app.build(settings, get_embedder, full=full, progress=_progress(),
                           index=index)
        for warning in fmt.file_warnings(report):
            _warn(warning)
        print(fmt.dumps(fmt.report_json(report)) if args.json
              else fmt.index_summary(report, str(settings.index_dir)), flush=True)

    # Taken before the first build reads the folder: what is saved while it runs differs
    # from this, so the watch below picks it up.
    before = app.seeds_snapshot(settings)
    try:
        run(args.full)
    except KeyboardInterrupt:
        print(_untouched(lambda: app.published_version(index)), file=sys.stderr, flush=True)
        return 130
    if args.watch:
        print(f"Watching {printable(str(settings.seeds_dir), False)}/ for changes "
              "(Ctrl-C to stop)...", file=sys.stderr, flush=True)
        try:
            app.watch_seeds(settings, lambda: run(False), initial=before)
        except KeyboardInterrupt:
            print("Stopped watching.", file=sys.stderr)
    return 0


def _untouched(published: Callable[[], str | None]) -> str:
    """What a build stopped by Ctrl-C left: versions are published whole or not at all
    (``published`` is the opened store's ``current_version``)."""
    try:
        version = published()
    except Exception:  # whatever the store says, the interrupted build ends with this line
        version = None
    if version is None:
        return "Interrupted: nothing was published (there was no index yet)."
    return f"Interrupted: the published index (version {version}) is untouched."


def _cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    status = app.index_status(settings)
    where = (status.where, status.seeds_dir)
    mode = f"; {status.milvus_mode_text}" if status.milvus_mode_text else ""
    vectors = f"{status.vector_index} ({status.vector_kind}{mode})"
    # The Milvus URI is a setting that may hold user:password@.
    if args.json:
        shown = fmt.status_json(status.info, *where, status.seeds_changed, store=status.store,
                                vector_index=status.vector_index, vector_kind=status.vector_kind)
        if status.milvus_mode:
            shown["milvus_mode"] = status.milvus_mode
        print(redact_urls(fmt.dumps(shown)))
    else:
        print(redact_urls(fmt.format_status(status.info, *where, status.seeds_changed,
                                            vectors=vectors)))
    return 0


def _open(settings: Settings, update: bool) -> app.App:
    """The application, after telling the user what updating the index did."""
    opened = app.open_app(settings, update=update, progress=_progress())
    if opened.update_error:
        _warn(f"could not update the index ({opened.update_error}); answering from the "
              "existing one")
    if opened.report is not None:
        for warning in fmt.file_warnings(opened.report):
            _warn(warning)
        if opened.report.changed:
            print("Updated the index first: "
                  + fmt.index_summary(opened.report, str(settings.index_dir)),
                  file=sys.stderr, flush=True)
    return opened


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    if args.file is None and not " ".join(args.question).strip():
        raise KabarError('give a question, e.g. kabar ask "What was agreed in Paris?", '
                         "or -f FILE with one question per line")
    if args.file is not None:
        source = sys.stdin if str(args.file) == "-" else _read_questions(args.file)
        questions = [line.strip() for line in source if line.strip()]
    else:
        questions = [" ".join(args.question)]
    engine = _open(settings, update=not args.no_update).engine
    for question in questions:
        answer = engine.answer(question)
        if answer.fallback:
            print(f"kabar: {redact_urls(fmt.fallback_text(answer))}", file=sys.stderr, flush=True)
        if args.json:
            print(fmt.dumps(fmt.answer_json(answer)), flush=True)
        elif args.file is not None:  # from a file: each answer under its question
            print(fmt.format_asked(answer) + "\n" + fmt.format_answer(answer) + "\n",
                  flush=True)
        else:
            print(fmt.format_answer(answer), flush=True)
    return 0


def _read_questions(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise KabarError(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise KabarError(f"{path} is not UTF-8 text; save it as UTF-8") from None


def _cmd_repl(args: argparse.Namespace, settings: Settings) -> int:
    from bot.repl import Repl

    engine = _open(settings, update=not args.no_update).engine
    return Repl(engine, k=settings.top_k).run()


def _cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    """``kabar digest``: what the followed stories got since ``--since``, for cron or mail.

    The newest published version is matched first (queuing its alerts for the bot), so a
    digest never waits for the bot to have noticed an update."""
    from bot.follow import FollowStore, digest_since, parse_since, process_update
    from bot.follow.digest import digest_json, digest_text

    try:
        age = parse_since(args.since)
    except ValueError as exc:
        raise KabarError(str(exc)) from None
    store = FollowStore(settings.follow_db)
    try:
        if not args.no_update and store.follows():
            process_update(_open(settings, update=False).engine, store,
                           settings.follow_min_score)
        since = time.time() - age
        stories = digest_since(store, since, args.chat)
    finally:
        store.close()
    shown = datetime.fromtimestamp(since, ZoneInfo(settings.timezone)).strftime(
        "%Y-%m-%d %H:%M") + f" ({settings.timezone})"
    if args.json:
        print(fmt.dumps(digest_json(stories, shown)))
    else:
        print(digest_text(stories, shown))
    return 0


def _cmd_bot(args: argparse.Namespace, settings: Settings) -> int:
    from bot.telegram import run_bot

    return run_bot(settings, update=not args.no_update)


if __name__ == "__main__":
    sys.exit(main())
