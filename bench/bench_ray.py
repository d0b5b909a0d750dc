"""Benchmark: building the BBC index on Ray (`qa index --ray`) vs the local build, same machine.

Runs `qa index --full` on the 2,225-article BBC corpus in fresh processes, back to back and
interleaved (local, Ray with 2 workers, local, Ray with 2 workers, then Ray with 1 worker) so
a neighbour's load hits both main variants alike; each Ray run starts its own local Ray, as `qa index --ray` does on
a machine without a cluster, so its startup is in the time. The load average is recorded
around every run. The Ray index must equal the local one: same passages and offsets, vectors
within 1e-5 cosine.

Then it measures the driver alone: storing already-embedded articles (unpickling what the
workers send, SQLite, BM25 terms, FAISS) is the part of a Ray build that does not spread
over workers, so its rate caps a cluster; the projection to 8 and 64 machines uses it.

    python bench/bench_ray.py                 # 2 rounds
    python bench/bench_ray.py --rounds 1
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
from common import QA, ROOT, WORK, bbc_folder, median, save, table

from qa.articles import read_articles
from qa.cluster import EmbeddedArticle, _store
from qa.config import Settings
from qa.embedding import get_encoder
from qa.preparation import prepare_article
from qa.store import BM25_DIR, DenseIndex, LexicalIndex, Manifest, Store, current_generation

VARIANTS = {"local": [], "ray-2": ["--ray", "--ray-workers", "2"], "ray-1": ["--ray", "--ray-workers", "1"]}
MACHINES = (8, 64)
PASSAGES = (1_000_000, 10_000_000)


def build(variant: str, index: Path) -> dict[str, float]:
    """One `qa index --full` in a fresh process: wall time, passages/s and the load around it."""
    shutil.rmtree(index, ignore_errors=True)
    load_before = os.getloadavg()[0]
    command = [*QA, "index", "--full", "--articles", str(bbc_folder()), "--index", str(index), "--quiet"]
    start = time.perf_counter()
    done = subprocess.run([*command, "--follow-links", *VARIANTS[variant]], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{variant} build failed:\n{done.stderr}")
    passages = Manifest.read(current_generation(index)).counts.passages
    run = {
        "variant": variant,
        "seconds": round(seconds, 1),
        "passages": passages,
        "passages_per_s": round(passages / seconds, 2),
        "load_before": round(load_before, 2),
        "load_after_1min": round(os.getloadavg()[0], 2),
    }
    print(run, flush=True)
    return run


def vectors_and_passages(index: Path) -> tuple[list[tuple[str, int, int]], np.ndarray]:
    generation = current_generation(index)
    manifest = Manifest.read(generation, catalog=True)  # a full build: one segment
    store = Store.open(generation / "store.sqlite", manifest.model.dim)
    try:
        ids = [i for a in sorted(manifest.articles) for i in store.article_passage_ids(a)]
        passages = store.passages(ids)
        spans = [(passages[i].source.article_id, passages[i].start, passages[i].end) for i in ids]
        vectors = DenseIndex.read(generation / "vectors.faiss", manifest.vector_index.factory).vectors(ids)
    finally:
        store.close()
    return spans, vectors


def compare(local: Path, on_ray: Path) -> dict[str, object]:
    """Same passages and offsets, and the largest cosine distance between their vectors."""
    spans_a, a = vectors_and_passages(local)
    spans_b, b = vectors_and_passages(on_ray)
    cosine = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"same_passages": spans_a == spans_b, "max_cosine_distance": float(1 - cosine.min())}


def driver_rate(work: Path) -> dict[str, float]:
    """Passages/s the driver stores when the embedding costs it nothing (workers did it).

    Everything a Ray build's driver does per passage after reading: unpickle the workers'
    results, store articles, sentences and terms in SQLite, add to FAISS, commit, write the
    BM25 index and the vectors. The vectors are random (their values do not change the cost).
    """
    settings = Settings()
    encoder = get_encoder(settings)
    articles = read_articles(bbc_folder(), settings.max_file_bytes, follow_links=True).articles
    rng = np.random.default_rng(0)
    payloads = []
    for position, article in enumerate(articles):
        p = prepare_article(article, encoder, settings)
        vectors = rng.standard_normal((len(p.texts), encoder.dim)).astype(np.float32)
        owned_vectors = tuple(rng.standard_normal((len(o), encoder.dim)).astype(np.float32) for o in p.owned)
        item = EmbeddedArticle(
            position, p.sentences, p.passages, tuple(map(tuple, p.owned)), p.tokens, vectors, owned_vectors
        )
        payloads.append(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    start = time.perf_counter()
    store = Store.open_for_build(work / "store.sqlite", encoder.dim, create=True)
    dense = DenseIndex.empty(encoder.dim)
    embedded = [pickle.loads(p) for p in payloads]
    for begin in range(0, len(embedded), 64):  # as they stream in: one task's articles at a time
        _store(store, dense, articles[begin : begin + 64], embedded[begin : begin + 64], "2026-01-01T00:00:00+00:00")
    store.commit()
    LexicalIndex.write(store.passage_terms(), work / BM25_DIR)
    passages = store.counts().passages
    store.close()
    dense.write(work / "vectors.faiss")
    seconds = time.perf_counter() - start
    return {"passages": passages, "seconds": round(seconds, 2), "passages_per_s": round(passages / seconds)}


def startup_cost(work: Path) -> float:
    """Seconds a Ray build costs beyond a local one when there is nothing to embed but one short
    article: starting Ray, the actors and one model each, and shutting down."""
    articles = work / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    (articles / "one.txt").write_text("title: One\n\nA single short article. It has two sentences.")
    times = {}
    for variant, extra in (("local", []), ("ray-2", VARIANTS["ray-2"])):
        shutil.rmtree(work / "index", ignore_errors=True)
        command = [*QA, "index", "--full", "--articles", str(articles), "--index", str(work / "index"), "--quiet"]
        start = time.perf_counter()
        subprocess.run([*command, *extra], capture_output=True, text=True, cwd=ROOT, check=True)
        times[variant] = time.perf_counter() - start
    return times["ray-2"] - times["local"]


def projection(per_worker: float, workers_per_machine: int, driver: float, startup_s: float) -> list[list[str]]:
    """Linear projection: hours for N passages on M machines, and whether the driver caps it."""
    rows = []
    for machines in MACHINES:
        for passages in PASSAGES:
            embed_s = passages / (per_worker * workers_per_machine * machines)
            driver_s = passages / driver
            total = max(embed_s, driver_s) + startup_s
            rows.append(
                [
                    f"{machines} × {workers_per_machine} workers",
                    f"{passages:,}",
                    f"{embed_s / 3600:.2f} h",
                    f"{driver_s / 3600:.2f} h",
                    f"{total / 3600:.2f} h",
                    "driver" if driver_s > embed_s else "workers",
                ]
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of local then Ray (2 workers)")
    args = parser.parse_args()
    indexes = {v: WORK / f"bbc-{v}-index" for v in VARIANTS}
    runs = []
    for _ in range(args.rounds):
        for variant in ("local", "ray-2"):
            runs.append(build(variant, indexes[variant]))
    runs.append(build("ray-1", indexes["ray-1"]))  # once: it only gives the per-worker rate
    same = {v: compare(indexes["local"], indexes[v]) for v in ("ray-2", "ray-1")}
    driver = driver_rate(WORK / "bbc-driver-rate")
    seconds = {v: median([r["seconds"] for r in runs if r["variant"] == v]) for v in VARIANTS}
    passages = runs[0]["passages"]
    per_worker = passages / seconds["ray-1"]
    two_workers = passages / seconds["ray-2"]
    startup = startup_cost(WORK / "bbc-ray-startup")
    result = {
        "articles": 2225,
        "passages": passages,
        "runs": runs,
        "median_seconds": seconds,
        "ray2_over_local": round(seconds["ray-2"] / seconds["local"], 3),
        "ray1_over_local": round(seconds["ray-1"] / seconds["local"], 3),
        "equal_to_local": same,
        "per_worker_passages_per_s": round(per_worker, 2),
        "two_workers_passages_per_s": round(two_workers, 2),
        "scaling_1_to_2_workers": round(two_workers / (2 * per_worker), 3),
        "driver_store": driver,
        "projection": {
            "assumes": "machines like this one (2 CPUs, 2 workers each), rates as measured, linear in workers",
            "startup_s": round(startup, 1),
            "rows": projection(per_worker, 2, driver["passages_per_s"], startup),
        },
        "load_average_1_5_15_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    print(
        table(
            [[r["variant"], r["seconds"], r["passages_per_s"], r["load_before"]] for r in runs],
            ["build", "seconds", "passages/s", "load before"],
        )
    )
    print(table(result["projection"]["rows"], ["cluster", "passages", "embedding", "driver", "total", "bound by"]))
    print({k: v for k, v in result.items() if k not in ("runs", "projection")})
    print(f"saved {save('ray', result)}")


if __name__ == "__main__":
    main()
