"""Which articles may answer a question: a date range, publishers or article ids.

A plain value: the store turns it into SQL (with parameters), retrieval applies it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import QuestionError


@dataclass(frozen=True)
class Filters:
    """Which articles may answer: a date range and/or sources.

    `sources` matches an article's publisher (case-insensitive) or its article id. With
    `prefer_recent`, the newer of two nearly equal passages ranks first.

    Example:
        >>> Filters(since="2026-01-01", sources=("AP",)).restricts
        True
    """

    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()
    prefer_recent: bool = False

    def __post_init__(self) -> None:
        # ISO dates compare as text; an empty range would only ever answer "not found".
        if self.since and self.until and self.since > self.until:
            raise QuestionError(
                f"The date range from {self.since} to {self.until} is empty: it starts after it ends; swap the dates."
            )

    @property
    def restricts(self) -> bool:
        """True when some articles are excluded (ordering preferences do not count)."""
        return bool(self.since or self.until or self.sources)
