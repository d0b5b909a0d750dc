"""The wheel carries what an installed `qa` needs: the reader model, the chat's assets, the types.

`qa serve` is documented "for an installed package"; a file left out of the package data
works in the repository and fails only once installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_the_model_the_chat_assets_and_no_repository_folders(tmp_path):
    source = tmp_path / "src"
    for folder in ("qa", "ui"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), "."],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("verbatim_qa-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "qa/models/reader/reader.onnx",
        "qa/models/reader/tokenizer.json",
        "qa/models/reader/MODEL_CARD.md",
        "qa/py.typed",
        "qa/store/__init__.py",
        "ui/style.css",
        "ui/client.js",
        "ui/app.py",
    ):
        assert needed in names, f"{needed} missing from the wheel"
    assert any(n.endswith("entry_points.txt") for n in names)
    assert not {n.split("/")[0] for n in names} & {"tests", "bench", "training", "seeds", "index", "docs"}


def test_make_clean_index_keeps_the_chats_ratings_and_make_chat_ignores_an_exported_port(tmp_path):
    """It deleted feedback.jsonl and its key; an exported PORT moved the chat off 7860."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    index = tmp_path / "index"
    (index / "gen-1" / "bm25").mkdir(parents=True)
    for name in ("README.md", "CURRENT", ".lock", "feedback.jsonl", ".feedback-key", "gen-1/store.sqlite"):
        (index / name).write_text("x")
    # A clean environment: under `make test`, MAKEFLAGS and MAKELEVEL made make print its directories.
    clean = {"PATH": "/usr/bin:/bin"}
    subprocess.run(["make", "-s", "clean-index"], cwd=tmp_path, env=clean, check=True, capture_output=True)
    assert sorted(p.name for p in index.iterdir()) == [".feedback-key", "README.md", "feedback.jsonl"]
    dry = ["make", "-n", "--no-print-directory", "chat", "VENV=/v", "-o", "/v/.installed-stamp"]
    chat = subprocess.run(dry, cwd=tmp_path, env={**clean, "PORT": "3000"}, capture_output=True, text=True)
    assert chat.stdout.strip().splitlines()[-1].split() == ["/v/bin/qa", "serve"]
    told = subprocess.run([*dry, "PORT=7870"], cwd=tmp_path, env=clean, capture_output=True, text=True)
    assert told.stdout.strip().splitlines()[-1].endswith("qa serve --port 7870")
