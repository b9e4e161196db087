"""A user's checkout: what changes there (an added article, a misspelled setting, a missing
``../shared``) never breaks the tests or the tools, and long waits say what is happening."""

from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import KABAR, ROOT, SEEDS, default_signals, kabar_env, make_settings

from retrieval.building.indexer import build_index
from retrieval.building.progress import TerminalProgress
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder, HashingEmbedder
from retrieval.store import versions

FIXED_SEEDS = ("000_0824a75aebbd95f9.txt", "001_807304e9ae65fd15.txt",
               "002_32c7552fa8fd2136.txt", "003_1c1b4390ddce87f2.txt",
               "004_7aea4bd5392cc0f6.txt")
# How test and benchmark code would reach the live folders of the checkout.
_LIVE = re.compile(r"""(ROOT|parents\[1\]|parent\.parent)\s*/\s*["'](seeds|index)["']""")


# --- tests use fixed data --------------------------------------------------------------------

def test_tests_read_a_fixed_copy_of_the_seeds(seeds: Path) -> None:
    assert SEEDS == ROOT / "tests" / "data" / "seeds"
    assert not SEEDS.resolve().is_relative_to((ROOT / "seeds").resolve())
    assert sorted(p.name for p in SEEDS.iterdir()) == list(FIXED_SEEDS)
    assert sorted(p.name for p in seeds.iterdir()) == list(FIXED_SEEDS)


def test_an_article_added_to_the_live_seeds_changes_nothing_tests_use(tmp_path: Path) -> None:
    # The live folder is the user's: the check reads code, it never writes there.
    code = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "benchmarks").glob("*.py")]
    users = [p for p in code if p.name != "test_checkout.py"  # names them only to rule them out
             and _LIVE.search(p.read_text(encoding="utf-8"))]
    assert users == [], f"these read the live seeds/ or index/: {users}"


# --- unknown settings --------------------------------------------------------------------------

def test_unknown_settings_are_warned_about_with_the_nearest_name(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("KABAR_TOPK=3\nkabar_log_level=INFO\nTELEGRAM_TOKEN=x\nHF_HOME=/x\n",
                      encoding="utf-8")
    warnings: list[str] = []
    settings = Settings.load(env={"KABAR_LLM_URLL": "http://x", "KABAR_TOP_K": "4",
                                  "KABAR_ZZZZZZZZZZZZ": "1", "PATH": "/bin"},
                             dotenv_path=dotenv, warn=warnings.append)
    assert settings.top_k == 4  # nothing else changes: a warning, not an error
    assert warnings == [
        f"unknown setting KABAR_TOPK in {dotenv} is ignored — did you mean KABAR_TOP_K?",
        f"unknown setting TELEGRAM_TOKEN in {dotenv} is ignored — did you mean "
        "TELEGRAM_BOT_TOKEN?",
        f"unknown setting kabar_log_level in {dotenv} is ignored — did you mean "
        "KABAR_LOG_LEVEL?",
        "unknown setting KABAR_LLM_URLL in the environment is ignored — did you mean "
        "KABAR_LLM_URL?",
        "unknown setting KABAR_ZZZZZZZZZZZZ in the environment is ignored — see .env.example "
        "for the settings",
    ]


@pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")
def test_kabar_warns_on_one_line_and_runs(tmp_path: Path, seeds: Path) -> None:
    assert KABAR is not None
    (tmp_path / ".env").write_text("KABAR_TOPK=3\n", encoding="utf-8")
    result = subprocess.run([KABAR, "index"], cwd=tmp_path, capture_output=True, text=True,
                            env={**kabar_env(tmp_path, seeds), "KABAR_MAX_FILE_MBS": "9"},
                            timeout=120, check=False, preexec_fn=default_signals)
    assert result.returncode == 0 and "Indexed 5 articles" in result.stdout, result.stderr
    assert result.stderr.splitlines() == [
        "kabar: warning: unknown setting KABAR_TOPK in .env is ignored — did you mean "
        "KABAR_TOP_K?",
        "kabar: warning: unknown setting KABAR_MAX_FILE_MBS in the environment is ignored — "
        "did you mean KABAR_MAX_FILE_MB?"]


# --- benchmarks without ../shared -------------------------------------------------------------

SHARED_USERS = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py")
                      if "--shared" in p.read_text(encoding="utf-8") and p.name != "_common.py")


@pytest.mark.parametrize("script", SHARED_USERS)
def test_benchmarks_without_shared_say_what_is_missing(script: str, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script),
                             "--shared", str(tmp_path / "none")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith("skipped: ") and "none" in line and line.endswith(
        ("not found", "not found (the shared scorer; pass --shared PATH)"))


def test_bench_answers_names_the_missing_scorer(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_answers.py"),
                             "--shared", "none"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.stdout == ("skipped: none/eval/qa_eval.py not found (the shared scorer; "
                             "pass --shared PATH)\n"), result.stderr


# --- progress while the model loads -----------------------------------------------------------

class Recorder:
    """A BuildProgress that records what it was told, in order."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def files(self, done: int, total: int) -> None:
        if done == total:
            self.events.append("files")

    def loading(self) -> None:
        self.events.append("loading")

    def sentences(self, done: int, total: int) -> None:
        self.events.append("sentences")

    def close(self) -> None:
        self.events.append("close")


def test_the_build_says_the_model_is_loading_before_it_loads(tmp_path: Path,
                                                             seeds: Path) -> None:
    events: list[str] = []

    def load() -> Embedder:
        events.append("model loaded")
        return HashingEmbedder(64)

    build_index(make_settings(tmp_path, seeds), load, progress=Recorder(events))
    assert events[:4] == ["files", "loading", "model loaded", "sentences"]
    assert events.count("loading") == 1 and events[-1] == "close"


def test_a_build_that_loads_no_model_does_not_say_so(tmp_path: Path, seeds: Path) -> None:
    settings = make_settings(tmp_path, seeds)
    build_index(settings, lambda: HashingEmbedder(64))
    (seeds / "000_0824a75aebbd95f9.txt").unlink()  # only a removal: nothing to embed
    events: list[str] = []
    build_index(settings, lambda: HashingEmbedder(64), progress=Recorder(events))
    assert "loading" not in events


def test_the_terminal_line_names_the_model_loading() -> None:
    shown = io.StringIO()
    progress = TerminalProgress(shown)
    progress.files(5, 5)
    progress.loading()
    assert shown.getvalue().split("\r")[-1].strip() == \
        "5 files read; loading the embedding model …"


# --- Ctrl-C during a build ------------------------------------------------------------------

# A `kabar index` whose embedding stops until it is interrupted: the signal lands inside the
# build, deterministically.
_STALLED_BUILD = """
import sys, time
from retrieval.embedding import embed
def stall(self, texts, progress=False):
    print("embedding", file=sys.stderr, flush=True)
    time.sleep(120)
embed.HashingEmbedder.encode_passages = stall
from bot.cli import main
sys.exit(main(["index"]))
"""


@pytest.mark.timeout(240)
@pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")
def test_ctrl_c_during_a_build_says_the_published_index_is_untouched(tmp_path: Path,
                                                                     seeds: Path) -> None:
    assert KABAR is not None
    env = kabar_env(tmp_path, seeds)
    first = subprocess.run([KABAR, "index"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=120, check=False, preexec_fn=default_signals)
    assert first.returncode == 0, first.stderr
    published = versions.current_version(tmp_path / "index")
    (seeds / "new.txt").write_text("Petani Gayo Panen Kopi\n\nPara petani kopi di Gayo memanen "
                                   "biji kopi arabika pada bulan Oktober.\n", encoding="utf-8")
    build = subprocess.Popen([sys.executable, "-c", _STALLED_BUILD], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=default_signals)
    try:
        assert build.stderr is not None
        assert build.stderr.readline() == "embedding\n"
        build.send_signal(signal.SIGINT)
        _, err = build.communicate(timeout=60)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == 130, err
    assert err.splitlines() == [
        f"Interrupted: the published index (version {published}) is untouched."], err
    assert versions.current_version(tmp_path / "index") == published
    assert versions.load(tmp_path / "index").version == published
