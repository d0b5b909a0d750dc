"""The lexical index: BM25 over passages, and BM25 of candidate sentences.

Passages are ranked by BM25 computed at question time from stored postings (passages and
term frequencies per term, memory-mapped numpy arrays). bm25s, which the project used
before, precomputes each passage's score with the corpus-wide rarity of its terms baked
in: it cannot take an added passage, nor serve a corpus kept in a base and a delta
segment, without a full rebuild (~86 s at 1M passages). Its tokenizer is still used.
Sentences are scored with the same formula over their stored terms, so the cost follows
the ~200 candidate sentences, never the corpus (SQLite FTS5's `bm25()` counts every row
holding a term: 60 ms a question at 1M passages).
"""

from __future__ import annotations

import json
import math
import unicodedata
from array import array
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError

# BM25 of passages: bm25s's defaults ("lucene"), which ranked passages before scores moved
# to question time (tests/test_lexical.py checks the scores against bm25s's own).
BM25_K1 = 1.5
BM25_B = 0.75
# BM25 of sentences: FTS5's and Lucene's defaults.
SENTENCE_BM25_K1 = 1.2
SENTENCE_BM25_B = 0.75

_STEMMER: Any = None


def bm25_terms(texts: Sequence[str]) -> list[list[str]]:
    """The BM25 terms of each text: lower-cased words, Snowball-stemmed, without bm25s's
    English stopwords (Lucene's short list of 33: "the", "of", "is" go; "what", "did" stay).
    Words are read in NFKC form, as questions are: an article saved with decomposed accents
    ("Mu\u0308ller") gave the terms "mu", "ller", and "Müller" never found it.

    Example:
        >>> bm25_terms(["What tariffs did the Trudeau government impose?"])
        [['what', 'tariff', 'did', 'trudeau', 'govern', 'impos']]
    """
    import bm25s
    import Stemmer

    global _STEMMER
    if _STEMMER is None:
        _STEMMER = Stemmer.Stemmer("english")
    terms: list[list[str]] = bm25s.tokenize(
        [unicodedata.normalize("NFKC", t) for t in texts],
        stopwords="en",
        stemmer=_STEMMER,
        return_ids=False,
        show_progress=False,
    )
    return terms


class LexicalSegment:
    """One segment's postings: per term, the passages holding it and how often (term-major CSC).

    Files in its folder: `ids.npy` (passage id of each position, ascending), `lengths.npy`
    (terms per passage), `indptr.npy`/`docs.npy`/`tf.npy` (the postings) and `vocab.json`.
    Arrays are memory-mapped: they stay on disk until a question touches them, and
    processes serving the same index share one copy in the page cache.
    """

    def __init__(
        self,
        ids: np.ndarray,
        lengths: np.ndarray,
        indptr: np.ndarray,
        docs: np.ndarray,
        tf: np.ndarray,
        vocab: dict[str, int],
    ) -> None:
        self.ids, self.lengths, self.indptr, self.docs, self.tf, self.vocab = ids, lengths, indptr, docs, tf, vocab

    @classmethod
    def read(cls, folder: Path) -> LexicalSegment:
        try:
            arrays = [
                np.load(folder / f"{name}.npy", mmap_mode="r") for name in ("ids", "lengths", "indptr", "docs", "tf")
            ]
            vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise IndexCorruptError(
                f"{folder} is incomplete ({Path(exc.filename or '').name} missing). Rebuild with: qa index --full"
            ) from None
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(f"{folder} is damaged ({exc}). Rebuild with: qa index --full") from None
        ids, lengths, indptr, docs, tf = arrays
        if (
            not isinstance(vocab, dict)
            or len(lengths) != len(ids)
            or len(indptr) != len(vocab) + 1
            or len(docs) != len(tf)
        ):
            raise IndexCorruptError(f"{folder} is damaged (arrays disagree). Rebuild with: qa index --full")
        return cls(ids, lengths, indptr, docs, tf, vocab)

    @staticmethod
    def write(passage_terms: Iterable[tuple[int, str]], folder: Path) -> None:
        """Write the postings of passages (id, space-separated terms), ids ascending."""
        folder.mkdir(parents=True)
        vocab: dict[str, int] = {}
        ids, flat, lengths = array("q"), array("i"), array("i")
        for pid, terms in passage_terms:
            words = terms.split()
            ids.append(pid)
            lengths.append(len(words))
            flat.extend([vocab.setdefault(t, len(vocab)) for t in words])
        from scipy.sparse import coo_matrix

        term_ids = np.frombuffer(flat, dtype=np.int32)
        positions = np.repeat(np.arange(len(ids), dtype=np.int32), np.frombuffer(lengths, dtype=np.int32))
        # A (passage x term) count matrix in column (term) order: scipy groups by term and sums
        # repeats with a counting sort in int32. (np.unique over int64 keys peaked at 3.8 GB
        # for 1M passages, docs/benchmarks.md; this at about a third of that.)
        ones = np.ones(len(term_ids), dtype=np.int32)
        matrix = coo_matrix((ones, (positions, term_ids)), shape=(len(ids), len(vocab))).tocsc()
        del ones, positions, term_ids
        matrix.sum_duplicates()
        indptr = matrix.indptr.astype(np.int64)
        np.save(folder / "ids.npy", np.frombuffer(ids, dtype=np.int64))
        np.save(folder / "lengths.npy", np.frombuffer(lengths, dtype=np.int32))
        np.save(folder / "indptr.npy", indptr)
        np.save(folder / "docs.npy", matrix.indices.astype(np.int32, copy=False))
        np.save(folder / "tf.npy", np.minimum(matrix.data, np.iinfo(np.uint16).max).astype(np.uint16))
        (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(positions, term frequencies) of the passages holding `term`."""
        column = self.vocab.get(term)
        if column is None:
            return _NO_POSITIONS, _NO_TF
        begin, end = int(self.indptr[column]), int(self.indptr[column + 1])
        return np.asarray(self.docs[begin:end]), np.asarray(self.tf[begin:end])


def _joined(arrays: Sequence[np.ndarray], dtype: type) -> np.ndarray:
    if len(arrays) == 1:
        return arrays[0]
    return np.concatenate(arrays) if arrays else np.empty(0, dtype)


_NO_POSITIONS = np.empty(0, dtype=np.int32)
_NO_TF = np.empty(0, dtype=np.uint16)


class LexicalIndex:
    """BM25 over passages, by passage id, across the segments of a generation.

    Scores are computed at question time from term frequencies (the Lucene way) rather
    than precomputed per passage (bm25s's way): a term's rarity and the average passage
    length then come from all segments together, minus removed passages, so a base
    segment plus a small delta ranks exactly as one index rebuilt from scratch.
    Safe to share between threads.

    Example:
        >>> lexical = LexicalIndex.read(generation / "bm25")  # doctest: +SKIP
        >>> lexical.scores(["tariff"]).shape == lexical.ids.shape  # doctest: +SKIP
        True
    """

    def __init__(self, segments: Sequence[LexicalSegment], removed: np.ndarray | None = None) -> None:
        self.segments = tuple(segments)
        # One segment: its memory-mapped ids as they are (a copy would be 8 MB per process at 1M).
        self.ids = _joined([s.ids for s in self.segments], np.int64)
        self._offsets = np.cumsum([0, *(len(s.ids) for s in self.segments)])
        self._live = np.ones(len(self.ids), dtype=bool)
        if removed is not None and len(removed):
            self._live[np.searchsorted(self.ids, removed)[np.isin(removed, self.ids)]] = False
        lengths = _joined([s.lengths for s in self.segments], np.int32)
        self._count = int(np.count_nonzero(self._live))
        average = float(lengths[self._live].sum()) / self._count if self._count else 1.0
        # Per position, the length part of BM25's denominator; removed passages get infinity (score 0).
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths.astype(np.float32) / np.float32(average or 1.0))
        self._norm = np.where(self._live, norm, np.inf).astype(np.float32)

    @classmethod
    def read(cls, *folders: Path, removed: np.ndarray | None = None) -> LexicalIndex:
        """The lexical index of the segments in `folders` (base first), minus `removed` passage ids."""
        return cls([LexicalSegment.read(f) for f in folders], removed)

    @staticmethod
    def write(passage_terms: Iterable[tuple[int, str]], folder: Path) -> None:
        """Write one segment from stored terms (nothing is tokenized again): ~1 s for the BBC corpus."""
        LexicalSegment.write(passage_terms, folder)

    def __len__(self) -> int:
        return self._count

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 of every passage for the query terms, in the order of `ids` (a repeated term counts twice)."""
        scores = np.zeros(len(self.ids), dtype=np.float32)
        for term in terms:
            weight = np.float32(self.idf(term))
            if not weight:
                continue
            for segment, offset in zip(self.segments, self._offsets):
                positions, tf = segment.postings(term)
                if not len(positions):
                    continue
                at = positions + offset if offset else positions
                frequency = tf.astype(np.float32)
                # weight * tf / (tf + norm), in place: ~500k postings a question at 1M passages,
                # where temporaries tripled the time (8 ms instead of 24 ms, docs/benchmarks.md).
                part = self._norm[at]
                part += frequency
                np.divide(frequency, part, out=part)
                part *= weight
                scores[at] += part
        return scores

    def top(self, scores: np.ndarray, n: int, allowed: np.ndarray | None = None) -> dict[int, float]:
        """The n best passages by `scores` (id -> score), among `allowed` passage ids if given."""
        ids = self.ids
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            positions = np.searchsorted(ids, allowed)
            mask[positions[(positions < len(ids)) & (ids[np.minimum(positions, len(ids) - 1)] == allowed)]] = True
            scores = np.where(mask, scores, 0)
        n = min(n, int(np.count_nonzero(scores)))
        if n == 0:
            return {}
        top = np.argpartition(-scores, n - 1)[:n]
        return {int(ids[i]): float(scores[i]) for i in top}

    def idf(self, term: str) -> float:
        """BM25 (Lucene) IDF of a term over the live passages; 0 for a term no passage holds."""
        df = 0
        for segment, offset in zip(self.segments, self._offsets):
            positions, _ = segment.postings(term)
            df += len(positions) if self._count == len(self._live) else int(self._live[positions + offset].sum())
        n = self._count
        return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0

    def sentence_scores(self, terms: Sequence[str], sentence_terms: Mapping[int, Sequence[str]]) -> dict[int, float]:
        """BM25 of sentences (id -> terms) for the query terms; sentences matching none are absent.

        A term's rarity is its passage frequency, and a sentence's length is weighed
        against the sentences compared.
        """
        idf = {t: self.idf(t) for t in set(terms)}
        idf = {t: v for t, v in idf.items() if v > 0}
        if not idf or not sentence_terms:
            return {}
        average = max(sum(map(len, sentence_terms.values())) / len(sentence_terms), 1.0)
        scores = {}
        for sid, words in sentence_terms.items():
            norm = SENTENCE_BM25_K1 * (1 - SENTENCE_BM25_B + SENTENCE_BM25_B * len(words) / average)
            score = 0.0
            for term, weight in idf.items():
                tf = words.count(term)
                if tf:
                    score += weight * tf * (SENTENCE_BM25_K1 + 1) / (tf + norm)
            if score:
                scores[sid] = score
        return scores
