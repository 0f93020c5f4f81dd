# Two entry points for a fresh machine: `make quickstart` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The board fallback runtime, tflite-runtime 2.14, was built for NumPy 1.x: it gets a venv of its own
# (numpy<2) so that the tests run the real package (tests/export/test_fallback_runtime.py).
FALLBACK_VENV ?= .venv-tflite-runtime
FALLBACK_STAMP := $(FALLBACK_VENV)/.installed

.PHONY: quickstart test lint install fallback-runtime clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml requirements.txt
	$(BIN)/python -m pip install -e ".[test,lint]"
	touch $(STAMP)

install: $(STAMP)

$(FALLBACK_STAMP): requirements-tflite-runtime.txt
	$(PYTHON) -m venv $(FALLBACK_VENV)
	$(FALLBACK_VENV)/bin/python -m pip install -r requirements-tflite-runtime.txt
	touch $(FALLBACK_STAMP)

fallback-runtime: $(FALLBACK_STAMP)

quickstart: $(STAMP)
	$(BIN)/dvfl-tf quickstart --output runs/quickstart

# ruff (lint and format) and the import-linter contracts in pyproject.toml (layers, no cycles).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint $(FALLBACK_STAMP)
	DVFL_TF_FALLBACK_PYTHON=$(abspath $(FALLBACK_VENV))/bin/python $(BIN)/python -m pytest -n 2 --dist loadfile -q

clean:
	rm -rf $(VENV) $(FALLBACK_VENV) runs
