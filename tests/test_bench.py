"""The benchmark scripts in bench/ are not run by the tests (they need ../shared/data and take
minutes), but each must still import: a private name moved in qa (bench_scale imported
`qa.build._publish` after it became `qa.store.layout.publish_generation`) broke four of them
and `make bench` with them, unseen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_every_benchmark_script_imports() -> None:
    scripts = sorted(p.stem for p in BENCH.glob("*.py"))
    assert {"bench_scale", "bench_latency", "common", "run_all"} <= set(scripts)
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\nprint('ok')"
    done = subprocess.run(
        [sys.executable, "-c", code, *scripts], cwd=BENCH, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
