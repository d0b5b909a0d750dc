from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from qa.config import Settings
from qa.errors import ArticleError, QAError
from qa.evaluation import (
    METRICS,
    EvalQuestion,
    _score,
    contains_answer,
    evaluate_file,
    exact_match,
    f1_score,
    load_question_set,
    load_squad,
    score_questions,
    squad_normalise,
    summarise,
)
from qa.index import load_index
from tests.fakes import FakeReader

FIXTURE = Path(__file__).parent / "data" / "squad-mini.json"


def test_squad_paragraphs_become_articles_with_gold_ids():
    records, questions = load_squad(FIXTURE)
    assert [r["id"] for r in records] == ["Zebra/0", "Zebra/1", "Volcano/0"]
    assert records[2]["title"] == "Volcano"
    assert questions[0].gold == frozenset({"squad.jsonl#Zebra/0"})
    assert questions[3].answers == ("May",)


def test_two_squad_articles_of_one_title_keep_apart():
    # Both were "Town/0": one paragraph was never indexed, and its question's gold the other's.
    para = {
        "context": "Millbrook has a mill.",
        "qas": [{"question": "What has Millbrook?", "answers": [{"text": "a mill"}]}],
    }
    other = {**para, "context": "Eastwick has a well."}
    data = {"data": [{"title": "Town", "paragraphs": [para]}, {"title": "Town", "paragraphs": [other]}]}
    data["data"].insert(1, {"title": "Town (2)", "paragraphs": [para]})  # a title that is the renamed one's
    records, questions = load_squad(Path("dup.json"), data)
    assert [r["id"] for r in records] == ["Town/0", "Town (2)/0", "Town (3)/0"]
    data["data"].pop(1)
    records, questions = load_squad(Path("dup.json"), data)
    assert [r["id"] for r in records] == ["Town/0", "Town (2)/0"]
    assert [q.gold for q in questions] == [frozenset({"squad.jsonl#Town/0"}), frozenset({"squad.jsonl#Town (2)/0"})]


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
        FIXTURE, settings, mode="bm25", index_dir=tmp_path / "eval-index", progress=False, encoder=fake, fast=True
    )
    m = report.metrics["bm25"]
    assert m["questions"] == 4
    assert m["recall@1"] == 0.75 and m["recall@5"] == 1.0 and m["recall@10"] == 1.0
    assert m["mrr"] == pytest.approx(0.875)
    assert m["cited_article@1"] == 0.75  # q4 leads with the zebra sentence
    assert m["sentence_hit@1"] == 0.75 and m["sentence_hit@3"] == 1.0
    assert m["answer_shown@1"] == 0.75  # no first sentence here leans on the one before it
    assert m["abstained"] == 0.0 and m["p50_ms"] > 0
    assert "recall@1" in report.table() and "bm25" in report.table()


def test_answer_shown_counts_the_context_shown_above_the_first_sentence():
    from qa.answering import Answer, AnswerSentence, Citation
    from qa.evaluation import EvalQuestion, _score
    from qa.retrieval import Source
    from qa.splitting import Sentence

    lead, before = "The retailer said it would close stores.", "Bed Bath & Beyond warned of bankruptcy."
    source = Source("a", "Title", "a.txt", None, None)
    citation = Citation(1, source, lead, 40, 80, before + " " + lead, 0, 80, 0.9)

    def shown(context: Sentence | None) -> tuple[float, float]:
        result = Answer("Which chain?", True, lead, (AnswerSentence(lead, citation, 0.9, None, context),), (), 0.9)
        row = _score(EvalQuestion("Which chain?", ("Bed Bath & Beyond",)), (), result, 5.0)
        return row[METRICS.index("sentence_hit@1")], row[METRICS.index("answer_shown@1")]

    assert shown(Sentence(before, 0, 39)) == (0.0, 1.0)  # the answer is in the context the chat shows
    assert shown(None) == (0.0, 0.0)


def test_rows_of_each_question_summarise_to_any_subsets_metrics(tmp_path, fake):
    """The hand-computed case above, question by question: q4 alone misses at rank 1."""
    settings = Settings(index_dir=tmp_path / "eval-index", cache_dir=tmp_path / "cache", abstain_below=0.0)
    evaluate_file(FIXTURE, settings, mode="bm25", index_dir=settings.index_dir, progress=False, encoder=fake, fast=True)
    index = load_index(settings.index_dir, settings, encoder=fake)
    questions = load_question_set(FIXTURE).questions
    rows = score_questions(index, questions, ["bm25"], fast=True, progress=False)["bm25"]
    assert [row[METRICS.index("sentence_hit@1")] for row in rows] == [1.0, 1.0, 1.0, 0.0]
    assert summarise(rows[:3], has_gold=True)["sentence_hit@1"] == 1.0
    last = summarise(rows[3:], has_gold=True)
    assert last["sentence_hit@1"] == 0.0 and last["mrr"] == 0.5 and last["questions"] == 1
    assert "mrr" not in summarise(rows, has_gold=False)


def test_eval_all_modes_and_json_keys(tmp_path, fake):
    settings = Settings(index_dir=tmp_path / "unused", cache_dir=tmp_path / "cache")
    report = evaluate_file(
        FIXTURE,
        settings,
        mode="all",
        limit=2,
        index_dir=tmp_path / "i",
        progress=False,
        encoder=fake,
        reader=FakeReader(),
    )
    assert list(report.metrics) == ["dense", "bm25", "hybrid"]
    for metrics in report.metrics.values():
        assert set(metrics) == set(METRICS) - {"abstained_unanswerable"}  # SQuAD v1.1: every question answerable
        assert metrics["questions"] == 2
        assert 0 <= metrics["span_f1"] <= 1 and metrics["span_em"] <= metrics["span_f1"]


def test_eval_reuses_its_index_but_never_replaces_an_index_of_other_articles(tmp_path, fake, built, settings):
    from qa.errors import ArticleError

    run = {"progress": False, "encoder": fake, "reader": FakeReader(), "limit": 2}
    own = tmp_path / "squad-index"
    evaluate_file(FIXTURE, settings, index_dir=own, **run)
    again = evaluate_file(FIXTURE, settings, index_dir=own, **run)
    assert "build: 0 passages embedded" in again.notes[0]  # reused as it was, from another temporary folder
    held = built.counts.articles
    with pytest.raises(ArticleError, match=r"holds other articles than .*squad-mini.json's; qa eval would replace"):
        evaluate_file(FIXTURE, settings, index_dir=settings.index_dir, **run)
    assert load_index(settings.index_dir, settings, encoder=fake).counts.articles == held  # untouched


def test_eval_never_keeps_its_index_in_the_articles_folder(tmp_path, fake, settings):
    from qa.errors import ConfigError

    run = {"progress": False, "encoder": fake, "reader": FakeReader(), "limit": 2}
    before = sorted(p.name for p in settings.articles_dir.iterdir())
    for inside in (settings.articles_dir, settings.articles_dir / "eval"):
        with pytest.raises(ConfigError, match=r"articles folder .*of its own \(--index squad-mini-index\)"):
            evaluate_file(FIXTURE, settings, index_dir=inside, **run)
    assert sorted(p.name for p in settings.articles_dir.iterdir()) == before  # nothing written there
    hidden = settings.articles_dir / ".eval-index"  # never read by qa index: allowed
    assert evaluate_file(FIXTURE, settings, index_dir=hidden, **run).metrics["hybrid"]["questions"] == 2


def test_eval_jsonl_questions_against_an_existing_index(tmp_path, fake, built, settings):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "Who won the cup final?", "answers": ["Rovers"], "article_id": "football.txt"}\n'
        '{"question": "How many people were evacuated?", "answers": ["4,000"]}\n'
    )
    report = evaluate_file(
        questions,
        replace(settings, abstain_below=0.0),  # the fake encoder's cosines are low: judge the plumbing
        mode="hybrid",
        index_dir=settings.index_dir,
        progress=False,
        encoder=fake,
        reader=FakeReader(),
    )
    m = report.metrics["hybrid"]
    # Only the first names its article (found first): recall is over it alone, not a miss for the other.
    assert m["questions"] == 2 and m["recall@1"] == 1.0
    assert m["sentence_hit@3"] >= 0.5


def test_eval_rejects_a_missing_file(tmp_path):
    from qa.errors import QAError

    with pytest.raises(QAError, match=r"does not exist; pass a SQuAD v1.1 JSON.*see qa eval --help"):
        evaluate_file(tmp_path / "nope.json", Settings())
    with pytest.raises(QAError, match=r"does not exist yet: the chat writes it .* thumbs up or down"):
        evaluate_file(tmp_path / "index" / "feedback.jsonl", Settings())


def test_eval_without_index_names_the_default_index_it_answers_from(tmp_path, fake, built, settings):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "Who won the cup final?", "answers": ["Rovers"]}\n')
    run = dict(progress=False, encoder=fake, reader=FakeReader())
    report = evaluate_file(questions, settings, mode="bm25", **run)  # no --index: settings.index_dir
    assert report.index_dir == str(settings.index_dir)


def test_eval_says_before_indexing_a_question_sets_articles(tmp_path, fake, settings, capsys):
    evaluate_file(FIXTURE, settings, mode="bm25", progress=True, encoder=fake, fast=True, limit=1)
    notice = capsys.readouterr().err
    assert "Indexing the 3 articles of squad-mini.json temporarily (--index DIR keeps it)" in notice
    kept = tmp_path / "kept"
    for notice_wanted in ("Indexing the 3 articles of squad-mini.json into", "Checking the index"):
        evaluate_file(FIXTURE, settings, mode="bm25", progress=True, encoder=fake, fast=True, limit=1, index_dir=kept)
        assert notice_wanted in capsys.readouterr().err  # a rerun reuses the kept index and says so


def test_official_squad_normalisation_and_span_scores():
    assert squad_normalise("The  Denver Broncos!") == "denver broncos"
    assert squad_normalise("an apple, a pear") == "apple pear"
    assert exact_match("the Denver Broncos.", "Denver Broncos") == 1.0
    assert exact_match("Broncos", "Denver Broncos") == 0.0
    assert f1_score("Broncos", "Denver Broncos") == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert f1_score("Carolina Panthers", "Denver Broncos") == 0.0


def test_span_metrics_of_one_answer():
    from qa.answering import Answer, AnswerSentence, Citation
    from qa.articles import Source

    sentence = "Trudeau imposed a 100% tariff on Chinese-made electric vehicles in 2024."
    citation = Citation(1, Source("a", "T", "a.txt"), sentence, 10, 10 + len(sentence), sentence, 10, 82, 1.0)
    span = (10 + sentence.index("a 100%"), 10 + sentence.index(" on Chinese"))  # "a 100% tariff"
    result = Answer("q", True, sentence + " [1]", (AnswerSentence(sentence, citation, 1.0, span=span),), (), 0.9)
    q = EvalQuestion("What tariffs did Trudeau impose?", ("100% tariff", "tariffs on electric vehicles"))
    row = dict(zip(METRICS, _score(q, [], result, 12.0)))
    assert row["sentence_hit@1"] == 1.0 and row["span_em"] == 1.0  # "a" is an article: normalised away
    assert row["span_f1"] == 1.0 and row["answer_in_span"] == 1.0 and row["abstained"] == 0.0
    wrong = EvalQuestion("q", ("Chinese-made electric vehicles",))
    row = dict(zip(METRICS, _score(wrong, [], result, 12.0)))
    assert row["span_em"] == 0.0 and row["span_f1"] == 0.0 and row["answer_in_span"] == 0.0
    assert row["sentence_hit@1"] == 1.0


def test_news_layout_is_read_and_indexed(tmp_path, fake):
    news = tmp_path / "news.json"
    news.write_text(
        json.dumps(
            {
                "source": "test",
                "articles": [
                    {
                        "id": "n1",
                        "title": "Rovers win",
                        "date": "2023-01-02",
                        "url": "https://x.test/1",
                        "text": "Rovers won the national cup final on Saturday. Their striker Smith scored twice.",
                    },
                    {
                        "id": "n2",
                        "title": "Rain",
                        "date": "2023-01-03",
                        "text": "Rain fell across the north on Monday.",
                    },
                ],
                "questions": [
                    {
                        "id": "q1",
                        "question": "Which team won the national cup final?",
                        "answer": "Rovers",
                        "choices": ["Rovers", "United"],
                        "date": "2023/01/02",
                        "article_ids": ["n1"],
                    }
                ],
            }
        )
    )
    question_set = load_question_set(news)
    assert question_set.kind == "news" and len(question_set.records) == 2
    assert question_set.questions[0].gold == frozenset({"news.jsonl#n1"})
    assert question_set.questions[0].answers == ("Rovers",)
    settings = Settings(index_dir=tmp_path / "unused", cache_dir=tmp_path / "cache", abstain_below=0.0)
    report = evaluate_file(news, settings, index_dir=tmp_path / "i", progress=False, encoder=fake, fast=True)
    m = report.metrics["hybrid"]
    assert m["questions"] == 1 and m["recall@1"] == 1.0 and m["sentence_hit@1"] == 1.0
    assert not {"span_em", "span_f1", "answer_in_span"} & set(m)  # fast: no reader, no span, no 0.000
    assert "fast: answers chosen without the reader (no spans)" in report.notes


def test_a_news_sets_own_mistakes_are_named_in_its_terms(tmp_path, fake):
    # both named the temporary folder: "No readable article in /tmp/qa-eval-…/articles/ … point
    # --articles at your folder" (refused for such a set), "pass the --index that holds them"
    from qa.errors import QAError

    settings = Settings(index_dir=tmp_path / "unused", cache_dir=tmp_path / "cache", abstain_below=0.0)
    ask = {"question": "Where did the ferry go?", "answer": "Skye", "article_ids": ["a1"]}
    untexted = tmp_path / "untexted.json"
    untexted.write_text(json.dumps({"articles": [{"id": "a1", "title": "Ferry"}], "questions": [ask]}))
    with pytest.raises(QAError) as refused:
        evaluate_file(untexted, settings, progress=False, encoder=fake, fast=True)
    message = str(refused.value)
    assert message.startswith(f"No article of {untexted} can be read (article 1: record has no text")
    assert "qa-eval-" not in message and "--articles" not in message
    misnamed = tmp_path / "misnamed.json"
    article = {"id": "a1", "title": "Ferry", "text": "The ferry sailed to Skye on Monday after the storm."}
    # One article of two without text: said by its id (it was left out without a word).
    one_untexted = tmp_path / "one-untexted.json"
    one_untexted.write_text(json.dumps({"articles": [article, {"id": "a2", "title": "Blank"}], "questions": [ask]}))
    report = evaluate_file(one_untexted, settings, progress=False, encoder=fake, fast=True)
    assert "; skipped article a2: record has no text" in report.notes[0]
    misnamed.write_text(json.dumps({"articles": [article], "questions": [{**ask, "article_ids": ["a2"]}, ask]}))
    report = evaluate_file(misnamed, settings, progress=False, encoder=fake, fast=True)
    assert (
        f"1 article id the questions name (e.g. 'a2') not among the articles of {misnamed}: retrieval scores 0 "
        "for 1 question"
    ) in report.notes


def test_news_layout_variants_other_exports_write(tmp_path):
    news = tmp_path / "news.json"
    article = {"id": 7, "headline": "Cavaliers win", "published": "2023/01/03", "body": "Mitchell scored 71 points."}
    questions = [
        {"question": "How many points did Mitchell score?", "answer": 71, "article_ids": [7]},
        {"question": "Who scored?", "answers": ["Donovan Mitchell", "Mitchell"], "article_ids": None},
    ]
    news.write_text(json.dumps({"articles": [article], "questions": questions}))
    question_set = load_question_set(news)
    assert question_set.records == [article]  # every field kept: the article reader maps headline, body, ...
    assert [q.answers for q in question_set.questions] == [("71",), ("Donovan Mitchell", "Mitchell")]
    assert [q.gold for q in question_set.questions] == [frozenset({"news.jsonl#7"}), frozenset()]
    bad_ones = (
        {"question": "Q?", "answer": {"text": "x"}},
        {"question": "Q?"},
        {"question": ["Q?"], "answer": "x"},
        {"question": "Q?", "answer": "x", "article_ids": 7},
    )
    for bad in bad_ones:  # named by number: one bad question of 300 was "every question needs ..."
        news.write_text(json.dumps({"articles": [article], "questions": [*questions, bad]}))
        with pytest.raises(QAError, match=r"news.json: question 3 needs a question \(text\), an answer"):
            load_question_set(news)
    news.write_text(json.dumps({"articles": [article, {"text": "No id."}], "questions": questions}))
    with pytest.raises(QAError, match="article 2 has no id; every article needs id and text"):
        load_question_set(news)
    news.write_text(json.dumps({"articles": {"7": article}, "questions": questions}))
    with pytest.raises(QAError, match='holds "articles" and "questions", each a list'):
        load_question_set(news)


def test_questions_about_articles_the_index_lacks_are_pointed_out(tmp_path, fake, built, settings):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "Who won the cup final?", "answers": ["Rovers"], "article_id": "elsewhere.txt"}\n'
    )
    report = evaluate_file(
        questions, settings, index_dir=settings.index_dir, progress=False, encoder=fake, reader=FakeReader()
    )
    assert report.metrics["hybrid"]["recall@10"] == 0.0
    assert any(n.startswith(f"none of the questions' articles is in {settings.index_dir}/") for n in report.notes)
    # one unknown id among known ones was scored as a miss without a word (recall 0.8, not 1.0)
    questions.write_text(
        '{"question": "What tariffs did Trudeau impose?", "answers": ["100%"], "article_id": "carney-china-trip.txt"}\n'
        '{"question": "Who won the cup final?", "answers": ["Rovers"], "article_id": "elsewhere.txt"}\n'
    )
    report = evaluate_file(
        questions, settings, index_dir=settings.index_dir, progress=False, encoder=fake, reader=FakeReader()
    )
    assert (
        f"1 article id of the questions (e.g. 'elsewhere.txt') not in {settings.index_dir}/: retrieval scores 0 for "
        "1 question; ids are as qa info lists them (a record of a .jsonl file: file.jsonl#id)"
    ) in report.notes


def test_feedback_file_becomes_regression_cases(tmp_path, fake, built, settings):
    """A helpful answer must keep its first sentence; an answer marked wrong must change it."""
    from qa import answer, load_index
    from qa.feedback import FEEDBACK_FILE, record_feedback

    loose = replace(settings, abstain_below=0.0)
    index = load_index(settings.index_dir, loose, encoder=fake)
    good = answer("How many people were evacuated from Grindavik?", index=index, fast=True)
    assert good.found
    record_feedback(settings.index_dir, good, helpful=True, generation=built.generation.name)
    bad = replace(good, question="Who won the cup final?")  # an answer to another question, marked wrong
    record_feedback(settings.index_dir, bad, helpful=False, generation=built.generation.name)
    cases = load_question_set(settings.index_dir / FEEDBACK_FILE)
    assert cases.kind == "feedback" and [q.expect for q in cases.questions] == ["keep", "change"]
    report = evaluate_file(
        settings.index_dir / FEEDBACK_FILE,
        loose,
        index_dir=settings.index_dir,
        progress=False,
        encoder=fake,
        fast=True,
    )
    m = report.metrics["hybrid"]
    assert m["questions"] == 2 and m["kept_helpful"] == 1.0 and m["changed_wrong"] == 1.0
    assert "kept_helpful" in report.table()
    # judged again (thumbs up, then down): the later verdict is the one case
    record_feedback(settings.index_dir, good, helpful=False, generation=built.generation.name)
    again = load_question_set(settings.index_dir / FEEDBACK_FILE).questions
    assert [(q.question, q.expect) for q in again] == [(bad.question, "change"), (good.question, "change")]
    # the thumb taken back: that answer is no case any more (its thumbs down counted on)
    record_feedback(settings.index_dir, good, helpful=None, generation=built.generation.name)
    withdrawn = load_question_set(settings.index_dir / FEEDBACK_FILE).questions
    assert [(q.question, q.expect) for q in withdrawn] == [(bad.question, "change")]
    # No helpful case left: kept_helpful is left out, not NaN (which is no JSON: --json wrote it).
    only_wrong = evaluate_file(
        settings.index_dir / FEEDBACK_FILE, loose, index_dir=settings.index_dir, progress=False, encoder=fake, fast=True
    )
    assert "kept_helpful" not in only_wrong.metrics["hybrid"] and only_wrong.metrics["hybrid"]["changed_wrong"] == 1.0


def test_unanswerable_questions_score_abstaining_and_id_only_questions_no_answer_metrics(
    tmp_path, fake, built, settings
):
    # An unanswerable question ("answers": []) was a miss of every answer metric even when it
    # rightly abstained; a question with only its article had answer metrics of 0.000.
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "How many people were evacuated from Grindavik?", "answers": ["4,000"]}\n'
        '{"question": "Who won the 1998 World Cup?", "answers": []}\n'
    )
    run = {"index_dir": settings.index_dir, "progress": False, "encoder": fake, "fast": True}
    m = evaluate_file(questions, replace(settings, abstain_below=0.99), **run).metrics["hybrid"]
    assert m["abstained_unanswerable"] == 1.0 and m["questions"] == 2
    assert m["abstained"] == 1.0 and m["sentence_hit@1"] == 0.0  # the answerable one alone: 1 of 1
    report = evaluate_file(questions, replace(settings, abstain_below=0.0), **run)
    m = report.metrics["hybrid"]
    assert m["abstained_unanswerable"] == 0.0 and m["abstained"] == 0.0 and m["sentence_hit@1"] == 1.0
    table = report.table().splitlines()
    rows = table[next(i for i, line in enumerate(table) if line.startswith("metric")) :]
    assert len({len(row) for row in rows}) == 1, rows  # abstained_unanswerable pushed its values aside
    ids_only = tmp_path / "ids.jsonl"
    ids_only.write_text('{"question": "How many people were evacuated from Grindavik?", "article_id": "volcano.txt"}\n')
    m = evaluate_file(ids_only, settings, **run).metrics["hybrid"]
    assert m["recall@1"] == 1.0 and not {"sentence_hit@1", "sentence_hit@3", "answer_shown@1"} & set(m)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("folder", None, "Cannot read"),
        ("junk.jsonl", b"\xff\xfe\x00junk", "is not UTF-8 text"),
        ("five.json", b'{"data": 5}', "does not have the SQuAD v1.1, news QA or JSONL layout (TypeError"),
        ("noqas.json", b'{"data": [{"title": "x", "paragraphs": [{"context": "c"}]}]}', "(KeyError: 'qas')"),
        # JSONL records of the wrong shape: the line and the field, never letters scored as answers
        (
            "object.jsonl",
            b'{"question": "Who?", "answers": ["A"]}\n{"question": "Who won?", "answers": {"text": "Rovers"}}',
            ':2: "answers" must be a text, a number or a list of them',
        ),
        ("bool.jsonl", b'{"question": "Who won?", "answers": [true]}', ':1: "answers" must be a text, a number'),
        ("ids.jsonl", b'{"question": "Who won?", "article_ids": "a.txt"}', ':1: "article_ids" must be a list'),
        (
            "id.jsonl",
            b'{"question": "Who won?", "article_id": 5}',
            ':1: "article_id" must be text, e.g. "a.txt", not 5',
        ),
        ("empty.jsonl", b'{"question": " ", "answers": ["Rovers"]}', ':1: "question" must be non-empty text'),
        ("nottext.jsonl", b'{"question": 5, "answers": ["Rovers"]}', ':1: "question" must be non-empty text'),
        ("list.jsonl", b'["Who won?"]', ":1 is JSON but not an object (list): qa eval reads a record a line, e.g. {"),
        ("keys.jsonl", b'{"q": "Who won?", "a": "Rovers"}', """:1 has no "question" (its keys: 'q', 'a'): qa eval"""),
        ("null.jsonl", b"null\n", ":1 is JSON but not an object (NoneType): qa eval reads a record a line"),
        (
            "split.jsonl",
            b'{"question": "A?", "answers": ["a"]}\n{"question": "Who won?",\n "answers": ["Rovers"]}\n',
            ":2 is not valid JSON on its own: ",
        ),
        # a plain list of questions is what `qa ask` reads
        ("plain.txt", b"Who won?\nWhen?\n", ':1 is not JSON: qa eval reads a record a line, e.g. {"question": '),
        ("plain.txt", b"Who won?\nWhen?\n", "; to ask a list of questions, one a line: qa ask < "),
        # a question no one can ask is refused at load, before the set's articles are indexed
        (
            "nowords.json",
            b'{"data": [{"title": "x", "paragraphs": [{"context": "c", "qas": ['
            b'{"question": "Who?", "answers": [{"text": "c"}]}, {"question": "??", "answers": [{"text": "c"}]}]}]}]}',
            "question 2 ('??') cannot be asked: '??' has no words to search for",
        ),
    ],
)
def test_unreadable_question_files_are_one_clear_error(tmp_path, name, content, problem):
    from qa.errors import QAError

    path = tmp_path / name
    path.mkdir() if content is None else path.write_bytes(content)
    with pytest.raises(QAError) as refused:
        load_question_set(path)
    assert problem in str(refused.value) and str(path) in str(refused.value)


def test_a_question_file_saved_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.jsonl"  # Windows and Excel exports: line 1 was "not a JSON record"
    path.write_bytes('\ufeff{"question": "Who won?", "answers": ["Rovers"]}\n'.encode())
    assert [q.question for q in load_question_set(path).questions] == ["Who won?"]
    squad = tmp_path / "bom.json"
    squad.write_bytes(b"\xef\xbb\xbf" + FIXTURE.read_bytes())
    assert load_question_set(squad).questions == load_question_set(FIXTURE).questions


def test_a_jsonl_without_anything_to_score_against_is_refused(tmp_path):
    from qa.errors import QAError

    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "Who won?"}\n{"question": "When?"}\n')
    with pytest.raises(QAError, match=r'no question has "answers" or "article_ids"'):
        load_question_set(path)
    path.write_text('{"question": "Who won?"}\n{"question": "When?", "answers": ["Monday"]}\n')
    assert len(load_question_set(path).questions) == 2


def test_jsonl_answers_may_be_a_text_or_a_number_as_in_the_news_layout(tmp_path):
    # "answers": "Rovers" was refused in JSONL, which the news layout takes (one answer, not letters)
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "Who won?", "answers": "Rovers"}\n{"question": "How many?", "answer": 71}\n')
    assert [q.answers for q in load_question_set(path).questions] == [("Rovers",), ("71",)]


def test_squad_2_and_jsonl_named_json_are_refused_in_words_naming_the_fix(tmp_path):
    # SQuAD 2.0's unanswerable questions were scored as answerable misses, without a word
    squad2 = tmp_path / "dev-v2.0.json"
    squad2.write_text(json.dumps({"version": "v2.0", "data": []}))
    with pytest.raises(QAError, match=r"is SQuAD v2.0, whose unanswerable questions .* pass SQuAD v1.1"):
        load_question_set(squad2)
    lines = tmp_path / "questions.json"
    lines.write_text('{"question": "Who won?", "answers": ["Rovers"]}\n{"question": "When?", "answers": ["May"]}\n')
    with pytest.raises(QAError, match=r"not valid JSON .*\(a JSONL file, one object a line, needs a \.jsonl name\)"):
        load_question_set(lines)


def test_a_squad_file_under_another_name_is_read_by_its_content(tmp_path):
    # "dev-v1.1.json.1" (a second download) and "squad.txt" said "line 1 is not a JSON record"
    squad = {"version": "1.1", "data": [{"title": "Town", "paragraphs": [{"context": "Rovers won.", "qas": []}]}]}
    squad["data"][0]["paragraphs"][0]["qas"] = [{"id": "1", "question": "Who won?", "answers": [{"text": "Rovers"}]}]
    for name, indent in (("dev-v1.1.json.1", None), ("squad.txt", 2)):  # the real file is one line
        path = tmp_path / name
        path.write_text(json.dumps(squad, indent=indent))
        assert [(q.question, q.answers) for q in load_question_set(path).questions] == [("Who won?", ("Rovers",))]
    pretty = tmp_path / "pretty.jsonl"
    pretty.write_text(json.dumps({"question": "Who won?", "answers": ["Rovers"]}, indent=2))
    with pytest.raises(QAError, match=r"holds one question over several lines; a JSONL file holds one record a line"):
        load_question_set(pretty)


def test_a_pipe_is_refused_with_the_fix(tmp_path):
    # `cat q.jsonl | qa eval /dev/stdin` said "holds no questions": the pipe was empty at the second read
    import os

    from qa.errors import QAError
    from qa.evaluation import load_question_set

    fifo = tmp_path / "questions.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(QAError, match=r"is a pipe or a device, not a file; .* save the questions to a file"):
        load_question_set(fifo)


def test_answers_file_says_which_questions_missed_and_agrees_with_the_metrics(tmp_path, fake):
    out = tmp_path / "answers.jsonl"
    settings = Settings(index_dir=tmp_path / "unused", cache_dir=tmp_path / "cache", abstain_below=0.0)
    run = {"index_dir": tmp_path / "i", "progress": False, "encoder": fake, "reader": FakeReader()}
    report = evaluate_file(FIXTURE, settings, mode="all", limit=3, answers_file=out, **run)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    questions = load_question_set(FIXTURE).questions[:3]
    # one line per question and mode, in the order answered
    assert [(r["mode"], r["question"]) for r in lines] == [
        (m, q.question) for q in questions for m in ("dense", "bm25", "hybrid")
    ]
    first = lines[0]
    assert first["gold_answers"] == list(questions[0].answers) and first["gold_articles"] == sorted(questions[0].gold)
    assert set(first["scores"]) == set(METRICS[:12])  # not abstained_unanswerable: answerable
    assert first["found"] is True and len(first["sentences"]) == len(first["cited_articles"]) >= 1
    for mode, metrics in report.metrics.items():
        mine = [r for r in lines if r["mode"] == mode]
        for name in ("sentence_hit@1", "recall@1", "span_f1", "abstained"):
            assert metrics[name] == pytest.approx(sum(r["scores"][name] for r in mine) / len(mine), abs=1e-4)
        # a hit is a gold answer inside the first sentence the line shows
        for r in mine:
            assert r["scores"]["sentence_hit@1"] == float(contains_answer(r["sentences"][:1], r["gold_answers"]))
    assert f"answers: {out} (one line per question and mode)" in report.notes


def test_answers_file_without_the_reader_or_gold_articles_leaves_those_scores_out(tmp_path, fake, built, settings):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "How many people were evacuated?", "answers": ["4,000"]}\n')
    out = tmp_path / "answers.jsonl"
    evaluate_file(
        questions, settings, index_dir=settings.index_dir, progress=False, encoder=fake, fast=True, answers_file=out
    )
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert set(line["scores"]) == {"sentence_hit@1", "sentence_hit@3", "answer_shown@1", "abstained"}
    assert line["span"] == "" and line["gold_articles"] == []


def test_answers_file_of_feedback_cases_says_which_passed(tmp_path, fake, built, settings):
    from qa import answer, load_index
    from qa.feedback import FEEDBACK_FILE, record_feedback

    loose = replace(settings, abstain_below=0.0)
    good = answer(
        "How many people were evacuated from Grindavik?",
        index=load_index(settings.index_dir, loose, encoder=fake),
        fast=True,
    )
    record_feedback(settings.index_dir, good, helpful=True, generation=built.generation.name)
    out = tmp_path / "answers.jsonl"
    run = {"index_dir": settings.index_dir, "progress": False, "encoder": fake, "fast": True}
    evaluate_file(settings.index_dir / FEEDBACK_FILE, loose, answers_file=out, **run)
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert line["expect"] == "keep" and line["judged_sentence"] == good.sentences[0].text
    assert line["passed"] is True and line["sentences"][0] == good.sentences[0].text


def test_an_answers_file_that_cannot_be_written_is_refused_before_indexing(tmp_path, fake):
    settings = Settings(index_dir=tmp_path / "unused", cache_dir=tmp_path / "cache")
    with pytest.raises(QAError, match=r"Cannot write the answers to .*missing/a\.jsonl \(No such file"):
        evaluate_file(
            FIXTURE,
            settings,
            index_dir=tmp_path / "i",
            progress=False,
            encoder=fake,
            answers_file=tmp_path / "missing" / "a.jsonl",
        )
    assert not (tmp_path / "i").exists()  # nothing indexed first


def test_an_answers_file_that_is_the_question_file_or_a_dash_is_refused(tmp_path, fake, built, settings):
    questions = tmp_path / "q.jsonl"
    kept = '{"question": "How many people were evacuated?", "answers": ["4,000"]}\n'
    questions.write_text(kept)
    (tmp_path / "hard.jsonl").hardlink_to(questions)  # another name of the same data: overwritten all the same
    for same in (tmp_path / "." / "q.jsonl", tmp_path / "hard.jsonl"):
        with pytest.raises(QAError, match=rf"--answers {re.escape(str(same))} is the question file itself, which it"):
            evaluate_file(
                questions, settings, index_dir=settings.index_dir, progress=False, encoder=fake, answers_file=same
            )
        assert questions.read_text() == kept
    with pytest.raises(QAError, match=r"--answers writes a file, and stdout carries the metrics: name a file"):
        evaluate_file(questions, settings, index_dir=settings.index_dir, progress=False, encoder=fake, answers_file="-")
    assert not (tmp_path / "-").exists() and not Path("-").exists()


def test_questions_about_a_folder_of_articles_name_what_could_not_be_read(tmp_path, fake, settings):
    # qa eval --articles indexed the folder without a word on its unreadable files.
    (settings.articles_dir / "broken.json").write_text("{bad")
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "How many people were evacuated from Grindavik?", "answers": ["4,000"]}\n')
    report = evaluate_file(questions, settings, progress=False, encoder=fake, fast=True, articles_given=True)
    (note,) = [n for n in report.notes if "broken.json" in n]
    assert note.startswith(f"articles of {settings.articles_dir}/; skipped broken.json: malformed JSON")


def test_a_report_without_metrics_is_still_a_table():
    from qa.evaluation import EvalReport

    assert [line.strip() for line in EvalReport({}, "x").table().splitlines()] == [
        "index: x",
        "metric",
    ]  # was a TypeError


@pytest.mark.parametrize("folder", ["missing", "empty", "a-file"])
def test_a_bad_articles_folder_names_only_the_flag_qa_eval_reads(tmp_path, fake, settings, folder):
    # The build's fix said "point --articles / QA_ARTICLES at your folder"; qa eval reads the flag only.
    articles = tmp_path / folder
    if folder == "empty":
        articles.mkdir()
    elif folder == "a-file":
        articles.write_text("x")
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "Who?", "answers": ["x"]}\n')
    with pytest.raises(ArticleError) as caught:
        evaluate_file(
            questions, replace(settings, articles_dir=articles), progress=False, encoder=fake, articles_given=True
        )
    assert "--articles" in str(caught.value) and "QA_ARTICLES" not in str(caught.value)


@pytest.mark.parametrize(
    ("sentence", "gold", "holds"),
    [
        ("Nordauto recalled 40,000 cars.", "40000", True),  # span EM 1, "in the span" 0 before
        ("The summit met in Washington, D.C., on Monday.", "Washington, DC", True),
        ("It cost 1,250,000 dollars.", "1,250,000", True),
        ("Who won the election on Sunday?", "The Who", False),  # no article dropped: not "who"
        ("He said it happened three times.", "The Times", False),
        ("The minister told us nothing new.", "U.S.", False),  # "US" joined, its case kept
        ("Sales rose 3.5 percent.", "35", False),  # a decimal point is not a digit group
        ("Nordauto recalled 40,000 Cars on Monday.", "40000 cars", True),  # lower case but for abbreviations
        ("The plant is in the U.S", "U.S.", True),  # an abbreviation without its last dot
        ("The appeal raised 1,000,000 dollars.", "1,000", False),  # part of a number is no answer
        ("Inflation rose to 3.5 percent.", "3", False),
        ("Inflation rose to 3.5 percent.", "3.5%", True),
        ("It closed at 5.", "5", True),  # a full stop after a number is no decimal point
    ],
)
def test_an_answer_is_found_however_its_digit_groups_and_abbreviations_are_written(sentence, gold, holds):
    from qa.evaluation import contains_answer

    assert contains_answer([sentence], [gold]) is holds


# -- found reviewing qa eval and the feedback loop (2026-12-07) ----------------------------------------


def _rating(question: str, helpful: bool | None, *, turn: str = "", generation: str = "g1", history=()) -> str:
    record = {
        "format": 1,
        "time": "2026-12-07T00:00:00Z",
        "helpful": helpful,
        "question": question,
        "answer": "x",
        "found": True,
        "sentence": "The Rovers won.",
        "citations": [],
        "confidence": 0.9,
        "generation": generation,
        "comment": "",
    }
    if turn:
        record |= {"turn": turn, "history": list(history)}
    return json.dumps(record) + "\n"


def test_feedback_cases_are_one_per_rated_turn_and_a_follow_up_keeps_its_conversation(tmp_path):
    ratings = tmp_path / "feedback.jsonl"
    ratings.write_text(
        _rating("Who won?", True, turn="a")  # one conversation: up
        + _rating("Who won?", False, turn="b")  # another: down, then taken back
        + _rating("Who won?", None, turn="b")
        + _rating("And then?", True, turn="c", history=["Who won?"])  # a follow-up
        # Records without a turn (older files): the later verdict wins across index builds.
        + _rating("Who lost?", True, generation="g1")
        + _rating("Who lost?", False, generation="g2")
    )
    cases = load_question_set(ratings).questions
    assert [(q.question, q.expect, q.history) for q in cases] == [
        ("Who won?", "keep", ()),  # the thumb taken back in the other conversation took it along
        ("And then?", "keep", ("Who won?",)),
        ("Who lost?", "change", ()),  # it was two contradicting cases
    ]


def test_a_follow_up_rated_in_the_chat_is_replayed_with_the_questions_before_it(
    tmp_path, fake, built, settings, monkeypatch
):
    """Replayed alone, "How did China respond?" led with another sentence: a false regression."""
    import qa.evaluation

    asked: list[tuple[str, object]] = []
    real = qa.evaluation.answer

    def spy(question, history=None, **kwargs):
        asked.append((question, history))
        return real(question, history=history, **kwargs)

    monkeypatch.setattr(qa.evaluation, "answer", spy)
    ratings = tmp_path / "feedback.jsonl"
    ratings.write_text(_rating("How did China respond?", True, turn="t", history=["What tariffs did Trudeau impose?"]))
    evaluate_file(ratings, settings, index_dir=settings.index_dir, progress=False, encoder=fake, fast=True)
    assert asked == [("How did China respond?", ["What tariffs did Trudeau impose?"])]


def test_a_feedback_file_whose_thumbs_were_all_taken_back_says_so(tmp_path, settings):
    ratings = tmp_path / "feedback.jsonl"
    ratings.write_text(_rating("Who won?", True, turn="a") + _rating("Who won?", None, turn="a"))
    with pytest.raises(QAError, match=r"holds no verdict to replay: every thumb in it was taken back"):
        evaluate_file(ratings, settings, index_dir=settings.index_dir, progress=False)


def test_a_question_whose_answer_is_the_word_helpful_is_a_question_not_feedback(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "Which word did the survey use most?", "answers": ["helpful"]}\n')
    assert load_question_set(questions).kind == "jsonl"


def test_news_questions_with_no_answers_score_abstaining_as_in_jsonl(tmp_path):
    news = tmp_path / "news.json"
    articles = [{"id": "a1", "title": "Cup", "text": "The Rovers won the county cup on Saturday."}]
    asked = [
        {"question": "Who won?", "answer": "Rovers", "article_ids": ["a1"]},
        {"question": "Capital?", "answers": []},
    ]
    news.write_text(json.dumps({"articles": articles, "questions": asked}))
    assert [q.unanswerable for q in load_question_set(news).questions] == [False, True]


def test_an_answers_file_is_kept_when_the_run_answers_nothing_and_a_feedback_file_is_refused(
    tmp_path, fake, built, settings
):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "How many people were evacuated?", "answers": ["4,000 \\ud83c"]}\n')
    answers = tmp_path / "answers.jsonl"
    answers.write_text("the previous run's answers\n")
    with pytest.raises(QAError, match="No index in"):  # a mistyped --index: it emptied the file
        evaluate_file(
            questions, settings, index_dir=tmp_path / "typo", progress=False, encoder=fake, answers_file=answers
        )
    assert answers.read_text() == "the previous run's answers\n"
    # A lone surrogate in a gold answer was a UnicodeEncodeError traceback.
    evaluate_file(questions, settings, index_dir=settings.index_dir, progress=False, encoder=fake, answers_file=answers)
    assert json.loads(answers.read_text())["gold_answers"] == ["4,000 ?"]
    ratings = settings.index_dir / "feedback.jsonl"
    ratings.write_text(_rating("Who won?", True, turn="a"))
    with pytest.raises(QAError, match=r"holds the chat's ratings \(a feedback file\), which it would overwrite"):
        evaluate_file(
            questions, settings, index_dir=settings.index_dir, progress=False, encoder=fake, answers_file=ratings
        )
    assert "helpful" in ratings.read_text()
    # A blank first line or a byte order mark hid them from the check: every rating was overwritten.
    for kept in ("\n" + _rating("Who won?", True, turn="a"), "\ufeff" + _rating("Who won?", True, turn="a")):
        ratings.write_text(kept)
        with pytest.raises(QAError, match=r"holds the chat's ratings \(a feedback file\)"):
            evaluate_file(
                questions, settings, index_dir=settings.index_dir, progress=False, encoder=fake, answers_file=ratings
            )
        assert ratings.read_text() == kept


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names a pipe as /dev/stdout does: Linux's /proc")
def test_answers_into_a_pipe_are_written_not_waited_on(tmp_path, fake, built, settings):
    """`--answers /dev/stdout | cat` hung: the feedback-file check read the pipe it writes to."""
    import os
    import threading

    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "How many people were evacuated?", "answers": ["4,000"]}\n')
    read_end, write_end = os.pipe()
    run = threading.Thread(
        target=evaluate_file,
        args=(questions, settings),
        # /proc/self/fd/N: what /dev/stdout is, piped to `cat`
        kwargs={
            "index_dir": settings.index_dir,
            "progress": False,
            "encoder": fake,
            "answers_file": f"/proc/self/fd/{write_end}",
        },
        daemon=True,
    )
    run.start()
    run.join(timeout=60)
    os.close(write_end)
    assert not run.is_alive()
    with os.fdopen(read_end, encoding="utf-8") as received:
        assert [json.loads(line)["question"] for line in received] == ["How many people were evacuated?"]


def test_missing_articles_with_articles_folder_are_named_against_that_folder(tmp_path, fake, settings):
    questions = tmp_path / "g.jsonl"
    questions.write_text('{"question": "Who won the cup?", "answers": ["Rovers"], "article_id": "sport/cup.txt"}\n')
    report = evaluate_file(questions, settings, articles_given=True, progress=False, encoder=fake, fast=True)
    assert (
        f"1 article id the questions name (e.g. 'sport/cup.txt') not among the articles of {settings.articles_dir}: "
        "retrieval scores 0 for 1 question" in report.notes
    )


def test_a_rated_follow_up_replays_as_the_chat_answered_it(tmp_path, fake, built, settings):
    from qa import answer, load_index
    from qa.feedback import FEEDBACK_FILE, FeedbackRecord, append_feedback

    index = load_index(settings.index_dir, settings, encoder=fake)
    first = answer("How many people were evacuated from Grindavik?", index=index, fast=True)
    follow = answer("And why were they evacuated?", history=[first], index=index, fast=True)
    ratings = settings.index_dir / FEEDBACK_FILE
    record = FeedbackRecord.from_answer(follow, True, built.generation.name, history=[first], turn="t")
    append_feedback(ratings, record)
    report = evaluate_file(ratings, settings, index_dir=settings.index_dir, progress=False, encoder=fake, fast=True)
    assert report.metrics["hybrid"]["kept_helpful"] == 1.0


def test_a_ratings_report_leads_with_its_own_two_figures():
    from qa.evaluation import EvalReport

    metrics = {"abstained": 0.0, "p50_ms": 9.0, "p95_ms": 12.0, "questions": 3}
    metrics |= {"kept_helpful": 1.0, "changed_wrong": 0.5}
    rows = [line.split()[0] for line in EvalReport({"hybrid": metrics}, "index").table().splitlines()[2:]]
    assert rows == ["kept_helpful", "changed_wrong", "abstained", "p50_ms", "p95_ms", "questions"]
    answered = EvalReport({"hybrid": {"recall@1": 0.5, "questions": 2}}, "index").table().splitlines()[2:]
    assert [line.split()[0] for line in answered] == ["recall@1", "questions"]
