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
import subprocess
import time

from common import QA, ROOT, WORK, bbc_folder, no_options, save, table

from qa.config import Settings
from qa.embedding import get_encoder, resolve_model
from qa.store import Manifest, Store, current_generation


def build(index: str) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of `qa index --full`."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*QA, "index", "--full", "--articles", str(bbc_folder()), "--index", index, "--quiet", "--follow-links"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"qa index failed: {proc.stderr.read()}")
    print(proc.stdout.read())
    return seconds, usage.ru_maxrss / 1024


def embedded_texts(store: Store) -> list[str]:
    """What the build embedded: each passage with its title (passage ids are 1..n after a full build)."""
    passages = store.passages(range(1, store.counts().passages + 1))
    return [f"{p.source.title}\n{p.text}" for _, p in sorted(passages.items())]


def main() -> None:
    no_options(__doc__)
    index = WORK / "bbc-index"
    build_s, rss_mb = build(str(index))
    generation = current_generation(index)
    manifest = Manifest.read(generation)
    store = Store.open(generation / "store.sqlite", manifest.model.dim)
    texts = embedded_texts(store)
    settings = Settings()
    encoder = get_encoder(settings)
    titles = [a.source.title for a in store.articles()]
    firsts = [store.article_passage_ids(a.source.article_id)[0] for a in store.articles()]
    bodies = [p.body for p in store.passages(firsts).values()]
    corpus_tokens = sum(encoder.count_tokens(titles)) + sum(encoder.count_tokens(bodies))
    embedded_tokens = manifest.tokens_embedded

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
        "articles": manifest.counts.articles,
        "passages": manifest.counts.passages,
        "sentences": manifest.counts.sentences,
        "build_s": round(build_s, 1),
        "raw_encode_s": round(raw_s, 1),
        "onnx_encode_s": round(onnx_s, 1),
        "overhead_ratio_vs_raw_encode": round(build_s / raw_s, 3),
        "ratio_vs_own_encoder": round(build_s / onnx_s, 3),
        "corpus_tokens": corpus_tokens,
        "tokens_embedded": embedded_tokens,
        "tokens_embedded_ratio": round(embedded_tokens / corpus_tokens, 3),
        "raw_encode_tokens_per_s": round(embedded_tokens / raw_s),
        "articles_per_s": round(2225 / build_s, 2),
        "peak_rss_mb": round(rss_mb),
        "batch_size": settings.batch_size,
    }
    print(table([[k, v] for k, v in result.items()], ["figure", "value"]))
    print(f"saved {save('build', result)}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
