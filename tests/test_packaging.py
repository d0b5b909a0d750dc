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
