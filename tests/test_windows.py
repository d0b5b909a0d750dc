from __future__ import annotations

from qa.articles import Source
from qa.reader import Reading, Span
from qa.retrieval import Hit
from qa.splitting import split_sentences
from qa.windows import WINDOW_OVERHEAD, make_windows, read_windows, trim_punctuation
from tests.fakes import FakeReader

BODY = (
    "Intro line here. The council met on Monday. Officials said the bridge will close. "
    "It reopens in May after repairs. Traffic will use the ferry. Closing words."
)


def hit(body: str = BODY, first_id: int = 100, start: int = 0) -> Hit:
    sentences = split_sentences(body)
    n = len(sentences)
    return Hit(
        rank=1,
        score=1.0,
        source=Source("a.txt", "Bridge closes", "a.txt"),
        passage_id=1,
        text=body[start:],
        start=start,
        end=len(body),
        sentences=sentences,
        dense=0.5,
        lexical=1.0,
        sentence_ids=tuple(range(first_id, first_id + n)),
        sentence_dense=(0.1,) * n,
        sentence_lexical=(0.0,) * n,
    )


def test_a_window_grows_before_then_after_within_its_token_limit():
    h = hit()
    tokens = dict.fromkeys(h.sentence_ids, 10)
    [window] = make_windows([(h, 3)], tokens, window_tokens=30, budget=1000)
    assert (window.first, window.last) == (2, 4)  # the sentence, the one before, the one after
    assert (
        window.text
        == "Officials said the bridge will close. It reopens in May after repairs. Traffic will use the ferry."
    )
    [wide] = make_windows([(h, 3)], tokens, window_tokens=40, budget=1000)
    assert (wide.first, wide.last) == (1, 4)  # the second round takes the one before again first
    [alone] = make_windows([(h, 3)], {**tokens, h.sentence_ids[2]: 25, h.sentence_ids[4]: 25}, 30, 1000)
    assert (alone.first, alone.last) == (3, 3)


def test_covered_candidates_are_skipped_and_the_budget_stops_new_windows():
    h = hit()
    tokens = dict.fromkeys(h.sentence_ids, 10)
    windows = make_windows([(h, 3), (h, 2), (h, 0)], tokens, window_tokens=20, budget=1000)
    assert [(w.first, w.last) for w in windows] == [(2, 3), (0, 1)]  # (h, 2) was inside the first
    tight = make_windows([(h, 3), (h, 0)], tokens, window_tokens=20, budget=20 + WINDOW_OVERHEAD + 5)
    assert [(w.first, w.last) for w in tight] == [(2, 3)]  # the second would pass the budget
    assert len(make_windows([(h, 3)], tokens, window_tokens=20, budget=1)) == 1  # the first is always read


def test_spans_come_back_as_body_offsets_inside_their_sentence():
    body = "Preamble text goes first. " + BODY
    start = len("Preamble text goes first. ")
    h = hit(body, start=start)
    h = Hit(
        **{
            **h.__dict__,
            "sentences": h.sentences[1:],
            "sentence_ids": h.sentence_ids[1:],
            "sentence_dense": h.sentence_dense[1:],
            "sentence_lexical": h.sentence_lexical[1:],
        }
    )
    windows = make_windows([(h, 3)], dict.fromkeys(h.sentence_ids, 10), 30, 1000)
    spans = read_windows(FakeReader(), "When does the bridge reopen?", windows)
    assert spans and spans[0].score > 0
    best = spans[0]
    sentence = h.sentences[best.position]
    assert sentence.start <= best.start < best.end <= sentence.end
    assert body[best.start : best.end] in ("bridge", "reopens")
    assert len({s.sentence_id for s in spans}) == len(spans)  # at most one span per sentence
    assert [s.score for s in spans] == sorted((s.score for s in spans), reverse=True)


def test_no_windows_reads_nothing():
    reader = FakeReader()
    assert read_windows(reader, "anything?", []) == [] and reader.windows_read == 0


class SpanReader(FakeReader):
    """Marks one fixed piece of the window's text, as the model might."""

    def __init__(self, marked: str) -> None:
        super().__init__()
        self.marked = marked

    def read(self, question: str, windows: object) -> list[Reading]:
        readings = []
        for _, text in windows:  # type: ignore[attr-defined]
            at = text.find(self.marked)
            spans = (Span(at, at + len(self.marked), 6.0),) if at >= 0 else ()
            readings.append(Reading(spans=spans, score=6.0 if spans else float("-inf"), null=0.0, truncated=False))
        return readings


def test_a_span_ending_on_the_sentences_punctuation_loses_it():
    h = hit()
    windows = make_windows([(h, 3)], dict.fromkeys(h.sentence_ids, 10), 30, 1000)
    cases = [
        ("in May after repairs.", "in May after repairs"),
        ("ferry.", "ferry"),
        ("repairs. Traffic", "repairs"),  # run on into the next sentence: cut at its end, then trimmed
    ]
    for marked, expected in cases:
        [span] = read_windows(SpanReader(marked), "When does it reopen?", windows)
        assert BODY[span.start : span.end] == expected


def test_trim_punctuation_keeps_words_and_abbreviations():
    text = "It cost $5, said the U.S. Army at 3 p.m.; then: done."
    cases = {"$5,": "$5", "U.S.": "U.S.", "3 p.m.;": "3 p.m.", "then:": "then", "done.": "done", ".": "."}
    for piece, expected in cases.items():
        start = text.index(piece)
        assert text[start : trim_punctuation(text, start, start + len(piece))] == expected, piece


def test_a_lone_quote_mark_is_no_span_and_a_stray_one_is_trimmed():
    """'answer: "  (low confidence)': the reader marked a quote mark; others began `"limited`."""
    body = 'Intro line here. Officials warned of "limited supplies" at the port. Closing words.'
    h = hit(body)
    windows = make_windows([(h, 1)], dict.fromkeys(h.sentence_ids, 10), 30, 1000)
    cases = [('"limited', "limited"), ('supplies"', "supplies"), ('"limited supplies"', '"limited supplies"')]
    for marked, expected in cases:
        [span] = read_windows(SpanReader(marked), "What was warned of?", windows)
        assert body[span.start : span.end] == expected, marked
    assert read_windows(SpanReader('"'), "What was warned of?", windows) == []
    # Nor is a span of words that answer nothing alone ("answer: An")
    assert read_windows(SpanReader("the"), "What was warned of?", windows) == []
    from qa.windows import trimmed_span

    assert trimmed_span("An", 0, 2) is None and trimmed_span("The Who", 0, 7) == (0, 7)


def test_trimming_quote_marks_keeps_apostrophes_and_inch_marks_and_the_words_punctuation_goes():
    from qa.windows import trimmed_span

    cases = {
        "the Smiths'": "the Smiths'",  # a plural's apostrophe is part of the word
        "'90s boom": "'90s boom",
        '27"': '27"',  # inches
        'dire consequences."': "dire consequences",  # the quote closed nothing here, then the full stop
        "Operation Sand.'": "Operation Sand",
    }
    for span, expected in cases.items():
        trimmed = trimmed_span(span, 0, len(span))
        assert trimmed is not None and span[trimmed[0] : trimmed[1]] == expected, span
