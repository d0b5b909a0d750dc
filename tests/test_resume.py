from __future__ import annotations

import numpy as np

from qa.resume import RESUME_DIR, SavedVectors, discard_saved


def _round(rng, passages: list[int], sentences: list[int]):
    vectors = rng.standard_normal((sum(passages), 8)).astype(np.float32)
    return vectors, [rng.standard_normal((n, 8)).astype(np.float32) for n in sentences]


def test_saved_rounds_give_back_each_articles_vectors(tmp_path):
    rng = np.random.default_rng(3)
    saved = SavedVectors(tmp_path, {"model_fingerprint": "m", "passage_tokens": 256}, dim=8)
    first = _round(rng, [2, 1], [3, 1, 2])  # article a: passages of 3 and 1 sentences; b: one of 2
    saved.save(["a", "b"], [2, 1], *first)
    second = _round(rng, [1], [4])
    saved.save(["c"], [1], *second)
    again = SavedVectors(tmp_path, {"passage_tokens": 256, "model_fingerprint": "m"}, dim=8)  # another process
    assert again.any() and again.holds("b") and not again.holds("d")
    passages, sentences = again.vectors_of("a", (3, 1))
    np.testing.assert_array_equal(passages, first[0][:2])
    np.testing.assert_allclose(sentences[0], first[1][0], atol=1e-2)  # kept as float16, as the store keeps them
    assert [s.shape for s in sentences] == [(3, 8), (1, 8)] and sentences[0].dtype == np.float32
    passages, sentences = again.vectors_of("c", (4,))
    np.testing.assert_array_equal(passages, second[0])
    assert again.vectors_of("a", (2, 2)) is None  # split otherwise now: embedded again


def test_other_settings_and_unfinished_rounds_are_not_taken_up(tmp_path):
    rng = np.random.default_rng(4)
    SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8).save(["a"], [1], *_round(rng, [1], [2]))
    assert not SavedVectors(tmp_path, {"model_fingerprint": "other"}, dim=8).any()
    saved = SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8)
    saved.save(["b"], [1], *_round(rng, [1], [2]))
    folder = saved.folder
    described = sorted(folder.glob("round-*.json"))
    b_round = next(p for p in described if '"b"' in p.read_text())
    a_round = next(p for p in described if '"a"' in p.read_text())
    b_round.unlink()  # killed before its description was written
    vectors = a_round.with_name(a_round.name.replace(".json", ".sentences.npy"))
    vectors.write_bytes(vectors.read_bytes()[:-40])  # cut short
    fresh = SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8)
    assert not fresh.any() and fresh.vectors_of("a", (2,)) is None
    kept = SavedVectors(tmp_path, {"model_fingerprint": "kept"}, dim=8)
    kept.save(["k"], [1], *_round(rng, [1], [1]))
    discard_saved(fresh)
    assert not fresh.folder.exists() and kept.folder.exists()  # another settings' saved vectors stay
    discard_saved(kept)
    assert not (tmp_path / RESUME_DIR).exists()


def test_a_round_that_cannot_be_written_stops_saving_without_failing(tmp_path):
    rng = np.random.default_rng(5)
    (tmp_path / RESUME_DIR).write_text("a file where the folder would be")
    saved = SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8)
    saved.save(["a"], [1], *_round(rng, [1], [2]))  # no exception: the build goes on
    assert not saved.any()


def test_taking_up_thousands_of_rounds_holds_no_file_open(tmp_path):
    # Each round's files were kept memory-mapped for the whole build: at the default limit of
    # open files (1,024 on Linux, 256 on macOS) a long stopped build could never be taken up.
    import subprocess
    import sys
    from pathlib import Path

    script = f"""
import resource, sys
import numpy as np
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from qa.resume import SavedVectors
saved = SavedVectors({str(tmp_path)!r}, {{"model_fingerprint": "m"}}, dim=4)
for n in range(300):
    saved.save([f"h{{n}}"], [1], np.full((1, 4), n, np.float32), [np.full((2, 4), n, np.float32)])
resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
again = SavedVectors({str(tmp_path)!r}, {{"model_fingerprint": "m"}}, dim=4)
print(sum(int(again.vectors_of(f"h{{n}}", (2,))[0][0, 0] == n) for n in range(300)))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "300"


def test_a_round_whose_vectors_changed_on_disk_is_not_taken_up(tmp_path):
    rng = np.random.default_rng(6)
    saved = SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8)
    saved.save(["a"], [1], *_round(rng, [1], [2]))
    vectors = next(saved.folder.glob("round-*.passages.npy"))
    data = bytearray(vectors.read_bytes())
    data[-8:] = bytes(8)  # zeroed, same size: only the checksum tells
    vectors.write_bytes(bytes(data))
    assert not SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8).holds("a")


def test_rounds_of_another_width_or_with_non_numbers_are_not_taken_up(tmp_path):
    rng = np.random.default_rng(7)
    SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8).save(["a"], [1], *_round(rng, [1], [2]))
    assert not SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=16).holds("a")  # a width the index lacks
    passages, sentences = _round(rng, [1], [2])
    passages[0, 0] = np.nan
    SavedVectors(tmp_path, {"model_fingerprint": "n"}, dim=8).save(["b"], [1], passages, sentences)
    again = SavedVectors(tmp_path, {"model_fingerprint": "n"}, dim=8)
    assert again.holds("b") and again.vectors_of("b", (2,)) is None


def test_saving_stops_where_the_disk_would_run_short_for_the_build_itself(tmp_path, monkeypatch):
    import shutil

    import qa.resume

    rng = np.random.default_rng(8)
    rounds = [_round(rng, [1], [2]) for _ in range(3)]
    round_bytes = 1 * 8 * 4 + 2 * 8 * 2  # float32 passages, float16 sentences
    usage = shutil.disk_usage(tmp_path)
    # Room for the margin and twice one round, not twice two: the first round is saved, the second is not.
    free = qa.resume.FREE_SPACE_MARGIN + 3 * round_bytes
    monkeypatch.setattr(qa.resume.shutil, "disk_usage", lambda path: usage._replace(free=free))
    saved = SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8)
    for name, vectors in zip("abc", rounds):
        saved.save([name], [1], *vectors)
    again = SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8)
    assert again.holds("a") and not again.holds("b") and not again.holds("c")


def test_a_file_where_the_saved_vectors_go_is_removed_once_a_build_publishes(tmp_path):
    (tmp_path / RESUME_DIR).write_text("not a folder")
    saved = SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8)
    saved.save(["a"], [1], *_round(np.random.default_rng(9), [1], [2]))
    discard_saved(saved)
    assert not (tmp_path / RESUME_DIR).exists()


def test_small_batches_wait_to_be_saved_as_one_round(tmp_path):
    # Ray stores results in batches of up to 64 articles: a file each would be tens of
    # thousands at a million passages.
    rng = np.random.default_rng(10)
    saved = SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8, round_articles=3)
    for name in ("a", "b"):
        saved.save([name], [1], *_round(rng, [1], [2]))
    assert not list(tmp_path.rglob("round-*.json"))  # waiting for a round's worth
    saved.save(["c", "d"], [1, 2], *_round(rng, [1, 2], [1, 3, 2]))
    assert len(list(tmp_path.rglob("round-*.json"))) == 1
    again = SavedVectors(tmp_path, {"model_fingerprint": "m"}, dim=8)
    assert all(again.holds(h) for h in "abcd")
    assert [s.shape[0] for s in again.vectors_of("d", (3, 2))[1]] == [3, 2]
