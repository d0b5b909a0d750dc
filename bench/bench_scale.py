"""Scale: 10k, 100k and 1M passages in the project's own index format, answered through
the project's own answer path.

Embedding 1M passages would take ~30 hours here, so the vectors are synthetic: real
MiniLM vectors of BBC passages and sentences plus noise (so that nearest neighbours are
spread like real ones, not like random Gaussians, which no approximate index handles).
The text is real: BBC sentences, three new ones per passage (plus the one-sentence
overlap), ten passages per article. Questions are real and encoded by the real model.

For each size: time and peak memory to build the vector index (FAISS, type chosen by the
same rule as `qa index`) and the lexical index (bm25s over passages, as `qa index` writes
it), vector search p50 and recall@10 against exact search, lexical query p50 (BM25 top 50
passages), and `answer()` p50/p95 with the peak RSS of a fresh process that loads the index
and answers 200 questions.

    python bench/bench_scale.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from common import RESULTS, ROOT, WORK, bbc_index, peak_rss_mb, percentile, reset_peak_rss, save, table

from qa.articles import read_articles, read_file
from qa.config import Settings
from qa.embedding import get_encoder
from qa.store import BM25_DIR, STORE_FILE, VECTORS_FILE, LexicalIndex, Manifest, Store, bm25_terms, current_generation
from qa.store.dense import target_factory
from qa.store.layout import publish_generation
from qa.store.manifest import VectorIndexInfo, describe_files, settings_fingerprint
from qa.store.store import NewPassage, NewSentence

SENTENCES_PER_PASSAGE = 3
PASSAGES_PER_ARTICLE = 10
NOISE = 0.045  # per-dimension noise; keeps synthetic neighbourhoods like real ones


def real_material() -> tuple[list[str], list[str], np.ndarray]:
    """BBC sentences (text), titles, and real vectors of BBC sentences to perturb."""
    gen = current_generation(bbc_index())
    store = Store.open(gen / STORE_FILE, dim=384)
    passages = store.passages(range(1, store.counts().passages + 1))
    spans = {sid: (p.body, a, b) for p in passages.values() for sid, (a, b) in zip(p.sentence_ids, p.sentence_spans)}
    ids = sorted(spans)
    texts = [body[a:b] for body, a, b in (spans[i] for i in ids)]
    vectors = store.sentence_vectors(ids)
    titles = [a.source.title for a in store.articles()]
    return texts, titles, vectors


def synthetic(seeds: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Mixtures of two real vectors plus noise, normalised."""
    a, b = rng.integers(0, len(seeds), count), rng.integers(0, len(seeds), count)
    mix = rng.uniform(0.6, 1.0, (count, 1)).astype(np.float32)
    out = mix * seeds[a] + (1 - mix) * seeds[b] + rng.normal(0, NOISE, (count, seeds.shape[1])).astype(np.float32)
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def build(
    size: int, texts: list[str], titles: list[str], seeds: np.ndarray, sentence_terms: list[str], title_terms: list[str]
) -> dict:
    """Write an index of `size` passages in the project's format; return build timings."""
    import faiss

    folder = WORK / f"scale-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    work = folder / ".build-scale"
    work.mkdir(parents=True)
    rng = np.random.default_rng(size)
    reset_peak_rss()
    store = Store.open_for_build(work / STORE_FILE, seeds.shape[1], create=True)
    articles = size // PASSAGES_PER_ARTICLE
    per_article = PASSAGES_PER_ARTICLE * SENTENCES_PER_PASSAGE + 1
    # The articles are files too, so that `qa index` can update this index (bench_updates.py).
    folder_of_articles = articles_folder(size)
    shutil.rmtree(folder_of_articles, ignore_errors=True)
    folder_of_articles.mkdir(parents=True)
    store_s = 0.0
    sentence_count = 0
    chunk = 2000
    for begin in range(0, articles, chunk):
        sentence_vectors = synthetic(seeds, min(chunk, articles - begin) * per_article, rng)
        k = 0
        for a in range(begin, min(begin + chunk, articles)):
            picks = rng.integers(0, len(texts), per_article)
            path = folder_of_articles / f"{a // 1000:03d}" / f"scale-{a}.txt"
            path.parent.mkdir(exist_ok=True)
            title = f"{titles[a % len(titles)]} ({a})"
            path.write_text(f"title: {title}\ndate: 2025-01-01\nsource: Scale\n\n" + " ".join(texts[i] for i in picks))
            article = read_file(path, path.relative_to(folder_of_articles).as_posix()).articles[0]
            t0 = time.perf_counter()
            body, spans, at = article.body, [], 0
            for i in picks:  # where each sentence landed in the body as read back
                start = body.find(texts[i].strip(), at)
                spans.append((start, start + len(texts[i].strip())))
                at = spans[-1][1]
            sentences = [
                NewSentence(s, e, sentence_vectors[k + n], sentence_terms[picks[n]]) for n, (s, e) in enumerate(spans)
            ]
            k += per_article
            passages = []
            for p in range(PASSAGES_PER_ARTICLE):
                first, last = p * SENTENCES_PER_PASSAGE, (p + 1) * SENTENCES_PER_PASSAGE
                terms = " ".join([title_terms[a % len(titles)], *(sentence_terms[i] for i in picks[first : last + 1])])
                passages.append(NewPassage(first, last, spans[first][0], spans[last][1], terms))
            store.add_article(article, sentences, passages, "2025-01-01T00:00:00+00:00")
            sentence_count += len(sentences)
            store_s += time.perf_counter() - t0
        print(f"  {size}: {(begin + chunk) * PASSAGES_PER_ARTICLE} passages written", end="\r", flush=True)
    store.commit()
    t0 = time.perf_counter()
    LexicalIndex.write(store.passage_terms(), work / BM25_DIR)
    bm25_s = time.perf_counter() - t0
    counts = store.counts()
    hashes = store.content_hashes()
    store.close()
    lexical_rss = peak_rss_mb()

    reset_peak_rss()
    # In chunks: the mixing temporaries of one 1M x 384 call would dwarf the index itself.
    vectors = np.concatenate([synthetic(seeds, min(100_000, size - i), rng) for i in range(0, size, 100_000)])
    np.save(folder / "passage_vectors.npy", vectors)
    factory = target_factory("auto", size, "Flat")
    t0 = time.perf_counter()
    if factory == "Flat":
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
    else:
        index = faiss.index_factory(vectors.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        index.train(vectors[rng.choice(size, min(size, 64 * index.nlist), replace=False)])
    index.add_with_ids(vectors, np.arange(1, size + 1, dtype=np.int64))
    vector_s = time.perf_counter() - t0
    faiss.write_index(index, str(work / VECTORS_FILE))

    settings = Settings(index_dir=folder)
    encoder = get_encoder(settings)
    manifest = Manifest(
        model=encoder.info,
        settings=settings_fingerprint(encoder.info.fingerprint, settings),
        counts=counts,
        vector_index=VectorIndexInfo(factory, size),
        articles=hashes,
        sources=read_articles(folder_of_articles).files,
        files={},
        built_at="2025-01-01T00:00:00+00:00",
        passage_tokens=settings.passage_tokens,
        overlap_sentences=settings.overlap_sentences,
    )
    manifest.write_catalog(work)
    replace(manifest, files=describe_files(work)).write(work)
    publish_generation(folder, work)
    size_bytes = sum(p.stat().st_size for p in current_generation(folder).rglob("*") if p.is_file())
    return {
        "factory": factory,
        "store_and_bm25_peak_rss_mb": round(lexical_rss),
        "vectors_peak_rss_mb": round(peak_rss_mb()),
        "vector_build_s": round(vector_s, 1),
        "bm25_build_s": round(bm25_s, 1),
        "store_write_s": round(store_s, 1),
        "index_bytes": size_bytes,
        "sentences": counts.sentences,
    }


def articles_folder(size: int) -> Path:
    """Where the articles of the synthetic index of `size` passages are written."""
    return WORK / f"scale-{size}-articles"


def vector_quality(size: int, seeds: np.ndarray) -> dict:
    """Search p50 and recall@10 of the built vector index against exact search."""
    import faiss

    from qa.index import load_index

    folder = WORK / f"scale-{size}"
    vectors = np.load(folder / "passage_vectors.npy")
    queries = synthetic(seeds, 200, np.random.default_rng(1))
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    _, truth = exact.search(queries, 10)
    index = load_index(folder, Settings())
    times, hits = [], 0
    for q, t in zip(queries, truth):
        start = time.perf_counter()
        found = index.dense.search(q, 10)
        times.append((time.perf_counter() - start) * 1000)
        hits += len({pid - 1 for pid, _ in found} & set(t.tolist()))
    return {
        "vector_p50_ms": round(percentile(times, 50), 2),
        "vector_p95_ms": round(percentile(times, 95), 2),
        "vector_recall@10": round(hits / (10 * len(queries)), 4),
    }


ANSWER_PROBE = """
import json, sys, time
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
from bench_latency import questions
from common import peak_rss_mb
from qa import Settings, answer, load_index
from qa.store import bm25_terms
t = time.perf_counter()
index = load_index({folder!r}, Settings())  # every file's XXH3 checked against the manifest
load_s = time.perf_counter() - t
qs = questions()
for q in qs[:5]:
    answer(q, index=index)
lex, ans = [], []
for q in qs:
    terms = bm25_terms([q])[0]
    t = time.perf_counter()
    index.lexical.top(index.lexical.scores(terms), 50)
    lex.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter(); answer(q, index=index); ans.append((time.perf_counter() - t) * 1000)
rss = peak_rss_mb()
print(json.dumps({{"lex": lex, "answer": ans, "rss": rss, "load_s": load_s}}))
"""


def answer_path(size: int) -> dict:
    code = ANSWER_PROBE.format(root=str(ROOT), bench=str(ROOT / "bench"), folder=str(WORK / f"scale-{size}"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "lexical_p50_ms": round(percentile(data["lex"], 50), 2),
        "lexical_p95_ms": round(percentile(data["lex"], 95), 2),
        "answer_p50_ms": round(percentile(data["answer"], 50), 2),
        "answer_p95_ms": round(percentile(data["answer"], 95), 2),
        "answer_path_peak_rss_mb": round(data["rss"]),
        "load_index_verified_s": round(data["load_s"], 2),
    }


def serve(size: int) -> dict:
    """`qa serve --no-index` on the index, from spawn until /ask answers (files verified on load)."""
    from bench_startup import serve_ready

    question = "What did the government say about the economy?"
    ready, rss = serve_ready(str(WORK / f"scale-{size}"), extra=("--no-index",), question=question, found=False)
    return {"qa_serve_ready_s": round(ready, 2), "qa_serve_peak_rss_mb": round(rss)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--keep", action="store_true", help="keep the built indexes")
    parser.add_argument(
        "--measure-only", action="store_true", help="measure the indexes kept by an earlier --keep run; build nothing"
    )
    args = parser.parse_args()
    texts, titles, seeds = real_material()
    # Terms are per word, so a passage's terms are its title's plus its sentences'.
    sentence_terms = [" ".join(t) for t in bm25_terms(texts)]
    title_terms = [" ".join(t) for t in bm25_terms(titles)]
    results: dict[str, dict] = {}
    saved = RESULTS / "scale.json"
    results_before = json.loads(saved.read_text()).get("sizes", {}) if saved.exists() else {}
    for size in args.sizes:
        figures = {} if args.measure_only else build(size, texts, titles, seeds, sentence_terms, title_terms)
        figures |= vector_quality(size, seeds)
        figures |= answer_path(size)
        figures |= serve(size)
        results[str(size)] = (results_before.get(str(size), {}) if args.measure_only else {}) | figures
        print(f"\n{size}: {json.dumps(figures)}", flush=True)
        if not args.keep and not args.measure_only:
            shutil.rmtree(WORK / f"scale-{size}", ignore_errors=True)
            shutil.rmtree(articles_folder(size), ignore_errors=True)
    previous = RESULTS / "scale.json"  # a run of some sizes keeps the other sizes' results
    if previous.exists():
        results = json.loads(previous.read_text()).get("sizes", {}) | results
    names = list(dict.fromkeys(k for figures in results.values() for k in figures))
    print(table([[n, *(results[s].get(n) for s in results)] for n in names], ["figure", *results]))
    print(
        f"saved {save('scale', {'sizes': results, 'synthetic': 'real BBC vectors mixed + noise; real BBC sentences'})}"
    )


if __name__ == "__main__":
    main()
