"""Answers from news articles, made only of sentences the articles contain, each cited.

Example:
    >>> from qa import retrieve, answer
    >>> print(answer("What tariffs did Trudeau impose?").text)  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .answering import Answer, AnswerSentence, Citation, answer
from .articles import Article, read_articles
from .build import BuildReport, build_index
from .config import Settings, load_settings
from .errors import (
    ArticleError, ConfigError, EncoderError, IndexCorruptError, IndexLockedError, IndexMismatchError,
    IndexNotFoundError, QAError, QuestionError,
)
from .index import Index, load_index
from .retrieval import Filters, Hit, retrieve
from .splitting import Sentence

__all__ = [
    "Answer", "AnswerSentence", "Citation", "answer",
    "Article", "ArticleError", "BuildReport", "ConfigError", "EncoderError", "Filters", "Hit", "Index",
    "IndexCorruptError", "IndexLockedError", "IndexMismatchError", "IndexNotFoundError", "QAError",
    "QuestionError", "Sentence", "Settings", "build_index", "load_index", "load_settings", "read_articles",
    "retrieve",
]
