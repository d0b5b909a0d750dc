"""Benchmark 3: add one article to the BBC index with `qa index`, then delete it.

Reports the whole command's wall time, the process start-up it includes (Python plus
the imports `qa index` needs), and the time the build itself reports; checks that the new
article is answerable after the add and gone after the delete. Median of 3 cycles.

    python bench/bench_incremental.py
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time

from common import BBC, QA, ROOT, WORK, bbc_index, median, no_options, require, save, table

NEW = (
    "title: Kestrel Point lighthouse relit\ndate: 2026-03-02\nsource: Coast News\n\n"
    "Volunteers relit the Kestrel Point lighthouse on Sunday after a two-year restoration. "
    "The lamp, first lit in 1884, had been dark since a storm in 2019 damaged its lantern room. "
    "The restoration cost 240,000 pounds, most of it raised by a village appeal."
)
QUESTION = "How much did the Kestrel Point lighthouse restoration cost?"


def wall(*args: str) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run([*QA, *args], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return seconds, done


def startup() -> float:
    code = "import qa.cli, qa.build, qa.embedding, faiss, onnxruntime, tokenizers, numpy"
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        runs.append(time.perf_counter() - start)
    return median(runs)


def main() -> None:
    no_options(__doc__)
    source = bbc_index()
    folder = WORK / "bbc-inc-articles"
    index = WORK / "bbc-inc-index"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "bbc_news.jsonl").symlink_to(require(BBC))
    shutil.copytree(source, index, symlinks=True)
    update = ("index", "--articles", str(folder), "--index", str(index), "--quiet", "--follow-links")
    wall(*update)  # no-op check
    start_s = startup()
    adds, deletes, add_reported, delete_reported, answered = [], [], [], [], []
    for _ in range(3):
        (folder / "lighthouse.txt").write_text(NEW)
        seconds, done = wall(*update)
        assert "added 1" in done.stdout, done.stdout
        adds.append(seconds)
        add_reported.append(float(re.search(r"in ([\d.]+) s", done.stdout).group(1)))
        _, asked = wall("ask", QUESTION, "--index", str(index), "--json")
        data = json.loads(asked.stdout)
        answered.append(
            data["found"]
            and data["citations"][0]["article_id"] == "lighthouse.txt"
            and "240,000 pounds" in data["answer"]
        )
        (folder / "lighthouse.txt").unlink()
        seconds, done = wall(*update)
        assert "removed 1" in done.stdout, done.stdout
        deletes.append(seconds)
        delete_reported.append(float(re.search(r"in ([\d.]+) s", done.stdout).group(1)))
    _, asked = wall("ask", QUESTION, "--index", str(index), "--json")
    gone = all(c["article_id"] != "lighthouse.txt" for c in json.loads(asked.stdout)["citations"])
    result = {
        "process_startup_s": round(start_s, 2),
        "add_wall_s": round(median(adds), 2),
        "add_beyond_startup_s": round(median(adds) - start_s, 2),
        "add_build_reported_s": round(median(add_reported), 2),
        "delete_wall_s": round(median(deletes), 2),
        "delete_beyond_startup_s": round(median(deletes) - start_s, 2),
        "delete_build_reported_s": round(median(delete_reported), 2),
        "new_article_answerable": all(answered),
        "deleted_article_gone": gone,
    }
    print(table([[k, v] for k, v in result.items()], ["figure", "value"]))
    print(f"saved {save('incremental', result)}")


if __name__ == "__main__":
    main()
