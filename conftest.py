"""Hooks for the whole repository's test run (the tests' fixtures are in tests/conftest.py)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The docstrings' examples run in one pytest worker, in file order: build_index's builds the
    # repository's index/ from seeds/, and qa/index.py's then load it. `make test` runs two
    # workers; on a fresh clone index.py's ran on the other one first and found no index.
    for item in items:
        if type(item).__name__ == "DoctestItem":
            item.add_marker(pytest.mark.xdist_group("doctests"))
