"""The exceptions the library raises on purpose.

Every error a user can cause (bad input, a missing or stale index, a busy index) is a
`QAError` whose message names the bad value and the fix. The CLI and the UI catch
`QAError` once and show the message; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class of every error this package raises for bad input or state."""


class ConfigError(QAError):
    """A setting (model, folder, size limit, ...) has a value that cannot work."""


class ArticleError(QAError):
    """The articles cannot be indexed at all (e.g. no readable article)."""


class NoArticlesError(ArticleError):
    """The articles folder holds no article that can be read (empty, or every file skipped)."""


class OtherFolderError(ArticleError):
    """A build would replace an index's articles with another folder's (`qa index --full` does it on purpose)."""


class QuestionError(QAError):
    """The question cannot be answered as asked (e.g. it is empty)."""


class IndexNotFoundError(QAError):
    """There is no built index at the given place."""


class IndexMismatchError(QAError):
    """The index was built with another model, other settings or another format.

    `newer` is True when a newer qa wrote it in a format this one cannot read: a build
    refuses to replace it unless told to (`qa index --full`).
    """

    def __init__(self, message: str, *, newer: bool = False) -> None:
        super().__init__(message)
        self.newer = newer


class IndexCorruptError(QAError):
    """An index file is truncated, damaged or inconsistent with the manifest."""


class IndexLockedError(QAError):
    """Another process is building the same index right now."""


class IndexWriteError(QAError):
    """A build could not write the index (a full disk, a read-only folder); the live index is as before.

    `problem` is the message without its fix, for a caller whose fix differs (the watcher
    tries again by itself).
    """

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(f"{problem} {fix}".strip())
        self.problem = problem


class EncoderError(QAError):
    """A model cannot be loaded or prepared: the embedding model, or the answer reader."""


class ClusterError(QAError):
    """Ray is missing, its cluster cannot be reached, or a worker cannot embed (`qa index --ray`)."""


class FeedbackError(QAError):
    """The feedback file cannot be read (a malformed line) or written."""


class WatchError(QAError):
    """The articles folder cannot be watched for changes (`qa index --watch`)."""


class StaleIndexWarning(UserWarning):
    """A newer build of an index could not be loaded (damaged, half-copied, another model):
    answers keep coming from the build loaded before it (`qa.open_index`)."""
