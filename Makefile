# make site: build the default content into site/.  make test: lint and run every test.
# make test-fast: the unit layer only (no build, no other process, no browser).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: site check serve test test-fast lint format clean record-manifest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python pyproject.toml constraints.txt
	bash tools/system-deps.sh site
	$(PIP) -e .
	touch $@

# The package's bytecode, as an installed package has it: an editable install leaves that to
# Python, which does not write it where PYTHONDONTWRITEBYTECODE is set (a tenth of a second at
# each start of the command). Only what changed is compiled again.
COMPILE := $(BIN)/python -m compileall -q generator

$(VENV)/.test: $(VENV)/.runtime
	$(PIP) -e '.[test]'
	touch $@

# pdf-lib fills a form's PDF in the reader's browser, and fontkit lets it set the answers in
# the form's own embedded font: from the npm registry, pinned by the lock file, copied into the
# site's assets (and from there into every build).
PDFLIB := site_templates/assets/vendor/pdf-lib.min.js
$(PDFLIB): tools/pdf-lib/package.json tools/pdf-lib/package-lock.json
	cd tools/pdf-lib && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(dir $@)
	cp tools/pdf-lib/node_modules/@pdf-lib/fontkit/dist/fontkit.umd.min.js $(dir $@)fontkit.min.js
	cp tools/pdf-lib/node_modules/pdf-lib/dist/pdf-lib.min.js $@

site: $(VENV)/.runtime $(PDFLIB)
	$(COMPILE)
	$(BIN)/policy-site build

check: $(VENV)/.runtime
	$(BIN)/policy-site check

serve: $(VENV)/.runtime $(PDFLIB)
	$(BIN)/policy-site serve

lint: $(VENV)/.test
	$(BIN)/ruff check generator tests benchmarks
	$(BIN)/ruff format --check generator tests benchmarks
	$(BIN)/mypy

format: $(VENV)/.test
	$(BIN)/ruff format generator tests benchmarks
	$(BIN)/ruff check --fix generator tests benchmarks

# axe-core for the accessibility tests: from the npm registry, for the tests only.
AXE := tests/js/node_modules/axe-core/axe.min.js
$(AXE): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --omit=optional --no-audit --no-fund --loglevel=error
	touch $@

# A test file to a process: a module's own build is made once (xdist's groups do not reach
# pytest 9's node ids); the session's builds are made once per run (conftest). Three processes
# on two cores measured a tenth quicker than two: browser tests wait for Chromium part of the time.
XDIST := -n 3 --dist loadfile

test: $(VENV)/.test lint
	bash tools/system-deps.sh test
	$(MAKE) $(AXE) $(PDFLIB)
	$(BIN)/policy-site check --spelling --strict
	$(BIN)/pytest $(XDIST)

test-fast: $(VENV)/.test
	$(BIN)/pytest -m "not slow and not browser"

# The default site's checksums that tests/test_reproducible.py compares against: record them
# again only when a change to the output is meant.
record-manifest: $(VENV)/.runtime $(PDFLIB)
	tmp=$$(mktemp -d) && $(BIN)/policy-site build --site $$tmp/site --full \
		&& cp $$tmp/site/manifest.json tests/fixtures/default-manifest.json; rm -rf $$tmp

clean:
	rm -rf site .site.new-* .site.old-* .site.cache .site.lock $(VENV) tests/js/node_modules \
		tools/pdf-lib/node_modules $(PDFLIB)
