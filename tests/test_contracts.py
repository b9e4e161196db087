"""Contract tests of the named seams: any implementation registered later must pass them.

- a vector index (:data:`retrieval.store.vectors.BACKENDS`, each kind);
- an answer writer (:data:`retrieval.answering.WRITERS`, a trivial one registered here, the
  LLM writer wrapping one): no writer runs when the gate abstains;
- the read view of an index (:class:`retrieval.store.IndexView`);
- an article reader (:data:`retrieval.reading.READERS`, each suffix);

plus the layering of the packages, checked by import-linter on a copy with an upward import
and a cycle put in (the same check CI runs on the real tree).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SEEDS

from retrieval import store
from retrieval.answering import WRITERS, AnswerWriter, Decision, Evidence, LlmWriter, writer_for
from retrieval.answering.llm.chat import Message
from retrieval.building import build_index
from retrieval.config import Settings
from retrieval.embedding import HashingEmbedder
from retrieval.engine import Engine
from retrieval.errors import ConfigError, LlmError
from retrieval.reading import READERS, NotAnArticle
from retrieval.store import vectors as vector_indexes
from retrieval.text.lexicon import Lexicon
from retrieval.types import Answer, Citation

# --- the vector index ------------------------------------------------------------------------

KINDS = [(backend, kind) for backend in vector_indexes.BACKENDS for kind in ("flat", "hnsw")]


def unit(rows: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def milvus_lite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """An embedded Milvus Lite for the module (skips where it is not installed)."""
    pytest.importorskip("pymilvus", reason="Milvus tests need `pip install kabar[milvus]`")
    pytest.importorskip("milvus_lite", reason="Milvus tests need `pip install kabar[milvus]`")
    from retrieval.store import milvus

    milvus.use(str(tmp_path_factory.mktemp("milvus") / "contracts.db"))
    yield


@pytest.fixture(params=KINDS, ids=[f"{b}-{k}" for b, k in KINDS])
def empty_index(request: pytest.FixtureRequest
                ) -> tuple[str, Callable[[int], store.VectorIndex]]:
    backend, kind = request.param
    if backend == "milvus":
        request.getfixturevalue("milvus_lite")
    return backend, lambda dim: vector_indexes.create(backend, dim, kind)


def test_vector_index_search_add_remove_save_load(
        empty_index: tuple[str, Callable[[int], store.VectorIndex]]) -> None:
    dim = 16
    backend, make = empty_index
    index = make(dim)
    assert len(index) == 0 and index.dim == dim and index.kind in ("flat", "hnsw")
    assert len(index.search(unit(1, dim, 0)[0], 5)[0]) == 0  # searching nothing finds nothing
    rows = unit(200, dim, 1)
    ids = np.arange(1000, 1200, dtype=np.int64)  # keys need not be positions
    index.add(ids, rows)
    assert len(index) == 200
    # Each stored vector is its own nearest neighbour, with score 1 (inner product).
    found, scores = index.search(rows[17], 3)
    assert found[0] == 1017 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(scores) == sorted(scores, reverse=True)
    np.testing.assert_allclose(index.vectors(np.array([1050, 1003])), rows[[50, 3]], atol=1e-6)
    index.remove(np.array([1017, 1018, 99999]))  # an unknown id is ignored
    assert len(index) == 198
    assert 1017 not in index.search(rows[17], 10)[0]
    again = vector_indexes.load(backend, index.to_bytes())
    assert len(again) == 198 and again.kind == index.kind
    for probe in (rows[5], rows[150]):
        assert list(again.search(probe, 5)[0]) == list(index.search(probe, 5)[0])
    more = unit(3, dim, 2)
    again.add(np.array([7, 8, 9]), more)
    assert again.search(more[1], 1)[0][0] == 8


def test_vector_index_reads_indexes_written_before_ids_were_explicit() -> None:
    import faiss

    rows = unit(20, 8, 3)
    bare = faiss.IndexFlatIP(8)
    bare.add(rows)
    old = bytes(faiss.serialize_index(bare).tobytes())
    index = vector_indexes.load("faiss", old)
    assert len(index) == 20 and index.search(rows[4], 1)[0][0] == 4


# --- a built seeds index for the other seams --------------------------------------------------

@pytest.fixture(scope="module", params=["faiss", "milvus"])
def seeds_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[Engine]:
    """An engine over the seeds in each store (the read view comes from the store)."""
    if request.param == "milvus":
        request.getfixturevalue("milvus_lite")
    tmp = tmp_path_factory.mktemp("contracts")
    shutil.copytree(SEEDS, tmp / "seeds")
    settings = Settings.load(env={}, dotenv_path=None).replace(
        seeds_dir=tmp / "seeds", index_dir=tmp / "index", embedding_model="hashing:64",
        vector_store=request.param, milvus_uri=str(tmp / "milvus.db"))
    embedder = HashingEmbedder(64)
    build_index(settings, lambda: embedder)
    yield Engine(settings, embedder, Lexicon.load())


# --- the answer writer -------------------------------------------------------------------------

class FirstSentenceWriter:
    """A new writer, as the README's worked example writes one: the best passage's first
    sentence, cited. It decides nothing: the gate has judged that the articles answer
    before any writer runs, so it needs no abstention logic of its own."""

    name = "first"

    def write(self, evidence: Evidence, decision: Decision) -> Answer:
        passage = evidence.passages[0]
        sentence = re.split(r"(?<=[.!?])\s+", passage.text)[0]
        source = Citation(1, passage.doc_id, passage.title, passage.outlet, passage.date,
                          sentence, passage.score, passage.text)
        return Answer(evidence.question, f"{sentence} [1]", False, evidence.query.lang,
                      (source,), evidence.passages, cut_to=evidence.cut_to, writer=self.name)


class QuotingChat:
    """An LLM at the chat boundary that answers with the first sentence of passage [1],
    cited: a faithful reply, as the contract's quotes must come from the index."""

    def complete(self, messages: Sequence[Message],
                 on_delta: Callable[[str], None] | None = None) -> str:
        passage = re.search(r"<passage>\n(.*?)\n</passage>", messages[-1]["content"], re.S)
        first = re.split(r"(?<=[.!?])\s", passage.group(1) if passage else "")[0]
        return f"{first.rstrip('.')} [1]."


class DownChat:
    """An LLM server that is down: every request fails."""

    def complete(self, messages: Sequence[Message],
                 on_delta: Callable[[str], None] | None = None) -> str:
        raise LlmError("the LLM server at http://127.0.0.1:9/v1 cannot be reached")


class Spy:
    """Passes a writer's calls on and records them (the evidence and the gate's decision)."""

    def __init__(self, writer: AnswerWriter) -> None:
        self.writer = writer
        self.calls: list[tuple[Evidence, Decision]] = []

    @property
    def name(self) -> str:
        return self.writer.name

    def write(self, evidence: Evidence, decision: Decision) -> Answer:
        self.calls.append((evidence, decision))
        return self.writer.write(evidence, decision)


#: Each registered writer; the trivial one, registered by the test; the LLM writer over a
#: faithful fake wrapping the extractive writer; and one whose server is down, wrapping the
#: trivial writer (its answers are then the fallback's).
WRITER_CASES = [*WRITERS, "first", "llm", "llm-down"]


@pytest.fixture
def make_writer(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], AnswerWriter]:
    """Builds a writer case; registers the trivial writer as one more WRITERS line."""
    monkeypatch.setitem(WRITERS, "first", FirstSentenceWriter)

    def make(name: str) -> AnswerWriter:
        if name == "llm":
            return LlmWriter(QuotingChat(), WRITERS["extractive"]())
        if name == "llm-down":
            return LlmWriter(DownChat(), WRITERS["first"]())
        return WRITERS[name]()

    return make


@pytest.mark.parametrize("name", WRITER_CASES)
@pytest.mark.parametrize("question", ["Siapa yang memediasi perundingan di Paris?",
                                      "What was agreed in Paris?"])
def test_answer_writer_cites_what_it_quotes(seeds_engine: Engine, name: str, question: str,
                                            make_writer: Callable[[str], AnswerWriter]
                                            ) -> None:
    writer = Spy(make_writer(name))
    answer = seeds_engine.answer(question, writer=writer)
    [(evidence, decision)] = writer.calls
    assert decision.answers and decision.windows and answer.question == question
    assert answer.writer == ("first" if name == "llm-down" else name)
    assert bool(answer.fallback) == (name == "llm-down")
    assert not answer.abstained and answer.text
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert numbers == {c.n for c in answer.citations}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    view = seeds_engine.searcher.view
    texts = {a.doc_id: a.text for a in view.articles}
    for citation in answer.citations:
        for fragment in citation.quote.split(" … "):
            assert fragment in texts[citation.doc_id]
        assert citation.passage in texts[citation.doc_id]
    assert answer.passages == evidence.passages


@pytest.mark.parametrize("name", WRITER_CASES)
@pytest.mark.parametrize("question", ["Apa hasil pertemuan di Tokyo soal tarif impor beras "
                                      "Jepang?", "Berapa harga tiket kereta cepat tahun ini?"])
def test_answer_writer_abstains(seeds_engine: Engine, name: str, question: str,
                                make_writer: Callable[[str], AnswerWriter]) -> None:
    """When the gate judges that the articles do not answer, no writer runs: the answer
    says why; it cites nothing, or, when the question names something no article mentions,
    only the closest report it quotes."""
    writer = Spy(make_writer(name))
    answer = seeds_engine.answer(question, writer=writer)
    assert writer.calls == []
    assert answer.abstained and answer.reason in ("not_found", "absent")
    if answer.reason == "absent":
        assert answer.missing and "Tokyo" in answer.missing
        numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
        assert numbers == {c.n for c in answer.citations}
    else:
        assert not answer.citations and answer.text == ""


def test_the_setting_picks_a_registered_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """``KABAR_ANSWER_WRITER`` names a WRITERS entry; with ``KABAR_LLM_URL`` the LLM writer
    wraps it as its fallback; a name no writer has is one line naming the choices."""
    monkeypatch.setitem(WRITERS, "first", FirstSentenceWriter)
    assert isinstance(writer_for(Settings.load(env={}, dotenv_path=None)),
                      WRITERS["extractive"])
    chosen = {"KABAR_ANSWER_WRITER": "first"}
    assert isinstance(writer_for(Settings.load(env=chosen, dotenv_path=None)),
                      FirstSentenceWriter)
    llm = writer_for(Settings.load(env={**chosen, "KABAR_LLM_URL": "http://127.0.0.1:9/v1",
                                        "KABAR_LLM_MODEL": "m"}, dotenv_path=None))
    assert isinstance(llm, LlmWriter) and isinstance(llm.fallback, FirstSentenceWriter)
    with pytest.raises(ConfigError) as unknown:
        writer_for(Settings.load(env={"KABAR_ANSWER_WRITER": "fancy"}, dotenv_path=None))
    assert str(unknown.value) == ("KABAR_ANSWER_WRITER='fancy' is not accepted: use one of "
                                  "extractive, first")
    with pytest.raises(ConfigError, match="KABAR_ANSWER_WRITER"):
        Settings.load(env={"KABAR_ANSWER_WRITER": "no such writer"}, dotenv_path=None)


# --- the read view ---------------------------------------------------------------------------

def test_index_view_is_consistent(seeds_engine: Engine) -> None:
    view: store.IndexView = seeds_engine.searcher.view
    assert view.num_chunks == len(view.vectors) == view.bm25.num_docs > 0
    sentences_seen: set[int] = set()
    for number, article in enumerate(view.articles):
        assert view.article(number) is article
        chunks = view.chunks_of_article(number)
        assert len(chunks) > 0
        for chunk in chunks:
            assert view.article_of_chunk(chunk) == number
            start, end = view.chunk_span(chunk)
            assert view.chunk_text(chunk) == view.span_text(number, start, end)
            for sentence in view.sentences_of_chunk(chunk):
                sentences_seen.add(sentence)
                assert view.article_of_sentence(sentence) == number
                assert view.sentence_text(sentence) in view.chunk_text(chunk)
        assert view.article_date(number) in (article.meta.date, article.meta.date_text)
    first = min(sentences_seen)
    assert view.gap_before(first) == ""
    vectors = view.sentence_vectors(first, first + 3)
    assert vectors.shape == (3, 64) and vectors.dtype == np.float32


# --- the article reader ------------------------------------------------------------------------

SAMPLE = (SEEDS / "000_0824a75aebbd95f9.txt").read_bytes()


@pytest.mark.parametrize("suffix", sorted(READERS))
def test_article_reader(suffix: str) -> None:
    reader = READERS[suffix]
    article = reader.read(SAMPLE)
    assert "Paris" in article.body and "Baca Juga" not in article.body
    assert not [c for c in article.body if ord(c) < 32 and c != "\n"]
    assert article.meta.outlet
    for bad in (b"", b"   \n\t", bytes(range(256)) * 4):
        with pytest.raises(NotAnArticle):
            reader.read(bad)


# --- the layering ----------------------------------------------------------------------------

LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(LINT_IMPORTS is None, reason="import-linter is not installed")
@pytest.mark.parametrize(("where", "line", "broken"), [
    (None, "", None),
    ("retrieval/store/data.py", "from bot import cli  # an upward import\n",
     "Front ends above the engine"),
    ("retrieval/text/terms.py", "import retrieval.search.searcher  # a cycle\n",
     "No import cycles"),
], ids=["as-is", "upward", "cycle"])
def test_layering_contract(tmp_path: Path, where: str | None, line: str,
                           broken: str | None) -> None:
    for package in ("bot", "retrieval"):
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    if where is not None:
        path = tmp_path / where
        path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")
    assert LINT_IMPORTS is not None
    result = subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env={"PYTHONPATH": str(tmp_path),
                                                         "PATH": "/usr/bin:/bin"})
    if broken is None:
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        assert result.returncode != 0
        assert f"{broken}" in result.stdout and "BROKEN" in result.stdout, result.stdout
