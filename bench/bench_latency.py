"""Benchmark 2: answer latency over the BBC index, in-process.

200 deterministic questions written from the articles (100 from headlines, 100 from the
opening words of a sentence), asked three times each: `retrieve` (hybrid, and the dense
and bm25 modes to compare with other tools), `answer` (with the reader) and
`answer(fast=True)` p50/p95, and the part spent encoding the question. Then one short
question encoded 50 times three ways, to show where `SentenceTransformer.encode`'s time goes.

    python bench/bench_latency.py
"""

from __future__ import annotations

import json
import os
import time

import numpy as np
from common import BBC, bbc_index, median, no_options, percentile, require, save, table

from qa import Settings, answer, load_index, retrieve
from qa.retrieval import prepare_query
from qa.splitting import split_sentences

QUESTION = "What tariffs did Trudeau impose?"


def questions() -> list[str]:
    records = [json.loads(line) for line in require(BBC).read_text().splitlines()]
    out = []
    for record in records[::22][:100]:
        out.append(f"What happened: {record['title']}?")
        sentences = split_sentences(record["text"])
        words = sentences[min(2, len(sentences) - 1)].text.split()[:9]
        out.append(" ".join(words).rstrip(".,;:") + "?")
    return out


def timings(index: object, qs: list[str], rounds: int = 3) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {
        "encode": [],
        "retrieve": [],
        "retrieve_dense": [],
        "retrieve_bm25": [],
        "answer": [],
        "answer_fast": [],
    }
    for _ in range(rounds):
        for q in qs:
            start = time.perf_counter()
            prepare_query(q, index)
            out["encode"].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            retrieve(q, k=5, index=index)
            out["retrieve"].append((time.perf_counter() - start) * 1000)
            for mode in ("dense", "bm25"):  # the single modes, for the peers' figures
                start = time.perf_counter()
                retrieve(q, k=5, index=index, mode=mode)
                out[f"retrieve_{mode}"].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            answer(q, index=index)
            out["answer"].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            answer(q, index=index, fast=True)
            out["answer_fast"].append((time.perf_counter() - start) * 1000)
    return out


def encoder_breakdown(index: object) -> dict[str, float]:
    """Where one short question's encoding time goes (p50 of 50, ms)."""
    encoder = index.encoder
    tok = encoder._tokenizer
    steps: dict[str, list[float]] = {"tokenize": [], "onnx_model": [], "pool": [], "encode_queries": []}
    for _ in range(50):
        t0 = time.perf_counter()
        enc = tok.encode(QUESTION)
        ids = np.array([enc.ids], dtype=np.int64)
        mask = np.ones_like(ids)
        t1 = time.perf_counter()
        tokens = encoder._token_embeddings(ids, mask, np.zeros_like(ids))
        t2 = time.perf_counter()
        encoder._pool(tokens[0])
        t3 = time.perf_counter()
        encoder.encode_queries([QUESTION])
        t4 = time.perf_counter()
        for name, value in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            steps[name].append(value * 1000)
    result = {f"{k}_ms": round(median(v), 3) for k, v in steps.items()}

    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    from qa.embedding import resolve_model

    model = SentenceTransformer(str(resolve_model(index.settings.model)), device="cpu")
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        model.encode([QUESTION])
        st = []
        for _ in range(50):
            start = time.perf_counter()
            model.encode([QUESTION])
            st.append((time.perf_counter() - start) * 1000)
        result[f"sentence_transformers_encode_{threads}_threads_ms"] = round(median(st), 2)
    with torch.inference_mode():
        features = model.tokenize([QUESTION])
        direct = []
        for _ in range(50):
            start = time.perf_counter()
            model[0].auto_model(**features)
            direct.append((time.perf_counter() - start) * 1000)
    result["torch_model_call_only_ms"] = round(median(direct), 2)
    return result


def main() -> None:
    no_options(__doc__)
    index = load_index(bbc_index(), Settings())
    qs = questions()
    for q in qs[:10]:  # warm up caches and the model
        answer(q, index=index)
    t = timings(index, qs)
    result = {"questions": len(qs), "rounds": 3, "passages": index.counts.passages}
    for name, values in t.items():
        result[f"{name}_p50_ms"] = round(percentile(values, 50), 2)
        result[f"{name}_p95_ms"] = round(percentile(values, 95), 2)
    result["encoder"] = encoder_breakdown(index)
    rows = [[k, v] for k, v in result.items() if k != "encoder"] + [[k, v] for k, v in result["encoder"].items()]
    print(table(rows, ["figure", "value"]))
    print(f"saved {save('latency', result)}")


if __name__ == "__main__":
    main()
