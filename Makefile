# tierchain: every target installs what it needs first (idempotent, quick the second time).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP_PY := $(VENV)/.installed
STAMP_NODE := node_modules/.installed
STAMP_NET := $(HOME)/.brownie/.tierchain-networks-v1
# Debian packages the service, index and browser suites need (PostgreSQL server, Chromium, CJK fonts).
## Production contracts and interfaces (test doubles under contracts/test misbehave on purpose).
SOL_LINTED := 'contracts/*.sol' 'contracts/lib/*.sol' 'contracts/demo/*.sol' 'interfaces/*.sol'
SYSTEM_PKGS := postgresql chromium fonts-noto-cjk

export SOLCX_BINARY_PATH := $(CURDIR)/toolchain/solc
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
# The sources of this checkout win over any editable install (worktrees share one venv).
export PYTHONPATH := $(CURDIR)/src

.PHONY: system setup compile test test-fast test-ganache test-anvil demo bench bench-full lint typecheck check clean hooks

setup: $(STAMP_PY) $(STAMP_NODE) $(STAMP_NET) system

## Debian packages, installed only when missing (CI and developers run as root; apt-get otherwise needs sudo).
system:
	@missing=""; for p in $(SYSTEM_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq --no-install-recommends$$missing >/dev/null; fi

$(STAMP_PY): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check pip==24.3.1
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(STAMP_NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(STAMP_NET): $(STAMP_PY) toolchain/brownie_networks.py
	$(BIN)/python toolchain/brownie_networks.py
	touch $@

compile: setup
	$(BIN)/brownie compile
	$(BIN)/python -m tierchain.chain.artifacts export-artifacts
	$(BIN)/python toolchain/build_web.py

## The whole suite on Ganache (the required chain), started by the run itself.
test: compile
	$(BIN)/brownie test

test-ganache: test

## The inner loop: everything but the tests marked slow (kill matrices, stateful machines, the
## demo, the browser story), on Anvil. `make test` still runs everything.
test-fast: compile
	$(BIN)/brownie test --network tierchain-anvil -m "not slow"

## The same whole suite on Anvil (hardfork shanghai).
test-anvil: compile
	$(BIN)/brownie test --network tierchain-anvil

demo: compile
	$(BIN)/tierchain demo

## Quick sizes (under 5 minutes); `make bench-full` adds 1,000,000 invoices and 10,000 pieces.
## Figures a quick run does not measure are kept from the last full run (marked from_run).
bench: compile
	$(BIN)/python -m bench

bench-full: compile
	$(BIN)/python -m bench --full

lint: setup
	$(BIN)/ruff check src tests scripts bench toolchain
	$(BIN)/ruff format --check src tests scripts bench toolchain
	$(BIN)/mypy
	$(BIN)/lint-imports
	solhint --disc $(SOL_LINTED)
	$(BIN)/python toolchain/slither.py

check: lint test

## Generated files only: tracked files (bench/results/*.json among them) are never touched.
clean:
	rm -rf build reports .hypothesis src/tierchain/artifacts bench/results/*.tmp .mypy_cache .ruff_cache

## Installs the git pre-commit hook (ruff, ruff format, mypy, import layers, solhint).
hooks: setup
	$(BIN)/pre-commit install
