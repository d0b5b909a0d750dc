"""The reader's shipping gate on the seed article (training/train_reader.py)."""

import json

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


# -- recipe v5: shared normalization over a question's windows -----------------------------


def _rows(lengths: list[int], starts: list[int]) -> list:
    from types import SimpleNamespace

    # batching reads only the encoded windows' lengths
    return [(SimpleNamespace(ids=(1,) * n), s, s) for n, s in zip(lengths, starts)]


def test_group_batches_keep_each_questions_windows_together_and_use_every_row() -> None:
    import random

    from training.train_reader import make_group_batches

    groups = [g for g in range(30) for _ in range(4)]  # 30 questions, 4 windows each
    rows = _rows([20 + (7 * i) % 90 for i in range(len(groups))], [5 if i % 4 == 0 else 0 for i in range(120)])
    group_of = {id(r): g for r, g in zip(rows, groups)}
    batches = make_group_batches(rows, groups, 1024, random.Random(0))
    seen = []
    for batch, sizes in batches:
        assert sum(sizes) == len(batch)
        assert len(batch) * max(len(r[0].ids) for r in batch) <= 1024 or len(sizes) == 1
        at = 0
        for n in sizes:
            ids = {group_of[id(r)] for r in batch[at : at + n]}
            assert len(ids) == 1 and n == 4  # one question, all of its windows
            at += n
        seen.extend(id(r) for r in batch)
    assert sorted(seen) == sorted(id(r) for r in rows)


def test_shared_norm_loss_falls_as_the_answer_outscores_the_other_windows() -> None:
    torch = pytest.importorskip("torch")
    from training.train_reader import shared_norm_loss

    ok = torch.ones(2, 3, dtype=torch.bool)
    starts = ends = torch.tensor([1, 0])  # window 0 holds the answer at token 1; window 1 none

    def loss(answer: float, other: float, shift: float = 0.0) -> float:
        s = torch.tensor([[0.0, answer, 0.0], [shift, shift + 1.0, shift + other]])
        return float(shared_norm_loss(s, s, ok, starts, ends, [2]))

    assert loss(8.0, 2.0) < loss(3.0, 2.0) < loss(3.0, 6.0)
    # scores count relative to each window's own null ([CLS]), as the run-time window score
    # does: moving a whole window's logits, null included, changes nothing
    assert loss(3.0, 6.0, shift=5.0) == pytest.approx(loss(3.0, 6.0))
    # a question read without its positive window has nothing to normalise
    assert float(shared_norm_loss(torch.zeros(2, 3), torch.zeros(2, 3), ok, torch.tensor([0, 0]), ends, [2])) == 0.0


@pytest.mark.model
# The exporter's own notes on tracing (transformers' masking, opset 17's indexing): about the
# graph's general use, not this export, whose weights the test compares exactly.
@pytest.mark.filterwarnings(
    "ignore:Converting a tensor to a Python boolean", "ignore:Exporting aten.*advanced indexing:UserWarning"
)
def test_weights_read_back_from_an_onnx_export_are_the_models_own(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from training.train_reader import build_model, export_onnx, state_from_onnx

    torch.manual_seed(0)
    model = build_model()
    model.eval()
    sample = (np.array([[101, 2054, 102, 3000, 102]]), np.ones((1, 5), dtype=np.int64), np.array([[0, 0, 0, 1, 1]]))
    assert export_onnx(model, tmp_path / "m.onnx", sample) < 1e-3
    fresh = build_model()  # another random head: only reading the file can make it equal
    read = state_from_onnx(tmp_path / "m.onnx", fresh)
    for key, value in model.state_dict().items():
        assert torch.allclose(read[key], value, atol=1e-6), key


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--dev", "/nonexistent/dev.json"], "--dev /nonexistent/dev.json: no such file"),
        (["--train-tokens", "0"], "--train-tokens must be positive, not 0"),
        (["--recipe", "v3", "--init", "/nonexistent/v2.pt"], "train v2 first, or pass --init"),
    ],
)
def test_bad_training_arguments_are_refused_before_any_work(tmp_path, capsys, extra, said) -> None:
    # a wrong --dev path failed after ~95 minutes of training, as a traceback
    from training.train_reader import parse_args

    squad = tmp_path / "train.json"
    squad.write_text('{"data": []}')
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--squad", str(squad), *extra])
    assert exit_.value.code == 2 and said in capsys.readouterr().err


# -- training.measure ------------------------------------------------------------------------


def test_measure_names_a_squad_file_that_does_not_exist(tmp_path, capsys) -> None:
    # was a FileNotFoundError traceback
    from training.measure import main

    with pytest.raises(SystemExit) as exit_:
        main(["--squad", str(tmp_path / "nope.json")])
    assert exit_.value.code == 2 and f"--squad {tmp_path / 'nope.json'}: no such file" in capsys.readouterr().err


def test_measure_heldout_refuses_a_file_without_the_readers_held_out_articles(tmp_path, capsys) -> None:
    # SQuAD dev passed the same way drew 16 dev articles and reported them as held out.
    from training.measure import main

    dev = tmp_path / "dev-v1.1.json"
    dev.write_text(json.dumps({"version": "1.1", "data": [{"title": "Super_Bowl_50", "paragraphs": []}]}))
    with pytest.raises(SystemExit) as exit_:
        main(["--squad", str(dev), "--heldout"])
    assert exit_.value.code == 2 and "--heldout needs SQuAD train" in capsys.readouterr().err


def test_a_file_holding_the_held_out_articles_passes_as_squad_train(tmp_path) -> None:
    from training.measure import HELD_OUT, not_squad_train

    train = tmp_path / "train.json"
    articles = [{"title": t.replace(" ", "_"), "paragraphs": []} for t in ("Beyoncé", *HELD_OUT)]
    train.write_text(json.dumps({"version": "1.1", "data": articles}))
    assert not_squad_train(train) is None
    train.write_text("[]")
    assert "not a SQuAD v1.1 JSON file" in (not_squad_train(train) or "")
