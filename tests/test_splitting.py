from __future__ import annotations

from qa.splitting import make_passages, split_sentences
from tests.conftest import SEED, TRUDEAU


def texts(body: str) -> list[str]:
    return [s.text for s in split_sentences(body)]


def test_abbreviations_numbers_and_quotes_do_not_split():
    body = (
        'The U.S. economy grew 3.5% in Jan. last year, Mr. Smith said. "We are pleased," he added. '
        "Prices rose 100% in the U.K. on Friday."
    )
    assert texts(body) == [
        "The U.S. economy grew 3.5% in Jan. last year, Mr. Smith said.",
        '"We are pleased," he added.',
        "Prices rose 100% in the U.K. on Friday.",
    ]


def test_offsets_quote_the_body_verbatim_including_em_dashes():
    body = SEED.read_text().split("2026-01-13 ", 1)[1]
    sentences = split_sentences(body)
    assert all(body[s.start : s.end] == s.text for s in sentences)
    assert TRUDEAU in [s.text for s in sentences]
    dash = next(s.text for s in sentences if s.text.startswith("But Beijing"))
    assert dash.endswith("erode that longstanding relationship.")  # em-dashes did not cut it
    assert "—and, now, military action—" in dash


def test_month_names_at_a_sentence_end_do_not_glue_sentences():
    assert texts("Lava reached the sea in May. Zebra crossings were buried.") == [
        "Lava reached the sea in May.",
        "Zebra crossings were buried.",
    ]
    assert texts("The vote is in May. Mr. Blair said so.") == ["The vote is in May.", "Mr. Blair said so."]


def test_paragraph_breaks_end_sentences_and_are_not_sentences():
    assert texts("First para without stop\n\nSecond para.") == ["First para without stop", "Second para."]


def test_passages_respect_budget_overlap_one_sentence_and_never_cut():
    sentences = split_sentences("A one. B two. C three. D four. E five.")
    passages = make_passages(sentences, [4, 4, 4, 4, 4], budget=12)
    assert [(p.first, p.last) for p in passages] == [(0, 2), (2, 4)]
    assert passages[0].start == 0 and passages[0].end == sentences[2].end


def test_sentence_longer_than_budget_is_a_passage_of_its_own():
    sentences = split_sentences("Short. " + "Very long sentence " * 20 + "end. Tail.")
    passages = make_passages(sentences, [2, 80, 2], budget=10)
    assert [(p.first, p.last) for p in passages] == [(0, 0), (1, 1), (2, 2)]


def test_no_overlap_setting():
    sentences = split_sentences("The cats sleep all day. The dogs bark at night. The birds sing. The fish swim.")
    assert [(p.first, p.last) for p in make_passages(sentences, [1] * 4, budget=2, overlap=0)] == [(0, 1), (2, 3)]
