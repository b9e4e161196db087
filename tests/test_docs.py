"""The docs cannot drift from the code: settings, their defaults, and the JSON fields."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from bot import format as fmt
from bot.cli import main
from bot.texts import TEXTS
from retrieval.building import BuildReport
from retrieval.config import BUNDLED_MODEL, Settings, variables
from retrieval.types import Answer, Citation, IndexInfo, Passage

README = (ROOT / "README.md").read_text(encoding="utf-8")
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


def test_json_fields_are_documented() -> None:
    citation = Citation(1, "a.txt", "T", "S", "2024-01-01", "q", 0.5, "p")
    answer = Answer("q", "a [1]", False, "en", (citation,), (Passage(0, "a.txt", "p", "T", "S",
                                                                   None, 0.5),), cut_to=10)
    report = BuildReport(1, 0, 0, 0, 1, 1, 1, 0.1, "v", True)
    info = IndexInfo("v", 1, 1, "m", 8, None, "now")
    answer_fields = fmt.answer_json(answer)
    fields = [*answer_fields, *answer_fields["citations"][0], *answer_fields["passages"][0],
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
