# Plot Palette - the two commands a newcomer needs:
#   make demo   runs the sample poetry job end to end on the embedded local cloud
#   make test   runs every check (lint, types, templates, security scan, sam build, tests)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
TOOLS := .venv-tools
BIN := $(VENV)/bin
SAM_CLI_VERSION := 1.170.0
CHECKOV := .venv-checkov
CHECKOV_VERSION := 3.3.30
REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
TEMPLATES := template.yaml $(wildcard stacks/*.yaml)
FRONTEND := frontend

.PHONY: help install tools demo test lint typecheck cfn-lint sam-validate security-scan sam-build \
	frontend frontend-build browser pytest unit integration e2e deploy destroy clean

help:
	@echo "make demo   - run the sample poetry job end to end locally (no AWS account, no Docker)"
	@echo "make test   - ruff, mypy, cfn-lint, sam validate, checkov, sam build, dashboard (tsc,"
	@echo "              vitest, build), pytest with coverage incl. browser tests in chromium"

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# aws-sam-cli pins its own dependency versions, so it lives in a separate environment.
$(TOOLS)/.installed:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --upgrade pip==25.3
	$(TOOLS)/bin/pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION)
	touch $@

# checkov pins its own dependencies too, and they conflict with aws-sam-cli's: a third env.
$(CHECKOV)/.installed:
	$(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/pip install --quiet --upgrade pip==25.3
	$(CHECKOV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

tools: $(TOOLS)/.installed $(CHECKOV)/.installed

# The dashboard (React + Vite): dependencies pinned by package-lock.json, installed by npm ci.
NPM ?= npm
$(FRONTEND)/node_modules/.installed: $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

# Type check, Vitest, then the production build (which prints the bundle's size).
frontend: $(FRONTEND)/node_modules/.installed
	cd $(FRONTEND) && $(NPM) run lint && $(NPM) test && $(NPM) run build

frontend-build: $(FRONTEND)/node_modules/.installed
	cd $(FRONTEND) && $(NPM) run build

# The browser tests drive Debian's chromium package (never a downloaded browser build).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

demo: install frontend-build
	$(BIN)/plot-palette demo

# The checks are independent of each other: they run side by side, then the tests.
test: install tools browser
	$(MAKE) -j3 --output-sync=target lint typecheck cfn-lint sam-validate security-scan \
	  sam-build frontend
	$(MAKE) pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

cfn-lint: install
	$(BIN)/cfn-lint $(TEMPLATES)

sam-validate: tools
	$(TOOLS)/bin/sam validate --lint --region $(REGION) --template-file template.yaml
	@for t in stacks/*.yaml; do \
	  echo "sam validate --lint $$t"; \
	  $(TOOLS)/bin/sam validate --lint --region $(REGION) --template-file $$t || exit 1; \
	done

# Every finding is fixed or skipped with a justification beside its resource
# (Metadata: checkov: skip: - id, comment); --skip-download keeps the scan offline.
security-scan: $(CHECKOV)/.installed
	$(CHECKOV)/bin/checkov --directory stacks --file template.yaml --framework cloudformation \
	  --skip-download --compact --quiet

# sam build needs the functions' runtime, python3.13, on PATH (no Docker here). Found in
# pyenv's versions (PYENV_ROOT or ~/.pyenv), else on PATH; PYTHON313_BIN=dir overrides.
PYTHON313_BIN ?= $(shell \
  for dir in $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.13*/bin 2>/dev/null | sort -V -r) \
             "$$(dirname "$$(command -v python3.13 2>/dev/null || echo /nonexistent/x)")"; do \
    if "$$dir/python3.13" -c "import sys" >/dev/null 2>&1; then echo "$$dir"; break; fi; \
  done)
# Lambda refuses a function whose code and layers unzip to more than 250 MB.
LAMBDA_UNZIPPED_LIMIT_KB := 256000

# Builds every function and the layer into a temporary directory, then removes it: nothing
# lands in the work tree except sam's dependency cache in .aws-sam/ (git-ignored).
sam-build: tools
	@if [ -z "$(PYTHON313_BIN)" ]; then \
	  echo "sam-build: python3.13 (the Lambda runtime) was not found. Install it with" \
	       "'pyenv install 3.13', or put python3.13 on PATH, or set PYTHON313_BIN=<its bin dir>." >&2; \
	  exit 1; fi
	@build=$$(mktemp -d) && trap 'rm -rf "$$build"' EXIT && \
	  echo "sam build (python3.13 from $(PYTHON313_BIN)) into $$build" && \
	  if ! PATH="$(PYTHON313_BIN):$$PATH" $(TOOLS)/bin/sam build --template-file template.yaml \
	      --build-dir "$$build/out" --cache-dir "$$build/cache" > "$$build/log" 2>&1; then \
	    cat "$$build/log"; exit 1; fi && \
	  layer=$$(du -sk "$$build/out/Orchestration/PlotPaletteLayer" | cut -f1) && \
	  for fn in $$(ls -d "$$build"/out/*/*Function); do \
	    size=$$(( layer + $$(du -sk "$$fn" | cut -f1) )); \
	    echo "  $${fn#$$build/out/}: $$size KB unzipped with the layer"; \
	    if [ $$size -gt $(LAMBDA_UNZIPPED_LIMIT_KB) ]; then \
	      echo "sam-build: over Lambda's 250 MB unzipped limit" >&2; exit 1; fi; \
	  done && echo "sam build succeeded"

# pytest exits 5 when it collects no test: that is a broken suite, so it fails here too.
# Test files run on PYTEST_WORKERS processes (pytest-xdist; a file is one unit, so a module's
# local cloud is started once), longest first (tests/conftest.py). Most tests wait on workers,
# state machines and browsers rather than compute, so three processes suit two cores.
PYTEST_WORKERS ?= 3

pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --cov --cov-report=term --cov-fail-under=80 \
	  -p no:cacheprovider

unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration

# The dashboard in a real browser; screenshots land in artifacts/e2e/.
e2e: install browser frontend-build
	$(BIN)/pytest tests/e2e

# One command to AWS (credentials and a region configured; no Docker): pre-checks, sam build and
# deploy, the worker image built in CodeBuild, the dashboard published with its config.json,
# sample datasets, then tests/deployed. STACK names the stack (default plot-palette).
STACK ?= plot-palette

deploy: install tools frontend-build
	PATH="$(PYTHON313_BIN):$$PATH" $(BIN)/python -m plot_palette.deploy deploy --stack $(STACK) \
	  --sam $(TOOLS)/bin/sam

destroy: install tools
	$(BIN)/python -m plot_palette.deploy destroy --stack $(STACK) --sam $(TOOLS)/bin/sam

clean:
	rm -rf $(VENV) $(TOOLS) $(CHECKOV) .aws-sam .coverage .coverage.* .pytest_cache .mypy_cache .ruff_cache out \
	  artifacts $(FRONTEND)/node_modules $(FRONTEND)/dist
