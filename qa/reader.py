"""Reading a window of sentences to find the answer span, and how strongly it answers.

The reader is an extractive question-answering model: all-MiniLM-L6-v2 fine-tuned on
SQuAD v1.1 (see `qa/models/reader/MODEL_CARD.md` and `training/`), shipped as ONNX and run
with ONNX Runtime and the Rust `tokenizers` library, so answering never imports torch.

For a question and a window (a run of consecutive whole sentences of one article, with its
title) the model reads

    [CLS] question [SEP] title [SEP] window [SEP]

and gives every token a start and an end logit. A span's score is its start logit plus
its end logit; the *null* score is the same sum at [CLS]. The model was trained with
windows that do not hold the answer pointing at [CLS] (SQuAD 2.0-style), so

    score = best span - null

is comparable across windows and questions: positive when the window answers the
question, strongly negative when it does not. It is what ranks windows and what decides
abstention.

Spans are only looked for inside the window text (never in the question or the title),
start at the first piece of a word and end at the last piece of one (no half words), are
at most `MAX_ANSWER_TOKENS` long and come back as character offsets into the window text,
so `text[span.start:span.end]` quotes it verbatim.

Example:
    >>> reader = get_reader()
    >>> text = ("Trudeau's government in 2024 followed Biden's lead in imposing a 100% tariff on "
    ...         "Chinese-made electric vehicles, prompting retaliatory tariffs from China.")
    >>> [reading] = reader.read("What tariffs did Trudeau impose?", [("Carney visits China", text)])
    >>> best = reading.spans[0]
    >>> text[best.start:best.end]
    '100% tariff on Chinese-made electric vehicles'
    >>> reading.score > 0
    True
"""

from __future__ import annotations

import math
import os
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import EncoderError

if TYPE_CHECKING:  # imported lazily at run time: loading them costs time a `Reader()` need not pay
    import onnxruntime as ort
    from tokenizers import Tokenizer

MODEL_DIR = Path(__file__).resolve().parent / "models" / "reader"
MODEL_FILE = MODEL_DIR / "reader.onnx"
TOKENIZER_FILE = MODEL_DIR / "tokenizer.json"

MAX_TOKENS = 256  # the length the model was fine-tuned at (all-MiniLM-L6-v2's own limit)
MAX_QUESTION_TOKENS = 64  # a longer question is cut: the window matters more than its tail
MAX_TITLE_TOKENS = 24
MAX_ANSWER_TOKENS = 30  # SQuAD answers are short; longer "spans" are nearly always wrong
TOP_SPANS = 3  # how many non-overlapping spans a Reading keeps
BATCH_SIZE = 32  # windows per model call; a question brings ~4-8, so usually one call

CLS_ID, SEP_ID, PAD_ID = 101, 102, 0


@dataclass(frozen=True)
class Span:
    """A candidate answer: `text[start:end]` of the window text (end exclusive).

    `score` is the span's start + end logit minus the window's null score, so spans of
    different windows compare directly.
    """

    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Reading:
    """What the reader found in one window.

    Attributes:
        spans: up to `TOP_SPANS` non-overlapping spans, best first (empty only when the
            window has no text the model could read).
        score: best span minus null, i.e. `spans[0].score`; > 0 means the model prefers
            an answer here over "no answer". `-inf` when `spans` is empty.
        null: the null ("no answer here") logit sum at [CLS], for diagnostics.
        truncated: the window was too long for the model and its end was not read.
    """

    spans: tuple[Span, ...]
    score: float
    null: float
    truncated: bool


@dataclass(frozen=True)
class Encoded:
    """One window as model input, and how its tokens map back to the window text."""

    ids: tuple[int, ...]
    type_ids: tuple[int, ...]
    window_first: int  # index of the first window token in `ids`
    offsets: tuple[tuple[int, int], ...]  # character span of each window token
    word_starts: tuple[bool, ...]  # token begins a word (may start an answer)
    word_ends: tuple[bool, ...]  # token ends a word (may end an answer)
    truncated: bool


class Reader:
    """Finds answer spans in windows; thread-safe, the model is loaded on first use.

    Args:
        model_file: the ONNX model (inputs input_ids, attention_mask, token_type_ids;
            outputs start_logits, end_logits).
        tokenizer_file: the matching `tokenizers` JSON file.
        threads: ONNX Runtime intra-op threads (default: all cores, at most 8).

    Example:
        >>> reader = Reader()          # cheap: nothing is loaded yet
        >>> readings = reader.read("Who won?", [("Cup final", "Rovers won the cup on Saturday.")])
        >>> text = "Rovers won the cup on Saturday."
        >>> text[readings[0].spans[0].start:readings[0].spans[0].end]
        'Rovers'
    """

    def __init__(
        self,
        model_file: Path | str = MODEL_FILE,
        tokenizer_file: Path | str = TOKENIZER_FILE,
        threads: int | None = None,
    ) -> None:
        self.model_file = Path(model_file)
        self.tokenizer_file = Path(tokenizer_file)
        self.threads = threads or max(1, min(os.cpu_count() or 1, 8))
        self._tokenizer: Tokenizer | None = None
        self._session: ort.InferenceSession | None = None
        self._input_names: list[str] = []
        self._lock = threading.Lock()
        # One model run at a time per process. Each run already uses every core, and runs in
        # parallel threads each keep their own activation buffers: 20 concurrent /ask clients
        # on the BBC index took the process from 359 to 1,353 MB without this lock, 416 MB with it.
        self._run_lock = threading.Lock()

    # -- public -------------------------------------------------------------------------

    def read(self, question: str, windows: Sequence[tuple[str, str]]) -> list[Reading]:
        """Read each (title, text) window for `question`; one Reading per window, in order.

        All windows go through the model together (in batches of `BATCH_SIZE`), padded to
        the longest, which is as fast as one long window and exactly as accurate as
        reading them one by one.

        Example:
            >>> text = "Trudeau's government in 2024 imposed a 100% tariff on Chinese-made electric vehicles."
            >>> r = get_reader().read("Who won the 2022 FIFA World Cup?", [("Carney visits China", text)])
            >>> r[0].score < 0   # the window does not answer this question
            True
        """
        if not windows:
            return []
        encoded = self.encode(question, windows)
        readings: list[Reading] = []
        for begin in range(0, len(encoded), BATCH_SIZE):
            batch = encoded[begin : begin + BATCH_SIZE]
            ids, mask, types = pad(batch)
            start, end = self._logits(ids, mask, types)
            start = np.asarray(start, dtype=np.float32)
            end = np.asarray(end, dtype=np.float32)
            readings.extend(_decode(e, start[row], end[row]) for row, e in enumerate(batch))
        return readings

    def encode(self, question: str, windows: Sequence[tuple[str, str]]) -> list[Encoded]:
        """Model inputs for `question` over each (title, text) window (also used in training).

        The window is cut at the end when question, title and window exceed `MAX_TOKENS`;
        an empty title leaves out the title and its [SEP].
        """
        tokenizer = self.tokenizer()
        q = tokenizer.encode(question.strip(), add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
        titles = tokenizer.encode_batch([t.strip() for t, _ in windows], add_special_tokens=False)
        texts = tokenizer.encode_batch([x for _, x in windows], add_special_tokens=False)
        result = []
        for (_, text), title_enc, text_enc in zip(windows, titles, texts):
            title = title_enc.ids[:MAX_TITLE_TOKENS]
            head = [CLS_ID, *q, SEP_ID] + ([*title, SEP_ID] if title else [])
            room = MAX_TOKENS - len(head) - 1
            n = min(len(text_enc.ids), room)
            words = text_enc.word_ids[:n]
            all_words = text_enc.word_ids
            ids = (*head, *text_enc.ids[:n], SEP_ID)
            types = (0,) * (len(q) + 2) + (1,) * (len(ids) - len(q) - 2)
            result.append(
                Encoded(
                    ids=ids,
                    type_ids=types,
                    window_first=len(head),
                    offsets=_whole_characters(text, text_enc.offsets[:n]),
                    # A word continues when the next piece has the same word id; the last piece
                    # read may not end its word if the window was cut right there.
                    word_starts=tuple(i == 0 or words[i] != words[i - 1] for i in range(n)),
                    word_ends=tuple(i + 1 >= len(all_words) or all_words[i + 1] != words[i] for i in range(n)),
                    truncated=n < len(text_enc.ids),
                )
            )
        return result

    # -- the model ----------------------------------------------------------------------

    def _logits(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The only call into the model: (batch, tokens) int64 x3 -> start, end logits (batch, tokens)."""
        session = self._get_session()
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        with self._run_lock:
            start, end = session.run(["start_logits", "end_logits"], {k: feed[k] for k in self._input_names})
        return start, end

    def tokenizer(self) -> Tokenizer:
        """The reader's tokenizer, loaded once (the training code counts and cuts windows with it).

        Example:
            >>> get_reader().tokenizer().encode("Trudeau imposed tariffs", add_special_tokens=False).tokens
            ['tr', '##udeau', 'imposed', 'tariffs']
        """
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    if not self.tokenizer_file.exists():
                        raise EncoderError(
                            f"The reader's tokenizer {self.tokenizer_file} is missing; "
                            "reinstall the package (it ships in qa/models/reader/)."
                        )
                    from tokenizers import Tokenizer

                    tokenizer = Tokenizer.from_file(str(self.tokenizer_file))
                    # We add special tokens and cut windows ourselves, to know every offset.
                    tokenizer.no_padding()
                    tokenizer.no_truncation()
                    self._tokenizer = tokenizer
        return self._tokenizer

    def _get_session(self) -> ort.InferenceSession:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    if not self.model_file.exists():
                        raise EncoderError(
                            f"The reader model {self.model_file} is missing; reinstall the "
                            "package (it ships in qa/models/reader/) or retrain it with "
                            "`python -m training.train_reader`."
                        )
                    import onnxruntime as ort

                    options = ort.SessionOptions()
                    options.intra_op_num_threads = self.threads
                    options.inter_op_num_threads = 1
                    options.log_severity_level = 3
                    try:
                        session = ort.InferenceSession(
                            str(self.model_file), options, providers=["CPUExecutionProvider"]
                        )
                    except Exception as exc:  # a damaged file must say which file
                        raise EncoderError(f"The reader model {self.model_file} cannot be loaded ({exc}).") from None
                    self._input_names = [i.name for i in session.get_inputs()]
                    self._session = session
        return self._session


def pad(batch: Sequence[Encoded]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token ids, attention mask and token types of `batch`, padded to its longest encoding
    (as the model reads them; training pads its batches the same way).

    Example:
        >>> encode = get_reader().tokenizer().encode_batch
        >>> ids, mask, types = pad(encode(["a ferry", "a ferry sailed late"]))
        >>> ids.shape, mask.sum(axis=1).tolist()
        ((2, 6), [4, 6])
    """
    width = max(len(e.ids) for e in batch)
    ids = np.full((len(batch), width), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    types = np.zeros((len(batch), width), dtype=np.int64)
    for row, e in enumerate(batch):
        n = len(e.ids)
        ids[row, :n] = e.ids
        mask[row, :n] = 1
        types[row, :n] = e.type_ids
    return ids, mask, types


# Marks the tokenizer drops (it strips accents) but that belong to the letter before them.
_JOINED_MARKS = frozenset("\u200d\ufe0e\ufe0f")


def _whole_characters(text: str, offsets: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Token offsets whose ends take in the combining marks after them: the tokenizer ends
    "e\u0301" at the "e", and a highlight ending there left the accent outside the mark.

    Example:
        >>> _whole_characters("Cafe\u0301 owners", [(0, 4), (6, 12)])
        ((0, 5), (6, 12))
    """
    if text.isascii():
        return tuple(offsets)
    whole = []
    for begin, stop in offsets:
        while stop < len(text) and (unicodedata.combining(text[stop]) or text[stop] in _JOINED_MARKS):
            stop += 1
        whole.append((begin, stop))
    return tuple(whole)


def _decode(e: Encoded, start: np.ndarray, end: np.ndarray) -> Reading:
    """Best non-overlapping spans of one window from its logits (numpy, a few µs)."""
    null = float(start[0] + end[0])
    n = len(e.offsets)
    if n == 0:
        return Reading(spans=(), score=-math.inf, null=null, truncated=e.truncated)
    a = e.window_first
    # Only window tokens may start/end a span, and only at word boundaries.
    s = np.where(np.array(e.word_starts), start[a : a + n], -np.inf)
    t = np.where(np.array(e.word_ends), end[a : a + n], -np.inf)
    # scores[i, k] = span from token i to token i + k (k < MAX_ANSWER_TOKENS).
    padded = np.concatenate([t, np.full(MAX_ANSWER_TOKENS - 1, -np.inf)])
    band = np.lib.stride_tricks.sliding_window_view(padded, MAX_ANSWER_TOKENS)[:n]
    scores = s[:, None] + band
    flat = scores.ravel()
    k = min(len(flat), 64)  # enough candidates to find TOP_SPANS non-overlapping ones
    candidates = np.argpartition(-flat, k - 1)[:k]
    candidates = candidates[np.argsort(-flat[candidates], kind="stable")]
    spans: list[Span] = []
    for c in candidates:
        value = float(flat[c])
        if not math.isfinite(value):
            break
        i, off = divmod(int(c), MAX_ANSWER_TOKENS)
        begin, stop = e.offsets[i][0], e.offsets[i + off][1]
        if any(begin < x.end and x.start < stop for x in spans):
            continue
        spans.append(Span(begin, stop, value - null))
        if len(spans) == TOP_SPANS:
            break
    score = spans[0].score if spans else -math.inf
    return Reading(spans=tuple(spans), score=score, null=null, truncated=e.truncated)


_READER: Reader | None = None
_READER_LOCK = threading.Lock()


def get_reader() -> Reader:
    """The shipped reader, created once per process (the model loads on first `read`)."""
    global _READER
    with _READER_LOCK:
        if _READER is None:
            _READER = Reader()
        return _READER
