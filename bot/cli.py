"""The ``kabar`` command: index, status, ask, repl and bot.

Domain errors become one-line messages here, at the boundary; everything below raises.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot import format as fmt
from bot.format import printable
from bot.logs import setup_logging
from retrieval.building.embed import Embedder, load_embedder, show_progress
from retrieval.building.indexer import BuildReport, build_index, seeds_changed
from retrieval.config import Settings
from retrieval.engine import Engine
from retrieval.errors import KabarError, NoIndexError

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
    args = _parser().parse_args(argv)
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
    print(f"kabar: error: {printable(message, keep_newlines=False)}", file=sys.stderr)


def _warn(message: str) -> None:
    print(f"kabar: warning: {printable(message, keep_newlines=False)}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kabar", description="Ask questions about a folder of news articles.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, run: Callable[[argparse.Namespace, Settings], int], text: str
            ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--seeds", type=Path, metavar="DIR",
                       help="folder of articles (default: KABAR_SEEDS_DIR or seeds/)")
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
    p.add_argument("-k", type=int, metavar="N", help="passages to retrieve (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    p.add_argument("--no-update", action="store_true",
                   help="do not update the index first, even if the seeds changed")

    p = add("repl", _cmd_repl, "ask questions interactively")
    p.add_argument("-k", type=int, metavar="N", help="passages to retrieve (default 5)")
    p.add_argument("--no-update", action="store_true", help="do not update the index first")

    p = add("bot", _cmd_bot, "run the Telegram bot")
    p.add_argument("--no-update", action="store_true", help="do not update the index first")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.load()
    changes = {}
    if args.seeds is not None:
        changes["seeds_dir"] = args.seeds
    if args.index is not None:
        changes["index_dir"] = args.index
    if getattr(args, "k", None) is not None:
        if args.k < 1:
            raise KabarError("-k must be 1 or more")
        changes["top_k"] = args.k
    return dataclasses.replace(settings, **changes)


def _embedder_loader(settings: Settings) -> Callable[[], Embedder]:
    """Load the model at most once per process, and only when needed."""
    return functools.cache(lambda: load_embedder(settings))


def _summary(report: BuildReport, settings: Settings) -> str:
    if not report.changed:
        return (f"Index is up to date: {report.unchanged} articles, {report.chunks} chunks "
                f"in {settings.index_dir}/ ({report.seconds:.2f} s).")
    why = f" ({report.reason})" if report.full and report.reason else ""
    return (
        f"Indexed {report.added + report.updated + report.unchanged} articles"
        f"{' from scratch' + why if report.full else ''}: {report.added} added, "
        f"{report.updated} updated, {report.removed} removed, {report.unchanged} unchanged. "
        f"{report.chunks} chunks ({report.chunks_embedded} embedded) in "
        f"{report.seconds:.1f} s -> {settings.index_dir}/ (version {report.version})."
    )


def _warn_files(report: BuildReport) -> None:
    """Each skipped or altered file, once."""
    for skipped in report.skipped:
        _warn(f"skipped {skipped}")
    for note in report.notes:
        _warn(note)


def _report_json(report: BuildReport) -> dict[str, object]:
    return {
        "added": report.added, "updated": report.updated, "removed": report.removed,
        "unchanged": report.unchanged, "chunks": report.chunks,
        "chunks_embedded": report.chunks_embedded,
        "sentences_embedded": report.sentences_embedded,
        "seconds": round(report.seconds, 3), "version": report.version, "full": report.full,
        "reason": report.reason, "skipped": list(report.skipped), "notes": list(report.notes),
    }


def _cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    get_embedder = _embedder_loader(settings)

    def run(full: bool) -> None:
        report = build_index(settings, get_embedder, full=full, progress=show_progress())
        _warn_files(report)
        print(fmt.dumps(_report_json(report)) if args.json else _summary(report, settings),
              flush=True)

    from retrieval.reading import corpus as ingest

    # Taken before the first build reads the folder: what is saved while it runs differs
    # from this, so the watch below picks it up.
    before = ingest.fingerprint(settings.seeds_dir)
    run(args.full)
    if args.watch:
        from retrieval.building.watch import watch

        print(f"Watching {settings.seeds_dir}/ for changes (Ctrl-C to stop)...",
              file=sys.stderr, flush=True)
        try:
            watch(settings.seeds_dir, lambda: run(False), initial=before)
        except KeyboardInterrupt:
            print("Stopped watching.", file=sys.stderr)
    return 0


def _cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.store import versions as store

    info = store.load(settings.index_dir).info()  # load() verifies every file
    changed = seeds_changed(settings)
    if args.json:
        print(fmt.dumps(fmt.status_json(info, str(settings.index_dir), str(settings.seeds_dir),
                                        changed)))
    else:
        print(fmt.format_status(info, str(settings.index_dir), str(settings.seeds_dir), changed))
    return 0


def open_engine(settings: Settings, update: bool) -> Engine:
    """Bring the index up to date when asked to (and needed), then load the engine."""
    from retrieval.search.lexicon import Lexicon

    get_embedder = _embedder_loader(settings)
    if update and (seeds_changed(settings) or _missing(settings)):
        try:
            report = build_index(settings, get_embedder, progress=show_progress())
        except KabarError as exc:
            if _missing(settings):
                raise
            # The seeds cannot be read or the index written right now, but the published
            # index still works.
            _warn(f"could not update the index ({exc}); answering from the existing one")
        else:
            _warn_files(report)
            if report.changed:
                print(f"Updated the index first: {_summary(report, settings)}",
                      file=sys.stderr, flush=True)
    elif _missing(settings):
        raise NoIndexError(f"no index at {settings.index_dir}/ — run `kabar index`")
    return Engine(settings, get_embedder(), Lexicon.load())


def _missing(settings: Settings) -> bool:
    from retrieval.store import versions as store

    return store.current_version(settings.index_dir) is None


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    if args.file is None and not " ".join(args.question).strip():
        raise KabarError('give a question, e.g. kabar ask "What was agreed in Paris?", '
                         "or -f FILE with one question per line")
    if args.file is not None:
        source = sys.stdin if str(args.file) == "-" else _open_questions(args.file)
        questions = [line.strip() for line in source if line.strip()]
    else:
        questions = [" ".join(args.question)]
    engine = open_engine(settings, update=not args.no_update)
    for question in questions:
        answer = engine.answer(question)
        if args.json:
            print(fmt.dumps(fmt.answer_json(answer)), flush=True)
        else:
            print(fmt.format_answer(answer) + ("\n" if len(questions) > 1 else ""), flush=True)
    return 0


def _open_questions(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise KabarError(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise KabarError(f"{path} is not UTF-8 text; save it as UTF-8") from None


def _cmd_repl(args: argparse.Namespace, settings: Settings) -> int:
    from bot.repl import Repl

    engine = open_engine(settings, update=not args.no_update)
    return Repl(engine, k=settings.top_k).run()


def _cmd_bot(args: argparse.Namespace, settings: Settings) -> int:
    from bot.telegram import run_bot

    return run_bot(settings, update=not args.no_update)


if __name__ == "__main__":
    sys.exit(main())
