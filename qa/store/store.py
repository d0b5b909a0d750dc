"""The store: articles, passages and sentences in SQLite. The only code that writes SQL.

Passages and sentences are rows pointing into their article's body by character offsets,
so every quoted sentence is `body[start:end]` of the article as it was indexed. Sentence
rows also hold the sentence vector (float16, read in its passage's context) and BM25
terms; passage rows hold their BM25 terms, from which the lexical index is rebuilt.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..articles import Article, Source
from ..errors import IndexCorruptError
from ..filters import Filters
from ..wording import shell_path
from .manifest import Counts

SCHEMA = """
CREATE TABLE articles(
    id INTEGER PRIMARY KEY,              -- row key, never shown
    article_id TEXT NOT NULL UNIQUE,     -- the stable article id shown to users
    title TEXT NOT NULL, date TEXT, publisher TEXT, url TEXT, path TEXT NOT NULL,
    body TEXT NOT NULL, content_hash TEXT NOT NULL, indexed_at TEXT NOT NULL,
    pages TEXT);                         -- a PDF's page start offsets ("0 1834 3902"), else NULL
CREATE INDEX articles_date ON articles(date);
CREATE TABLE passages(
    id INTEGER PRIMARY KEY, article INTEGER NOT NULL, ordinal INTEGER NOT NULL,
    first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL,  -- sentence ids
    start INTEGER NOT NULL, end INTEGER NOT NULL,                     -- offsets in body
    terms TEXT NOT NULL);                -- BM25 terms of title + text, kept for rebuilds
CREATE INDEX passages_article ON passages(article);
CREATE TABLE sentences(
    id INTEGER PRIMARY KEY, article INTEGER NOT NULL, ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL,
    vector BLOB NOT NULL,                -- float16, normalised, read in passage context
    terms TEXT NOT NULL);                -- BM25 terms, scored against the question
CREATE INDEX sentences_article ON sentences(article);
CREATE TABLE removed(                    -- a delta segment only: base articles it replaces or deletes
    article_id TEXT PRIMARY KEY);
"""
_TABLES = ("articles", "passages", "sentences")
_SOURCE_COLUMNS = "a.article_id, a.title, a.path, a.date, a.publisher, a.url, a.pages"
_SOURCE_WIDTH = 7  # the columns above, read back by `_source`
PASSAGES_PER_QUERY = 250  # a question reads ~20; bulk readers (benchmarks, tools) are split
SENTENCES_PER_QUERY = 10_000  # sentence vectors read per query; a question reads a few hundred


@dataclass(frozen=True)
class ArticleInfo:
    """An indexed article as listed by `Index.articles()` (no body)."""

    source: Source
    passages: int
    indexed_at: str
    content_hash: str = ""  # of its text, title and date: the same article, whenever it was indexed


@dataclass(frozen=True)
class StoredPassage:
    """A passage with its article's source and body and its sentences' ids and offsets."""

    passage_id: int
    source: Source
    body: str
    start: int
    end: int
    sentence_ids: tuple[int, ...]
    sentence_spans: tuple[tuple[int, int], ...]
    content_hash: str = ""  # its article's (ArticleInfo.content_hash): copies of one article share it

    @property
    def text(self) -> str:
        return self.body[self.start : self.end]


@dataclass(frozen=True)
class NewPassage:
    """A passage to store: its sentence range (indexes into the article's sentences), offsets, terms."""

    first: int
    last: int
    start: int
    end: int
    terms: str


@dataclass(frozen=True)
class NewSentence:
    """A sentence to store: offsets in the body, its vector and BM25 terms."""

    start: int
    end: int
    vector: np.ndarray
    terms: str


class Store:
    """One generation's SQLite database. Reads are safe to share between threads.

    Example:
        >>> store = Store.open(Path("index") / "gen-..." / "store.sqlite", dim=384)  # doctest: +SKIP
        >>> store.counts().articles  # doctest: +SKIP
        1
    """

    def __init__(self, db: sqlite3.Connection, path: Path, dim: int) -> None:
        # Python's lower-casing for publishers, as Filters and the notices compare them: SQLite's
        # lower() folds ASCII only, and "Österreich Heute", typed exactly, matched nothing.
        db.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)
        self._db = db
        self.path = path
        self.dim = dim
        self._lock = threading.Lock()
        self._next_ids: dict[str, int] = {}

    @classmethod
    def open(cls, path: Path, dim: int) -> Store:
        """Open a published (immutable) store read-only."""
        if not path.exists():
            raise IndexCorruptError(f"{path} is missing. {_rebuild(path)}")
        try:
            # immutable=1: a generation never changes after it is built, so SQLite can skip locking.
            db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{path} is damaged ({exc}). {_rebuild(path)}") from None
        return cls(db, path, dim)

    @classmethod
    def open_for_build(cls, path: Path, dim: int, create: bool, after: tuple[int, int, int] = (0, 0, 0)) -> Store:
        """Open a store being built (a fresh one when `create`), without a journal: a failed
        build throws its whole folder away. New rows get ids above `after` (the last
        article, passage and sentence ids of the base segment, for a delta segment), so
        ids stay unique across the segments of a generation.
        """
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        if create:
            db.executescript(SCHEMA)
        elif "pages" not in _columns(db, "articles"):
            # A store built before page numbers: the column is added at the end, where
            # SCHEMA has it, so a merge's `INSERT ... SELECT *` lines columns up.
            db.execute("ALTER TABLE articles ADD COLUMN pages TEXT")
        store = cls(db, path, dim)
        store._next_ids = {t: max(last, floor) + 1 for t, last, floor in zip(_TABLES, store.last_ids(), after)}
        return store

    def close(self) -> None:
        self._db.close()

    # -- reading --------------------------------------------------------------------------------

    def articles(self) -> list[ArticleInfo]:
        """Every article, newest first (by date, then title)."""
        rows = self._query(
            f"SELECT {self._source_columns}, a.indexed_at, (SELECT count(*) FROM passages p WHERE p.article = a.id), "
            "a.content_hash FROM articles a ORDER BY a.date IS NULL, a.date DESC, a.title"
        )
        return [_article_info(r) for r in rows]

    def article(self, article_id: str) -> ArticleInfo | None:
        """One article by its id, or None."""
        rows = self._query(
            f"SELECT {self._source_columns}, a.indexed_at, (SELECT count(*) FROM passages p WHERE p.article = a.id), "
            "a.content_hash FROM articles a WHERE a.article_id = ?",
            [article_id],
        )
        return _article_info(rows[0]) if rows else None

    def undated_count(self, excluding: Sequence[str] = ()) -> int:
        """How many articles (but those in `excluding`) have no date (through the date index)."""
        rows = self._query(
            f"SELECT count(*) FROM articles WHERE date IS NULL AND article_id NOT IN ({_marks(excluding)})", excluding
        )
        return int(rows[0][0])

    def file_article_ids(self, path: str) -> list[str]:
        """The ids of the articles read from the file `path`: `path` itself, or its records'
        `path#…` (through the article id index)."""
        rows = self._query(
            "SELECT article_id FROM articles WHERE article_id = ? "
            "UNION ALL SELECT article_id FROM articles WHERE article_id > ? AND article_id < ?",
            [path, f"{path}#", f"{path}$"],  # "$" sorts straight after "#"
        )
        return [r[0] for r in rows]

    def publishers(self, excluding: Sequence[str] = ()) -> list[str]:
        """The distinct publishers of the articles (but those in `excluding`), sorted."""
        rows = self._query(
            "SELECT DISTINCT publisher FROM articles WHERE publisher IS NOT NULL "
            f"AND article_id NOT IN ({_marks(excluding)}) ORDER BY publisher",
            excluding,
        )
        return [r[0] for r in rows]

    def counts(self) -> Counts:
        articles, passages, sentences = (
            self._query(f"SELECT count(*) FROM {table}")[0][0] for table in ("articles", "passages", "sentences")
        )
        return Counts(articles=articles, passages=passages, sentences=sentences)

    def content_hashes(self) -> dict[str, str]:
        """article_id -> content hash, sorted by id."""
        return dict(self._query("SELECT article_id, content_hash FROM articles ORDER BY article_id"))

    def last_ids(self) -> tuple[int, int, int]:
        """The highest article, passage and sentence row ids (0 for an empty table)."""
        a, p, s = (self._query(f"SELECT coalesce(max(id), 0) FROM {t}")[0][0] for t in _TABLES)
        return a, p, s

    def removed_articles(self) -> list[str]:
        """Ids of the base segment's articles that this delta segment removes or replaces."""
        return [r[0] for r in self._query("SELECT article_id FROM removed ORDER BY article_id")]

    def rows_of(self, article_ids: Sequence[str]) -> tuple[Counts, list[int], list[int]]:
        """How much the given articles hold, with their passage and sentence ids (what
        removing them takes away)."""
        if not article_ids:
            return Counts(0, 0, 0), [], []
        inner = f"SELECT id FROM articles WHERE article_id IN ({_marks(article_ids)})"
        articles = len(self._query(inner, article_ids))
        passages = [r[0] for r in self._query(f"SELECT id FROM passages WHERE article IN ({inner})", article_ids)]
        sentences = [r[0] for r in self._query(f"SELECT id FROM sentences WHERE article IN ({inner})", article_ids)]
        return Counts(articles, len(passages), len(sentences)), passages, sentences

    def passages(self, passage_ids: Sequence[int]) -> dict[int, StoredPassage]:
        """Passages by id, with their article and sentence offsets."""
        if len(passage_ids) > PASSAGES_PER_QUERY:
            # SQLite refuses an expression deeper than 1,000 terms (the sentence ranges below).
            return {
                pid: passage
                for begin in range(0, len(passage_ids), PASSAGES_PER_QUERY)
                for pid, passage in self.passages(passage_ids[begin : begin + PASSAGES_PER_QUERY]).items()
            }
        if not passage_ids:
            return {}
        rows = self._query(
            f"SELECT p.id, {self._source_columns}, a.body, p.start, p.end, p.first_sentence, p.last_sentence, "
            f"a.content_hash FROM passages p JOIN articles a ON a.id = p.article WHERE p.id IN ({_marks(passage_ids)})",
            list(map(int, passage_ids)),
        )
        checked: set[str] = set()
        spans: dict[int, tuple[int, int]] = {}
        if rows:
            # One range read for all sentences; far cheaper than a query per passage.
            ranges = " OR ".join("id BETWEEN ? AND ?" for _ in rows)
            bounds = [v for r in rows for v in (r[11], r[12])]
            spans = {
                r[0]: (r[1], r[2]) for r in self._query(f"SELECT id, start, end FROM sentences WHERE {ranges}", bounds)
            }
        stored = {}
        for r in rows:
            ids = tuple(range(r[11], r[12] + 1))
            source = _source(r[1:])
            if source.article_id not in checked:
                self._check_article(source, r[8], r[13])
                checked.add(source.article_id)
            stored[r[0]] = StoredPassage(
                passage_id=r[0],
                source=source,
                body=r[8],
                start=r[9],
                end=r[10],
                sentence_ids=ids,
                sentence_spans=tuple(spans[i] for i in ids),
                content_hash=r[13],
            )
        return stored

    def sentence_vectors(self, sentence_ids: Sequence[int]) -> np.ndarray:
        """Stored sentence vectors (float32, rows in the order asked)."""
        if not sentence_ids:
            return np.empty((0, self.dim), np.float32)
        if len(sentence_ids) > SENTENCES_PER_QUERY:
            # A whole long article at once (a moved one's copy): read in slices, not all rows in one result.
            return np.concatenate(
                [
                    self.sentence_vectors(sentence_ids[begin : begin + SENTENCES_PER_QUERY])
                    for begin in range(0, len(sentence_ids), SENTENCES_PER_QUERY)
                ]
            )
        rows = dict(
            self._query(
                f"SELECT id, vector FROM sentences WHERE id IN ({_marks(sentence_ids)})", list(map(int, sentence_ids))
            )
        )
        return np.stack([np.frombuffer(rows[i], dtype=np.float16) for i in sentence_ids]).astype(np.float32)

    def sentence_texts(self, sentence_ids: Sequence[int]) -> dict[int, str]:
        """The text of the given sentences, quoted from their article's body."""
        if not sentence_ids:
            return {}
        rows = self._query(
            "SELECT s.id, substr(a.body, s.start + 1, s.end - s.start) FROM sentences s "
            f"JOIN articles a ON a.id = s.article WHERE s.id IN ({_marks(sentence_ids)})",
            list(map(int, sentence_ids)),
        )
        return {int(sid): text for sid, text in rows}

    def sentence_terms(self, sentence_ids: Sequence[int]) -> dict[int, list[str]]:
        """The BM25 terms of the given sentences."""
        if not sentence_ids:
            return {}
        rows = self._query(
            f"SELECT id, terms FROM sentences WHERE id IN ({_marks(sentence_ids)})", list(map(int, sentence_ids))
        )
        return {int(sid): terms.split() for sid, terms in rows}

    def passage_ids(self, filters: Filters) -> np.ndarray:
        """Ids of the passages whose article passes `filters`."""
        conditions: list[str] = []
        params: list[Any] = []
        if filters.since:
            conditions.append("a.date >= ?")
            params.append(filters.since)
        if filters.until:
            conditions.append("a.date <= ?")
            params.append(filters.until)
        if filters.sources:
            marks = _marks(filters.sources)
            conditions.append(
                f"(unicode_lower(a.publisher) IN ({marks}) OR a.article_id IN ({marks}) OR a.path IN ({marks}))"
            )
            params.extend(s.lower() for s in filters.sources)
            params.extend(filters.sources)
            params.extend(filters.sources)
        where = " AND ".join(conditions) or "1"
        # The articles first: the conditions (a Python function among them) are read once an
        # article, not once a passage (1M of them at scale).
        chosen = f"SELECT a.id FROM articles a WHERE {where}"
        rows = self._query(f"SELECT p.id FROM passages p WHERE p.article IN ({chosen})", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def content_hash_of(self, article_id: str) -> str | None:
        """The content hash of one stored article, or None when this store does not hold it."""
        rows = self._query("SELECT content_hash FROM articles WHERE article_id = ?", [article_id])
        return rows[0][0] if rows else None

    def article_layout(self, article_id: str) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        """One article's passages and sentences as (id, start, end), in article order, without
        its text: `passages` returns the body with every passage, which for a 2 MB article of
        1,873 passages held 3.6 GB (a moved article's copy reads this instead).

        Example:
            >>> store.article_layout("a.txt")  # doctest: +SKIP
            ([(1, 0, 42)], [(1, 0, 20), (2, 21, 42)])
        """
        passages = self._query(
            "SELECT p.id, p.start, p.end FROM passages p JOIN articles a ON a.id = p.article "
            "WHERE a.article_id = ? ORDER BY p.ordinal",
            [article_id],
        )
        sentences = self._query(
            "SELECT s.id, s.start, s.end FROM sentences s JOIN articles a ON a.id = s.article "
            "WHERE a.article_id = ? ORDER BY s.ordinal",
            [article_id],
        )
        return [(r[0], r[1], r[2]) for r in passages], [(r[0], r[1], r[2]) for r in sentences]

    def article_passage_ids(self, article_id: str) -> list[int]:
        """The passage ids of one article, in article order."""
        rows = self._query(
            "SELECT p.id FROM passages p JOIN articles a ON a.id = p.article WHERE a.article_id = ? ORDER BY p.ordinal",
            [article_id],
        )
        return [r[0] for r in rows]

    def passage_terms(self) -> Iterator[tuple[int, str]]:
        """(passage id, BM25 terms) of every passage, by id: what the lexical index is built from."""
        yield from self._db.execute("SELECT id, terms FROM passages ORDER BY id")

    def damaged_articles(self) -> list[str]:
        """Ids of the articles whose text or metadata differ from what was indexed (reads all)."""
        rows = self._db.execute(f"SELECT {self._source_columns}, a.body, a.content_hash FROM articles a")
        return [row[0] for row in rows if Article(_source(row), row[7]).content_hash != row[8]]

    def _check_article(self, source: Source, body: str, content_hash: str) -> None:
        """Refuse to serve an article whose stored text is not the text that was indexed.

        Every file is hashed when the index loads; this catches damage after that (the
        store is read from disk as questions come) at the cost of one sha256 of each
        article a question reads (microseconds).
        """
        if Article(source, body).content_hash != content_hash:
            raise IndexCorruptError(
                f"Article {source.article_id!r} in {self.path} differs from what was indexed (damaged). "
                f"{_rebuild(self.path)}"
            )

    # -- writing (builds only) ------------------------------------------------------------------

    def add_article(
        self, article: Article, sentences: Sequence[NewSentence], passages: Sequence[NewPassage], indexed_at: str
    ) -> list[int]:
        """Store an article with its sentences and passages; return the new passage ids in order."""
        s = article.source
        row = self._take_ids("articles", 1)[0]
        self._db.execute(
            "INSERT INTO articles(id, article_id, title, date, publisher, url, path, body, content_hash, indexed_at, "
            "pages) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                row,
                s.article_id,
                s.title,
                s.date,
                s.publisher,
                s.url,
                s.path,
                article.body,
                article.content_hash,
                indexed_at,
                " ".join(map(str, s.pages)) or None,
            ],
        )
        sentence_ids = self._take_ids("sentences", len(sentences))
        self._db.executemany(
            "INSERT INTO sentences(id, article, ordinal, start, end, vector, terms) VALUES (?,?,?,?,?,?,?)",
            [
                (sid, row, i, n.start, n.end, n.vector.astype(np.float16).tobytes(), n.terms)
                for i, (sid, n) in enumerate(zip(sentence_ids, sentences))
            ],
        )
        passage_ids = self._take_ids("passages", len(passages))
        self._db.executemany(
            "INSERT INTO passages(id, article, ordinal, first_sentence, last_sentence, start, end, terms) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [
                (pid, row, i, sentence_ids[p.first], sentence_ids[p.last], p.start, p.end, p.terms)
                for i, (pid, p) in enumerate(zip(passage_ids, passages))
            ],
        )
        return passage_ids

    def mark_removed(self, article_ids: Iterable[str]) -> None:
        """Record (in a delta segment) that base articles are removed or replaced."""
        self._db.executemany("INSERT OR IGNORE INTO removed(article_id) VALUES (?)", [(a,) for a in article_ids])

    def absorb(self, delta: Path) -> None:
        """Copy every row of the delta segment at `delta` into this store, ids unchanged (a merge)."""
        self._db.execute("ATTACH DATABASE ? AS delta", [str(delta)])
        try:
            for table in _TABLES:
                self._db.execute(f"INSERT INTO main.{table} SELECT * FROM delta.{table}")
        finally:
            self._db.commit()
            self._db.execute("DETACH DATABASE delta")
        self._next_ids = {t: last + 1 for t, last in zip(_TABLES, self.last_ids())}

    def delete_articles(self, article_ids: Iterable[str]) -> list[int]:
        """Delete articles with their passages and sentences; return the deleted passage ids."""
        dropped: list[int] = []
        for article_id in article_ids:
            (row,) = self._db.execute("SELECT id FROM articles WHERE article_id = ?", [article_id]).fetchone()
            dropped.extend(pid for (pid,) in self._db.execute("SELECT id FROM passages WHERE article = ?", [row]))
            self._db.execute("DELETE FROM passages WHERE article = ?", [row])
            self._db.execute("DELETE FROM sentences WHERE article = ?", [row])
            self._db.execute("DELETE FROM articles WHERE id = ?", [row])
        return dropped

    def commit(self) -> None:
        self._db.commit()

    def _take_ids(self, table: str, count: int) -> list[int]:
        first = self._next_ids[table]
        self._next_ids[table] = first + count
        return list(range(first, first + count))

    # -- diagnostics ----------------------------------------------------------------------------

    @contextmanager
    def traced(self) -> Iterator[list[str]]:
        """Collect every SQL statement run while the block runs (tests check query plans)."""
        statements: list[str] = []
        self._db.set_trace_callback(statements.append)
        try:
            yield statements
        finally:
            self._db.set_trace_callback(None)

    def query_plan(self, sql: str) -> list[str]:
        """SQLite's plan for a statement: one line per step ("SEARCH ... USING INDEX ...")."""
        return [row[3] for row in self._query(f"EXPLAIN QUERY PLAN {sql}")]

    # -- internals ------------------------------------------------------------------------------

    @functools.cached_property
    def _source_columns(self) -> str:
        """`_SOURCE_COLUMNS`, with NULL pages for a store built before page numbers."""
        with self._lock:
            has_pages = "pages" in _columns(self._db, "articles")
        return _SOURCE_COLUMNS if has_pages else _SOURCE_COLUMNS.replace("a.pages", "NULL")

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._lock:  # one connection, shared by threads: sqlite calls are short
                return self._db.execute(sql, list(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"Index store {self.path} is damaged ({exc}). {_rebuild(self.path)}") from None


def _article_info(row: Sequence[Any]) -> ArticleInfo:
    """An ArticleInfo from a row of `_SOURCE_COLUMNS`, indexed_at, passages, content_hash."""
    return ArticleInfo(source=_source(row), indexed_at=row[7], passages=row[8], content_hash=row[9])


def _source(row: Sequence[Any]) -> Source:
    """A Source from a row that starts with `_SOURCE_COLUMNS`."""
    article_id, title, path, date, publisher, url, pages = row[:_SOURCE_WIDTH]
    return Source(article_id, title, path, date, publisher, url, tuple(map(int, pages.split())) if pages else ())


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def _rebuild(path: Path) -> str:
    return f"Rebuild with: qa index --full --index {shell_path(path.parent.parent)}"


def _unicode_lower(text: str | None) -> str | None:
    return text.lower() if isinstance(text, str) else text
