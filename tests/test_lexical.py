from __future__ import annotations

import bm25s
import numpy as np
import pytest

from qa.store.lexical import LexicalIndex, bm25_terms

TEXTS = [
    "Trudeau imposed a 100% tariff on Chinese-made electric vehicles.",
    "China answered with retaliatory tariffs on canola and pork.",
    "The weather in Ottawa was fine; no tariff news today.",
    "Tariffs, tariffs and more tariffs dominated the trade talks in Beijing.",
    "",
    "Rovers won the cup final; their striker scored twice.",
]
QUESTIONS = ["What tariffs did Trudeau impose?", "tariff tariff China", "cup final striker", "unknownword"]


def _write(tmp_path, name, pairs):
    LexicalIndex.write(iter(pairs), tmp_path / name)
    return tmp_path / name


@pytest.fixture
def terms() -> list[str]:
    return [" ".join(t) for t in bm25_terms(TEXTS)]


def test_scores_equal_bm25s_on_the_same_passages(tmp_path, terms):
    """Scoring moved from bm25s's precomputed matrix to question time: same numbers."""
    index = LexicalIndex.read(_write(tmp_path, "one", [(i + 1, t) for i, t in enumerate(terms)]))
    oracle = bm25s.BM25()
    oracle.index([t.split() for t in terms], show_progress=False)
    for question in QUESTIONS:
        query = bm25_terms([question])[0]
        known = [t for t in query if t in oracle.vocab_dict]
        expected = oracle.get_scores(known) if known else np.zeros(len(terms))
        np.testing.assert_allclose(index.scores(query), expected, rtol=1e-5, atol=1e-7)
    assert len(index) == len(TEXTS) and index.ids.tolist() == [1, 2, 3, 4, 5, 6]


def test_base_plus_delta_minus_removed_scores_like_one_index_of_the_live_passages(tmp_path, terms):
    """Global statistics: rarity and average length come from all segments, removed passages out."""
    base = _write(tmp_path, "base", [(i + 1, t) for i, t in enumerate(terms[:4])])
    delta = _write(tmp_path, "delta", [(10, terms[4]), (11, terms[5]), (12, terms[1])])
    segmented = LexicalIndex.read(base, delta, removed=np.array([2, 3]))
    live = {1: terms[0], 4: terms[3], 10: terms[4], 11: terms[5], 12: terms[1]}
    single = LexicalIndex.read(_write(tmp_path, "single", sorted(live.items())))
    assert len(segmented) == 5
    for question in QUESTIONS:
        query = bm25_terms([question])[0]
        got = dict(zip(segmented.ids.tolist(), segmented.scores(query).tolist()))
        want = dict(zip(single.ids.tolist(), single.scores(query).tolist()))
        assert got[2] == got[3] == 0.0  # removed passages never score
        assert {pid: got[pid] for pid in live} == pytest.approx(want, rel=1e-6)
        for term in query:
            assert segmented.idf(term) == pytest.approx(single.idf(term))
    top = segmented.top(segmented.scores(bm25_terms(["tariffs China"])[0]), 10)
    assert set(top) <= set(live) and 12 in top


def test_top_respects_allowed_ids(tmp_path, terms):
    index = LexicalIndex.read(_write(tmp_path, "one", [(i + 1, t) for i, t in enumerate(terms)]))
    scores = index.scores(bm25_terms(["tariffs"])[0])
    assert set(index.top(scores, 10)) == {1, 2, 3, 4}
    assert set(index.top(scores, 10, allowed=np.array([2, 6]))) == {2}


def test_an_empty_segment_reads_and_scores_nothing(tmp_path):
    index = LexicalIndex.read(_write(tmp_path, "empty", []))
    assert len(index) == 0 and index.scores(["tariff"]).shape == (0,) and index.idf("tariff") == 0.0
