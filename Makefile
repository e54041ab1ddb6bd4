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

# Two workers (pytest-xdist): tests that share one trytond or one Airflow server stay on one
# worker (--dist loadgroup, groups in tests/conftest.py). PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadgroup

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_PARALLEL)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check officebridge connectors tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
