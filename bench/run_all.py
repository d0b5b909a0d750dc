"""`make bench`: every benchmark in turn, then one table of targets and measurements.

    python bench/run_all.py [--skip-scale] [--skip-squad] [--only NAME ...] [--summary]

Results go to bench/results/*.json; docs/benchmarks.md records them with date and machine.
The SQuAD dev evaluation in `answers` (all 10,570 questions, with the reader and --fast)
and the 1M-passage scale run take the longest (about 45 and 40 minutes here). Fitting the
answer settings on SQuAD train is not a benchmark: bench/fit_answering.py.

`--skip-squad` leaves SQuAD dev out: `answers` measures news and its unanswerable set only,
and `overlap` and `sentence_vectors`, which read the SQuAD dev index it builds, are skipped.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from common import RESULTS, ROOT, table

STEPS = [
    "build",
    "resume",
    "latency",
    "incremental",
    "startup",
    "soak",
    "followups",
    "answers",
    "overlap",
    "sentence_vectors",
    "scale",
    "ivf_switch",
    "updates",
    "merge",
    "merge-add-bbc",
    "replicas",
    "ray",
]
# Steps that run a script with options: step -> (script, its options).
VARIANTS = {"merge-add-bbc": ("merge", ["--add-bbc"])}
# Steps that read WORK/squad-index, which only `answers` on SQuAD dev builds: --skip-squad skips them.
NEED_SQUAD_INDEX = ("overlap", "sentence_vectors")


def run(name: str, skip_squad: bool = False) -> int:
    """Run one step; its exit status."""
    if skip_squad and name in NEED_SQUAD_INDEX:
        print(f"\n=== {name} === skipped: it reads the SQuAD dev index, which --skip-squad does not build", flush=True)
        return 0
    print(f"\n=== {name} ===", flush=True)
    script, extra = VARIANTS.get(name, (name, []))
    if name == "answers" and skip_squad:
        extra = ["--only", "news", "unanswerable"]
    return subprocess.run([sys.executable, str(ROOT / "bench" / f"bench_{script}.py"), *extra], cwd=ROOT).returncode


def load(name: str) -> dict:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def pair(m: dict, a: str, b: str) -> str:
    return f"{m.get(a)} / {m.get(b)}"


def summary() -> str:
    b, lat, inc, st, ans, fol, soak, sc, sw, up, rep, mer = (
        load(n)
        for n in (
            "build",
            "latency",
            "incremental",
            "startup",
            "answers",
            "followups",
            "soak",
            "scale",
            "ivf_switch",
            "updates",
            "replicas",
            "merge",
        )
    )
    ray, mer_new, res = load("ray"), load("merge-add-bbc"), load("resume")
    squad, news = ans.get("squad", {}).get("reader", {}), ans.get("news", {}).get("reader", {})
    absent = ans.get("unanswerable", {})
    squad_absent = absent.get("squad_even_articles_only", {}).get("reader", {})
    news_absent = absent.get("news_distractors_only", {}).get("reader", {})
    big = sc.get("sizes", {}).get("1000000", {})
    rows = [
        ["SQuAD dev sentence hit@1 / @3 (reader)", ">= 0.82 / 0.92", pair(squad, "sentence_hit@1", "sentence_hit@3")],
        ["SQuAD dev span F1 / EM (reader)", ">= 0.65 / 0.55", pair(squad, "span_f1", "span_em")],
        ["news: answer in first / any cited", ">= 0.60 / 0.75", pair(news, "sentence_hit@1", "sentence_hit@3")],
        ["news: answer inside the marked span", ">= 0.45", news.get("answer_in_span")],
        [
            "abstains on answerable SQuAD / news",
            "<= 0.05",
            f"{squad.get('abstained')} / {news.get('abstained')}",
        ],
        [
            "abstains on unanswerable SQuAD / news",
            ">= 0.85",
            f"{squad_absent.get('abstained')} / {news_absent.get('abstained')} "
            f"(answer string in no article: {news_absent.get('abstained_answer_nowhere')})",
        ],
        ["follow-ups: exact sentence first", ">= 0.60", fol.get("with history", {}).get("sentence_hit@1")],
        ["answer p50 / p95, reader (BBC)", "<= 200 / 400 ms", pair(lat, "answer_p50_ms", "answer_p95_ms")],
        ["answer p50, --fast (BBC)", "<= 15 ms", lat.get("answer_fast_p50_ms")],
        ["retrieve p50 (hybrid, BBC)", "<= 20 ms", lat.get("retrieve_p50_ms")],
        ["build / raw encode", "<= 1.05", b.get("overhead_ratio_vs_raw_encode")],
        ["tokens embedded / corpus tokens", "<= 1.3", b.get("tokens_embedded_ratio")],
        ["build time, saving rounds for a resume / not", "unchanged", res.get("saving_overhead")],
        ["add one article, beyond start-up", "<= 3 s", inc.get("add_beyond_startup_s")],
        ["delete one article, beyond start-up", "<= 3 s", inc.get("delete_beyond_startup_s")],
        ["qa ask cold start (BBC, files verified)", "<= 2 s", st.get("qa_ask_cold_s")],
        ["qa serve ready (BBC)", "<= 10 s", st.get("qa_serve_ready_s")],
        ["qa serve peak RSS (MB)", "<= 1200", st.get("qa_serve_peak_rss_mb")],
        ["soak: errors / wrong answers", "0 / 0", pair(soak, "errors", "wrong_answers")],
        ["soak: RSS growth", "<= 0.10", soak.get("rss_growth")],
        ["soak: p50 / p95 ms (20 clients)", "recorded", pair(soak, "p50_ms", "p95_ms")],
        ["1M: qa serve ready (files verified)", "<= 10 s", big.get("qa_serve_ready_s")],
        ["1M: vector search p50", "<= 10 ms", big.get("vector_p50_ms")],
        ["1M: recall@10 vs exact", ">= 0.95", big.get("vector_recall@10")],
        ["1M: lexical query p50", "<= 30 ms", big.get("lexical_p50_ms")],
        ["1M: answer p50 / p95", "", pair(big, "answer_p50_ms", "answer_p95_ms")],
        [
            "1M: peak RSS (MB): answering / store + BM25 build / exact-to-IVF switch",
            "<= 3072",
            f"{big.get('answer_path_peak_rss_mb')} / {big.get('store_and_bm25_peak_rss_mb')} / "
            f"{sw.get('sizes', {}).get('1000000', {}).get('switch_peak_rss_mb')}",
        ],
        [
            "1M: add / delete one article (build time)",
            "<= 3 s",
            pair(up, "add_build_s_median", "delete_build_s_median"),
        ],
        ["1M: whole store copied by an update", "no", "yes" if up.get("store_copied") else "no"],
        ["1M: BM25 after updates vs rebuilt, max difference", "0", up.get("bm25_max_abs_difference")],
        [
            "1M: merge after deleting 6% (build s / peak RSS MB / BM25 vs rebuilt)",
            "recorded / <= 3072 / 0",
            f"{mer.get('build_s')} / {mer.get('merge_peak_rss_mb')} / {mer.get('bm25_max_abs_difference')}",
        ],
        [
            "1M: the same merge also embedding 5,840 BBC passages (build s / peak RSS MB / BM25 vs rebuilt)",
            "recorded / <= 3072 / 0",
            f"{mer_new.get('build_s')} / {mer_new.get('merge_peak_rss_mb')} / {mer_new.get('bm25_max_abs_difference')}",
        ],
        [
            "1M: 3 replicas' PSS / one's RSS, after 200 / 20 questions",
            "<= 1.5",
            pair(rep, "steady_pss_sum_over_one_rss", "pss_sum_over_one_rss"),
        ],
        ["1M: new generation served by every replica (s)", "<= 2 s", rep.get("new_generation_served_s")],
        ["Ray build (2 workers) / local build (BBC)", "<= 1.10", ray.get("ray2_over_local")],
        [
            "Ray vs local: same passages / largest cosine distance",
            "yes / <= 1e-5",
            f"{ray.get('equal_to_local', {}).get('ray-2', {}).get('same_passages')} / "
            f"{ray.get('equal_to_local', {}).get('ray-2', {}).get('max_cosine_distance')}",
        ],
    ]
    return table(rows, ["figure", "target", "measured"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=STEPS, metavar="NAME", help=f"some of: {', '.join(STEPS)}")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--skip-squad",
        action="store_true",
        help="answers: news and its unanswerable set only; skips overlap and sentence_vectors (SQuAD dev index)",
    )
    parser.add_argument("--summary", action="store_true", help="only print the table of the saved results")
    args = parser.parse_args()
    if args.summary:
        print(summary())
        return
    # the 1M-passage runs, and Ray's 5 BBC builds
    big = ("scale", "ivf_switch", "updates", "merge", "merge-add-bbc", "replicas", "ray")
    steps = args.only or [s for s in STEPS if not (s in big and args.skip_scale)]
    for n, name in enumerate(steps):
        if code := run(name, skip_squad=args.skip_squad):  # its own message is above: no traceback of ours
            rest = steps[n + 1 :]
            raise SystemExit(f"{name} failed (exit {code})" + (f"; not run: {' '.join(rest)}" if rest else ""))
    print("\n" + summary())


if __name__ == "__main__":
    main()
