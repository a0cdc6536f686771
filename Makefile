# Pitwall developer entry points. `make` installs uv itself when it is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_BIN := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
UV := $(UV_BIN)
SERVE ?= 1
PYTEST_ARGS ?=

.PHONY: help uv sync demo test lint bench viz clean

help:
	@echo "make demo [SERVE=0]  run the whole platform on embedded defaults (serves until Ctrl-C)"
	@echo "make test            run the whole test suite"
	@echo "make lint            ruff + bandit"
	@echo "make bench           run the benchmarks in bench/"

uv:
	@command -v uv >/dev/null 2>&1 || test -x "$(UV)" || { \
	  echo "uv not found: installing it with pip (--user)"; \
	  python3 -m pip install --user --quiet uv || python3 -m pip install --quiet --break-system-packages --user uv; }

sync: uv
	@$(UV) sync --frozen --quiet

demo: sync
	@bash tests/ensure_browser.sh
	@$(UV) run python -m sandbox.demo $(if $(filter 0,$(SERVE)),--no-serve,--serve)

test: sync
	@bash tests/ensure_browser.sh
	@bash tests/ensure_postgres.sh  # the PostgreSQL tests never skip: a DSN server must answer
	@$(UV) run pytest --junitxml=test-artifacts/junit.xml $(PYTEST_ARGS)

lint: sync
	@$(UV) run ruff check .
	@$(UV) run ruff format --check .
	@$(UV) run bandit -q -c pyproject.toml -r src api sandbox telemetry_capture/src

bench: sync
	@for b in bench/*.py; do echo "== $$b"; $(UV) run python $$b || exit 1; done

viz: sync
	@$(UV) run kedro viz build --include-previews

clean:
	rm -rf data/lake data/pg data/capture data/run build
