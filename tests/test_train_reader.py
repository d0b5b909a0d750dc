"""The reader's shipping gate on the seed article (training/train_reader.py)."""

import numpy as np
import pytest

from qa.reader import MODEL_DIR, Reader
from training.train_reader import seed_checks


@pytest.mark.model
def test_the_shipped_reader_passes_the_seed_checks() -> None:
    assert seed_checks(MODEL_DIR / "reader.onnx", MODEL_DIR / "tokenizer.json") == []


@pytest.mark.model
def test_a_reader_that_finds_no_answer_fails_every_seed_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_answer(self: Reader, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits = np.full(ids.shape, -10.0, dtype=np.float32)
        logits[:, 0] = 10.0  # [CLS]: "no answer here" in every window
        return logits, logits.copy()

    monkeypatch.setattr(Reader, "_logits", no_answer)
    failures = seed_checks(MODEL_DIR / "reader.onnx", MODEL_DIR / "tokenizer.json")
    assert len(failures) == 2
    assert failures[0].startswith("'What tariffs did Trudeau impose?' leads with '(not found)'")
    assert failures[1].startswith("'How did China respond?' leads with '(not found)'")
