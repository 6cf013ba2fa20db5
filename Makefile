# make site: build the default content into site/.  make test: lint and run every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: site check serve test lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python pyproject.toml constraints.txt
	bash tools/system-deps.sh site
	$(PIP) -e .
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(PIP) -e '.[test]'
	touch $@

site: $(VENV)/.runtime
	$(BIN)/policy-site build

check: $(VENV)/.runtime
	$(BIN)/policy-site check

serve: $(VENV)/.runtime
	$(BIN)/policy-site serve

lint: $(VENV)/.test
	$(BIN)/ruff check generator tests
	$(BIN)/ruff format --check generator tests

format: $(VENV)/.test
	$(BIN)/ruff format generator tests
	$(BIN)/ruff check --fix generator tests

test: $(VENV)/.test lint
	bash tools/system-deps.sh test
	$(BIN)/policy-site check
	$(BIN)/pytest

clean:
	rm -rf site .site.new-* .site.old-* $(VENV)
