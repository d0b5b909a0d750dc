"""Answers made only of sentences of the articles, each with a numbered citation.

1. Retrieve the best passages (hybrid search, `qa.retrieval`).
2. Score every sentence of those passages: its own cosine with the question (from the
   sentence vectors stored at index time), its own BM25, and its passage's score.
3. Read: the reader (`qa.reader`) reads windows around the best-scored sentences
   (`qa.windows`) and marks the words that answer. The sentence holding the best span
   (reader score plus the sentence's score) leads the answer, with the span marked;
   another sentence is cited only where the reader finds an answer in it too, and never
   one that repeats a cited one. With `fast=True` this step is skipped: the sentences are
   chosen by their scores alone, with MMR against near-duplicates.
4. Decide whether the articles answer at all: a logistic model of the reader's score, the
   match strengths and how much of the question's words and names the lead's passage holds,
   fitted on SQuAD *train* questions with their article in the index, without it, and without
   just the passages that answer them (bench/fit_answering.py), gives `confidence`; below
   `Settings.abstain_below` (0.12, env QA_ABSTAIN_BELOW) the answer is "I could not find
   this in the articles."
5. Number the cited articles in order of first appearance: [1], [2], ...

Follow-up questions ("How did China respond?") are searched together with the previous
question when they are short or lean on it ("it", "they", "what about ..."), so the
conversation's topic carries over without a generative model.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .articles import MONTH_NAMES, Source, is_byline
from .config import Settings, whole_number
from .errors import QuestionError
from .filters import Filters, unknown_sources, why_nothing_matches
from .index import Index, open_index
from .retrieval import MAX_QUESTION_CHARS, Hit, Mode, Query, clean_question, make_query, prepare_query, search
from .splitting import Sentence
from .windows import SentenceSpan, make_windows, read_windows
from .wording import CONFIDENCE_WORDS, is_text

NOT_FOUND = "I could not find this in the articles."
MAX_SENTENCES = 3
PASSAGES = 8

# Sentence score = weights · (sentence cosine, sentence BM25 / best, passage score / best),
# per retrieval mode. Fitted on SQuAD v1.1 train (bench/fit_answering.py retrieval).
SENTENCE_WEIGHTS = {"hybrid": (0.7, 0.15, 0.4), "dense": (0.7, 0.0, 0.4), "bm25": (0.0, 0.15, 0.4)}
MMR_POOL = 12  # best sentences MMR chooses from
MMR_LAMBDA = 0.8  # relevance vs. novelty when picking the 2nd and 3rd sentence
DUPLICATE_COSINE = 0.95  # a sentence this close to one already cited adds nothing
KEEP_RELATIVE = 0.5  # later sentences must score at least this fraction of the best

# Abstention: confidence = sigmoid(w · features + b), below `Settings.abstain_below` the
# answer is "not found". Fitted by bench/fit_answering.py (logistic regression) on SQuAD
# *train* questions asked with their article in the index, without it, and without the
# passages that hold their answer (the rest of their article still there, as a news question
# meets other articles about the same people); never on dev or news.
# Without the reader (`fast`): (best citable sentence cosine, question word coverage); its bias is set
# so that the shared threshold abstains on 3% of answerable fit questions on both paths.
CONFIDENCE_WEIGHTS = (9.924, 6.165)
CONFIDENCE_BIAS = -9.286

# The reader, all fitted on SQuAD train (bench/fit_answering.py reader, bench/results/fit.json).
# Every configuration tried was within one standard error of the best (hit@1 0.87 on 1,287
# questions); this one reads the most (72 ms p50 here), as news names its subject far from
# the answer.
READ_SENTENCES = 12  # best-scored sentences whose windows the reader reads
WINDOW_TOKENS = 200  # tokens of article text per window
READ_BUDGET = 2000  # tokens of article text the reader reads per question, at most
LEAD_RETRIEVAL_WEIGHT = 12.0  # lead = reader score + this x sentence retrieval score / best
# Another sentence is cited only where the reader finds an answer in it this strongly (span
# score - no-answer score): the highest threshold that keeps a gold answer among the first
# three sentences for 93% of the fit questions (93.7%, with 0.83 extra sentences an answer).
EXTRA_SPAN_SCORE = 1.0
READER_SCORE_CLIP = 10.0
MIN_WORDS = 4  # a cited sentence has at least this many words (see `is_citable`)
# Letters of scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, kana,
# Han): a run of them counts as one word per two letters, about the length of a Chinese word.
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# (lead reader score, best citable sentence cosine, word coverage, name coverage of the lead's title + passage)
# Refitted 2026-12-04 with citable-only cosines: the same to the third decimal (benchmarks section 2).
READER_CONFIDENCE_WEIGHTS = (0.318, 5.785, 2.587, 1.169)
READER_CONFIDENCE_BIAS = -7.593

# What a news page prints around the story, which extraction keeps as sentences: 170 of the
# 109,580 sentences of the BBC and RealTime QA articles (2026-12-03), e.g. "Sign up for our
# trending newsletter to get the latest news of the day", "RELATED: …", "Read more: …", "Follow
# us on Facebook!", "Follow her on Twitter at @…", "Getty Images …", "Photo: …", "© CNBC is …".
# A quote that opens with "Copyright education has…" is not: the word alone does not count.
_PAGE_FURNITURE = re.compile(
    r"^\W*(?:sign up (?:for|to)\b|subscribe (?:to|now)\b|read more\s*:|related\s*:|see also\s*:|"
    r"copyright (?:©|\(c\)|\d{4})|©|all rights reserved|follow (?:us\b|@)|"
    r"follow\b[^.]{0,80}\bon (?:twitter|x|facebook|instagram|threads)\b|tags?\s*:|"
    r"image (?:caption|copyright|source)\s*:|photo(?:graph)?\s*:|getty images|click here\b|share this\b|"
    r"posted (?:on|by)\b|advertisement\b|listen to (?:this|the) (?:article|story)|like this\s*:)",
    re.IGNORECASE,
)
# A sentence that leans on the one before it: it opens with a pronoun or "The <noun>" for
# something named earlier, or quotes someone introduced that way.
# "But now he has pulled out": a linking word or two may come first (it was cited without
# the sentence naming who "he" is).
_LINKED = r"(?:(?i:but|and|so|yet|now|however|still|then|meanwhile|instead|also)\b[\s,]+)*"
_PRONOUN_FIRST = re.compile(rf"^\W*{_LINKED}(?i:he|she|it|its|they|their|his|her)\b")
_DESCRIPTION_FIRST = re.compile(
    rf"^\W*{_LINKED}(?:[Tt]he|[Tt]his|[Tt]hat|[Tt]hese|[Tt]hose)\s+(?=[a-z]|\d+-year-old\b)"
)
# The end of a quote begun in an earlier sentence: `…are being fiddled."` read as the
# article's own claim, without its speaker.
_QUOTE_ENDS_HERE = re.compile(r"(?<!\d)[\"”][\s)]*$")  # not an inch mark: 'Screen size: 6.1"'
_QUOTED_BY_SOMEONE_NAMED_BEFORE = re.compile(
    r"^\W*[\"“‘'].*?[\"”’'],?\s+(?:he|she|they|it|the\s+[a-z]+)\s+(?:said|says|added|wrote|told)\b"
)

# English function words (the Snowball list, trimmed): they say nothing about whether the
# articles cover a question (word coverage) or whether a question stands alone (follow-ups).
STOPWORDS = frozenset(
    """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves tell said says say also much many one get got us let
""".split()
)

# Follow-ups: the previous question's vector, at this weight, joins the new one's.
FOLLOWUP_WEIGHT = 0.6
FOLLOWUP_MAX_WORDS = 4
FOLLOWUP_CHAIN = 4  # a follow-up is searched with at most this many earlier questions
# A follow-up not found in its conversation's context is answered as if asked alone when that
# answer is at least "medium confidence" on the one scale users read (not fitted: the band's floor).
NEW_SUBJECT_CONFIDENCE = next(floor for floor, words in CONFIDENCE_WORDS if words == "medium confidence")
_ANAPHORA = frozenset(
    [
        "it",
        "its",
        "they",
        "them",
        "their",
        "theirs",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "this",
        "that",
        "these",
        "those",
        "there",
        "then",
        "such",
        "so",
        "why",
    ]
)
_CONTINUATIONS = ("and ", "but ", "what about", "how about", "and what", "also", "what else", "why")
# Openings that leave the question to the previous one ("What about its film division?"); after
# "and", "but" or "also" a question word asks its own: "And how did China respond?" was read as
# "What tariffs did Trudeau impose? And how did China respond?", led with the tariff sentence
# already given, and answered "not found".
_ELLIPTICAL = ("what about", "how about", "what else")
_LEADING_LINK = re.compile(r"^(?:(?:and|but|also|so)\b[\s,]*)+")
_QUESTION_WORDS = frozenset("who whom whose what which when where why how".split())


@dataclass(frozen=True)
class Citation:
    """Where a cited sentence comes from: `body[start:end] == sentence` in the article.

    `n` is its number in the answer's text ("[1]"); `source` the article; `sentence` the
    verbatim sentence and `start`, `end` its offsets in the article's text as indexed
    (`Index.article_text`); `passage` the retrieved passage that held it, with its offsets;
    `score` the sentence's ranking score (higher is better; comparable within one answer).
    """

    n: int
    source: Source
    sentence: str
    start: int
    end: int
    passage: str
    passage_start: int
    passage_end: int
    score: float

    @property
    def page(self) -> int | None:
        """The page the sentence starts on, for a PDF; None for formats without pages."""
        return self.source.page_at(self.start)


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of the answer, verbatim, with its citation.

    `span` is the reader's answer inside the sentence, as offsets into the article body
    (`citation.start <= span[0] < span[1] <= citation.end`), or None. `context` is the
    sentence before it when the sentence leans on it ("The company said ..."): shown
    before it, never counted as part of the answer.
    """

    text: str
    citation: Citation
    score: float
    span: tuple[int, int] | None = None
    context: Sentence | None = None

    @property
    def span_text(self) -> str | None:
        """The answer span's words, or None."""
        if self.span is None:
            return None
        return self.text[self.span[0] - self.citation.start : self.span[1] - self.citation.start]


@dataclass(frozen=True)
class Answer:
    """The answer to a question.

    `text` is the sentences with their markers ("... China. [1]"), or `NOT_FOUND`.
    `citations` has one entry per answer sentence (an article cited twice keeps its
    number); `sources()` lists each cited article once. `hits` are the passages
    considered; `confidence` (0-1) is how sure the system is that the articles answer.
    """

    question: str
    found: bool
    text: str
    sentences: tuple[AnswerSentence, ...]
    hits: tuple[Hit, ...]
    confidence: float
    notices: tuple[str, ...] = ()
    search_text: str = ""

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(s.citation for s in self.sentences)

    def sources(self) -> list[Citation]:
        """The cited articles, one entry per number, in order."""
        seen: dict[int, Citation] = {}
        for c in self.citations:
            seen.setdefault(c.n, c)
        return list(seen.values())

    def pages(self, n: int) -> list[int]:
        """The pages the answer cites of source `n` (a PDF), in order; [] without pages.

        Example:
            >>> answer("What did the fuel report find?").pages(1)  # doctest: +SKIP
            [1, 3]
        """
        return sorted({c.page for c in self.citations if c.n == n and c.page is not None})

    def pages_label(self, n: int) -> str:
        """`pages(n)` as a citation writes them: "p. 3", "pp. 2, 4", or "" without pages."""
        pages = self.pages(n)
        return f"{'p.' if len(pages) == 1 else 'pp.'} {', '.join(map(str, pages))}" if pages else ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Answer:
        """The Answer that `to_dict()` described, without its hits (and PDF page offsets):
        how a conversation kept as JSON (the chat, the `/ask` API) passes earlier answers
        back as `history`, so that a follow-up does not cite them again.

        Raises:
            QuestionError: `data` is not what `to_dict()` writes.

        Example:
            >>> result = answer("What tariffs did Trudeau impose?")  # doctest: +SKIP
            >>> again = Answer.from_dict(result.to_dict())  # doctest: +SKIP
            >>> [s.text for s in again.sentences] == [s.text for s in result.sentences]  # doctest: +SKIP
            True

        Scores come back rounded as `to_dict()` wrote them.
        """
        try:
            citations = [
                Citation(
                    n=_whole(c["n"], "n"),
                    source=Source(
                        _typed(c["article_id"], "article_id", str, "text"),
                        _typed(c["title"], "title", str, "text"),
                        _typed(c["file"], "file", str, "text"),
                        _text_or_none(c.get("date"), "date"),
                        _text_or_none(c.get("source"), "source"),
                        _text_or_none(c.get("url"), "url"),
                    ),
                    sentence=_typed(c["sentence"], "sentence", str, "text"),
                    start=_whole(c["start"], "start"),
                    end=_whole(c["end"], "end"),
                    passage=_typed(c.get("passage", c["sentence"]), "passage", str, "text"),
                    passage_start=_whole(c.get("passage_start", c["start"]), "passage_start"),
                    passage_end=_whole(c.get("passage_end", c["end"]), "passage_end"),
                    score=_number(c.get("score", 0.0), "score"),
                )
                for c in data["citations"]
            ]
            sentences = tuple(
                AnswerSentence(
                    text=_typed(s["text"], "text", str, "text"),
                    citation=citation,
                    score=_number(s.get("score", 0.0), "score"),
                    span=(_whole(s["span"]["start"], "span start"), _whole(s["span"]["end"], "span end"))
                    if s.get("span")
                    else None,
                    context=Sentence(
                        _typed(s["context"]["text"], "context", str, "text"),
                        _whole(s["context"]["start"], "context start"),
                        _whole(s["context"]["end"], "context end"),
                    )
                    if s.get("context")
                    else None,
                )
                for s, citation in zip(data["sentences"], citations, strict=True)
            )
            return cls(
                question=_typed(data["question"], "question", str, "text"),
                found=_typed(data["found"], "found", bool, "true or false"),
                text=_typed(data["answer"], "answer", str, "text"),
                sentences=sentences,
                hits=(),
                confidence=_number(data.get("confidence", 0.0), "confidence", unit=True),
                notices=tuple(
                    _typed(x, "notice", str, "text") for x in _typed(data.get("notices", []), "notices", list, "a list")
                ),
                search_text=_typed(data.get("search_text", ""), "search_text", str, "text"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise QuestionError(
                f"Not an answer as qa writes it ({_what_is_wrong(exc)}): Answer.from_dict reads what "
                "Answer.to_dict, qa ask --json and /ask wrote. In a history, pass the earlier questions as text, "
                "or the earlier results unchanged."
            ) from None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what `qa ask --json` prints)."""
        return {
            "question": self.question,
            "found": self.found,
            "answer": self.text,
            "confidence": round(self.confidence, 4),
            "sentences": [_sentence_dict(s) for s in self.sentences],
            "citations": [_citation_dict(c) for c in self.citations],
            "notices": list(self.notices),
            "search_text": self.search_text,
            "hits": [h.to_dict() for h in self.hits],
        }


def refused_dict(question: str, error: str) -> dict[str, Any]:
    """What `qa ask --json` and `/ask` write for a question they could not answer: an answer
    that found nothing, every field of `Answer.to_dict()` empty, and `error` saying why. A
    conversation's lines pass back as `history` unchanged (`Answer.from_dict` reads them);
    `{question, found, error}` alone did not.

    Example:
        >>> refused_dict("", "The question is empty.")["citations"], Answer.from_dict(refused_dict("", "…")).found
        ([], False)
    """
    return Answer(question, False, "", (), (), 0.0).to_dict() | {"error": error}


_T = TypeVar("_T")


class _WrongType(TypeError):
    """A field of an answer's JSON that holds another type than `to_dict()` writes."""


def _whole(value: object, name: str) -> int:
    """A whole number of an answer's JSON (an offset, a citation's number) that is not negative:
    int() made a citation number 1.9 a 1, and took true for 1."""
    number = whole_number(value)
    if number is None or number < 0:
        raise _WrongType(f"{name}={value!r:.80} is not a whole number from 0")
    return number


def _number(value: object, name: str, unit: bool = False) -> float:
    """A finite number of an answer's JSON (a score; from 0 to 1 if `unit`, a confidence):
    float() read "nan" as NaN, and took true for 1."""
    number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    if not math.isfinite(number) or (unit and not 0 <= number <= 1):
        raise _WrongType(f"{name}={value!r:.80} is not a number{' from 0 to 1' if unit else ''}")
    return number


def _typed(value: object, name: str, kind: type[_T], what: str) -> _T:
    """`value` if it is a `kind` (JSON's `what`): str() made JSON's null the question "None",
    tuple() the notices "Filtered" eight one-letter notices, and bool() "false" true."""
    if not isinstance(value, kind):
        raise _WrongType(f"{name}={value!r:.80} is not {what}")
    return value


def _what_is_wrong(exc: Exception) -> str:
    """Why `Answer.from_dict` could not read a dict, in words, not Python's ("KeyError: 'citations'").

    Example:
        >>> _what_is_wrong(KeyError("citations")), _what_is_wrong(ValueError("invalid literal for int()"))
        ("it has no 'citations'", 'a number or list is not what to_dict() writes: invalid literal for int()')
    """
    if isinstance(exc, KeyError):
        return f"it has no {exc.args[0]!r}"
    if isinstance(exc, _WrongType):
        return str(exc)
    return f"a number or list is not what to_dict() writes: {exc!s:.80}"


def _text_or_none(value: object, name: str) -> str | None:
    """An optional text field of an answer's JSON (a date written as 20250101 was taken)."""
    return None if value is None else _typed(value, name, str, "text or null")


def _sentence_dict(s: AnswerSentence) -> dict[str, Any]:
    data: dict[str, Any] = {"text": s.text, "citation": s.citation.n, "score": round(s.score, 4)}
    if s.span is not None:
        data["span"] = {"text": s.span_text, "start": s.span[0], "end": s.span[1]}
    if s.context is not None:
        data["context"] = {"text": s.context.text, "start": s.context.start, "end": s.context.end}
    return data


def _citation_dict(c: Citation) -> dict[str, Any]:
    return {
        "n": c.n,
        **c.source.to_dict(),
        "sentence": c.sentence,
        "start": c.start,
        "end": c.end,
        "passage": c.passage,
        "passage_start": c.passage_start,
        "passage_end": c.passage_end,
        "page": c.page,
        "score": round(c.score, 4),
    }


def answer(
    question: str,
    history: Sequence[str | Answer | Mapping[str, Any]] | None = None,
    k: int = PASSAGES,
    filters: Filters | None = None,
    *,
    index: Index | str | Path | None = None,
    max_sentences: int = MAX_SENTENCES,
    mode: Mode = "hybrid",
    fast: bool = False,
    settings: Settings | None = None,
) -> Answer:
    """Answer `question` with cited sentences of the articles, or say it cannot.

    Args:
        question: the question.
        history: earlier turns of the conversation, oldest first: questions (str),
            `Answer`s, or answers as JSON (`Answer.to_dict()`). Short or anaphoric
            follow-ups are searched in their context and do not cite again the sentences
            earlier answers gave (see `compose`).
        k: how many passages to consider.
        filters: optional date range / sources (`Filters`).
        index: a loaded `Index`, a folder, or None for `settings.index_dir` (`index/`).
        max_sentences: the most sentences to cite.
        mode: retrieval mode: "hybrid", "dense" or "bm25".
        fast: skip the reader: sentences are chosen by their retrieval scores alone
            (~9 ms instead of ~100–120 on the BBC index; no answer span), so the lead, the
            number of sentences and the confidence can differ from the reader's answer.
        settings: model, index and abstention settings for loading `index` from a folder
            (default: `Settings()`; `load_settings()` adds the `QA_*` environment). A loaded
            `Index` answers with the settings it was loaded with: a `model` or
            `abstain_below` other than its own raises `ConfigError`.

    Example (over the seed index `make chat` builds; tests/test_answering.py checks it):
        >>> a = answer("What tariffs did Trudeau impose?")  # doctest: +SKIP
        >>> a.sentences[0].text.startswith("Trudeau's government in 2024 followed Biden's lead")  # doctest: +SKIP
        True
        >>> a.sentences[0].span_text  # doctest: +SKIP
        '100% tariff on Chinese-made electric vehicles'
    """
    sentences_wanted = whole_number(max_sentences)
    if sentences_wanted is None or sentences_wanted < 1:
        raise QuestionError(f"max_sentences={max_sentences!r} must be a whole number, 1 or more (default 3).")
    max_sentences = sentences_wanted
    if not isinstance(fast, bool):  # fast="no" would be true
        raise QuestionError(f"fast={fast!r} must be True or False.")
    history = _turns(history)
    index = open_index(index, settings)
    query = prepare_query(question, index)
    notices = []
    if query.truncated:
        notices.append("Your question is longer than the model reads; only its beginning was used.")
    previous = _previous_question(history)
    alone, asked = query, query.text
    # A question the conversation already asked (in any words) is asked afresh, however short.
    followup = bool(previous) and is_followup(query.text) and not asked_before(question, history)
    if previous and followup:
        query = _with_context(query, previous, index)
        asked = reader_question(asked, _previous_question(history, as_searched=False))
    hits = search(query, index, k, mode=mode, filters=filters)
    notices += filter_notices(filters, bool(hits), index)
    recent = filters is not None and filters.prefer_recent
    if recent and fast and hits:  # said, not silently ignored: the caller asked for the newest answer
        notices.append(
            "Fast answers prefer newer articles only between nearly equal passages; "
            "without fast, the newest article the reader finds an answer in leads."
        )
    # A follow-up does not cite again what earlier answers gave; a question asked afresh
    # (the same one again, or a new subject) gets its best answer whatever came before.
    given = _given_before(history) if followup else {}
    result = compose(question, query, hits, index, max_sentences, tuple(notices), mode, fast, asked, given, recent)
    if followup and not result.found and not continues_previous(question):
        # "tram cost?" after "What tariffs did Trudeau impose?": short, so a follow-up, and
        # searched with the tariffs it was "not found", the passage that answers it listed as
        # not answering. A question that stands on its own words may open a new subject: asked
        # alone, it is answered at 0.85. (Also tried: asking alone every follow-up answered
        # below "medium confidence" in context. On bench/data/followups.jsonl hit@1 fell from
        # 0.675 to 0.625 and 15% led with another article; docs/benchmarks.md section 9.)
        fresh_hits = search(alone, index, k, mode=mode, filters=filters)
        fresh = compose(
            question, alone, fresh_hits, index, max_sentences, tuple(notices), mode, fast, alone.text, {}, recent
        )
        # Only a "medium confidence" answer and up: asked alone, "Has anyone been hurt?" (after
        # the GM recall) cited Mr Blair being "hurt" at 0.22.
        result = fresh if fresh.found and fresh.confidence >= NEW_SUBJECT_CONFIDENCE else result
    if hits and not result.found and filters is not None and filters.restricts:
        # Not found among the articles the filters let through: the others may hold it. Undated
        # ones are named: a new user's undated wire story was out of "--until 2030-01-01" unsaid.
        undated = index.undated_count() if filters.since or filters.until else 0
        left_out = f", and a date range leaves out undated articles ({undated:,} here)" if undated else ""
        notice = (
            f"Only articles matching the filters (dates, publishers, articles or files) were searched{left_out}; "
            "the others may hold the answer: widen the filters to search them too."
        )
        result = replace(result, notices=(*result.notices, notice))
    return result


def filter_notices(filters: Filters | None, matched: bool, index: Index) -> list[str]:
    """What to say of `filters` after a search (`matched`: it found passages): why nothing
    passed them, or which of their sources no article has. Answers and `qa ask --passages`
    say the same.

    Example:
        >>> filter_notices(Filters(since="2030-01-01"), False, index)  # doctest: +SKIP
        ["No article is dated from 2030-01-01: the articles' dates run from 2024-05-18 to 2026-01-13."]
    """
    if filters is None:
        return []
    if not matched and filters.restricts:
        why = why_nothing_matches(filters, index.articles())
        return [why] if why else []
    if not (matched and filters.sources):
        return []

    # an article id, or a file some article was read from
    unknown = unknown_sources(filters, index.publishers(), lambda source: index.from_file(source) or None)
    return [unknown] if unknown else []


def compose(
    question: str,
    query: Query,
    hits: Sequence[Hit],
    index: Index,
    max_sentences: int = MAX_SENTENCES,
    notices: tuple[str, ...] = (),
    mode: Mode = "hybrid",
    fast: bool = False,
    asked: str | None = None,
    given: Mapping[tuple[str, int], tuple[tuple[int, int], ...]] | None = None,
    prefer_recent: bool = False,
) -> Answer:
    """Select, order and cite sentences from `hits` (the answer step without retrieval).

    With the reader (not `fast`): windows around the best-scored sentences are read for
    the question as `asked`; the sentence holding the best answer span leads, and other
    sentences are cited only where the reader also finds an answer in them. `given` maps
    (article id, sentence start) of sentences earlier answers cited to their spans: such
    a sentence may lead again only with a new span (with `fast`: only when no other sentence
    is left), and is never cited after the lead. With `prefer_recent`, the newest article
    the reader finds a sure answer in leads (see `_newer_lead`).
    """
    scored = _without_copies(score_sentences(hits, mode))
    given = given or {}
    if fast or not scored:
        confidence = _confidence(_confidence_features(query, scored), CONFIDENCE_WEIGHTS, CONFIDENCE_BIAS)
        citable = [s for s in scored if is_citable(s.text)]
        # Without a reader nothing tells a new answer in a sentence already given from the
        # same answer again, so a follow-up does not cite one at all, unless nothing else is
        # left to lead (it led 72.5% of the benchmark's follow-ups; docs/benchmarks.md §9).
        fresh = [s for s in citable if (s.hit.source.article_id, s.start) not in given]
        talked_about = {article for article, _ in given}
        first = [s for s in fresh if s.hit.source.article_id in talked_about][:1] or fresh[:1] or citable[:1]
        story = _story(given, first[0].hit.source.article_id) if given and first else set()
        pool = first + [s for s in fresh if s is not first[0] and (not given or s.hit.source.article_id in story)]
        chosen = select_sentences(with_vectors(pool[:MMR_POOL], index), max_sentences) if pool else []
        return _answer(question, query, hits, confidence, chosen, {}, notices, index)
    spans = _by_worth(_read(index, asked or query.text, hits, scored), scored)
    lead = _lead(spans, given)
    # Whether to answer is decided as without "prefer newer": a newer lead the reader is less
    # sure of would turn a found answer into "not found".
    confidence = _reader_confidence(as_read(asked or query.text, lead), lead, hits)
    if prefer_recent and lead is not None:
        lead = _newer_lead(lead, spans, given)
    if lead is None:
        return _answer(question, query, hits, confidence, [], {}, notices, index)
    by_id = {s.sentence_id: s for s in scored}
    chosen = [by_id[lead.sentence_id]]
    found = {lead.sentence_id: lead}
    extras = [x for x in spans if x.sentence_id != lead.sentence_id and _may_follow(x, lead, given)]
    if extras and max_sentences > 1:
        pool = with_vectors([chosen[0], *(by_id[x.sentence_id] for x in extras)], index)
        kept = [pool[0]]
        for candidate in pool[1:]:
            if len(kept) >= max_sentences:
                break
            if not any(_repeats(candidate, c) for c in kept):
                kept.append(candidate)
        chosen = kept
        found.update((x.sentence_id, x) for x in extras)
    # The reader learnt English only (SQuAD): in Chinese it marked "二" of 周二 ("Tuesday") as
    # what the central bank announced. Its pick of the sentence stands; such a span is not shown.
    spans_of = {
        s.sentence_id: (x.start, x.end)
        for s in chosen
        if not _UNSPACED.search(s.text[(x := found[s.sentence_id]).start - s.start : x.end - s.start])
    }
    return _answer(question, query, hits, confidence, chosen, spans_of, notices, index)


def _story(given: Mapping[tuple[str, int], object], lead_article: str) -> set[str]:
    """The articles a follow-up's later sentences may come from: the lead's and those the
    conversation cited. Sentences of other articles read as rival answers ("Where will they
    move to?" about Electrolux went on with civil servants moving to Birmingham); 40% of the
    follow-ups of bench/data/followups.jsonl cited one (docs/benchmarks.md section 9)."""
    return {article for article, _ in given} | {lead_article}


def _answer(
    question: str,
    query: Query,
    hits: Sequence[Hit],
    confidence: float,
    chosen: Sequence[ScoredSentence],
    spans: Mapping[int, tuple[int, int]],
    notices: tuple[str, ...],
    index: Index,
) -> Answer:
    if not chosen or confidence < index.settings.abstain_below:
        return Answer(question, False, NOT_FOUND, (), tuple(hits), confidence, notices, query.text)
    sentences = cite(order_readably(chosen), spans, hits, index)
    text = " ".join(f"{s.text} [{s.citation.n}]" for s in sentences)
    return Answer(question, True, text, sentences, tuple(hits), confidence, notices, query.text)


# -- scoring sentences ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredSentence:
    """A candidate sentence with its scores and where it stands in its passage/article."""

    sentence_id: int
    text: str
    start: int
    end: int
    hit: Hit
    position: int  # in `hit.sentences`
    score: float
    dense: float
    lexical: float
    vector: np.ndarray | None = None  # read from the store only for the few MMR compares


def score_sentences(hits: Sequence[Hit], mode: Mode = "hybrid") -> list[ScoredSentence]:
    """Every sentence of `hits` (once, with its best passage), best first, from the
    sentence scores `search` computed."""
    w_dense, w_lexical, w_passage = SENTENCE_WEIGHTS[mode]
    seen: set[int] = set()
    rows = []
    for hit in hits:  # best first, so a repeated sentence keeps its better passage
        for position, sid in enumerate(hit.sentence_ids):
            if sid not in seen:
                seen.add(sid)
                rows.append((hit, position, sid))
    if not rows:
        return []
    top_lexical = max((h.sentence_lexical[p] for h, p, _ in rows), default=0.0) or 1.0
    top_passage = max((h.score for h in hits), default=0.0) or 1.0
    scored = []
    for hit, position, sid in rows:
        dense, lexical = hit.sentence_dense[position], hit.sentence_lexical[position]
        score = w_dense * dense + w_lexical * lexical / top_lexical + w_passage * hit.score / top_passage
        sentence = hit.sentences[position]
        scored.append(
            ScoredSentence(sid, sentence.text, sentence.start, sentence.end, hit, position, score, dense, lexical)
        )
    scored.sort(key=lambda s: -s.score)
    return scored


def with_vectors(scored: Sequence[ScoredSentence], index: Index) -> list[ScoredSentence]:
    """The same sentences with their stored vectors (for MMR and duplicate checks)."""
    vectors = index.store.sentence_vectors([s.sentence_id for s in scored])
    return [replace(s, vector=v) for s, v in zip(scored, vectors)]


def select_sentences(
    scored: Sequence[ScoredSentence], limit: int = MAX_SENTENCES, lam: float = MMR_LAMBDA
) -> list[ScoredSentence]:
    """Maximal marginal relevance: relevant sentences that do not repeat each other
    (`scored` best first, with vectors).

    Example: with two identical top sentences, only one is kept.
    """
    if not scored or limit < 1:
        return []
    chosen = [scored[0]]
    floor = scored[0].score * KEEP_RELATIVE
    pool = [s for s in scored[1:] if s.score >= floor and s.text != scored[0].text]

    while pool and len(chosen) < limit:

        def mmr(s: ScoredSentence) -> float:
            return lam * s.score - (1 - lam) * max(_similarity(s, c) for c in chosen)

        best = max(pool, key=mmr)
        pool.remove(best)
        if not any(_repeats(best, c) for c in chosen):
            chosen.append(best)
    return chosen


def _without_copies(scored: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """`scored` without the sentences of an article that is a copy (the same text, title and
    date: `Hit.content_hash`, read with the passages) of one with a better sentence: the build
    says "an answer cites one", but two copies' different sentences were cited as two sources."""

    def content(s: ScoredSentence) -> str:  # a hit made without its hash stands for itself
        return s.hit.content_hash or s.hit.source.article_id

    first_with: dict[str, str] = {}  # content -> the article that has it, best first
    for s in scored:
        first_with.setdefault(content(s), s.hit.source.article_id)
    return [s for s in scored if first_with[content(s)] == s.hit.source.article_id]


def _repeats(a: ScoredSentence, b: ScoredSentence) -> bool:
    """Does sentence `a` add nothing to `b`: the same words (a sentence an article repeats,
    or a copy of the article), or vectors at least DUPLICATE_COSINE alike? Sentence vectors
    are read in context, so the same sentence in two passages is not always that close."""
    return _words(a.text) == _words(b.text) or _similarity(a, b) >= DUPLICATE_COSINE


def _similarity(a: ScoredSentence, b: ScoredSentence) -> float:
    assert a.vector is not None and b.vector is not None
    return float(a.vector @ b.vector)


def order_readably(chosen: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """The best sentence first; sentences of one article together, in article order.

    Articles follow in the order of their best sentence; the first article's other
    sentences follow its best one (in article order), so the answer's lead is always
    the strongest sentence.
    """
    if not chosen:
        return []
    lead = chosen[0]
    groups: dict[str, list[ScoredSentence]] = {}
    for s in chosen:
        groups.setdefault(s.hit.source.article_id, []).append(s)
    ordered = [lead]
    for members in groups.values():
        rest = sorted((s for s in members if s is not lead), key=lambda s: s.start)
        ordered.extend(rest)
    return ordered


def cite(
    ordered: Sequence[ScoredSentence],
    spans: Mapping[int, tuple[int, int]] | None = None,
    hits: Sequence[Hit] = (),
    index: Index | None = None,
) -> tuple[AnswerSentence, ...]:
    """Number articles by first appearance ([1] is the first sentence's article); attach
    each sentence's answer span (`spans`: sentence id -> body offsets) and, where the
    sentence leans on the one before it, that sentence as context (found in `hits`, else in
    the passage before its own, read from `index`), unless
    the answer already shows its words (a sentence it cites, before or after, or a copy of it,
    or the headline its sources list shows: a .txt article's first line is also its title) or
    it is a byline or page furniture, which tells nothing."""
    numbers: dict[str, int] = {}
    out: list[AnswerSentence] = []
    shown: set[str] = {_words(s.text) for s in ordered} | {_words(s.hit.source.title) for s in ordered}
    for s in ordered:
        h = s.hit
        n = numbers.setdefault(h.source.article_id, len(numbers) + 1)
        citation = Citation(
            n=n,
            source=h.source,
            sentence=s.text,
            start=s.start,
            end=s.end,
            passage=h.text,
            passage_start=h.start,
            passage_end=h.end,
            score=s.score,
        )
        span = (spans or {}).get(s.sentence_id)
        context = _sentence_before(s, hits, index) if leans_on_previous(s.text) else None
        if context is not None and (_words(context.text) in shown or _is_furniture(context.text)):
            context = None
        if context is not None:
            shown.add(_words(context.text))
        out.append(AnswerSentence(text=s.text, citation=citation, score=s.score, span=span, context=context))
    return tuple(out)


def _is_furniture(sentence: str) -> bool:
    """A byline or page furniture: neither an answer (`is_citable`) nor context ("By Jane Doe"
    told nothing "The company said …" leans on; a question can: "Why did it fall?")."""
    return is_byline(sentence) or bool(_PAGE_FURNITURE.match(sentence))


def _words(text: str) -> str:
    """The text with its whitespace normalised: what two copies of a sentence share."""
    return " ".join(text.split())


# -- reading ------------------------------------------------------------------------------------------------


def _read(index: Index, question: str, hits: Sequence[Hit], scored: Sequence[ScoredSentence]) -> list[SentenceSpan]:
    """The reader's best span per sentence over windows around the best candidates."""
    texts = {sid: sentence.text for h in hits for sid, sentence in zip(h.sentence_ids, h.sentences)}
    ids = list(texts)
    tokens = dict(zip(ids, index.encoder.count_tokens([texts[i] for i in ids])))
    candidates = [(s.hit, s.position) for s in scored[:READ_SENTENCES]]
    windows = make_windows(candidates, tokens, WINDOW_TOKENS, READ_BUDGET)
    question = question[:MAX_QUESTION_CHARS]
    when = time_phrase(question)
    said = [when is not None and when.holds_on(w.hit.source.date) for w in windows]
    dated = [w for w, by_date in zip(windows, said) if by_date]
    spans = read_windows(index.reader, question, [w for w, by_date in zip(windows, said) if not by_date])
    if when is not None and dated:  # read as if the date were said: see `time_phrase`
        spans = sorted(
            [*spans, *read_windows(index.reader, when.removed_from(question), dated)], key=lambda x: -x.score
        )
    return [x for x in spans if is_citable(x.hit.sentences[x.position].text)]


def is_citable(sentence: str) -> bool:
    """Can the sentence stand as an answer? A statement of at least `MIN_WORDS` words (in
    Chinese, Japanese or Thai, which put no spaces between words, two letters count as one): not a
    byline ("Dee-Ann Durbin", "By Jane Doe · January 16, 2026", "Reporting by …; Editing by
    …"), a caption fragment or a question (a quiz article repeats the question). On SQuAD
    train it changes no answer (bench/fit_answering.py); news pages carry such lines around
    the text.

    Example:
        >>> is_citable("Dee-Ann Durbin"), is_citable("What share have closed?"), is_citable("Prices rose 5% in May.")
        (False, False, True)
        >>> is_citable("By Jane Doe · January 16, 2026"), is_citable("By Friday, the strike was over.")
        (False, True)
        >>> is_citable("Sign up for our trending newsletter to get the latest news of the day.")
        False
        >>> [is_citable(s) for s in ("中国人民银行周二宣布下调贷款市场报价利率。", "新华社记者", "央行宣布了什么？")]
        [True, False, False]
    """
    if _is_furniture(sentence):
        return False
    unspaced = len(_UNSPACED.findall(sentence))
    words = len(_UNSPACED.sub(" ", sentence).split()) + unspaced / 2
    return words >= MIN_WORDS and not sentence.rstrip("\"'”’)」』） ").endswith(("?", "？"))


def _by_worth(spans: Sequence[SentenceSpan], scored: Sequence[ScoredSentence]) -> list[SentenceSpan]:
    """Spans best first by their worth: reader score plus LEAD_RETRIEVAL_WEIGHT times the
    sentence's retrieval score (relative to the best). It ranks the lead and the sentences
    cited after it alike (ranking those by reader score alone: 0.3 point less hit@3 on the fit set)."""
    top = max((s.score for s in scored), default=1.0) or 1.0
    retrieval = {s.sentence_id: s.score / top for s in scored}
    return sorted(spans, key=lambda x: -(x.score + LEAD_RETRIEVAL_WEIGHT * retrieval.get(x.sentence_id, 0.0)))


def _lead(
    spans: Sequence[SentenceSpan], given: Mapping[tuple[str, int], tuple[tuple[int, int], ...]]
) -> SentenceSpan | None:
    """The span whose sentence leads the answer: the first of `spans` (best first, see
    `_by_worth`) that is not an answer given before, else the first. A span that holds the one
    marked before is that answer again: "a 100% tariff on Chinese-made electric vehicles" led
    "What did China do in response?" after "100% tariff on …" had answered the question before.
    A part of it may lead: "Where is the extra demand coming from?" is answered by "China and
    other Asian countries" inside "stronger demand from China and other Asian countries".

    A follow-up leads with an article the conversation cited when the reader finds an answer
    there as sure as a cited extra must be (`EXTRA_SPAN_SCORE`): "When is the vote?" after the
    Scottish Parliament's super-casino question led with another article's mock votes "around
    5 May"; now with "The vote is due to be taken on Wednesday". Measured
    (docs/benchmarks.md section 9): on bench/data/followups.jsonl the exact sentence leads 0.675
    of the follow-ups (was 0.625); on follow-ups made from SQuAD train (`bench/fit_answering.py
    followups`) 0.828 where the follow-up asks about the first question's paragraph (was 0.802),
    0.776 where it asks about the next one (was 0.809): a story the conversation has not cited
    yet leads less often."""

    def new(x: SentenceSpan) -> bool:
        before = given.get((x.hit.source.article_id, x.hit.sentences[x.position].start), ())
        return not any(x.start <= b[0] and b[1] <= x.end for b in before)  # (): not given, or with no span

    pool = [x for x in spans if new(x)] or list(spans)
    lead = pool[0] if pool else None
    story = {article for article, _ in given}
    if lead is not None and lead.hit.source.article_id not in story:
        # (inside the story the order stands: a lower reader score there may still be the answer)
        sure = (x for x in pool if x.hit.source.article_id in story and x.score >= EXTRA_SPAN_SCORE)
        lead = next(sure, lead)
    return lead


def _newer_lead(
    lead: SentenceSpan, spans: Sequence[SentenceSpan], given: Mapping[tuple[str, int], object]
) -> SentenceSpan:
    """The lead with "Prefer newer articles" (`qa ask --recent`, `Filters.prefer_recent`): the
    best span of the newest article the reader finds an answer in as sure as a cited extra must
    be (`EXTRA_SPAN_SCORE`), where that article is newer than the lead's. "What did the bank do
    with its rate?" over May's "held at 4.25%" and November's "cut to 4%" led with May's (more
    of the question's words) checked or not. The candidates are those an extra may be: not
    given before, and in a follow-up only of the story it continues. An undated lead keeps
    its place: a date it lacks is not an old one.
    """
    if lead.hit.source.date is None:
        return lead
    answering = [x for x in spans if x.hit.source.date is not None and _may_follow(x, lead, given)]
    newest = max(answering, key=lambda x: x.hit.source.date or "", default=lead)  # ISO dates sort as days do
    return newest if (newest.hit.source.date or "") > lead.hit.source.date else lead


def _may_follow(x: SentenceSpan, lead: SentenceSpan, given: Mapping[tuple[str, int], object]) -> bool:
    """May `x` be cited beside `lead`? The reader finds an answer in it as surely as
    `EXTRA_SPAN_SCORE` asks, no earlier answer gave its sentence, and in a follow-up it is of
    the story the conversation continues (`_story`)."""
    return (
        x.score >= EXTRA_SPAN_SCORE
        and (x.hit.source.article_id, x.hit.sentences[x.position].start) not in given
        and (not given or x.hit.source.article_id in _story(given, lead.hit.source.article_id))
    )


def leans_on_previous(sentence: str) -> bool:
    """Does the sentence only make sense after the one before it? It opens with a pronoun
    or a description of something named earlier ("The company said ...", "He added ..."),
    or quotes someone so introduced.

    Example:
        >>> leans_on_previous("The company said it would appeal."), leans_on_previous("Apple said it would appeal.")
        (True, False)
        >>> leans_on_previous("The clash between Yukos and the Kremlin came to a head last year.")
        False
        >>> leans_on_previous("The 27-year-old scored twice."), leans_on_previous("The 2008 crisis spread.")
        (True, False)
        >>> leans_on_previous("But now he has pulled out."), leans_on_previous("But Chelsea won.")
        (True, False)
        >>> leans_on_previous('The figures are being fiddled."'), leans_on_previous('"We won," Smith said.')
        (True, False)
    """
    if _PRONOUN_FIRST.match(sentence) or _QUOTED_BY_SOMEONE_NAMED_BEFORE.search(sentence[:400]):
        return True
    if _QUOTE_ENDS_HERE.search(sentence) and _opens_no_quote(sentence):
        return True
    described = _DESCRIPTION_FIRST.match(sentence)
    # "The company said ..." leans on a name given before; "The clash between Yukos and the
    # Kremlin ..." or "The mayor of Springfield ..." names what it is about within a few words.
    return described is not None and not any(w[:1].isupper() for w in sentence[described.end() :].split()[:5])


def _opens_no_quote(sentence: str) -> bool:
    """A closing quote mark with no opening one before it in the sentence."""
    if "”" in sentence:
        return sentence.count("“") < sentence.count("”")
    return sentence.count('"') % 2 == 1


def _sentence_before(s: ScoredSentence, hits: Sequence[Hit], index: Index | None = None) -> Sentence | None:
    """The sentence before `s` in its article: from a retrieved passage that holds it, else
    from the stored passage before `s`'s own (passages overlap by a sentence, so it holds it).
    Only the retrieved ones were looked in: "It plugged into the tv." was shown without
    "Sinclair Spectrum - 16k.", and read as the Apple laptop the answer was about."""
    for h in (s.hit, *hits):
        if h.source.article_id == s.hit.source.article_id and s.sentence_id in h.sentence_ids:
            position = h.sentence_ids.index(s.sentence_id)
            if position > 0:
                return h.sentences[position - 1]
    if index is None or s.hit.passage_id < 1:
        return None
    stored = index.store.passages([s.hit.passage_id - 1, s.hit.passage_id])
    before, own = stored.get(s.hit.passage_id - 1), stored.get(s.hit.passage_id)
    wanted = s.sentence_id - 1
    # The same version of the same article: after an update, the passage before an updated
    # article's first one can be its old version's last (a base passage the delta replaced).
    if before is None or own is None or before.source.article_id != own.source.article_id or before.body != own.body:
        return None
    if wanted not in before.sentence_ids:
        return None  # the article's first sentence
    start, end = before.sentence_spans[before.sentence_ids.index(wanted)]
    return Sentence(before.body[start:end], start, end)


def _turns(history: object) -> list[str | Answer] | None:
    """`answer`'s history as questions and `Answer`s (JSON answers read back), or refused."""
    if history is None:
        return None
    one_turn = isinstance(history, Answer) or (isinstance(history, Mapping) and "question" in history)
    if one_turn:  # "history=Answer(question='How many people were…', found=True, " was cut there
        kind = "an Answer" if isinstance(history, Answer) else "one answer's dict"
        raise QuestionError(
            f"history is {kind}, not a list of the earlier turns: pass history=[earlier_answer] (oldest first)."
        )
    if isinstance(history, (str, bytes, Mapping)) or not isinstance(history, Sequence):
        raise QuestionError(
            f"history={history!r:.80} must be a list of the earlier turns, oldest first "
            "(questions or answers): e.g. history=[earlier_answer]."
        )
    turns: list[str | Answer] = []
    for turn in history:
        if isinstance(turn, Mapping):
            try:
                turn = Answer.from_dict(turn)
            except QuestionError as exc:  # which of the turns, in a history of twenty
                raise QuestionError(f"history turn {len(turns) + 1}: {exc}") from None
        if not isinstance(turn, (str, Answer)):
            raise QuestionError(f"history holds {turn!r:.80}; each turn is a question (str) or an Answer.")
        if not is_text(turn if isinstance(turn, str) else turn.question):  # searched with the follow-up
            raise QuestionError(
                f"history turn {len(turns) + 1} holds bytes that are not valid text (invalid UTF-8); drop or retype it."
            )
        turns.append(turn)
    return turns


def _given_before(history: Sequence[str | Answer] | None) -> dict[tuple[str, int], tuple[tuple[int, int], ...]]:
    """(article id, sentence start) -> the spans marked in it, of every sentence earlier answers
    cited. Every span: a later turn that cited the sentence again with another span replaced
    the first, and the third turn gave the first turn's answer again."""
    given: dict[tuple[str, int], tuple[tuple[int, int], ...]] = {}
    for turn in history or ():
        if isinstance(turn, Answer):
            for s in turn.sentences:
                key = (s.citation.source.article_id, s.citation.start)
                given[key] = given.get(key, ()) + ((s.span,) if s.span is not None else ())
    return given


# -- abstention ---------------------------------------------------------------------------------------------


def _confidence_features(query: Query, scored: Sequence[ScoredSentence]) -> tuple[float, ...]:
    """(best cosine of a citable sentence, share of the question's words in the citable
    sentences of the best-scored citable sentence's passage). The best passage cosine was
    tried too; its fitted weight was zero. Only what can be cited counts: a subhead that
    repeats the question (cosine 0.74, and every word of it) lent 0.99 confidence to the
    unrelated sentences cited under it. On SQuAD, where nearly every sentence is citable,
    the features hardly change."""
    citable = [s for s in scored if is_citable(s.text)]
    if not citable:
        return (0.0, 0.0)
    passage = " ".join(s.text for s in citable[0].hit.sentences if is_citable(s.text))
    return (max(s.dense for s in citable), word_coverage(query.text, passage))


def _best_sentence_cosine(hits: Sequence[Hit]) -> float:
    """The best cosine of a citable sentence of the hits with the question (0 without any).
    Only what can be cited counts, as in `_confidence_features`: a subhead or a byline that
    echoes the question is never the answer."""
    return max(
        (d for h in hits for d, s in zip(h.sentence_dense, h.sentences) if is_citable(s.text)),
        default=0.0,
    )


def _confidence(features: tuple[float, ...], weights: tuple[float, ...], bias: float) -> float:
    # No defaults: a default binds the constant when the module loads, and bench_answers.py
    # --constants (a candidate refit, measured without editing this file) sets the module's.
    z = bias + sum(w * f for w, f in zip(weights, features))
    return float(1 / (1 + np.exp(-z)))


def reader_features(question: str, lead: SentenceSpan | None, hits: Sequence[Hit]) -> tuple[float, ...]:
    """What the reader-path confidence is fitted on: the lead span's reader score (clipped
    to ±READER_SCORE_CLIP), the best sentence cosine, and how much of the question's words
    (`word_coverage`) and names (`name_coverage`) the lead's article title and passage hold.

    Example: "Who won the 1998 World Cup?" led by a span in a passage about the 1998 Hopman
    Cup (reader score 10.4, best cosine 0.45) gives (10.0, 0.45, 1.0, 0.5): every word of the
    question is in the passage, but only one of its two names ("1998", not "World Cup").
    """
    best_sentence = _best_sentence_cosine(hits)
    if lead is None:  # as bench/fit_answering.py fits it: no span, no coverage, the cosine still counts
        return (-READER_SCORE_CLIP, best_sentence, 0.0, 0.0)
    around = lead_context(lead)
    return (
        max(-READER_SCORE_CLIP, min(READER_SCORE_CLIP, lead.score)),
        best_sentence,
        word_coverage(question, around),
        name_coverage(question, around),
    )


def lead_context(span: SentenceSpan) -> str:
    """The text a span's coverage is measured on: its article's title and its passage.

    Example: a span in the passage "Slovakia won the Cup in 1998." of the article "Slovakia
    seal Hopman Cup success" gives "Slovakia seal Hopman Cup success\nSlovakia won the Cup in 1998."
    """
    return f"{span.hit.source.title}\n{span.hit.text}"


def _reader_confidence(question: str, lead: SentenceSpan | None, hits: Sequence[Hit]) -> float:
    return _confidence(reader_features(question, lead, hits), READER_CONFIDENCE_WEIGHTS, READER_CONFIDENCE_BIAS)


def asked_before(question: str, history: Sequence[str | Answer] | None) -> bool:
    """Did the conversation ask this already, in these or other words? It did when the
    question holds every content word of an earlier one (5-letter prefixes, as in
    `word_coverage`), unless it adds words of its own and points back with a pronoun:
    "Where did she file the claim?" after "How much is she claiming?" holds "claim", its one
    word, but asks something new about "her" (taken as asked afresh, its answer cited two
    other women's lawsuits). Taken for a follow-up,
    "Which tariffs did Trudeau impose?" after "What tariffs did Trudeau impose?" left out the
    sentence that answers it, and was "not found".
    (Also tried: answering a follow-up that nothing new answers with what was given before.
    On bench/data/followups.jsonl two real follow-ups, "Has anyone been hurt?" and "And in
    China?", then repeated the earlier answer at confidence 0.79 instead of abstaining.)

    A question that `continues_previous` ("When?", "And in China?") is never asked afresh:
    asked again, it asks about what came just before it. ("When?" after "Who beat Manchester
    City?", "When?", "What did the Bank of England cut?" was searched alone and was "not
    found".) Nor is a question of one word ("What day?", "What is Brexit?") asked again when it
    was a follow-up the first time; asked on its own first, it is.

    Example:
        >>> asked_before("Which tariffs did Trudeau impose?", ["What tariffs did Trudeau impose?"])
        True
        >>> asked_before("How did China respond?", ["What tariffs did Trudeau impose?"])
        False
        >>> asked_before("Where did she file the claim?", ["How much is she claiming?"])
        False
        >>> asked_before("When?", ["Who beat Manchester City?", "When?", "What did the Bank of England cut?"])
        False
    """
    if continues_previous(question):
        return False
    words = _content_words(question)
    for n, turn in enumerate(history or ()):
        earlier = _content_words(turn.question if isinstance(turn, Answer) else turn)
        if not earlier or not earlier <= words or (words - earlier and _POINTS_BACK.search(question)):
            continue
        # A follow-up was searched with its context (an answer says so); a question as text
        # says nothing of how it was asked but as the first. (The chat sends the last 20 turns.)
        if isinstance(turn, Answer) and turn.search_text:
            afresh = _words(turn.search_text) == _words(clean_question(turn.question))
        else:
            afresh = n == 0
        if len(words) > 1 or afresh:
            return True
    return False


# A question that names its subject by a pronoun leans on the conversation for it.
_POINTS_BACK = re.compile(r"\b(?i:he|she|it|its|they|them|their|his|her|him)\b")


def _content_words(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS}


def word_coverage(question: str, text: str) -> float:
    """Share of the question's content words found in `text` (5-letter prefixes, so
    "imposing" matches "impose").

    Example:
        >>> word_coverage("What tariffs did Trudeau impose?", "Trudeau imposed tariffs.")
        1.0
    """
    words = _content_words(question)
    if not words:
        return 0.0
    present = {w[:5] for w in re.findall(r"\w+", text.lower())}
    return len(words & present) / len(words)


def name_coverage(question: str, text: str) -> float:
    """Share of the names and numbers the question asks about found in `text`.

    A name is a run of capitalised words after the question's first word ("World Cup",
    "Pope Emeritus Benedict XVI"), a number is a word starting with a digit. A one-word
    name is found when its word is in `text`, a longer one when two of its consecutive
    words are consecutive in `text` ("Benedict XVI" finds the pope; "World number 31" does
    not find the "World Cup"). Words compare by their first five letters, case-blind, as in
    `word_coverage`. 1.0 when the question names nothing: nothing it asks about is missing.
    Names are found by their capitals, so a question typed all in lower case names only its
    numbers (and abstains a little less readily).

    Example:
        >>> name_coverage("Who won the 1998 World Cup?", "Slovakia won the Hopman Cup in 1998. World number 31 ...")
        0.5
        >>> name_coverage("Who won?", "Anything.")
        1.0
    """
    names = _names(question)
    if not names:
        return 1.0
    words = [w.lower()[:5] for w in re.findall(r"\w+", text)]
    singles = set(words)
    pairs = set(itertools.pairwise(words))
    found = sum(bool(set(itertools.pairwise(n)) & pairs) if len(n) > 1 else n[0] in singles for n in names)
    return found / len(names)


def _names(question: str) -> list[tuple[str, ...]]:
    """The question's names (runs of capitalised words after the first word) and numbers,
    as tuples of 5-letter lowercase prefixes."""
    names: list[tuple[str, ...]] = []
    run: list[str] = []
    for word in [*re.findall(r"\w+", question)[1:], ""]:
        if word[:1].isupper() and word.lower() not in STOPWORDS:
            run.append(word.lower()[:5])
            continue
        if run:
            names.append(tuple(run))
            run = []
        if word[:1].isdigit():
            names.append((word.lower()[:5],))
    return names


# -- follow-ups ----------------------------------------------------------------------------------------------


def is_followup(question: str) -> bool:
    """Does the question lean on the previous one? Short, anaphoric or a continuation.

    Example:
        >>> is_followup("How did China respond?"), is_followup("What did the Bank of England decide on rates in May?")
        (True, False)
    """
    lowered = question.lower().strip()
    words = re.findall(r"\w+", lowered)
    content = [w for w in words if w not in STOPWORDS]
    return (
        len(content) <= FOLLOWUP_MAX_WORDS or any(w in _ANAPHORA for w in words) or lowered.startswith(_CONTINUATIONS)
    )


_WEEKDAY_NAMES = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTH = "|".join(MONTH_NAMES)
_DAY = r"[0-3]?\d(?:st|nd|rd|th)?"
# "in September 2025", "on Monday, September 15", "on 15th September", "on the 4th of July",
# "in September of 2025", "in 2025", "on Monday"; in any case, as chat questions are often
# typed ("what happened in may?": after "in", "on" or "during", "may" is the month). Not a
# time: "in March last year" (not the date's year), "in 2023's first quarter", "in 2025-26",
# "in March of the Penguins", "in April Wine".
_TIME_PHRASE = re.compile(
    r"\s*\b(?i:in|on|during)\s+"
    rf"(?:(?P<weekday>(?i:{'|'.join(_WEEKDAY_NAMES)})),?\s*)?"
    rf"(?:(?:(?:the\s+)?(?P<day_first>{_DAY})\s+(?:of\s+)?)?"
    rf"(?P<month>(?i:{_MONTH}))"
    rf"(?:\s+(?P<day>{_DAY}))?"
    r"(?:,?\s+(?:of\s+)?(?P<year>(?:19|20)\d\d))?|(?P<year_only>(?:19|20)\d\d))?"
    r"(?<=[A-Za-z0-9])\b(?!['’]s\b|[-–/]\d|\s+of\s+the\b|\s+[A-Z]|\s+(?:last|this|next)\s+year|\s+\d)"
)


@dataclass(frozen=True)
class TimePhrase:
    """A time the question names ("in September 2025"): what it asks for, and where the
    question names times (`spans`: all of them, the last one's time is the one asked about)."""

    spans: tuple[tuple[int, int], ...]
    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None

    def holds_on(self, date: str | None) -> bool:
        """Does an article of this date (YYYY-MM-DD) satisfy it? An undated one never does."""
        try:
            day = dt.date.fromisoformat(date or "")
        except ValueError:
            return False
        wanted = (self.year, self.month, self.day, self.weekday)
        return all(w is None or w == got for w, got in zip(wanted, (day.year, day.month, day.day, day.weekday())))

    def removed_from(self, question: str) -> str:
        """The question without its times; as asked where no word would be left to ask
        about ("In 2024?" is not read as "?")."""
        kept, at = [], 0
        for start, end in self.spans:
            kept.append(question[at:start])
            at = end
        rest = ("".join(kept) + question[at:]).strip()
        rest = re.sub(r"^[,;:]\s*", "", rest)  # "In 2025, who won?"
        rest = rest[:1].upper() + rest[1:]
        return rest if _content_words(rest) else question


def time_phrase(question: str) -> TimePhrase | None:
    """The time a question names, if any. News names its events' days by the article's date
    ("on Monday", a month only in the dateline), so for an article of that date the reader
    reads the question without it, as the date's own answer to it: "What did the council
    decide in September 2025?" over an article dated 2025-09-15 that never names September was
    "not found" (the reader scored its window −5.84 with the phrase), and "What did the bank do
    in June?" cited September's rate cut over June's hold. Other articles read the whole
    question, so a time their text names still counts. Of several times, the last is the one
    asked about ("What did the bank do in June? And in September?", a follow-up read after
    the question before it), and all are left out of what is read.

    Example:
        >>> question = "What did the council decide in September 2025?"
        >>> when = time_phrase(question)
        >>> when.holds_on("2025-09-15"), when.holds_on("2024-09-15"), when.removed_from(question)
        (True, False, 'What did the council decide?')
        >>> time_phrase("What may the council decide?") is None, time_phrase("Who won on Monday?").weekday
        (True, 0)
    """
    found = list(_TIME_PHRASE.finditer(question))
    found = [f for f in found if f["weekday"] or f["month"] or f["year_only"]]
    if not found:
        return None
    last = found[-1]

    def number(*names: str) -> int | None:
        value = next((last[n] for n in names if last[n]), None)
        return int(re.sub(r"\D", "", value)) if value else None

    return TimePhrase(
        tuple(f.span() for f in found),
        year=number("year", "year_only"),
        month=MONTH_NAMES.index(last["month"].capitalize()) + 1 if last["month"] else None,
        day=number("day", "day_first"),
        weekday=_WEEKDAY_NAMES.index(last["weekday"].capitalize()) if last["weekday"] else None,
    )


def as_read(question: str, lead: SentenceSpan | None) -> str:
    """The question as the reader read it for the lead's article: without the times the
    article's date satisfies (`time_phrase`), else as asked. Its coverage is measured on that.

    Example: "What did the council decide in September 2025?" led by an article of 2025-09-15
    gives "What did the council decide?".
    """
    question = question[:MAX_QUESTION_CHARS]  # as `_read` gave it to the reader
    when = time_phrase(question)
    if when is None or lead is None or not when.holds_on(lead.hit.source.date):
        return question
    return when.removed_from(question)


def reader_question(followup: str, previous: str | None) -> str:
    """What the reader reads for a follow-up: the follow-up itself, or, when it is elliptical
    ("And in China?", "What about its film division?", "Why?": no question word, a
    continuation, or a question word alone), the previous question followed by it, so the
    reader knows what is asked.

    Also tried: follow-ups with a pronoun ("How old is he?") read after the previous question
    too. On bench/data/followups.jsonl that lowered hit@1 from 0.625 to 0.550 (2026-12-03), so
    a question word with a pronoun is still read alone.

    Example:
        >>> reader_question("And in China?", "How many cars did BMW sell in Asia?")
        'How many cars did BMW sell in Asia? And in China?'
        >>> reader_question("How did China respond?", "What tariffs did Trudeau impose?")
        'How did China respond?'
        >>> reader_question("And how did China respond?", "What tariffs did Trudeau impose?")
        'how did China respond?'
        >>> reader_question("Why?", "Which bank is cutting jobs?")
        'Which bank is cutting jobs? Why?'
    """
    followup = followup.strip()
    link = _LEADING_LINK.match(followup.lower())
    elliptical = _elliptical(followup)
    if previous and elliptical:
        return f"{previous} {followup}"
    return followup[link.end() :] if link and not elliptical else followup  # "And how did …?": how did …?


def _elliptical(question: str) -> bool:
    """No question of its own: a continuation ("What about …?"), no question word ("And in
    China?"), or a question word alone ("Why?")."""
    lowered = _LEADING_LINK.sub("", question.strip().lower())
    tokens = re.findall(r"\w+", lowered)
    return lowered.startswith(_ELLIPTICAL) or not set(tokens) & _QUESTION_WORDS or len(tokens) == 1


def continues_previous(question: str) -> bool:
    """Is the question no question of its own? A continuation ("And how did China respond?",
    "What about its film division?") or no word of its own ("Why?", "When?"): never asked
    again, never a new subject.

    Example:
        >>> continues_previous("When?"), continues_previous("And how did China respond?")
        (True, True)
        >>> continues_previous("What day?"), continues_previous("tram cost?")
        (False, False)
    """
    lowered = question.strip().lower()
    continued = bool(_LEADING_LINK.match(lowered)) or lowered.startswith(_ELLIPTICAL)
    return continued or not _content_words(question)


def asks_about_previous(question: str) -> bool:
    """Does the question mean little without the one before it? One that `continues_previous`,
    or naming at most one thing ("What day?", "Who scored?"): a follow-up after it is searched
    with the question before it too.

    Example:
        >>> asks_about_previous("What day?"), asks_about_previous("How did China respond?")
        (True, False)
    """
    return continues_previous(question) or len(_content_words(question)) <= 1


def _previous_question(history: Sequence[str | Answer] | None, as_searched: bool = True) -> str | None:
    """The previous question, as its asker wrote it; `as_searched`, followed by the questions it
    leaned on in turn ("Why? When? Who beat Manchester City?"), back to one that stands alone
    and at most `FOLLOWUP_CHAIN` questions back. (Each follow-up once carried everything the
    conversation had searched: after eight turns a new question was searched with 130
    characters of old subjects.)"""
    chain: list[str] = []
    for turn in reversed(history or ()):
        text = (turn.question if isinstance(turn, Answer) else str(turn)).strip()
        if not text:
            continue
        chain.append(text)
        if not as_searched or not asks_about_previous(text) or len(chain) == FOLLOWUP_CHAIN:
            break
    return " ".join(chain) or None


def _with_context(query: Query, previous: str, index: Index) -> Query:
    """Search the follow-up together with the question it follows."""
    before = index.encoder.encode_queries([previous])[0]
    vector = query.vector + FOLLOWUP_WEIGHT * before
    vector = (vector / np.linalg.norm(vector)).astype(np.float32)
    return make_query(f"{query.text} {previous}", vector, query.truncated)
