# Developer shortcuts. Run inside the virtualenv (`. .venv/bin/activate`) after
# `pip install torch==2.13.0 -e ".[test,milvus]"`. .ci/run runs the same checks on a fresh clone.
PYTHON ?= python

.PHONY: check lint test

# Quick feedback before a commit: the linters and every test that needs neither the real
# model end to end (e2e) nor a real local LLM (llm).
check: lint
	$(PYTHON) -m pytest -q -m "not e2e and not llm"

lint:
	ruff check .
	mypy
	lint-imports

# Every test, exactly the README's test command.
test:
	$(PYTHON) -m pytest
