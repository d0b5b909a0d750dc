"""The vector index: passage vectors in FAISS, searched by inner product.

Small collections use exact search (`Flat`); above `EXACT_SEARCH_LIMIT` passages the
build switches once to IVF, trained on a sample, and keeps it as the collection grows.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, IndexCorruptError

# Exact search stays under ~4 ms per question up to about this many passages; above it an
# IVF index is faster at >= 0.95 recall@10 (docs/benchmarks.md, scale benchmark).
EXACT_SEARCH_LIMIT = 30_000
# Lists an IVF index searches: recall@10 0.985 (IVF1024, 100k passages) to 0.999
# (IVF2048, 1M passages) against exact search, in 1-4 ms (bench/bench_scale.py).
IVF_NPROBE = 64
REBUILD_SLICE = 50_000
TRAIN_POINTS_PER_LIST = 64  # FAISS wants >= 39; k-means time grows with the sample


class DenseIndex:
    """Passage vectors by passage id. Searching is safe to share between threads.

    Example:
        >>> dense = DenseIndex.empty(3)
        >>> dense.add(np.eye(3, dtype=np.float32), np.array([7, 8, 9]))
        >>> dense.search(np.array([0, 1, 0], dtype=np.float32), 1)
        [(8, 1.0)]
    """

    def __init__(self, vectors: Any, factory: str) -> None:
        self._vectors = vectors
        self.factory = factory
        self._locations: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # IVF only, see `vectors`
        self._locations_lock = threading.Lock()

    @classmethod
    def empty(cls, dim: int) -> DenseIndex:
        faiss = _faiss()

        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), "Flat")

    @classmethod
    def read(cls, path: Path, factory: str, mapped: bool = False) -> DenseIndex:
        """Load `vectors.faiss` (IndexCorruptError when missing or unreadable).

        `mapped` memory-maps the vectors instead of reading them: processes serving the same
        index then share one copy in the page cache (3 replicas of a 1M-passage index do not
        hold 3 × 1.5 GB). A mapped index is read-only: FAISS crashes on changing one.
        """
        faiss = _faiss()

        # One question at a time: FAISS's threads cost more than they save (flat search over
        # 100k vectors: 16 ms on one thread, 48 ms on two; docs/benchmarks.md).
        faiss.omp_set_num_threads(1)
        if not path.exists():
            raise IndexCorruptError(f"{path} is missing. Rebuild with: qa index --full")
        try:
            vectors = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if mapped else 0)
        except RuntimeError as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
            raise IndexCorruptError(f"{path} is damaged ({first_line[:200]}). Rebuild with: qa index --full") from None
        if isinstance(vectors, faiss.IndexIVF):
            vectors.nprobe = IVF_NPROBE
        return cls(vectors, factory)

    @property
    def ntotal(self) -> int:
        return int(self._vectors.ntotal)

    @property
    def dim(self) -> int:
        return int(self._vectors.d)

    def search(
        self, vector: np.ndarray, n: int, allowed: np.ndarray | None = None, excluded: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top-n passage ids by inner product with `vector` (among `allowed` ids, without `excluded` ones)."""
        faiss = _faiss()

        if self.ntotal == 0 or n <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        selector = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        elif excluded is not None and len(excluded):
            batch = faiss.IDSelectorBatch(np.asarray(excluded, dtype=np.int64))
            selector = faiss.IDSelectorNot(batch)
            selector.keep_alive = batch  # SWIG does not keep the inner selector alive
        params = None
        if selector is not None:
            # IVF wants its own parameter type (and then takes nprobe from it, not from the index).
            ivf = isinstance(self._vectors, faiss.IndexIVF)
            params = (
                faiss.SearchParametersIVF(sel=selector, nprobe=IVF_NPROBE)
                if ivf
                else faiss.SearchParameters(sel=selector)
            )
        scores, ids = self._vectors.search(vector.reshape(1, -1).astype(np.float32), n, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def ids(self) -> np.ndarray:
        """Every passage id the index holds."""
        return all_ids(self._vectors)

    def vectors(self, passage_ids: np.ndarray | list[int]) -> np.ndarray:
        """The stored vectors of the given passages (rows in the same order).

        An IVF index finds them through its own table of where each passage id sits in the
        inverted lists, built on first use (12 bytes a passage); FAISS's id map, a hash table,
        held 36 MB at 1M passages in every process serving the index (docs/benchmarks.md).
        """
        ids = np.asarray(passage_ids, dtype=np.int64)
        if not len(ids):
            return np.empty((0, self.dim), np.float32)
        if not isinstance(self._vectors, _faiss().IndexIVF):
            return self._vectors.reconstruct_batch(ids)
        known, positions, starts = self._ivf_locations()
        at = np.minimum(np.searchsorted(known, ids), max(len(known) - 1, 0))
        missing = ids if not len(known) else ids[known[at] != ids]
        if len(missing):
            raise KeyError(f"passage ids not in the vector index: {missing[:5].tolist()}")
        where = positions[at].astype(np.int64)
        lists = np.searchsorted(starts, where, side="right") - 1
        out = np.empty((len(ids), self.dim), np.float32)
        swig_ptr = _faiss().swig_ptr
        for row, (list_no, offset) in enumerate(zip(lists.tolist(), (where - starts[lists]).tolist(), strict=True)):
            self._vectors.reconstruct_from_offset(list_no, offset, swig_ptr(out[row]))
        return out

    def _ivf_locations(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(passage ids sorted, each one's position in the lists laid end to end, where each
        list starts in that order). 12 bytes a passage, built once with few temporaries."""
        with self._locations_lock:
            if self._locations is None:
                ids, starts = ivf_ids(self._vectors)
                order = np.argsort(ids)
                self._locations = (ids[order], order.astype(np.int32), starts)
            return self._locations

    # -- building -------------------------------------------------------------------------------

    def add(self, vectors: np.ndarray, passage_ids: np.ndarray) -> None:
        self._vectors.add_with_ids(vectors, np.asarray(passage_ids, dtype=np.int64))
        self._locations = None  # lists and offsets moved

    def remove(self, passage_ids: list[int]) -> None:
        if passage_ids:
            self._vectors.remove_ids(np.asarray(passage_ids, dtype=np.int64))
            self._locations = None

    def write(self, path: Path) -> None:
        faiss = _faiss()

        faiss.write_index(self._vectors, str(path))

    def release(self) -> None:
        """Free the vectors now (a build that has written them); the index is unusable afterwards."""
        self._vectors = None

    def resized(self, choice: str, spill: Path) -> DenseIndex:
        """This index, or a new one of the type `choice` calls for at its size.

        A type change goes through the file `spill`, so that memory never holds the old
        index, the new one and a copy of the vectors at once (1M passages: ~1.5 GB, not
        ~4.5 GB). The old index is unusable afterwards.
        """
        target = target_factory(choice, self.ntotal, self.factory)
        if target == self.factory:
            return self
        dim = self.dim
        ids = spill_vectors(self._vectors, spill)
        self.release()  # freed before the new index grows
        return DenseIndex(index_from_spill(ids, spill, dim, target, chosen=choice != "auto"), target)


def target_factory(choice: str, size: int, current: str) -> str:
    """The FAISS factory string the index should use for `size` passages.

    Example:
        >>> target_factory("auto", 100, "Flat"), target_factory("auto", 1_000_000, "Flat")
        ('Flat', 'IVF2048,Flat')
    """
    if choice != "auto":
        return choice
    if size <= EXACT_SEARCH_LIMIT:
        return "Flat"
    # Keep a trained IVF as the corpus grows; retraining on every update would cost minutes.
    return current if current.startswith("IVF") else ivf_factory(size)


def ivf_factory(size: int) -> str:
    """IVF with about 4·sqrt(size) lists, rounded down to a power of two."""
    lists = 1 << int(np.log2(4 * np.sqrt(size)))
    return f"IVF{lists},Flat"


def spill_vectors(vectors: Any, spill: Path) -> np.ndarray:
    """Write every vector of a FAISS index to the file `spill` (float32 rows); return their ids."""
    ids = all_ids(vectors)
    ivf = _faiss().try_extract_index_ivf(vectors)
    if ivf is not None:  # reconstruct_batch needs FAISS's id map on IVF (a build, not a server)
        ivf.set_direct_map_type(_faiss().DirectMap.Hashtable)
    with open(spill, "wb") as out:
        for begin in range(0, len(ids), REBUILD_SLICE):
            vectors.reconstruct_batch(ids[begin : begin + REBUILD_SLICE]).tofile(out)
    return ids


def index_from_spill(ids: np.ndarray, spill: Path, dim: int, factory: str, chosen: bool = True) -> Any:
    """A new FAISS index of type `factory` holding the spilled vectors, trained on a sample if needed.
    FAISS's refusal of a type the user `chosen` (QA_VECTOR_INDEX) is a `ConfigError` naming it;
    of one `auto` picked, it is raised as it is (a bug, or memory: no setting of theirs to blame)."""
    faiss = _faiss()

    def slices() -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        for begin in range(0, len(ids), REBUILD_SLICE):
            part = ids[begin : begin + REBUILD_SLICE]
            data = np.fromfile(spill, dtype=np.float32, count=len(part) * dim, offset=begin * dim * 4)
            yield begin, part, data.reshape(len(part), dim)

    try:
        if factory == "Flat":
            fresh = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        else:
            try:
                fresh = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
            except RuntimeError as exc:
                raise ConfigError(_factory_refused(factory, dim, exc)) from None
            if not isinstance(fresh, faiss.IndexIVF):
                fresh = faiss.IndexIDMap2(fresh)
        try:  # FAISS refuses some types only once it trains or adds (PQ on too few passages, IDMap)
            if not fresh.is_trained and len(ids):
                nlist = getattr(faiss.try_extract_index_ivf(fresh), "nlist", 1)
                if nlist > len(ids):  # FAISS's k-means needs a vector per list ("nx >= k", a RuntimeError)
                    fewer = ivf_factory(len(ids)) if len(ids) > EXACT_SEARCH_LIMIT else "Flat"
                    raise ConfigError(
                        f"vector_index={factory!r} (QA_VECTOR_INDEX) has {nlist:,} lists, more than the index's "
                        f"{len(ids):,} passages to train them on; use auto (exact search up to "
                        f"{EXACT_SEARCH_LIMIT:,} passages, then IVF) or {fewer}."
                    )
                keep = np.zeros(len(ids), dtype=bool)
                sample = min(len(ids), TRAIN_POINTS_PER_LIST * nlist)
                keep[np.random.default_rng(0).choice(len(ids), sample, replace=False)] = True
                fresh.train(np.concatenate([data[keep[b : b + len(part)]] for b, part, data in slices()]))
            for _, part, data in slices():
                fresh.add_with_ids(data, part)
        except RuntimeError as exc:
            if not chosen:
                raise
            raise _cannot_build(factory, len(ids), exc) from None
    finally:
        spill.unlink(missing_ok=True)
    return fresh


def _cannot_build(factory: str, size: int, exc: RuntimeError) -> ConfigError:
    """FAISS's refusal of an index type for this index (too few passages to train product
    quantizers on, a wrapper that cannot take ids, a projection wider than the vectors), in
    one line with the fix: it was a traceback."""
    reason = _faiss_reason(exc)
    if "IDMap" in factory:  # FAISS: "add does not make sense with IndexIDMap, use add_with_ids"
        reason = "qa gives the passages their ids itself, so IDMap is not part of vector_index"
    larger = f", or e.g. {ivf_factory(size)}" if size > EXACT_SEARCH_LIMIT else ""
    return ConfigError(
        f"vector_index={factory!r} (QA_VECTOR_INDEX) cannot index these {size:,} passages: {reason[:200]}. "
        f"Use auto (the default: exact search up to {EXACT_SEARCH_LIMIT:,} passages, then IVF) or Flat{larger}."
    )


def all_ids(vectors: Any) -> np.ndarray:
    """The ids stored in a FAISS index (IDMap or IVF)."""
    faiss = _faiss()

    if hasattr(vectors, "id_map"):
        return faiss.vector_to_array(vectors.id_map).astype(np.int64)
    return ivf_ids(vectors)[0]


def ivf_ids(vectors: Any) -> tuple[np.ndarray, np.ndarray]:
    """Every passage id of an IVF index, list after list, and where each list starts (one
    array filled in place: no per-list arrays left behind in the heap)."""
    faiss = _faiss()

    ivf = faiss.extract_index_ivf(vectors)
    inverted = ivf.invlists
    sizes = np.array([inverted.list_size(i) for i in range(ivf.nlist)], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    ids = np.empty(int(starts[-1]), np.int64)
    for i in np.flatnonzero(sizes).tolist():
        ids[starts[i] : starts[i + 1]] = faiss.rev_swig_ptr(inverted.get_ids(i), int(sizes[i]))
    return ids, starts


def _faiss() -> Any:
    """FAISS, imported on first use; typed loosely because its SWIG stubs are partial."""
    import faiss

    return faiss


def _faiss_reason(exc: RuntimeError) -> str:
    """The reason in FAISS's error text, without the C++ signature, file and check around it."""
    # "Error in <C++ signature> at <file>:<line>: [Error: '<check>' failed: ]<reason>"
    message = " ".join(str(exc).split()) or type(exc).__name__
    return re.split(r" at \S+:\d+: ", message, maxsplit=1)[-1].split("' failed: ")[-1].removeprefix("Error: ")


def _factory_refused(factory: str, dim: int, exc: RuntimeError) -> str:
    """Why FAISS made no index of `factory`: a string it cannot parse, or a type that does not
    fit the vectors ("PQ7": 384 dimensions do not split into 7; said in FAISS's words).

    Example:
        >>> _factory_refused("PQ7", 384, RuntimeError("Error in f() at p.cpp:6: d % M")).split(";")[0]
        "FAISS cannot make vector_index='PQ7' (QA_VECTOR_INDEX) for 384-dimensional vectors: d % M"
    """
    fix = "use auto (the default), Flat, or e.g. IVF4096,Flat."
    reason = _faiss_reason(exc)
    if reason.startswith("could not parse"):
        return f"vector_index={factory!r} (QA_VECTOR_INDEX) is not a FAISS index factory string; {fix}"
    said = f"FAISS cannot make vector_index={factory!r} (QA_VECTOR_INDEX) for {dim}-dimensional vectors"
    return f"{said}: {reason}; {fix}"
