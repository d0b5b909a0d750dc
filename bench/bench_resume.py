"""Benchmark: what saving a build's rounds for a later resume costs, and what a resume saves.

Builds the 2,225-article BBC corpus from scratch, in turn with saving on (as shipped) and off
(`qa.resume.FREE_SPACE_MARGIN` set beyond any disk, so nothing is saved), `--runs` times
each; then stops a `qa index` with Ctrl-C after `--stop-after` seconds and runs it again,
timing both and reading what the second took up (qa/resume.py).

    python bench/bench_resume.py [--runs 2] [--stop-after 60]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import time
from pathlib import Path

from common import QA, ROOT, WORK, bbc_folder, median, save, table

import qa.resume
from qa.build import build_index
from qa.config import Settings


def build_once(index: Path, saving: bool) -> float:
    """Seconds of one full build in this process, with or without saving rounds."""
    shutil.rmtree(index, ignore_errors=True)
    margin = qa.resume.FREE_SPACE_MARGIN
    qa.resume.FREE_SPACE_MARGIN = margin if saving else 1 << 62  # never room: nothing saved
    try:
        settings = Settings(articles_dir=bbc_folder(), index_dir=index, follow_links=True)
        start = time.perf_counter()
        build_index(settings, full=True, progress=False)
        return time.perf_counter() - start
    finally:
        qa.resume.FREE_SPACE_MARGIN = margin


def stop_then_resume(index: Path, stop_after: float) -> dict[str, object]:
    """`qa index` stopped by Ctrl-C after `stop_after` s, then run to the end."""
    shutil.rmtree(index, ignore_errors=True)
    command = [*QA, "index", "--articles", str(bbc_folder()), "--index", str(index), "--quiet", "--follow-links"]
    stopped = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(stop_after)
    stopped.send_signal(signal.SIGINT)
    _, said = stopped.communicate(timeout=120)
    saved_mb = sum(p.stat().st_size for p in (index / ".resume").rglob("*") if p.is_file()) / 1e6
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    report = next(line for line in done.stdout.splitlines() if "embedded" in line)
    return {
        "stopped_after_s": stop_after,
        "stopped_said": said.strip(),
        "saved_mb": round(saved_mb, 1),
        "resumed_build_s": round(seconds, 1),
        "resumed_report": report.strip(),
        "resume_left": (index / ".resume").exists(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="full builds with saving on, and as many off")
    parser.add_argument("--stop-after", type=float, default=60.0, help="seconds before the Ctrl-C")
    args = parser.parse_args()
    index = WORK / "resume-index"
    times: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(args.runs):
        for mode in ("on", "off"):
            times[mode].append(round(build_once(index, saving=mode == "on"), 1))
            print(mode, times[mode][-1], "s", flush=True)
    resume = stop_then_resume(index, args.stop_after)
    on, off = median(times["on"]), median(times["off"])
    result = {
        "full_build_s": times,
        "saving_overhead": round(on / off - 1, 4),
        "stop_then_resume": resume,
    }
    print(table([["saving on", on], ["saving off", off], ["on / off", round(on / off, 3)]], ["build", "median s"]))
    print(resume)
    save("resume", result)


if __name__ == "__main__":
    main()
