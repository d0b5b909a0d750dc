"""Reading articles from a folder: .txt, .md, .html/.htm, .json, .jsonl, .pdf and .docx.

Bad input never stops a build: each unreadable file (or JSON line) becomes one `Skipped`
entry naming the file and the reason, and everything else is still read.

Symbolic links are followed only inside the articles folder unless the caller allows more
(`follow_links`): a link to /etc/passwd is not an article. A file reached under two names
(a link and its target, or two hard links) is read once.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import datetime as dt
import errno
import functools
import hashlib
import io
import itertools
import json
import logging
import math
import os
import pickle
import re
import signal
import stat
import subprocess
import sys
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any, NamedTuple, TypeGuard
from urllib.parse import quote

from .config import DEFAULT_MAX_FILE_MB
from .decoding import NotText, decode
from .errors import ConfigError
from .splitting import split_sentences
from .wording import file_size, one_line, shortened, sizes_apart, visible

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".pdf", ".docx")
# Raise it with any change to these rules that reads some file otherwise (a title, a date, the
# text): an index records it, and an update by a newer reader reads every file again, where
# it skipped unchanged files and kept what the old rules made of them until `--full`. Only
# articles that now read otherwise are embedded again.
READING_RULES = 6
TITLE_CHARS = 80

_HEADER_KEYS = ("title", "date", "source", "url")
# "title: X", "Date - 2026-01-13", "date 2026-01-13"; the key must start the line.
# "Author: Jane Roe" is a header too (taken off the text, not shown: a citation names the
# publisher); it used to end the header lines, leaving a "Source:" under it in the text.
_HEADER_LINE = re.compile(
    r"^\s*(title|headline|date|published|source|publisher|url|author|byline)\s*[:\-]?\s+(.+?)\s*$", re.IGNORECASE
)
# "Title:" or "Date:" with nothing after it: a header line all the same (it ended the header lines).
_EMPTY_HEADER = re.compile(r"^\s*(?:title|headline|date|published|source|publisher|url|author|byline)\s*:\s*$", re.I)
# Any short "Key: value" line: among header lines, one this reader does not use ("Category: Politics").
# Not a sentence: "Update: The bank cut rates on Monday." over "Author: …" is the text's.
_OTHER_HEADER = re.compile(r"^\s*[A-Za-z][\w-]*(?: [\w-]+){0,2}\s*:\s+\S.{0,200}?(?<![.!?\s])\s*$")
# The meta key holding what reading the header lines or front matter has to warn of, a line each.
_NOTES = "notes"
# "Published: January 16, 2026" (a news page's own word for it) is the article's date; the
# others are the words JSON exports use (`_RECORD_KEYS`), which front matter uses too. A
# "Headline:" line was not a header, so the whole header block became the title and a sentence.
_HEADER_SYNONYMS = {
    "published": "date",
    "published_at": "date",
    "publishedat": "date",
    "pubdate": "date",
    "datepublished": "date",
    "headline": "title",
    "publisher": "source",
    "link": "url",
    "byline": "author",
}
# The seed's first line is " date 2026-01-13 As Canadian leader ...": a date prefix glued
# to the body on the same line.
_INLINE_DATE = re.compile(r"^\s*date[:\s]\s*(\d{4}-\d{2}-\d{2})\b[ \t]*", re.IGNORECASE)
# "By Jane Doe · January 16, 2026", "Reporting by X; Editing by Y": see `is_byline`.
_BYLINE = re.compile(r"^(?:by|(?:written|reporting|reported|additional reporting) by)\s+\S", re.IGNORECASE)
# A wire editor's note on the story itself, not its text: "(This Dec 7 story corrects the date in
# paragraph 3)", "(Adds details on casualties in paragraph 4)", "(Updates with vote count)".
_EDITORS_NOTE = re.compile(
    r"^\s*\((?:this\b[^()\n]*?\b(?:story|article|version|report)\b|(?:adds|updates?|updated|corrects?|corrected|"
    r"correction|recasts|refiles|repeats|removes|changes|fixes|clarifies|rewrites|writes\s+through|"
    r"editor['’]?s\s+note)\b)[^()\n]*\)\s*$",
    re.IGNORECASE,
)
# A control character, or a byte of a name that is not UTF-8 (escaped as a lone surrogate).
_UNUSABLE_NAME = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
# Any level: a file opening with "## Rail strike called off" was titled with its "##".
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_MD_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
# A word needs a letter or a digit, in any script ("[^\W_]" is str.isalnum): "... --- !!!"
# is not an article, "北京", "القاهرة" and "Москва" are.
_WORD_CHAR = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Source:
    """Which article a passage, hit or citation comes from: what a citation shows.

    `article_id` is the article's identity everywhere (store, hits, citations, filters),
    stable across rebuilds: the file's path relative to the articles folder, plus
    `#<record id>` (or `#<line>`) for JSON records. `publisher` is the `source:` header
    (e.g. "BBC"); `path` the file, relative to the articles folder. `pages` holds, for a
    PDF, the body offset at which each of its pages begins (page 1 at 0); () for formats
    without pages.

    Example:
        >>> Source("carney.txt", "Carney visits China", "carney.txt", date="2026-01-13").date
        '2026-01-13'
    """

    article_id: str
    title: str
    path: str
    date: str | None = None
    publisher: str | None = None
    url: str | None = None
    pages: tuple[int, ...] = field(default=(), repr=False)

    def page_at(self, offset: int) -> int | None:
        """The page (1-based) holding the body character at `offset`, or None without pages.

        Example:
            >>> Source("a.pdf", "Oil", "a.pdf", pages=(0, 1200, 2400)).page_at(1500)
            2
        """
        return bisect.bisect_right(self.pages, offset) or None

    def to_dict(self) -> dict[str, str | None]:
        """The source as JSON keys: `article_id`, `title`, `date`, `source` (the publisher), `url`, `file`.

        "file", not "path": gradio_client treats any dict with a "path" key as a file to download.

        Example:
            >>> Source("carney.txt", "Carney visits China", "carney.txt", publisher="CBC").to_dict()["source"]
            'CBC'
        """
        return {
            "article_id": self.article_id,
            "title": self.title,
            "date": self.date,
            "source": self.publisher,
            "url": self.url,
            "file": self.path,
        }


@dataclass(frozen=True)
class Article:
    """One article: where it comes from and its text.

    Example:
        >>> Article(Source("a.txt", "Title", "a.txt"), "Body.").source.title
        'Title'
    """

    source: Source
    body: str

    @functools.cached_property
    def content_hash(self) -> str:
        """Hash of everything that is embedded or shown; a change means re-indexing.

        Computed once per article: a build asks for it in several places (the diff with the
        index, moved articles, saved vectors), each a pass over the whole corpus's text.
        """
        s = self.source
        # Pages only when there are some: the hash of every other article stays what it was.
        blob = json.dumps([s.title, s.date, s.publisher, s.url, self.body, *([list(s.pages)] if s.pages else [])])
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class Skipped:
    """A file (or JSON record) that was not read, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        # On one line (`one_line`): a record id holding a line break forged lines of the report.
        return f"{one_line(self.path)}: {one_line(self.reason, 1000)}"


class FileStamp(NamedTuple):
    """A file as last read: size, modification and change times, and the ids of the articles it gave.

    An update skips files whose size and times are unchanged (as make and git do), so a
    folder of 100k articles costs 100k `stat` calls, not 100k reads. (A named tuple, not a
    frozen dataclass: an update makes 100k of them, 4x faster.) The change time (`st_ctime`)
    is what no copy can set: a file replaced by another of the same size and modification
    time (`cp -p`, `tar x`, `curl -R`, `rsync -t`) is read again. 0: not recorded (indexes
    built before it was), then size and modification time decide.
    """

    size: int
    mtime_ns: int
    articles: tuple[str, ...]
    # Its records that were skipped and its caveats, as (where, why): an update that does not
    # read the file again still reports them, rather than seem to have fixed them.
    skipped: tuple[tuple[str, str], ...] = ()
    warnings: tuple[tuple[str, str], ...] = ()
    ctime_ns: int = 0


@dataclass(frozen=True)
class ReadResult:
    articles: tuple[Article, ...]
    skipped: tuple[Skipped, ...]
    warnings: tuple[Skipped, ...] = ()  # read, but with a caveat (e.g. not UTF-8)
    files: dict[str, FileStamp] = field(default_factory=dict)  # every file that gave articles
    not_read: tuple[str, ...] = ()  # ids of the articles in files skipped as unchanged


@dataclass(frozen=True)
class ReadLimits:
    """What reading one file may cost, for files from people you do not trust (the chat's uploads).

    With limits, `read_file` reads in a child process that is stopped past `seconds` and may
    not hold more than `memory_mb` of memory; a file that needs more is skipped with the reason.
    The caps on each format (pages, elements, characters) stop most files built to cost a server
    dearly, but not all: 20 MB of HTML list items took 202 s and 7.5 GB to read here (with the
    default limits: refused after 19 s), and a security audit made 1.3 KB of PDF that reuses one
    drawing thousands of times take 135 s. The defaults leave room for real articles: 400 pages
    of PDF (0.6 MB) read in 1.3 s, a 0.8 MB Markdown file in 0.9 s, 300,000 JSON records (15 MB)
    in 7 s. (The memory limit is the child's address space: not enforced on macOS, and there is
    none on Windows, where only the time limit applies.)

    Example:
        >>> ReadLimits(seconds=30).memory_mb
        2048
    """

    seconds: float = 60.0
    memory_mb: int = 2048

    def __post_init__(self) -> None:
        seconds, memory_mb = self.seconds, self.memory_mb
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 1 <= seconds <= 86_400:
            raise ConfigError(f"ReadLimits(seconds={seconds!r:.40}): give a number of seconds from 1 to 86,400.")
        if isinstance(memory_mb, bool) or not isinstance(memory_mb, int) or memory_mb < 256:
            raise ConfigError(f"ReadLimits(memory_mb={memory_mb!r:.40}): give a whole number of MB, at least 256.")


def _check_size_limit(max_file_bytes: object) -> None:
    """Refuse a size limit that is no number of bytes: NaN read every file, however large, and
    None or text failed at the first file with a TypeError."""
    if isinstance(max_file_bytes, bool) or not isinstance(max_file_bytes, (int, float)) or not max_file_bytes > 0:
        raise ConfigError(
            f"max_file_bytes={max_file_bytes!r:.40} must be a number of bytes above 0 "
            f"(default {int(DEFAULT_MAX_FILE_MB * 1024 * 1024):,}: {DEFAULT_MAX_FILE_MB:g} MB)."
        )


class _Skip(Exception):
    """Internal: this file or record cannot be read, for the reason given."""


def read_articles(
    folder: Path | str,
    max_file_bytes: int = int(DEFAULT_MAX_FILE_MB * 1024 * 1024),
    *,
    follow_links: bool = False,
    known: Mapping[str, FileStamp] | None = None,
    on_file: Callable[[int, int], None] | None = None,
) -> ReadResult:
    """Read every supported file under `folder` (recursively, hidden files ignored).

    Files listed in `known` with the same size and modification time are not read again:
    their article ids go to `ReadResult.not_read` (the caller knows their content).
    `on_file(done, total)` is called after each file found (the build's progress bar).

    Symbolic links (to files or folders) whose target lies inside `folder` are read, unless
    the target is read under its own name anyway. Links that lead outside `folder` are
    skipped with a reason unless `follow_links` is true; broken links and link loops are
    always skipped with a reason. Devices, pipes and sockets are never read.

    Example:
        >>> result = read_articles("seeds")
        >>> result.articles[0].source.date
        '2026-01-13'
    """
    if not isinstance(folder, (str, os.PathLike)):
        raise ConfigError(f"folder={folder!r:.80} must be the articles folder (str or Path).")
    _check_size_limit(max_file_bytes)
    root = Path(folder)
    articles: list[Article] = []
    files, skipped = _find_files(root, follow_links)
    warnings: list[Skipped] = []
    seen: set[str] = set()
    stamps: dict[str, FileStamp] = {}
    not_read: list[str] = []
    for done, (rel, name, (size, mtime_ns, ctime_ns)) in enumerate(files):
        if on_file is not None:  # files done so far (a loop with several ends)
            on_file(done, len(files))
        before = known.get(rel) if known else None
        if (
            before is not None
            and (before.size, before.mtime_ns) == (size, mtime_ns)
            and before.ctime_ns in (0, ctime_ns)
        ):
            fresh = [a for a in before.articles if a not in seen]
            seen.update(fresh)
            not_read.extend(fresh)
            stamps[rel] = before._replace(articles=tuple(fresh), ctime_ns=ctime_ns)  # recorded from now on
            skipped.extend(Skipped(*pair) for pair in before.skipped)
            warnings.extend(Skipped(*pair) for pair in before.warnings)
            continue
        path = Path(name)
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(
                Skipped(
                    rel,
                    f"unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}",
                )
            )
            continue
        result = read_file(path, rel, max_file_bytes)
        skipped.extend(result.skipped)
        warnings.extend(result.warnings)
        kept = []
        repeated = []  # kept with the file's stamp: an update that does not read it again still says so
        for article in result.articles:
            article_id = article.source.article_id
            if article_id in seen:  # (a file's own records never repeat an id: `_json_articles`)
                repeated.append(Skipped(article_id, f"{rel} gives an article id another file gave; that one was kept"))
            else:
                seen.add(article_id)
                articles.append(article)
                kept.append(article_id)
        skipped.extend(repeated)
        if kept:
            stamps[rel] = FileStamp(
                size,
                mtime_ns,
                tuple(kept),
                tuple((x.path, x.reason) for x in (*result.skipped, *repeated)),
                tuple((x.path, x.reason) for x in result.warnings),
                ctime_ns,
            )
    if on_file is not None and files:
        on_file(len(files), len(files))
    return ReadResult(tuple(articles), tuple(skipped), tuple(warnings), stamps, tuple(not_read))


@dataclass(frozen=True)
class _Found:
    """A regular file met during the walk: `rel` is its name under the articles folder."""

    rel: str
    path: str  # a string, not a Path: a walk of 100k files spends seconds making Paths
    identity: tuple[int, int] | str  # (device, inode), or the real path where inodes are 0
    via_link: bool  # reached through a symbolic link (to it, or to a folder above it)
    stamp: tuple[int, int, int]  # size, modification and change times (ns)


def _stamp(info: os.stat_result) -> tuple[int, int, int]:
    """What an update compares to tell a file unchanged (see `FileStamp`)."""
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns


def _find_files(root: Path, follow_links: bool) -> tuple[list[tuple[str, str, tuple[int, int, int]]], list[Skipped]]:
    """The files to read under `root` as (rel, path, (size, mtime_ns, ctime_ns)), sorted, and the entries passed over.

    The walk is explicit (os.scandir, never following a link without checking it first)
    because `Path.rglob` follows folder links in some Python versions and not in others.
    """
    from .store.layout import is_index_folder  # (loaded by then in a build; `qa.articles` alone need not)

    root_real = Path(os.path.realpath(root))
    found: list[_Found] = []
    problems: list[Skipped] = []

    def outside(target: Path) -> bool:
        return target != root_real and root_real not in target.parents

    # Depth-first with a stack of the folders still to list: no recursion limit on deep trees.
    stack: list[tuple[Path, str, Path, bool]] = [(root, "", root_real, False)]
    walked: set[Path] = {root_real}
    while stack:
        folder, rel_folder, real_folder, via_link = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            problems.append(Skipped(rel_folder or ".", f"cannot list the folder ({exc.strerror or exc})"))
            continue
        subfolders = []
        for entry in entries:
            if ignored_name(entry.name):
                continue
            rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
            if _UNUSABLE_NAME.search(entry.name):
                # Not UTF-8 (read with surrogate escapes), or a control character such as a
                # newline in it: it could be neither stored, shown nor cited as it is.
                why = "the file name is not UTF-8 text or holds a control character; rename the file"
                problems.append(Skipped(escaped_name(rel), why))  # with its folder: "sub/bad\nname.txt"
                continue
            is_link = entry.is_symlink()
            try:
                info = entry.stat()  # follows links: what would be read
            except OSError as exc:
                problems.append(Skipped(rel, _unreachable(exc, Path(entry.path), is_link)))
                continue
            if not is_link and stat.S_ISREG(info.st_mode) and info.st_ino:  # the common case, kept cheap
                found.append(
                    _Found(
                        rel,
                        entry.path,
                        (info.st_dev, info.st_ino),
                        via_link,
                        _stamp(info),
                    )
                )
                continue
            path = Path(entry.path)
            real = Path(os.path.realpath(path)) if is_link else real_folder / entry.name
            if is_link and outside(real) and not follow_links:
                kind = "folder" if stat.S_ISDIR(info.st_mode) else "file"
                problems.append(
                    Skipped(
                        rel,
                        f"links outside the articles folder (to the {kind} {real}); not followed "
                        "unless allowed (qa index --follow-links, QA_FOLLOW_LINKS=1)",
                    )
                )
            elif stat.S_ISDIR(info.st_mode):
                # Only a link can lead back up: a subfolder proper is new, and real_folder/name.
                if is_index_folder(path):  # one line, not a "skipped: unsupported file type" per index file
                    problems.append(Skipped(rel, _INDEX_INSIDE))
                elif is_link and (real == real_folder or real in real_folder.parents):
                    problems.append(Skipped(rel, "link loop: links to a folder that contains it; not followed"))
                elif real in walked or (is_link and not outside(real) and not _hidden(real.relative_to(root_real))):
                    # Its files are read under their own names (or were, through another link).
                    where = str(real) if outside(real) else real.relative_to(root_real).as_posix()
                    what = "links to" if is_link else "is"
                    problems.append(
                        Skipped(rel, f"{what} a folder that is read under another name ({where}); not read twice")
                    )
                else:
                    walked.add(real)
                    subfolders.append((path, rel, real, via_link or is_link))
            elif stat.S_ISREG(info.st_mode):
                identity = (info.st_dev, info.st_ino) if info.st_ino else str(real)
                found.append(
                    _Found(
                        rel,
                        entry.path,
                        identity,
                        via_link or is_link,
                        _stamp(info),
                    )
                )
            else:
                problems.append(Skipped(rel, "not a regular file (a device, pipe or socket); not read"))
        stack.extend(reversed(subfolders))  # listed in name order, so the first of two links to one folder wins

    # One name per file: the one reached without a link, else the first in sorted order.
    first: dict[tuple[int, int] | str, _Found] = {}
    for f in sorted(found, key=lambda f: (f.via_link, _sort_key(f.rel))):
        kept = first.setdefault(f.identity, f)
        if kept is not f:
            problems.append(Skipped(f.rel, f"same file as {kept.rel} (a link to it, or a hard link); read once"))
    files = sorted(((f.rel, f.path, f.stamp) for f in first.values()), key=lambda item: _sort_key(item[0]))
    return files, sorted(problems, key=lambda skipped: _sort_key(skipped.path))


_INDEX_INSIDE = (
    "a qa index (built here by another command), not articles; not read: move it out of the articles folder, "
    "or give it a name starting with '.'"
)


def _unreachable(exc: OSError, path: Path, is_link: bool) -> str:
    """Why `os.stat` failed, for a user: a loop, a broken link, or the system's reason."""
    if not is_link:
        return f"cannot read the file ({exc.strerror or exc})"
    if exc.errno == errno.ELOOP:
        return "link loop: the link leads back to itself (directly or through other links); not followed"
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    if exc.errno == errno.ENOENT:
        return f"broken link: its target {target} does not exist"
    return f"broken link: its target {target} cannot be reached ({exc.strerror or exc})"


def escaped_name(rel: str) -> str:
    r"""A path as a skip names it when it is not UTF-8 or holds a control character: escaped,
    as Python writes it, so that a newline cannot break the report's line.

    Example:
        >>> print(escaped_name("sub/bad\nname.txt"))
        sub/bad\nname.txt
    """
    return repr(rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))[1:-1]


def ignored_name(name: str) -> bool:
    """Names never read as articles: hidden ones, and the lock file Word keeps beside an open
    document (it ends in .docx too; LibreOffice's, ".~lock.a.docx#", is hidden anyway).

    Example:
        >>> ignored_name(".draft.txt"), ignored_name("~$story.docx"), ignored_name("story.docx")
        (True, True, False)
    """
    return name.startswith((".", "~$"))


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def _sort_key(rel: str) -> str:
    """The order `sorted(Path)` gave: part by part ("a/b" before "a-c"). NUL sorts below any
    character a name can hold, so comparing the joined string compares part by part (a
    string key sorts 100k names several times faster than a list of parts)."""
    return rel.replace("/", "\0")


def read_file(
    path: Path | str,
    rel: str,
    max_file_bytes: int = int(DEFAULT_MAX_FILE_MB * 1024 * 1024),
    limits: ReadLimits | None = None,
) -> ReadResult:
    """Read the article(s) of one file; `rel` is its name relative to the articles folder.

    With `limits`, the file is read in a child process that may cost no more than they allow
    (see `ReadLimits`); otherwise in this process.

    Example:
        >>> read_file("seeds/carney-china-trip.txt", "carney-china-trip.txt").articles[0].source.article_id
        'carney-china-trip.txt'
        >>> read_file("seeds/carney-china-trip.txt", "a.txt", limits=ReadLimits()).articles[0].source.date
        '2026-01-13'
    """
    if not isinstance(path, (str, os.PathLike)) or not isinstance(rel, str):
        raise ConfigError(f"read_file({path!r:.60}, {rel!r:.60}): give the file (str or Path) and its name (str).")
    _check_size_limit(max_file_bytes)
    if limits is not None:
        if not isinstance(limits, ReadLimits):
            raise ConfigError(f"read_file(limits={limits!r:.60}): give a ReadLimits, or None to read in this process.")
        return _read_apart(Path(path), rel, max_file_bytes, limits)
    path = Path(path)
    warnings: list[Skipped] = []
    try:
        size = path.stat().st_size
        if size > max_file_bytes:
            shown, limit = sizes_apart(size, max_file_bytes)
            raise _Skip(f"file is {shown}, over the {limit} limit (raise it with --max-file-mb or QA_MAX_FILE_MB)")
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            title, body, meta, pages = _pdf_article(path.read_bytes())
            return _one_article(rel, title, body, meta, warnings, pages)
        if suffix == ".docx":
            title, body, meta = _docx_article(path.read_bytes())
            return _one_article(rel, title, body, meta, warnings)
        try:
            text, note = decode(path.read_bytes())
        except NotText as why:
            raise _Skip(str(why)) from None
        if note:
            warnings.append(Skipped(rel, note))
        if not text.strip():
            raise _Skip("file is empty" if not text else "file holds only blank space")
        if suffix in (".json", ".jsonl"):
            found = list(_json_articles(text, rel, jsonl=suffix == ".jsonl"))
            articles = tuple(a for a in found if isinstance(a, Article))
            skipped = _at_most(tuple(s for s in found if isinstance(s, Skipped)), rel)
            warnings += [w.about for w in found if isinstance(w, _Warning)]
            if not articles and not skipped:
                raise _Skip("no records found")
            return ReadResult(articles, skipped, tuple(warnings))
        if suffix in (".html", ".htm"):
            try:
                title, body, meta = _html_article(text)
            except (_Skip, MemoryError):
                raise
            except Exception as exc:  # lxml's XPathEvalError on 45 MB of "<li>a" failed every build
                raise _Skip(f"cannot read the web page ({type(exc).__name__}: {str(exc)[:200]})") from None
        else:
            # Markdown costs its parser ~0.7 KB a byte (5 MB of "#" lines took 3.5 GB): a file
            # larger than any article written in it is read as the plain text it is.
            markdown = suffix == ".md" and len(text) <= _MAX_MARKDOWN_CHARS
            if not markdown:  # the Markdown parser decodes them itself, and "&lt;b&gt;" must stay text there
                text = character_references_decoded(text)
            title, body, meta = _text_article(text, markdown=markdown)
            if markdown:
                title = _markdown_inline(title) if title else title  # "# About <b>bees</b>": About bees
                body = _markdown_text(body, title)
        return _one_article(rel, title, body, meta, warnings)
    except _Skip as why:
        return ReadResult((), (Skipped(rel, str(why)),), tuple(warnings))
    except OSError as exc:
        return ReadResult((), (Skipped(rel, f"cannot read the file ({exc.strerror or exc})"),), ())


MAX_SKIPPED_RECORDS = 20  # a file's skipped records listed; a broken export skips thousands


def _at_most(skipped: tuple[Skipped, ...], rel: str) -> tuple[Skipped, ...]:
    """A file's first `MAX_SKIPPED_RECORDS` skipped records, and a line counting the rest."""
    if len(skipped) <= MAX_SKIPPED_RECORDS:
        return skipped
    more = len(skipped) - MAX_SKIPPED_RECORDS
    return (*skipped[:MAX_SKIPPED_RECORDS], Skipped(rel, f"… and {more:,} {_FOLDED}"))


_FOLDED = "more of its records skipped"


def folded_skips(skipped: Skipped) -> int:
    """How many skipped records the line `_at_most` put in their place stands for (0 for any
    other line).

    Example:
        >>> folded_skips(Skipped("f.jsonl", "… and 1,204 more of its records skipped")), folded_skips(Skipped("a", "x"))
        (1204, 0)
    """
    found = re.fullmatch(rf"… and ([\d,]+) {_FOLDED}", skipped.reason)
    return int(found[1].replace(",", "")) if found else 0


def skipped_count(skipped: Sequence[Skipped]) -> int:
    """How many files and records `skipped` names, a "… and N more" line counted as N.

    Example:
        >>> folded = Skipped("f.jsonl", "… and 7 more of its records skipped")
        >>> skipped_count([Skipped("a.txt", "file is empty"), folded])
        8
    """
    return sum(folded_skips(s) or 1 for s in skipped)


def _read_apart(path: Path, rel: str, max_file_bytes: int, limits: ReadLimits) -> ReadResult:
    """`read_file` in a child process held to `limits`; past them, the file is skipped."""
    # A new interpreter (not multiprocessing's fork, which copies a server's threads and the
    # locks they hold, nor its spawn, which runs the caller's main script again): it imports
    # this module in ~0.14 s, the parsers load on use. Its own session, so that a terminal's
    # Ctrl-C meant for the server does not print the child's traceback.
    package_root = str(Path(__file__).resolve().parent.parent)  # the child reads with this very qa
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (package_root, os.environ.get("PYTHONPATH"))))}
    child = subprocess.Popen(
        [sys.executable, "-c", "import qa.articles; qa.articles._read_child()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    request = pickle.dumps((str(path), rel, max_file_bytes, limits.seconds, limits.memory_mb))
    outcome: object
    try:
        sent, _ = child.communicate(request, timeout=limits.seconds)
        outcome = pickle.loads(sent)
    except subprocess.TimeoutExpired:
        outcome = "seconds"
    except Exception:  # nothing, or cut short: the child died (a limit the kernel enforces, a crash)
        outcome = "seconds" if child.returncode == -getattr(signal, "SIGXCPU", 0) else None
    finally:  # also when this thread is interrupted: no reader is left running
        child.kill()
        child.wait()
    if isinstance(outcome, ReadResult):
        return outcome
    fix = "if the file is genuine, put it in the articles folder and run qa index (no limits there)"
    if outcome == "seconds":
        reason = f"reading it took over {limits.seconds:g} s, the limit for this file; {fix}"
    elif outcome == "memory":
        reason = f"reading it needed over {limits.memory_mb:,} MB of memory, the limit for this file; {fix}"
    elif isinstance(outcome, str):
        reason = f"reading it failed ({outcome[:200]})"
    else:
        reason = f"reading it stopped the reader (exit code {child.returncode}); {fix}"
    return ReadResult((), (Skipped(rel, reason),), ())


def _read_child() -> None:
    """The child's side of `_read_apart`: the request on stdin, the pickled result on stdout."""
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what a parser prints goes to stderr, not into the result
    path, rel, max_file_bytes, seconds, memory_mb = pickle.loads(sys.stdin.buffer.read())
    _limit_this_process(seconds, memory_mb)
    outcome: object
    try:
        outcome = read_file(path, rel, max_file_bytes)
    except MemoryError:
        outcome = "memory"
    except Exception as exc:  # not expected from read_file; said rather than lost
        outcome = f"{type(exc).__name__}: {exc}"
    try:
        data = pickle.dumps(outcome)
    except MemoryError:
        data = pickle.dumps("memory")
    results.write(data)
    results.flush()


def _limit_this_process(seconds: float, memory_mb: int) -> None:
    """Cap this process's address space, and its CPU time a little past `seconds` (so that a
    reader whose server died cannot run on for long). POSIX only: on Windows the parent's
    clock is the only limit; macOS does not enforce the address space limit."""
    try:
        import resource
    except ImportError:
        return
    for kind, wanted in ((resource.RLIMIT_AS, memory_mb * 1024 * 1024), (resource.RLIMIT_CPU, math.ceil(seconds) + 5)):
        try:
            _, hard = resource.getrlimit(kind)
            resource.setrlimit(kind, (wanted if hard == resource.RLIM_INFINITY or wanted < hard else hard, hard))
        except (ValueError, OSError):  # a limit the system refuses: the others still apply
            pass


def _one_article(
    rel: str, title: str | None, body: str, meta: dict[str, str], warnings: list[Skipped], pages: tuple[int, ...] = ()
) -> ReadResult:
    """The result for a file that holds one article, with a warning when its date header
    could not be read (the article is indexed without a date)."""
    notes = meta.pop(_NOTES, "")
    article = _make_article(rel, rel, title, body, meta, pages)
    warnings.extend(Skipped(rel, note) for note in notes.split("\n") if note)
    if meta.get("date") and article.source.date is None:
        warnings.append(Skipped(rel, _unread_date(meta["date"])))
    if meta.get("url") and article.source.url is None:
        warnings.append(Skipped(rel, _unkept_link(meta["url"])))
    return ReadResult((article,), (), tuple(warnings))


def _unread_date(value: str) -> str:
    """The warning for a date that was given but could not be read (the article has none)."""
    # "yesterday" has no day to read at all; "July 2025" lacks one, "20250716" is all numbers.
    if len(readings := all_number_readings(value)) == 2:  # "03/04/2025": March or April?
        why, fix = two_days(readings)
        return f"date {value!r} not read ({why}); {fix}"
    if _NUMBERED_DATE.match(value) or _ALL_NUMBER_DATE.fullmatch(value):  # "2026-02-30", "31/02/2025", "T25:00"
        why = "no such date or time of day"
    else:
        why = "no day, or all numbers" if any(c.isdigit() for c in value) else "not a date"
    return f"date {value!r} not read ({why}); write it as 2026-01-16 or January 16, 2026"


def _text_article(text: str, markdown: bool, titled: bool = False) -> tuple[str | None, str, dict[str, str]]:
    """(title, body, header fields) of a text laid out as a news article. `titled`: the caller
    already has the headline (a Word document's "Title" paragraph), so no line of the text is
    taken for one: "By Lena Park" over "March 9, 2025" looked like a headline over its date."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    meta: dict[str, str] = {}
    i = 0
    fence = lines[0].strip()  # `split` gives at least one line
    end = None
    if fence in ("---", "+++"):
        end = next((j for j in range(1, len(lines)) if lines[j].strip() == fence), None)
    if end is not None:  # front matter: YAML between "---" lines, or TOML between "+++" lines (Hugo)
        fields, problem = _front_matter(lines[1:end], toml=fence == "+++")
        if problem:
            _note(meta, f"front matter {problem}")
        for key, value in fields.items():
            key = _HEADER_SYNONYMS.get(key.strip().lower(), key.strip().lower())  # published: a date
            if key in _HEADER_KEYS and value and key not in meta:
                meta[key] = value
        i = end + 1
    elif fence == "---" and len(lines) > 1 and _OTHER_HEADER.match(lines[1]):
        # Its closing "---" missing, the block was the title "---" and its fields the text.
        _note(meta, f"front matter has no closing {fence!r} line; its lines were read as header lines")
        i = 1
    # Leading lines: blank lines, header lines and (Markdown) one "# heading", in any order.
    while i < len(lines):
        line = lines[i]
        match = _HEADER_LINE.match(line)
        heading = _MD_HEADING.match(line) if markdown else None
        if not line.strip():
            i += 1
        elif heading and "title" not in meta:
            meta["title"] = heading.group(1)
            i += 1
        elif match and _opens_text(lines, i, match):
            break
        elif match and _looks_like_header(match) and _header_key(match) not in meta:
            meta[_header_key(match)] = match.group(2)
            i += 1
        elif match and _looks_like_header(match) and _same(meta[_header_key(match)], match.group(2)):
            i += 1  # the same header line twice
        elif match and _looks_like_header(match) and i and lines[i - 1].strip():
            # Another value in the header lines themselves; after a blank line it is the text's
            # ("Source: internal documents show …").
            why = "a header line above gave that field and was kept; remove one"
            _note(meta, f"header line {line.strip()!r:.80} not used: {why}")
            i += 1
        elif _EMPTY_HEADER.match(line) or (
            _OTHER_HEADER.match(line)
            and (
                (_headers_go_on(lines, i + 1, markdown) or _closes_header_lines(lines, i))
                and not _headline_with_colon(lines, i, markdown, titled or bool(meta.keys() - {_NOTES}))
            )
        ):
            i += 1  # "Date:" with nothing to read; "Category: Politics" among header lines (not used)
        elif _EDITORS_NOTE.match(line):
            i += 1  # "(This story corrects …)" above the dateline: about the story, not of it
        elif markdown and "title" not in meta and _setext_heading(lines, i):
            meta["title"] = line.strip()  # a headline underlined with "===" or "---"
            i += 2
        elif (
            not meta.keys() - {_NOTES}
            and not titled
            and not _credit_line(line)
            and (_headline_above_headers(lines, i) or _headline_above_text(lines, i))
        ):
            meta["title"] = line.strip()
            i += 1
        elif "date" not in meta and _date_line(line):  # "March 3, 2025" under the headline
            meta["date"] = line.strip()
            i += 1
        else:
            inline = _INLINE_DATE.match(line)
            if inline and "date" not in meta:
                meta["date"] = inline.group(1)
                lines[i] = line[inline.end() :]
            break
    title = meta.pop("title", None)
    rest = lines[i:]
    _date_under_byline(rest, meta)
    if "date" not in meta:
        byline_date = _byline_date(rest)
        if byline_date:
            meta["date"] = byline_date
    return title, "\n".join(rest).strip(), meta


def _setext_heading(lines: list[str], i: int) -> bool:
    """Is line `i` a headline underlined with "===" or "---" (a Markdown setext heading)? Not a
    byline, nor a sentence over a rule ("…said on Monday.\n---"), which stays text."""
    line = lines[i].strip()
    if i + 1 >= len(lines) or not _MD_UNDERLINE.match(lines[i + 1]) or _credit_line(line):
        return False
    # "===" underlines only a heading ("…in the U.S.\n==="); "---" under a sentence is a rule.
    sentence = line.endswith(":") or (line.endswith(".") and not lines[i + 1].strip().startswith("="))
    return not sentence and len(line.split()) <= 20


def _opens_text(lines: list[str], i: int, match: re.Match[str]) -> bool:
    """Is line `i` (`match`: its header-line match), a "Source:" or "Author:" line, the text's
    first sentence: under the header lines and a blank line, and read as a sentence ("Source:
    internal documents show the council knew of the risk.")? Among header lines it is a header,
    however long."""
    if _header_key(match) not in ("source", "author") or not i or lines[i - 1].strip():
        return False
    value = match.group(2)
    above = any(line.strip() for line in lines[:i])
    return above and len(value.split()) >= 8 and value.endswith((".", "!", "?"))


def _same(value: str, other: str) -> bool:
    """The same header value, but for spacing."""
    return " ".join(value.split()) == " ".join(other.split())


HEADER_BLOCK_LINES = 30  # looked ahead for header lines: linear on 16,000 "Tags:" lines (139 s)


def _headers_go_on(lines: list[str], i: int, markdown: bool = False, keys: tuple[str, ...] | None = None) -> bool:
    """Do header lines this reader knows (of `keys`, if given; a Markdown heading is a title)
    follow line `i`, before a blank line or a line of text? Then an unknown "Key: value" line
    above them is a header too: "Category: Politics" ended the header lines, and the "Date:"
    under it stayed in the text, undated."""
    for line in lines[i : i + HEADER_BLOCK_LINES]:
        match = _HEADER_LINE.match(line)
        if match and _looks_like_header(match) and (keys is None or _header_key(match) in keys):
            return True
        if (keys is None and _EMPTY_HEADER.match(line)) or (markdown and _MD_HEADING.match(line)):
            return keys is None or "title" in keys
        if not (match or _OTHER_HEADER.match(line) or _EMPTY_HEADER.match(line)):
            return False
    return False


# Metadata keys of news exports: such lines closing the header lines are headers too; other
# short "Key: value" lines there ("Petrol: 1.52 euros per litre", "Final score: …") are the text's.
_METADATA_KEYS = frozenset(
    "category categories section tags tag keywords topic topics subject language lang slug id desk kicker "
    "updated modified edition copyright photo image credit length load-date publication-type".split()
)


def _closes_header_lines(lines: list[str], i: int) -> bool:
    """Are line `i` and the metadata lines ("Category: Politics", "Tags: …") after it the last
    of the header lines: straight under one, over a blank line and the text? "Category:
    Politics" under "Date: …" went into the text (above it, it was taken off)."""
    above = lines[i - 1] if i else ""
    if not (_HEADER_LINE.match(above) or _EMPTY_HEADER.match(above) or _OTHER_HEADER.match(above)):
        return False
    start = i  # the block's unknown lines above this one, taken off already
    while start > max(0, i - HEADER_BLOCK_LINES) and _OTHER_HEADER.match(lines[start - 1]):
        start -= 1
    # One metadata line makes the block's other short "Key: value" lines headers too.
    metadata = any(_key(line) in _METADATA_KEYS for line in lines[start:i])
    for n, line in enumerate(lines[i : i + HEADER_BLOCK_LINES], start=i):
        if not line.strip():
            return metadata and any(rest.strip() for rest in lines[n + 1 :])  # never the whole text
        if not _OTHER_HEADER.match(line):
            return False
        metadata = metadata or _key(line) in _METADATA_KEYS
    return False


def _key(line: str) -> str:
    """The key of a "Key: value" line, as `_METADATA_KEYS` names keys."""
    return line.split(":", 1)[0].strip().lower()


def _headline_with_colon(lines: list[str], i: int, markdown: bool, known: bool) -> bool:
    """Is line `i`, "Key: value" in form, the headline ("Exclusive: Bank to cut rates" over
    "Date: …")? Only as the first line, straight over a header line or byline, and when no
    "Title:" line (or Markdown heading) below names the headline (`known`: one is known)."""
    first = not any(line.strip() for line in lines[:i])
    return (
        first
        and not known
        and _key(lines[i]) not in _METADATA_KEYS  # "Category: Politics" over "Date: …" is a header
        and _headline_above_headers(lines, i)
        and not _headers_go_on(lines, i + 1, markdown, keys=("title",))
    )


def _note(meta: dict[str, str], warning: str) -> None:
    """Keep a warning about the header lines in `meta`, for `_one_article` to give."""
    meta[_NOTES] = "\n".join(filter(None, (meta.get(_NOTES), warning)))


def _front_matter(lines: list[str], toml: bool) -> tuple[dict[str, str], str | None]:
    """The text fields of a front matter block, read as YAML (PyYAML, every value as text) or
    TOML (`tomllib`; a date or timestamp as ISO text), and what is wrong with a block that does
    not parse. Neither block is ever quoted as text: Hugo's "+++" block was the title and the
    first sentence. Read line by line, YAML's quotes and folded lines stayed (the title `>`,
    or `It''s`); but YAML that does not parse is read so, with the warning: hand-written
    front matter often is not YAML ("title: Breaking: rates cut" holds a second colon).

    Example:
        >>> _front_matter(['title = "Solar farm opens"', "date = 2025-04-12T08:00:00+02:00"], toml=True)
        ({'title': 'Solar farm opens', 'date': '2025-04-12T08:00:00+02:00'}, None)
        >>> _front_matter(["title: >", "  Solar farm", "  opens", "date: 2025-04-12"], toml=False)
        ({'title': 'Solar farm opens', 'date': '2025-04-12'}, None)
    """
    if not toml:
        import yaml

        try:
            # BaseLoader: every value as the text it is ("2025-04-12" a string, "No" not false).
            table = yaml.load("\n".join(lines), Loader=yaml.BaseLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)  # where it began
            where = f" on line {mark.line + 2}" if mark is not None else ""  # the file's line: "---" is line 1
            problem = f"is not valid YAML ({getattr(exc, 'problem', None) or 'cannot parse'}{where})"
            return _front_matter_lines(lines), f"{problem}; its 'key: value' lines were read as they are"
        if not isinstance(table, dict):
            return {}, None if table is None else "is not 'key: value' lines; its fields are left out"
        # A value YAML reads as a list or a mapping ("title: [Update]") is taken as written:
        # it was dropped, and the title was none.
        written = _front_matter_lines(lines, unquoted=False)
        return {
            key: _front_matter_value(value) if isinstance(value, (str, dict)) else written[key]
            for key, value in table.items()
            if isinstance(value, str) or (isinstance(value, dict) and _front_matter_value(value)) or written.get(key)
        }, None
    import tomllib

    try:
        table = tomllib.loads("\n".join(lines))
    except tomllib.TOMLDecodeError as exc:
        return {}, f"is not valid TOML ({exc}); its fields are left out"
    return {
        key: value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else _front_matter_value(value)
        for key, value in table.items()
        if isinstance(value, (str, dt.date, dt.datetime)) or (isinstance(value, dict) and _front_matter_value(value))
    }, None


def _front_matter_value(value: str | dict[str, Any]) -> str:
    """A front matter value as text: a mapping with a "name" (`source: {name: Sky Wire}`, as a
    JSON record's publisher) gives its name; another mapping, nothing."""
    if isinstance(value, dict):
        name = value.get("name")
        return name.strip() if isinstance(name, str) else ""
    return value.strip()


def _front_matter_lines(lines: list[str], unquoted: bool = True) -> dict[str, str]:
    """A front matter block's "key: value" lines as they are (the value up to the line's end,
    `unquoted`: one pair of quotes around it taken off), e.g. for a block that is not valid YAML."""
    pairs = (line.partition(":")[::2] for line in lines if line[:1].strip())  # not a folded value's lines
    return {
        key.strip(): value.strip().strip("\"'") if unquoted else value.strip()
        for key, value in pairs
        if key.strip() and value.strip()
    }


def _markdown_text(markdown: str, title: str | None) -> str:
    """Markdown as the text a reader sees (markdown-it-py): one paragraph per paragraph,
    heading, list item, table row and quoted paragraph; emphasis, link and quote markup
    dropped (a link keeps its words, an image its description); code blocks and raw HTML left
    out. Citations quote this text: "**official results**" was quoted with its asterisks,
    "[full results](https://…)" with its address, "| Party | Seats |" as a sentence.

    Example:
        >>> _markdown_text("## Turnout\\n\\nTurnout was **62%**, [officials](https://x.org) said.", None)
        'Turnout\\n\\nTurnout was 62%, officials said.'
    """
    paragraphs: list[str] = []
    row: list[str] | None = None  # the cells of the table row being read
    number = ""  # an ordered list item's "3." (a reader sees it), until its first paragraph
    tables = _table_cells(markdown) <= _MAX_TABLE_CELLS
    for token in _markdown_parser(tables).parse(markdown):
        if token.type == "list_item_open" and token.info:
            number = f"{token.info}{token.markup} "
        elif token.type == "list_item_close" and number:  # an empty item still shows its number
            paragraphs.append(number.strip())
            number = ""
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            if any(row):
                paragraphs.append(" | ".join(row))
            row = None
        elif token.type == "inline":
            text = " ".join(_inline_text(token.children or []).split())
            if row is not None:
                row.append(text)
            elif text:
                paragraphs.append(number + text)
                number = ""
    if title and paragraphs and paragraphs[0].casefold() == " ".join(title.split()).casefold():
        paragraphs.pop(0)  # a "# heading" that repeats the front matter's title
    return "\n\n".join(paragraphs)


def _markdown_inline(text: str) -> str:
    """One line of Markdown (a heading, a title) as a reader sees it.

    Example:
        >>> _markdown_inline("Bees *return* to <b>the</b> [city](javascript:alert(1))")
        'Bees return to the city'
    """
    tokens = _markdown_parser(tables=False).parseInline(text)
    return " ".join(_inline_text(tokens[0].children or []).split()) if tokens else text


_MAX_MARKDOWN_CHARS = 1_000_000  # ~150k words; parsed, ~0.7 GB and ~10 s here
_MAX_TABLE_CELLS = 50_000  # an article's tables hold hundreds of cells; a results page, thousands
# A table's delimiter row ("|---|:-:|", "--- | ---"): it fixes the columns of every row after it.
_TABLE_RULE = re.compile(r"^ {0,3}\|?(?: *:?-+:? *\|)+ *(?::?-+:? *)?$|^ {0,3}:?-+:? *(?:\| *:?-+:? *)+\|? *$")


def _table_cells(markdown: str) -> int:
    """How many cells the parser would make for the text's tables, at most: each delimiter
    row's columns times the lines after it up to a blank one. A table costs the parser ~0.3 KB
    a cell (a 4 MB upload of one wide table took a server to 3 GB), and it fills in the
    columns of rows that have none: counting "|" missed 2.7 million cells made of 2,080.

    Example:
        >>> _table_cells("| a | b |\\n|---|---|\\n| 1 | 2 |\\nx\\n\\nText.")  # "x" is a row too
        8
    """
    cells, columns = 0, 0
    for line in markdown.splitlines():
        if not line.strip():
            columns = 0
        elif columns:
            cells += columns
        elif _TABLE_RULE.match(line):
            columns = line.strip().strip("|").count("|") + 1
            cells += 2 * columns  # the header row and this one
    return cells


@functools.cache
def _markdown_parser(tables: bool = True) -> Any:
    from markdown_it import MarkdownIt

    class AnyLink(MarkdownIt):
        # Any link is read as its words, never followed or rendered: markdown-it refuses
        # "javascript:" links as unsafe, which left "[a link](javascript:alert(1))" in the text.
        def validateLink(self, url: str) -> bool:
            return True

    return AnyLink("commonmark").enable(["table", "strikethrough"] if tables else ["strikethrough"])


# Elements whose contents a browser never shows: left out of Markdown's and records' HTML.
_HIDDEN_ELEMENTS = ("script", "style", "template")
_HIDING_TAG = re.compile(rf"<(?P<close>/?)(?P<name>{'|'.join(_HIDDEN_ELEMENTS)})\b", re.IGNORECASE)


def _inline_text(children: list[Any]) -> str:
    """The words of a Markdown paragraph: text and code spans; line breaks as spaces, an
    image as its description; markup and inline HTML tags dropped, and what a `<script>`,
    `<style>` or `<template>` tag holds (a browser never shows it: "called it alert(3) the
    biggest weekend" was cited)."""
    parts = []
    hidden_by = ""  # the tag whose contents are being skipped
    for child in children:
        if child.type == "html_inline":
            tag = _HIDING_TAG.match(child.content)
            if tag and not hidden_by and not tag["close"]:
                hidden_by = tag["name"].lower()
            elif tag and tag["close"] and tag["name"].lower() == hidden_by:
                hidden_by = ""
        elif hidden_by:
            continue
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts)


def _date_under_byline(lines: list[str], meta: dict[str, str]) -> None:
    """A line that is only a date under the byline that opens the text ("By Ann Lee" over
    "March 3, 2025"), as PDFs and Word files lay it out, is the date: taken off the text
    (in place), as a date line under the headline is. The byline stays."""
    shown = [j for j, line in enumerate(lines[:6]) if line.strip()]
    if "date" not in meta and len(shown) >= 2 and is_byline(lines[shown[0]]) and _date_line(lines[shown[1]]):
        meta["date"] = lines.pop(shown[1]).strip()
        if shown[1] < len(lines) and not lines[shown[1]].strip() and not lines[shown[1] - 1].strip():
            del lines[shown[1]]  # the blank line that set it apart


def _byline_date(lines: list[str]) -> str | None:
    """The date in a byline among an article's first three lines ("By Jane Doe · January 16,
    2026", "Updated 8:00 AM EST, Fri January 16, 2026"): a short line, not a sentence, that
    holds a date written with its month's name. The line stays in the body.

    Example:
        >>> _byline_date(["Canola deal signed", "By Jane Doe · January 16, 2026", "", "Body."])
        '2026-01-16'
        >>> _byline_date(["Talks resume on January 16, 2026, officials said."])  # a sentence
    """
    # The first three lines with text, lazily: not the whole body of a long article.
    for line in itertools.islice((text for line in lines if (text := line.strip())), 3):
        found = _WORDED_DATE.search(line)
        if found and len(line) <= 100 and not line.endswith((".", "!", "?")):
            return read_date(found.group(0))
    return None


def _headline_above_headers(lines: list[str], i: int) -> bool:
    """Is line `i` a headline printed above the header lines, the byline or an editor's note
    ("Canola deal signed" over "Date: January 16, 2026" or "By Jane Doe"), as news pages, PDFs
    and Word files lay an article out?"""
    below = next((line for line in lines[i + 1 :] if line.strip()), "")
    match = _HEADER_LINE.match(below)
    header = match is not None and _looks_like_header(match)
    above_note = bool(_EDITORS_NOTE.match(below))  # "(Adds details …)" under the headline
    return len(lines[i].strip()) <= 2 * TITLE_CHARS and (header or is_byline(below) or _date_line(below) or above_note)


def _headline_above_text(lines: list[str], i: int) -> bool:
    """Is line `i` a headline above the text ("Markets tumble on tariff fears" over "Stocks
    fell sharply on Monday…"), typed straight above it or set apart by a blank line? Straight
    above, it was glued into the first sentence and the title; apart, it was cited as a
    sentence. A headline does not end as a sentence does, and the text below starts a
    sentence. Straight above, that line also runs well past it: the first line of hard-wrapped
    prose is about as long as the next one, so it is never taken for a headline.
    """
    line = lines[i].strip()
    rest = lines[i + 1 : i + 4]
    apart = bool(rest) and not rest[0].strip()
    below = next((text for text in map(str.strip, rest) if text), "")  # the line below, or the one past the blank
    return (
        len(below) >= 40
        and len(line.split()) >= 2
        and len(line) <= TITLE_CHARS
        and not line.endswith((".", "!", "?", ",", ";", ":", "-", "\u2014"))
        and (below[0].isupper() or below[0].isdigit() or below[0] in "\"“'‘")
        and (apart or len(line) < 0.6 * len(below))
    )


def _date_line(line: str) -> bool:
    """A line that is only a date ("March 3, 2025", "2025-03-03"), as printed under a headline."""
    text = line.strip()
    return 0 < len(text) <= 40 and not text.endswith(".") and read_date(text) is not None


# Keys of a picture's credit line ("Photo: Reuters"): no headline, unlike "Updated: Road closed".
_CREDIT_KEYS = frozenset("photo photograph picture image credit credits copyright".split())


def _credit_line(line: str) -> bool:
    """A byline or a "Photo: Reuters" credit: never an article's headline (both were titles)."""
    return is_byline(line) or (":" in line and _key(line) in _CREDIT_KEYS)


def is_byline(line: str) -> bool:
    """Is this line a byline or credit line rather than a sentence? It starts "By …"
    ("Written by", "Reporting by") and does not end as a sentence does: "By Friday, the
    strike was over." is a sentence.

    Example:
        >>> is_byline("By Jane Doe · January 16, 2026"), is_byline("Reporting by Ann Lee; Editing by Bo Chan")
        (True, True)
        >>> is_byline("By Friday, the strike was over.")
        False
    """
    text = line.strip()
    return bool(_BYLINE.match(text)) and len(text) <= 200 and not text.rstrip("\"'”’) ").endswith((".", "!", "?"))


def _header_key(match: re.Match[str]) -> str:
    key = match.group(1).lower()
    return _HEADER_SYNONYMS.get(key, key)


def _looks_like_header(match: re.Match[str]) -> bool:
    """A header line is short; "Date rape drugs are..." is body text, not a date header.

    The colon must follow the key: "Author Hilary Mantel's manuscript sold for £1.2 million:
    a record" and "Headline inflation rose to 3.2%: the highest …" opened their articles and
    were taken off as an author and a title (a colon anywhere in the line counted)."""
    key, value = _header_key(match), match.group(2)
    colon = ":" in match.string[match.end(1) : match.start(2)]
    if key == "date":
        # "Date: March 2026" and "Date: yesterday" are headers whose date is not read (a
        # warning says so; the second was the article's title); "Date rape drugs are ..." (no
        # colon, no date) is body text.
        explicit = colon and (any(c.isdigit() for c in value) or len(value.split()) <= 3)
        return len(value) <= 40 and (explicit or read_date(value) is not None)
    if key == "url":  # "URL: javascript:…" too: a header (its link is left out), not the text's start
        return " " not in value and (colon or value.startswith(("http://", "https://")))
    return colon and len(value) <= 300


# A page's own line saying when it appeared, as blogs print it under the headline.
_DATED_BYLINE = re.compile(r"(?:posted|published|first published|updated|last updated|by)\b", re.IGNORECASE)


# `<?xml version="1.0" encoding="UTF-8"?>` at a page's head (after blank space, maybe a byte-order mark).
_XML_DECLARATION = re.compile(r"\A[\ufeff\s]*<\?xml\b[^>]*\?>", re.IGNORECASE)


def _html_article(html: str) -> tuple[str | None, str, dict[str, str]]:
    import lxml.html
    import trafilatura

    meta: dict[str, str] = {}
    # An XHTML page opens with an XML declaration, which lxml refuses in text already decoded
    # ("Unicode strings with encoding declaration are not supported"): the page was skipped.
    html = _XML_DECLARATION.sub("", html, count=1)
    try:
        tree = lxml.html.fromstring(html)
    except MemoryError:
        raise
    except Exception as exc:  # lxml raises several types for broken markup
        raise _Skip(f"cannot parse HTML ({exc})") from None
    title = (tree.findtext(".//title") or "").strip() or None
    body = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    if not body or "\n" not in body.strip():
        # Under 250 characters of main text, trafilatura falls back on a baseline that runs the
        # headline, byline and paragraphs of a short page into one line ("Ferry service resumes
        # after storm By Jane Doe · January 16, 2026 Ferry service…"); asked to accept a short
        # text, it keeps the blocks apart. Only then: on longer pages the fallbacks help.
        short = trafilatura.extract(
            html, include_comments=False, include_tables=True, favor_recall=True, config=_short_page_config()
        )
        if short and (not body or "\n" in short.strip()):
            body = short
    if not body:
        # Its plain-text conversion still drops scripts, styles and markup; it gives nothing for
        # a one-paragraph fragment ("<p>The council approved …</p>"), which lxml's tree still holds.
        body = trafilatura.html2txt(html) or _element_text(copy.deepcopy(tree))
    # Markup and bylines only: the extensive search also guesses from the text, and dated a
    # page by a date its story mentions ("first built on January 5, 1998") or by its
    # copyright line ("© 2019": 2019-01-01, a day the page never gave).
    info = trafilatura.extract_metadata(_without_asides(tree), extensive=False)
    if info is not None:
        title = title or info.title
        if info.date:
            meta["date"] = _date_as_written(info.date, tree)
        if info.sitename:
            meta["source"] = info.sitename
        if is_web_link(info.url):  # a page's relative canonical link is no link to give
            meta["url"] = info.url
    # trafilatura gives one line per block (headline, paragraph, list item): make each a
    # paragraph, or a headline without a full stop runs into the first sentence.
    paragraphs = [_as_shown(line) for line in (body or "").splitlines() if line.strip() and not _TABLE_RULE.match(line)]
    paragraphs = [p for p in paragraphs if p]
    if "date" not in meta:  # a blog's "Posted on 5 May 2025 by admin", in no markup
        dated = [p for p in paragraphs[:3] if _DATED_BYLINE.match(p)]
        byline_date = _byline_date(dated)
        if byline_date:
            meta["date"] = byline_date
    headline = paragraphs[0] if paragraphs else ""
    site = info.sitename if info is not None else None
    site_first = _after_site_name(paragraphs, title, site, tree) if title else None
    if site_first:  # a logo's "The Ledger" opening the text of "The Ledger - Storm hits coast": no text
        paragraphs.pop(0)
        title = paragraphs.pop(0) if paragraphs and _repeats_title(paragraphs[0], site_first) else site_first
    elif title and _repeats_either(headline, title, info):
        title = paragraphs.pop(0)  # the page's <h1>: the title without " | Site name", not body text
    elif title:  # the <h1> outside the text read: its words, or the page's own headline, before " | Site"
        headlines = [" ".join((tree.findtext(".//h1") or "").split()), info.title if info is not None else None]
        title = next((h for h in headlines if h and _site_after(title, h, site)), title)
    return title, "\n\n".join(paragraphs), meta


# What a page's <title> adds after its headline: " | UK news | The Daily Ledger", " - BBC News".
_SITE_AFTER = re.compile(r"\s*[|·•:–—-]\s*(\S.*)", re.DOTALL)


def _site_after(title: str, headline: str, site: str | None) -> bool:
    """Is `title` the `headline` and then the site's name (" | UK news | The Daily Ledger")?
    What follows names the site, holds a separator of its own, or is shorter than the headline:
    a logo's <h1> ("The Ledger") or a section's ("Politics") before the story's headline is no
    headline.

    Example:
        >>> _site_after("Teachers vote to strike | The Daily Ledger", "Teachers vote to strike", None)
        True
        >>> _site_after("The Ledger - Storm hits coast", "The Ledger", None)
        False
    """
    after = _SITE_AFTER.fullmatch(title, len(headline)) if title.startswith(headline) else None
    if after is None or (site and headline.casefold() == site.casefold()):
        return False
    rest = after[1]
    # " | UK news | The Guardian": a section and a site, longer than "Teachers strike"
    return (
        bool(site and site.casefold() in rest.casefold())
        or any(sep in rest for sep in _TITLE_SEPARATORS)
        or (len(rest) < len(headline))
    )


def _as_shown(line: str) -> str:
    """A line of trafilatura's text as the page shows it: a list item without the "- " and a
    table row without its outer "|" (cells apart as the Markdown reader's), as they were quoted
    ("- Keir Starmer becomes prime minister", "| Labour | 412 | +211 |").

    Example:
        >>> _as_shown("- Keir Starmer becomes prime minister"), _as_shown("| Labour | 412 | +211 | ")
        ('Keir Starmer becomes prime minister', 'Labour | 412 | +211')
    """
    text = " ".join(line.split())
    if text.startswith("- ") and not text.endswith(" -"):  # not "- A life in three acts -", a paragraph
        return text[2:]
    if text.startswith("|") and text.endswith("|") and len(text) > 1:
        return " | ".join(cell.strip() for cell in text[1:-1].split("|"))
    return text


# Class or id words of the parts of a page that list other stories, each with its date: a
# page without a date of its own was dated by the related story in its sidebar.
_LISTING_WORDS = ("related", "sidebar", "recommend", "most-read", "popular", "trending")
_OWN_FACTS_WORDS = ("meta", "byline", "author", "dateline")


def _without_asides(tree: Any) -> Any:
    """A copy of the page without its menus and its lists of other stories (for its metadata):
    `<nav>`, an `<aside>` holding a list or links (not its byline's), and elements whose class or id words name
    such a list ("related-stories"). Never what holds the story itself (`<h1>`, `<article>`)."""
    page = copy.deepcopy(tree)
    for element in list(page.iter("nav", "aside", "div", "section", "ul", "ol")):
        words = " ".join((element.get("class") or "", element.get("id") or "")).lower().split()
        listing = any(w.startswith(_LISTING_WORDS) for w in words)
        # An aside of the story's own facts (byline, author and section links, its date) is no list
        # of other stories, however many links it holds.
        own_facts = any(w in word for word in words for w in _OWN_FACTS_WORDS) or element.xpath(".//a[@rel='author']")
        links = element.tag == "aside" and len(element.xpath(".//a | .//li")) >= 2 and not own_facts
        dropped = element.tag == "nav" or listing or links
        # Its subtree searched for the story only when it would go: for every div it was a
        # search of the page below it.
        if dropped and element.getparent() is not None and not element.xpath(".//h1 | .//article | .//main"):
            element.drop_tree()
    return page


def _date_as_written(date: str, tree: Any) -> str:
    """trafilatura's date, or the page's all-number date it came from when that could be read
    either way ("03/04/2024": March or April?); the latter is not read, and a warning says so,
    as for a text's "Date:" line (trafilatura read it day first, silently). The page's date is
    looked for where pages print one: meta tags, `<time>`, short lines ("Posted 03/04/2024");
    a story's own mention of "04/03/2024" is no reason to doubt a date given in words.

    Example:
        >>> import lxml.html
        >>> _date_as_written("2024-04-03", lxml.html.fromstring('<meta name="date" content="03/04/2024">'))
        '03/04/2024'
        >>> _date_as_written("2024-04-03", lxml.html.fromstring('<p><time>April 3, 2024</time> 03/04/2024</p>'))
        '2024-04-03'
    """
    year, month, day = date[:10].split("-")
    if int(day) > 12 or month == day:
        return date
    shown = [str(v) for v in tree.xpath("//meta/@content | //time/@datetime")]
    # Short texts of elements without children: a leaf's own (text_content of every element was quadratic).
    leaves = (e.text or "" for e in tree.iter() if isinstance(e.tag, str) and not len(e))
    shown += [text.strip() for text in leaves if len(text) <= 80]
    if any(date[:10] in text or read_date(text) == date[:10] for text in shown if text):
        return date
    written = re.compile(rf"\b0?(?:{int(day)}[/.-]0?{int(month)}|{int(month)}[/.-]0?{int(day)})[/.-]{year}\b")
    ambiguous = next((found.group(0) for text in shown if (found := written.search(text))), None)
    return ambiguous or date


@functools.cache
def _short_page_config() -> Any:
    """trafilatura's settings, accepting a main text of any length (see `_html_article`)."""
    from trafilatura.settings import use_config

    config = use_config()
    config["DEFAULT"]["MIN_EXTRACTED_SIZE"] = "1"
    return config


def _repeats_title(line: str, title: str) -> bool:
    """`line` is `title`, or `title` is `line` followed by a site name ("Headline | Site").

    Example:
        >>> _repeats_title("Chipmaker opens plant", "Chipmaker opens plant | Tech News")
        True
    """
    line, title = " ".join(line.split()).casefold(), " ".join(title.split()).casefold()
    if not line or len(line) > 300:
        return False
    return title == line or any(title.startswith(line + sep) for sep in _TITLE_SEPARATORS)


_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", ": ")


def _repeats_either(headline: str, title: str, info: Any) -> bool:
    """Does `headline` repeat the page's <title> or the headline its metadata names?"""
    return _repeats_title(headline, title) or (info is not None and _repeats_title(headline, info.title or ""))


def _after_site_name(paragraphs: Sequence[str], title: str, site: str | None, tree: Any) -> str | None:
    """The headline of a page title that puts the site's name first, when the text opens with
    that name (a logo's "The Ledger" over "The Ledger - Storm hits coast": "Storm hits coast").
    Only where the page names its site so, the next line is that headline, or the line is a page
    banner's <h1> (in a <header> outside the story) before a longer headline: "Teachers strike"
    over "Teachers strike | UK news | The Guardian" is the headline itself."""
    line = " ".join(paragraphs[0].split()) if paragraphs else ""
    title = " ".join(title.split())
    folded = title.casefold()
    sep = next((sep for sep in _TITLE_SEPARATORS if line and folded.startswith(line.casefold() + sep)), None)
    if sep is None or len(folded) != len(title):  # (a casefold that changes lengths: no slicing by it)
        return None
    rest = title[len(line) + len(sep) :]
    if (site and line.casefold() == " ".join(site.split()).casefold()) or (
        len(paragraphs) > 1 and _repeats_title(paragraphs[1], rest)
    ):
        return rest
    banners = tree.xpath("//header[not(ancestor::article)]//h1")
    in_banner = any(" ".join(h.text_content().split()).casefold() == line.casefold() for h in banners)
    return rest if in_banner and len(rest) > len(line) and not any(s in rest for s in _TITLE_SEPARATORS) else None


# A line this much shorter than a full line of its page ends a paragraph: the last line of a
# paragraph, a headline, a byline. (A PDF's text layer has lines, not paragraphs.)
_SHORT_LINE = 0.75
# Page numbers printed at the head or foot of a page ("3", "Page 3 of 7", "3/7"): not text.
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s*)?\d+\s*(?:(?:of|/)\s*\d+)?\s*$", re.IGNORECASE)
# What a browser's "Save as PDF" prints at the head of a page (the time and the page title:
# "11/30/26, 9:07 PM Canola deal - Example News") and at its foot (the address and "1/2").
_PRINT_STAMP = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d{2}(?:\s*[AP]M)?\b", re.IGNORECASE)
_PRINT_ADDRESS = re.compile(r"^(?:https?://|about:|file:/)\S*\s+\d+\s*/\s*\d+$")
# Title properties (PDF /Title, Word's) that name a file or nothing, as office tools and printers leave them.
_PLACEHOLDER_TITLE = re.compile(
    r"^(?:untitled\b.*|document\d*|.*\.(?:docx?|odt|rtf|pdf|txt|html?|indd))$", re.IGNORECASE
)


def _pdf_article(data: bytes) -> tuple[str | None, str, dict[str, str], tuple[int, ...]]:
    """A PDF's text layer (pypdf), its lines joined back into paragraphs, its title, and
    where each page begins in the body (for citations' page numbers).

    The text is then read as a text file's (header lines, a headline above them); the title
    falls back on the PDF's /Title metadata (unless it names a file or nothing), then on the
    first sentence. The metadata's dates are when the file was made, not when the article
    appeared: not used.
    """
    from pypdf import PdfReader

    # pypdf logs (as warnings) every repair it makes to a sloppy file; the file still reads.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _Skip("the PDF is password-protected; add a copy saved without a password")
        paged = _pdf_lines(_pdf_page_texts(reader))
        info = reader.metadata
        meta_title = str(info.title or "") if info is not None else ""
    except (_Skip, MemoryError):
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise _Skip(f"cannot read the PDF ({type(exc).__name__}: {exc})") from None
    text = _join_lines([line for lines in paged for line in lines])
    if not _WORD_CHAR.search(text):
        raise _Skip("the PDF has no text layer (a scanned image?); add a copy with text, e.g. made by OCR (ocrmypdf)")
    title, body, meta = _text_article(text, markdown=False)
    return title or _metadata_title(meta_title), body, meta, _page_starts(body, paged)


def _pdf_page_texts(reader: Any) -> list[str]:
    """Each page's text, refused once they add up to more than any article: 157 KB of pages
    sharing one compressed stream took 73 s to read (100 MB of text), and 50 MB hours."""
    texts: list[str] = []
    total = 0

    def count(text: str, *_: Any) -> None:  # told each piece of text as it is read: a page may be the bomb
        nonlocal total
        total += len(text)
        if total > _MAX_EXTRACTED_TEXT:
            raise _Skip(
                f"the PDF's text runs past {_MAX_EXTRACTED_TEXT:,} characters by page {len(texts) + 1}, more than "
                "an article (a document bomb?); not read"
            )

    unpacked = 0
    for page in reader.pages:
        # pypdf parses a page's whole content stream before it reads any text: 41 KB that unpack
        # to 14 MB of drawing instructions on one page took 61 s. Measured before parsing.
        contents = page.get_contents()
        size = len(contents.get_data()) if contents is not None else 0
        unpacked += size
        if size > _MAX_PDF_PAGE_CONTENT or unpacked > _MAX_PDF_CONTENT:
            raise _Skip(
                f"the PDF's page {len(texts) + 1} unpacks to {file_size(size)} of drawing instructions "
                f"({file_size(unpacked)} so far), more than an article's (a document bomb?); not read"
            )
        texts.append(page.extract_text(visitor_text=count) or "")
    return texts


def _docx_article(data: bytes) -> tuple[str | None, str, dict[str, str]]:
    """A Word document's paragraphs (python-docx; tables, headers and footers are not read).

    The title is a `title:` header line, else a first paragraph styled "Title" or
    "Heading 1", else the document's title property (unless it names a file), else the
    first sentence. Header lines (`Date: …`) may follow the title paragraph.
    """
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as packed:
            unpacked = sum(member.file_size for member in packed.infolist())
            if unpacked > _MAX_UNPACKED_BYTES:
                raise _Skip(
                    f"the Word document unpacks to {unpacked / 1048576:,.0f} MB, over the "
                    f"{_MAX_UNPACKED_BYTES / 1048576:,.0f} MB a document may unpack to (a zip bomb?); not read"
                )
            _check_docx_elements(packed)
        document = docx.Document(io.BytesIO(data))
        paragraphs = _docx_paragraphs(document)
        meta_title = document.core_properties.title or ""
        tables = len(document.tables)
    except (_Skip, MemoryError):
        raise
    except Exception as exc:  # a zip that is not a document, a password-protected or old .doc file, ...
        raise _Skip(
            f"cannot read the Word document ({type(exc).__name__}: {exc}); "
            "a password-protected file or an old .doc renamed .docx? Save it again as .docx"
        ) from None
    paragraphs = [(style, text) for style, text in paragraphs if text]
    if sum(len(text) for _, text in paragraphs) > _MAX_EXTRACTED_TEXT:  # a 770 KB file gave 251 MB of text
        raise _Skip(
            f"the Word document's text runs past {_MAX_EXTRACTED_TEXT:,} characters, more than an article "
            "(a document bomb?); not read"
        )
    heading = _docx_heading(paragraphs)
    if not paragraphs and tables:
        raise _Skip(f"no text outside its {tables} table(s), and tables are not read; copy the text into paragraphs")
    # A standfirst styled "Subtitle" under the headline is text, but header lines under it are
    # still header lines ("Date: 2025-09-01" stayed in the text, undated).
    subtitles = []
    while heading and paragraphs and paragraphs[0][0] == "Subtitle":
        subtitles.append(paragraphs.pop(0)[1])
    title, body, meta = _text_article("\n\n".join(text for _, text in paragraphs), False, titled=bool(heading))
    body = "\n\n".join([*subtitles, body] if body else subtitles)
    return title or heading or _metadata_title(meta_title), body, meta


def _docx_heading(paragraphs: list[tuple[str, str]]) -> str | None:
    """Take the headline off a Word document's (style, text) paragraphs: the first one styled
    "Title" or "Heading 1" among the first three, with the short labels above it ("ENERGY", a
    kicker: the title was "ENERGY" and the headline text). Header, date and credit lines above
    it stay, to be read as the text's ("Date: 2025-09-01" over the Title dated nothing)."""
    for n, (style, text) in enumerate(paragraphs[:3]):
        if style in ("Title", "Heading 1"):
            paragraphs[: n + 1] = [p for p in paragraphs[:n] if _header_date_or_credit(p[1])]
            return text
        if len(text.split()) > 6 or text.endswith((".", "!", "?")):  # text, not a label
            return None
    return None


def _header_date_or_credit(line: str) -> bool:
    """Is `line` a header line ("Date: …"), a date line or a credit line ("By Jane Smith")?"""
    return bool(_HEADER_LINE.match(line)) or _date_line(line) or _credit_line(line)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Text a Word paragraph shows, as python-docx's Paragraph.text reads it: runs' text, tabs, breaks.
_DOCX_TEXT = {_W + "t": None, _W + "tab": "\t", _W + "br": "\n", _W + "cr": "\n", _W + "noBreakHyphen": "-"}
# Tracked deletions and moved-away text: the document as it reads now does not hold them.
# Text boxes are not the paragraph's text either (and Word stores each twice: the drawing
# and a fallback for older readers).
_DOCX_REMOVED = {_W + "del", _W + "moveFrom", _W + "txbxContent"}


def _docx_paragraphs(document: Any) -> list[tuple[str, str]]:
    """(style name, text) of the body's paragraphs in order, those inside content controls
    (`w:sdt`) too; tables are not read.

    python-docx's `document.paragraphs` and `Paragraph.text` skip content controls and
    tracked insertions (`w:ins`): a sentence "would cost $3 billion over five years" with the
    figure typed as a tracked change was quoted as "would cost  over five years".
    """
    from docx.enum.style import WD_STYLE_TYPE

    # Style names looked up once: python-docx's Paragraph.style scans every style for each
    # paragraph, and a 140 KB upload of 1,000 paragraphs and 20,000 styles took 218 s to read.
    styles = document.styles
    names = {s.style_id: s.name or "" for s in styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
    default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default.name or "") if default is not None else ""
    found = []
    for block in document.element.body.iterchildren(_W + "p", _W + "sdt"):
        for element in [block] if block.tag == _W + "p" else block.iter(_W + "p"):
            found.append((names.get(element.style, default_name), _accepted_text(element).strip()))
    return found


def _check_docx_elements(packed: zipfile.ZipFile) -> None:
    """Refuse a document whose XML parts hold more elements than any article would, before
    it is parsed: a parsed element costs ~0.5 KB, and 800 KB of packed empty paragraphs (7.7
    million) took a server from 1.2 to 4.5 GB. Every part counts: python-docx finds the text
    by the package's relationships, not by the name word/document.xml, and parses styles too."""
    parts = packed.infolist()
    if len(parts) > _MAX_DOCX_PARTS:  # python-docx walks its parts in quadratic time: 80k parts took 113 s
        raise _Skip(
            f"the Word document has {len(parts):,} parts, over the {_MAX_DOCX_PARTS:,} an article may have; not read"
        )
    elements = 0
    for part in parts:  # every part, whatever its name: one renamed .bin was parsed all the same
        with packed.open(part) as xml:
            head = xml.read(200)
            declared = re.search(rb"encoding=[\"'](?P<name>[^\"']+)", head) if head.startswith(b"<?xml") else None
            if declared and declared["name"].lower() not in (b"utf-8", b"utf8", b"utf-16", b"utf16"):
                # Counted as bytes, "<" is only "<" in UTF-8 or UTF-16: UTF-7 hid 8 million elements.
                raise _Skip(f"the Word document's {part.filename} is in {declared['name'].decode()}; not read")
            chunk = head
            while chunk:
                # Opening tags and attributes ("</" and a '="' cut by a chunk: noise): 33 million
                # empty attributes on 16,600 elements took 8 GB.
                elements += chunk.count(b"<") - chunk.count(b"</") + chunk.count(b'="') + chunk.count(b"='")
                chunk = xml.read(1 << 20)
    if elements > _MAX_DOCX_ELEMENTS:
        raise _Skip(
            f"the Word document holds {elements:,} XML elements, over the {_MAX_DOCX_ELEMENTS:,} an article "
            "may hold (a document bomb?); not read"
        )


def _accepted_text(paragraph: Any) -> str:
    """A Word paragraph's text with its tracked changes accepted: insertions and content
    controls read, deletions (`w:delText`, inside `w:del`) and moved-away text left out."""
    parts = []
    for element in paragraph.iter(*_DOCX_TEXT):
        if any(ancestor.tag in _DOCX_REMOVED for ancestor in element.iterancestors()):
            continue
        shown = _DOCX_TEXT[element.tag]
        parts.append(element.text or "" if shown is None else shown)
    return "".join(parts)


def _metadata_title(value: str) -> str | None:
    """A file's title property, unless it is empty or names a file ("Microsoft Word - a.docx")."""
    title = " ".join(value.split())
    return title if title and not _PLACEHOLDER_TITLE.match(title) else None


# Typographic ligatures (U+FB00-FB06: "ﬁ", "ﬂ", ...) are one glyph for two or three letters
# in a PDF's text layer; as letters, "ﬁnance" is found by a search for "finance".
_LIGATURES = str.maketrans({chr(c): unicodedata.normalize("NFKC", chr(c)) for c in range(0xFB00, 0xFB07)})
# A .docx is a zip: an upload of a few MB could unpack to gigabytes of XML. A Word file is
# mostly text and images, which do not compress much further; 256 MB is far above any article.
_MAX_UNPACKED_BYTES = 256 * 1024 * 1024
# A PDF's text, and the drawing instructions it is read from: pypdf parsed ~0.25 MB of them a
# second here (one page of 14 MB: 61 s), and a browser-printed article page holds 3-17 KB. The
# caps are a long book's text, and 4 / 16 MB: at most ~1 minute of parsing for a hostile file.
_MAX_EXTRACTED_TEXT = 4_000_000  # characters
_MAX_PDF_PAGE_CONTENT = 4 * 1024 * 1024
_MAX_PDF_CONTENT = 16 * 1024 * 1024
# A 500-page report is ~150k elements (paragraphs, runs, texts, properties); parsed, 2M take ~1 GB.
_MAX_DOCX_ELEMENTS = 2_000_000  # elements and attributes
_MAX_DOCX_PARTS = 5_000  # a report with a thousand images has ~2,000
_SOFT_HYPHEN = "\u00ad"  # an invisible hyphenation point; some PDFs keep it where a word was broken


def _pdf_lines(pages: list[str]) -> list[list[str]]:
    """The lines of each of a PDF's pages, stripped, ligatures as letters, without what is
    printed around the article on every page: page numbers, a browser's print stamp and
    address line, and running heads and feet (a line among a page's first or last two that
    recurs, digits aside, on most pages).

    Example:
        >>> _pdf_lines(["1/30/26, 9:07 PM Oil deal\\nOil \\ufb01rms' pro\\ufb01ts\\nhttps://x.test/oil 1/2",
        ...             "1/30/26, 9:07 PM Oil deal\\nrose.\\nhttps://x.test/oil 2/2"])
        [["Oil firms' profits"], ['rose.']]
    """
    paged = []
    for text in pages:
        lines = [line.strip() for line in text.translate(_LIGATURES).splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        paged.append(lines)
    edges = Counter(shape for lines in paged for shape in {_shape(line) for line in lines[:2] + lines[-2:] if line})
    running = {shape for shape, n in edges.items() if len(paged) >= 2 and n >= max(2, 0.6 * len(paged))}
    out: list[list[str]] = []
    for lines in paged:
        margin = {i for i in (0, 1, len(lines) - 2, len(lines) - 1) if 0 <= i < len(lines)}
        out.append(
            [line for i, line in enumerate(lines) if i not in margin or not line or not _printed_around(line, running)]
        )
    return out


def _page_starts(body: str, paged: list[list[str]]) -> tuple[int, ...]:
    """Where each page's text begins in `body` (page 1 at 0).

    The body is the pages' lines joined in order (a space, a blank line, or nothing after a
    broken word), less the header lines taken off its head: each line is found right after
    the one before it, so a paragraph that an article repeats is placed on its own page. A
    page with no line found (blank, or only header lines) begins where the next one does:
    it holds no cited text.

    Example:
        >>> _page_starts("Oil rose. Gas fell\\nsharply.", [["Title", "Oil rose. Gas"], ["fell", "sharply."]])
        (0, 14)
    """
    found: list[int | None] = []
    at = 0
    for lines in paged:
        start = None
        for line in lines:
            span = _line_span(body, line, at)
            if span:
                start = span[0] if start is None else start
                at = span[1]
        found.append(start)
    found[0] = 0  # header lines taken off the top of page 1 are before the body
    starts: list[int] = []
    following = len(body)
    for start in reversed(found):
        following = start if start is not None else following
        starts.append(following)
    return tuple(reversed(starts))


def _line_span(body: str, line: str, at: int) -> tuple[int, int] | None:
    """Where a PDF line's words are in the body, at `at` (after whitespace) or shortly after
    (a line that lost its head, as a date prefix does); None for a line not in the body."""
    line = line.replace(_SOFT_HYPHEN, "")
    # Nearly every line is right there, after a space or a blank line: a find, no regex.
    quick = body.find(line, at, at + len(line) + 2)
    if line and quick >= 0:
        return quick, quick + len(line)
    words = line.split()
    if not words:
        return None
    pattern = re.compile(r"\s*(" + r"\s+".join(map(re.escape, words)) + ")")
    found = pattern.match(body, at) or pattern.search(body, at, at + len(line) + 100)
    return found.span(1) if found else None


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line)


def _printed_around(line: str, running: set[str]) -> bool:
    """Is this head or foot line printed around the article rather than part of it?"""
    return bool(_PAGE_NUMBER.match(line) or _PRINT_STAMP.match(line) or _PRINT_ADDRESS.match(line)) or (
        _shape(line) in running
    )


def _join_lines(lines: list[str]) -> str:
    """Lines of a PDF joined into paragraphs (separated by blank lines).

    A paragraph ends at a blank line or after a line markedly shorter than a full line (the
    90th percentile of the line lengths). A line that ends in a hyphen after a letter is
    joined without a space, keeping the hyphen ("Chinese-" + "made"): the text stays the
    PDF's own characters. A soft hyphen (invisible) at a line's end joins the word without
    it; soft hyphens elsewhere are dropped.

    Example:
        >>> _join_lines(["Tariffs rise", "Canada will cut its tariff on Chinese-", "made cars to 6.1%, it", "said."])
        'Tariffs rise\\n\\nCanada will cut its tariff on Chinese-made cars to 6.1%, it said.'
        >>> _join_lines(["The agreement leaves steel duties un\u00ad", "changed until spring."])
        'The agreement leaves steel duties unchanged until spring.'
        >>> _join_lines(["The cost, estimated at $600", "million, was too high, the mayor said in a", "statement."])
        'The cost, estimated at $600 million, was too high, the mayor said in a statement.'
    """
    lengths = sorted(len(line) for line in lines if line)
    # A few lines (a short notice) give no 90th percentile of full lines: the longest is one.
    full = (lengths[int(0.9 * (len(lengths) - 1))] if len(lengths) >= 10 else lengths[-1]) if lengths else 0
    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        if line:
            if current.endswith(_SOFT_HYPHEN):
                current = current[:-1] + line
            elif current.endswith("-") and current[-2:-1].isalpha():
                current += line
            else:
                current = f"{current} {line}" if current else line
        broken_word = line.endswith(_SOFT_HYPHEN) or (line.endswith("-") and line[-2:-1].isalpha())
        # A short line followed by a lower-case word is a ragged line of a narrow column ("…at
        # $600" / "million, was…") or of a headline set on two lines, not a paragraph's end.
        goes_on = i + 1 < len(lines) and lines[i + 1][:1].islower()
        # A byline under a headline set as wide as the column ("Canal shipping costs soar as
        # drought bites" / "By Maria Lopez") starts a paragraph: glued on, it was in the title
        # and a cited sentence.
        byline_below = i + 1 < len(lines) and lines[i + 1][:1].isupper() and _short_byline(lines[i + 1], full)
        ends = not line or byline_below or (len(line) < _SHORT_LINE * full and not broken_word and not goes_on)
        if current and ends:
            paragraphs.append(current.replace(_SOFT_HYPHEN, ""))
            current = ""
    if current:
        paragraphs.append(current.replace(_SOFT_HYPHEN, ""))
    return "\n\n".join(paragraphs)


def _short_byline(line: str, full: int) -> bool:
    """A byline on a line of its own, shorter than a full line of the column."""
    return len(line) < _SHORT_LINE * full and is_byline(line)


def _json_problem(exc: json.JSONDecodeError) -> str:
    """What is wrong, without the "at" some of json's messages end with ("Invalid control character at")."""
    return exc.msg.removesuffix(" at")


# The keys news exports use for each field, the project's own first (README), then NewsAPI
# ("content", "publishedAt", "source": {"name": ...}), schema.org ("articleBody", "headline",
# "datePublished", "publisher": {"name": ...}), feeds turned JSON ("link", "pubDate",
# "published") and CMS exports ("body"). A record with only "body" was skipped as having no
# "text", and its "pubDate" and "link" were dropped without a word. NewsAPI's "description" (the
# publisher's own summary) is the text of last resort: its "content" is often null.
_RECORD_KEYS = {
    "text": ("text", "body", "content", "articleBody", "description"),
    "title": ("title", "headline"),
    "date": ("date", "published", "publishedAt", "published_at", "pubDate", "datePublished"),
    "source": ("source", "publisher"),
    "url": ("url", "link"),
}
# Markup in a record's text (RSS "content:encoded", CMS bodies): read as HTML, not quoted.
# A tag is its name, then only attributes with values: "x <b and b> y" and "x<y and y>z" in a
# record's text are comparisons, and read as HTML they were dropped ("x y", "xz").
_HTML_MARKUP = re.compile(
    r"</?(?:p|br|div|span|a|b|i|em|strong|ul|ol|li|h[1-6]|blockquote|table|tr|td|th|figure|figcaption|section)"
    r"""(?:\s+[\w:-]+\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>]+)){0,30}\s*/?>""",
    re.IGNORECASE,
)
# A tag and its closing tag in a record's title ("Storm <em>Amy</em> hits"): "Why a<b and b>c
# matter" holds none, and is text.
_CLOSED_INLINE = re.compile(r"<(em|i|b|strong|span|a|sup|sub|u|mark|small)\b[^<>]*>[^<>]*</\1\s*>", re.IGNORECASE)
# A closing block tag: what tells escaped markup in a record's text from a mention of a tag.
_CLOSED_BLOCK = re.compile(r"</(?:p|div|li|h[1-6]|blockquote|ul|ol)\s*>", re.IGNORECASE)
# A title or source in markup: a closed inline tag, a closing block tag ("<p>Storm hits</p>") or a
# line break ("Storm hits<br/>Crews respond"); "Why a<b and b>c matter" has none.
_MARKED_UP_FIELD = re.compile(f"{_CLOSED_INLINE.pattern}|{_CLOSED_BLOCK.pattern}|<br\\s*/?>", re.IGNORECASE)
# A <script> or <style> counts only closed (`_is_html`): "Hackers injected <script> tags into
# the login page." is plain text, and read as HTML it lost everything after the tag.


def _is_html(text: str) -> bool:
    """Is a record's text HTML markup? (Each tag's first opening and a closing tag after it
    are looked for once: a regular expression's `.*?` took 20 s over 16,000 unclosed "<style>"
    mentions.)"""
    if _HTML_MARKUP.search(text):
        return True
    for name in _HIDDEN_ELEMENTS:
        opening = re.search(rf"<{name}\b[^>]{{0,500}}>", text, re.IGNORECASE)
        if opening and re.search(rf"</{name}\s*>", text[opening.end() :], re.IGNORECASE):
            return True
    return False


# Elements that stand apart from the text around them: "<figcaption>Photo: Reuters</figcaption>
# </figure><p>More than…" was read "Photo: ReutersMore than…", a sentence no question found.
_HTML_BLOCKS = (
    *("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "tr", "table", "pre"),
    *("figure", "figcaption", "section", "article", "main", "header", "footer", "aside", "address", "dt", "dd"),
)
_HTML_CELLS = ("td", "th")
_PARAGRAPH_SPLIT = re.compile(r"\n[ \t]*\n")
# NewsAPI cuts "content" short and says so at its end: "…fell 1.2% to $68.40 a barrel by… [+2345 chars]".
_CUT_SHORT = re.compile(r"\s*\[\+\d+ chars\]\s*\Z")


class _Warning(NamedTuple):
    """A record that was read, with a caveat (a field left out, a date not read)."""

    about: Skipped


# "[[[[…" 100,000 deep: Python's parser gives up with a RecursionError, which failed every build.
_TOO_DEEP = "JSON nested too deeply to read (lists or objects inside each other thousands of times)"


def _json_articles(text: str, rel: str, jsonl: bool) -> Iterator[Article | Skipped | _Warning]:
    if jsonl:  # a malformed line is a Skipped in its place: problems are listed in line order
        records: list[tuple[str, Any]] = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((str(n), json.loads(line)))
            except json.JSONDecodeError as exc:
                why = f"malformed JSON line ({_json_problem(exc)} at column {exc.colno})"
                records.append((str(n), Skipped(f"{rel}:{n}", why)))
            except RecursionError:
                records.append((str(n), Skipped(f"{rel}:{n}", _TOO_DEEP)))
        if any(isinstance(record, Skipped) for _, record in records) and _one_json_document(text):
            raise _Skip("it holds one JSON document over several lines, not a record a line: rename it to .json")
        if len(records) == 1 and isinstance(records[0][1], list):  # json.dump(articles, f): one line
            raise _Skip("it holds one JSON list, not a record a line: rename it to .json")
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            why = f"malformed JSON ({_json_problem(exc)} at line {exc.lineno})"
            if exc.msg == "Extra data" and _json_lines(text):
                why += "; it holds a JSON record a line: rename it to .jsonl"
            raise _Skip(why) from None
        except RecursionError:
            raise _Skip(_TOO_DEEP) from None
        items = _record_list(data)
        records = [(str(n), item) for n, item in enumerate(items, start=1)]
    # Every record's own id, first: a record without one is never named as another is ("#1" by
    # its position, next to a record whose id is "1", lost one of the two as a duplicate).
    named = {str(key) for _, record in records if (key := _record_id(record)) is not None}
    first: dict[str, str] = {}  # article id -> the record that has it
    for where, record in records:
        if isinstance(record, Skipped):
            yield record
            continue
        label = f"{rel}:{where}" if jsonl else f"{rel}[{where}]"
        found = list(_json_article(record, rel, where, label, _record_place(label, rel, jsonl), named))
        article = found[-1] if isinstance(found[-1], Article) else None  # (an article comes last)
        key = article.source.article_id.removeprefix(f"{rel}#") if article is not None else ""
        if key in first:  # not indexed: its caveats are said by its place, not by the id it repeats
            yield from (_Warning(Skipped(label, w.about.reason)) for w in found[:-1] if isinstance(w, _Warning))
            why = f"its id {key!r:.80} is {first[key]}'s too, which was kept; give each record its own id"
            yield Skipped(label, why)
            continue
        if key:
            first[key] = _record_place(label, rel, jsonl)
        yield from found


def _one_json_document(text: str) -> bool:
    """Is this .jsonl file's text one JSON document (a pretty-printed array saved as .jsonl)?"""
    try:
        json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return False
    return True


def _json_lines(text: str) -> bool:
    """Is this .json file's text JSON Lines (a record on each line)?"""
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        return len(lines) > 1 and all(isinstance(json.loads(line), dict) for line in lines)
    except (json.JSONDecodeError, RecursionError):
        return False


def _record_place(label: str, rel: str, jsonl: bool) -> str:
    """ "line 3" or "record 3": where a record is in its file, as a message names it."""
    return ("line " if jsonl else "record ") + label.removeprefix(rel).strip(":[]")


def _record_id(record: Any) -> str | int | None:
    """A record's own `id`, if it is one (text or a number, not empty)."""
    key = record.get("id") if isinstance(record, dict) else None
    if isinstance(key, str) and _UNUSABLE_NAME.search(key):
        return None  # not used (see `_json_article`)
    return key if isinstance(key, (str, int)) and not isinstance(key, bool) and key != "" else None


def _record_list(data: Any) -> list[Any]:
    """The records of a .json file: a list, one record, or a wrapper object that holds its
    records as its only list of objects ({"articles": [...]}, as exports and APIs write)."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and not any(k in data for k in _RECORD_KEYS["text"]):
        lists = [v for v in data.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if len(lists) == 1:
            return lists[0]
        # NewsAPI's answer when nothing matched: {"status": "ok", "totalResults": 0, "articles": []}
        if not lists and not any(k in data for k in _RECORD_KEYS["title"]) and [] in data.values():
            return []
    return [data]


def _json_article(
    record: Any, rel: str, where: str, label: str, place: str, named: set[str]
) -> Iterator[Article | Skipped | _Warning]:
    """One JSON record as an article, with a warning for each field it could not read.

    The record's `id` names it; without one, its address (`url`), unless an earlier record
    of the file has that address; else its position. A feed without ids, named by position,
    renamed every record when a story was added at its top: re-embedded, and citations and
    feedback pointed at other stories.
    """
    caveats: list[str] = []  # said once the record's id, which names it, is known
    body = _record_field(record, "text") if isinstance(record, dict) else None
    if isinstance(body, list) and body and all(isinstance(part, str) for part in body):
        body = "\n\n".join(part.strip() for part in body)  # the text as a list of paragraphs
    if not isinstance(body, str) or not body.strip():
        keys = f"; its keys: {', '.join(map(str, list(record)[:8]))}" if isinstance(record, dict) and record else ""
        if body is not None and not isinstance(body, str):  # "text": ["para", {"img": …}] or a number
            kind = {"dict": "an object", "list": "a list", "bool": "true or false"}.get(type(body).__name__, "a number")
            yield Skipped(label, f"its text is {kind}, not a string (or a list of strings){keys}")
            return
        if not isinstance(record, dict):  # "a string", 42, null: no record at all
            yield Skipped(
                label, f"not a record (a JSON object with a text field) but {shortened(json.dumps(record), 60)}"
            )
            return
        blank = next((k for k in _RECORD_KEYS["text"] if isinstance(record.get(k), str)), None)
        if blank is not None:  # "text": "" said "no text" and listed the key "text" beside it
            yield Skipped(label, f"its {blank!r} is empty")
            return
        yield Skipped(
            label, f'record has no text (a "text", "body", "content", "articleBody" or "description" string){keys}'
        )
        return
    if _CUT_SHORT.search(body):
        body = _CUT_SHORT.sub("", body)
        caveats.append("its text was cut short by the export (NewsAPI gives ~200 characters); indexed as given")
    if _is_html(body):
        body = _html_fragment_text(body)
    else:
        body = character_references_decoded(body)
        # Escaped markup ("&lt;p&gt;Rates held.&lt;/p&gt;") was cited with its tags; a text that
        # mentions a tag ("the &lt;/p&gt; closing tag") does not open with one.
        if body.lstrip().startswith("<") and _CLOSED_BLOCK.search(body):
            body = _html_fragment_text(body)
    if not _WORD_CHAR.search(body):
        yield Skipped(label, 'no words in the record\'s "text" (only punctuation, symbols or spaces)')
        return
    meta: dict[str, str] = {}
    for name in ("title", "date", "source", "url"):
        value = _record_field(record, name)
        if isinstance(value, str) and value.strip():
            if name in ("title", "source") and _MARKED_UP_FIELD.search(value):  # "Storm <em>Amy</em> hits"
                meta[name] = " ".join(_html_fragment_text(value).split())  # references decoded with the markup
                continue
            meta[name] = (value if name == "url" else character_references_decoded(value)).strip()
        elif value not in (None, ""):
            caveats.append(f"{name} {value!r:.60} is not text; left out")
    key = record.get("id")
    if (key is not None and not isinstance(key, (str, int))) or isinstance(key, bool):
        caveats.append(f"id {key!r:.60} is not text or a number; its url or position names it")
        key = None
    elif isinstance(key, str) and _UNUSABLE_NAME.search(key):
        # As a file name with one is: a line break in an id forged lines of the build report.
        why = "holds a line break or other control character"
        caveats.append(f"id {key!r:.60} {why}; its url or position names it")
        key = None
    if meta.get("url") and web_link(meta["url"]) is None:
        caveats.append(_unkept_link(meta.pop("url")))
    if key in (None, "") and meta.get("url") and meta["url"] not in named:
        key = meta["url"]
        named.add(key)
    if key in (None, ""):
        key = where
        if where in named:  # another record's own id
            key = f"position {where}"
            caveats.append(f"no id, and its position {where} is another record's id: named {rel}#{key}")
    article_id = f"{rel}#{key}"
    title = meta.pop("title", None)
    if title and meta.get("source") and title.endswith(f" - {meta['source']}"):  # NewsAPI: "Oil falls - Reuters"
        title = title.removesuffix(f" - {meta['source']}")
    article = _make_article(article_id, rel, title, body.strip(), meta)
    if meta.get("date") and article.source.date is None:
        caveats.append(_unread_date(meta["date"]))
    # Named as the report's "added:" line and a citation name it, with its place in the file:
    # "feed.json[1]: date not read" beside "added: feed.json#n1" read as two records.
    yield from (_Warning(Skipped(f"{article_id} ({place})", caveat)) for caveat in caveats)
    yield article


def _record_field(record: dict[str, Any], name: str) -> Any:
    """The first of `name`'s keys that the record holds (see `_RECORD_KEYS`); an object with a
    "name" (NewsAPI's and schema.org's publisher) gives its name."""
    for key in _RECORD_KEYS[name]:
        value = record.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):  # "text": "  " beside a "body"
            continue
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return value["name"]
        return value
    return None


def _html_fragment_text(markup: str) -> str:
    """Text given as an HTML fragment, a paragraph per block and a line per <br>; what a
    `<script>`, `<style>` or `<template>` holds is left out, as a browser never shows it (a
    feed's embedded player script was cited as the story's sentences).

    Example:
        >>> _html_fragment_text("<p>Rates held.</p><script>track('x');</script><style>p {}</style>")
        'Rates held.'
    """
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except MemoryError:
        raise
    except Exception:  # lxml raises several types for broken markup: keep the text as given
        return markup
    return _element_text(root)


def _element_text(root: Any) -> str:
    """An lxml element's text as `_html_fragment_text` gives it (changes the element)."""
    for element in list(root.iter(*_HIDDEN_ELEMENTS)):
        element.drop_tree()  # (its tail, the text after it, stays)
    for element in root.iter("br"):
        element.tail = "\n" + (element.tail or "")
    for element in root.iter(*_HTML_BLOCKS):
        element.tail = "\n\n" + (element.tail or "")
    for element in root.iter(*_HTML_CELLS):  # a row's cells: "Green | 12,311", not "Green12,311"
        if next(element.itersiblings(*_HTML_CELLS), None) is not None:  # not a comment after the last
            element.tail = " | " + (element.tail or "")
    paragraphs = (" ".join(p.split()) for p in _PARAGRAPH_SPLIT.split(root.text_content()))
    return "\n\n".join(p for p in paragraphs if p)


_WEB_LINK = re.compile(r"https?://[^\s/?#]+\S*", re.IGNORECASE)
# A character reference ended by ";": "&#233;", "&#xE9;", "&eacute;". Without the ";" it stays
# text ("AT&T", "Q&A", "R&Dstrategy"), unlike html.unescape on a whole text.
_CHARACTER_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def character_references_decoded(text: str) -> str:
    """Plain text with the HTML character references scraped text keeps decoded.

    Exports of news sites often carry them into plain text: BBC News' dataset has
    "Pel&#233; scored" and the title "&#163;1.8m indecency fine" in 24 of 2,225 articles,
    which were cited, shown and searched as such ("Pelé" did not find them). Only references
    ended by ";" that name a character are decoded; one that would decode to a control or
    format character (an escape, a bidi override) or to no character ("&#0;") stays as written.

    Example:
        >>> character_references_decoded("Pel&#233; &amp; AT&T &lt;( &#163;1.8m &nope; &#27; &#8238;")
        'Pelé & AT&T <( £1.8m &nope; &#27; &#8238;'
    """
    return _CHARACTER_REFERENCE.sub(_decoded_reference, text)


def _decoded_reference(match: re.Match[str]) -> str:
    character = unescape(match.group())
    shown = all(
        (c.isprintable() and c != "\ufffd") or c in "\t\n" or unicodedata.category(c) == "Zs" for c in character
    )
    return character if character and shown else match.group()  # "&#27;" gives "": an escape


def _plain_field(value: str) -> str:
    """A title or publisher as one line of visible text: shown next to other text, a control
    character (ESC retitled the terminal) or bidi override (a publisher's U+202E turned the
    citation's file name and date around) would act on it.

    Example:
        >>> _plain_field("Harmless \x1b]0;PWNED\x07  title\u202e")
        'Harmless ]0;PWNED title'
    """
    return " ".join(_ZERO_WIDTH.sub("", visible(value, mark=" ")).split())


# Invisible characters that only a copy-paste leaves in a title: a zero-width space, a word
# joiner, a byte order mark ("Orchestra tour\u200b ends" was shown and printed so). Not the
# zero-width (non-)joiners, which Persian and Indic words and emoji need.
_ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff]")


def is_web_link(url: str | None) -> TypeGuard[str]:
    """Whether `url` is an http(s) link, the only kind an article's source is given as
    (a "javascript:" one would run where a client shows it as a link).

    Example:
        >>> is_web_link("HTTPS://example.com/story"), is_web_link("javascript:alert(1)"), is_web_link("https://")
        (True, False, False)
    """
    return url is not None and _WEB_LINK.fullmatch(url) is not None


def web_link(url: str | None) -> str | None:
    """`url` as an http(s) link to give as an article's source, or None when it is none.
    Spaces, quotes and angle brackets after the host are percent-encoded, as browsers send
    them: "https://example.com/council votes.html" was left out as "not http(s)".

    Example:
        >>> web_link(" https://example.com/council votes.html "), web_link("javascript:alert(1)")
        ('https://example.com/council%20votes.html', None)
    """
    if not isinstance(url, str):
        return None
    found = re.match(r"\s*(https?://[^\s/?#]+)((?:[/?#].*?)?)\s*$", url, re.IGNORECASE | re.DOTALL)
    if found is None:  # not http(s), no host, or a space in the host
        return None
    return found.group(1) + _UNSAFE_IN_LINK.sub(lambda c: quote(c.group(0)), found.group(2))


# What a link cannot hold as it is (a space ends it where it is shown as text, a quote its
# attribute), but letters of any script can: those stay as written.
_UNSAFE_IN_LINK = re.compile(r'[\s"<>\\^`{|}]')


def _unkept_link(url: str) -> str:
    """The warning for a source link that is not an http(s) one (the article has none)."""
    return f"url {url!r:.80} left out: not an http:// or https:// link to a host"


def _make_article(
    article_id: str, rel: str, title: str | None, body: str, meta: dict[str, str], pages: tuple[int, ...] = ()
) -> Article:
    body = _without_editors_notes(body)
    if not body:
        raise _Skip("no text found in the file")
    if not _WORD_CHAR.search(body):
        raise _Skip("no words in the file (only punctuation, symbols or spaces)")
    date = None
    if meta.get("date"):
        date = read_date(meta["date"])
    source = Source(
        article_id=article_id,
        title=_plain_field(title or "") or _plain_field(default_title(body)),
        path=rel,
        date=date,
        publisher=_plain_field(meta.get("source") or "") or wire_credit(body),
        url=web_link(meta.get("url")),
        pages=pages,
    )
    return Article(source=source, body=body)


def _without_editors_notes(body: str) -> str:
    """The text without the editor's notes opening it (a page's or a record's text; a text
    file's leading lines are read so by `_text_article`)."""
    lines = body.split("\n")
    start = 0
    while start < len(lines) and (not lines[start].strip() or _EDITORS_NOTE.match(lines[start])):
        start += 1
    return body if start == 0 else "\n".join(lines[start:]).strip()


# The news agencies a wire dateline credits ("WASHINGTON (AP) —"), as they write themselves.
# A list, not any name in parentheses: a kicker stands in the same place ("UPDATE (Corrected)
# —", "WATCH (Video) -", "WHO (World Health Organization) -"), and is no publisher.
_WIRE_AGENCIES = {
    name.lower(): name
    for name in (
        "AP", "Reuters", "AFP", "UPI", "CNN", "dpa", "Bloomberg", "EFE", "Xinhua", "Kyodo", "PA",
        "ANSA", "Yonhap", "TASS", "PTI", "IANS", "ANI", "AAP", "CP", "Anadolu",
    )
}  # fmt: skip
# A desk's or service's credit is its agency's, so that `--source CNN` finds it.
_WIRE_AGENCIES |= {"cnn business": "CNN", "reuters breakingviews": "Reuters", "aa": "Anadolu"}
# A place of any case and its state, country or date, then the agency in parentheses, then a
# dash or the text itself (CNN's "(CNN)The storm"): "SPRINGFIELD, Ill. (AP) —", "LONDON/NEW
# YORK, Dec 7, 2025 (Reuters) -", "Paris (AFP) -", or the agency alone: "(CNN) —".
# Each word of the place opens with a capital, a digit or a bracket ("New Delhi [India]"): "…
# the union said (AP)" is no dateline. After the credit, a dash (AP's old "_", EFE's ".-",
# ANI's ":") or the text. TASS writes its name between slashes: "MOSCOW, March 4. /TASS/.".
_WIRE_DATELINE = re.compile(
    r"(?:[\[A-ZÀ-Þ0-9][\w.'’/\[\]-]*,? ){0,8}"
    r"(?:\(([^()\n]{1,24})\)\s*(?:[—–_:-]+|\.-|(?=[A-Z]))|/([A-Za-z]{2,12})/\.?)\s*"
)


def wire_credit(body: str) -> str | None:
    """The agency a wire dateline opening the text (or its first line after a byline) names:
    the article's publisher where nothing else (a `source:` header, a page's site name, a
    record's field) says.

    Example:
        >>> wire_credit("SPRINGFIELD, Ill. (AP) — The governor signed the bill.")
        'AP'
        >>> wire_credit("Atlanta (CNN)Storms hit."), wire_credit("BERLIN, Dec 7 (DPA) - Rain.")
        ('CNN', 'dpa')
        >>> wire_credit("LONDON — Storms hit."), wire_credit("UPDATE (Corrected) - Storms hit.")
        (None, None)
    """
    dateline = _wire_dateline(body)
    return _agency(dateline) if dateline else None


def _agency(dateline: re.Match[str]) -> str | None:
    """The known agency a `_WIRE_DATELINE` match credits, or None (a kicker's "(Corrected)")."""
    return _WIRE_AGENCIES.get((dateline[1] or dateline[2]).strip().lower())


def _wire_dateline(body: str) -> re.Match[str] | None:
    """The dateline opening the text or its first line after a byline."""
    lines = [line for line in body.lstrip().split("\n", 3)[:3] if line.strip()]
    if len(lines) > 1 and is_byline(lines[0]):
        lines = lines[1:]
    return _WIRE_DATELINE.match(lines[0].lstrip()) if lines else None


_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# "January 16, 2026", "Jan. 16 2026", "16 January 2026" inside a line.
_WORDED_DATE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTHS},?\s+\d{{4}})\b", re.IGNORECASE
)
# A date written in words names its month and a four-digit year.
_MONTH_NAME = re.compile(rf"\b{_MONTHS}\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:1[89]|2[0-9])[0-9]{2}\b")
_YEAR_FIRST = re.compile(r"((?:1[89]|2[0-9])[0-9]{2})([/.-])([01]?[0-9])\2([0-3]?[0-9])\b")
# A date written as numbers, year first, whether or not it is a real one ("2026-02-30").
_NUMBERED_DATE = re.compile(r"\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")
_ALL_NUMBER_DATE = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d\d)\s*")
# Written out, not calendar.month_name: that follows the locale (a program that set a French
# one would read "septembre" and no longer "September"). Filters and questions use them too.
MONTH_NAMES = tuple("January February March April May June July August September October November December".split())
# What a news page prints around a worded date: weekdays, times of day ("10.30", "10:30 AM"),
# time zones ("GMT", "ET"), the words saying what the date is, separators.
_AROUND_A_DATE = re.compile(
    r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\b\.?"  # not "Sunak", "Thunderstorms"
    r"|\b(?:posted|published|first|last|updated|on|at)\b|\b[ap]\.?m\b\.?"
    r"|(?-i:\b[A-Z]{2,4}\b)|\b\d{1,2}[:.]\d{2}(?::\d{2})?\b|[|,·•—–:/()-]",
    re.IGNORECASE,
)
# The time of day an ISO timestamp gives after its date ("T08:00", " 25:00").
_ISO_TIME = re.compile(r"[T ](\d{2}):(\d{2})")


def read_date(value: str) -> str | None:
    """A `date:` header's, JSON record's or web page's date as YYYY-MM-DD, else None.

    Read: ISO dates and timestamps; year-first dates with slashes, dots or dashes ("2026/01/16", "2026-1-6");
    dates that name their month, as news and feeds write them ("January 16, 2026", "16 Jan.
    2026", RSS's "Fri, 16 Jan 2026 08:00:00 GMT"; by python-dateutil); other all-number dates
    when they are one day whichever comes first ("13/04/2026"). Not read: dates without a day
    ("January 2026") and all-number dates that could be two ("03/04/2026" is March in the US
    and April in most other places: `all_number_readings` gives both).

    Example:
        >>> read_date("2026-01-16T08:00:00Z"), read_date("Fri, 16 Jan 2026 08:00:00 GMT")
        ('2026-01-16', '2026-01-16')
        >>> read_date("January 16, 2026"), read_date("16 Jan. 2026"), read_date("03/04/2026")
        ('2026-01-16', '2026-01-16', None)
        >>> read_date("2026/01/16"), read_date("2026.1.16 08:00"), read_date("2026/13/01")
        ('2026-01-16', '2026-01-16', None)
        >>> read_date("2026-1-6"), read_date("2026-02-30"), read_date("2026-01-16T25:00:00")
        ('2026-01-06', None, None)
        >>> read_date("13/04/2026"), read_date("04/13/2026"), read_date("03/03/2026")
        ('2026-04-13', '2026-04-13', '2026-03-03')
    """
    value = value.strip()
    try:
        iso = dt.date.fromisoformat(value[:10])
    except ValueError:
        pass
    else:  # "2026-01-16T25:00:00" is no time: not read, as "2026-02-30" is not
        time = _ISO_TIME.match(value, 10)
        return iso.isoformat() if time is None or (int(time[1]) < 24 and int(time[2]) < 60) else None
    if year_first := _YEAR_FIRST.match(value):  # "2023/01/05": year first is never ambiguous
        try:
            year, _, month, day = year_first.groups()
            return dt.date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            return None
    if readings := all_number_readings(value):  # "13/04/2026", "04/13/2026"; never a guess between two
        return readings[0].isoformat() if len(readings) == 1 else None
    if len(value) > 60 or not (_MONTH_NAME.search(value) and _YEAR.search(value)):
        return None
    from dateutil import parser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a time zone it cannot name ("EST"): the date is still right
            # Parsed twice with different defaults: a part the text lacks (the day) comes out different.
            first = parser.parse(value, default=dt.datetime(2000, 1, 1))
            second = parser.parse(value, default=dt.datetime(2001, 2, 2))
    except (ValueError, OverflowError):
        return _date_among_times(value)
    return first.date().isoformat() if first.date() == second.date() else _date_among_times(value)


def all_number_readings(value: str) -> list[dt.date]:
    """The days an all-number day-month-year or month-day-year date can be, earliest first.

    Example:
        >>> all_number_readings("03/04/2025"), all_number_readings("13.04.2025"), all_number_readings("2025")
        ([datetime.date(2025, 3, 4), datetime.date(2025, 4, 3)], [datetime.date(2025, 4, 13)], [])
    """
    found = _ALL_NUMBER_DATE.fullmatch(value)
    if not found:
        return []
    first, second, year = map(int, found.groups())
    readings = set()
    for day, month in ((first, second), (second, first)):
        with contextlib.suppress(ValueError):
            readings.add(dt.date(year, month, day))
    return sorted(readings)


def two_days(readings: Sequence[dt.date]) -> tuple[str, str]:
    """Why an all-number date of two readings is not read, and how to write it, in words (not
    strftime's "%-d", which Windows lacks, nor "%B", which follows the locale).

    Example:
        >>> two_days(all_number_readings("03/04/2025"))
        ('could be 4 March or 3 April 2025', 'write it as 2025-03-04 or 2025-04-03')
    """
    first, second = readings
    return (
        f"could be {first.day} {MONTH_NAMES[first.month - 1]} or {second.day} {MONTH_NAMES[second.month - 1]} "
        f"{second.year}",
        f"write it as {first.isoformat()} or {second.isoformat()}",
    )


def _date_among_times(value: str) -> str | None:
    """The date of a dateline dateutil cannot read, "Mon 4 Mar 2024 10.30 GMT" (the
    Guardian's), "4 March 2024 | 10:30 GMT", "Updated 10:30 AM EST, Mon March 4, 2024": its
    one worded date, when all else on the line is weekday, time, zone or separator. Not
    "Talks resume on March 4, 2024" (a headline), not a line naming two dates.

    Example:
        >>> _date_among_times("March 4, 2024 — 10:30 AM"), _date_among_times("Talks resume on March 4, 2024")
        ('2024-03-04', None)
    """
    dates = _WORDED_DATE.findall(value)
    if len(dates) != 1 or dates[0] == value:
        return None
    rest = _AROUND_A_DATE.sub(" ", value.replace(dates[0], " "))
    return read_date(dates[0]) if not rest.strip() else None


def default_title(body: str) -> str:
    """A readable title for an article that has none: its first sentence, shortened.

    Example:
        >>> default_title("Markets fell sharply on Monday as investors fled. More text.")
        'Markets fell sharply on Monday as investors fled.'
        >>> default_title("By Jane Doe\\n\\nMarkets fell sharply on Monday. More text.")
        'Markets fell sharply on Monday.'
        >>> default_title("MOSCOW, March 4. /TASS/. Talks resumed on Monday. More text.")
        'Talks resumed on Monday.'
    """
    head = body[:2000].split("\n")
    while len(head) > 1 and (not head[0].strip() or _credit_line(head[0])):  # "By Jane Doe" is no title
        head.pop(0)
    text = "\n".join(head).lstrip()
    dateline = _WIRE_DATELINE.match(text)
    if dateline and _agency(dateline) and text[dateline.end() :].strip():  # "MOSCOW, March 4." is no title
        text = text[dateline.end() :]
    sentences = split_sentences(text)
    sentence = " ".join((sentences[0].text if sentences else text).split())
    return shortened(sentence, TITLE_CHARS) or "Untitled article"
