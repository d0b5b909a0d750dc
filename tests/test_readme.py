"""The README's Python examples run as written and print what their comments say."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qa.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def promised(block: str) -> list[str]:
    """The values a block's `print(...)  # value` comments promise (prose comments left out)."""
    return [m.group(1).strip() for m in re.finditer(r"^print\(.*\)[ \t]+#[ \t]*(?:.*: )?(.+)$", block, flags=re.M)]


@pytest.mark.model
def test_the_first_example_prints_what_its_comments_say(real_index, real_settings: Settings) -> None:
    block = python_blocks()[0]
    assert promised(block) == ["100% tariff on Chinese-made electric vehicles", "(1397, 1442)", "retaliatory tariffs"]
    out = io.StringIO()
    cwd = Path.cwd()
    os.chdir(real_settings.index_dir.parent)  # the example uses the default folders, index/ here
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(block, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    printed = out.getvalue()
    for value in promised(block):
        assert value in printed.splitlines(), (value, printed)
    assert "Trudeau's government in 2024 followed Biden's lead" in printed


def test_every_python_block_compiles_and_imports_what_it_uses(tmp_path: Path) -> None:
    blocks = python_blocks()
    assert len(blocks) >= 3
    for n, block in enumerate(blocks):
        compile(block, "README.md", "exec")
        # Each block runs on its own when copied: `answer(...)` without importing it was a NameError
        script = tmp_path / f"block{n}.py"
        script.write_text(block)
        ruff = [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "F821", str(script)]
        done = subprocess.run(ruff, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout
