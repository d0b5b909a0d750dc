# `make chat` and `make test` work on a fresh machine: they create .venv and install first.
PYTHON ?= python3
VENV ?= .venv
# torch is only used once per machine, to export the model to ONNX. Pinning it keeps pip
# from pulling a multi-GB CUDA build; elsewhere, e.g.:
#   make TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install chat serve index test lint format bench screenshot clean-index

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e ".[test,cluster]"
	touch $(STAMP)

index: install
	$(BIN)/qa index

chat: install
	$(BIN)/qa serve

serve: chat

test: install
	$(BIN)/python -m pytest

# ruff (lint + format check) and mypy, as CI runs them; `make format` fixes what ruff can.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run_all.py

screenshot: install
	$(BIN)/python docs/screenshot.py

clean-index:
	find index -mindepth 1 ! -name README.md -exec rm -rf {} +
