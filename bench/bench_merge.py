"""The delta -> base merge at scale, end to end: `qa index` after deleting over 5% of a
1M-passage index's passages, on a copy of bench_scale.py's index (its vectors are synthetic).

    python bench/bench_scale.py --sizes 1000000 --keep     # first: the index and its articles
    python bench/bench_merge.py [--size 1000000] [--delete-folders 6] [--add-bbc]

An update whose delta (added passages plus the base passages it removes) outgrows
`MERGE_FRACTION` of the base is merged into a new base (qa/build.py `_merge`): the base store is
copied, the removed articles deleted from it, the delta absorbed, BM25 rewritten from the store
and the FAISS index rebuilt or re-added. Deleting article folders triggers it without embedding
anything (embedding 50k new passages would take ~30 minutes here and measure the encoder, not
the merge). `--add-bbc` also adds the BBC corpus (2,225 real articles, 5,840 passages, by
symlink) in the same update, so the merge embeds and absorbs new passages too: the encoder is
loaded in the merging process and new vectors join the FAISS phase. Recorded: the build time `qa
index` reports, the whole process's wall time and peak RSS, that the result is one base with no
delta and a new store file, the live passage count, the time to load (verify) the merged index,
and BM25 of the merged index against one written from scratch.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time

from bench_scale import articles_folder
from bench_updates import bm25_against_rebuild
from common import BBC, QA, ROOT, WORK, require, save, table

from qa.config import Settings
from qa.index import load_index
from qa.store import STORE_FILE, current_generation
from qa.store.segments import MERGE_FRACTION

# Runs a command and prints its peak RSS (ru_maxrss of its only child) last on stderr: the
# merge's own peak, not that of the other `qa index` run this script makes.
PEAK_RSS = [
    sys.executable,
    "-c",
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print('peak_rss_kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(done.returncode)",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--delete-folders", type=int, default=6, help="article folders to delete (~1,000 files each)")
    parser.add_argument("--add-bbc", action="store_true", help="also add the BBC corpus (5,840 new passages)")
    args = parser.parse_args()
    source, source_articles = WORK / f"scale-{args.size}", articles_folder(args.size)
    if current_generation(source) is None:
        raise SystemExit(f"run first: python bench/bench_scale.py --sizes {args.size} --keep")
    index, articles = WORK / f"merge-{args.size}", WORK / f"merge-{args.size}-articles"
    for target in (index, articles):
        shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    shutil.copytree(source, index)
    shutil.copytree(source_articles, articles)
    print(f"copied the index and its articles in {time.perf_counter() - started:.0f} s", flush=True)
    command = [*QA, "index", "--articles", str(articles), "--index", str(index), "--quiet", "--follow-links"]
    # Bring the copy up to date with its folder first (the copy is identical: nothing to do).
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True)
    before = load_index(index, Settings(index_dir=index))
    live_before = before.store.counts().passages
    before_inode = (current_generation(index) / STORE_FILE).stat().st_ino
    del before
    deleted = sorted(p for p in articles.iterdir() if p.is_dir())[: args.delete_folders]
    files = sum(1 for folder in deleted for _ in folder.rglob("*.txt"))
    for folder in deleted:
        shutil.rmtree(folder)
    if args.add_bbc:
        (articles / "bbc_news.jsonl").symlink_to(require(BBC))
    start = time.perf_counter()
    done = subprocess.run([*PEAK_RSS, *command], capture_output=True, text=True, cwd=ROOT)
    process_s = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    peak_mb = float(done.stderr.strip().splitlines()[-1].removeprefix("peak_rss_kb ")) / 1024
    generation = current_generation(index)
    assert generation is not None
    start = time.perf_counter()
    merged = load_index(index, Settings(index_dir=index))
    load_s = time.perf_counter() - start
    live_after = merged.store.counts().passages
    del merged
    results = {
        "size": args.size,
        "merge_fraction": MERGE_FRACTION,
        "deleted_files": files,
        "added": "BBC corpus (2,225 articles)" if args.add_bbc else "nothing",
        "live_passages_before": live_before,
        "live_passages_after": live_after,
        "removed_share": round((live_before - live_after) / live_before, 4),
        "build_s": float(re.search(r"in ([0-9.]+) s", done.stdout).group(1)),  # type: ignore[union-attr]
        "process_s": round(process_s, 1),
        "merge_peak_rss_mb": round(peak_mb),
        "merged_into_one_base": not (generation / "delta").exists(),
        "new_store_file": (generation / STORE_FILE).stat().st_ino != before_inode,
        "load_verified_s": round(load_s, 2),
        "report": done.stdout.strip().splitlines()[0] if done.stdout.strip() else "",
        **bm25_against_rebuild(index),
    }
    print(table([[k, v] for k, v in results.items()], ["figure", "value"]))
    print(f"saved {save('merge-add-bbc' if args.add_bbc else 'merge', results)}")
    for target in (index, articles):
        shutil.rmtree(target, ignore_errors=True)


if __name__ == "__main__":
    main()
