"""Splitting an article body into sentences (with offsets) and passages of whole sentences.

Sentences come from nupunkt (an unsupervised Punkt model, trained and shipped with the
package, no downloads): it handles "U.S.", "Mr.", "Jan.", "3.5", "100%", quotes and
em-dashes, reports character offsets, and splits ~100k-500k words per second, so the BBC
corpus takes seconds beside ~3 minutes of embedding. pysbd, the usual choice, took a full
minute for it; sentencex, faster still, glued "...in May. Zebra crossings..." together.
Chinese and Japanese sentences end at 。！？ (Punkt knows only "." before a space). Paragraph
breaks always end a sentence (a headline without a full stop stays on its own), and so does a
line break before a list item ("- ", "* ", "• ", "1. ", "2) "); other line breaks (hard-wrapped
prose) do not.

The default model was trained on legal text, so `_tokenizer` tunes a private copy of it for news
through nupunkt's own parameters: it drops the ~2,900 ordinary words the model lists as
abbreviations ("the 19th century. Lord Byron" is two sentences), units and dates end a sentence
before a capitalised word ("4.1 per cent. Wages", "in Jan. Lawmakers", but "Jan. 16" and "per
cent. of" go on), and titles never do ("Lt. Gen. Mark Smith", "St. Mary's"). Two rules are added
after Punkt: a full stop with no space after it ("points.The bank") ends a sentence where Punkt
would end it with a space, and a dotted initialism it does not know, or an abbreviation it
dropped, goes on before a lower-case word or a number ("the N.H.S. trust", "approx. 5 km"), and
a question or exclamation mark goes on before a lower-case word (a title: "Deal or No Deal! was").

A "sentence" longer than `MAX_SENTENCE_CHARS` (a table flattened into one line, a text
without punctuation) is cut into pieces at a clause mark or a space, so no citation quotes
pages of text. nupunkt stays linear on such input (about 1 µs a character for a 200,000
character paragraph without full stops, 0.2 s with 66,000 of them), so paragraphs are not
pre-cut.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from nupunkt import PunktSentenceTokenizer
from nupunkt.models import load_default_model

# About 170 words. One of the BBC corpus's 41,483 sentences is longer: a rugby squad (1,063
# characters), a list without full stops. An awards list (1,902) was the other, before list items
# started sentences.
MAX_SENTENCE_CHARS = 1000

# Where a block that Punkt splits on its own ends: at a blank line, or before a line that starts
# with a list marker (the BBC corpus has 103 such lines, all " - ", in 26 articles). nupunkt's
# `line_breaks=True` would also cut hard-wrapped prose: after any line of 8 words or fewer without
# punctuation ("...the Prime Minister\nKeir Starmer") and before "J. " or "– " ("...by the
# author\nJ. K. Rowling"), so the markers are kept to these few. A number has at most two digits:
# a wrapped line may start with a year ("...in\n2004. The").
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t])")
# A full stop with no space after it, after two lowercase letters and before a capitalised word
# ("points.The"): Punkt only weighs a full stop followed by a space or a closing mark. The pattern
# starts with the full stop so that `re` scans for it as a literal (0.004 s on the BBC corpus; led
# by the letters, 0.14 s). `_LOWER_WORD` then checks the whole word before it, looking back 30
# characters at most, so that a long run of glued stops stays linear.
_GLUED_STOP = re.compile(r"\.(?=([A-Z][a-z]+))(?<=[a-z]{2}\.)")
_LOWER_WORD = re.compile(r"(?<![^\s\"'(\[“‘])[a-z]{2,30}\Z")
# A dotted initialism that Punkt does not know ends its sentence even before a lower-case word or
# a number: "The N.H.S. | trust said so.", "joined the N.H.S. | in 2004." (it knows "U.S.", "U.K.",
# "F.B.I."). Glued back only then; before a capitalised word ("the N.H.S. Trust officials") it
# may end a sentence, so Punkt's cut stays.
_INITIALISM_END = re.compile(r"(?<![^\s\"'(\[“‘])(?:[A-Z]\.){2,}\Z")
# A question or exclamation mark or an ellipsis that ends a sentence, and any closing quotes or
# brackets after it.
_OPEN_END = re.compile(r"(?:[?!…]|\.\.\.)[\"'”’)\]]*\Z")
# A sentence's first word: a lower-case one ("with", not "eBay", "iPhone" or "Émile") goes on
# after a title's "?" or "!".
_FIRST_WORD = re.compile(r"[^\W\d_]+")
# The last word of a sentence and its full stop: "approx." in "It weighs approx."
_LAST_WORD = re.compile(r"(?<![^\s\"'(\[“‘])([^\W\d_]+)\.\Z")

# A sentence end in Chinese and Japanese: 。！？ (full-width), then any closing quotes or brackets.
_CJK_STOP = re.compile(r"[。！？][」』”’）〉》]*")

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

# Abbreviations that end the sentence before a capitalised word; a number or a lowercase word
# after them goes on ("Jan. 16", "per cent. of"). The default model (trained on legal text) knows
# them as abbreviations without statistics, so "4.1 per cent. Wages" and "held Wed. Results" were
# one sentence; in the BBC corpus, "by Sun. So-called" and "hosts Ant and Dec. Natalie" too. Not
# "ft" ("Ft. Worth"), "min" ("Min." for Minister) or "hr" ("Hr." for Herr); "May" is a word. "No."
# goes on before a number ("No. 10"), but "she said no. Will it" was one sentence.
_MONTHS = tuple("jan feb mar apr jun jul aug sep sept oct nov dec".split())
_FULL_MONTHS = tuple("january february march april may june july august september october november december".split())
_WEEKDAYS = tuple("mon tue tues wed thu thur thurs fri sat sun".split())
_END_BEFORE_CAPITAL = ("cent", "pts", "lbs", "hrs", "yds", "mins", "no", *_MONTHS, *_WEEKDAYS)
# Titles before a name, which never end the sentence before a capitalised word. nupunkt's built-in
# list (`_TITLE_ABBREVS`, private) lacks maj, adm, supt, insp, cpl and pte ("Insp. Ann Lee" was
# cut, "ann" being a sentence starter of the model), and "lt" was not even an abbreviation. Saints
# and mountains too: "St. Mary's Hospital" and "St. John." were cut, "Baker St. Officials" was not.
# "reps" was no abbreviation: "Reps. Matt Gaetz and…" was cut 38 times in the news QA articles.
_TITLES = tuple(
    "lt gen col maj sgt capt adm gov sen rep rev prof supt insp cpl pte st ste mt reps govs pvt pfc spc cpt "
    "cmdr msgr asst assoc".split()
)
# The default model's abbreviations of three letters or more that stay abbreviations (with the
# two lists above); it drops the rest. Its 5,868 abbreviations come from legal text and its OCR:
# "bank", "month", "century", "poland", "park" and ~2,900 other words, so "...in the 19th
# century. Lord Byron..." was one sentence unless the next word was a common sentence starter
# ("The", "He"). In the BBC corpus and SQuAD train such words joined 1,000+ pairs of sentences
# (see docs/benchmarks.md). Kept: titles before a name, company suffixes, "lit." (literally) and
# US states that are not words ("Ill.", "Mass.", "Wash." and "Ore." are); Punkt still ends a
# sentence after them before a common sentence starter. Of its two-letter abbreviations, the words in
# `_TWO_LETTER_WORDS` are dropped too ("told me. Officials", "said Jack Ma. Officials"). A dropped
# abbreviation before a lower-case word or a number ("approx. 5 km", "etc. and") goes on
# (`_goes_on`).
_KEPT_ABBREVIATIONS = frozenset(
    "mrs messrs drs hon pres amb brig det atty esq sens inc corp ltd bros plc assn dept univ ave blvd hwy "
    "mfg bldg hosp govt dist treas ala ariz calif colo conn fla kan mich minn neb nev okla tenn wis wyo "
    "del ind mont lit".split()
)
_TWO_LETTER_WORDS = frozenset("ad ah am an at ed ex id in ma me ok or so un op dc os mc xv vi ne".split())
# A title after a curly quote or a hyphen ("“Mr.", "then-Gov.", "Minneapolis-St."), and the
# titles it may be.
# In capitals too, as datelines print them ("MINNEAPOLIS-ST. PAUL", "DALLAS-FT. WORTH").
_TITLE_AFTER_MARK = re.compile(r"[-–“‘]([A-Z][a-z]{1,4}|[A-Z]{2,5})\.\Z")  # "then-Gov.", not "10-ft."
_NAME_TITLES = frozenset({"mr", "mrs", "ms", "dr", "ft", *_TITLES})
# A US state in a dateline ("SPRINGFIELD, Ill."), and what follows a dateline.
_DATELINE_STATE = re.compile(r"[A-Z]{2}, ([A-Z][a-z]{2,4})\.\Z")
_DATELINE_NEXT = re.compile(r"\((?:AP|Reuters|AFP|CNN)\)|[—–]|--")


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
    sentences: list[Sentence] = []
    for block_start, block_end in _blocks(body):
        for punkt_start, punkt_end in _past_false_ends(body, _punkt_spans(body, block_start, block_end)):
            for start, end in _after_cjk_stops(body, _glued_cuts(body, punkt_start, punkt_end)):
                if end - start <= MAX_SENTENCE_CHARS:
                    sentences.append(Sentence(body[start:end], start, end))
                else:
                    sentences.extend(_cut_long(body, start, end))
    return tuple(sentences)


@functools.cache
def _tokenizer() -> PunktSentenceTokenizer:
    """Return nupunkt's default model, tuned for news (see `_END_BEFORE_CAPITAL` and `_TITLES`).

    The tuning goes through the model's per-abbreviation break rates: an abbreviation seen at
    least `BREAK_RATE_MIN_COUNT` times before a capitalised word, always (never) ending the
    sentence then, ends (never ends) it there. "Never" needs `BREAK_RATE_LOW`, off by default;
    the only learned rates it turns on are those of "mr" and "dr", titles already. A private
    copy: `nupunkt.load` shares its cached tokenizer with every caller.
    """
    tokenizer = load_default_model()
    params, seen = tokenizer.parameters, tokenizer.BREAK_RATE_MIN_COUNT
    params.abbrev_types.difference_update(_dropped_abbreviations())
    tokenizer.add_abbreviations([*_END_BEFORE_CAPITAL, *_TITLES])
    params.abbrev_break_rates.update(dict.fromkeys(_END_BEFORE_CAPITAL, (seen, seen)))
    params.abbrev_break_rates.update(dict.fromkeys(_TITLES, (seen, 0)))
    tokenizer.BREAK_RATE_LOW = 0.0
    # A weekday before a month is a date: "Wed. Jan. 14" (a month abbreviation keeps its period).
    months = [f"{m}." for m in _MONTHS] + list(_FULL_MONTHS)
    params.collocations.update((day, month) for day in _WEEKDAYS for month in months)
    tokenizer.clear_decision_cache()
    return tokenizer


@functools.cache
def _dropped_abbreviations() -> frozenset[str]:
    """The default model's abbreviations that are words to `_tokenizer` (see `_KEPT_ABBREVIATIONS`)."""
    kept = {*_KEPT_ABBREVIATIONS, *_TITLES, *_END_BEFORE_CAPITAL}
    abbreviations = load_default_model().parameters.abbrev_types
    words = {word for word in abbreviations if len(word) >= 3 and word.isalpha() and word not in kept}
    return frozenset(words | (_TWO_LETTER_WORDS & abbreviations))


def _blocks(body: str) -> Iterator[tuple[int, int]]:
    """Yield the `(start, end)` of the paragraphs and list items of `body` (see `_BLOCK_BREAK`)."""
    start = 0
    for end in [m.start() for m in _BLOCK_BREAK.finditer(body)] + [len(body)]:
        if body[start:end].strip():
            yield start, end
        start = end


def _punkt_spans(body: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Yield the sentences that Punkt finds in `body[start:end]`, without their outer spaces."""
    block = body[start:end]
    for a, b in _tokenizer().span_tokenize(block):
        raw = block[a:b]
        text = raw.strip()
        if text:
            first = start + a + len(raw) - len(raw.lstrip())
            yield first, first + len(text)


def _past_false_ends(body: str, spans: Iterator[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Join each sentence that Punkt ended too early to the next (see `_goes_on`)."""
    held: tuple[int, int] | None = None
    for start, end in spans:
        if held and _goes_on(body, *held, start):
            held = (held[0], end)
            continue
        if held:
            yield held
        held = (start, end)
    if held:
        yield held


def _goes_on(body: str, start: int, end: int, next_start: int) -> bool:
    """Does the sentence `body[start:end]` go on into the one at `next_start`? It does

    - after a dotted initialism (`_INITIALISM_END`) or an abbreviation that `_tokenizer`
      dropped ("approx.", "etc.") before a lower-case letter or a digit;
    - after a question or exclamation mark or an ellipsis before a lower-case word: a title
      ("Who Wants to Be a Millionaire? with Chris Tarrant", 38 times in the BBC corpus) or a
      pause ("… but it did not last"). "eBay" and "iPhone" start sentences;
    - after a title that follows a curly quote or a hyphen, before a capital: Punkt reads
      "“Mr." and "then-Gov." as words (15 cuts in the news QA articles);
    - after a state in an AP dateline: "SPRINGFIELD, Ill. (AP) — The governor";
    - before a closing bracket.
    """
    first = body[next_start]
    if first in ")]}":  # no sentence starts with a closing bracket: "(X-Men, etc.)"
        return True
    if (first.islower() or first.isdigit()) and _ends_with_abbreviation(body, start, end):
        return True
    if _OPEN_END.search(body, max(start, end - 8), end):
        word = _FIRST_WORD.match(body, next_start, next_start + 40)
        return word is not None and word[0].islower()
    if first.isupper():
        title = _TITLE_AFTER_MARK.search(body, max(start, end - 8), end)
        if title and title[1].lower() in _NAME_TITLES:
            return True
    state = _DATELINE_STATE.search(body, max(start, end - 40), end)
    if state is None or state[1].lower() not in _dropped_abbreviations():
        return False
    return bool(_DATELINE_NEXT.match(body, next_start))


def _ends_with_abbreviation(body: str, start: int, end: int) -> bool:
    """Does `body[start:end]` end with a dotted initialism or a dropped abbreviation and its full stop?"""
    if _INITIALISM_END.search(body, max(start, end - 64), end):  # the end only: joins made it quadratic
        return True
    word = _LAST_WORD.search(body, max(start, end - 40), end)
    return word is not None and word[1].lower() in _dropped_abbreviations()


def _glued_cuts(body: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut the sentence `body[start:end]` after each glued full stop that ends a sentence.

    A full stop with no space after it (`_GLUED_STOP`) ends a sentence if the word before it is
    all lowercase letters (`_LOWER_WORD`) and Punkt would end one there with a space: "points.The" does,
    "vs.Jones" does not. Capitalised or dotted words are names: the BBC corpus glues "One.Tel",
    "Halo.Bungie.Org" and "Mr.Benn", beside 3 sentences ("dangerous.The", "website.He").
    """
    tokenizer = _tokenizer()
    for m in _GLUED_STOP.finditer(body, start, end):
        word = _LOWER_WORD.search(body, max(start, m.start() - 30), m.start())
        if word and tokenizer.text_contains_sentbreak(f"{word[0]}. {m[1]}"):
            yield start, m.end()
            start = m.end()
    yield start, end


def _after_cjk_stops(body: str, spans: Iterator[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Cut each span after every Chinese or Japanese full stop, exclamation or question mark
    (with the closing quotes after it): Punkt only knows "." followed by a space, so a
    Chinese paragraph was one sentence."""
    for start, end in spans:
        for m in _CJK_STOP.finditer(body, start, end):
            if m.end() < end:
                yield start, m.end()
                start = m.end()
                while body[start].isspace():  # stops at `end - 1` at the latest, not a space
                    start += 1
        yield start, end


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
