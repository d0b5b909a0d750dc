"""Comparing two built indexes: everything a build decides (tests of the Ray build and of
articles copied instead of embedded again)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.store import Manifest, current_generation, open_segments


def snapshot(index_dir: Path) -> dict:
    """Everything a build decides: articles, passages (ids, offsets, sentences), and the vectors."""
    generation = current_generation(index_dir)
    manifest = Manifest.read(generation, catalog=True)
    store, dense = open_segments(generation, manifest.model.dim, manifest.vector_index.factory)
    try:
        ids = [i for a in sorted(manifest.articles) for i in store.article_passage_ids(a)]
        passages = store.passages(ids)
        sentence_ids = list(dict.fromkeys(s for i in ids for s in passages[i].sentence_ids))  # article order
        return {
            "articles": manifest.articles,
            "counts": manifest.counts,
            "passage_ids": ids,
            "passages": [(passages[i].source.article_id, passages[i].start, passages[i].end) for i in ids],
            "sentences": [passages[i].sentence_spans for i in ids],
            "passage_vectors": dense.vectors(ids),
            "sentence_vectors": store.sentence_vectors(sentence_ids),
        }
    finally:
        store.close()


def assert_same_index(got: dict, want: dict, same_ids: bool = True) -> None:
    for key in ("articles", "counts", "passages", "sentences", *(("passage_ids",) if same_ids else ())):
        assert got[key] == want[key], key
    for key in ("passage_vectors", "sentence_vectors"):
        assert got[key].shape == want[key].shape
        cosine = np.sum(got[key] * want[key], axis=1) / (
            np.linalg.norm(got[key], axis=1) * np.linalg.norm(want[key], axis=1)
        )
        assert cosine.min() >= 1 - 1e-5, key
