"""Sentence vectors: stored at index time (in context) or computed at query time?

On a sample of SQuAD v1.1 dev questions, over the `qa eval` SQuAD index, three designs
answer the same questions (abstention off, so only the choice of sentences counts):

* stored: the index's sentence vectors, pooled from each passage's single forward pass
  (what the project does; costs no extra embedding at build or query time);
* query time: every candidate sentence encoded on its own when the question comes (the
  alternative; its cost per question is measured without any cache);
* none: no sentence vectors; sentences scored by BM25 and their passage only.

    python bench/bench_sentence_vectors.py [--sample 1000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import SQUAD, WORK, percentile, require, require_index, save, table

import qa.answering as answering
import qa.retrieval as retrieval
from qa.config import Settings
from qa.evaluation import contains_answer, load_squad
from qa.index import load_index


def run(index: object, questions: list, label: str) -> dict:
    hit1 = hit3 = 0
    for q in questions:
        result = answering.answer(q.question, index=index)
        texts = [s.text for s in result.sentences]
        hit1 += contains_answer(texts[:1], q.answers)
        hit3 += contains_answer(texts[:3], q.answers)
    return {
        "design": label,
        "sentence_hit@1": round(hit1 / len(questions), 4),
        "sentence_hit@3": round(hit3 / len(questions), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--index", default=str(WORK / "squad-index"), help="an index built by qa eval --index")
    args = parser.parse_args()
    index_dir = require_index(Path(args.index), SQUAD, "squad")
    _, questions = load_squad(require(SQUAD))
    questions = questions[:: max(1, len(questions) // args.sample)][: args.sample]
    settings = Settings(index_dir=index_dir, max_file_mb=1024, abstain_below=0.0)
    index = load_index(settings.index_dir, settings)
    rows = [run(index, questions, "stored, in context (the project)")]

    stored = index.store.sentence_vectors
    cache: dict[int, np.ndarray] = {}
    costs: list[float] = []

    def standalone(ids: list[int]) -> np.ndarray:
        """Each sentence encoded alone; the time a query-time design would spend is recorded."""
        missing = [i for i in ids if i not in cache]
        if missing:
            texts = index.store.sentence_texts(missing)
            start = time.perf_counter()
            vectors = index.encoder.encode_queries([texts[i] for i in missing])
            costs.append((time.perf_counter() - start) * 1000 * len(ids) / len(missing))
            cache.update(zip(missing, vectors))
        return np.stack([cache[i] for i in ids]) if ids else stored(ids)

    index.store.sentence_vectors = standalone  # type: ignore[method-assign]
    rows.append(run(index, questions, "computed at query time, one by one"))
    index.store.sentence_vectors = stored  # type: ignore[method-assign]

    retrieval.MODE_WEIGHTS["hybrid"] = retrieval.Weights(0.5, 0.5, 0.0, 0.2)
    answering.SENTENCE_WEIGHTS["hybrid"] = (0.0, 0.15, 0.6)
    rows.append(run(index, questions, "none (BM25 + passage only)"))
    query_time_ms = percentile(costs, 50) if costs else float("nan")
    result = {
        "questions": len(questions),
        "designs": rows,
        "query_time_encoding_p50_ms_per_question": round(query_time_ms, 1),
        "note": "query-time cost is the encoding of the candidate sentences alone, per question",
    }
    print(
        table(
            [[r["design"], r["sentence_hit@1"], r["sentence_hit@3"]] for r in rows],
            ["sentence vectors", "hit@1", "hit@3"],
        )
    )
    print(f"query-time design: +{query_time_ms:.0f} ms per question to encode its candidate sentences")
    print(f"saved {save('sentence_vectors', result)}")


if __name__ == "__main__":
    main()
