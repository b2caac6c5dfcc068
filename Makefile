# One venv/ shared with the Pulumi CLI (Pulumi.yaml: toolchain pip, virtualenv venv).
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin

.PHONY: setup test lint local local-down docs

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

# The offline policy check, for every stack file in the project.
STACKS := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))
.PHONY: policy-check
policy-check: setup
	@set -e; for stack in $(STACKS); do $(BIN)/tables policy-check --stack $$stack; done

# The main job: a local DynamoDB with the dev stack's tables, checked, on this machine alone.
local: setup
	$(BIN)/tables local up
	$(BIN)/tables create --stack dev --local
	$(BIN)/tables seed --stack dev --local
	$(BIN)/tables migrate up --stack dev --local
	$(BIN)/tables migrate status --stack dev --local
	$(BIN)/tables drift --stack dev --local
	$(BIN)/tables local status
	$(BIN)/tables patterns verify --stack dev --local --quiet

local-down: setup
	$(BIN)/tables local down

docs: setup
	$(BIN)/tables docs
