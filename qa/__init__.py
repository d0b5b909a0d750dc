"""Answers from news articles, made only of sentences the articles contain, each cited.

Example:
    >>> from qa import retrieve, answer
    >>> print(answer("What tariffs did Trudeau impose?").text)  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and editors see; at run time each name loads with first use
    from .answering import Answer, AnswerSentence, Citation, answer, refused_dict
    from .articles import (
        SUPPORTED_SUFFIXES,
        Article,
        ReadLimits,
        ReadResult,
        Skipped,
        Source,
        ignored_name,
        is_web_link,
        read_articles,
        read_file,
        skipped_count,
    )
    from .build import BuildReport, build_index, check_articles_folder
    from .config import Settings, load_settings
    from .errors import (
        ArticleError,
        ClusterError,
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
        StaleIndexWarning,
        WatchError,
    )
    from .feedback import (
        FEEDBACK_FILE,
        FeedbackRecord,
        append_feedback,
        feedback_key,
        read_feedback,
        record_feedback,
        snapshot_signature,
    )
    from .filters import Filters, parse_date, why_nothing_matches
    from .index import Index, follow_index, load_index, open_index
    from .retrieval import MAX_QUESTION_CHARS, MODES, Hit, Mode, clean_question, retrieve
    from .splitting import Sentence
    from .store import ArticleInfo, Counts
    from .wording import confidence_words, counted, file_size, shortened, sizes_apart, visible

_LAZY = {  # name -> module: `qa` itself imports nothing heavy, so `qa --help` and Ctrl-C at start stay instant
    "Answer": "answering",
    "AnswerSentence": "answering",
    "Article": "articles",
    "ArticleError": "errors",
    "ArticleInfo": "store",
    "BuildReport": "build",
    "Citation": "answering",
    "ClusterError": "errors",
    "ConfigError": "errors",
    "Counts": "store",
    "EncoderError": "errors",
    "FEEDBACK_FILE": "feedback",
    "FeedbackError": "errors",
    "FeedbackRecord": "feedback",
    "Filters": "filters",
    "Hit": "retrieval",
    "Index": "index",
    "IndexCorruptError": "errors",
    "IndexLockedError": "errors",
    "IndexMismatchError": "errors",
    "IndexNotFoundError": "errors",
    "IndexWriteError": "errors",
    "MAX_QUESTION_CHARS": "retrieval",
    "MODES": "retrieval",
    "Mode": "retrieval",
    "NoArticlesError": "errors",
    "OtherFolderError": "errors",
    "QAError": "errors",
    "QuestionError": "errors",
    "ReadLimits": "articles",
    "ReadResult": "articles",
    "SUPPORTED_SUFFIXES": "articles",
    "Sentence": "splitting",
    "Settings": "config",
    "Skipped": "articles",
    "Source": "articles",
    "StaleIndexWarning": "errors",
    "WatchError": "errors",
    "answer": "answering",
    "append_feedback": "feedback",
    "build_index": "build",
    "check_articles_folder": "build",
    "clean_question": "retrieval",
    "confidence_words": "wording",
    "counted": "wording",
    "feedback_key": "feedback",
    "file_size": "wording",
    "follow_index": "index",
    "ignored_name": "articles",
    "is_web_link": "articles",
    "load_index": "index",
    "load_settings": "config",
    "open_index": "index",
    "parse_date": "filters",
    "read_articles": "articles",
    "read_feedback": "feedback",
    "read_file": "articles",
    "record_feedback": "feedback",
    "refused_dict": "answering",
    "retrieve": "retrieval",
    "shortened": "wording",
    "skipped_count": "articles",
    "sizes_apart": "wording",
    "snapshot_signature": "feedback",
    "visible": "wording",
    "why_nothing_matches": "filters",
}


if not TYPE_CHECKING:  # a type checker given a module `__getattr__` reads any name as Any: `qa.retreive` passed

    def __getattr__(name: str) -> Any:
        """Import a public name's module on first use (PEP 562): `from qa import answer` works
        as ever, but `import qa.cli` does not load numpy, ONNX Runtime and the splitter."""
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'qa' has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value  # once: later lookups do not come here
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "FEEDBACK_FILE",
    "MAX_QUESTION_CHARS",
    "MODES",
    "SUPPORTED_SUFFIXES",
    "Answer",
    "AnswerSentence",
    "Article",
    "ArticleError",
    "ArticleInfo",
    "BuildReport",
    "Citation",
    "ClusterError",
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
    "ReadLimits",
    "ReadResult",
    "Sentence",
    "Settings",
    "Skipped",
    "Source",
    "StaleIndexWarning",
    "WatchError",
    "answer",
    "append_feedback",
    "build_index",
    "check_articles_folder",
    "clean_question",
    "confidence_words",
    "counted",
    "feedback_key",
    "file_size",
    "follow_index",
    "ignored_name",
    "is_web_link",
    "load_index",
    "load_settings",
    "open_index",
    "parse_date",
    "read_articles",
    "read_feedback",
    "read_file",
    "record_feedback",
    "refused_dict",
    "retrieve",
    "shortened",
    "sizes_apart",
    "skipped_count",
    "snapshot_signature",
    "visible",
    "why_nothing_matches",
]
