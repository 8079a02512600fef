# Tasklane: `make run` serves the API on SQLite; `make test` runs everything CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

MARIADB_URL ?= mysql+asyncmy://root@127.0.0.1:3306/test
POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: run install migrate test lint typecheck test-sqlite test-mariadb test-postgresql coverage openapi check-openapi clean

$(STAMP): pyproject.toml requirements/main.txt requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/tasklane migrate

run: install
	$(BIN)/tasklane serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install
	$(BIN)/mypy src

# The whole suite once per database; coverage is combined over the three runs.
test-sqlite: install
	TASKLANE_TEST_DATABASE=sqlite $(BIN)/pytest --cov --cov-report= -p no:cacheprovider

test-mariadb: install
	TASKLANE_TEST_DATABASE=mariadb TASKLANE_TEST_DATABASE_URL='$(MARIADB_URL)' \
	  $(BIN)/pytest --cov --cov-report= -p no:cacheprovider

test-postgresql: install
	TASKLANE_TEST_DATABASE=postgresql TASKLANE_TEST_DATABASE_URL='$(POSTGRES_URL)' \
	  $(BIN)/pytest --cov --cov-report= -p no:cacheprovider

coverage: install
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report --fail-under=90

check-openapi: install
	$(BIN)/tasklane openapi > /tmp/tasklane-openapi.json
	diff -u openapi.json /tmp/tasklane-openapi.json || \
	  (echo "openapi.json is stale: run 'make openapi' and commit it" && exit 1)

openapi: install
	$(BIN)/tasklane openapi > openapi.json

test: lint typecheck check-openapi
	rm -f .coverage .coverage.*
	$(MAKE) test-sqlite test-mariadb test-postgresql
	$(MAKE) coverage

clean:
	rm -rf $(VENV) var .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache
