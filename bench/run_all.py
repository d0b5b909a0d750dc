"""`make bench`: every benchmark in turn, then one table of targets and measurements.

    python bench/run_all.py [--skip-scale] [--skip-squad] [--only NAME ...] [--summary]

Results go to bench/results/*.json; docs/benchmarks.md records them with date and machine.
The SQuAD evaluation (all 10,570 questions, three modes) and the 1M-passage scale run take
the longest (about 20 and 30 minutes here).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from common import QA, RESULTS, ROOT, SQUAD, WORK, require, table

STEPS = ["build", "latency", "incremental", "startup", "followups", "squad", "sentence_vectors", "scale", "ivf_switch"]


def run(name: str) -> None:
    print(f"\n=== {name} ===", flush=True)
    if name == "squad":
        out = RESULTS / "squad.json"
        done = subprocess.run(
            [*QA, "eval", str(require(SQUAD)), "--index", str(WORK / "squad-index"), "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        RESULTS.mkdir(parents=True, exist_ok=True)
        out.write_text(done.stdout)
        print(done.stdout)
        return
    subprocess.run([sys.executable, str(ROOT / "bench" / f"bench_{name}.py")], cwd=ROOT, check=True)


def load(name: str) -> dict:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def summary() -> str:
    b, lat, inc, st, sq, sc, sw = (
        load(n) for n in ("build", "latency", "incremental", "startup", "squad", "scale", "ivf_switch")
    )
    h = sq.get("hybrid", {})
    big = sc.get("sizes", {}).get("1000000", {})
    rows = [
        ["build / raw encode", "<= 1.05", b.get("overhead_ratio_vs_raw_encode")],
        ["tokens embedded / corpus tokens", "<= 1.3", b.get("tokens_embedded_ratio")],
        ["retrieve p50 (hybrid, BBC)", "<= 20 ms", lat.get("retrieve_p50_ms")],
        [
            "retrieve p50 dense / bm25 (BBC)",
            "< 22 / < 124 ms (txtai / Haystack)",
            f"{lat.get('retrieve_dense_p50_ms')} / {lat.get('retrieve_bm25_p50_ms')}",
        ],
        [
            "answer p50 / p95, reader (BBC)",
            "<= 200 / 400 ms",
            f"{lat.get('answer_p50_ms')} / {lat.get('answer_p95_ms')}",
        ],
        [
            "answer p50 / p95, --fast (BBC)",
            "<= 15 ms p50",
            f"{lat.get('answer_fast_p50_ms')} / {lat.get('answer_fast_p95_ms')}",
        ],
        ["add one article, beyond start-up", "<= 3 s", inc.get("add_beyond_startup_s")],
        ["delete one article, beyond start-up", "<= 3 s", inc.get("delete_beyond_startup_s")],
        ["qa ask cold start", "<= 6 s", st.get("qa_ask_cold_s")],
        ["qa serve ready", "<= 10 s", st.get("qa_serve_ready_s")],
        ["qa serve peak RSS (MB)", "<= 1200", st.get("qa_serve_peak_rss_mb")],
        ["SQuAD sentence hit@1 / @3", ">= 0.72 / 0.87", f"{h.get('sentence_hit@1')} / {h.get('sentence_hit@3')}"],
        ["SQuAD passage recall@1 / @5", ">= 0.82 / 0.96", f"{h.get('recall@1')} / {h.get('recall@5')}"],
        ["1M: vector search p50", "<= 10 ms", big.get("vector_p50_ms")],
        ["1M: recall@10 vs exact", ">= 0.95", big.get("vector_recall@10")],
        ["1M: lexical query p50", "<= 30 ms", big.get("lexical_p50_ms")],
        ["1M: answer p50 / p95", "", f"{big.get('answer_p50_ms')} / {big.get('answer_p95_ms')}"],
        [
            "1M: peak RSS (MB): answering / store + BM25 build / exact-to-IVF switch",
            "<= 3072",
            f"{big.get('answer_path_peak_rss_mb')} / {big.get('store_and_bm25_peak_rss_mb')} / "
            f"{sw.get('sizes', {}).get('1000000', {}).get('switch_peak_rss_mb')}",
        ],
    ]
    return table(rows, ["figure", "target", "measured"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=STEPS, metavar="NAME", help=f"some of: {', '.join(STEPS)}")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-squad", action="store_true")
    parser.add_argument("--summary", action="store_true", help="only print the table of the saved results")
    args = parser.parse_args()
    if args.summary:
        print(summary())
        return
    steps = args.only or [
        s
        for s in STEPS
        if not (s in ("scale", "ivf_switch") and args.skip_scale) and not (s == "squad" and args.skip_squad)
    ]
    for name in steps:
        run(name)
    print("\n" + summary())


if __name__ == "__main__":
    main()
