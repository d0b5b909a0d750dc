"""A generation in two segments: a large base, never rewritten, and a small delta.

An update that changes a few articles writes only the delta (`delta/` in the generation:
its own store, vectors and postings, plus the base articles it removes or replaces); the
base files are hard links to the previous generation's, so a 6 GB base is neither copied
nor re-read. When the delta grows past `MERGE_FRACTION` of the base the build merges
both into a new base. The classes here read a base and a delta as one collection, with
the same methods as the single-segment `Store` and `DenseIndex`, so nothing above
`qa.store` knows how many segments there are.

Row ids of the delta start above the base's, so a passage or sentence id says which
segment holds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..filters import Filters
from .dense import DenseIndex
from .layout import DELTA_DIR, STORE_FILE, VECTORS_FILE
from .manifest import Counts
from .store import ArticleInfo, Store, StoredPassage

# A delta larger than this share of the base and than MERGE_MIN_PASSAGES is merged into a
# new base: questions search two segments, and the delta is copied at every update.
MERGE_FRACTION = 0.05
MERGE_MIN_PASSAGES = 5_000


class SegmentedStore:
    """A base `Store` minus the articles a delta removes, plus the delta's. Read-only.

    Example:
        >>> base = Store.open(gen / "store.sqlite", 384)  # doctest: +SKIP
        >>> store = SegmentedStore(base, Store.open(gen / "delta" / "store.sqlite", 384))  # doctest: +SKIP
        >>> store.counts().articles  # doctest: +SKIP
        2226
    """

    def __init__(self, base: Store, delta: Store) -> None:
        self.base, self.delta = base, delta
        self.path, self.dim = base.path, base.dim
        self.removed = frozenset(delta.removed_articles())
        self._removed_counts, removed_passages, removed_sentences = base.rows_of(sorted(self.removed))
        self.removed_passages = np.asarray(sorted(removed_passages), dtype=np.int64)
        self._removed_sentences = frozenset(removed_sentences)
        _, self._first_delta_passage, self._first_delta_sentence = (i + 1 for i in base.last_ids())

    def close(self) -> None:
        self.base.close()
        self.delta.close()

    def articles(self) -> list[ArticleInfo]:
        """Every article, newest first (by date, then title), as `Store.articles`."""
        merged = [a for a in self.base.articles() if a.source.article_id not in self.removed] + self.delta.articles()
        merged.sort(key=lambda a: a.source.title)
        merged.sort(key=lambda a: a.source.date or "", reverse=True)
        merged.sort(key=lambda a: a.source.date is None)
        return merged

    def article(self, article_id: str) -> ArticleInfo | None:
        found = self.delta.article(article_id)
        if found is None and article_id not in self.removed:
            found = self.base.article(article_id)
        return found

    def publishers(self) -> list[str]:
        return sorted(set(self.base.publishers(sorted(self.removed))) | set(self.delta.publishers()))

    def undated_count(self) -> int:
        return self.base.undated_count(sorted(self.removed)) + self.delta.undated_count()

    def file_article_ids(self, path: str) -> list[str]:
        base = [i for i in self.base.file_article_ids(path) if i not in self.removed]
        return sorted({*base, *self.delta.file_article_ids(path)})

    def counts(self) -> Counts:
        base, delta, gone = self.base.counts(), self.delta.counts(), self._removed_counts
        return Counts(
            articles=base.articles - gone.articles + delta.articles,
            passages=base.passages - gone.passages + delta.passages,
            sentences=base.sentences - gone.sentences + delta.sentences,
        )

    def content_hashes(self) -> dict[str, str]:
        hashes = {k: v for k, v in self.base.content_hashes().items() if k not in self.removed}
        hashes.update(self.delta.content_hashes())
        return dict(sorted(hashes.items()))

    def passages(self, passage_ids: Sequence[int]) -> dict[int, StoredPassage]:
        base, delta = self._split(passage_ids, self._first_delta_passage)
        found = self.base.passages(base)
        found.update(self.delta.passages(delta))
        return {pid: found[pid] for pid in passage_ids if pid in found}

    def sentence_vectors(self, sentence_ids: Sequence[int]) -> np.ndarray:
        base, delta = self._split(sentence_ids, self._first_delta_sentence)
        if not delta:
            return self.base.sentence_vectors(sentence_ids)
        rows = dict(zip([*base, *delta], [*self.base.sentence_vectors(base), *self.delta.sentence_vectors(delta)]))
        return np.stack([rows[i] for i in sentence_ids]) if sentence_ids else np.empty((0, self.dim), np.float32)

    def sentence_texts(self, sentence_ids: Sequence[int]) -> dict[int, str]:
        base, delta = self._split(sentence_ids, self._first_delta_sentence)
        base = [i for i in base if i not in self._removed_sentences]
        return {**self.base.sentence_texts(base), **self.delta.sentence_texts(delta)}

    def sentence_terms(self, sentence_ids: Sequence[int]) -> dict[int, list[str]]:
        base, delta = self._split(sentence_ids, self._first_delta_sentence)
        base = [i for i in base if i not in self._removed_sentences]
        return {**self.base.sentence_terms(base), **self.delta.sentence_terms(delta)}

    def passage_ids(self, filters: Filters) -> np.ndarray:
        base = self.base.passage_ids(filters)
        base = base[~np.isin(base, self.removed_passages)] if len(self.removed_passages) else base
        return np.concatenate([base, self.delta.passage_ids(filters)])

    def article_passage_ids(self, article_id: str) -> list[int]:
        found = self.delta.article_passage_ids(article_id)
        if not found and article_id not in self.removed:
            found = self.base.article_passage_ids(article_id)
        return found

    def passage_terms(self) -> Iterator[tuple[int, str]]:
        removed = set(self.removed_passages.tolist())
        yield from ((pid, terms) for pid, terms in self.base.passage_terms() if pid not in removed)
        yield from self.delta.passage_terms()

    def damaged_articles(self) -> list[str]:
        return [a for a in self.base.damaged_articles() if a not in self.removed] + self.delta.damaged_articles()

    @staticmethod
    def _split(ids: Sequence[int], first_delta: int) -> tuple[list[int], list[int]]:
        base = [int(i) for i in ids if i < first_delta]
        return base, [int(i) for i in ids if i >= first_delta]


class SegmentedDense:
    """A base `DenseIndex` minus removed passages, plus the delta's. Search is thread-safe.

    Example:
        >>> base = DenseIndex.read(gen / "vectors.faiss", "Flat")  # doctest: +SKIP
        >>> delta = DenseIndex.read(gen / "delta" / "vectors.faiss", "Flat")  # doctest: +SKIP
        >>> dense = SegmentedDense(base, delta, removed)  # doctest: +SKIP
        >>> [pid for pid, _ in dense.search(vector, 3)]  # doctest: +SKIP
        [12, 7, 40]
    """

    def __init__(self, base: DenseIndex, delta: DenseIndex, removed: np.ndarray) -> None:
        self.base, self.delta, self.removed = base, delta, removed
        self.factory = base.factory
        self._delta_ids = np.sort(delta.ids())

    @property
    def ntotal(self) -> int:
        return self.base.ntotal - len(self.removed) + self.delta.ntotal

    @property
    def dim(self) -> int:
        return self.base.dim

    def search(self, vector: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-n passage ids over both segments (removed ones never appear)."""
        hits = self.base.search(vector, n, allowed, excluded=None if allowed is not None else self.removed)
        hits += self.delta.search(vector, n, allowed)
        hits.sort(key=lambda hit: -hit[1])
        return hits[:n]

    def vectors(self, passage_ids: np.ndarray | list[int]) -> np.ndarray:
        ids = np.asarray(passage_ids, dtype=np.int64)
        in_delta = np.isin(ids, self._delta_ids)
        out = np.empty((len(ids), self.dim), np.float32)
        if in_delta.any():
            out[in_delta] = self.delta.vectors(ids[in_delta])
        if (~in_delta).any():
            out[~in_delta] = self.base.vectors(ids[~in_delta])
        return out


# What a loaded generation reads through: one segment or two.
StoreReader = Store | SegmentedStore
DenseReader = DenseIndex | SegmentedDense


def open_segments(generation: Path, dim: int, factory: str, mapped: bool = False) -> tuple[StoreReader, DenseReader]:
    """The store and passage vectors of a generation folder: its base, with its delta when it
    has one. `mapped` memory-maps the vector files (for reading sizes, not searching). The
    caller closes the store. (`qa.index.load_index` opens the segments itself: it reuses an
    open base across reloads and reads the postings too.)

    Example:
        >>> store, dense = open_segments(current_generation(Path("index")), 384, "Flat")  # doctest: +SKIP
        >>> store.counts().passages == dense.ntotal  # doctest: +SKIP
        True
    """
    base = Store.open(generation / STORE_FILE, dim)
    base_dense = DenseIndex.read(generation / VECTORS_FILE, factory, mapped=mapped)
    delta = generation / DELTA_DIR
    if not (delta / STORE_FILE).exists():
        return base, base_dense
    store = SegmentedStore(base, Store.open(delta / STORE_FILE, dim))
    return store, SegmentedDense(
        base_dense, DenseIndex.read(delta / VECTORS_FILE, "Flat", mapped=mapped), store.removed_passages
    )
