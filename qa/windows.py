"""What the reader reads: windows of whole sentences around the best candidate sentences.

The reader (`qa.reader`) costs ~0.055 ms a token here (int8, 2 threads), so it reads a
budget of tokens, not every retrieved passage. Sentence scoring
(`qa.answering.score_sentences`) is cheap and usually puts the answer among its first few
sentences; each of those gets a window: the sentence plus its
neighbours in its passage (the one before first, as news names its subject once and then
says "the company"), up to `window_tokens`. Windows never overlap, and reading stops at
`budget` tokens. The reader's spans come back as `SentenceSpan`s: offsets in the
article body, each inside one sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .reader import Reader
from .retrieval import Hit

# Tokens the reader adds to every window besides the window itself: [CLS] question [SEP]
# title [SEP] ... [SEP]; an estimate for the budget (the question and title are short).
WINDOW_OVERHEAD = 30


@dataclass(frozen=True)
class Window:
    """Sentences `first..last` (inclusive positions in `hit.sentences`) of one retrieved passage."""

    hit: Hit
    first: int
    last: int

    @property
    def start(self) -> int:
        """Offset of the window in its article's body."""
        return self.hit.sentences[self.first].start

    @property
    def text(self) -> str:
        """The window's text, quoted from the passage."""
        end = self.hit.sentences[self.last].end
        return self.hit.text[self.start - self.hit.start : end - self.hit.start]


@dataclass(frozen=True)
class SentenceSpan:
    """The reader's best span inside one sentence: body offsets and the reader's score."""

    hit: Hit
    position: int  # of the sentence in `hit.sentences`
    start: int
    end: int
    score: float

    @property
    def sentence_id(self) -> int:
        return self.hit.sentence_ids[self.position]


def make_windows(
    candidates: Sequence[tuple[Hit, int]],
    tokens: Mapping[int, int],
    window_tokens: int,
    budget: int,
) -> list[Window]:
    """Windows around each candidate (hit, sentence position), best candidate first.

    A candidate already inside a window is skipped; a window grows from its sentence to
    the previous one, then the next, alternately, while it fits `window_tokens`
    (`tokens`: sentence id -> token count). Windows stop when the next one would pass
    `budget` tokens (the first window is always read).

    Example:
        >>> make_windows([], {}, 120, 600)
        []
    """
    windows: list[Window] = []
    covered: set[int] = set()
    used = 0
    for hit, position in candidates:
        if hit.sentence_ids[position] in covered:
            continue
        first = last = position
        size = tokens[hit.sentence_ids[position]]
        grew = True
        while grew:
            grew = False
            before = hit.sentence_ids[first - 1] if first > 0 else None
            if before is not None and before not in covered and size + tokens[before] <= window_tokens:
                first, size, grew = first - 1, size + tokens[before], True
            after = hit.sentence_ids[last + 1] if last + 1 < len(hit.sentence_ids) else None
            if after is not None and after not in covered and size + tokens[after] <= window_tokens:
                last, size, grew = last + 1, size + tokens[after], True
        if windows and used + size + WINDOW_OVERHEAD > budget:
            break
        windows.append(Window(hit, first, last))
        covered.update(hit.sentence_ids[first : last + 1])
        used += size + WINDOW_OVERHEAD
    return windows


def read_windows(reader: Reader, question: str, windows: Sequence[Window]) -> list[SentenceSpan]:
    """The reader's spans in `windows`, mapped to their sentences: at most one (the best)
    per sentence, best first. A span that runs past its sentence's end is cut there, and
    one that ends on the sentence's punctuation loses it (see `trim_punctuation`)."""
    if not windows:
        return []
    readings = reader.read(question, [(w.hit.source.title, w.text) for w in windows])
    best: dict[int, SentenceSpan] = {}
    for window, reading in zip(windows, readings):
        sentences = window.hit.sentences
        text = window.text
        for span in reading.spans:
            start = window.start + span.start
            position = next(
                (p for p in range(window.first, window.last + 1) if sentences[p].start <= start < sentences[p].end),
                None,
            )
            if position is None:  # between sentences: whitespace cannot start a span, but be safe
                continue
            # Cut at its sentence's end first: a span run on into the next sentence would
            # otherwise end on this one's full stop ("Grindavik.").
            end = min(span.end, sentences[position].end - window.start)
            trimmed = trimmed_span(text, span.start, end)
            if trimmed is None:  # a lone quote mark was marked as "the answer"
                continue
            start, end = window.start + trimmed[0], window.start + trimmed[1]
            found = SentenceSpan(window.hit, position, start, end, span.score)
            known = best.get(found.sentence_id)
            if known is None or found.score > known.score:
                best[found.sentence_id] = found
    return sorted(best.values(), key=lambda s: -s.score)


def trim_punctuation(text: str, start: int, end: int) -> int:
    """The end of the span `text[start:end]` without a trailing comma, semicolon, colon or
    full stop: the reader may end a span on the sentence's own punctuation ("Grindavik.";
    which it does depends on the CPU's int8 kernels), but the answer is the words. A full
    stop that ends an abbreviation with full stops inside it ("U.S.", "p.m.") stays.

    Example:
        >>> text = "Quakes struck near Grindavik. The U.S. sent aid."
        >>> text[:trim_punctuation(text, 19, 29)][19:], text[30:trim_punctuation(text, 30, 38)]
        ('Grindavik', 'The U.S.')
    """
    while end - start > 1 and text[end - 1] in ".,;:":
        word = text[start:end].split()[-1]
        if text[end - 1] == "." and "." in word[:-1]:  # "U.S.", "p.m.": the full stop is the word's
            break
        end -= 1
    return end


_OPENING_QUOTES = "\"'\u201c\u2018\u00ab"
_CLOSING_QUOTES = "\"'\u201d\u2019\u00bb"
_WORD = re.compile(r"[^\W_]")


def trimmed_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span `text[start:end]` without its sentence's punctuation at the end (see
    `trim_punctuation`) and without a quote mark at either end that opens or closes nothing
    inside it (`"limited`, `consequences."`); None when no word is left (a lone `"`). An
    apostrophe is a quote mark only where it is no part of a word: "the Smiths'" and "'90s"
    keep theirs, and "27"" (inches) its mark.

    Example:
        >>> text = 'Officials warned of "limited supplies.'
        >>> start, end = trimmed_span(text, 20, len(text))
        >>> text[start:end], trimmed_span('He said "', 8, 9), trimmed_span("An inquiry", 0, 2)
        ('limited supplies', None, None)
    """
    while True:
        end = trim_punctuation(text, start, end)
        if end - start > 1 and _stray_opening(text, start, end):
            start += 1
        elif end - start > 1 and _stray_closing(text, start, end):
            end -= 1
        else:
            break
    if not _WORD.search(text[start:end]) or _only_function_words(text[start:end]):
        return None
    return start, end


# Words that answer nothing alone: "Who wrote it?" marked "An" (of "An inquiry…") at medium
# confidence, and showed "answer: An".
_FUNCTION_WORDS = frozenset(
    "a an the this that these those it its he she they them his her their we our you your i me my "
    "and or but of to in on at by for with from as is was are were be been".split()
)


def _only_function_words(span: str) -> bool:
    """Is `span` made of words such as "An", "the", "it" alone (and punctuation)?"""
    words = re.findall(r"[^\W_]+", span.casefold())
    return bool(words) and all(w in _FUNCTION_WORDS for w in words)


def _stray_opening(text: str, start: int, end: int) -> bool:
    mark = text[start]
    if mark not in _OPENING_QUOTES or (mark == "'" and text[start + 1].isdigit()):  # '90s
        return False
    return not any(c in _CLOSING_QUOTES for c in text[start + 1 : end])


def _stray_closing(text: str, start: int, end: int) -> bool:
    mark = text[end - 1]
    if mark not in _CLOSING_QUOTES or (mark in "'\u2019" and text[end - 2].isalpha()):  # the Smiths'
        return False
    if mark == '"' and text[end - 2].isdigit():  # 27" (inches)
        return False
    return not any(c in _OPENING_QUOTES for c in text[start : end - 1])
