"""Benchmarks 4 and 5: cold start and memory, on the BBC index.

* `qa ask` as a whole process (spawn to exit), median of 5.
* `qa serve` from spawn until its /ask API returns a correct answer, median of 3.
* peak RSS of `qa serve` after it answered 20 questions; index size on disk per passage.

    python bench/bench_startup.py
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request

from common import QA, ROOT, bbc_folder, bbc_index, median, no_options, peak_rss_mb, save, table

from qa.store import Manifest, current_generation

QUESTION = "What did the Bank of England decide about interest rates?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask_api(port: int, question: str, timeout: float = 2.0) -> dict | None:
    """One call of the /ask endpoint over plain HTTP; None while the server is not up."""
    base = f"http://127.0.0.1:{port}/gradio_api/call/ask"
    try:
        # plain HTTP gets no defaults: every input of /ask is sent
        payload = {"data": [question, [], 3, "hybrid", "", "", []]}
        request = urllib.request.Request(
            base, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        event = json.loads(urllib.request.urlopen(request, timeout=timeout).read())["event_id"]
        stream = urllib.request.urlopen(f"{base}/{event}", timeout=30).read().decode()
    except OSError:
        return None
    for block in stream.split("\n\n"):
        if block.startswith("event: complete"):
            return json.loads(block.split("data:", 1)[1])[0]
    return None


def cold_ask(index: str) -> float:
    start = time.perf_counter()
    subprocess.run([*QA, "ask", QUESTION, "--index", index], check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def serve_ready(
    index: str,
    questions: int = 0,
    extra: tuple[str, ...] = ("--follow-links",),
    question: str = QUESTION,
    found: bool = True,
) -> tuple[float, float]:
    """Seconds until `qa serve` answers, and its peak RSS (MB) after `questions` more.

    With `found`, the first answer must be found (the BBC question is answerable); without
    it, any answer that is not an error counts (synthetic indexes answer what they can).
    """
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*QA, "serve", "--articles", str(bbc_folder()), "--index", index, "--port", str(port), *extra],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit("qa serve exited early")
            if time.perf_counter() - start > 300:
                raise SystemExit("qa serve did not answer within 300 s")
            result = ask_api(port, question)
            if result is not None:
                assert "error" not in result and (result["found"] or not found), result
                ready = time.perf_counter() - start
                break
            time.sleep(0.1)
        for i in range(questions):
            ask_api(port, f"{question} ({i})")
        return ready, peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    no_options(__doc__)
    index = str(bbc_index())
    cold_ask(index)  # the first run also fills the OS file cache, as on a used machine
    asks = [cold_ask(index) for _ in range(5)]
    serves, rss = zip(*[serve_ready(index, questions=20) for _ in range(3)])
    generation = current_generation(bbc_index())
    size = sum(p.stat().st_size for p in generation.rglob("*") if p.is_file())
    passages = Manifest.read(generation).counts.passages
    result = {
        "qa_ask_cold_s": round(median(asks), 2),
        "qa_serve_ready_s": round(median(serves), 2),
        "qa_serve_peak_rss_mb": round(max(rss)),
        "index_bytes": size,
        "passages": passages,
        "index_bytes_per_passage": round(size / passages),
    }
    print(table([[k, v] for k, v in result.items()], ["figure", "value"]))
    print(f"saved {save('startup', result)}")


if __name__ == "__main__":
    main()
