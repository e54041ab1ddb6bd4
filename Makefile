# The two commands of the README: `make demo` and `make test`. Each sets itself up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export OFFICEBRIDGE_HOME ?= $(CURDIR)/var

.PHONY: demo demo-tryton test test-fast bench lint venv clean airflow

$(STAMP): pyproject.toml scripts/install-browser.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev,airflow,celery,quality,tryton]'
	sh scripts/install-browser.sh
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m connectors.demo

demo-tryton: $(STAMP)
	$(BIN)/python -m connectors.tryton.demo_run

airflow: $(STAMP)
	scripts/airflow-standalone.sh

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check officebridge connectors tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
