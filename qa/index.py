"""The on-disk index: its format, its manifest, and reading it.

Layout of an index folder (default `index/`):

    index/CURRENT               name of the live generation, replaced atomically
    index/gen-<time>-<id>/      one complete, immutable build
        manifest.json           format version, model, settings fingerprint, counts, hashes
        store.sqlite            articles, passages and sentences (+ vectors and BM25 terms)
        vectors.faiss           passage vectors (ids = passage rowids)
        bm25/                   passage BM25 index (bm25s: numpy arrays + vocabulary JSON)
    index/.lock                 held while a build runs

A build writes a new generation and then swaps `CURRENT`, so a reader sees either the
old index or the new one, never a half-written one (see `qa.build`).
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import Settings, load_settings
from .errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError

FORMAT_VERSION = 3
CHUNKER = "nupunkt/whole-sentences-v1"
STORE_FILE = "store.sqlite"
VECTORS_FILE = "vectors.faiss"
BM25_DIR = "bm25"
MANIFEST_FILE = "manifest.json"
POINTER_FILE = "CURRENT"
# Lists an IVF index searches: recall@10 0.985 (IVF1024, 100k passages) to 0.999
# (IVF2048, 1M passages) against exact search, in 1-4 ms (bench/bench_scale.py).
IVF_NPROBE = 64
# BM25 of sentences: FTS5's and Lucene's defaults.
SENTENCE_BM25_K1 = 1.2
SENTENCE_BM25_B = 0.75
SCHEMA = """
CREATE TABLE articles(
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,            -- the stable article id shown to users
    title TEXT NOT NULL, date TEXT, source TEXT, url TEXT, path TEXT NOT NULL,
    body TEXT NOT NULL, content_hash TEXT NOT NULL, indexed_at TEXT NOT NULL);
CREATE INDEX articles_date ON articles(date);
CREATE TABLE passages(
    id INTEGER PRIMARY KEY, article INTEGER NOT NULL, ordinal INTEGER NOT NULL,
    first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL,  -- sentence rowids
    start INTEGER NOT NULL, end INTEGER NOT NULL,                     -- offsets in body
    terms TEXT NOT NULL);                -- BM25 terms of title + text, kept for rebuilds
CREATE INDEX passages_article ON passages(article);
CREATE TABLE sentences(
    id INTEGER PRIMARY KEY, article INTEGER NOT NULL, ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL,
    vector BLOB NOT NULL,                -- float16, normalised, read in passage context
    terms TEXT NOT NULL);                -- BM25 terms, scored against the question
CREATE INDEX sentences_article ON sentences(article);
"""


def bm25_terms(texts: Sequence[str]) -> list[list[str]]:
    """The BM25 terms of each text: lower-cased words, English stopwords out, Snowball-stemmed.

    Example:
        >>> bm25_terms(["What tariffs did Trudeau impose?"])
        [['tariff', 'trudeau', 'impos']]
    """
    import bm25s
    import Stemmer

    global _STEMMER
    if _STEMMER is None:
        _STEMMER = Stemmer.Stemmer("english")
    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False)


_STEMMER: Any = None


@dataclass(frozen=True)
class ArticleInfo:
    """An indexed article as listed by `Index.articles()` (no body)."""

    id: str
    title: str
    date: str | None
    source: str | None
    path: str
    url: str | None
    passages: int
    indexed_at: str


@dataclass(frozen=True)
class PassageRecord:
    """A passage with its article and sentences, as read from the store."""

    passage_id: int
    article_key: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    path: str
    body: str
    start: int
    end: int
    sentence_ids: tuple[int, ...]
    sentence_spans: tuple[tuple[int, int], ...]

    @property
    def text(self) -> str:
        return self.body[self.start:self.end]


def settings_fingerprint(model_fingerprint: str, settings: Settings) -> dict[str, Any]:
    """What decides the content of an index; any change forces a full rebuild."""
    return {
        "format_version": FORMAT_VERSION,
        "model_fingerprint": model_fingerprint,
        "passage_tokens": settings.passage_tokens,
        "overlap_sentences": settings.overlap_sentences,
        "chunker": CHUNKER,
    }


def fingerprint_digest(fields: dict[str, Any]) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def current_generation(index_dir: Path) -> Path | None:
    """The folder of the live generation, or None when nothing was ever built."""
    try:
        name = (index_dir / POINTER_FILE).read_text().strip()
    except FileNotFoundError:
        return None
    if not name or "/" in name or name.startswith("."):
        raise IndexCorruptError(f"{index_dir / POINTER_FILE} is damaged. Rebuild with: qa index --full")
    return index_dir / name


def read_manifest(generation: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((generation / MANIFEST_FILE).read_text())
    except FileNotFoundError:
        raise IndexCorruptError(f"{generation / MANIFEST_FILE} is missing. Rebuild with: qa index --full") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IndexCorruptError(f"{generation / MANIFEST_FILE} is damaged. Rebuild with: qa index --full") from None
    if not isinstance(manifest, dict) or "format_version" not in manifest:
        raise IndexCorruptError(f"{generation / MANIFEST_FILE} is not an index manifest. Rebuild with: qa index --full")
    return manifest


def check_compatible(manifest: dict[str, Any], wanted: dict[str, Any], index_dir: Path, model_name: str) -> None:
    """Raise IndexMismatchError naming both sides when the index was built differently."""
    built = manifest.get("settings", {})
    if built == wanted:
        return
    rebuild = f"qa index --full --index {index_dir}"
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(f"Index {index_dir} has format version {manifest.get('format_version')}, "
                                 f"this version of qa reads version {FORMAT_VERSION}. Rebuild it: {rebuild}")
    if built.get("model_fingerprint") != wanted["model_fingerprint"]:
        raise IndexMismatchError(
            f"Index {index_dir} was built with model {manifest.get('model', {}).get('name')!r}, "
            f"but the configured model is {model_name!r}. Rebuild it with: {rebuild} --model {model_name} "
            f"(or set QA_MODEL={manifest.get('model', {}).get('name')} to use the index as it is).")
    diffs = ", ".join(f"{k}: index has {built.get(k)!r}, configured {v!r}"
                      for k, v in wanted.items() if built.get(k) != v)
    raise IndexMismatchError(f"Index {index_dir} was built with other settings ({diffs}). Rebuild it: {rebuild}")


class Index:
    """A loaded index: vectors in memory, text in SQLite. Safe to share between threads.

    Example:
        >>> index = load_index("index")
        >>> index.counts["articles"] >= 1
        True
    """

    def __init__(self, index_dir: Path, generation: Path, manifest: dict[str, Any], settings: Settings,
                 encoder: Any = None) -> None:
        self.path = index_dir
        self.generation = generation
        self.manifest = manifest
        self.settings = settings
        self._lock = threading.Lock()
        self._db = _open_store(generation / STORE_FILE)
        self._vectors = _read_vectors(generation / VECTORS_FILE)
        self._bm25, self._bm25_ids = _read_bm25(generation / BM25_DIR)
        self._check_counts()
        self._encoder = encoder

    # -- what it holds --------------------------------------------------------------------

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.manifest["counts"])

    @property
    def model_name(self) -> str:
        return str(self.manifest["model"]["name"])

    @property
    def built_at(self) -> str:
        return str(self.manifest["built_at"])

    @property
    def encoder(self) -> Any:
        """The query encoder, loaded on first use (once per process, shared)."""
        if self._encoder is None:
            from .embedding import get_encoder

            self._encoder = get_encoder(self.settings)
        return self._encoder

    def articles(self) -> list[ArticleInfo]:
        """Every indexed article, newest first (by date, then title)."""
        rows = self._query(
            "SELECT a.key, a.title, a.date, a.source, a.path, a.url, a.indexed_at, "
            "(SELECT count(*) FROM passages p WHERE p.article = a.id) "
            "FROM articles a ORDER BY a.date IS NULL, a.date DESC, a.title")
        return [ArticleInfo(id=r[0], title=r[1], date=r[2], source=r[3], path=r[4], url=r[5],
                            indexed_at=r[6], passages=r[7]) for r in rows]

    def sources(self) -> list[str]:
        """The distinct sources of the indexed articles, sorted."""
        rows = self._query("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY source")
        return [r[0] for r in rows]

    def article(self, article_key: str) -> ArticleInfo | None:
        """One indexed article by its id, or None."""
        return next((a for a in self.articles() if a.id == article_key), None)

    # -- searching --------------------------------------------------------------------------

    def dense_search(self, vector: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-n passage ids by inner product with `vector` (optionally among `allowed` ids)."""
        import faiss

        if self._vectors.ntotal == 0 or n <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)))
        scores, ids = self._vectors.search(vector.reshape(1, -1).astype(np.float32), n, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def passage_vectors(self, passage_ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of the given passages (rows in the same order)."""
        ids = np.asarray(passage_ids, dtype=np.int64)
        return self._vectors.reconstruct_batch(ids) if len(ids) else np.empty((0, self._vectors.d), np.float32)

    def bm25_scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 of every passage for the query terms, in the order of `bm25_ids`."""
        known = [t for t in terms if t in self._bm25.vocab_dict] if self._bm25 is not None else []
        if not known:
            return np.zeros(len(self._bm25_ids), dtype=np.float32)
        return self._bm25.get_scores(known)

    @property
    def bm25_ids(self) -> np.ndarray:
        """Passage id of each position of `bm25_scores` (ascending)."""
        return self._bm25_ids

    def sentence_scores(self, terms: Sequence[str], sentence_ids: Sequence[int]) -> dict[int, float]:
        """BM25 of the given sentences for the query terms (sentences matching none are absent).

        A term's rarity (IDF) is its passage frequency, which bm25s keeps per term, and a
        sentence's length is weighed against the sentences compared. The cost grows with
        the number of sentences asked, never with the corpus: a full-text index such as
        FTS5 counts every document holding a term to compute IDF (60 ms a question at 1M
        passages, docs/benchmarks.md).
        """
        idf = {t: self._idf(t) for t in set(terms)}
        idf = {t: v for t, v in idf.items() if v > 0}
        if not idf or not sentence_ids:
            return {}
        marks = ",".join("?" * len(sentence_ids))
        rows = self._query(f"SELECT id, terms FROM sentences WHERE id IN ({marks})", list(map(int, sentence_ids)))
        words = {sid: text.split() for sid, text in rows}
        average = max(sum(map(len, words.values())) / max(len(words), 1), 1.0)
        scores = {}
        for sid, ws in words.items():
            norm = SENTENCE_BM25_K1 * (1 - SENTENCE_BM25_B + SENTENCE_BM25_B * len(ws) / average)
            score = 0.0
            for term, weight in idf.items():
                tf = ws.count(term)
                if tf:
                    score += weight * tf * (SENTENCE_BM25_K1 + 1) / (tf + norm)
            if score:
                scores[int(sid)] = score
        return scores

    def _idf(self, term: str) -> float:
        """BM25 (Lucene) IDF of a term over passages; 0 for a term no passage holds."""
        position = self._bm25.vocab_dict.get(term) if self._bm25 is not None else None
        if position is None:
            return 0.0
        indptr = self._bm25.scores["indptr"]
        if position + 1 >= len(indptr):
            return 0.0
        df = int(indptr[position + 1] - indptr[position])  # passages holding the term
        n = len(self._bm25_ids)
        return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0

    def sentence_vectors(self, sentence_ids: Sequence[int]) -> np.ndarray:
        """Stored sentence vectors (float32, rows in the order asked)."""
        if not sentence_ids:
            return np.empty((0, self._vectors.d), np.float32)
        marks = ",".join("?" * len(sentence_ids))
        rows = dict(self._query(f"SELECT id, vector FROM sentences WHERE id IN ({marks})", list(map(int, sentence_ids))))
        return np.stack([np.frombuffer(rows[i], dtype=np.float16) for i in sentence_ids]).astype(np.float32)

    def passages(self, passage_ids: Sequence[int]) -> dict[int, PassageRecord]:
        """Passage records by id, with their article and sentence offsets."""
        if not passage_ids:
            return {}
        marks = ",".join("?" * len(passage_ids))
        rows = self._query(
            "SELECT p.id, a.key, a.title, a.date, a.source, a.url, a.path, a.body, p.start, p.end, "
            "p.first_sentence, p.last_sentence FROM passages p JOIN articles a ON a.id = p.article "
            f"WHERE p.id IN ({marks})", list(map(int, passage_ids)))
        spans: dict[int, tuple[int, int]] = {}
        if rows:
            # One range read for all sentences; far cheaper than a query per passage.
            ranges = " OR ".join("id BETWEEN ? AND ?" for _ in rows)
            bounds = [v for r in rows for v in (r[10], r[11])]
            spans = {r[0]: (r[1], r[2]) for r in self._query(
                f"SELECT id, start, end FROM sentences WHERE {ranges}", bounds)}
        records = {}
        for r in rows:
            ids = tuple(range(r[10], r[11] + 1))
            records[r[0]] = PassageRecord(passage_id=r[0], article_key=r[1], title=r[2], date=r[3], source=r[4],
                                          url=r[5], path=r[6], body=r[7], start=r[8], end=r[9], sentence_ids=ids,
                                          sentence_spans=tuple(spans[i] for i in ids))
        return records

    def passage_ids_where(self, where: str, params: Sequence[Any]) -> np.ndarray:
        """Ids of the passages whose article `a` matches an SQL condition (for filters)."""
        rows = self._query(f"SELECT p.id FROM passages p JOIN articles a ON a.id = p.article WHERE {where}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def article_passage_ids(self, article_key: str) -> list[int]:
        rows = self._query("SELECT p.id FROM passages p JOIN articles a ON a.id = p.article "
                           "WHERE a.key = ? ORDER BY p.ordinal", [article_key])
        return [r[0] for r in rows]

    # -- internals ----------------------------------------------------------------------------

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._lock:  # one connection, shared by threads: sqlite calls are short
                return self._db.execute(sql, list(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"Index store {self.generation / STORE_FILE} is damaged ({exc}). "
                                    f"Rebuild with: qa index --full --index {self.path}") from None

    def _check_counts(self) -> None:
        counts = self.manifest.get("counts", {})
        if self._vectors.ntotal != counts.get("passages"):
            raise IndexCorruptError(f"{self.generation / VECTORS_FILE} holds {self._vectors.ntotal} vectors but the "
                                    f"manifest lists {counts.get('passages')} passages. Rebuild with: qa index --full")
        if len(self._bm25_ids) != counts.get("passages"):
            raise IndexCorruptError(f"{self.generation / BM25_DIR} holds {len(self._bm25_ids)} passages but the "
                                    f"manifest lists {counts.get('passages')}. Rebuild with: qa index --full")
        stored = self._query("SELECT count(*) FROM articles")[0][0]
        if stored != counts.get("articles"):
            raise IndexCorruptError(f"{self.generation / STORE_FILE} holds {stored} articles but the manifest "
                                    f"lists {counts.get('articles')}. Rebuild with: qa index --full")

    def close(self) -> None:
        self._db.close()


def _open_store(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise IndexCorruptError(f"{path} is missing. Rebuild with: qa index --full")
    try:
        # immutable=1: a generation never changes after it is built, so SQLite can skip locking.
        db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.DatabaseError as exc:
        raise IndexCorruptError(f"{path} is damaged ({exc}). Rebuild with: qa index --full") from None


def _read_vectors(path: Path) -> Any:
    import faiss

    # One question at a time: FAISS's threads cost more than they save (flat search over
    # 100k vectors: 16 ms on one thread, 48 ms on two; docs/benchmarks.md).
    faiss.omp_set_num_threads(1)
    if not path.exists():
        raise IndexCorruptError(f"{path} is missing. Rebuild with: qa index --full")
    try:
        vectors = faiss.read_index(str(path))
    except RuntimeError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise IndexCorruptError(f"{path} is damaged ({first_line[:200]}). Rebuild with: qa index --full") from None
    if isinstance(vectors, faiss.IndexIVF):
        vectors.nprobe = IVF_NPROBE
        vectors.set_direct_map_type(faiss.DirectMap.Hashtable)  # for reconstruct_batch
    return vectors


def _read_bm25(folder: Path) -> tuple[Any, np.ndarray]:
    import bm25s

    try:
        ids = np.load(folder / "ids.npy")
        if len(ids) == 0:
            return None, ids
        # mmap: the arrays stay on disk until a question touches them (1M passages: ~1 GB)
        return bm25s.BM25.load(str(folder), mmap=True, show_progress=False), ids
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"{folder} is incomplete ({Path(exc.filename or '').name} missing). "
                                "Rebuild with: qa index --full") from None
    except (ValueError, OSError, KeyError) as exc:
        raise IndexCorruptError(f"{folder} is damaged ({exc}). Rebuild with: qa index --full") from None


def load_index(path: Path | str | None = None, settings: Settings | None = None, encoder: Any = None) -> Index:
    """Load the index at `path` (default: the configured index folder, `index/`).

    Checks the manifest against the configured model and chunking settings and the files
    against the manifest, so a stale or damaged index is a clear error, not a wrong answer.
    `encoder` replaces the configured model for questions (e.g. a test double).

    Example:
        >>> index = load_index("index")
        >>> index.model_name
        'all-MiniLM-L6-v2'
    """
    settings = settings or load_settings()
    index_dir = Path(path) if path is not None else settings.index_dir
    generation = current_generation(index_dir)
    if generation is None:
        raise IndexNotFoundError(f"No index in {index_dir}/. Build it with: qa index --index {index_dir}")
    if not generation.is_dir():
        raise IndexCorruptError(f"{index_dir / POINTER_FILE} names {generation.name}, which is missing. "
                                f"Rebuild with: qa index --full --index {index_dir}")
    manifest = read_manifest(generation)
    _check_files(generation, manifest, index_dir)
    model = encoder.info.fingerprint if encoder is not None else None
    wanted = wanted_fingerprint(settings, model)
    check_compatible(manifest, wanted, index_dir, settings.model)
    return Index(index_dir, generation, manifest, settings, encoder)


def wanted_fingerprint(settings: Settings, model: str | None = None) -> dict[str, Any]:
    """The settings fingerprint an index built now with `settings` (and `model`) would have."""
    from .embedding import model_fingerprint, resolve_model

    return settings_fingerprint(model or model_fingerprint(resolve_model(settings.model)), settings)


def _check_files(generation: Path, manifest: dict[str, Any], index_dir: Path) -> None:
    for name, expected in manifest.get("files", {}).items():
        path = generation / name
        if not path.exists():
            raise IndexCorruptError(f"{path} is missing. Rebuild with: qa index --full --index {index_dir}")
        size = path.stat().st_size
        if size != expected["bytes"]:
            raise IndexCorruptError(f"{path} is {size} bytes, the manifest says {expected['bytes']}: the file is "
                                    f"truncated or damaged. Rebuild with: qa index --full --index {index_dir}")


def verify_files(index_dir: Path) -> list[str]:
    """Check every index file against the sha256 in the manifest; return the problems."""
    import hashlib

    generation = current_generation(index_dir)
    if generation is None:
        return [f"no index in {index_dir}"]
    manifest = read_manifest(generation)
    problems = []
    for name, expected in manifest.get("files", {}).items():
        digest = hashlib.sha256()
        with open(generation / name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected["sha256"]:
            problems.append(f"{name}: content differs from the manifest (damaged)")
    return problems
