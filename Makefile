# Everything runs from a fresh clone with only python3 (>= 3.11) and make:
# `make setup` creates .venv, installs Poetry into it and installs the project.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROJECT ?=
EVAL_TARGET ?= reference_impl
EVAL_TIER ?= full
EVAL_CASE ?= order-service
EVAL_REPORTS ?= eval-reports
PY_DIRS := evals scripts tests

.PHONY: help setup eval test test-harness test-reference lint format type-check render render-check \
	install uninstall bump clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv with Poetry and install the project (idempotent)

$(STAMP): pyproject.toml poetry.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: Python >= 3.11 is required (found $$($(PYTHON) --version))" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'poetry>=2.0,<3.0'
	$(BIN)/poetry install --no-interaction
	@touch $(STAMP)

eval: setup ## Score reference_impl/ (full tier, case order-service) and print the scorecard (the main job)
	$(BIN)/python -m evals score $(EVAL_TARGET) --tier $(EVAL_TIER) $(if $(EVAL_CASE),--case $(EVAL_CASE)) \
		--format terminal --format json --format junit --format sarif --format markdown --format html \
		--output $(EVAL_REPORTS)

test: setup render-check lint type-check test-harness test-reference ## All tests: lint, types, harness, command, reference

test-harness: setup ## Tests of the checklist, command, harness and mutation suite
	$(BIN)/pytest

test-reference: ## The reference service's own test suite (its own venv)
	$(MAKE) -C reference_impl test

lint: setup ## Ruff and Black (check only)
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/black --check --quiet $(PY_DIRS)

format: setup ## Format with Black and apply Ruff's fixes
	$(BIN)/ruff check --fix $(PY_DIRS)
	$(BIN)/black --quiet $(PY_DIRS)

type-check: setup ## mypy --strict
	$(BIN)/mypy

render: setup ## Render the command for Claude Code (.claude/commands/)
	$(BIN)/python -m scripts.render

render-check: setup ## Fail if the committed render is stale
	$(BIN)/python -m scripts.render --check

install: setup ## Install the command: user scope, or PROJECT=/path for a project
	$(BIN)/python -m scripts.install $(if $(PROJECT),--project $(PROJECT)) $(if $(FORCE),--force)

uninstall: setup ## Remove the installed command (same PROJECT= rules as install)
	$(BIN)/python -m scripts.install --uninstall $(if $(PROJECT),--project $(PROJECT)) $(if $(FORCE),--force)

bump: setup ## Bump the version everywhere: make bump VERSION=1.2.0 (or major|minor|patch)
	@test -n "$(VERSION)" || { echo "usage: make bump VERSION=X.Y.Z|major|minor|patch" >&2; exit 2; }
	$(BIN)/python -m scripts.bump_version $(VERSION)

clean: ## Remove the venvs, caches and reports
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage htmlcov $(EVAL_REPORTS)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	-$(MAKE) -C reference_impl clean
