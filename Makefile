# Pitwall developer entry points (`make help`). make installs uv itself when it is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
SERVE ?= 1
PYTEST_ARGS ?=
Q ?= SELECT table_schema AS layer, table_name AS "table" FROM information_schema.tables ORDER BY 1, 2
export Q

.PHONY: help uv sync demo test lint bench viz sql clean system-deps postgres

help: ## this list
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) \
	  | sed -E 's/^([a-z-]+):.*## (.*)/\1\t\2/' | awk -F'\t' '{printf "make %-12s %s\n", $$1, $$2}'

uv: ## install uv into ~/.local/bin (pip --user) when it is missing
	@command -v uv >/dev/null 2>&1 || test -x "$(UV)" || { \
	  echo "uv not found: installing it with pip into ~/.local/bin (pip install --user uv)"; \
	  export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1; \
	  python3 -m pip install --user --quiet uv \
	    || python3 -m pip install --user --quiet --break-system-packages uv; }
	@command -v uv >/dev/null 2>&1 || echo "note: uv is $(UV), not on your PATH; add it with:" \
	  "export PATH=\"\$$HOME/.local/bin:\$$PATH\" (make uses it meanwhile)"

# --compile-bytecode: every CLI start (pitwall sql, kedro, each test's subprocess) then reads
# compiled modules, even where PYTHONDONTWRITEBYTECODE stops Python from writing them itself.
# The first sync compiles ~17k files (about half a minute); later ones check them in ~2 s.
sync: uv ## the locked environment, all extras and the dev group, compiled
	@echo "uv sync: the locked environment, compiled to bytecode (uv shows its progress)"
	@$(UV) sync --frozen --all-extras --compile-bytecode

demo: sync ## the whole platform; serves until Ctrl-C (SERVE=0: job only)
	@bash tests/ensure_browser.sh --check
	@$(UV) run python -m sandbox.demo $(if $(filter 0,$(SERVE)),--no-serve,--serve)

test: sync ## the whole test suite (PYTEST_ARGS=... for pytest)
	@bash tests/ensure_browser.sh --check
	@$(UV) run pytest --junitxml=test-artifacts/junit.xml $(PYTEST_ARGS)

lint: sync ## ruff, bandit, import contracts (import-linter), mypy
	@$(UV) run ruff check .
	@$(UV) run ruff format --check .
	@$(UV) run bandit -q -c pyproject.toml -r src api sandbox telemetry_capture/src
	@$(UV) run lint-imports
	@$(UV) run mypy

bench: sync ## the benchmarks in bench/, each beside its baseline
	@for b in bench/*.py; do echo "== $$b"; $(UV) run python $$b || exit 1; done

viz: sync ## the kedro-viz lineage site (with table previews) in build/
	@$(UV) run kedro viz build --include-previews

sql: sync ## SQL over the lake: make sql Q='SELECT ...'
	@$(UV) run pitwall sql "$$Q"

clean: ## delete what the demo and pipelines wrote
	@find data/lake data/landing -mindepth 1 -maxdepth 2 ! -name .gitkeep \
	  ! -path data/lake/raw ! -path data/lake/clean ! -path data/lake/quarantine \
	  -exec rm -rf {} +
	rm -rf data/pg data/capture data/run data/viz build

system-deps: ## opt-in, root: apt-get chromium, WAF engine, postgresql
	@bash tests/ensure_browser.sh --install
	@bash tests/ensure_waf.sh --install
	@bash tests/ensure_postgres.sh

postgres: ## opt-in: Debian's PostgreSQL on 127.0.0.1:5432 for the tests
	@bash tests/ensure_postgres.sh
