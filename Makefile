# Plot Palette - the two commands a newcomer needs:
#   make demo   runs the sample poetry job end to end on the embedded local cloud
#   make test   runs every check (lint, types, templates, tests with coverage)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
TOOLS := .venv-tools
BIN := $(VENV)/bin
SAM_CLI_VERSION := 1.170.0
REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
TEMPLATES := template.yaml $(wildcard stacks/*.yaml)

.PHONY: help install tools demo test lint typecheck cfn-lint sam-validate pytest unit integration clean

help:
	@echo "make demo   - run the sample poetry job end to end locally (no AWS account, no Docker)"
	@echo "make test   - ruff, mypy, cfn-lint, sam validate --lint, pytest with coverage"

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

tools: $(TOOLS)/.installed

demo: install
	$(BIN)/plot-palette demo

test: install tools lint typecheck cfn-lint sam-validate pytest

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

# pytest exits 5 when it collects no test: that is a broken suite, so it fails here too.
pytest: install
	$(BIN)/pytest --cov --cov-report=term --cov-fail-under=80 -p no:cacheprovider

unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration

clean:
	rm -rf $(VENV) $(TOOLS) .coverage .coverage.* .pytest_cache .mypy_cache .ruff_cache out
