from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.articles import Source
from qa.errors import QuestionError
from qa.retrieval import MODE_WEIGHTS, Filters, retrieve
from tests.conftest import TRUDEAU


def test_empty_question_is_refused(built):
    with pytest.raises(QuestionError, match="Please type a question"):
        retrieve("   \n ", index=built)


@pytest.mark.parametrize("question", ["???", " ... !", "🇨🇦?"])
def test_a_question_without_words_is_refused_not_answered_with_whatever_is_closest(built, question):
    from qa.answering import answer

    with pytest.raises(QuestionError, match="has no words to search for; please type a question"):
        answer(question, index=built)
    with pytest.raises(QuestionError, match="has no words"):
        retrieve(question, index=built)
    assert retrieve("Why 100%?", index=built)  # one word or digit is enough


@pytest.mark.parametrize(
    "question, message",
    [
        (42, "must be text \\(a str\\), not int"),
        (b"What tariffs?", "must be text \\(a str\\), not bytes"),
        (None, "not NoneType"),
        ("What \udcff tariffs?", "not valid text"),
        ("\ud800", "not valid text"),
    ],
)
def test_questions_that_are_not_text_are_refused_clearly(built, question, message):
    from qa.answering import answer

    with pytest.raises(QuestionError, match=message):
        answer(question, index=built)
    with pytest.raises(QuestionError, match=message):
        retrieve(question, index=built)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.text(max_size=300))
def test_any_string_is_answered_or_refused_with_a_question_error(built, question):
    """Random strings (control characters, surrogates, emoji, whitespace): never a crash."""
    from qa.answering import answer

    try:
        result = answer(question, index=built)
    except QuestionError:
        return
    assert result.question == question and 0.0 <= result.confidence <= 1.0
    assert all(s.citation.sentence == s.text for s in result.sentences)


def test_full_width_letters_are_read_as_the_letters_articles_spell(built):
    typed = "Why did ｓｔｏｃｋｓ ｆａｌｌ?"  # an East Asian input method's full-width letters: "not found"
    found = retrieve(typed, k=3, index=built, mode="bm25")
    assert found and [h.passage_id for h in found] == [
        h.passage_id for h in retrieve("Why did stocks fall?", k=3, index=built, mode="bm25")
    ]


def test_an_article_saved_with_decomposed_accents_is_found_by_its_words(tmp_path, fake):
    import unicodedata

    body = "Jürgen Müller, the mayor of Göttingen, opened the new tram line on Monday after three years of work."
    index = _index_of(
        tmp_path,
        fake,
        {"nfd.txt": unicodedata.normalize("NFD", body), "other.txt": "The harbour bridge reopened on Friday."},
    )
    found = retrieve("Who is Jürgen Müller of Göttingen?", k=2, index=index, mode="bm25")
    assert [h.source.article_id for h in found] == ["nfd.txt"]  # its terms were "mu", "ller", "go", "ttingen"
    assert found[0].text == unicodedata.normalize("NFD", body) and found[0].lexical > 0  # quoted as written


def test_modes_rank_by_their_own_scores(built):
    bm25 = retrieve("Grindavik evacuated", k=2, index=built, mode="bm25")
    assert bm25[0].source.article_id == "volcano.txt" and bm25[0].lexical > 0
    assert [h.rank for h in bm25] == [1, 2][: len(bm25)]
    dense = retrieve("Grindavik evacuated", k=4, index=built, mode="dense")
    assert [h.score for h in dense] == sorted((h.score for h in dense), reverse=True)
    assert all(h.score == pytest.approx(h.dense) for h in dense)
    with pytest.raises(QuestionError, match="Unknown retrieval mode"):
        retrieve("x", index=built, mode="magic")


def test_hybrid_score_combines_passage_and_sentence_scores(built):
    hits = retrieve("Rovers striker scored", k=20, index=built)  # every passage of the small corpus
    assert hits[0].source.article_id == "football.txt"
    assert all(h.dense != 0 for h in hits)  # lexical-only candidates got their cosine computed
    best_lexical = max(h.lexical for h in hits)
    best_sentence_lexical = max(max(h.sentence_lexical) for h in hits)
    w = MODE_WEIGHTS["hybrid"]
    assert w.dense and w.lexical and w.sentence_dense and w.sentence_lexical  # every part counts
    for h in hits:
        expected = (
            w.dense * h.dense
            + w.lexical * h.lexical / best_lexical
            + w.sentence_dense * max(h.sentence_dense)
            + w.sentence_lexical * max(h.sentence_lexical) / best_sentence_lexical
        )
        assert h.score == pytest.approx(expected)
    assert len(hits[0].sentence_dense) == len(hits[0].sentences) == len(hits[0].sentence_lexical)


def test_overlapping_passages_of_one_article_come_after_other_material():
    from qa.retrieval import _demote_overlaps
    from qa.store import StoredPassage

    def record(pid: int, article: str, first: int, last: int) -> StoredPassage:
        return StoredPassage(
            pid,
            Source(article, "t", "p"),
            "body",
            0,
            4,
            tuple(range(first, last + 1)),
            tuple((0, 1) for _ in range(first, last + 1)),
        )

    ranked = [record(1, "a", 1, 5), record(2, "a", 5, 9), record(3, "b", 20, 24), record(4, "a", 10, 12)]
    assert [r.passage_id for r in _demote_overlaps(ranked)] == [1, 3, 4, 2]


def test_exact_rare_words_and_numbers_are_found_lexically(built):
    assert retrieve("4,000 people", k=1, index=built)[0].source.article_id == "volcano.txt"
    assert retrieve("Dow Jones 3.5%", k=1, index=built)[0].source.article_id == "markets.md"


def test_hit_carries_sentences_with_offsets_and_article_metadata(built):
    hit = retrieve("Rovers cup final", k=1, index=built)[0]
    assert hit.source == Source("football.txt", "Rovers win the cup", "football.txt", "2024-05-18", "Sports Daily")
    body = (
        "Rovers won the national cup final on Saturday. Their striker scored twice in the second half. "
        "Fans celebrated in the streets until late."
    )
    assert [body[s.start : s.end] for s in hit.sentences] == [s.text for s in hit.sentences]
    assert hit.text == body[hit.start : hit.end]
    assert "Rovers win the cup" in str(hit)
    assert hit.to_dict() == {
        "rank": 1,
        "score": round(hit.score, 4),
        "dense": round(hit.dense, 4),
        "lexical": round(hit.lexical, 4),
        "article_id": "football.txt",
        "title": "Rovers win the cup",
        "date": "2024-05-18",
        "source": "Sports Daily",
        "url": None,
        "file": "football.txt",
        "text": hit.text,
    }
    assert hit.lexical > 0 and json.loads(json.dumps(hit.to_dict())) == hit.to_dict()


def test_filters_by_date_and_source(built):
    since = retrieve("news", k=10, index=built, filters=Filters(since="2025-01-01"), mode="dense")
    assert {h.source.article_id for h in since} == {"markets.md", "carney-china-trip.txt"}
    until = retrieve("news", k=10, index=built, filters=Filters(until="2024-12-31"), mode="hybrid")
    assert {h.source.article_id for h in until} <= {"football.txt", "volcano.txt"} and until
    source = retrieve("cup", k=10, index=built, filters=Filters(sources=("sports daily",)))
    assert {h.source.article_id for h in source} == {"football.txt"}
    padded = retrieve("cup", k=10, index=built, filters=Filters(sources=(" Sports Daily ",)))
    assert [h.source.article_id for h in padded] == [h.source.article_id for h in source]
    by_id = retrieve("tariffs", k=10, index=built, filters=Filters(sources=("volcano.txt",)), mode="bm25")
    assert by_id == []  # the volcano article does not mention tariffs
    none = retrieve("tariffs", k=10, index=built, filters=Filters(since="2030-01-01"))
    assert none == []


def _index_of(tmp_path, fake, articles: dict[str, str]):
    """An index of `articles` (file name -> text), built with the fake encoder."""
    from qa.build import build_index
    from qa.config import Settings
    from qa.index import load_index

    folder = tmp_path / "a"
    folder.mkdir()
    for name, text in articles.items():
        (folder / name).write_text(text)
    settings = Settings(articles_dir=folder, index_dir=tmp_path / "i")
    build_index(settings, encoder=fake, progress=False)
    return load_index(settings.index_dir, settings, encoder=fake)


def test_a_publisher_outside_ascii_matches_in_any_case_as_the_notices_compare_it(tmp_path, fake):
    """SQLite's lower() folds ASCII only: "Österreich Heute", typed exactly, matched nothing."""
    index = _index_of(
        tmp_path,
        fake,
        {
            "oil.txt": "source: Österreich Heute\n\nDie Ölpreise stiegen am Montag stark an.",
            "cup.txt": "source: ÉQUIPE\n\nThe cup final was played on Sunday in Paris.",
        },
    )
    for typed, wanted in (("Österreich Heute", "oil.txt"), ("österreich heute", "oil.txt"), ("équipe", "cup.txt")):
        hits = retrieve("Ölpreise cup final", k=5, index=index, filters=Filters(sources=(typed,)), mode="dense")
        assert {h.source.article_id for h in hits} == {wanted}, typed


def test_a_file_name_as_source_selects_all_the_records_read_from_it(tmp_path, fake):
    # "--source feed.jsonl" was "No article has the publisher or id 'feed.jsonl'"
    records = [{"id": "a", "title": "Budget", "text": "The committee approved the budget."}]
    records.append({"id": "b", "title": "Budget again", "text": "The committee approved the budget again."})
    index = _index_of(
        tmp_path,
        fake,
        {
            "feed.jsonl": "\n".join(json.dumps(r) for r in records),
            "memo.txt": "The committee approved the budget today.",
        },
    )
    hits = retrieve("committee budget", k=5, index=index, filters=Filters(sources=("feed.jsonl",)))
    assert sorted(h.source.article_id for h in hits) == ["feed.jsonl#a", "feed.jsonl#b"]
    assert Filters(sources=("feed.jsonl",)).admits(hits[0].source)
    assert [
        h.source.article_id for h in retrieve("committee budget", index=index, filters=Filters(sources=("memo.txt",)))
    ] == ["memo.txt"]


def test_prefer_recent_breaks_near_ties_by_date(tmp_path, fake):
    index = _index_of(
        tmp_path,
        fake,
        {
            "old.txt": "date: 2020-01-01\n\nThe committee approved the budget.",
            "new.txt": "date: 2025-01-01\n\nThe committee approved the budget.",
        },
    )
    assert (
        retrieve("committee budget", k=2, index=index, filters=Filters(prefer_recent=True))[0].source.article_id
        == "new.txt"
    )


def test_nearly_equal_means_within_a_hundredth_of_the_runs_best_not_the_same_rounding():
    from types import SimpleNamespace

    from qa.retrieval import _newer_first_among_near_ties

    def order(*passages: tuple[float, str | None]) -> list[str | None]:
        ranked = [SimpleNamespace(passage_id=i, source=SimpleNamespace(date=d)) for i, (_, d) in enumerate(passages)]
        scores = {i: score for i, (score, _) in enumerate(passages)}
        return [r.source.date for r in _newer_first_among_near_ties(ranked, scores)]

    # 0.0002 apart: rounding to two decimals put them in two groups, the older first
    assert order((1.4951, "2020-01-01"), (1.4949, "2025-01-01")) == ["2025-01-01", "2020-01-01"]
    assert order((1.504, "2020-01-01"), (1.491, "2025-01-01")) == ["2020-01-01", "2025-01-01"]  # 0.013 apart
    # a run is measured from its best: the third is 0.011 below the first, so it waits
    assert order((1.500, "2020-01-01"), (1.495, "2023-01-01"), (1.489, "2025-01-01")) == [
        "2023-01-01",
        "2020-01-01",
        "2025-01-01",
    ]
    assert order((1.50, None), (1.499, "2020-01-01")) == ["2020-01-01", None]  # undated after dated


@pytest.mark.model
def test_trudeau_question_top_hit_holds_the_tariff_sentence(real_index):
    hits = retrieve("What tariffs did Trudeau impose?", k=3, index=real_index)
    assert TRUDEAU in hits[0].text
    assert TRUDEAU in [s.text for s in hits[0].sentences]


def test_k_beyond_the_index_returns_it_all_and_k_below_one_is_refused(built):
    everything = retrieve("tariffs", k=10**9, index=built)
    assert len(everything) == built.counts.passages  # no array of 10**9 rows was made
    with pytest.raises(QuestionError, match=r"k=0 must be a whole number, at least 1"):
        retrieve("tariffs", k=0, index=built)


def test_filters_read_dates_as_articles_dates_are_read():
    # "2025-5-1" compared as text dropped May; "March 13, 2025" was refused although articles are dated so
    assert (Filters(since="2025-5-1").since, Filters(until="March 13, 2025").until) == ("2025-05-01", "2025-03-13")


@pytest.mark.parametrize(
    ("since", "until", "read"),
    [
        ("2025", "2025", ("2025-01-01", "2025-12-31")),  # "--since 2026" was refused
        ("Jan 2026", "January 2026", ("2026-01-01", "2026-01-31")),
        ("2024-02", "2024/02", ("2024-02-01", "2024-02-29")),  # a leap year's February
        ("Sept. 2025", "2025-11", ("2025-09-01", "2025-11-30")),
    ],
)
def test_a_month_or_a_year_in_filters_is_its_first_day_to_start_and_its_last_to_end(since, until, read):
    assert (Filters(since=since).since, Filters(until=until).until) == read


def test_an_all_number_date_that_is_one_day_in_either_order_is_read():
    assert [Filters(since=d).since for d in ("13/04/2025", "04/13/2025", "5.5.2025")] == [
        "2025-04-13",
        "2025-04-13",
        "2025-05-05",
    ]


@pytest.mark.parametrize(
    ("given", "said"),
    [
        # an all-number date is March 4 in the US and 3 April elsewhere: both are named
        (
            {"since": "03/04/2025"},
            "since='03/04/2025' could be 4 March or 3 April 2025: write it as 2025-03-04 or 2025-04-03.",
        ),
        ({"since": "31/02/2025"}, "since='31/02/2025' is not a date: write it as 2026-01-31"),
        ({"until": "2025-13"}, "until='2025-13' is not a date"),
        ({"since": "Mayday 2025"}, "since='Mayday 2025' is not a date"),
        ({"since": 20260101}, "since=20260101 is not a date"),
        ({"sources": [1]}, "sources=[1] must be publishers or article ids"),
        # failed in the store's SQL: an internal error on /ask, UnicodeEncodeError from Python
        ({"sources": ["\ud800"]}, "sources hold bytes that are not valid text (invalid UTF-8); retype them."),
    ],
)
def test_filters_refuse_what_they_cannot_compare(given, said):
    from qa.errors import QuestionError

    with pytest.raises(QuestionError) as caught:
        Filters(**given)
    assert str(caught.value).startswith(said)


def test_repeated_sources_count_once_and_a_long_list_is_cut_in_notices():
    from qa.filters import unknown_sources

    assert Filters(sources=["BBC", " BBC ", "AP"]).sources == ("BBC", "AP")
    notice = unknown_sources(Filters(sources=[f"S{n}" for n in range(1000)] + ["nope"]), ["S1"], lambda _: None)
    assert notice is not None and len(notice) < 300, notice  # every source was listed: a 500 KB notice


def test_a_long_filter_value_is_cut_in_its_message():
    from qa.errors import QuestionError

    with pytest.raises(QuestionError) as caught:  # the /ask reply echoed 100,000 characters
        Filters(since="x" * 100_000)
    assert len(str(caught.value)) < 150


def test_filters_read_dates_and_a_single_source():
    import datetime as dt

    f = Filters(since=dt.date(2025, 1, 1), until=" 2026-01-31 ", sources="BBC")  # type: ignore[arg-type]
    assert (f.since, f.until, f.sources) == ("2025-01-01", "2026-01-31", ("BBC",))  # not ("B", "B", "C")
    # stripped as the dates are: " Sports Daily " pasted from a list matched no article
    padded = Filters(sources=(" Sports Daily ", " ", "volcano.txt\n"))
    assert padded.sources == ("Sports Daily", "volcano.txt") and not Filters(sources="  ").restricts


@pytest.mark.parametrize("k", ["3", None, 2.5, True])
def test_k_must_be_a_whole_number(built, k):
    from qa.errors import QuestionError

    with pytest.raises(QuestionError, match=r"must be a whole number, at least 1"):
        retrieve("tariffs", k=k, index=built)


def test_numpy_whole_numbers_are_whole_numbers(built):
    import numpy as np

    from qa.answering import answer

    assert len(retrieve("tariffs", k=np.int64(2), index=built)) == 2  # e.g. from a parameter grid
    assert len(answer("Rovers cup final", max_sentences=np.int32(1), index=built).sentences) == 1


def test_wrong_types_for_filters_index_or_settings_are_one_clear_error(built, tmp_path):
    from qa.errors import ConfigError, QuestionError

    with pytest.raises(QuestionError, match=r"filters=\{'sources': \['BBC'\]\} must be a Filters"):
        retrieve("tariffs", filters={"sources": ["BBC"]}, index=built)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"index=5 must be a loaded Index, an index folder"):
        retrieve("tariffs", index=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"settings='x' must be a Settings"):
        retrieve("tariffs", index=tmp_path, settings="x")  # type: ignore[arg-type]
    for wrong in ({}, "index"):  # with a loaded Index: AttributeError: 'dict' object has no attribute 'model'
        with pytest.raises(ConfigError, match=r"must be a Settings"):
            retrieve("tariffs", index=built, settings=wrong)  # type: ignore[arg-type]
    from qa import why_nothing_matches

    with pytest.raises(QuestionError, match=r"filters=None must be a Filters"):  # was an AttributeError
        why_nothing_matches(None, built.articles())  # type: ignore[arg-type]


def test_an_index_given_where_k_goes_is_named_before_any_folder_is_opened(built, tmp_path, monkeypatch):
    # retrieve(q, index) said "No index in index/. Build it with: qa index …": the folder was opened first
    from qa.errors import QuestionError

    monkeypatch.chdir(tmp_path)  # no index/ here
    (tmp_path / "my-index").mkdir()
    for mixed_up in (built, "my-index", tmp_path / "my-index"):
        with pytest.raises(QuestionError, match=r"is an index, not the number of passages to return: retrieve\("):
            retrieve("tariffs", mixed_up)  # type: ignore[arg-type]
    with pytest.raises(QuestionError, match=r"^k='five' must be a whole number, at least 1: the number of passages"):
        retrieve("tariffs", "five", index=built)  # type: ignore[arg-type]  (no word of an index)
