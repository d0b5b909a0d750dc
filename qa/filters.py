"""Which articles may answer a question: a date range, publishers or article ids.

A plain value: the store turns it into SQL (with parameters), retrieval applies it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .articles import MONTH_NAMES
from .errors import QuestionError
from .wording import is_text, shell_path, shortened

if TYPE_CHECKING:
    from .articles import Source
    from .store import ArticleInfo


@dataclass(frozen=True)
class Filters:
    """Which articles may answer: a date range and/or sources.

    `sources` matches an article's publisher (case-insensitive), its article id, or the file it
    was read from (`feed.jsonl`: all of that file's records). `since`
    and `until` are days, read as article dates are (`parse_date`). With `prefer_recent`, the
    newest dated article the reader finds a sure answer in leads the answer (not with
    `fast=True`, which has no reader), and the newer of two nearly equal passages (scores
    within `retrieval.NEAR_TIE`, 0.01) ranks first.

    Example:
        >>> Filters(since="2026-01-01", sources=("AP",)).restricts
        True
    """

    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()
    prefer_recent: bool = False

    if TYPE_CHECKING:  # for type checkers only: what __post_init__ accepts and normalises
        # (dataclass writes the real __init__; tests/test_config.py keeps the two alike)
        def __init__(
            self,
            since: str | dt.date | None = None,
            until: str | dt.date | None = None,
            sources: str | Sequence[str] = (),
            prefer_recent: bool = False,
        ) -> None: ...

    def __post_init__(self) -> None:
        object.__setattr__(self, "since", parse_date(self.since, "since="))
        object.__setattr__(self, "until", parse_date(self.until, "until=", last_day=True))
        sources = (self.sources,) if isinstance(self.sources, str) else self.sources  # "BBC": one, not 3 letters
        if not isinstance(sources, (list, tuple)) or not all(isinstance(x, str) for x in sources):
            raise QuestionError(f"sources={self.sources!r:.80} must be publishers or article ids (text).")
        if not all(is_text(x) for x in sources):  # a lone surrogate reached the store's SQL and failed there
            raise QuestionError("sources hold bytes that are not valid text (invalid UTF-8); retype them.")
        # Stripped as dates are: " Coast Times " pasted from a list matched nothing; blanks match all.
        object.__setattr__(self, "sources", tuple(dict.fromkeys(x.strip() for x in sources if x.strip())))
        if not isinstance(self.prefer_recent, bool):  # prefer_recent="no" would be true
            raise QuestionError(f"prefer_recent={self.prefer_recent!r} must be True or False.")
        # ISO dates compare as text; an empty range would only ever answer "not found".
        if self.since and self.until and self.since > self.until:
            raise QuestionError(
                f"The date range from {self.since} to {self.until} is empty: it starts after it ends; swap the dates."
            )

    @property
    def restricts(self) -> bool:
        """True when some articles are excluded (ordering preferences do not count)."""
        return bool(self.since or self.until or self.sources)

    def admits(self, source: Source) -> bool:
        """Whether an article passes these filters, as the store's search applies them.

        Example:
            >>> from qa import Source
            >>> Filters(sources=("ap",)).admits(Source("a.txt", "Rates", "a.txt", "2026-01-16", "AP"))
            True
        """
        date = source.date
        if (self.since or self.until) and (
            date is None or (self.since and date < self.since) or (self.until and date > self.until)
        ):
            return False
        wanted = {s.lower() for s in self.sources}
        named = source.article_id in self.sources or source.path in self.sources
        return not self.sources or (source.publisher or "").lower() in wanted or named


def parse_date(value: object, label: str = "date ", last_day: bool = False) -> str | None:
    """`value` as YYYY-MM-DD, None when empty; the one date parser of filters, which the
    CLI's flags and the chat's fields use too, so all three accept and refuse alike.

    Stored dates are ISO text, compared as text, so a date is read into that form as an
    article's date is: "May 1, 2025" and "2025-5-1" are read; an all-number date is read
    when it is one day whichever comes first ("13/04/2025"), and refused with both days named
    when it is another day in the US and elsewhere ("03/04/2025"). A year ("2026") or a month
    ("January 2026", "2026-01") is its first day, or with `last_day` (a range's end) its last.
    `label` names the value in the message, with its separator ("since=", "--since ", "From date ").

    Raises:
        QuestionError: `value` is not a date; the message names it and the format.

    Example:
        >>> parse_date(" 2026-01-31 "), parse_date(""), parse_date(dt.date(2026, 1, 31))
        ('2026-01-31', None, '2026-01-31')
        >>> parse_date("March 13, 2025"), parse_date("2025-3-1")
        ('2025-03-13', '2025-03-01')
        >>> parse_date("2026"), parse_date("2026", last_day=True), parse_date("Feb 2024", last_day=True)
        ('2026-01-01', '2026-12-31', '2024-02-29')
        >>> parse_date("soon", "--since ")
        Traceback (most recent call last):
        ...
        qa.errors.QuestionError: --since 'soon' is not a date: write it as 2026-01-31, 31 January 2026, 2026-01 or 2026.
        >>> parse_date("03/04/2025", "")
        Traceback (most recent call last):
        ...
        qa.errors.QuestionError: '03/04/2025' could be 4 March or 3 April 2025: write it as 2025-03-04 or 2025-04-03.
        >>> parse_date("13/04/2025")  # one day, in either order
        '2025-04-13'
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        from .articles import all_number_readings, read_date, two_days

        if read := read_date(value):  # as an article's date is read: "March 13, 2025", "13/04/2025"
            return read
        if span := _year_or_month(value):
            return (span[1] if last_day else span[0]).isoformat()
        if len(readings := all_number_readings(value)) == 2:  # "03/04/2025": 3 April in most places, 4 March in the US
            raise QuestionError(f"{label}{value!r:.60} {': '.join(two_days(readings))}.")
    raise QuestionError(
        f"{label}{value!r:.60} is not a date: write it as 2026-01-31, 31 January 2026, 2026-01 or 2026."
    )


_YEAR_OR_MONTH = re.compile(r"(?:(?P<name>[a-z]{3,9})\.?,?\s+)?(?P<year>(?:19|20)\d\d)(?:[-/.](?P<month>\d{1,2}))?")


def _year_or_month(value: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a year ("2026") or a month ("January 2026", "Jan. 2026", "2026-01")."""
    found = _YEAR_OR_MONTH.fullmatch(value.strip().lower())
    if not found or (found["name"] and found["month"]):
        return None
    year = int(found["year"])
    if found["name"]:  # "jan", "sept", "january" (3 letters at least); not "janx" or "mayday"
        named = [i for i, full in enumerate(MONTH_NAMES, start=1) if full.lower().startswith(found["name"])]
        if not named:
            return None
        month = named[0]
    elif found["month"]:
        month = int(found["month"])
        if not 1 <= month <= 12:
            return None
    else:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def why_nothing_matches(filters: Filters, articles: Sequence[ArticleInfo]) -> str | None:
    """Why no article of `articles` passes `filters`, in a sentence that says what to change;
    None when some article does pass them (a search then found nothing for the question's own
    words: "No article matches these filters" said so of filters that matched).

    Example:
        >>> why_nothing_matches(Filters(since="2030-01-01"), [])
        'None of the articles has a date, so none is in a date range: leave the dates out to search all articles.'
    """
    if not isinstance(filters, Filters):
        raise QuestionError(f"filters={filters!r:.80} must be a Filters (e.g. Filters(since='2026-01-01')).")
    if filters.sources:
        publishers = {a.source.publisher.lower(): a.source.publisher for a in articles if a.source.publisher}
        ids = {a.source.article_id for a in articles} | {a.source.path for a in articles}
        unknown = [s for s in filters.sources if s.lower() not in publishers and s not in ids]
        if len(unknown) == len(filters.sources):
            # "business/001" for "bbc.jsonl#business/001", "bbc.jsonl" for its records
            near = sorted(i for i in ids if any(i.endswith(f"#{s}") or i.split("#")[0] == s for s in unknown))
            names = sorted(publishers.values())
            # "Evening Post" for "Riverton Evening Post": a publisher is matched whole
            near = [p for p in names if any(s.casefold() in p.casefold() for s in unknown)] + near
            hint = f" (did you mean {', '.join(near[:3])}{', …' if len(near) > 3 else ''}?)" if near else ""
            listed = [p.strip() for s in unknown if "," in s for p in s.split(",") if p.strip()]
            if listed and all(p.lower() in publishers or p in ids for p in listed):  # "BBC,Reuters": two sources
                each = " ".join(f"--source {shell_path(p)}" for p in listed)
                hint = f" (name each source on its own: sources={tuple(listed)!r}, or {each}){hint}"
            named = _named(names, quoted=False) or "none names one"
            return (
                f"No article has the publisher or id {_named(unknown)}{hint}. Sources are publishers "
                f"({named}), article ids or file names, as the chat's Articles tab and the command qa info list them."
            )
    if filters.since or filters.until:
        dates = sorted(a.source.date for a in articles if a.source.date)
        if not dates:
            return (
                "None of the articles has a date, so none is in a date range: leave the dates out to search all "
                "articles."
            )
        inside = [
            d for d in dates if (not filters.since or d >= filters.since) and (not filters.until or d <= filters.until)
        ]
        if not inside:
            wanted = f"from {filters.since}" if filters.since else ""
            wanted += f"{' ' if wanted else ''}to {filters.until}" if filters.until else ""
            return f"No article is dated {wanted}: the articles' dates run from {dates[0]} to {dates[-1]}."
    if any(filters.admits(a.source) for a in articles):
        return None
    return "No article matches these filters together (date range and sources); widen them to search all articles."


def unknown_sources(filters: Filters, publishers: Iterable[str], article: Callable[[str], object | None]) -> str | None:
    """A notice naming the sources in `filters` that no article has, when the others match
    some (when none does, nothing matches and `why_nothing_matches` says why). A typo in one
    of two sources was ignored without a word: the answer came from the other alone.

    Example:
        >>> unknown_sources(Filters(sources=("BBC", "Reuter")), ["BBC", "Reuters"], lambda article_id: None)
        "No article has the publisher or id 'Reuter', so only BBC was searched. Publishers here: BBC, Reuters."
    """
    known = {p.lower(): p for p in publishers}
    unknown = [s for s in filters.sources if s.lower() not in known and article(s) is None]
    if not unknown or len(unknown) == len(filters.sources):
        return None
    searched = _named([s for s in filters.sources if s not in unknown], quoted=False)
    named = _named(sorted(known.values()), quoted=False)
    return f"No article has the publisher or id {_named(unknown)}, so only {searched} was searched." + (
        f" Publishers here: {named}." if named else ""
    )


def _named(sources: Sequence[str], quoted: bool = True) -> str:
    """Sources for a notice: the first five, each cut at 60 characters (a 1 MB reply repeated
    a thousand long ones).

    Example:
        >>> _named(["BBC", "x" * 80, "a", "b", "c", "d"])
        "'BBC', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…', 'a', 'b', 'c' and 1 more"
    """
    shown = [shortened(s, 60) for s in sources[:5]]
    text = ", ".join(map(repr, shown) if quoted else shown)
    return text + (f" and {len(sources) - 5:,} more" if len(sources) > 5 else "")
