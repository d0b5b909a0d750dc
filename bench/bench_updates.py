"""Updates at scale: `qa index` adding or deleting one article on the synthetic index of
bench_scale.py (1M passages, 100k article files), each in a fresh process.

    python bench/bench_scale.py --sizes 1000000 --keep     # first: the index and its articles
    python bench/bench_updates.py [--size 1000000] [--rounds 3]

For each round: add one article (a new file), then delete one (remove a file). Recorded:
the time `qa index` reports for the build (from reading the folder to publishing: the
cost beyond process start-up), the wall time of the whole process, whether the base store
is still the same file (hard link, not a copy), and the delta's size. Afterwards, BM25 of
the updated index against a lexical index written from scratch from the live passages:
the largest score difference over 30 questions and all passages.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import time

import numpy as np
from bench_scale import articles_folder
from common import QA, ROOT, WORK, median, save, table

from qa.config import Settings
from qa.index import load_index
from qa.store import STORE_FILE, LexicalIndex, bm25_terms, current_generation

STARTUP = (
    "from qa.config import Settings; from qa.embedding import get_encoder; import qa.build; get_encoder(Settings())"
)
QUESTIONS = [
    "What did the government say about the economy?",
    "Who won the match on Saturday?",
    "How much did shares fall?",
    "What did the minister announce?",
    "Which film won the award?",
    "Why did the company cut jobs?",
]


def timed_run(args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    index, articles = WORK / f"scale-{args.size}", articles_folder(args.size)
    if current_generation(index) is None:
        raise SystemExit(f"run first: python bench/bench_scale.py --sizes {args.size} --keep")
    command = [*QA, "index", "--articles", str(articles), "--index", str(index), "--quiet"]
    base_inode = (current_generation(index) / STORE_FILE).stat().st_ino
    rows = []
    for round_ in range(args.rounds):
        new = articles / "new" / f"added-{round_}.txt"
        new.parent.mkdir(exist_ok=True)
        new.write_text(
            f"title: Harbour ferries return {round_}\ndate: 2025-06-01\nsource: Bench\n\n"
            "Ferries returned to the harbour after the storm. The port authority said services would run "
            "to the usual timetable from Monday. Passengers had waited three days."
        )
        for action, change in (("add", lambda: None), ("delete", lambda r=round_: delete_one(articles, r))):
            change()
            seconds, out = timed_run(command)
            generation = current_generation(index)
            delta = generation / "delta" / STORE_FILE
            rows.append(
                {
                    "round": round_,
                    "action": action,
                    "process_s": round(seconds, 2),
                    "build_s": float(re.search(r"in ([0-9.]+) s", out).group(1)),
                    "base_is_same_file": (generation / STORE_FILE).stat().st_ino == base_inode,
                    "delta_mb": round(delta.stat().st_size / 1e6, 2) if delta.exists() else 0,
                    "report": out.strip().splitlines()[0],
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    bm25 = bm25_against_rebuild(index)
    results = {
        "size": args.size,
        "rounds": rows,
        "add_build_s_median": median([r["build_s"] for r in rows if r["action"] == "add"]),
        "delete_build_s_median": median([r["build_s"] for r in rows if r["action"] == "delete"]),
        "add_process_s_median": median([r["process_s"] for r in rows if r["action"] == "add"]),
        "delete_process_s_median": median([r["process_s"] for r in rows if r["action"] == "delete"]),
        "store_copied": not all(r["base_is_same_file"] for r in rows),
        **bm25,
    }
    print(
        table(
            [[r["action"], r["build_s"], r["process_s"], r["delta_mb"]] for r in rows],
            ["action", "build s", "process s", "delta MB"],
        )
    )
    print(f"saved {save('updates', results)}")


def delete_one(articles, round_: int) -> None:
    """Remove one of the original article files (a different one each round)."""
    victim = sorted((articles / "000").glob("*.txt"))[round_]
    victim.unlink()


def bm25_against_rebuild(index) -> dict:
    """Largest difference between the updated index's BM25 and one written from scratch."""
    loaded = load_index(index, Settings(index_dir=index))
    fresh_dir = WORK / "updates-bm25-fresh"
    import shutil

    shutil.rmtree(fresh_dir, ignore_errors=True)
    start = time.perf_counter()
    LexicalIndex.write(loaded.store.passage_terms(), fresh_dir)
    rebuild_s = time.perf_counter() - start
    fresh = LexicalIndex.read(fresh_dir)
    worst = 0.0
    positions = np.searchsorted(loaded.lexical.ids, fresh.ids)
    for question in QUESTIONS * 5:
        terms = bm25_terms([question])[0]
        worst = max(worst, float(np.abs(loaded.lexical.scores(terms)[positions] - fresh.scores(terms)).max()))
    shutil.rmtree(fresh_dir, ignore_errors=True)
    return {"bm25_max_abs_difference": worst, "bm25_full_rebuild_s": round(rebuild_s, 1), "live_passages": len(fresh)}


if __name__ == "__main__":
    main()
