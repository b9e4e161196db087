"""Contract tests of the named seams: any implementation registered later must pass them.

- a vector index (:data:`retrieval.store.vectors.BACKENDS`, each kind, and a toy one
  registered by the test: :mod:`toy_vectors`);
- an index store (:class:`retrieval.store.IndexStore`: the folder and Milvus Lite);
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
from toy_vectors import ToyVectorIndex

from retrieval import store
from retrieval.answering import WRITERS, AnswerWriter, Decision, Evidence, LlmWriter, writer_for
from retrieval.answering.llm.chat import Message
from retrieval.building import build_index
from retrieval.building.state import BuildState
from retrieval.config import Settings
from retrieval.embedding import HashingEmbedder
from retrieval.engine import Engine
from retrieval.errors import ConfigError, IndexMismatchError, LlmError, NoIndexError
from retrieval.reading import READERS, ArticleReader, NotAnArticle
from retrieval.store import vectors as vector_indexes
from retrieval.text.lexicon import Lexicon
from retrieval.types import Answer, Citation

# --- the vector index ------------------------------------------------------------------------

#: The toy is registered as a new vector index would be: one line in BACKENDS.
TOY = ("toy", (ToyVectorIndex.create, ToyVectorIndex.from_bytes))
KINDS = [(backend, kind) for backend in [*vector_indexes.BACKENDS, TOY[0]]
         for kind in ("flat", "hnsw")]


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
    if backend == TOY[0]:
        request.getfixturevalue("monkeypatch").setitem(vector_indexes.BACKENDS, *TOY)
    return backend, lambda dim: vector_indexes.create(backend, dim, kind)


def test_vector_index_search_add_remove_save_load(
        empty_index: tuple[str, Callable[[int], store.VectorIndex]]) -> None:
    dim = 16
    backend, make = empty_index
    index = make(dim)
    assert len(index) == 0 and index.dim == dim and index.kind in ("flat", "hnsw")
    kind = index.kind
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
    assert len(again) == 198 and again.kind == index.kind == kind
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

def seeds_settings(tmp: Path, vector_store: str, vector_index: str = "auto") -> Settings:
    """Settings over a copy of the seeds in ``tmp``, in the store ``vector_store``."""
    shutil.copytree(SEEDS, tmp / "seeds")
    return Settings.load(env={}, dotenv_path=None).replace(
        seeds_dir=tmp / "seeds", index_dir=tmp / "index", embedding_model="hashing:64",
        vector_store=vector_store, vector_index=vector_index,
        milvus_uri=str(tmp / "milvus.db"))


@pytest.fixture(scope="module", params=["faiss", "milvus", "faiss+toy"])
def seeds_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[Engine]:
    """An engine over the seeds in each store, and in the folder with the toy vector index
    (the read view comes from the store)."""
    if request.param == "milvus":
        request.getfixturevalue("milvus_lite")
    store_name, _, index_name = request.param.partition("+")
    settings = seeds_settings(tmp_path_factory.mktemp("contracts"), store_name,
                              index_name or "auto")
    embedder = HashingEmbedder(64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(vector_indexes.BACKENDS, *TOY)
        build_index(settings, lambda: embedder)
        yield Engine(settings, embedder, Lexicon.load())


# --- the index store -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["faiss", "milvus"])
def test_index_store(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> None:
    """Any store publishes whole versions, names and verifies them and loads them back (the
    build's lock and seeds state are the building machine's, whatever the store)."""
    if kind == "milvus":
        request.getfixturevalue("milvus_lite")
    settings = seeds_settings(tmp_path, kind)
    index = store.open_store(settings)
    assert index.name == kind and index.where and index.vector_index in vector_indexes.BACKENDS
    assert index.current_version() is None
    with pytest.raises(NoIndexError):
        index.load()
    embedder = HashingEmbedder(64)
    report = build_index(settings, lambda: embedder, store=index)
    version = index.current_version()
    assert version == report.version
    manifest = index.read_manifest()
    assert manifest == index.read_manifest(version) and manifest.version == version
    assert manifest.vector_backend == index.vector_index and manifest.files
    index.check_compatible(manifest, "hashing:64")
    with pytest.raises(IndexMismatchError):
        index.check_compatible(manifest, "hashing:32")
    index.verify(version, manifest)
    data = index.load("hashing:64")
    assert data.version == version and data.num_chunks == report.chunks == len(data.vectors)
    with BuildState(settings.index_dir).lock() as waited, index.building(waited):
        # A second publish replaces the first atomically: the old one no longer serves.
        second = index.write_version(manifest, data.articles, data.layout,
                                     data.sentence_vector_rows,
                                     data.vectors.vectors(np.arange(data.num_chunks)),
                                     data.bm25)
    assert second != version and index.current_version() == second
    again = index.load("hashing:64", second)
    assert again.articles == data.articles and again.num_chunks == data.num_chunks


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

#: One sample file per registered suffix, ``sample<suffix>``; a reader without one fails.
READER_SAMPLES = ROOT / "tests" / "data" / "readers"
#: Every sample holds the same short story in its own format: a headline, a dateline naming
#: the outlet, three paragraphs, and a line of scrape noise ("Baca Juga: ...") between them.
SAMPLE_TITLE = "Pejabat Suriah dan Israel Berunding di Paris"
SAMPLE_OPENING = "Paris, MINA – Para pejabat Suriah dan Israel telah mengadakan perundingan"
SAMPLE_CLOSING = "para pihak sepakat untuk melanjutkan perundingan."
SAMPLE_FIRST_END = b"menurut seorang pejabat Suriah."
NOT_ARTICLES = (b"", b"   \n\t", bytes(range(256)) * 4)


def sample_of(suffix: str) -> Path:
    """The sample file of a suffix; fails, naming the file to add, when there is none."""
    sample = READER_SAMPLES / f"sample{suffix}"
    if not sample.is_file():
        pytest.fail(f"the {suffix} reader has no sample: add {sample.relative_to(ROOT)} "
                    "holding the sample story (see tests/data/readers/sample.txt)")
    return sample


def check_reader(suffix: str, reader: ArticleReader) -> None:
    """The promises every article reader keeps, checked on its own sample file.

    A reader registered in ``READERS`` later runs this through :func:`test_article_reader`;
    ``tests/reading/test_reader_docx.py`` shows one written and checked as a test.
    """
    data = sample_of(suffix).read_bytes()
    assert isinstance(reader.cuttable, bool)
    article = reader.read(data)
    body = article.body
    assert body.startswith(SAMPLE_OPENING) and body.endswith(SAMPLE_CLOSING), body
    assert "Baca Juga" not in body  # scrape noise is cleaned away, whatever the format
    assert body.count("\n\n") == 2 and "\n\n\n" not in body and body == body.strip()
    assert not [c for c in body if ord(c) < 32 and c != "\n"]
    assert not re.search(r"<[a-z/!]|&[a-z#0-9]+;|\ufffd", body)  # no markup, no bad decoding
    assert (article.meta.title, article.meta.outlet) == (SAMPLE_TITLE, "MINA")
    for bad in NOT_ARTICLES:
        with pytest.raises(NotAnArticle):
            reader.read(bad)
    # What the size cap hands over: the file's start cut at a line end, here the line end
    # after the first paragraph (or, in a packed file, before the middle). A cuttable reader
    # reads the story's start from it; any reader may refuse what it cannot use, but only
    # with NotAnArticle (a one-line reason), never another error.
    first = data.find(SAMPLE_FIRST_END)
    end = data.find(b"\n", first) if first >= 0 else data.rfind(b"\n", 0, len(data) // 2)
    try:
        cut = reader.read(data[: end + 1])
    except NotAnArticle:
        assert not reader.cuttable, "a cuttable reader must read its sample cut at a line end"
    else:
        assert cut.body.startswith(SAMPLE_OPENING) and SAMPLE_CLOSING not in cut.body


@pytest.mark.parametrize("suffix", list(READERS))
def test_article_reader(suffix: str) -> None:
    check_reader(suffix, READERS[suffix])


def test_a_reader_without_a_sample_fails_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(READERS, ".rtf", READERS[".txt"])
    with pytest.raises(pytest.fail.Exception, match=r"add tests/data/readers/sample\.rtf"):
        check_reader(".rtf", READERS[".rtf"])


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
