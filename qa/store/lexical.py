"""The lexical index: BM25 over passages (bm25s), and BM25 of candidate sentences.

Passages are ranked by bm25s from precomputed sparse scores. Sentences are scored with
the BM25 formula over their stored terms, taking each term's rarity (IDF) from bm25s's
per-term postings, so the cost follows the ~200 candidate sentences, never the corpus
(SQLite FTS5's `bm25()` counts every row holding a term: 60 ms a question at 1M passages).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError

# BM25 of sentences: FTS5's and Lucene's defaults.
SENTENCE_BM25_K1 = 1.2
SENTENCE_BM25_B = 0.75

_STEMMER: Any = None


def bm25_terms(texts: Sequence[str]) -> list[list[str]]:
    """The BM25 terms of each text: lower-cased words, English stopwords out, Snowball-stemmed.

    Example:
        >>> bm25_terms(["What tariffs did Trudeau impose?"])
        [['tariff', 'trudeau', 'impos']]
    """
    import bm25s
    import Stemmer

    global _STEMMER
    if _STEMMER is None:
        _STEMMER = Stemmer.Stemmer("english")
    terms: list[list[str]] = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False
    )
    return terms


class LexicalIndex:
    """BM25 over passages, by passage id. Safe to share between threads.

    Example:
        >>> lexical = LexicalIndex.read(generation / "bm25")  # doctest: +SKIP
        >>> lexical.scores(["tariff"]).shape == lexical.ids.shape  # doctest: +SKIP
        True
    """

    def __init__(self, retriever: Any, ids: np.ndarray) -> None:
        self._bm25 = retriever
        self.ids = ids  # passage id of each position of `scores` (ascending)

    @classmethod
    def read(cls, folder: Path) -> LexicalIndex:
        import bm25s

        try:
            ids = np.load(folder / "ids.npy")
            if len(ids) == 0:
                return cls(None, ids)
            # mmap: the arrays stay on disk until a question touches them (1M passages: ~1 GB)
            return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False), ids)
        except FileNotFoundError as exc:
            raise IndexCorruptError(
                f"{folder} is incomplete ({Path(exc.filename or '').name} missing). Rebuild with: qa index --full"
            ) from None
        except (ValueError, OSError, KeyError) as exc:
            raise IndexCorruptError(f"{folder} is damaged ({exc}). Rebuild with: qa index --full") from None

    @staticmethod
    def write(passage_terms: Iterable[tuple[int, str]], folder: Path) -> None:
        """Build the passage BM25 index from stored terms (nothing is tokenized again).

        bm25s cannot add or remove documents, so every build that changes passages rebuilds
        it; from stored terms that takes ~0.75 s for the BBC corpus, ~60 s for 1M passages.
        """
        import bm25s

        folder.mkdir()
        vocab: dict[str, int] = {}
        ids, flat, ends = array("q"), array("i"), array("q")
        for pid, terms in passage_terms:
            ids.append(pid)
            flat.extend([vocab.setdefault(t, len(vocab)) for t in terms.split()])
            ends.append(len(flat))
        if ids:
            retriever = bm25s.BM25()
            documents = _TermIds(np.frombuffer(flat, dtype=np.int32), np.frombuffer(ends, dtype=np.int64))
            retriever.index(bm25s.tokenization.Tokenized(ids=documents, vocab=vocab), show_progress=False)
            retriever.save(str(folder), show_progress=False)
        np.save(folder / "ids.npy", np.frombuffer(ids, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 of every passage for the query terms, in the order of `ids`."""
        known = [t for t in terms if t in self._bm25.vocab_dict] if self._bm25 is not None else []
        if not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        scores: np.ndarray = self._bm25.get_scores(known)
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
        """BM25 (Lucene) IDF of a term over passages; 0 for a term no passage holds."""
        position = self._bm25.vocab_dict.get(term) if self._bm25 is not None else None
        if position is None:
            return 0.0
        indptr = self._bm25.scores["indptr"]
        # bm25s keeps a "" token past the end of its columns: no postings to count.
        if position + 1 >= len(indptr):
            return 0.0
        df = int(indptr[position + 1] - indptr[position])  # passages holding the term
        n = len(self.ids)
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


class _TermIds(Sequence[list[int]]):
    """Each passage's term ids as a list, made on demand from one flat array.

    bm25s wants a list of id lists; built all at once, a million passages' lists take
    several hundred MB (as strings, several GB). This holds 4 bytes per term instead.
    """

    def __init__(self, flat: np.ndarray, ends: np.ndarray) -> None:
        self._flat, self._ends = flat, ends

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> list[int]:  # type: ignore[override]
        start = int(self._ends[i - 1]) if i > 0 else 0
        terms: list[int] = self._flat[start : int(self._ends[i])].tolist()
        return terms

    def __iter__(self) -> Iterator[list[int]]:
        start = 0
        for end in self._ends.tolist():
            yield self._flat[start:end].tolist()
            start = end
