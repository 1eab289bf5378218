# Seoul governance backend. `make run` brings the system up; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstall when the locked dependencies or the compiled MES kernel change.
LOCK := requirements/dev.lock
BUILD_INPUTS := pyproject.toml setup.py services/budget/outcomes/_mes_kernel.c services/budget/pabulib/_votes.c $(LOCK)
# `make lock` regenerates the locks with uv (into the venv, only for this): Python 3.11, Linux x86_64.
UV_COMPILE := $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu pyproject.toml requirements/build.in
STAMP := $(VENV)/.installed-$(shell cat $(BUILD_INPUTS) | sha1sum | cut -c1-12)

.PHONY: help install lock run migrate test lint typecheck browser unit token demo demo-year bench clean openapi

help:
	@echo "make run        start PostgreSQL (embedded unless DATABASE_URL), migrate, services and gateway"
	@echo "make test       lint, type-check and run every test (real PostgreSQL, real processes)"
	@echo "make browser    install Debian's chromium, chromium-driver and a Korean font if missing (root)"
	@echo "make migrate    apply every service's migrations to DATABASE_URL"
	@echo "make token      mint a development token: make token ROLE=district_officer DISTRICT=11110"
	@echo "make demo       load the 2017 records through the running API"
	@echo "make demo-year  play one whole year (PB cycle, grants, amendments, evaluation → next year's grants)"
	@echo "make openapi    regenerate the committed API contract openapi/openapi.json (make test checks it)"
	@echo "make lock       regenerate requirements/*.lock (hashes) after changing pyproject.toml"
	@echo "make bench      run the benchmarks (see bench/README.md)"

install: $(STAMP)

$(STAMP): $(BUILD_INPUTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-* && touch $@

lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv
	$(UV_COMPILE) --extra dev -o requirements/dev.lock
	$(UV_COMPILE) -c requirements/dev.lock -o requirements/runtime.lock
	$(UV_COMPILE) -c requirements/dev.lock --extra dev --extra bench -o requirements/bench.lock

run: install
	$(PY) -m ops.run

migrate: install
	$(PY) -m ops.migrate

openapi: install
	$(PY) -m ops.openapi write

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

unit: install browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser tests (tests/browser) need Debian's Chromium and ChromeDriver: installed here when missing.
browser:
	bash ops/browser-deps.sh

test: lint typecheck unit

ROLE ?= city_officer
token: install
	@$(PY) -m ops.token --role $(ROLE) $(if $(DISTRICT),--district $(DISTRICT)) $(if $(ORG),--org $(ORG))

demo: install
	$(PY) -m ops.demo

demo-year: install
	$(PY) -m ops.demo_year

bench: install
	$(PY) -m pip install --quiet --require-hashes -r requirements/bench.lock
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
