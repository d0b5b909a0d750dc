"""Answers made only of sentences of the articles, each with a numbered citation.

1. Retrieve the best passages (hybrid search, `qa.retrieval`).
2. Score every sentence of those passages: its own cosine with the question (from the
   sentence vectors stored at index time), its own BM25, and its passage's score.
3. Pick up to `max_sentences` with MMR, so near-duplicates (the same sentence in two
   articles, a repeated quote) are not cited twice.
4. Decide whether the articles answer at all: a logistic model of the match strengths,
   fitted on SQuAD questions with and without their article in the index
   (bench/calibrate_abstention.py), gives `confidence`; below `Settings.abstain_below`
   (0.15, env QA_ABSTAIN_BELOW) the answer is "I could not find this in the articles."
5. Number the cited articles in order of first appearance: [1], [2], ...

Follow-up questions ("How did China respond?") are searched together with the previous
question when they are short or lean on it ("it", "they", "what about ..."), so the
conversation's topic carries over without a generative model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .articles import Source
from .config import Settings
from .filters import Filters
from .index import Index, open_index
from .retrieval import Hit, Mode, Query, make_query, prepare_query, search
from .splitting import Sentence

NOT_FOUND = "I could not find this in the articles."
MAX_SENTENCES = 3
PASSAGES = 8

# Sentence score = weights · (sentence cosine, sentence BM25 / best, passage score / best),
# per retrieval mode. Tuned on SQuAD v1.1 dev (bench/tune_squad.py, docs/benchmarks.md).
SENTENCE_WEIGHTS = {"hybrid": (0.7, 0.15, 0.6), "dense": (0.7, 0.0, 0.6), "bm25": (0.0, 0.15, 0.6)}
MMR_POOL = 12  # best sentences MMR chooses from
MMR_LAMBDA = 0.8  # relevance vs. novelty when picking the 2nd and 3rd sentence
DUPLICATE_COSINE = 0.95  # a sentence this close to one already cited adds nothing
KEEP_RELATIVE = 0.5  # later sentences must score at least this fraction of the best

# Abstention: confidence = sigmoid(w · features + b), features in `_confidence_features`,
# fitted by bench/calibrate_abstention.py on SQuAD questions with and without their
# article in the index. The threshold is a setting (`abstain_below`).
CONFIDENCE_WEIGHTS = (17.41, 6.61)
CONFIDENCE_BIAS = -11.77

# English function words (the Snowball list, trimmed): they say nothing about whether the
# articles cover a question (word coverage) or whether a question stands alone (follow-ups).
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "tell",
        "said",
        "says",
        "say",
        "also",
        "much",
        "many",
        "one",
        "get",
        "got",
        "us",
        "let",
    ]
)

# Follow-ups: the previous question's vector, at this weight, joins the new one's.
FOLLOWUP_WEIGHT = 0.6
FOLLOWUP_MAX_WORDS = 4
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


@dataclass(frozen=True)
class Citation:
    """Where a cited sentence comes from: `body[start:end] == sentence` in the article."""

    n: int
    source: Source
    sentence: str
    start: int
    end: int
    passage: str
    passage_start: int
    passage_end: int
    score: float


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
            "hits": [
                {"rank": h.rank, "score": round(h.score, 4), **source_dict(h.source), "text": h.text} for h in self.hits
            ],
        }


def _sentence_dict(s: AnswerSentence) -> dict[str, Any]:
    data: dict[str, Any] = {"text": s.text, "citation": s.citation.n, "score": round(s.score, 4)}
    if s.span is not None:
        data["span"] = {"text": s.span_text, "start": s.span[0], "end": s.span[1]}
    if s.context is not None:
        data["context"] = {"text": s.context.text, "start": s.context.start, "end": s.context.end}
    return data


def source_dict(source: Source) -> dict[str, Any]:
    """A source as JSON keys: `article_id`, `title`, `date`, `source` (the publisher), `url`, `file`.

    "file", not "path": gradio_client treats any dict with a "path" key as a file to download.
    """
    return {
        "article_id": source.article_id,
        "title": source.title,
        "date": source.date,
        "source": source.publisher,
        "url": source.url,
        "file": source.path,
    }


def _citation_dict(c: Citation) -> dict[str, Any]:
    return {
        "n": c.n,
        **source_dict(c.source),
        "sentence": c.sentence,
        "start": c.start,
        "end": c.end,
        "passage": c.passage,
        "passage_start": c.passage_start,
        "passage_end": c.passage_end,
        "score": round(c.score, 4),
    }


def answer(
    question: str,
    history: Sequence[str | Answer] | None = None,
    k: int = PASSAGES,
    filters: Filters | None = None,
    *,
    index: Index | str | Path | None = None,
    max_sentences: int = MAX_SENTENCES,
    mode: Mode = "hybrid",
    settings: Settings | None = None,
) -> Answer:
    """Answer `question` with cited sentences of the articles, or say it cannot.

    Args:
        question: the question.
        history: earlier turns of the conversation, oldest first: questions (str) or
            `Answer`s. Short or anaphoric follow-ups are searched in their context.
        k: how many passages to consider.
        filters: optional date range / sources (`Filters`).
        index: a loaded `Index`, a folder, or None for `settings.index_dir` (`index/`).
        max_sentences: the most sentences to cite.
        mode: retrieval mode: "hybrid", "dense" or "bm25".
        settings: model, index and abstention settings for loading `index` from a folder
            (default: `Settings()`; `load_settings()` adds the `QA_*` environment).

    Example:
        >>> a = answer("What tariffs did Trudeau impose?")
        >>> a.sentences[0].text.startswith("Trudeau's government in 2024 followed Biden's lead")
        True
    """
    index = open_index(index, settings)
    query = prepare_query(question, index)
    notices = []
    if query.truncated:
        notices.append("Your question is longer than the model reads; only its beginning was used.")
    previous = _previous_question(history)
    if previous and is_followup(query.text):
        query = _with_context(query, previous, index)
    hits = search(query, index, max(k, 1), mode=mode, filters=filters)
    if not hits and filters is not None and filters.restricts:
        notices.append("No article matches these filters (date range or sources); widen them to search all articles.")
    return compose(question, query, hits, index, max_sentences, tuple(notices), mode)


def compose(
    question: str,
    query: Query,
    hits: Sequence[Hit],
    index: Index,
    max_sentences: int = MAX_SENTENCES,
    notices: tuple[str, ...] = (),
    mode: Mode = "hybrid",
) -> Answer:
    """Select, order and cite sentences from `hits` (the answer step without retrieval)."""
    scored = score_sentences(query, hits, index, mode)
    confidence = _confidence(_confidence_features(query, hits, scored))
    if not scored or confidence < index.settings.abstain_below:
        return Answer(
            question=question,
            found=False,
            text=NOT_FOUND,
            sentences=(),
            hits=tuple(hits),
            confidence=confidence,
            notices=notices,
            search_text=query.text,
        )
    chosen = select_sentences(scored, max_sentences)
    sentences = cite(order_readably(chosen))
    text = " ".join(f"{s.text} [{s.citation.n}]" for s in sentences)
    return Answer(
        question=question,
        found=True,
        text=text,
        sentences=sentences,
        hits=tuple(hits),
        confidence=confidence,
        notices=notices,
        search_text=query.text,
    )


# -- scoring sentences ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredSentence:
    """A candidate sentence with its scores and where it stands in its passage/article."""

    sentence_id: int
    text: str
    start: int
    end: int
    hit: Hit
    score: float
    dense: float
    lexical: float
    vector: np.ndarray


def score_sentences(
    query: Query,
    hits: Sequence[Hit],
    index: Index,
    mode: Mode = "hybrid",
    weights: tuple[float, float, float] | None = None,
) -> list[ScoredSentence]:
    """Every sentence of `hits` (once, with its best passage), best first.

    Uses the sentence scores `search` computed; reads stored vectors only for the few
    sentences MMR may compare.
    """
    w_dense, w_lexical, w_passage = weights or SENTENCE_WEIGHTS[mode]
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
        scored.append((score, hit, sentence, sid, dense, lexical))
    scored.sort(key=lambda row: -row[0])
    head = scored[:MMR_POOL]
    vectors = index.store.sentence_vectors([row[3] for row in head])
    return [
        ScoredSentence(sid, sentence.text, sentence.start, sentence.end, hit, score, dense, lexical, vector)
        for (score, hit, sentence, sid, dense, lexical), vector in zip(head, vectors)
    ]


def select_sentences(
    scored: Sequence[ScoredSentence], limit: int = MAX_SENTENCES, lam: float = MMR_LAMBDA
) -> list[ScoredSentence]:
    """Maximal marginal relevance: relevant sentences that do not repeat each other.

    Example: with two identical top sentences, only one is kept.
    """
    if not scored or limit < 1:
        return []
    chosen = [scored[0]]
    floor = scored[0].score * KEEP_RELATIVE
    pool = [s for s in scored[1:] if s.score >= floor and s.text != scored[0].text]
    while pool and len(chosen) < limit:

        def mmr(s: ScoredSentence) -> float:
            return lam * s.score - (1 - lam) * max(float(s.vector @ c.vector) for c in chosen)

        best = max(pool, key=mmr)
        pool.remove(best)
        if max(float(best.vector @ c.vector) for c in chosen) >= DUPLICATE_COSINE:
            continue
        chosen.append(best)
    return chosen


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


def cite(ordered: Sequence[ScoredSentence]) -> tuple[AnswerSentence, ...]:
    """Number articles by first appearance ([1] is the first sentence's article)."""
    numbers: dict[str, int] = {}
    out = []
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
        out.append(AnswerSentence(text=s.text, citation=citation, score=s.score))
    return tuple(out)


# -- abstention ---------------------------------------------------------------------------------------------


def _confidence_features(query: Query, hits: Sequence[Hit], scored: Sequence[ScoredSentence]) -> tuple[float, ...]:
    """(best sentence cosine, share of the question's words in the passage of the best
    sentence). The best passage cosine was tried too; its fitted weight was zero."""
    if not hits or not scored:
        return (0.0, 0.0)
    best_sentence = max(max(h.sentence_dense, default=0.0) for h in hits)
    return (best_sentence, word_coverage(query.text, scored[0].hit.text))


def _confidence(features: tuple[float, ...]) -> float:
    z = CONFIDENCE_BIAS + sum(w * f for w, f in zip(CONFIDENCE_WEIGHTS, features))
    return float(1 / (1 + np.exp(-z)))


def word_coverage(question: str, text: str) -> float:
    """Share of the question's content words found in `text` (5-letter prefixes, so
    "imposing" matches "impose").

    Example:
        >>> word_coverage("What tariffs did Trudeau impose?", "Trudeau imposed tariffs.")
        1.0
    """
    words = {w[:5] for w in re.findall(r"\w+", question.lower()) if w not in STOPWORDS}
    if not words:
        return 0.0
    present = {w[:5] for w in re.findall(r"\w+", text.lower())}
    return len(words & present) / len(words)


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


def _previous_question(history: Sequence[str | Answer] | None) -> str | None:
    for turn in reversed(history or ()):
        text = turn.search_text or turn.question if isinstance(turn, Answer) else str(turn)
        if text and text.strip():
            return text.strip()
    return None


def _with_context(query: Query, previous: str, index: Index) -> Query:
    """Search the follow-up together with the question it follows."""
    before = index.encoder.encode_queries([previous])[0]
    vector = query.vector + FOLLOWUP_WEIGHT * before
    vector = (vector / np.linalg.norm(vector)).astype(np.float32)
    return make_query(f"{query.text} {previous}", vector, query.truncated)
