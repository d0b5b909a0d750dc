"""The benchmark scripts in bench/ are not run by the tests (they need ../shared/data and take
minutes), but each must still import: a private name moved in qa (bench_scale imported
`qa.build._publish` after it became `qa.store.layout.publish_generation`) broke four of them
and `make bench` with them, unseen."""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_every_benchmark_script_imports() -> None:
    scripts = sorted(p.stem for p in BENCH.glob("*.py"))
    assert {"bench_scale", "bench_latency", "common", "run_all"} <= set(scripts)
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\nprint('ok')"
    done = subprocess.run(
        [sys.executable, "-c", code, *scripts], cwd=BENCH, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def _bench(name: str):  # bench/ is a folder of scripts, not a package: imported as run from it
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))


def _bench_answers():
    return _bench("bench_answers")


def test_a_partial_answers_run_keeps_the_other_modes_of_the_unanswerable_sets() -> None:
    # `--only unanswerable --modes reader` replaced each unanswerable set whole: its saved
    # `fast` figures were lost, and one stamp claimed both modes were measured now.
    old = {"date": "2026-12-04", "command": "python bench_answers.py"}
    kept = {
        "news": {"reader": {"hit": 0.4}, "fast": {"hit": 0.3}},
        "unanswerable": {
            "news_distractors_only": {"articles": 285, "reader": {"abstained": 0.73}, "fast": {"abstained": 0.52}},
            "squad_even_articles_only": {"articles": 1023, "reader": {"abstained": 0.95}},
        },
        "measured": {
            "news": {"reader": old, "fast": old},
            "unanswerable": {"news_distractors_only": old, "squad_even_articles_only": old},
        },
    }
    new = {"date": "2026-12-06", "command": "python bench_answers.py --modes reader"}
    run = {"unanswerable": {"news_distractors_only": {"articles": 285, "reader": {"abstained": 0.8}}}}
    out = _bench_answers().merged(kept, run, new)
    news_absent = out["unanswerable"]["news_distractors_only"]
    assert news_absent == {"articles": 285, "reader": {"abstained": 0.8}, "fast": {"abstained": 0.52}}
    assert out["unanswerable"]["squad_even_articles_only"] == kept["unanswerable"]["squad_even_articles_only"]
    assert out["news"] == kept["news"]
    stamps = out["measured"]["unanswerable"]
    assert stamps["news_distractors_only"] == {"reader": new, "fast": old}
    assert stamps["squad_even_articles_only"] == {"reader": old}
    assert out["measured"]["news"] == {"reader": old, "fast": old}


def test_an_answers_run_stamps_each_mode_it_measured() -> None:
    old = {"date": "2026-12-01"}
    kept = {"squad": {"reader": {"hit": 0.8}, "fast": {"hit": 0.7}}, "measured": {"squad": old}}
    new = {"date": "2026-12-06"}
    out = _bench_answers().merged(kept, {"squad": {"fast": {"hit": 0.75}}, "news": {"reader": {"hit": 0.4}}}, new)
    assert out["squad"] == {"reader": {"hit": 0.8}, "fast": {"hit": 0.75}}
    assert out["measured"] == {"squad": {"reader": old, "fast": new}, "news": {"reader": new}}


@pytest.fixture
def answering_constants(monkeypatch):
    """qa.answering's constants, put back after the test (`use_constants` sets them)."""
    import qa.answering as answering

    for name in ("LEAD_RETRIEVAL_WEIGHT", "READER_CONFIDENCE_WEIGHTS", "CONFIDENCE_BIAS", "READ_SENTENCES"):
        monkeypatch.setattr(answering, name, getattr(answering, name))
    return answering


def test_candidate_constants_are_measured_without_editing_qa(tmp_path, built, answering_constants) -> None:
    from qa import answer

    question = "How many people were evacuated from Grindavik?"
    shipped = answer(question, index=built, fast=True).confidence
    chosen = tmp_path / "refit.json"
    weights = [0.4, 6.0, 1.0, 1.5]
    chosen.write_text(json.dumps({"CONFIDENCE_BIAS": -30, "READER_CONFIDENCE_WEIGHTS": weights, "abstain_below": 0.2}))
    used = _bench_answers().use_constants(chosen)
    assert used == {"CONFIDENCE_BIAS": -30.0, "READER_CONFIDENCE_WEIGHTS": tuple(weights), "abstain_below": 0.2}
    assert answering_constants.READER_CONFIDENCE_WEIGHTS == (0.4, 6.0, 1.0, 1.5)
    # The fast path reads the bias when it answers (a default argument had bound it at import).
    assert shipped > 0.01 and answer(question, index=built, fast=True).confidence < 1e-6


@pytest.mark.parametrize(
    ("constants", "refusal"),
    [
        ({"LEAD_WEIGHT": 16}, "'LEAD_WEIGHT' is not a numeric constant"),
        ({"NOT_FOUND": "no"}, "'NOT_FOUND' is not a numeric constant"),
        ({"READER_CONFIDENCE_WEIGHTS": [1, 2]}, "READER_CONFIDENCE_WEIGHTS needs 4 numbers"),
        ({"READ_SENTENCES": 12.5}, "READ_SENTENCES needs a whole number"),
        ({"CONFIDENCE_BIAS": "-9"}, "CONFIDENCE_BIAS needs a number"),
    ],
)
def test_constants_that_are_not_answering_constants_are_refused(
    tmp_path, answering_constants, constants, refusal
) -> None:
    chosen = tmp_path / "refit.json"
    chosen.write_text(json.dumps(constants))
    with pytest.raises(SystemExit, match=refusal):
        _bench_answers().use_constants(chosen)


# -- refusals: one line naming the fix, before any work ------------------------------------


def test_skip_squad_skips_the_steps_that_read_the_squad_index(monkeypatch, capsys) -> None:
    # They crashed on the missing WORK/squad-index, and the failure stopped every later step.
    run_all = _bench("run_all")
    ran = []
    monkeypatch.setattr(
        run_all.subprocess, "run", lambda cmd, **_: ran.append(cmd) or subprocess.CompletedProcess(cmd, 0)
    )
    assert run_all.run("sentence_vectors", skip_squad=True) == 0
    assert run_all.run("overlap", skip_squad=True) == 0
    assert ran == []
    assert capsys.readouterr().out.count("skipped: it reads the SQuAD dev index") == 2
    run_all.run("answers", skip_squad=True)
    assert ran[0][-3:] == ["--only", "news", "unanswerable"]


def test_a_failed_step_stops_run_all_with_one_line_naming_the_steps_not_run(monkeypatch) -> None:
    run_all = _bench("run_all")
    monkeypatch.setattr(run_all.subprocess, "run", lambda cmd, **_: subprocess.CompletedProcess(cmd, 1))
    monkeypatch.setattr(sys, "argv", ["run_all.py", "--only", "build", "resume", "latency"])
    with pytest.raises(SystemExit, match=r"^build failed \(exit 1\); not run: resume latency$"):
        run_all.main()


def test_benchmarks_without_the_squad_index_say_how_to_build_it(tmp_path, monkeypatch) -> None:
    # qa's own advice, "qa index --articles seeds", would index the seed article.
    vectors = _bench("bench_sentence_vectors")
    common = _bench("common")
    monkeypatch.setattr(common, "WORK", tmp_path)
    monkeypatch.setattr(sys, "argv", ["bench_sentence_vectors.py", "--index", str(tmp_path / "squad-index")])
    with pytest.raises(SystemExit, match=re.escape("build it with `python bench/bench_answers.py --only squad`")):
        vectors.main()
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setattr(sys, "argv", ["bench_sentence_vectors.py", "--index", str(elsewhere)])
    with pytest.raises(SystemExit, match=rf"build it with `qa eval .* --index {re.escape(str(elsewhere))} --limit 1`"):
        vectors.main()


def test_the_overlap_benchmark_checks_both_indexes_first(tmp_path, monkeypatch) -> None:
    overlap = _bench("bench_overlap")
    monkeypatch.setattr(_bench("common"), "WORK", tmp_path)
    monkeypatch.setattr(overlap, "WORK", tmp_path)
    monkeypatch.setattr(sys, "argv", ["bench_overlap.py"])
    refusal = r"No index in .*news-index/: build it with `python bench/bench_answers\.py --only news`"
    with pytest.raises(SystemExit, match=refusal):
        overlap.main()


def test_a_reader_file_that_does_not_exist_is_refused_as_the_options_are_read(tmp_path, monkeypatch, capsys) -> None:
    # The reader loads lazily: a wrong --reader failed minutes later, after an index was built.
    monkeypatch.setattr(sys, "argv", ["bench_answers.py", "--only", "news", "--reader", str(tmp_path / "nope.onnx")])
    with pytest.raises(SystemExit) as exit:
        _bench_answers().main()
    assert exit.value.code == 2
    assert f"no such reader file: {tmp_path / 'nope.onnx'}" in capsys.readouterr().err
    alone = tmp_path / "reader.onnx"
    alone.write_bytes(b"")
    with pytest.raises(argparse.ArgumentTypeError, match=r"no tokenizer\.json beside it"):
        _bench("common").reader_file(str(alone))
    (tmp_path / "tokenizer.json").write_text("{}")
    assert _bench("common").reader_file(str(alone)) == alone


@pytest.mark.parametrize("step", ["reader", "retrieval", "followups"])
def test_fit_steps_before_prepare_say_to_run_it(tmp_path, monkeypatch, step) -> None:
    fit = _bench("fit_answering")
    monkeypatch.setattr(fit, "FIT", tmp_path / "fit")
    monkeypatch.setattr(sys, "argv", ["fit_answering.py", step])
    with pytest.raises(SystemExit, match=r"run `python bench/fit_answering\.py prepare` first\.$"):
        fit.main()
