"""Preparing an article for the index: its sentences, its passages, the texts the encoder
reads, and storing the result with the sentence vectors the encoder returned.

Shared by the local build (`qa.build`) and the Ray build (`qa.cluster`), which prepares on
the workers and stores on the driver, so both write exactly the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .articles import Article
from .config import Settings
from .embedding import Encoder
from .splitting import Passage, Sentence, make_passages, split_sentences
from .store import Store, bm25_terms
from .store.store import NewPassage, NewSentence


@dataclass(frozen=True)
class PreparedArticle:
    """An article split into sentences and passages, with the texts the encoder reads."""

    article: Article
    sentences: tuple[Sentence, ...]
    passages: tuple[Passage, ...]
    texts: list[str]  # what is embedded: title, newline, passage
    spans: list[list[tuple[int, int]]]  # spans (in each text) of the sentences it owns
    owned: list[list[int]]  # indexes of those sentences
    tokens: int  # tokens the model reads for all the passages


def prepare_article(article: Article, encoder: Encoder, settings: Settings) -> PreparedArticle:
    """Split `article` into sentences and passages of at most `settings.passage_tokens`
    tokens (title included), and say what the encoder reads for each passage.

    Example:
        >>> from qa.articles import Article, Source
        >>> from qa.embedding import get_encoder
        >>> article = Article(Source("a.txt", "Ferries", "a.txt"), "The ferries sailed. They were late.")
        >>> prepared = prepare_article(article, get_encoder(Settings()), Settings())
        >>> prepared.texts, prepared.owned
        (['Ferries\\nThe ferries sailed. They were late.'], [[0, 1]])
    """
    title, body = article.source.title, article.body
    sentences = split_sentences(body) or (Sentence(body, 0, len(body)),)
    title_tokens, *sentence_tokens = encoder.count_tokens([title, *(s.text for s in sentences)])
    budget = max(settings.passage_tokens - title_tokens - 2, 8)  # 2 = the model's special tokens
    passages = make_passages(sentences, sentence_tokens, budget, settings.overlap_sentences)
    prefix = title + "\n"
    texts, spans, owned = [], [], []
    next_unowned, tokens = 0, 0
    for p in passages:
        # A sentence repeated by the overlap takes its vector from its first passage.
        mine = list(range(max(p.first, next_unowned), p.last + 1))
        shift = len(prefix) - p.start
        texts.append(prefix + body[p.start : p.end])
        spans.append([(sentences[i].start + shift, sentences[i].end + shift) for i in mine])
        owned.append(mine)
        next_unowned = p.last + 1
        tokens += min(title_tokens + sum(sentence_tokens[p.first : p.last + 1]) + 2, encoder.info.max_tokens)
    return PreparedArticle(article, sentences, passages, texts, spans, owned, tokens)


def store_prepared(
    store: Store, prepared: Sequence[PreparedArticle], sentence_vectors: Sequence[np.ndarray], indexed_at: str
) -> list[int]:
    """Store articles with their sentences (vectors, terms) and passages; return the new passage ids.

    `sentence_vectors` holds, per passage of every article in order, the vectors of the
    sentences that passage owns, as `Encoder.encode_passages` returns them.

    Example:
        >>> _, sentence_vectors = encoder.encode_passages(prepared.texts, prepared.spans)  # doctest: +SKIP
        >>> store_prepared(store, [prepared], sentence_vectors, "2026-11-30T10:00:00+00:00")  # doctest: +SKIP
        [1]
    """
    passage_ids: list[int] = []
    vectors_of_passages = iter(sentence_vectors)
    for item in prepared:
        by_sentence: dict[int, np.ndarray] = {}
        for owned in item.owned:
            by_sentence.update(zip(owned, next(vectors_of_passages), strict=True))
        # Terms are per word, so a passage's are its title's and its sentences': each
        # sentence is tokenized once, even when the overlap puts it in two passages.
        title_terms, *sentence_terms = (
            " ".join(t) for t in bm25_terms([item.article.source.title, *(s.text for s in item.sentences)])
        )
        sentences = [
            NewSentence(s.start, s.end, by_sentence[i], sentence_terms[i]) for i, s in enumerate(item.sentences)
        ]
        passages = [
            NewPassage(
                p.first,
                p.last,
                p.start,
                p.end,
                " ".join(t for t in (title_terms, *sentence_terms[p.first : p.last + 1]) if t),
            )
            for p in item.passages
        ]
        passage_ids.extend(store.add_article(item.article, sentences, passages, indexed_at))
    return passage_ids
