"""Benchmark 1: building the BBC index vs. the encoder's floor, in one run.

Builds the 2,225-article BBC corpus with `qa index --full` (a fresh process, as a user
runs it), then encodes exactly the texts that index embedded with plain
`SentenceTransformer.encode` (same model, same batch size): the issue's floor. It also
times the project's own encoder (ONNX Runtime) on the same texts, to show the overhead of
everything that is not the model.

    python bench/bench_build.py
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time

from common import QA, ROOT, WORK, bbc_folder, save, table

from qa.config import Settings
from qa.embedding import get_encoder, resolve_model
from qa.index import current_generation, read_manifest


def build(index: str) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of `qa index --full`."""
    start = time.perf_counter()
    proc = subprocess.Popen([*QA, "index", "--full", "--articles", str(bbc_folder()), "--index", index, "--quiet"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"qa index failed: {proc.stderr.read()}")
    print(proc.stdout.read())
    return seconds, usage.ru_maxrss / 1024


def embedded_texts(index: str) -> list[str]:
    db = sqlite3.connect(current_generation(WORK / "bbc-index") / "store.sqlite")
    rows = db.execute("SELECT a.title, a.body, p.start, p.end FROM passages p JOIN articles a ON a.id = p.article "
                      "ORDER BY p.id").fetchall()
    return [f"{title}\n{body[start:end]}" for title, body, start, end in rows]


def main() -> None:
    index = WORK / "bbc-index"
    build_s, rss_mb = build(str(index))
    manifest = read_manifest(current_generation(index))
    texts = embedded_texts(str(index))
    settings = Settings()
    encoder = get_encoder(settings)
    db = sqlite3.connect(current_generation(index) / "store.sqlite")
    titles, bodies = zip(*db.execute("SELECT title, body FROM articles"))
    corpus_tokens = sum(encoder.count_tokens(list(titles))) + sum(encoder.count_tokens(list(bodies)))
    embedded_tokens = manifest["build"]["tokens_embedded"]

    start = time.perf_counter()
    encoder.encode_passages(texts, [[] for _ in texts], settings.batch_size)
    onnx_s = time.perf_counter() - start

    os.environ["HF_HUB_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(resolve_model(settings.model)), device="cpu")
    start = time.perf_counter()
    model.encode(texts, batch_size=settings.batch_size)
    raw_s = time.perf_counter() - start

    result = {
        "articles": manifest["counts"]["articles"], "passages": manifest["counts"]["passages"],
        "sentences": manifest["counts"]["sentences"],
        "build_s": round(build_s, 1), "raw_encode_s": round(raw_s, 1), "onnx_encode_s": round(onnx_s, 1),
        "overhead_ratio_vs_raw_encode": round(build_s / raw_s, 3),
        "ratio_vs_own_encoder": round(build_s / onnx_s, 3),
        "corpus_tokens": corpus_tokens, "tokens_embedded": embedded_tokens,
        "tokens_embedded_ratio": round(embedded_tokens / corpus_tokens, 3),
        "raw_encode_tokens_per_s": round(embedded_tokens / raw_s), "articles_per_s": round(2225 / build_s, 2),
        "peak_rss_mb": round(rss_mb), "batch_size": settings.batch_size,
    }
    print(table([[k, v] for k, v in result.items()], ["figure", "value"]))
    print(f"saved {save('build', result)}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
