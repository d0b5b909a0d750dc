"""Splitting an article body into sentences (with offsets) and passages of whole sentences.

Sentences come from nupunkt (an unsupervised Punkt model, trained and shipped with the
package, no downloads): it handles "U.S.", "Mr.", "Jan.", "3.5", "100%", quotes and
em-dashes, reports character offsets, and splits ~100k-500k words per second, so the BBC
corpus takes seconds beside six minutes of embedding. pysbd, the usual choice, took a full
minute for it; sentencex, faster still, glued "...in May. Zebra crossings..." together.
Paragraph breaks always end a sentence (a headline without a full stop stays on its own).

A "sentence" longer than `MAX_SENTENCE_CHARS` (a table flattened into one line, a text
without punctuation) is cut into pieces at a clause mark or a space, so no citation quotes
pages of text. nupunkt stays linear on such input (about 1 µs a character for a 200,000
character paragraph without full stops, 0.2 s with 66,000 of them), so paragraphs are not
pre-cut.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import nupunkt

# About 170 words. Two of the BBC corpus's 41,405 sentences are longer: an awards list (1,902
# characters) and a rugby squad (1,063), both lists without full stops.
MAX_SENTENCE_CHARS = 1000

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# Where a long sentence may be cut, best first: after a line's last character (list items),
# a semicolon, colon, dash or ellipsis; else after a comma. ; : , … and an en dash need a
# space after them ("3:45", "1,000" and "2004–2005" are not cut), an em dash and the CJK
# marks do not. The greedy `.*` finds the last one in one pass; each lookahead needs one more
# character, so a piece never runs past the window that the match is given.
_CLAUSE_ENDS = (
    re.compile(r".*(?:\S(?=[^\S\n]*\n)|[;:…–؛](?=\s)|[—；：](?=.))", re.DOTALL),
    re.compile(r".*(?:[,،](?=\s)|[，、](?=.))", re.DOTALL),
)
# The last non-space character that a space follows: the end of the last whole word.
_LAST_WORD_END = re.compile(r".*\S(?=\s)", re.DOTALL)


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article: `body[start:end] == text`."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """Consecutive whole sentences `first..last` (inclusive indexes into the sentence list)."""

    first: int
    last: int
    start: int
    end: int


def split_sentences(body: str) -> tuple[Sentence, ...]:
    """Split `body` into sentences whose offsets quote it verbatim.

    Sentences never start or end with whitespace and hold at most `MAX_SENTENCE_CHARS`
    characters: a longer one is cut (see `_cut_long`).

    Example:
        >>> [s.text for s in split_sentences("The U.S. rate rose 3.5% in Jan. last year. Mr. Li agreed.")]
        ['The U.S. rate rose 3.5% in Jan. last year.', 'Mr. Li agreed.']
    """
    sentences = []
    paragraph_start = 0
    for paragraph_end in [m.start() for m in _PARAGRAPH_BREAK.finditer(body)] + [len(body)]:
        paragraph = body[paragraph_start:paragraph_end]
        for a, b in nupunkt.sent_spans(paragraph) if paragraph.strip() else ():
            raw = paragraph[a:b]
            text = raw.strip()
            if text:
                start = paragraph_start + a + (len(raw) - len(raw.lstrip()))
                if len(text) <= MAX_SENTENCE_CHARS:
                    sentences.append(Sentence(text, start, start + len(text)))
                else:
                    sentences.extend(_cut_long(body, start, start + len(text)))
        paragraph_start = paragraph_end
    return tuple(sentences)


def _cut_long(body: str, start: int, end: int, cap: int = MAX_SENTENCE_CHARS) -> Iterator[Sentence]:
    """Cut `body[start:end]` (no space at either end) into pieces of at most `cap` characters.

    Each cut is after the last clause end (`_CLAUSE_ENDS`, best kind first) in the second half
    of the window, else at the end of its last whole word, else (one unbroken run of
    characters) at the cap itself, never inside a combining-mark sequence. Only the whitespace
    between pieces is left out.
    """
    while end - start > cap:
        window_end = start + cap + 1  # one past the cap, for the lookaheads
        found = next((m for m in (c.match(body, start + cap // 2, window_end) for c in _CLAUSE_ENDS) if m), None)
        found = found or _LAST_WORD_END.match(body, start, window_end)
        if found:
            cut = found.end()
        else:
            cut = start + cap
            while cut > start + 1 and unicodedata.combining(body[cut]):
                cut -= 1
        yield Sentence(body[start:cut], start, cut)
        start = cut
        while body[start].isspace():  # stops at the latest at `end - 1`, which is not a space
            start += 1
    yield Sentence(body[start:end], start, end)


def make_passages(
    sentences: Sequence[Sentence], token_counts: Sequence[int], budget: int, overlap: int = 1
) -> tuple[Passage, ...]:
    """Group sentences into passages of at most `budget` tokens, never cutting a sentence.

    Each passage after the first repeats the last `overlap` sentence(s) of the one before,
    so a fact that spans a boundary is seen whole at least once. A single sentence longer
    than the budget becomes a passage of its own.

    Example:
        >>> s = split_sentences("One two. Three four. Five six. Seven eight.")
        >>> [(p.first, p.last) for p in make_passages(s, [3, 3, 3, 3], budget=6)]
        [(0, 1), (1, 2), (2, 3)]
    """
    passages: list[Passage] = []
    first, n = 0, len(sentences)
    while first < n:
        last, used = first, token_counts[first]
        while last + 1 < n and used + token_counts[last + 1] <= budget:
            last += 1
            used += token_counts[last]
        passages.append(Passage(first, last, sentences[first].start, sentences[last].end))
        if last == n - 1:
            break
        # Step back `overlap` sentences, but always move forward.
        first = max(last + 1 - overlap, first + 1)
    return tuple(passages)
