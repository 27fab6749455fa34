# Backlot: `make run` runs the platform with demo data, `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run stop test lint bench install browser stack-up stack-down clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> installing Python packages into $(VENV)"
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet --progress-bar off -e ".[devstack,dev,gpu,assist-local]"
	@touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the Playwright browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then echo "==> installing chromium (apt)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); \
	  else echo "chromium is missing: sudo apt-get install chromium"; exit 1; fi; }

run: install
	@bin/run-platform

stop:
	@bin/run-platform --stop

lint: install
	@echo "==> ruff"
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@echo "==> mypy"
	@BACKLOT_ENV=$${BACKLOT_ENV:-test} $(PY) -m mypy studio apps gpu_workers tests bench

test: install browser
	@bin/run-tests

bench: install
	@bin/run-bench

clean: stop
	rm -rf .devstack .staticfiles
