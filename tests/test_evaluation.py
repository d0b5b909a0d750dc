from __future__ import annotations

from pathlib import Path

import pytest

from qa.config import Settings
from qa.evaluation import contains_answer, evaluate_file, load_squad

FIXTURE = Path(__file__).parent / "data" / "squad-mini.json"


def test_squad_paragraphs_become_articles_with_gold_ids():
    records, questions = load_squad(FIXTURE)
    assert [r["id"] for r in records] == ["Zebra/0", "Zebra/1", "Volcano/0"]
    assert records[2]["title"] == "Volcano"
    assert questions[0].gold == frozenset({"squad.jsonl#Zebra/0"})
    assert questions[3].answers == ("May",)


def test_contains_answer_ignores_case_and_punctuation_but_not_word_boundaries():
    assert contains_answer(["Stripes confuse Biting flies."], ["biting flies"])
    assert not contains_answer(["The stripes confuse flies."], ["biting flies"])
    assert not contains_answer(["hundredsfold"], ["hundreds"])


def test_eval_metrics_match_hand_computed_values(tmp_path, fake, monkeypatch):
    """BM25 mode, so the ranking can be worked out by hand.

    q1, q2 and q3 share their rare words only with their own paragraph: gold at rank 1,
    and the sentence holding those words (and the answer) comes first. q4 ("When did lava
    reach the sea while mothers hide newborns in tall grass?", gold Volcano/0) shares five
    words with Zebra/1 (mothers, hide, newborns, tall, grass) and four with its gold (lava,
    reach, sea, grass): gold at rank 2. Its answer leads with "Mothers hide newborns in
    tall grass." (no "May"); the gold sentence "...reached the sea in May." is third.
    recall@1 = 3/4, recall@5 = recall@10 = 1, MRR = (1 + 1 + 1 + 1/2) / 4 = 0.875,
    sentence hit@1 = 3/4, sentence hit@3 = 4/4.
    """
    # abstain_below=0: judge the ranking, not abstention
    settings = Settings(index_dir=tmp_path / "unused", cache_dir=tmp_path / "cache", abstain_below=0.0)
    report = evaluate_file(
        FIXTURE, settings, mode="bm25", index_dir=tmp_path / "eval-index", progress=False, encoder=fake
    )
    m = report.metrics["bm25"]
    assert m["questions"] == 4
    assert m["recall@1"] == 0.75 and m["recall@5"] == 1.0 and m["recall@10"] == 1.0
    assert m["mrr"] == pytest.approx(0.875)
    assert m["sentence_hit@1"] == 0.75 and m["sentence_hit@3"] == 1.0
    assert m["abstained"] == 0.0 and m["p50_ms"] > 0
    assert "recall@1" in report.table() and "bm25" in report.table()


def test_eval_all_modes_and_json_keys(tmp_path, fake):
    settings = Settings(index_dir=tmp_path / "unused", cache_dir=tmp_path / "cache")
    report = evaluate_file(
        FIXTURE, settings, mode="all", limit=2, index_dir=tmp_path / "i", progress=False, encoder=fake
    )
    assert list(report.metrics) == ["dense", "bm25", "hybrid"]
    for metrics in report.metrics.values():
        assert set(metrics) == {
            "recall@1",
            "recall@5",
            "recall@10",
            "mrr",
            "sentence_hit@1",
            "sentence_hit@3",
            "abstained",
            "p50_ms",
            "p95_ms",
            "questions",
        }
        assert metrics["questions"] == 2


def test_eval_jsonl_questions_against_an_existing_index(tmp_path, fake, built, settings):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "Who won the cup final?", "answers": ["Rovers"], "article_id": "football.txt"}\n'
        '{"question": "How many people were evacuated?", "answers": ["4,000"]}\n'
    )
    report = evaluate_file(
        questions, settings, mode="hybrid", index_dir=settings.index_dir, progress=False, encoder=fake
    )
    assert report.metrics["hybrid"]["questions"] == 2
    assert report.metrics["hybrid"]["recall@1"] in (0.0, 0.5, 1.0)


def test_eval_rejects_a_missing_file(tmp_path):
    from qa.errors import QAError

    with pytest.raises(QAError, match="does not exist"):
        evaluate_file(tmp_path / "nope.json", Settings())
