# Tablemates. Needs only Python 3.11+; uv is bootstrapped into .tools/ when missing.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -q

.PHONY: run test test-embedded test-services lint sync migrate seed bench

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

sync: $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --quiet

migrate: sync
	$(UV) run python app.py migrate

## Serve the API on the embedded default (SQLite, in-process Redis, local media), demo data loaded.
run: migrate
	$(UV) run python app.py seed-demo --if-empty
	$(UV) run python app.py serve --host $(HOST) --port $(PORT)

## The whole suite: embedded backend always; PostGIS+Redis+S3 too when TEST_POSTGRES_URL is set.
test: sync
	$(MAKE) --no-print-directory test-embedded
	@if [ -n "$$TEST_POSTGRES_URL" ]; then $(MAKE) --no-print-directory test-services; \
	elif [ -n "$$CI" ]; then echo "CI is set but TEST_POSTGRES_URL is not: run .ci/run" >&2; exit 3; \
	else echo "(services suite not run: set TEST_POSTGRES_URL, REDIS_URL, S3_ENDPOINT_URL or use .ci/run)"; fi

test-embedded:
	TEST_BACKEND=embedded $(UV) run pytest $(PYTEST_ARGS)

test-services:
	TEST_BACKEND=services $(UV) run pytest $(PYTEST_ARGS)

lint: sync
	$(UV) run ruff check .
