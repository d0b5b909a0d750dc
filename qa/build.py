"""Building the index: incremental by default, atomic always, one build at a time.

A build copies the live generation into `index/.build-*`, applies the changes there
(articles added, changed or removed; only those are embedded), writes a manifest,
renames the folder to `gen-*` and finally replaces `index/CURRENT`. A build killed at
any moment leaves `CURRENT` naming the previous, complete generation; leftovers are
removed by the next build. A lock file makes a second concurrent build wait or refuse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import time
import uuid
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .articles import Article, Skipped, read_articles
from .config import Settings, load_settings
from .errors import ArticleError, IndexLockedError, QAError
from .index import (
    BM25_DIR, FORMAT_VERSION, MANIFEST_FILE, POINTER_FILE, SCHEMA, STORE_FILE, VECTORS_FILE, bm25_terms,
    current_generation, read_manifest, settings_fingerprint,
)
from .splitting import Passage, Sentence, make_passages, split_sentences

CHUNK_ARTICLES = 256  # articles embedded per round: bounds memory; big enough to batch well
# Exact search stays under ~4 ms per question up to about this many passages; above it an
# IVF index is faster at >= 0.95 recall@10 (docs/benchmarks.md, scale benchmark).
EXACT_SEARCH_LIMIT = 30_000


@dataclass(frozen=True)
class BuildReport:
    """What a build did; `str()` gives the summary the CLI prints."""

    index_dir: Path
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    skipped: tuple[Skipped, ...]
    warnings: tuple[Skipped, ...]
    full: bool
    full_reason: str
    counts: dict[str, int]
    passages_embedded: int
    tokens_embedded: int
    seconds: float
    vector_index: str = "Flat"
    notes: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def __str__(self) -> str:
        kind = f"full rebuild ({self.full_reason})" if self.full else "incremental update"
        lines = [f"Indexed {self.index_dir}/ — {kind} in {self.seconds:.1f} s",
                 f"  added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
                 f"unchanged {self.unchanged}, skipped {len(self.skipped)}",
                 f"  now {counted(self.counts['articles'], 'article')}, "
                 f"{counted(self.counts['passages'], 'passage')}, {counted(self.counts['sentences'], 'sentence')}; "
                 f"embedded {counted(self.passages_embedded, 'passage')} ({counted(self.tokens_embedded, 'token')})"]
        for label, ids in (("added", self.added), ("updated", self.updated), ("removed", self.removed)):
            lines.extend(f"  {label}: {i}" for i in ids[:20])
            if len(ids) > 20:
                lines.append(f"  ... and {len(ids) - 20} more {label}")
        lines.extend(f"  skipped {s}" for s in self.skipped)
        lines.extend(f"  warning {w}" for w in self.warnings)
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def build_index(settings: Settings | None = None, *, full: bool = False, progress: bool = True,
                wait: float = 0.0, encoder: Any = None,
                on_progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Bring the index in `settings.index_dir` up to date with `settings.articles_dir`.

    Only new or changed articles (by content hash) are embedded; removed ones are dropped.
    A different model or chunking setting, a damaged index or `full=True` rebuilds all.
    `wait` is how many seconds to wait for a concurrent build before refusing.
    `on_progress(done, total)` reports embedded passages (the UI shows it).

    Example:
        >>> report = build_index(load_settings(articles_dir="seeds", index_dir="index"))
        >>> report.counts["articles"] >= 1
        True
    """
    settings = settings or load_settings()
    started = time.perf_counter()
    folder = Path(settings.articles_dir)
    if not folder.is_dir():
        raise ArticleError(f"Articles folder {folder}/ does not exist. Create it and add .txt, .md, .html or "
                           "JSON articles, or point --articles / QA_ARTICLES at your folder.")
    read = read_articles(folder, settings.max_file_bytes)
    if not read.articles:
        reasons = "; ".join(str(s) for s in read.skipped[:5]) or "the folder is empty"
        raise ArticleError(f"No readable article in {folder}/ ({reasons}).")
    if encoder is None:
        from .embedding import get_encoder

        encoder = get_encoder(settings)
    index_dir = Path(settings.index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    wanted = settings_fingerprint(encoder.info.fingerprint, settings)
    with _build_lock(index_dir, wait):
        _remove_leftovers(index_dir, keep=None)
        previous, reason = _previous_generation(index_dir, wanted, full)
        if previous is not None:
            manifest = read_manifest(previous)
            changes = _diff(manifest["articles"], read.articles)
            if not any(changes):  # nothing to do: keep the live generation as it is
                return BuildReport(
                    index_dir=index_dir, added=(), updated=(), removed=(), unchanged=len(read.articles),
                    skipped=read.skipped, warnings=read.warnings, full=False, full_reason="",
                    counts=manifest["counts"], passages_embedded=0, tokens_embedded=0,
                    seconds=time.perf_counter() - started, vector_index=manifest["vector_index"]["factory"])
        work = index_dir / f".build-{uuid.uuid4().hex[:12]}"
        work.mkdir()
        try:
            report = _build_into(work, previous, read.articles, encoder, settings, on_progress, progress)
            manifest = _manifest(report, encoder, wanted, settings, work)
            (work / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1))
            _fsync_tree(work)
            generation = _publish(index_dir, work)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        _remove_leftovers(index_dir, keep=generation)
    return BuildReport(
        index_dir=index_dir, added=report["added"], updated=report["updated"], removed=report["removed"],
        unchanged=report["unchanged"], skipped=read.skipped, warnings=read.warnings,
        full=previous is None, full_reason=reason, counts=manifest["counts"],
        passages_embedded=report["passages_embedded"], tokens_embedded=report["tokens_embedded"],
        seconds=time.perf_counter() - started, vector_index=manifest["vector_index"]["factory"])


# -- the steps ---------------------------------------------------------------------------------

def counted(n: int, noun: str) -> str:
    """`n` and a regular noun, plural unless n is 1 (what `qa index` and `qa info` print).

    Example:
        >>> counted(1, "article"), counted(5839, "passage")
        ('1 article', '5839 passages')
    """
    return f"{n} {noun}{'' if n == 1 else 's'}"


@contextmanager
def _build_lock(index_dir: Path, wait: float) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(index_dir / ".lock"))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise IndexLockedError(f"Another build of {index_dir}/ is running. Wait for it to finish "
                               "and run the command again.") from None
    try:
        yield
    finally:
        lock.release()


def _previous_generation(index_dir: Path, wanted: dict[str, Any], full: bool) -> tuple[Path | None, str]:
    """The generation to update in place, or None and why everything is rebuilt."""
    if full:
        return None, "--full requested"
    try:
        generation = current_generation(index_dir)
        if generation is None:
            return None, "no index yet"
        manifest = read_manifest(generation)
    except QAError as exc:
        return None, f"previous index unusable: {exc}"
    built = manifest.get("settings", {})
    if built != wanted:
        changed = sorted(k for k in set(built) | set(wanted) if built.get(k) != wanted.get(k))
        return None, "changed since the last build: " + ", ".join(changed)
    for name, expected in manifest.get("files", {}).items():
        if not (generation / name).exists() or (generation / name).stat().st_size != expected["bytes"]:
            return None, f"previous {name} is damaged"
    return generation, ""


def _build_into(work: Path, previous: Path | None, articles: Sequence[Article], encoder: Any,
                settings: Settings, on_progress: Callable[[int, int], None] | None,
                progress: bool) -> dict[str, Any]:
    import faiss

    store = work / STORE_FILE
    if previous is not None:
        shutil.copyfile(previous / STORE_FILE, store)
        vectors = faiss.read_index(str(previous / VECTORS_FILE))
        factory = read_manifest(previous)["vector_index"]["factory"]
    else:
        vectors, factory = faiss.IndexIDMap2(faiss.IndexFlatIP(encoder.dim)), "Flat"
    db = sqlite3.connect(store)
    try:
        db.execute("PRAGMA journal_mode=OFF")  # the whole folder is thrown away on failure
        db.execute("PRAGMA synchronous=OFF")
        if previous is None:
            db.executescript(SCHEMA)
        old = dict(db.execute("SELECT key, content_hash FROM articles").fetchall())
        current = {a.id: a for a in articles}
        added, updated, removed = _diff(old, articles)
        dropped_passages = _delete_articles(db, [*updated, *removed])
        if dropped_passages:
            vectors.remove_ids(np.asarray(dropped_passages, dtype=np.int64))
        todo = [current[k] for k in (*added, *updated)]
        passages_embedded, tokens_embedded = _embed_articles(db, vectors, todo, encoder, settings,
                                                             on_progress, progress)
        target = _target_factory(settings.vector_index, int(vectors.ntotal), factory)
        if target != factory:
            spill = work / "vectors.spill"
            ids = _spill_vectors(vectors, spill)
            vectors = None  # freed before the new index grows
            vectors, factory = _index_from_spill(ids, spill, encoder.dim, target), target
        db.commit()
        _write_bm25(db, work / BM25_DIR)
        counts = {name: db.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                  for name in ("articles", "passages", "sentences")}
        hashes = dict(db.execute("SELECT key, content_hash FROM articles ORDER BY key").fetchall())
    finally:
        db.close()
    faiss.write_index(vectors, str(work / VECTORS_FILE))
    return {"added": added, "updated": updated, "removed": removed, "unchanged": len(current) - len(added) - len(updated),
            "counts": counts, "hashes": hashes, "passages_embedded": passages_embedded,
            "tokens_embedded": tokens_embedded, "factory": factory, "ntotal": int(vectors.ntotal)}


def _diff(old: dict[str, str], articles: Sequence[Article]) -> tuple[tuple[str, ...], ...]:
    """(added, updated, removed) article ids, given the old id -> content hash."""
    current = {a.id: a.content_hash for a in articles}
    added = tuple(k for k in current if k not in old)
    updated = tuple(k for k in current if k in old and old[k] != current[k])
    removed = tuple(k for k in old if k not in current)
    return added, updated, removed


def _delete_articles(db: sqlite3.Connection, keys: Sequence[str]) -> list[int]:
    """Delete articles with their passages and sentences; return the passage ids."""
    dropped: list[int] = []
    for key in keys:
        (article_id,) = db.execute("SELECT id FROM articles WHERE key = ?", [key]).fetchone()
        dropped.extend(pid for (pid,) in db.execute("SELECT id FROM passages WHERE article = ?", [article_id]))
        for table in ("passages", "sentences"):
            db.execute(f"DELETE FROM {table} WHERE article = ?", [article_id])
        db.execute("DELETE FROM articles WHERE id = ?", [article_id])
    return dropped


@dataclass
class _Prepared:
    article: Article
    sentences: tuple[Sentence, ...]
    passages: tuple[Passage, ...]
    texts: list[str]                     # what is embedded: title, newline, passage
    spans: list[list[tuple[int, int]]]   # spans (in each text) of the sentences it owns
    owned: list[list[int]]               # indexes of those sentences
    tokens: int                          # tokens the model reads for all the passages


def _prepare(article: Article, encoder: Any, settings: Settings) -> _Prepared:
    sentences = split_sentences(article.body) or (Sentence(article.body, 0, len(article.body)),)
    title_tokens, *sentence_tokens = encoder.count_tokens([article.title, *(s.text for s in sentences)])
    budget = max(settings.passage_tokens - title_tokens - 2, 8)  # 2 = the model's special tokens
    passages = make_passages(sentences, sentence_tokens, budget, settings.overlap_sentences)
    prefix = article.title + "\n"
    texts, spans, owned = [], [], []
    next_unowned, tokens = 0, 0
    for p in passages:
        # A sentence repeated by the overlap takes its vector from its first passage.
        mine = list(range(max(p.first, next_unowned), p.last + 1))
        shift = len(prefix) - p.start
        texts.append(prefix + article.body[p.start:p.end])
        spans.append([(sentences[i].start + shift, sentences[i].end + shift) for i in mine])
        owned.append(mine)
        next_unowned = p.last + 1
        tokens += min(title_tokens + sum(sentence_tokens[p.first:p.last + 1]) + 2, encoder.info.max_tokens)
    return _Prepared(article, sentences, passages, texts, spans, owned, tokens)


def _embed_articles(db: sqlite3.Connection, vectors: Any, articles: Sequence[Article], encoder: Any,
                    settings: Settings, on_progress: Callable[[int, int], None] | None,
                    progress: bool) -> tuple[int, int]:
    """Split, embed and store `articles`; return (passages embedded, tokens embedded)."""
    from tqdm import tqdm

    if not articles:
        return 0, 0
    prepared = [_prepare(a, encoder, settings) for a in articles]
    total = sum(len(p.texts) for p in prepared)
    indexed_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with tqdm(total=total, unit="passage", desc="Embedding", disable=not progress or None, file=sys.stderr,
              dynamic_ncols=True, smoothing=0.05) as bar:

        def advance(n: int) -> None:
            bar.update(n)
            if on_progress is not None:
                on_progress(bar.n, total)

        for begin in range(0, len(prepared), CHUNK_ARTICLES):
            chunk = prepared[begin:begin + CHUNK_ARTICLES]
            bar.set_postfix_str(f"articles {begin + len(chunk)}/{len(prepared)}", refresh=False)
            texts = [t for p in chunk for t in p.texts]
            spans = [s for p in chunk for s in p.spans]
            passage_vectors, sentence_vectors = encoder.encode_passages(texts, spans, settings.batch_size, advance)
            ids = _insert(db, chunk, sentence_vectors, indexed_at)
            vectors.add_with_ids(passage_vectors, np.asarray(ids, dtype=np.int64))
    return total, sum(p.tokens for p in prepared)


def _insert(db: sqlite3.Connection, prepared: Sequence[_Prepared], sentence_vectors: Sequence[np.ndarray],
            indexed_at: str) -> list[int]:
    """Store articles, sentences (with vectors) and passages; return the new passage ids in order."""
    passage_ids: list[int] = []
    vectors_of_passages = iter(sentence_vectors)
    for item in prepared:
        a = item.article
        article_id = db.execute(
            "INSERT INTO articles(key, title, date, source, url, path, body, content_hash, indexed_at) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            [a.id, a.title, a.date, a.source, a.url, a.path, a.body, a.content_hash, indexed_at]).lastrowid
        by_sentence: dict[int, np.ndarray] = {}
        for owned in item.owned:
            by_sentence.update(zip(owned, next(vectors_of_passages)))
        # Terms are per word, so a passage's are its title's and its sentences': each
        # sentence is tokenized once, even when the overlap puts it in two passages.
        title_terms, *sentence_terms = (" ".join(t) for t in bm25_terms([a.title, *(s.text for s in item.sentences)]))
        sentence_ids = []
        for i, s in enumerate(item.sentences):
            sid = db.execute("INSERT INTO sentences(article, ordinal, start, end, vector, terms) VALUES (?,?,?,?,?,?)",
                             [article_id, i, s.start, s.end, by_sentence[i].astype(np.float16).tobytes(),
                              sentence_terms[i]]).lastrowid
            sentence_ids.append(sid)
        for n, p in enumerate(item.passages):
            terms = " ".join(t for t in (title_terms, *sentence_terms[p.first:p.last + 1]) if t)
            pid = db.execute("INSERT INTO passages(article, ordinal, first_sentence, last_sentence, start, end, terms) "
                             "VALUES (?,?,?,?,?,?,?)", [article_id, n, sentence_ids[p.first], sentence_ids[p.last],
                                                        p.start, p.end, terms]).lastrowid
            passage_ids.append(pid)
    return passage_ids


# -- BM25 ---------------------------------------------------------------------------------------------

def _write_bm25(db: sqlite3.Connection, folder: Path) -> None:
    """(Re)build the passage BM25 index from the stored terms (no text is tokenized again).

    bm25s cannot add or remove documents, so every build that changes passages rebuilds
    it; from stored terms that takes ~0.75 s for the BBC corpus, ~60 s for 1M passages.
    """
    import bm25s

    folder.mkdir()
    vocab: dict[str, int] = {}
    ids, flat, ends = array("q"), array("i"), array("q")
    for pid, terms in db.execute("SELECT id, terms FROM passages ORDER BY id"):
        ids.append(pid)
        flat.extend([vocab.setdefault(t, len(vocab)) for t in terms.split()])
        ends.append(len(flat))
    if ids:
        retriever = bm25s.BM25()
        documents = _TermIds(np.frombuffer(flat, dtype=np.int32), np.frombuffer(ends, dtype=np.int64))
        retriever.index(bm25s.tokenization.Tokenized(ids=documents, vocab=vocab), show_progress=False)
        retriever.save(str(folder), show_progress=False)
    np.save(folder / "ids.npy", np.frombuffer(ids, dtype=np.int64))


class _TermIds(Sequence[list[int]]):
    """Each passage's term ids as a list, made on demand from one flat array.

    bm25s wants a list of id lists; built all at once, a million passages' lists take
    several hundred MB (as strings, several GB). This holds 4 bytes per term instead.
    """

    def __init__(self, flat: np.ndarray, ends: np.ndarray) -> None:
        self._flat, self._ends = flat, ends

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> list[int]:  # type: ignore[override]
        start = int(self._ends[i - 1]) if i > 0 else 0
        return self._flat[start:int(self._ends[i])].tolist()

    def __iter__(self) -> Iterator[list[int]]:
        start = 0
        for end in self._ends.tolist():
            yield self._flat[start:end].tolist()
            start = end


# -- vectors --------------------------------------------------------------------------------------

def _target_factory(choice: str, size: int, current: str) -> str:
    """The FAISS factory string the index should use for `size` passages."""
    if choice != "auto":
        return choice
    if size <= EXACT_SEARCH_LIMIT:
        return "Flat"
    # Keep a trained IVF as the corpus grows; retraining on every update would cost minutes.
    return current if current.startswith("IVF") else _ivf_factory(size)


def _ivf_factory(size: int) -> str:
    lists = 1 << int(np.log2(4 * np.sqrt(size)))
    return f"IVF{lists},Flat"


REBUILD_SLICE = 50_000
TRAIN_POINTS_PER_LIST = 64  # FAISS wants >= 39; k-means time grows with the sample


def _spill_vectors(vectors: Any, spill: Path) -> np.ndarray:
    """Write every vector of `vectors` to the file `spill` (float32 rows); return their ids.

    A vector index changes type through a file so that memory never holds the old index,
    the new one and a copy of the vectors at once (1M passages: ~1.5 GB, not ~4.5 GB).
    """
    ids = all_ids(vectors)
    with open(spill, "wb") as out:
        for begin in range(0, len(ids), REBUILD_SLICE):
            vectors.reconstruct_batch(ids[begin:begin + REBUILD_SLICE]).tofile(out)
    return ids


def _index_from_spill(ids: np.ndarray, spill: Path, dim: int, factory: str) -> Any:
    """A new index of type `factory` holding the spilled vectors, trained on a sample if needed."""
    import faiss

    def slices() -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        for begin in range(0, len(ids), REBUILD_SLICE):
            part = ids[begin:begin + REBUILD_SLICE]
            data = np.fromfile(spill, dtype=np.float32, count=len(part) * dim, offset=begin * dim * 4)
            yield begin, part, data.reshape(len(part), dim)

    try:
        if factory == "Flat":
            fresh = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        else:
            fresh = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
            if not isinstance(fresh, faiss.IndexIVF):
                fresh = faiss.IndexIDMap2(fresh)
        if not fresh.is_trained and len(ids):
            nlist = getattr(faiss.try_extract_index_ivf(fresh), "nlist", 1)
            keep = np.zeros(len(ids), dtype=bool)
            keep[np.random.default_rng(0).choice(len(ids), min(len(ids), TRAIN_POINTS_PER_LIST * nlist),
                                                 replace=False)] = True
            fresh.train(np.concatenate([data[keep[b:b + len(part)]] for b, part, data in slices()]))
        for _, part, data in slices():
            fresh.add_with_ids(data, part)
    finally:
        spill.unlink(missing_ok=True)
    return fresh


def all_ids(vectors: Any) -> np.ndarray:
    """The ids stored in a FAISS index (IDMap or IVF)."""
    import faiss

    if hasattr(vectors, "id_map"):
        return faiss.vector_to_array(vectors.id_map).astype(np.int64)
    ivf = faiss.extract_index_ivf(vectors)
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct_batch needs it on IVF
    lists = ivf.invlists
    parts = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
             for i in range(ivf.nlist) if lists.list_size(i)]
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, np.int64)


# -- publishing ---------------------------------------------------------------------------------------

def _manifest(report: dict[str, Any], encoder: Any, wanted: dict[str, Any], settings: Settings,
              work: Path) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "format_version": FORMAT_VERSION,
        "model": asdict(encoder.info) | {"name": settings.model},
        "settings": wanted,
        "fingerprint": hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()[:16],
        "chunking": {"passage_tokens": settings.passage_tokens, "overlap_sentences": settings.overlap_sentences},
        "counts": report["counts"],
        "vector_index": {"factory": report["factory"], "ntotal": report["ntotal"], "metric": "inner_product"},
        "articles": report["hashes"],
        "files": {path.relative_to(work).as_posix(): {"bytes": path.stat().st_size, "sha256": _sha256(path)}
                  for path in sorted(work.rglob("*")) if path.is_file() and path.name != MANIFEST_FILE},
        "versions": _versions(),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "build": {"tokens_embedded": report["tokens_embedded"], "passages_embedded": report["passages_embedded"]},
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"qa": __version__, "sqlite": sqlite3.sqlite_version}
    for package in ("faiss-cpu", "onnxruntime", "tokenizers", "nupunkt", "bm25s", "PyStemmer", "numpy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_dir():
            _fsync_dir(path)
        else:
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _publish(index_dir: Path, work: Path) -> Path:
    """Make `work` the live generation: rename it, then swap the pointer file atomically."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    generation = index_dir / f"gen-{stamp}-{work.name.rsplit('-', 1)[-1]}"
    work.rename(generation)
    pointer = index_dir / f".{POINTER_FILE}.tmp"
    with open(pointer, "w") as handle:
        handle.write(generation.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / POINTER_FILE)
    _fsync_dir(index_dir)
    return generation


def _remove_leftovers(index_dir: Path, keep: Path | None) -> None:
    """Delete unfinished builds and old generations (readers keep their open files)."""
    live = current_generation(index_dir) if keep is None else keep
    for path in index_dir.iterdir():
        if path.is_dir() and (path.name.startswith(".build-") or path.name.startswith("gen-")) and path != live:
            shutil.rmtree(path, ignore_errors=True)
