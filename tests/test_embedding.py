from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from qa.embedding import weights_apart

ROOT = Path(__file__).resolve().parents[1]


def _tiny_model(path):
    weights = np.arange(64 * 32, dtype=np.float32).reshape(64, 32) / 1000
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 32])],
        [numpy_helper.from_array(weights, "w")],
    )
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def _run(path):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": np.ones((1, 64), dtype=np.float32)})[0]


def test_weights_move_beside_the_model_and_give_the_same_output(tmp_path):
    model = tmp_path / "model.onnx"
    _tiny_model(model)
    before, inline_size = _run(model), model.stat().st_size
    weights_apart(model)
    data = tmp_path / "model.onnx.data"
    assert data.stat().st_size == 64 * 32 * 4 and model.stat().st_size < inline_size // 10
    np.testing.assert_array_equal(_run(model), before)
    stamp = data.stat().st_mtime_ns
    weights_apart(model)  # once per export
    assert data.stat().st_mtime_ns == stamp


def test_a_model_cache_that_cannot_be_written_names_the_setting_to_change(tmp_path, monkeypatch):
    from qa import embedding
    from qa.config import Settings
    from qa.errors import EncoderError

    def refuse(model, model_dir, fingerprint, folder):  # the one call that writes the cache
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(embedding, "export_onnx", refuse)
    settings = Settings(cache_dir=tmp_path / "read-only-cache")
    # it said "choose another path (--index, --articles)", neither of which was at fault
    with pytest.raises(
        EncoderError,
        match=r"Cannot write the model cache .*read-only-cache/ \(Permission denied\)\. "
        r"Set QA_CACHE_DIR",
    ):
        embedding.get_encoder(settings)


def test_a_model_another_process_is_exporting_is_waited_for_not_exported_again(tmp_path, monkeypatch):
    import threading

    from filelock import FileLock

    from qa import embedding

    exports = []
    monkeypatch.setattr(embedding, "export_onnx", lambda *args: exports.append(args))
    folder = tmp_path / "encoders" / "abc"
    other = FileLock(str(tmp_path / "encoders" / "abc.lock"))  # the other process, mid-export
    (tmp_path / "encoders").mkdir()
    other.acquire()
    waiting = threading.Thread(target=embedding._export_once, args=("m", tmp_path, "f", folder))
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive() and not exports  # it waits for the lock
    folder.mkdir()
    (folder / "encoder.json").write_text("{}")  # the other's export is published
    other.release()
    waiting.join(10)
    assert not waiting.is_alive() and exports == []
    embedding._export_once("m", tmp_path, "f", tmp_path / "encoders" / "new")  # none made: it exports
    assert exports == [("m", tmp_path, "f", tmp_path / "encoders" / "new")]


def test_a_full_disk_in_the_tokenizers_library_is_an_oserror_not_its_traceback(tmp_path, monkeypatch):
    import json

    from qa import embedding

    def full(*args):  # what tokenizers (Rust) raises when saving tokenizer.json on a full disk
        raise Exception("No space left on device (os error 28)")

    monkeypatch.setattr(embedding, "_export", full)
    outcome = tmp_path / "outcome.json"
    with pytest.raises(SystemExit):
        embedding._export_in_child("m", str(tmp_path), "f" * 20, str(tmp_path / "out"), str(outcome))
    # The parent turns it into "Cannot write the model cache …/ (No space left on device). Set QA_CACHE_DIR"
    assert json.loads(outcome.read_text()) == {"error": "OSError", "message": "No space left on device"}


@pytest.mark.model
def test_a_new_model_cache_is_filled_without_torch_in_the_process_that_answers(tmp_path):
    import subprocess
    import sys

    cache = tmp_path / "cache"
    script = (
        "import os, sys\n"
        "from qa.config import Settings\n"
        "from qa.embedding import get_encoder\n"
        f"encoder = get_encoder(Settings(cache_dir={str(cache)!r}))\n"
        "print(encoder.encode_queries(['What tariffs did Trudeau impose?']).shape, 'torch' in sys.modules, "
        "os.environ.get('HF_HUB_OFFLINE'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["(1,", "384)", "False", "None"]  # exported, and torch only in the child
    assert "Preparing model 'all-MiniLM-L6-v2'" in done.stderr
    assert len(list((cache / "encoders").glob("*/model.onnx"))) == 1


def test_a_failed_export_is_the_childs_own_error_whatever_the_working_folder_holds(tmp_path, monkeypatch):
    # One test for both: each starts a child that imports torch (~15 s here).
    import sys

    from qa import embedding
    from qa.errors import EncoderError

    model = tmp_path / "not-a-model"
    model.mkdir()
    (model / "config.json").write_text("{}")  # a folder with a config, but nothing sentence-transformers loads
    elsewhere = tmp_path / "work"
    (elsewhere / "qa").mkdir(parents=True)
    (elsewhere / "qa" / "__init__.py").write_text("raise ImportError('another qa')")
    monkeypatch.chdir(elsewhere)  # a folder with a package of the same name: the child imports this qa
    monkeypatch.setattr(sys, "path", ["", *[p for p in sys.path if p]])  # as under python -c, a REPL, a notebook
    with pytest.raises(EncoderError, match=r"^sentence-transformers cannot load model 'odd'"):
        embedding.export_onnx("odd", model, "f" * 20, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_interpreter_that_cannot_start_is_named(tmp_path, monkeypatch):
    import sys

    from qa import embedding
    from qa.errors import EncoderError

    monkeypatch.setattr(sys, "executable", str(tmp_path / "moved-venv" / "python"))
    with pytest.raises(EncoderError, match=r"could not start .*moved-venv/python"):
        embedding.export_onnx("odd", tmp_path, "f" * 20, tmp_path / "out")


def test_a_child_that_exports_nothing_is_an_error_naming_the_interpreter(tmp_path, monkeypatch):
    import sys

    from qa import embedding
    from qa.errors import EncoderError

    monkeypatch.setattr(sys, "executable", "/bin/true")  # e.g. an embedded Python: exits 0, exports nothing
    with pytest.raises(EncoderError, match=r"^Preparing model 'odd' with /bin/true failed \(exit status 0\)"):
        embedding.export_onnx("odd", tmp_path, "f" * 20, tmp_path / "out")


def test_an_export_stopped_by_ctrl_c_leaves_no_half_written_folder(tmp_path, monkeypatch):
    import signal
    import sys
    import threading

    from qa import embedding

    # A stand-in child that starts its export folder as the real one does (<out>.tmp<its pid>), then hangs.
    child = tmp_path / "python"
    child.write_text('#!/bin/sh\nmkdir "$7.tmp$$" && touch "$7.tmp$$/model.onnx" && exec sleep 60\n')
    child.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(child))
    threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        embedding.export_onnx("odd", tmp_path, "f" * 20, tmp_path / "out")
    assert [p.name for p in tmp_path.iterdir()] == ["python"]  # neither its folder nor a child left


def test_the_half_written_exports_of_processes_that_are_gone_are_removed(tmp_path):
    import subprocess

    from qa import embedding

    gone = subprocess.Popen(["true"])
    gone.wait()
    for pid in (gone.pid, os.getpid()):
        (tmp_path / f"out.tmp{pid}").mkdir()
    (tmp_path / "outside.tmp1").mkdir()  # another model's name that starts alike
    embedding._remove_abandoned_exports(tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tmp" + str(os.getpid()), "outside.tmp1"]


def test_a_model_that_is_a_file_or_a_folder_without_a_config_is_said_as_such(tmp_path):
    from qa.embedding import resolve_model
    from qa.errors import EncoderError

    (tmp_path / "ex1.py").write_text("print('not a model')")
    with pytest.raises(EncoderError, match=r"^Model '.*ex1\.py' is a file; point --model / QA_MODEL at a sentence"):
        resolve_model(str(tmp_path / "ex1.py"))
    with pytest.raises(EncoderError, match=r"^Model folder '.*' has no config.json"):
        resolve_model(str(tmp_path))
