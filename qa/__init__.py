"""Answers from news articles, made only of sentences the articles contain, each cited.

Example:
    >>> from qa import retrieve, answer
    >>> print(answer("What tariffs did Trudeau impose?").text)  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .answering import Answer, AnswerSentence, Citation, answer
from .articles import SUPPORTED_SUFFIXES, Article, ReadResult, Skipped, Source, read_articles, read_file
from .build import BuildReport, build_index, check_articles_folder
from .config import Settings, load_settings
from .errors import (
    ArticleError,
    ConfigError,
    EncoderError,
    FeedbackError,
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    NoArticlesError,
    OtherFolderError,
    QAError,
    QuestionError,
)
from .feedback import FEEDBACK_FILE, FeedbackRecord, append_feedback, read_feedback, record_feedback
from .filters import Filters, parse_date
from .index import Index, follow_index, load_index, open_index
from .retrieval import MODES, Hit, Mode, retrieve
from .splitting import Sentence
from .store import ArticleInfo, Counts

__all__ = [
    "FEEDBACK_FILE",
    "MODES",
    "SUPPORTED_SUFFIXES",
    "Answer",
    "AnswerSentence",
    "Article",
    "ArticleError",
    "ArticleInfo",
    "BuildReport",
    "Citation",
    "ConfigError",
    "Counts",
    "EncoderError",
    "FeedbackError",
    "FeedbackRecord",
    "Filters",
    "Hit",
    "Index",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "Mode",
    "NoArticlesError",
    "OtherFolderError",
    "QAError",
    "QuestionError",
    "ReadResult",
    "Sentence",
    "Settings",
    "Skipped",
    "Source",
    "answer",
    "append_feedback",
    "build_index",
    "check_articles_folder",
    "follow_index",
    "load_index",
    "load_settings",
    "open_index",
    "parse_date",
    "read_articles",
    "read_feedback",
    "read_file",
    "record_feedback",
    "retrieve",
]
