"""Shared pieces of the benchmarks: where the data is, timing, results, machine info."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("QA_BENCH_DATA", ROOT.parent / "shared" / "data"))
BBC = DATA / "bbc-news" / "bbc_news.jsonl"
SQUAD = DATA / "squad-v1.1" / "dev-v1.1.reconstructed.json"
RESULTS = ROOT / "bench" / "results"
WORK = Path(os.environ.get("QA_BENCH_WORK", "/tmp/qa-bench"))
QA = [sys.executable, "-m", "qa.cli"]


def no_options(doc: str | None) -> None:
    """Parse a benchmark's command line that takes no options: `--help` prints what it measures
    (and runs nothing), an unknown option is refused, rather than starting a long run."""
    argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()


def reader_file(text: str) -> Path:
    """`--reader`'s argument type: a file that exists, checked as the options are read (the
    reader loads lazily, so a wrong path failed minutes later, after an index was built)."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such reader file: {text}")
    if not (path.parent / "tokenizer.json").is_file():
        raise argparse.ArgumentTypeError(f"{text}: no tokenizer.json beside it (a training run writes one there)")
    return path


def candidate_reader(path: Path | None) -> tuple[Any, str]:
    """A reader file that is not the shipped one (`--reader`): the Reader (its tokenizer.json
    beside it; None without a file) and the suffix its results are saved under, "-<run>-<name>",
    so a candidate's figures never land over the shipped reader's."""
    if path is None:
        return None, ""
    from qa.reader import Reader

    path = path.resolve()
    return Reader(path, path.parent / "tokenizer.json"), f"-{path.parent.name}-{path.stem}"


def require(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(
            f"{path} is missing: the benchmarks read the shared data by path (set QA_BENCH_DATA to its folder)."
        )
    return path


def require_index(index_dir: Path, data: Path, only: str) -> Path:
    """`index_dir`, an index of the question set `data` (`qa eval --index` keeps one, and
    `bench_answers.py --only ONLY` builds WORK/ONLY-index), or one line saying how to build it:
    qa's own advice (`qa index --articles seeds`) would index the wrong articles."""
    from qa.store.layout import current_generation

    if current_generation(index_dir) is not None:
        return index_dir
    alone = f"qa eval {data} --index {index_dir} --limit 1"
    if index_dir.resolve() != (WORK / f"{only}-index").resolve():
        raise SystemExit(f"No index in {index_dir}/: build it with `{alone}`.")
    raise SystemExit(
        f"No index in {index_dir}/: build it with `python bench/bench_answers.py --only {only}` "
        f"(or the index alone: `{alone}`)."
    )


def bbc_folder() -> Path:
    """An articles folder holding the BBC corpus by symlink (never a copy; read with --follow-links)."""
    folder = WORK / "bbc-articles"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "bbc_news.jsonl"
    if not link.exists():
        link.symlink_to(require(BBC))
    return folder


def bbc_index() -> Path:
    """The BBC index (built by bench_build.py, or here if missing or stale; a no-op when current)."""
    index = WORK / "bbc-index"
    run_qa("index", "--articles", str(bbc_folder()), "--index", str(index), "--quiet", "--follow-links")
    return index


def run_qa(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([*QA, *args], capture_output=True, text=True, cwd=ROOT)
    if check and done.returncode != 0:
        raise SystemExit(f"qa {' '.join(args)} failed:\n{done.stderr}")
    return done


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# The instruction sets the int8 and float kernels of ONNX Runtime and FAISS choose between: a
# virtual machine names only its brand ("Intel(R) Xeon(R) Processor"), and the same reader
# measured 0.403 on an AVX-512 machine and 0.387 on an AVX2-only one (docs/benchmarks.md §4).
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "amx_int8")


def machine() -> dict[str, Any]:
    cpu, flags = "unknown", ""
    with contextlib.suppress(OSError, StopIteration):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
        flags = next(line.split(":", 1)[1] for line in lines if line.startswith("flags"))
    cpu += f" ({', '.join(f for f in CPU_FLAGS if f in flags.split())})" if flags else ""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def now() -> str:
    """The current UTC time, to the second, as benchmark results record it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def command() -> str:
    """The command that is running, as benchmark results record it ("python bench_x.py --flag")."""
    return " ".join([Path(sys.executable).name, *sys.argv])


def save(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": name,
        "date": now(),
        "machine": machine(),
        "command": command(),
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2))
    return path


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory of a running process (VmHWM), in MB; this process by default."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    """Start a new peak-memory measurement of this process (Linux: 5 in clear_refs resets VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")
