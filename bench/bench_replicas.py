"""Replicas: several `qa serve --no-index` processes on one index folder.

    python bench/bench_scale.py --sizes 1000000 --keep     # first: the index and its articles
    python bench/bench_replicas.py [--size 1000000] [--replicas 3]

Memory: one replica alone, then N at once, each after answering 20 questions (cold) and
again after 180 more (steady: each has touched most of the index it searches). Resident
memory (RSS) counts a page shared with other processes in each of them; proportional
memory (PSS) divides it among the processes sharing it, so the sum of the replicas' PSS is
what they cost the machine together. Pick-up: after `qa index` publishes a new generation
(one added article), the seconds until every replica answers from it, polled every 0.1 s.
"""

from __future__ import annotations

import argparse
import subprocess
import threading
import time
from pathlib import Path

from bench_latency import questions
from bench_scale import articles_folder
from bench_startup import ask_api, free_port
from common import QA, ROOT, WORK, save, table

QUESTION = "What did the government say about the economy?"
NEW_QUESTION = "When did the harbour ferries of Kirkwall return to the timetable?"


def memory_mb(pid: int) -> dict[str, float]:
    """Rss and Pss of a process (MB), from /proc/PID/smaps_rollup."""
    found = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Rss", "Pss", "Anonymous"):
            found[key.lower()] = int(value.split()[0]) / 1024
    found["private"] = found.pop("anonymous")
    return found


def start(index: Path, articles: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [*QA, "serve", "--no-index", "--index", str(index), "--articles", str(articles), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.perf_counter() + 300
    while ask_api(port, QUESTION) is None:
        if proc.poll() is not None or time.perf_counter() > deadline:
            raise SystemExit("qa serve did not start")
        time.sleep(0.2)
    for question in questions()[:20]:  # real questions about BBC stories (the synthetic index's text)
        ask_api(port, question, timeout=30)
    return proc, port


def warm(port: int) -> None:
    for question in questions()[20:220]:
        ask_api(port, question, timeout=60)


def cites_new_article(port: int) -> bool:
    result = ask_api(port, NEW_QUESTION, timeout=30)
    return result is not None and any("Kirkwall" in c.get("title", "") for c in result.get("citations", []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--replicas", type=int, default=3)
    args = parser.parse_args()
    index, articles = WORK / f"scale-{args.size}", articles_folder(args.size)
    new = articles / "new" / "kirkwall.txt"
    new.unlink(missing_ok=True)
    index_command = [*QA, "index", "--articles", str(articles), "--index", str(index), "--quiet"]
    subprocess.run(index_command, check=True, cwd=ROOT)

    proc, port = start(index, articles)
    alone = memory_mb(proc.pid)
    warm(port)
    alone_steady = memory_mb(proc.pid)
    proc.terminate()
    proc.wait(30)

    replicas = [start(index, articles) for _ in range(args.replicas)]
    try:
        together = [memory_mb(p.pid) for p, _ in replicas]
        warming = [threading.Thread(target=warm, args=(port,)) for _, port in replicas]
        for t in warming:
            t.start()
        for t in warming:
            t.join()
        together_steady = [memory_mb(p.pid) for p, _ in replicas]
        assert not any(cites_new_article(port) for _, port in replicas)
        new.parent.mkdir(exist_ok=True)
        new.write_text(
            "title: Kirkwall ferries back on the timetable\ndate: 2025-06-02\nsource: Bench\n\n"
            "The harbour ferries of Kirkwall returned to the timetable on Monday after three days of storms."
        )
        subprocess.run(index_command, check=True, cwd=ROOT)
        published = time.perf_counter()
        picked: dict[int, float] = {}

        def poll(port: int) -> None:
            while time.perf_counter() - published < 60:
                if cites_new_article(port):
                    picked[port] = time.perf_counter() - published
                    return
                time.sleep(0.1)

        threads = [threading.Thread(target=poll, args=(port,)) for _, port in replicas]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for p, _ in replicas:
            p.terminate()
            p.wait(30)
        new.unlink(missing_ok=True)
    pss_sum = sum(m["pss"] for m in together)
    steady_sum = sum(m["pss"] for m in together_steady)
    result = {
        "size": args.size,
        "replicas": args.replicas,
        "one_replica_rss_mb": round(alone["rss"]),
        "one_replica_pss_mb": round(alone["pss"]),
        "replica_rss_mb": [round(m["rss"]) for m in together],
        "replicas_pss_sum_mb": round(pss_sum),
        "pss_sum_over_one_rss": round(pss_sum / alone["rss"], 2),
        "steady_one_replica_rss_mb": round(alone_steady["rss"]),
        "steady_replica_rss_mb": [round(m["rss"]) for m in together_steady],
        "steady_replicas_pss_sum_mb": round(steady_sum),
        "steady_pss_sum_over_one_rss": round(steady_sum / alone_steady["rss"], 2),
        "private_mb_per_replica": [round(m["private"]) for m in together_steady],
        "new_generation_served_s": [round(picked.get(port, float("nan")), 2) for _, port in replicas],
    }
    print(table([[k, v] for k, v in result.items()], ["figure", "value"]))
    print(f"saved {save('replicas', result)}")


if __name__ == "__main__":
    main()
