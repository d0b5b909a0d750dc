# `make chat` and `make test` work on a fresh machine: they create .venv and install first.
PYTHON ?= python3
VENV ?= .venv
# torch is only used once per machine, to export the model to ONNX. Pinning it keeps pip
# from pulling a multi-GB CUDA build; elsewhere, e.g.:
#   make TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
# A path entry, not setuptools' import hook: type checkers (mypy) of a user's own scripts
# find the package and its py.typed only through a path.
EDITABLE := --config-settings editable_mode=compat
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.dev-installed-stamp
# `make chat PORT=7870` serves on another port (default 7860). Not `?=`: a PORT exported by a
# shell or a hosting setup moved the chat off the port README promises.
PORT =

.PHONY: install install-dev chat serve index test lint format bench screenshot accessibility clean-index

# What the chat needs; `install-dev` adds the test tools and Ray (~750 MB more; the `train` extra,
# the reader's training tools, names transformers and onnx, which the chat's install already brings).
install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "Installing into $(VENV) (torch for the one-time model export, then the project; a few minutes on a fresh machine)"
	@# On an older Python pip's only words would be "No matching distribution found for nupunkt".
	@test -x $(BIN)/python || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "error: Python 3.11 or newer is needed ($(PYTHON) is $$($(PYTHON) -V 2>&1)); e.g. make chat PYTHON=python3.12"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet $(EDITABLE) -e .
	touch $(STAMP)

install-dev: $(DEV_STAMP)

$(DEV_STAMP): $(STAMP)
	@echo "Installing the test tools and Ray into $(VENV)"
	$(BIN)/pip install --quiet $(EDITABLE) -e ".[test,cluster,train]"
	touch $(DEV_STAMP)

index: install
	$(BIN)/qa index

chat: install
	$(BIN)/qa serve $(if $(PORT),--port $(PORT))

serve: chat

# Two pytest workers: the suite took 769 s on one and 492 to 575 s on two (worksteal, below) on a
# 2-core machine (browser and child-process tests wait more than they compute). `make test TEST_WORKERS=0` runs it
# in one process. The docstrings' examples that use the repository's index/ take turns (conftest.py).
# `--dist worksteal` balances the two workers: the default schedule queued the browser tests late
# on one worker, which ran 200 s after the other had finished (622 s against 558 s). (A browser
# test that failed under it, and once under the default too, pressed Enter before the page had
# loaded; the page now holds such a question: see ui/client.js.)
TEST_WORKERS ?= 2

test: install-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

# ruff (lint + format check) and mypy, as CI runs them; `make format` fixes what ruff can.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-dev
	$(BIN)/python bench/run_all.py

screenshot: install-dev
	$(BIN)/python docs/screenshot.py

# axe-core's WCAG 2 AA audit of the chat (docs/accessibility.py); axe-core comes from npm.
AXE ?= /tmp/axe/node_modules/axe-core/axe.min.js
accessibility: install-dev
	test -f $(AXE) || npm install --prefix /tmp/axe axe-core@4
	$(BIN)/python docs/accessibility.py $(AXE)

# The chat's ratings (feedback.jsonl, signed with .feedback-key) are no part of a build: kept.
clean-index:
	find index -mindepth 1 -maxdepth 1 ! -name README.md ! -name feedback.jsonl ! -name .feedback-key -exec rm -rf {} +
