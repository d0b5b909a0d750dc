"""Which articles may answer a question: a date range, publishers or article ids.

A plain value: the store turns it into SQL (with parameters), retrieval applies it.
"""

from __future__ import annotations

import datetime as dt
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
        for name in ("since", "until"):
            object.__setattr__(self, name, _iso_date(name, getattr(self, name)))
        if isinstance(self.sources, str):  # Filters(sources="BBC"): one source, not three letters
            object.__setattr__(self, "sources", (self.sources,))
        elif not isinstance(self.sources, (list, tuple)) or not all(isinstance(x, str) for x in self.sources):
            raise QuestionError(f"sources={self.sources!r} must be publishers or article ids (text).")
        else:
            object.__setattr__(self, "sources", tuple(self.sources))
        # ISO dates compare as text; an empty range would only ever answer "not found".
        if self.since and self.until and self.since > self.until:
            raise QuestionError(
                f"The date range from {self.since} to {self.until} is empty: it starts after it ends; swap the dates."
            )

    @property
    def restricts(self) -> bool:
        """True when some articles are excluded (ordering preferences do not count)."""
        return bool(self.since or self.until or self.sources)


def _iso_date(name: str, value: object) -> str | None:
    """`value` as YYYY-MM-DD: stored dates are ISO text, compared as text, so "2025-5-1" or
    "May 1, 2025" would silently select the wrong articles."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise QuestionError(f"{name}={value!r} is not a date; use YYYY-MM-DD (e.g. 2026-01-31) or a datetime.date.")
