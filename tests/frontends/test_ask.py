"""``kabar ask`` end to end: the real console script, model and index over copies of the seeds.

Every ``kabar`` process loads the model (about 5 s), so questions are batched with ``-f`` where
the test allows, and one prebuilt index (the session's ``real_index``) is copied for the tests
that do not build their own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from retrieval.config import BUNDLED_MODEL, Settings

pytestmark = pytest.mark.e2e

KABAR = Path(sys.executable).with_name("kabar")
ROOT = Path(__file__).resolve().parent.parent.parent
DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "seeds-dev.jsonl"
SEEDS = ROOT / "tests" / "data" / "seeds"  # the fixed copy, never the live seeds/

PARIS = "What was agreed in Paris?"
PARIS_TALKS = "000_0824a75aebbd95f9.txt"
COAST_DEAD = "Berapa orang tewas dalam kekerasan sektarian di pesisir Suriah?"
UNANSWERABLE = ["What did Cambodia and Thailand agree on?", "What was agreed in Tokyo?"]
ABSTAIN_EN = "I couldn't find that in the articles."
FORBIDDEN = ["Baca Juga", "Baca juga", "Leave a Reply", "menggunakan kuki", "Terima kuki", "•"]
#: Questions that go looking for the boilerplate around the articles.
BAITS = [
    "Baca juga apa?",
    "What else should I read?",
    "Leave a reply",
    "Apakah situs ini menggunakan kuki?",
    "Does this site use cookies?",
    "Terima kuki",
    "Who wrote the article about Rafah and when?",
    "Inggris, Prancis, dan Jerman sepakat luncurkan bantuan ke Gaza?",
    "What did Trump say about Cambodia and Thailand?",
    "Siapa penulis artikel gencatan senjata Gaza?",
    "Email address will not be published",
    "Klik di sini untuk mempelajari lebih lanjut",
]
CITATION_KEYS = {"n", "doc_id", "title", "source", "date", "quote", "score"}
PASSAGE_KEYS = {"doc_id", "text", "score"}


@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def kabar(*args: str | Path, cwd: Path, timeout: float = 300) -> Run:
    """Run the installed ``kabar`` script with a clean environment (no KABAR_ settings but
    the model of the prebuilt index)."""
    assert KABAR.exists(), f"{KABAR} is missing: run `pip install -e .` in the virtualenv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KABAR_", "TELEGRAM_"))}
    # The prebuilt index is conftest's real_index, built with MiniLM (not the default model).
    env.update(PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8", LANG="C.UTF-8",
               KABAR_EMBEDDING_MODEL=BUNDLED_MODEL)
    done = subprocess.run([str(KABAR), *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout, check=False)
    return Run(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class Corpus:
    """A private copy of the seeds and of a prebuilt index over them."""

    root: Path
    seeds: Path
    index: Path

    def ask(self, *args: str | Path) -> Run:
        return kabar("ask", "--no-update", "--seeds", self.seeds, "--index", self.index, *args,
                     cwd=self.root)


@pytest.fixture(scope="module")
def corpus(real_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("ask")
    seeds, index = root / "seeds", root / "index"
    shutil.copytree(real_index.seeds_dir, seeds)
    shutil.copytree(real_index.index_dir, index)
    return Corpus(root, seeds, index)


def dev_questions() -> list[dict[str, Any]]:
    if not DEV_QUESTIONS.is_file():
        return []
    lines = DEV_QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def batch(corpus: Corpus) -> dict[str, dict[str, Any]]:
    """``kabar ask --json -f`` over the acceptance, dev and bait questions, in one process."""
    questions = [PARIS, COAST_DEAD, *UNANSWERABLE, *BAITS]
    questions += [q["q"] for q in dev_questions() if q["q"] not in questions]
    path = corpus.root / "batch.txt"
    path.write_text("\n".join(questions) + "\n", encoding="utf-8")
    run = corpus.ask("--json", "-f", path)
    assert run.status == 0, run.stderr
    answers = run.json_lines()
    assert [a["question"] for a in answers] == questions
    return {a["question"]: a for a in answers}


@pytest.fixture(scope="module")
def paris(corpus: Corpus) -> dict[str, Any]:
    """``kabar ask --json "What was agreed in Paris?"`` (the positional form)."""
    run = corpus.ask("--json", PARIS)
    assert run.status == 0, run.stderr
    (answer,) = run.json_lines()
    return answer


def quoted(answer: dict[str, Any]) -> str:
    """The answer text with all its quotes."""
    return "\n".join([answer["answer"], *(c["quote"] for c in answer["citations"])])


# Answers -------------------------------------------------------------------------------------


def test_paris_acceptance(paris: dict[str, Any]) -> None:
    assert not paris["abstained"], paris["answer"]
    assert paris["lang"] == "en"
    assert PARIS_TALKS in {c["doc_id"] for c in paris["citations"]}, paris["answer"]
    assert "sepakat untuk melanjutkan perundingan" in quoted(paris), paris["answer"]


def test_indonesian_question(batch: dict[str, dict[str, Any]]) -> None:
    answer = batch[COAST_DEAD]
    assert answer["lang"] == "id"
    assert not answer["abstained"]
    assert "1.400 orang" in answer["answer"], answer["answer"]
    assert PARIS_TALKS in {c["doc_id"] for c in answer["citations"]}


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_questions_abstain(batch: dict[str, dict[str, Any]], question: str
                                        ) -> None:
    answer = batch[question]
    assert answer["abstained"] is True, answer["answer"]
    assert answer["lang"] == "en"
    # About a place no article mentions: said so, with the closest report for context.
    first, *rest = answer["answer"].splitlines()
    assert first.startswith("No article mentions “"), answer["answer"]
    assert rest[0] == "The closest report:" and rest[1].endswith("[1]")
    assert len(answer["citations"]) == 1


def test_no_boilerplate_is_ever_quoted(batch: dict[str, dict[str, Any]]) -> None:
    forbidden = set(FORBIDDEN)
    for q in dev_questions():
        forbidden.update(q.get("forbidden", ()))
    found = [(question, bad) for question, answer in batch.items()
             for bad in sorted(forbidden) if bad in quoted(answer)]
    assert found == []


def test_dev_questions_answered_or_abstained_as_expected(batch: dict[str, dict[str, Any]]
                                                          ) -> None:
    questions = dev_questions()
    if not questions:
        pytest.skip(f"{DEV_QUESTIONS} is absent")
    for q in questions:
        answer = batch[q["q"]]
        assert answer["lang"] == q["lang"], q["id"]
        if not q["answerable"]:
            assert answer["abstained"], (q["id"], answer["answer"])
            # Citations only with "No article mentions X; the closest report: ... [1]".
            assert answer["citations"] == [] or answer["answer"].startswith(
                ("No article mentions", "Tidak ada artikel")), (q["id"], answer["answer"])


# The JSON schema and options -----------------------------------------------------------------


def test_json_schema(paris: dict[str, Any]) -> None:
    assert {"question", "answer", "abstained", "citations", "passages"} <= set(paris)
    assert paris["question"] == PARIS
    assert isinstance(paris["answer"], str) and isinstance(paris["abstained"], bool)
    assert paris["citations"] and paris["passages"]
    for i, citation in enumerate(paris["citations"], 1):
        assert set(citation) >= CITATION_KEYS
        assert citation["n"] == i and f"[{i}]" in paris["answer"]
        assert citation["doc_id"].endswith(".txt")
        assert isinstance(citation["quote"], str) and citation["quote"]
        assert isinstance(citation["score"], int | float)
        for key in ("title", "source", "date"):
            assert citation[key] is None or isinstance(citation[key], str)
    assert len(paris["passages"]) == 5  # the default k
    for passage in paris["passages"]:
        assert set(passage) >= PASSAGE_KEYS
        assert passage["doc_id"].endswith(".txt") and passage["text"]
        assert isinstance(passage["score"], int | float)
    scores = [p["score"] for p in paris["passages"]]
    assert scores == sorted(scores, reverse=True)


def test_file_of_questions_with_k(corpus: Corpus) -> None:
    questions = ["Who did John Kerry meet in Moscow?", COAST_DEAD, PARIS]
    path = corpus.root / "three.txt"
    path.write_text("\n".join(questions) + "\n\n", encoding="utf-8")
    run = corpus.ask("--json", "-k", "3", "-f", path)
    assert run.status == 0, run.stderr
    answers = run.json_lines()
    assert len(run.stdout.splitlines()) == 3
    assert [a["question"] for a in answers] == questions
    assert [len(a["passages"]) for a in answers] == [3, 3, 3]


def test_human_output(corpus: Corpus) -> None:
    path = corpus.root / "human.txt"
    path.write_text("\n".join([PARIS, COAST_DEAD, UNANSWERABLE[1]]) + "\n", encoding="utf-8")
    run = corpus.ask("-f", path)
    assert run.status == 0, run.stderr
    out = run.stdout
    assert "Traceback" not in out + run.stderr
    english, rest = out.split("\n\nSources:\n", 1)
    assert "[1]" in english and "{" not in english  # the answer first, not JSON
    english_sources, rest = rest.split("\n\n", 1)
    lines = english_sources.splitlines()
    assert lines[0].startswith("  [1] ")
    for i, line in enumerate(lines, 1):
        assert line.startswith(f"  [{i}] ") and line.endswith(".txt)")
    assert any(PARIS_TALKS in line and "MINA" in line and "Saturday 26 July (year not stated)"
               in line for line in lines), lines  # title — outlet, readable date (doc_id)
    assert "(untitled)" not in out
    indonesian, rest = rest.split("\n\nSumber:\n", 1)
    assert "1.400 orang" in indonesian and "Sources:" not in indonesian
    indonesian_sources, rest = rest.split("\n\n", 1)
    assert indonesian_sources.startswith("  [1] ")
    assert rest.startswith("Question: What was agreed in Tokyo?\nNo article mentions “Tokyo”.")


# Updating the index first --------------------------------------------------------------------

NEW_ARTICLE = """\
Warga Jakarta Rayakan Festival Layang-Layang

Jakarta, ANTARA – Ribuan warga memadati Pantai Ancol pada Minggu untuk menyaksikan festival \
layang-layang internasional yang diikuti peserta dari dua belas negara.

Panitia mengatakan layang-layang terbesar dalam festival itu berbentuk naga sepanjang tiga \
puluh meter dan dibuat oleh tim dari Bali.
"""


def test_ask_updates_the_index_first(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(SEEDS, seeds)

    def ask(question: str, *extra: str) -> Run:
        return kabar("ask", "--seeds", seeds, "--index", index, *extra, question, cwd=tmp_path)

    run = ask(PARIS, "--no-update")
    assert run.status == 1
    assert "kabar index" in run.stderr and "Traceback" not in run.stderr
    assert run.stdout == ""

    run = ask(PARIS)
    assert run.status == 0, run.stderr
    assert "Updated the index first" in run.stderr
    assert "5 added" in run.stderr
    assert "[1]" in run.stdout and "Sources:" in run.stdout

    (seeds / "005_layang_layang.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    question = "Berapa panjang layang-layang naga di festival Ancol?"
    run = ask(question, "--json")
    assert run.status == 0, run.stderr
    assert "Updated the index first" in run.stderr and "1 added" in run.stderr
    (answer,) = run.json_lines()
    assert "005_layang_layang.txt" in {c["doc_id"] for c in answer["citations"]}, answer

    run = ask(question, "--json")
    assert run.status == 0, run.stderr
    assert "Updated the index first" not in run.stderr


# Mistakes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [[], [""], ["   "]], ids=["none", "empty", "blank"])
def test_empty_question(corpus: Corpus, args: list[str]) -> None:
    run = corpus.ask(*args)
    assert run.status == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert 'kabar ask "' in run.stderr or "usage:" in run.stderr  # a usage hint
    assert run.stdout == ""
