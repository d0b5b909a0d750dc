"""Soak: 20 concurrent `/ask` clients for 60 s on the BBC index while an article is uploaded
and another deleted.

The server is a separate process (`--serve`, the same `ChatApp` and Gradio app `qa serve`
runs) over the BBC corpus plus two small articles; 15 s into the soak it uploads a new
article and 30 s in deletes another, through the methods the Articles tab calls
(`ChatApp.add_files`, `ChatApp.delete_article`). Meanwhile 20 client threads ask BBC
questions through `gradio_client` without pause. Every answer is compared with the answers
the same question gets before and after the soak (the upload and the deletion touch
unrelated articles, but BBC term rarities shift a little): errors, wrong answers, p50/p95
latency, and the server's resident memory after a 15 s warm-up under the same load against
the end. After the soak the new article
must answer and the deleted one must not.

    python bench/bench_soak.py [--seconds 60] [--clients 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import BBC, ROOT, WORK, bbc_index, percentile, require, save, table

UPLOAD = (
    "title: Lighthouse restored\ndate: 2025-09-09\nsource: Coast News\n\n"
    "The old lighthouse at Kestrel Point was restored by volunteers over two years. "
    "Its lamp was relit on Sunday evening in front of a large crowd."
)
DOOMED = "title: Harbour festival\n\nThe harbour festival at Wrenmouth drew 12,000 visitors on Saturday."
NEW_QUESTION = "Who restored the lighthouse at Kestrel Point?"
GONE_QUESTION = "How many visitors came to the Wrenmouth harbour festival?"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve(port: int, folder: Path, index: Path, upload_at: float, delete_at: float) -> None:
    """The server process: the chat app, plus the upload and the deletion on a timer."""
    sys.path.insert(0, str(ROOT))
    from qa import Settings
    from ui.app import ChatApp, build_app, launch_kwargs

    app = ChatApp(Settings(articles_dir=folder, index_dir=index, follow_links=True))  # the BBC file is a link
    app.ensure_index()
    app.index().warm_up()
    demo = build_app(app)
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs())
    print("ready", flush=True)
    sys.stdin.readline()  # the parent says when the soak starts
    started = time.perf_counter()
    staged = WORK / "lighthouse.txt"
    staged.write_text(UPLOAD)
    time.sleep(max(0.0, upload_at - (time.perf_counter() - started)))
    t = time.perf_counter()
    print(json.dumps({"upload": app.add_files([str(staged)]).message, "upload_s": time.perf_counter() - t}), flush=True)
    time.sleep(max(0.0, delete_at - (time.perf_counter() - started)))
    t = time.perf_counter()
    print(
        json.dumps({"delete": app.delete_article("doomed.txt").message, "delete_s": time.perf_counter() - t}),
        flush=True,
    )
    sys.stdin.readline()


def questions() -> list[str]:
    records = [json.loads(line) for line in require(BBC).read_text().splitlines()]
    return [f"What happened: {r['title']}?" for r in records[::45][:40]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--warm-up", type=float, default=15.0, help="seconds of the same load before measuring")
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "ARTICLES", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        port, folder, index = args.serve
        serve(int(port), Path(folder), Path(index), args.seconds * 0.25, args.seconds * 0.5)
        return
    from gradio_client import Client

    folder, index = WORK / "soak-articles", WORK / "soak-index"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "bbc_news.jsonl").symlink_to(require(BBC))
    (folder / "doomed.txt").write_text(DOOMED)
    shutil.copytree(bbc_index(), index)  # the BBC embeddings are reused; only doomed.txt is embedded
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, __file__, "--seconds", str(args.seconds), "--serve", str(port), str(folder), str(index)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert server.stdin is not None and server.stdout is not None
    while server.stdout.readline().strip() != "ready":
        if server.poll() is not None:
            raise SystemExit("the server did not start")
    url = f"http://127.0.0.1:{port}/"
    qs = questions()
    client = Client(url, verbose=False, analytics_enabled=False)
    reference = {q: client.predict(q, api_name="/ask")["answer"] for q in qs}
    rss_sequential = rss_mb(server.pid)
    latencies: list[float] = []
    errors: list[str] = []
    answers: list[tuple[str, str]] = []
    lock = threading.Lock()

    def ask_until(stop: float, offset: int, record: bool) -> None:
        own = Client(url, verbose=False, analytics_enabled=False)
        i = offset
        while time.perf_counter() < stop:
            q = qs[i % len(qs)]
            i += 1
            t = time.perf_counter()
            try:
                result = own.predict(q, api_name="/ask")
            except Exception as exc:  # the soak counts every failure, whatever it is
                with lock:
                    errors.append(f"{q}: {exc}")
                continue
            if not record:
                continue
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)
                if result.get("error"):
                    errors.append(f"{q}: {result['error']}")
                else:
                    answers.append((q, result["answer"]))

    def clients(seconds: float, record: bool) -> list[threading.Thread]:
        stop = time.perf_counter() + seconds
        threads = [threading.Thread(target=ask_until, args=(stop, n * 7, record)) for n in range(args.clients)]
        for t in threads:
            t.start()
        return threads

    # Memory is measured from the end of a warm-up under the same load: 20 answers in flight
    # hold more than one (measured: 517 MB after sequential questions, see rss_sequential_mb);
    # the soak's question is whether it keeps growing.
    for t in clients(args.warm_up, record=False):
        t.join()
    rss_start = rss_mb(server.pid)
    server.stdin.write("go\n")
    server.stdin.flush()
    threads = clients(args.seconds, record=True)
    peak = rss_start
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mb(server.pid))
        time.sleep(0.5)
    rss_end = rss_mb(server.pid)
    events = {}
    for _ in range(2):
        events |= json.loads(server.stdout.readline())
    # BM25's term rarity moves a little when the collection changes, so an answer may be the
    # one the final index gives; anything else is wrong.
    after = {q: client.predict(q, api_name="/ask")["answer"] for q in qs}
    wrong = [q for q, text in answers if text not in (reference[q], after[q])]
    new = client.predict(NEW_QUESTION, api_name="/ask")
    gone = client.predict(GONE_QUESTION, api_name="/ask")
    server.stdin.write("stop\n")
    server.stdin.flush()
    server.terminate()
    server.wait(timeout=30)
    result = {
        "clients": args.clients,
        "seconds": args.seconds,
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "wrong_answers": len(wrong),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "requests_per_s": round(len(latencies) / args.seconds, 1),
        "rss_after_sequential_questions_mb": round(rss_sequential),
        "rss_after_warm_up_mb": round(rss_start),
        "rss_end_mb": round(rss_end),
        "rss_peak_mb": round(peak),
        "rss_growth": round(rss_end / rss_start - 1, 4),
        "upload": events.get("upload"),
        "upload_s": round(events.get("upload_s", float("nan")), 2),
        "delete": events.get("delete"),
        "delete_s": round(events.get("delete_s", float("nan")), 2),
        "new_article_answers": bool(new["found"] and "lighthouse.txt" in {c["article_id"] for c in new["citations"]}),
        "deleted_article_gone": all(c["article_id"] != "doomed.txt" for c in gone["citations"]),
        "error_samples": errors[:5],
        "wrong_samples": wrong[:5],
    }
    print(table([[k, v] for k, v in result.items() if not k.endswith("samples")], ["figure", "value"]))
    print(f"saved {save('soak', result)}")
    if errors or wrong:
        print("errors:", errors[:5], "wrong:", wrong[:5], file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    main()
