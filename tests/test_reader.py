"""The extractive reader: pre/post-processing with a fake model call, and the shipped model.

`FakeReader` keeps the real tokenizer, encoding and span decoding of `qa.reader.Reader`;
only `_logits` (the one call into the model) is replaced by logits we choose per token
id, so every expected span and score can be worked out by hand.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from qa.errors import EncoderError
from qa.reader import (
    MAX_ANSWER_TOKENS,
    MAX_TOKENS,
    MODEL_FILE,
    SEP_ID,
    TOKENIZER_FILE,
    Reader,
    Span,
    get_reader,
)
from tests.conftest import TRUDEAU

TITLE = "As Canadian leader Mark Carney visits China"


class FakeReader(Reader):
    """Start/end logits from per-token-id tables; the [CLS] logits give the null score.

    Tokens of the question and the title get `decoy` instead of their table value, so a
    decoder that looked there would pick them.
    """

    def __init__(
        self,
        start: dict[str, float] | None = None,
        end: dict[str, float] | None = None,
        null: tuple[float, float] = (0.0, 0.0),
        decoy: float = 0.0,
    ) -> None:
        super().__init__(model_file="/nonexistent/reader.onnx")
        tokenizer = self.tokenizer()
        self.start = {tokenizer.token_to_id(t): v for t, v in (start or {}).items()}
        self.end = {tokenizer.token_to_id(t): v for t, v in (end or {}).items()}
        self.null = null
        self.decoy = decoy
        self.calls: list[tuple[int, int]] = []

    def _logits(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls.append(ids.shape)
        start = np.vectorize(lambda i: self.start.get(int(i), 0.0), otypes=[np.float32])(ids)
        end = np.vectorize(lambda i: self.end.get(int(i), 0.0), otypes=[np.float32])(ids)
        for row in range(len(ids)):
            seps = np.flatnonzero(ids[row] == SEP_ID)
            before_window = seps[-2] if len(seps) >= 2 else 0  # the [SEP] after the question or title
            for table, out in ((self.start, start), (self.end, end)):
                for pos in range(1, before_window):
                    if int(ids[row, pos]) in table:
                        out[row, pos] = self.decoy
            start[row, 0], end[row, 0] = self.null
            start[row, mask[row] == 0] = 77.0  # padding must never matter
            end[row, mask[row] == 0] = 77.0
        return start, end


def quote(text: str, span: Span) -> str:
    return text[span.start : span.end]


def test_best_span_quotes_the_exact_characters_of_the_window():
    reader = FakeReader(start={"100": 5.0}, end={"vehicles": 4.0})
    [reading] = reader.read("What tariffs did Trudeau impose?", [(TITLE, TRUDEAU)])
    assert quote(TRUDEAU, reading.spans[0]) == "100% tariff on Chinese-made electric vehicles"
    assert (reading.spans[0].start, reading.spans[0].end) == (TRUDEAU.index("100%"), TRUDEAU.index(", prompting"))


def test_null_scoring_is_best_span_minus_the_cls_sum():
    reader = FakeReader(start={"100": 5.0}, end={"vehicles": 4.0}, null=(2.0, 1.5))
    [reading] = reader.read("What tariffs did Trudeau impose?", [(TITLE, TRUDEAU)])
    assert reading.null == pytest.approx(3.5)
    assert reading.score == pytest.approx(9.0 - 3.5)
    assert reading.spans[0].score == reading.score
    # A strong null ("no answer here") gives a negative score.
    [no] = FakeReader(start={"100": 5.0}, end={"vehicles": 4.0}, null=(8.0, 8.0)).read("q?", [(TITLE, TRUDEAU)])
    assert no.score == pytest.approx(9.0 - 16.0)


def test_spans_never_come_from_the_question_or_the_title():
    # "tariff" in the question and "china" in the title get far higher logits than anything in the window.
    reader = FakeReader(start={"tariff": 3.0, "china": 3.0}, end={"tariff": 3.0, "china": 3.0}, decoy=50.0)
    [reading] = reader.read("Which tariff?", [("Tariff news from China", TRUDEAU)])
    assert reading.score == pytest.approx(6.0)
    assert quote(TRUDEAU, reading.spans[0]) in ("tariff", "China")
    assert all(0 <= s.start < s.end <= len(TRUDEAU) for s in reading.spans)


def test_spans_are_whole_words_only():
    # The best logits sit on "##udeau" (inside "Trudeau"); no span may start or end mid-word.
    reader = FakeReader(start={"##udeau": 9.0, "tr": 1.0}, end={"tr": 9.0, "##udeau": 1.0})
    [reading] = reader.read("Who?", [(TITLE, TRUDEAU)])
    assert quote(TRUDEAU, reading.spans[0]) == "Trudeau"
    for span in reading.spans:
        assert span.start == 0 or not TRUDEAU[span.start - 1].isalnum() or not TRUDEAU[span.start].isalnum()
        assert span.end == len(TRUDEAU) or not TRUDEAU[span.end].isalnum() or not TRUDEAU[span.end - 1].isalnum()


def test_spans_are_at_most_max_answer_tokens_long_and_do_not_overlap():
    words = " ".join(f"w{i}" for i in range(1, 16))  # "w1 w2 ..." -> 2 word pieces per word
    text = f"alpha {words} omega."  # alpha..omega: 32 tokens, just over the limit of 30
    reader = FakeReader(start={"alpha": 9.0, "w": 0.5}, end={"omega": 9.0})
    [reading] = reader.read("What?", [("T", text)])
    tokenizer = reader.tokenizer()
    assert MAX_ANSWER_TOKENS == 30
    assert quote(text, reading.spans[0]) != text[:-1]  # alpha..omega is too long
    assert reading.score == pytest.approx(9.5)  # "alpha" or "w.. omega": the best spans that fit
    for span in reading.spans:
        assert len(tokenizer.encode(quote(text, span), add_special_tokens=False).ids) <= 30
    ordered = sorted(reading.spans, key=lambda s: s.start)
    assert all(a.end <= b.start for a, b in itertools.pairwise(ordered))
    assert [s.score for s in reading.spans] == sorted((s.score for s in reading.spans), reverse=True)
    assert 1 < len(reading.spans) <= 3


def test_batch_of_windows_gives_the_same_as_one_by_one_in_one_model_call():
    windows = [
        (TITLE, TRUDEAU),
        ("Cup final", "Rovers won the national cup final on Saturday."),
        ("", "Stocks fell sharply on Tuesday as investors feared a 100% rise in rates."),
        ("T", ""),
    ]
    reader = FakeReader(
        start={"100": 5.0, "rovers": 2.0}, end={"vehicles": 4.0, "rates": 1.0, "rovers": 1.0}, null=(1.0, 0.5)
    )
    together = reader.read("What happened?", windows)
    assert len(reader.calls) == 1 and reader.calls[0][0] == len(windows)
    alone = [
        FakeReader(
            start={"100": 5.0, "rovers": 2.0}, end={"vehicles": 4.0, "rates": 1.0, "rovers": 1.0}, null=(1.0, 0.5)
        ).read("What happened?", [w])[0]
        for w in windows
    ]
    assert together == alone
    assert quote(windows[1][1], together[1].spans[0]) == "Rovers"
    assert quote(windows[2][1], together[2].spans[0]) == "100% rise in rates"
    # A window with no text has nothing to quote and can never beat one that does.
    assert together[3].spans == () and together[3].score == -math.inf


def test_a_window_too_long_for_the_model_is_cut_and_flagged():
    long_text = " ".join(["The tariff rose again."] * 120)  # ~600 tokens
    reader = FakeReader(start={"tariff": 2.0}, end={"tariff": 2.0})
    [encoded] = reader.encode("What rose?", [(TITLE, long_text)])
    assert len(encoded.ids) == MAX_TOKENS and encoded.ids[-1] == SEP_ID
    short, long = reader.read("What rose?", [(TITLE, TRUDEAU), (TITLE, long_text)])
    assert (short.truncated, long.truncated) == (False, True)
    assert all(s.end <= encoded.offsets[-1][1] for s in long.spans)  # only the part read
    assert reader.calls[0][1] == MAX_TOKENS


def test_offsets_of_every_window_token_quote_the_text():
    reader = FakeReader()
    text = "Beyoncé's “Lemonade” (2016) sold 485,000 copies — in week one."
    [encoded] = reader.encode("How many copies?", [("Music", text)])
    tokenizer = reader.tokenizer()
    pieces = tokenizer.encode(text, add_special_tokens=False)
    assert list(encoded.offsets) == list(pieces.offsets)
    assert encoded.ids[encoded.window_first : -1] == tuple(pieces.ids)
    assert encoded.type_ids[encoded.window_first] == 1 and encoded.type_ids[1] == 0


def test_a_token_before_a_combining_accent_ends_after_it():
    # the tokenizer strips accents: "e\u0301" ended at the "e", so a highlight split the letter
    reader = FakeReader()
    text = "Cafe\u0301 owners welcomed the plan."
    [encoded] = reader.encode("Who welcomed the plan?", [("Town", text)])
    assert [text[b:e] for b, e in encoded.offsets][:2] == ["Cafe\u0301", "owners"]


def test_no_windows_reads_nothing_and_does_not_load_a_model():
    reader = FakeReader()
    assert reader.read("Anything?", []) == []
    assert reader.calls == []


def test_a_missing_model_file_is_a_clear_encoder_error(tmp_path):
    reader = Reader(model_file=tmp_path / "missing.onnx")
    with pytest.raises(EncoderError, match=r"missing\.onnx"):
        reader.read("Who?", [(TITLE, TRUDEAU)])
    with pytest.raises(EncoderError, match="tokenizer"):
        Reader(tokenizer_file=tmp_path / "none.json").read("Who?", [(TITLE, TRUDEAU)])


def test_the_shipped_files_exist_and_get_reader_is_one_instance():
    assert MODEL_FILE.exists() and MODEL_FILE.stat().st_size <= 30 * 1024 * 1024
    assert TOKENIZER_FILE.exists()
    assert get_reader() is get_reader()


@pytest.mark.model
def test_shipped_model_finds_the_tariff_and_scores_an_unrelated_question_far_lower():
    reader = get_reader()
    (related,) = reader.read("What tariffs did Trudeau impose?", [(TITLE, TRUDEAU)])
    (unrelated,) = reader.read("Who won the 2022 FIFA World Cup?", [(TITLE, TRUDEAU)])
    best = quote(TRUDEAU, related.spans[0])
    assert "100% tariff" in best, best
    assert related.score > 0
    assert unrelated.score < related.score - 5, (related.score, unrelated.score)


def test_model_runs_one_at_a_time_across_threads() -> None:
    """Concurrent questions queue for the model instead of each holding its own buffers."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    active, peak, guard = 0, 0, threading.Lock()

    class Session:
        def run(self, names, feed):
            nonlocal active, peak
            with guard:
                active += 1
                peak = max(peak, active)
            time.sleep(0.01)
            with guard:
                active -= 1
            shape = feed["input_ids"].shape
            return np.zeros(shape, np.float32), np.zeros(shape, np.float32)

    reader = Reader()
    reader._session = Session()  # type: ignore[assignment]
    reader._input_names = ["input_ids", "attention_mask", "token_type_ids"]
    with ThreadPoolExecutor(8) as pool:
        readings = list(pool.map(lambda _: reader.read("What tariffs?", [(TITLE, TRUDEAU)]), range(16)))
    assert peak == 1
    assert len(readings) == 16 and all(len(r) == 1 for r in readings)
