"""Finding the passages that answer a question: dense (FAISS) + lexical (BM25), fused.

Dense search finds paraphrases; BM25 (our own scoring over the postings `qa.store.lexical`
keeps for passages, the same statistics over the candidates' sentences) finds exact names,
numbers and rare words the embedding blurs. Both candidate lists are merged, every candidate
gets both scores (missing ones are computed, not assumed zero), and a weighted sum ranks them:
the passage's cosine, its BM25 divided by the question's best BM25, and the best cosine and
BM25 of one of its sentences (a passage holding one sentence that
answers beats one that is vaguely on topic throughout). The weights were tuned on SQuAD
(docs/benchmarks.md); a weighted sum beats reciprocal rank fusion at rank 1 because it
keeps how far apart the scores are.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .articles import Source
from .config import Settings, whole_number
from .errors import QuestionError
from .filters import Filters
from .index import Index, open_index
from .splitting import Sentence
from .store import StoredPassage, bm25_terms
from .wording import is_text

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")
CANDIDATES = 50  # per retriever, before fusion
RERANK = 20  # passages whose sentences join the ranking
MAX_QUESTION_CHARS = 2000  # of a question, searched and read (a longer one: its beginning, with a notice)
HITS = 5  # passages `retrieve` returns unless told

__all__ = ["MAX_QUESTION_CHARS", "MODES", "Filters", "Hit", "Mode", "Query", "clean_question", "retrieve", "search"]


@dataclass(frozen=True)
class Hit:
    """A retrieved passage, with where it comes from and how well it matched.

    `score` is the score used for ranking (see `search`); `dense` is the cosine similarity
    of question and passage; `lexical` the BM25 score (0 when no word matched).
    """

    rank: int
    score: float
    source: Source
    passage_id: int
    text: str
    start: int
    end: int
    sentences: tuple[Sentence, ...]
    dense: float
    lexical: float
    sentence_ids: tuple[int, ...] = field(default=(), repr=False)
    sentence_dense: tuple[float, ...] = field(default=(), repr=False)  # cosine of each sentence
    sentence_lexical: tuple[float, ...] = field(default=(), repr=False)  # BM25 of each sentence
    content_hash: str = field(default="", repr=False)  # its article's: copies of one article share it

    def __str__(self) -> str:
        s = self.source
        where = ", ".join(x for x in (s.date, s.publisher or s.path) if x)
        return f"[{self.rank}] {s.title} ({where}) score {self.score:.3f}\n{self.text}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (a hit of `qa ask --json` and `qa ask --passages --json`): `rank`,
        `score`, `dense`, `lexical`, the source's keys (`Source.to_dict`) and `text`.

        Example:
            >>> retrieve("What tariffs did Trudeau impose?", k=1)[0].to_dict()["article_id"]
            'carney-china-trip.txt'
        """
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "dense": round(self.dense, 4),
            "lexical": round(self.lexical, 4),
            **self.source.to_dict(),
            "text": self.text,
        }


@dataclass(frozen=True)
class Query:
    """A question prepared for search: its vector and its BM25 terms."""

    text: str
    vector: np.ndarray
    terms: tuple[str, ...]
    truncated: bool


def make_query(text: str, vector: np.ndarray, truncated: bool = False) -> Query:
    """A `Query` for `text` searched with `vector`."""
    return Query(text=text, vector=vector, terms=tuple(bm25_terms([text])[0]), truncated=truncated)


def clean_question(question: object) -> str:
    """The question as one line of text, or QuestionError saying what is wrong with it
    (`answer` and `retrieve` check it too; a caller may check before loading an index).

    Example:
        >>> clean_question("  What tariffs\\n did Trudeau impose? ")
        'What tariffs did Trudeau impose?'
        >>> clean_question("What did Ｔｒｕｄｅａｕ impose?")
        'What did Trudeau impose?'
    """
    if not isinstance(question, str):
        raise QuestionError(f"The question must be text (a str), not {type(question).__name__}.")
    if not is_text(question):
        raise QuestionError(
            "The question contains characters that are not valid text (undecodable bytes or a lone surrogate); "
            "retype it."
        )
    # NFKC: full-width letters typed with an East Asian input method ("Ｔｒｕｄｅａｕ") and
    # ligatures read as the letters the articles spell (they were "not found").
    text = " ".join(unicodedata.normalize("NFKC", question).split())
    if not text:
        raise QuestionError("Please type a question.")
    if not any(c.isalnum() for c in text):  # "???" would be answered with whatever is closest
        raise QuestionError(f"{text[:40]!r} has no words to search for; please type a question.")
    return text


def prepare_query(question: str, index: Index) -> Query:
    """Validate and encode a question (QuestionError when it is not text or is empty)."""
    whole = clean_question(question)
    text = whole[:MAX_QUESTION_CHARS]
    encoder = index.encoder
    truncated = len(text) < len(whole) or not encoder.fits(text)
    return make_query(text, encoder.encode_queries([text])[0], truncated)


def retrieve(
    question: str,
    k: int = HITS,
    index: Index | str | Path | None = None,
    *,
    mode: Mode = "hybrid",
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> list[Hit]:
    """The `k` passages that best answer `question`, best first.

    A passage that shares a sentence with a better one of the same article comes after the
    others (the reader sees new text first), so `score` is not always decreasing.

    Args:
        question: the question, in plain words.
        k: how many passages to return.
        index: a loaded `Index`, a folder, or None for `settings.index_dir` (`index/`).
        mode: "hybrid" (default), "dense" or "bm25".
        filters: optional date range and sources.
        settings: model and index settings for loading `index` from a folder (default:
            `Settings()`; `load_settings()` adds the `QA_*` environment). A loaded `Index`
            keeps the settings it was loaded with: a `model` or `abstain_below` other
            than its own raises `ConfigError`.

    Example:
        >>> hits = retrieve("What tariffs did Trudeau impose?", k=3)
        >>> "100% tariff" in hits[0].text
        True
    """
    if isinstance(k, (Index, Path)) or (isinstance(k, str) and Path(k).is_dir()):
        # answer()'s second argument is the history, retrieve()'s is k: an index passed there
        # was opened first, and "No index in index/" named the wrong problem
        raise QuestionError(
            f"k={k!r:.60} is an index, not the number of passages to return: retrieve(question, index=…)."
        )
    _passages_wanted(k)
    index = open_index(index, settings)
    return search(prepare_query(question, index), index, k, mode=mode, filters=filters)


def _passages_wanted(k: Any) -> int:
    """`k` as the number of passages to return, or `QuestionError`."""
    whole = whole_number(k)
    if whole is None or whole < 1:
        raise QuestionError(f"k={k!r:.60} must be a whole number, at least 1: the number of passages to return.")
    return whole


@dataclass(frozen=True)
class Weights:
    """How a mode scores a passage: its own cosine and BM25 (divided by the question's best
    BM25), plus the best cosine and BM25 of one of its sentences."""

    dense: float
    lexical: float
    sentence_dense: float = 0.0
    sentence_lexical: float = 0.0


# Fitted on SQuAD v1.1 *train* (bench/fit_answering.py retrieval: bench/tune_squad.py's grid
# over 1,287 questions of articles the reader never saw, 2,080 paragraphs; docs/benchmarks.md).
# The single modes are the plain retrievers, kept for comparison and for `--mode`.
MODE_WEIGHTS = {
    "hybrid": Weights(dense=0.8, lexical=0.2, sentence_dense=0.6, sentence_lexical=0.3),
    "dense": Weights(dense=1.0, lexical=0.0),
    "bm25": Weights(dense=0.0, lexical=1.0),
}


def search(
    query: Query,
    index: Index,
    k: int,
    *,
    mode: Mode = "hybrid",
    filters: Filters | None = None,
) -> list[Hit]:
    """Rank passages for a prepared query (see `retrieve`).

    1. Each retriever of the mode proposes `CANDIDATES` passages; every candidate gets
       both scores. 2. The best `RERANK` by passage score are read with their sentences,
       whose own scores (computed once, reused by the answer step) join the ranking.
    3. A passage overlapping a better one of the same article moves behind the others.
    """
    if mode not in MODES:
        raise QuestionError(f"Unknown retrieval mode {mode!r}; use one of {', '.join(MODES)}.")
    k = _passages_wanted(k)
    if not isinstance(filters, (Filters, type(None))):
        raise QuestionError(f"filters={filters!r} must be a Filters (e.g. Filters(since='2026-01-01')) or None.")
    k = min(k, index.counts.passages)  # more than the index holds is all of it (and no huge arrays)
    w = MODE_WEIGHTS[mode]
    filters = filters or Filters()
    allowed = index.store.passage_ids(filters) if filters.restricts else None
    n = max(CANDIDATES, k)
    bm25 = index.lexical.scores(query.terms)
    dense: dict[int, float] = {}
    lexical: dict[int, float] = {}
    if w.dense or w.sentence_dense:
        dense = dict(index.dense.search(query.vector, n, allowed))
    if w.lexical or w.sentence_lexical:
        lexical = index.lexical.top(bm25, n, allowed)
    # Every candidate gets both scores, whatever the mode: ranking uses the mode's own,
    # the answer step and its confidence use both.
    only_lexical = [i for i in lexical if i not in dense]
    if only_lexical:
        dense.update(zip(only_lexical, (index.dense.vectors(only_lexical) @ query.vector).tolist(), strict=True))
    positions = np.searchsorted(index.lexical.ids, list(dense))
    lexical = {pid: float(bm25[pos]) for pid, pos in zip(dense, positions, strict=True) if bm25[pos] > 0}
    if not dense:
        return []
    best_lexical = max(lexical.values(), default=0.0) or 1.0
    first = {i: w.dense * dense[i] + w.lexical * lexical.get(i, 0.0) / best_lexical for i in dense}
    shortlist = sorted(first, key=first.__getitem__, reverse=True)[: max(RERANK, k)]
    records = index.store.passages(shortlist)
    sentence_ids = sorted({sid for r in records.values() for sid in r.sentence_ids})
    sentence_dense = dict(
        zip(sentence_ids, (index.store.sentence_vectors(sentence_ids) @ query.vector).tolist(), strict=True)
    )
    sentence_lexical = index.lexical.sentence_scores(query.terms, index.store.sentence_terms(sentence_ids))
    best_sentence_lexical = max(sentence_lexical.values(), default=0.0) or 1.0
    scores = {}
    for pid, r in records.items():
        scores[pid] = (
            first[pid]
            + w.sentence_dense * max(sentence_dense[s] for s in r.sentence_ids)
            + w.sentence_lexical * max(sentence_lexical.get(s, 0.0) for s in r.sentence_ids) / best_sentence_lexical
        )
    ranked = sorted(records.values(), key=lambda r: -scores[r.passage_id])
    if filters.prefer_recent:
        ranked = _newer_first_among_near_ties(ranked, scores)
    ranked = _demote_overlaps(ranked)
    return [
        _hit(
            rank,
            r,
            scores[r.passage_id],
            dense[r.passage_id],
            lexical.get(r.passage_id, 0.0),
            tuple(sentence_dense[s] for s in r.sentence_ids),
            tuple(sentence_lexical.get(s, 0.0) for s in r.sentence_ids),
        )
        for rank, r in enumerate(ranked[:k], start=1)
    ]


def _demote_overlaps(ranked: list[StoredPassage]) -> list[StoredPassage]:
    """Passages sharing a sentence with a better passage of the same article go last:
    the reader sees other material before the same sentences again."""
    shown: list[StoredPassage] = []
    later: list[StoredPassage] = []
    for r in ranked:
        overlaps = any(
            o.source.article_id == r.source.article_id
            and o.sentence_ids[0] <= r.sentence_ids[-1]
            and r.sentence_ids[0] <= o.sentence_ids[-1]
            for o in shown
        )
        (later if overlaps else shown).append(r)
    return shown + later


NEAR_TIE = 0.01  # passage scores this close are "nearly equal" for `Filters.prefer_recent`


def _newer_first_among_near_ties(ranked: list[StoredPassage], scores: dict[int, float]) -> list[StoredPassage]:
    """Within each run of passages scored within `NEAR_TIE` of the run's best, the newer
    article first (undated last), else by score. Runs are taken from the top, so 1.4951 and
    1.4949 are one run (rounding to two decimals parted them) and a run never spans more than
    `NEAR_TIE`."""
    reordered: list[StoredPassage] = []
    start = 0
    while start < len(ranked):
        best = scores[ranked[start].passage_id]
        end = start + 1
        while end < len(ranked) and best - scores[ranked[end].passage_id] <= NEAR_TIE:
            end += 1
        reordered += sorted(ranked[start:end], key=lambda r: _negated_date(r.source.date))  # stable: by score
        start = end
    return reordered


def _negated_date(date: str | None) -> int:
    return -int(date.replace("-", "")) if date else 0


def _hit(
    rank: int,
    r: StoredPassage,
    score: float,
    dense: float,
    lexical: float,
    sentence_dense: tuple[float, ...],
    sentence_lexical: tuple[float, ...],
) -> Hit:
    sentences = tuple(Sentence(r.body[a:b], a, b) for a, b in r.sentence_spans)
    return Hit(
        rank=rank,
        score=score,
        source=r.source,
        passage_id=r.passage_id,
        text=r.text,
        start=r.start,
        end=r.end,
        sentences=sentences,
        dense=dense,
        lexical=lexical,
        sentence_ids=r.sentence_ids,
        sentence_dense=sentence_dense,
        sentence_lexical=sentence_lexical,
        content_hash=r.content_hash,
    )
