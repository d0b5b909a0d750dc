from __future__ import annotations

import faiss
import numpy as np
import pytest

from qa.store.dense import IVF_NPROBE, DenseIndex, index_from_spill


def _vectors(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    data = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


def _ivf(tmp_path, ids: np.ndarray, data: np.ndarray, mapped: bool) -> DenseIndex:
    spill = tmp_path / "spill.f32"
    data.tofile(spill)
    built = DenseIndex(index_from_spill(ids, spill, data.shape[1], "IVF8,Flat"), "IVF8,Flat")
    built.write(tmp_path / "vectors.faiss")
    return DenseIndex.read(tmp_path / "vectors.faiss", "IVF8,Flat", mapped=mapped)


@pytest.mark.parametrize("mapped", [False, True])
def test_ivf_vectors_come_back_by_passage_id_in_the_order_asked(tmp_path, mapped):
    ids = np.arange(600, dtype=np.int64) * 7 + 3  # not 0..n-1: FAISS's array map would refuse them
    data = _vectors(600)
    dense = _ivf(tmp_path, ids, data, mapped)
    assert isinstance(dense._vectors, faiss.IndexIVF) and dense._vectors.nprobe == IVF_NPROBE
    asked = ids[[599, 0, 42, 42, 311]]
    np.testing.assert_array_equal(dense.vectors(asked), data[[599, 0, 42, 42, 311]])
    assert dense.vectors([]).shape == (0, 16)


def test_ivf_vectors_of_an_unknown_passage_name_it(tmp_path):
    ids = np.arange(300, dtype=np.int64) + 10
    dense = _ivf(tmp_path, ids, _vectors(300), mapped=True)
    with pytest.raises(KeyError, match=r"\[5000\]"):
        dense.vectors([10, 5000])
    with pytest.raises(KeyError, match=r"\[3\]"):
        dense.vectors([3])


def test_ivf_vectors_follow_additions_and_removals(tmp_path):
    ids = np.arange(300, dtype=np.int64)
    data = _vectors(300)
    dense = _ivf(tmp_path, ids, data, mapped=False)
    np.testing.assert_array_equal(dense.vectors([5]), data[[5]])  # the table of locations is built now
    dense.remove([0, 1, 2, 3, 4])  # FAISS moves the last vectors of their lists into the holes
    np.testing.assert_array_equal(dense.vectors(ids[5:]), data[5:])
    with pytest.raises(KeyError):
        dense.vectors([0])
    extra = _vectors(2, seed=1)
    dense.add(extra, np.array([1000, 1001]))
    np.testing.assert_array_equal(dense.vectors([299, 5, 1001, 1000]), np.vstack([data[[299, 5]], extra[::-1]]))
    with pytest.raises(KeyError):
        dense.vectors([0])


def test_exact_index_vectors_by_passage_id():
    dense = DenseIndex.empty(3)
    dense.add(np.eye(3, dtype=np.float32), np.array([7, 8, 9]))
    np.testing.assert_array_equal(dense.vectors([9, 7]), np.eye(3, dtype=np.float32)[[2, 0]])
