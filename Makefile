# econ-import: `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets with a line on each
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-10s %s\n", $$1, $$2}'

# The PostgreSQL tests start a server of their own from Debian's binaries (tests/pg.py):
# installed here where they are missing, a no-op where they are present.
PG_CTL := $(wildcard /usr/lib/postgresql/*/bin/pg_ctl)
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

$(STAMP): pyproject.toml
	@# The tests open report.html in Debian's headless chromium (a fresh clone in CI too).
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "install Debian's chromium (apt-get install chromium) for the tests" >&2; fi; fi
	@if [ -z "$(PG_CTL)" ]; then \
		echo "installing Debian's postgresql (for the tests' own server)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dask]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its test and dask extras

demo: $(STAMP) ## Import samples/ into the embedded sandbox and show the report
	@# Exit 1 means "some rows did not succeed": the samples hold bad rows on purpose.
	@$(BIN)/econ-import import --job mappings/demo.toml --sandbox; \
	code=$$?; if [ $$code -gt 1 ]; then exit $$code; fi

test: $(STAMP) ## Run the test suite (what CI runs)
	$(BIN)/python -m pytest -q

check: $(STAMP) ## Lint and type-check: ruff and mypy
	$(BIN)/ruff check pipeline tests
	$(BIN)/ruff format --check pipeline tests
	$(BIN)/mypy

screenshot: $(STAMP) ## Import the samples into a tight sandbox and photograph report.html (docs/report.png)
	$(BIN)/python docs/screenshot.py

bench: $(STAMP) ## Run the benchmarks (minutes); writes reports/bench.json
	$(BIN)/python -m tests.benchmarks

clean: ## Remove the virtualenv, caches and reports
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache reports

.PHONY: help install demo test check screenshot bench clean
