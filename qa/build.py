"""Building the index: incremental by default, atomic always, one build at a time.

A build copies the live generation into `index/.build-*`, applies the changes there
(articles added, changed or removed; only those are embedded), writes a manifest,
renames the folder to `gen-*` and finally replaces `index/CURRENT`. A build killed at
any moment leaves `CURRENT` naming the previous, complete generation; leftovers are
removed by the next build. A lock file makes a second concurrent build wait or refuse.

This module orchestrates; the parts it writes have their own owners in `qa.store`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import __version__
from .articles import Article, Skipped, read_articles
from .config import Settings
from .embedding import Encoder
from .errors import ArticleError, IndexLockedError, QAError
from .splitting import Passage, Sentence, make_passages, split_sentences
from .store import (
    BM25_DIR,
    POINTER_FILE,
    STORE_FILE,
    VECTORS_FILE,
    Counts,
    DenseIndex,
    LexicalIndex,
    Manifest,
    Store,
    bm25_terms,
    current_generation,
)
from .store.manifest import VectorIndexInfo, copy_verified, describe_files, file_problems, settings_fingerprint
from .store.store import NewPassage, NewSentence

CHUNK_ARTICLES = 256  # articles embedded per round: bounds memory; big enough to batch well
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildReport:
    """What a build did (`qa index` prints it)."""

    index_dir: Path
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    skipped: tuple[Skipped, ...]
    warnings: tuple[Skipped, ...]
    full: bool
    full_reason: str
    counts: Counts
    passages_embedded: int
    tokens_embedded: int
    seconds: float
    vector_index: str = "Flat"

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class _Changes:
    """Article ids added, updated and removed, against a previous generation."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def build_index(
    settings: Settings | None = None,
    *,
    full: bool = False,
    progress: bool = True,
    wait: float = 0.0,
    encoder: Encoder | None = None,
    on_progress: ProgressCallback | None = None,
) -> BuildReport:
    """Bring the index in `settings.index_dir` up to date with `settings.articles_dir`.

    Only new or changed articles (by content hash) are embedded; removed ones are dropped.
    A different model or chunking setting, a damaged index or `full=True` rebuilds all.
    `wait` is how many seconds to wait for a concurrent build before refusing.
    `on_progress(done, total)` reports embedded passages (the UI shows it).

    Example:
        >>> report = build_index(Settings(articles_dir=Path("seeds"), index_dir=Path("index")))
        >>> report.counts.articles >= 1
        True
    """
    settings = settings or Settings()
    started = time.perf_counter()
    folder = Path(settings.articles_dir)
    if not folder.is_dir():
        raise ArticleError(
            f"Articles folder {folder}/ does not exist. Create it and add .txt, .md, .html or "
            "JSON articles, or point --articles / QA_ARTICLES at your folder."
        )
    read = read_articles(folder, settings.max_file_bytes, follow_links=settings.follow_links)
    if not read.articles:
        reasons = "; ".join(str(s) for s in read.skipped[:5]) or "the folder is empty"
        raise ArticleError(f"No readable article in {folder}/ ({reasons}).")
    if encoder is None:
        from .embedding import get_encoder

        encoder = get_encoder(settings)
    index_dir = Path(settings.index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    wanted = settings_fingerprint(encoder.info.fingerprint, settings)

    def report(changes: _Changes, manifest: Manifest, full_reason: str, embedded: tuple[int, int]) -> BuildReport:
        return BuildReport(
            index_dir=index_dir,
            added=changes.added,
            updated=changes.updated,
            removed=changes.removed,
            unchanged=len(read.articles) - len(changes.added) - len(changes.updated),
            skipped=read.skipped,
            warnings=read.warnings,
            full=bool(full_reason),
            full_reason=full_reason,
            counts=manifest.counts,
            passages_embedded=embedded[0],
            tokens_embedded=embedded[1],
            seconds=time.perf_counter() - started,
            vector_index=manifest.vector_index.factory,
        )

    with _build_lock(index_dir, wait):
        _remove_leftovers(index_dir, keep=None)
        previous, reason = _previous_generation(index_dir, wanted, full)
        if previous is not None:
            live = Manifest.read(previous)
            changes = _diff(live.articles, read.articles)
            if not changes:  # nothing to do: keep the live generation as it is
                return report(changes, live, "", (0, 0))
        work = index_dir / f".build-{uuid.uuid4().hex[:12]}"
        work.mkdir()
        try:
            changes, manifest = _build_into(
                work, previous, read.articles, encoder, settings, wanted, on_progress, progress
            )
            manifest.write(work)
            _fsync_tree(work)
            generation = _publish(index_dir, work)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        _remove_leftovers(index_dir, keep=generation)
    return report(changes, manifest, reason, (manifest.passages_embedded, manifest.tokens_embedded))


# -- the steps ---------------------------------------------------------------------------------


@contextmanager
def _build_lock(index_dir: Path, wait: float) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(index_dir / ".lock"))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise IndexLockedError(
            f"Another build of {index_dir}/ is running. Wait for it to finish and run the command again."
        ) from None
    try:
        yield
    finally:
        lock.release()


def _previous_generation(index_dir: Path, wanted: dict[str, object], full: bool) -> tuple[Path | None, str]:
    """The generation to update in place, or None and why everything is rebuilt."""
    if full:
        return None, "--full requested"
    try:
        generation = current_generation(index_dir)
        if generation is None:
            return None, "no index yet"
        manifest = Manifest.read(generation)
    except QAError as exc:
        return None, f"previous index unusable: {exc}"
    built = manifest.settings
    if built != wanted:
        changed = sorted(k for k in set(built) | set(wanted) if built.get(k) != wanted.get(k))
        return None, "changed since the last build: " + ", ".join(changed)
    problems = file_problems(generation, manifest)
    if problems:
        return None, f"previous {problems[0]}"
    return generation, ""


def _build_into(
    work: Path,
    previous: Path | None,
    articles: Sequence[Article],
    encoder: Encoder,
    settings: Settings,
    wanted: dict[str, object],
    on_progress: ProgressCallback | None,
    progress: bool,
) -> tuple[_Changes, Manifest]:
    """Write a complete generation into `work` (copying `previous` and applying the changes)."""
    if previous is not None:
        live = Manifest.read(previous)
        copy_verified(previous / STORE_FILE, work / STORE_FILE, live.files[STORE_FILE])
        dense = DenseIndex.read(previous / VECTORS_FILE, live.vector_index.factory)
    else:
        dense = DenseIndex.empty(encoder.dim)
    store = Store.open_for_build(work / STORE_FILE, encoder.dim, create=previous is None)
    try:
        changes = _diff(store.content_hashes(), articles)
        dense.remove(store.delete_articles([*changes.updated, *changes.removed]))
        by_id = {a.source.article_id: a for a in articles}
        todo = [by_id[k] for k in (*changes.added, *changes.updated)]
        embedded = _embed_articles(store, dense, todo, encoder, settings, on_progress, progress)
        dense = dense.resized(settings.vector_index, work / "vectors.spill")
        store.commit()
        LexicalIndex.write(store.passage_terms(), work / BM25_DIR)
        counts, hashes = store.counts(), store.content_hashes()
    finally:
        store.close()
    dense.write(work / VECTORS_FILE)
    manifest = Manifest(
        model=replace(encoder.info, name=settings.model),
        settings=wanted,
        counts=counts,
        vector_index=VectorIndexInfo(factory=dense.factory, ntotal=dense.ntotal),
        articles=hashes,
        files=describe_files(work),
        built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        passage_tokens=settings.passage_tokens,
        overlap_sentences=settings.overlap_sentences,
        passages_embedded=embedded[0],
        tokens_embedded=embedded[1],
        versions=_versions(),
    )
    return changes, manifest


def _diff(old: dict[str, str], articles: Sequence[Article]) -> _Changes:
    """Article ids added, updated and removed, given the old article_id -> content hash."""
    current = {a.source.article_id: a.content_hash for a in articles}
    return _Changes(
        added=tuple(k for k in current if k not in old),
        updated=tuple(k for k in current if k in old and old[k] != current[k]),
        removed=tuple(k for k in old if k not in current),
    )


@dataclass(frozen=True)
class _Prepared:
    article: Article
    sentences: tuple[Sentence, ...]
    passages: tuple[Passage, ...]
    texts: list[str]  # what is embedded: title, newline, passage
    spans: list[list[tuple[int, int]]]  # spans (in each text) of the sentences it owns
    owned: list[list[int]]  # indexes of those sentences
    tokens: int  # tokens the model reads for all the passages


def _prepare(article: Article, encoder: Encoder, settings: Settings) -> _Prepared:
    title, body = article.source.title, article.body
    sentences = split_sentences(body) or (Sentence(body, 0, len(body)),)
    title_tokens, *sentence_tokens = encoder.count_tokens([title, *(s.text for s in sentences)])
    budget = max(settings.passage_tokens - title_tokens - 2, 8)  # 2 = the model's special tokens
    passages = make_passages(sentences, sentence_tokens, budget, settings.overlap_sentences)
    prefix = title + "\n"
    texts, spans, owned = [], [], []
    next_unowned, tokens = 0, 0
    for p in passages:
        # A sentence repeated by the overlap takes its vector from its first passage.
        mine = list(range(max(p.first, next_unowned), p.last + 1))
        shift = len(prefix) - p.start
        texts.append(prefix + body[p.start : p.end])
        spans.append([(sentences[i].start + shift, sentences[i].end + shift) for i in mine])
        owned.append(mine)
        next_unowned = p.last + 1
        tokens += min(title_tokens + sum(sentence_tokens[p.first : p.last + 1]) + 2, encoder.info.max_tokens)
    return _Prepared(article, sentences, passages, texts, spans, owned, tokens)


def _embed_articles(
    store: Store,
    dense: DenseIndex,
    articles: Sequence[Article],
    encoder: Encoder,
    settings: Settings,
    on_progress: ProgressCallback | None,
    progress: bool,
) -> tuple[int, int]:
    """Split, embed and store `articles`; return (passages embedded, tokens embedded)."""
    from tqdm import tqdm

    if not articles:
        return 0, 0
    if settings.ray_address is not None:  # split and embed on a Ray cluster; stored here all the same
        from .cluster import embed_on_ray

        return embed_on_ray(store, dense, articles, encoder, settings, on_progress, progress)
    prepared = [_prepare(a, encoder, settings) for a in articles]
    total = sum(len(p.texts) for p in prepared)
    indexed_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with tqdm(
        total=total,
        unit="passage",
        desc="Embedding",
        disable=not progress or None,
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.05,
    ) as bar:

        def advance(n: int) -> None:
            bar.update(n)
            if on_progress is not None:
                on_progress(bar.n, total)

        for begin in range(0, len(prepared), CHUNK_ARTICLES):
            chunk = prepared[begin : begin + CHUNK_ARTICLES]
            bar.set_postfix_str(f"articles {begin + len(chunk)}/{len(prepared)}", refresh=False)
            texts = [t for p in chunk for t in p.texts]
            spans = [s for p in chunk for s in p.spans]
            passage_vectors, sentence_vectors = encoder.encode_passages(texts, spans, settings.batch_size, advance)
            ids = _store_prepared(store, chunk, sentence_vectors, indexed_at)
            dense.add(passage_vectors, np.asarray(ids, dtype=np.int64))
    return total, sum(p.tokens for p in prepared)


def _store_prepared(
    store: Store, prepared: Sequence[_Prepared], sentence_vectors: Sequence[np.ndarray], indexed_at: str
) -> list[int]:
    """Store articles with their sentences (vectors, terms) and passages; return the new passage ids."""
    passage_ids: list[int] = []
    vectors_of_passages = iter(sentence_vectors)
    for item in prepared:
        by_sentence: dict[int, np.ndarray] = {}
        for owned in item.owned:
            by_sentence.update(zip(owned, next(vectors_of_passages), strict=True))
        # Terms are per word, so a passage's are its title's and its sentences': each
        # sentence is tokenized once, even when the overlap puts it in two passages.
        title_terms, *sentence_terms = (
            " ".join(t) for t in bm25_terms([item.article.source.title, *(s.text for s in item.sentences)])
        )
        sentences = [
            NewSentence(s.start, s.end, by_sentence[i], sentence_terms[i]) for i, s in enumerate(item.sentences)
        ]
        passages = [
            NewPassage(
                p.first,
                p.last,
                p.start,
                p.end,
                " ".join(t for t in (title_terms, *sentence_terms[p.first : p.last + 1]) if t),
            )
            for p in item.passages
        ]
        passage_ids.extend(store.add_article(item.article, sentences, passages, indexed_at))
    return passage_ids


# -- publishing ---------------------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"qa": __version__, "sqlite": sqlite3.sqlite_version}
    for package in ("faiss-cpu", "onnxruntime", "tokenizers", "nupunkt", "bm25s", "PyStemmer", "numpy"):
        with suppress(PackageNotFoundError):
            found[package] = version(package)
    return found


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
