# The newcomer's index. `make run` and `make test` install what they need first.
.DEFAULT_GOAL := help
SHELL := /bin/bash

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := .venv/bin/python
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install lock run invoke test test-unit test-integration test-e2e coverage mutation lint bench bench-store events check-template admin clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

LOCK_ARGS := --generate-hashes --python-version 3.11 --python-platform linux --quiet

.venv/.synced: pyproject.toml requirements-dev.lock | $(UV)
	$(UV) venv --allow-existing --python python3 .venv
	$(UV) pip sync --python .venv/bin/python requirements-dev.lock
	$(UV) pip install --python .venv/bin/python --no-deps --editable .
	@touch $@

install: .venv/.synced ## create .venv from requirements-dev.lock (python3 >= 3.11)

lock: | $(UV) ## re-resolve requirements.lock and requirements-dev.lock from pyproject.toml
	$(UV) pip compile pyproject.toml --all-extras $(LOCK_ARGS) -o requirements.lock
	$(UV) pip compile pyproject.toml --all-extras --group dev $(LOCK_ARGS) -o requirements-dev.lock

run: .venv/.synced ## serve the whole API on http://127.0.0.1:3000 (PORT, WORKERS to change; embedded DynamoDB, demo data)
	$(PY) -m local.server

invoke: .venv/.synced ## run one event through its function, no Docker: make invoke EVENT=events/get_membership.json
	@test -n "$(EVENT)" || { echo "usage: make invoke EVENT=events/<file>.json (one of: $$(ls events))"; exit 2; }
	@$(TEST_ENV) $(PY) -m local.invoke $(EVENT)

# Bytecode for the test runs (this machine's Python is told not to write any): each
# interpreter the tests start would otherwise compile every module again.
TEST_ENV := env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/.cache/pycache
# Each test file on one worker (a module's local front is started once), in the order
# collected: tests/e2e's few long files first, tests/unit's many short ones last, so the
# workers finish together (xdist's default order, most tests first, left the longest
# single-test files for the end).
PYTEST := $(TEST_ENV) $(PY) -m pytest -n auto --dist loadfile --no-loadscope-reorder

test: .venv/.synced ## run every test: unit, integration on moto, contract, end-to-end
	$(PYTEST)

test-unit: .venv/.synced ## only tests/unit: no AWS, no sockets
	$(PYTEST) tests/unit

test-integration: .venv/.synced ## only tests/integration: the handlers in-process on moto
	$(PYTEST) tests/integration

test-e2e: .venv/.synced ## only tests/e2e: real HTTP through the local front
	$(PYTEST) tests/e2e

coverage: .venv/.synced ## every test, with an HTML coverage report in .cache/coverage/
	$(PYTEST) --cov --cov-report=html:.cache/coverage --cov-report=term:skip-covered

# Mutation testing of the rules (services, models, validators, access) against tests/unit
# alone: mutmut ([tool.mutmut] in pyproject.toml) copies the project to mutants/ and runs
# the unit tests that reach each changed function; tools/mutation/score.py prints the score
# of each module and fails under [tool.mutation]'s threshold. mutmut names modules by their
# path under src/, so src is a link to the layer's folder. Every run starts afresh (mutmut
# would keep old verdicts when only tests change). Slow: about 10-15 minutes.
mutation: .venv/.synced ## mutation score of each rule module against tests/unit (fails under 85%; ~15 min)
	ln -sfn layers/loyalty_core src
	rm -rf mutants
	mkdir -p .cache
	$(TEST_ENV) TRAVELPORT_REFERENCE=$(CURDIR)/../shared/reference/travelport \
		.venv/bin/mutmut run > .cache/mutation.log 2>&1 \
		|| { tail -n 40 .cache/mutation.log; exit 1; }
	@tr '\r' '\n' < .cache/mutation.log | tail -n 3
	$(PY) tools/mutation/score.py

# Redocly CLI (npm, pinned with its lock in tools/openapi-lint/) for the OpenAPI lint.
REDOCLY := $(TOOLS)/openapi-lint/node_modules/.bin/redocly
$(REDOCLY): tools/openapi-lint/package.json tools/openapi-lint/package-lock.json
	@command -v npm >/dev/null || { echo "make lint needs Node.js 20.19+ and npm (for Redocly CLI)"; exit 1; }
	mkdir -p $(TOOLS)/openapi-lint
	cp tools/openapi-lint/package.json tools/openapi-lint/package-lock.json $(TOOLS)/openapi-lint/
	npm ci --prefix $(TOOLS)/openapi-lint --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

lint: .venv/.synced $(REDOCLY) ## ruff, ruff format, mypy, Redocly's recommended lint of openapi.json
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(REDOCLY) lint openapi.json \
		--format json --max-problems 1000 2>/dev/null | $(PY) tools/openapi-lint/report.py

bench: .venv/.synced ## benchmark: handler overhead, DynamoDB requests per call, trail pages, cold start as deployed, cost per call, travellers read at once, company import rate, webhook latency (SECTIONS=3: only those)
	$(PY) -m bench $(if $(SECTIONS),--sections $(SECTIONS))

bench-store: .venv/.synced ## benchmark the embedded store: call time as the table grows, make run's memory and write time over 10,000 writes (minutes)
	$(PY) -m bench.store

events: .venv/.synced ## rewrite events/*.json
	$(PY) -m local.events

check-template: .venv/.synced ## sam validate --lint, cfn-lint, sam build for arm64 and check the layer
	bash .ci/check-template

admin: .venv/.synced ## the admin CLI: make admin ARGS="--help"
	$(PY) -m local.admin $(ARGS)

clean: ## remove environments and build output
	rm -rf .venv $(TOOLS) .aws-sam .sam-cli .pytest_cache .mypy_cache .ruff_cache .cache .coverage mutants src
