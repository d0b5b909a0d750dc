"""Hooks for the whole repository's test run (the tests' fixtures are in tests/conftest.py)."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _one_at_a_time_on_the_repositorys_index(request: pytest.FixtureRequest) -> Iterator[None]:
    """The docstrings' examples that use the repository's own index/ run one at a time, and
    find it built. `make test` runs two pytest workers: on a fresh clone qa/index.py's
    examples ran on one while build_index's, which builds index/ from seeds/, had not run
    yet on the other ("No index in index/"). (pytest-xdist's xdist_group would keep them on
    one worker, but pytest 9 ignores it: xdist 3.8 renames a node id pytest no longer reads.)"""
    test = getattr(request.node, "dtest", None)  # a DoctestItem's examples
    if test is None or not any("index" in e.source or "answer(" in e.source for e in test.examples):
        yield
        return
    from filelock import FileLock

    from qa.build import build_index
    from qa.config import Settings
    from qa.store import current_generation

    place = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    with FileLock(str(Path(tempfile.gettempdir()) / f"qa-doctests-{place}.lock")):
        if current_generation(ROOT / "index") is None:
            build_index(Settings(articles_dir=ROOT / "seeds", index_dir=ROOT / "index"), progress=False)
        yield
