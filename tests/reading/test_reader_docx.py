"""The worked example of a new article format: Word documents (``.docx``), written as a test.

A new format is one class and one :data:`~retrieval.reading.READERS` line. Here the class is
defined in the test and registered with ``monkeypatch`` (python-docx is not a dependency: a
``.docx`` is a zip whose ``word/document.xml`` holds the paragraphs, which the standard
library reads). The reader passes the reader contract on its own sample
(``tests/data/readers/sample.docx``), is never cut at the size cap (a ``.docx`` over
``KABAR_MAX_FILE_MB`` is skipped with a notice naming the setting, not reported as damaged),
shows up wherever the formats are named, and a build over a seeds folder holding one answers
a question from it.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import pytest
from conftest import SEEDS, make_settings
from test_contracts import READER_SAMPLES, check_reader

from bot.cli import main
from retrieval.building import build_index
from retrieval.embedding import HashingEmbedder
from retrieval.engine import Engine
from retrieval.errors import SeedsError
from retrieval.reading import READERS, NotAnArticle, ReadArticle, read_corpus
from retrieval.reading.clean import parse_article
from retrieval.reading.files import OverCap, read_entry, scan
from retrieval.text.lexicon import Lexicon

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: An unpacked document.xml larger than this is refused (a small zip can unpack to gigabytes).
_MAX_XML_BYTES = 64 * 1024 * 1024


class DocxReader:
    """Word documents: the paragraphs of ``word/document.xml``, cleaned like any article."""

    #: Cut short, a zip loses its table of contents: a .docx over the cap is skipped whole.
    cuttable = False

    def read(self, data: bytes) -> ReadArticle:
        """The document's paragraphs (runs joined), headline first, then cleaned."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as docx:
                if docx.getinfo("word/document.xml").file_size > _MAX_XML_BYTES:
                    raise NotAnArticle("a Word document too large when unpacked")
                root = ElementTree.fromstring(docx.read("word/document.xml"))
        except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
            raise NotAnArticle("not a Word document") from exc
        paragraphs = ("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in root.iter(f"{_W}p"))
        body, meta = parse_article("\n\n".join(p for p in paragraphs if p.strip()))
        if not body:
            raise NotAnArticle("a Word document with no article text")
        return ReadArticle(body, meta)


# --- making .docx files (deterministic: fixed member order and timestamps) ---------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    '+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def _paragraph(text: str, style: str = "") -> str:
    # Word splits a paragraph into runs wherever the formatting changes; the reader joins them.
    half = text.find(" ", len(text) // 2) + 1 or len(text)
    runs = "".join(f'<w:r><w:t xml:space="preserve">{escape(part)}</w:t></w:r>'
                   for part in (text[:half], text[half:]) if part)
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{props}{runs}</w:p>\n"


def make_docx(title: str, paragraphs: list[str], stored: bool = False) -> bytes:
    """A minimal Word document: the headline in the Title style, then the paragraphs."""
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w='
        '"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>\n'
        + _paragraph(title, "Title") + "".join(map(_paragraph, paragraphs))
        + "</w:body></w:document>\n")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as docx:
        for name, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _RELS),
                           ("word/document.xml", document)):
            member = zipfile.ZipInfo(name, date_time=(2025, 7, 26, 0, 0, 0))
            member.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            docx.writestr(member, text.encode("utf-8"))
    return out.getvalue()


#: The sample story of the reader contract (tests/data/readers/sample.txt), as Word has it.
SAMPLE_TITLE = "Pejabat Suriah dan Israel Berunding di Paris"
SAMPLE_PARAGRAPHS = [
    "Paris, MINA – Para pejabat Suriah dan Israel telah mengadakan perundingan di Paris, "
    "Sabtu (26/7), yang dimediasi oleh Amerika Serikat, menurut seorang pejabat Suriah.",
    "Baca Juga: Inggris, Prancis, dan Jerman Sepakat Luncurkan Bantuan ke Gaza Lewat Udara",
    "Pertemuan itu membahas perkembangan keamanan terkini di sekitar Kota Sweida, yang "
    "mayoritas penduduknya dari kelompok Druze.",
    "TV Ekhbariya melaporkan bahwa pertemuan tersebut tidak menghasilkan kesepakatan akhir, "
    "namun para pihak sepakat untuk melanjutkan perundingan.",
]
ALEPPO_TITLE = "Pabrik Roti Baru Dibuka di Aleppo"
ALEPPO = [
    "Aleppo, SANA – Sebuah pabrik roti baru dibuka di Aleppo pada Senin (4/8), kata gubernur "
    "setempat.",
    "Pabrik roti itu mempekerjakan 320 warga dan memanggang 40 ton roti setiap hari untuk "
    "kota yang lama dilanda perang.",
]


@pytest.fixture
def docx_registered(monkeypatch: pytest.MonkeyPatch) -> DocxReader:
    """The one registry line a new format needs, for this test only."""
    reader = DocxReader()
    monkeypatch.setitem(READERS, ".docx", reader)
    return reader


@pytest.fixture
def seeds_with_docx(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    (folder / "aleppo.docx").write_bytes(make_docx(ALEPPO_TITLE, ALEPPO))
    return folder


def test_the_sample_is_the_contract_story_made_by_make_docx() -> None:
    # Compared member by member: zip bytes may differ between zlib versions.
    def members(data: bytes) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(data)) as docx:
            return {name: docx.read(name) for name in docx.namelist()}

    sample = (READER_SAMPLES / "sample.docx").read_bytes()
    assert members(sample) == members(make_docx(SAMPLE_TITLE, SAMPLE_PARAGRAPHS))


def test_the_docx_reader_passes_the_reader_contract(docx_registered: DocxReader) -> None:
    check_reader(".docx", READERS[".docx"])


def test_a_docx_over_the_cap_is_skipped_whole_with_a_notice(
        seeds_with_docx: Path, docx_registered: DocxReader) -> None:
    # Stored, not deflated: the big one holds many newlines, where a text cut would fall.
    many = [f"Paragraf {i} tentang pabrik roti di Aleppo." for i in range(400)]
    big = make_docx(ALEPPO_TITLE, many, stored=True)
    cap = 8 * 1024
    assert len(big) > cap and b"\n" in big[: cap]
    (seeds_with_docx / "big.docx").write_bytes(big)
    corpus = read_corpus(seeds_with_docx, max_bytes=cap)
    reasons = {s.path: s.reason for s in corpus.skipped}
    assert "big.docx" in reasons and "KABAR_MAX_FILE_MB" in reasons["big.docx"]
    assert "not a Word document" not in reasons["big.docx"]
    assert reasons["big.docx"].startswith("larger than 8 kB; a .docx file is never cut")
    assert "big.docx" not in {a.doc_id for a in corpus.articles}
    assert "big.docx" not in {n.path for n in corpus.notes}
    # The small one, and every text article, is read as before.
    assert {a.doc_id for a in corpus.articles} >= {"aleppo.docx", "000_0824a75aebbd95f9.txt"}


def test_a_docx_that_grew_past_the_cap_after_the_scan_is_not_cut(tmp_path: Path) -> None:
    (tmp_path / "a.docx").write_bytes(make_docx(ALEPPO_TITLE, ALEPPO))
    (entry,) = scan(tmp_path, (".docx",)).entries
    with open(tmp_path / "a.docx", "ab") as grown:
        grown.write(b"\n" * 4096)
    with pytest.raises(OverCap):
        read_entry(entry, entry.size + 10, cuttable=False)
    data, cut = read_entry(entry, entry.size + 10)  # a text format is cut, as before
    assert cut and len(data) <= entry.size + 10


def test_a_damaged_docx_is_one_reason_not_a_crash(seeds_with_docx: Path,
                                                  docx_registered: DocxReader) -> None:
    whole = make_docx(ALEPPO_TITLE, ALEPPO)
    (seeds_with_docx / "damaged.docx").write_bytes(whole[: len(whole) // 2])
    reasons = {s.path: s.reason for s in read_corpus(seeds_with_docx).skipped}
    assert reasons == {"damaged.docx": "not a Word document"}


def test_the_formats_named_come_from_the_registry(tmp_path: Path, docx_registered: DocxReader,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SeedsError) as empty:
        read_corpus(tmp_path)
    assert ".txt, .md, .html, .htm or .docx articles" in str(empty.value)
    with pytest.raises(SystemExit):
        main(["index", "--help"])
    assert ".docx" in " ".join(capsys.readouterr().out.split())


def test_a_build_over_a_docx_answers_from_it(tmp_path: Path, seeds_with_docx: Path,
                                             docx_registered: DocxReader) -> None:
    settings = make_settings(tmp_path, seeds_with_docx)
    embedder = HashingEmbedder(64)
    report = build_index(settings, lambda: embedder)
    assert not report.skipped, report.skipped
    answer = Engine(settings, embedder, Lexicon.load()).answer(
        "Berapa warga dipekerjakan pabrik roti di Aleppo?")
    assert not answer.abstained, answer.text
    assert [c.doc_id for c in answer.citations] == ["aleppo.docx"], answer.text
    assert answer.citations[0].title == ALEPPO_TITLE
    assert "320 warga" in answer.text
