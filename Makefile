# Two entry points for a fresh machine: `make quickstart` and `make test`.
# Another Python: `make test PYTHON=python3.12 VENV=.venv312` (README, first section).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# What the package needs (make quickstart), then the test and lint tools on top (make test, make lint).
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# torch (test extra: the tests read official .pth checkpoints). PyPI's Linux wheel brings the CUDA libraries
# (gigabytes); `make test TORCH_INDEX=https://download.pytorch.org/whl/cpu` takes PyTorch's CPU-only build.
TORCH_INDEX ?=

# The board fallback runtime, tflite-runtime 2.14, was built for NumPy 1.x: it gets a venv of its own
# (numpy<2) so that the tests run the real package (tests/export/test_fallback_runtime.py). Its wheels
# exist for CPython <= 3.11 only; with a newer $(PYTHON) those tests report themselves not applicable.
FALLBACK_VENV ?= .venv-tflite-runtime
FALLBACK_STAMP := $(FALLBACK_VENV)/.installed
FALLBACK_WHEEL := $(shell $(PYTHON) -c 'import sys; print(int(sys.version_info[:2] <= (3, 11)))' 2>/dev/null)
ifeq ($(FALLBACK_WHEEL),1)
TEST_FALLBACK := $(FALLBACK_STAMP)
TEST_ENV := DVFL_TF_FALLBACK_PYTHON=$(abspath $(FALLBACK_VENV))/bin/python
endif

.PHONY: quickstart test lint install install-dev fallback-runtime cli-reference figures clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml requirements.txt
	$(BIN)/python -m pip install -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install -e ".[test,lint]" $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
	touch $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

$(FALLBACK_STAMP): requirements-tflite-runtime.txt
	$(PYTHON) -m venv $(FALLBACK_VENV)
	$(FALLBACK_VENV)/bin/python -m pip install -r requirements-tflite-runtime.txt
	touch $(FALLBACK_STAMP)

fallback-runtime: $(FALLBACK_STAMP)

quickstart: $(STAMP)
	$(BIN)/dvfl-tf quickstart --output runs/quickstart

# ruff (lint and format) and the import-linter contracts in pyproject.toml (layers, no cycles).
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint $(TEST_FALLBACK)
	$(TEST_ENV) $(BIN)/python -m pytest -n 2 --dist loadfile -q

# docs/cli.md from the commands' own --help (tests/test_cli_reference.py keeps the two equal).
cli-reference: $(STAMP)
	$(BIN)/python tools/make_cli_reference.py

# The figure tables of the docs from the records in benchmarks/results/ (tests/test_docs_figures.py keeps them equal).
figures: $(BIN)/python
	$(BIN)/python tools/make_figures.py

clean:
	rm -rf $(VENV) $(FALLBACK_VENV) runs
