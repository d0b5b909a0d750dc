"""A loaded index: the store, the vector index and the lexical index of one generation.

`Index` is a thin front over the parts in `qa.store` (`Store`, `DenseIndex`,
`LexicalIndex`, `Manifest`) plus the query encoder; `load_index` checks that the parts
agree with each other and with the configured model and settings before anything is
answered. `open_index` keeps one loaded index per folder and reloads it after a build.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .articles import SUPPORTED_SUFFIXES
from .build import build_running, foreign_files, read_as_articles
from .config import Settings, home_expanded, settings_or_default
from .embedding import Encoder
from .errors import ConfigError, IndexCorruptError, IndexNotFoundError, QAError, QuestionError, StaleIndexWarning
from .reader import Reader, get_reader
from .resume import RESUME_DIR, saved_articles, saved_rounds
from .store import (
    BM25_DIR,
    DELTA_DIR,
    POINTER_FILE,
    STORE_FILE,
    VECTORS_FILE,
    ArticleInfo,
    Counts,
    DenseIndex,
    DenseReader,
    LexicalIndex,
    Manifest,
    SegmentedDense,
    SegmentedStore,
    Store,
    StoreReader,
    current_generation,
)
from .store.layout import INDEX_FOLDER_FILES, build_folder_of, is_base_file, rebuild_from_folder
from .store.lexical import LexicalSegment, bm25_terms
from .store.manifest import check_compatible, file_problems, settings_fingerprint
from .wording import counted, file_size, is_text, shell_path


class BaseSegment:
    """The opened base segment of a generation, shared by every later generation whose base
    files are the same files (hard links): reloading after an update then opens only the delta.
    """

    def __init__(self, generation: Path, dim: int, factory: str) -> None:
        self.identity = base_identity(generation)
        self.store = Store.open(generation / STORE_FILE, dim)
        self.dense = DenseIndex.read(generation / VECTORS_FILE, factory, mapped=True)
        self.lexical = LexicalSegment.read(generation / BM25_DIR)
        self.users = 0  # loaded indexes reading through it; the last to close closes it

    def release(self) -> None:
        self.users -= 1
        if self.users <= 0:
            self.store.close()


def base_identity(generation: Path) -> tuple[tuple[str, int, int, int, int], ...]:
    """Device, inode, size and modification time of every base file: equal means the same files."""
    paths = [generation / STORE_FILE, generation / VECTORS_FILE, *sorted((generation / BM25_DIR).glob("*"))]
    found = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        found.append((path.name, stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


class Index:
    """A loaded index: vectors in memory, text in SQLite. Safe to share between threads.
    As a context manager it is closed at the end of the block.

    Example:
        >>> index = load_index("index", Settings())
        >>> index.counts.articles >= 1
        True
        >>> with load_index("index", Settings()) as snapshot:
        ...     snapshot.counts.articles >= 1
        True
    """

    def __init__(
        self,
        path: Path,
        generation: Path,
        manifest: Manifest,
        settings: Settings,
        store: StoreReader,
        dense: DenseReader,
        lexical: LexicalIndex,
        encoder: Encoder | None = None,
        reader: Reader | None = None,
        base: BaseSegment | None = None,
    ) -> None:
        self.path = path
        self.generation = generation
        self.manifest = manifest
        self.settings = settings
        self.store = store
        self.dense = dense
        self.lexical = lexical
        self._encoder = encoder
        self._encoder_lock = threading.Lock()
        self._reader = reader
        self.base = base
        self.closed = False
        self._publishers: list[str] | None = None

    @property
    def counts(self) -> Counts:
        return self.manifest.counts

    @property
    def model_name(self) -> str:
        return self.manifest.model.name

    @property
    def built_at(self) -> str:
        return self.manifest.built_at

    @property
    def encoder(self) -> Encoder:
        """The query encoder, loaded on first use (once per process, shared)."""
        with self._encoder_lock:
            if self._encoder is None:
                from .embedding import get_encoder

                self._encoder = get_encoder(self.settings)
            return self._encoder

    @property
    def reader(self) -> Reader:
        """The answer reader (the shipped model unless one was given), shared by the process."""
        if self._reader is None:
            self._reader = get_reader()
        return self._reader

    def model_problem(self) -> str:
        """Why the configured model cannot answer from this index (another model built it, or
        it cannot be loaded), else "". Only an index loaded with `check_model=False` has one."""
        try:
            check_compatible(
                self.manifest, wanted_fingerprint(self.settings, self._encoder), self.path, self.settings.model
            )
        except QAError as exc:
            return str(exc)
        return ""

    def warm_up(self, reader: bool = True) -> None:
        """Load what a question uses (the question encoder, the word stemmer and, unless
        `reader` is False, the reader) now, so that the first question does not wait.

        It also imports the libraries they need: a Ctrl-C landing inside an import can leave
        a library half-imported for good (numpy then fails on its next import), so `qa ask`
        loads them here with Ctrl-C held off until they are in.

        Example:
            >>> load_index("index", Settings()).warm_up()  # doctest: +SKIP
        """
        self.encoder.encode_queries(["warm up"])
        bm25_terms(["warm up"])
        if reader:
            self.reader.read("warm up", [("", "Warm up.")])

    def articles(self) -> list[ArticleInfo]:
        """Every indexed article, newest first (by date, then title)."""
        self.check_open()
        return self.store.articles()

    def article(self, article_id: str) -> ArticleInfo | None:
        """One indexed article by its id, or None."""
        self.check_open()
        return self.store.article(article_id) if _an_article_id(article_id) else None

    def article_text(self, article_id: str) -> str | None:
        """The body of one indexed article as it was read and indexed (what citations quote), or None.

        Example:
            >>> index.article_text("carney-china-trip.txt")[:24]  # doctest: +SKIP
            'As Canadian leader Mark '
        """
        self.check_open()
        ids = self.store.article_passage_ids(article_id) if _an_article_id(article_id) else []
        return self.store.passages(ids[:1])[ids[0]].body if ids else None

    def undated_count(self) -> int:
        """How many indexed articles have no date (a date range leaves them out)."""
        self.check_open()
        return self.store.undated_count()

    def from_file(self, name: str) -> bool:
        """Was some indexed article read from the file `name` (`feed.jsonl`: its records)?

        Example:
            >>> index.from_file("carney-china-trip.txt"), index.from_file("nowhere.jsonl")  # doctest: +SKIP
            (True, False)
        """
        self.check_open()
        return _an_article_id(name) and bool(self.store.file_article_ids(name))

    def publishers(self) -> list[str]:
        """The distinct publishers of the indexed articles, sorted (read once: a loaded build
        never changes, and the query reads every article's row, 0.7 s for 200,000 articles,
        which a question filtered by source paid each time)."""
        self.check_open()
        if self._publishers is None:
            self._publishers = self.store.publishers()
        return list(self._publishers)

    def verify(self) -> list[str]:
        """Check every file against the hashes in the manifest and every article against its
        content hash; return the problems (empty: the index is what was built).

        A loaded index is a snapshot of one build: once a newer build replaced it and its
        files went, that is what the problem says (load the index again), not damage.
        """
        self.check_open()
        problems = file_problems(self.generation, self.manifest)
        if problems and current_generation(self.path) != self.generation:
            return [
                f"{self.generation.name} is no longer the current build of {self.path}/: a newer build replaced "
                "it and removed its files. Load the index again (open_index follows new builds)."
            ]
        problems += [f"article {a!r} differs from what was indexed" for a in self.store.damaged_articles()]
        return problems

    def check_open(self) -> None:
        """Raise `ConfigError` if the index was closed: its files are (a closed database read
        as "damaged, rebuild with qa index --full")."""
        if self.closed:
            raise ConfigError(f"The index of {self.path}/ was closed; load it again (load_index) or pass its folder.")

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the index's files (a base segment shared with a newer load stays open for it).

        A closed index answers nothing: `answer(index=...)` says so, and `open_index` of its
        folder loads it again instead of handing back the closed one.
        """
        if self.closed:
            return
        self.closed = True
        with _OPEN_LOCK:
            for key in [key for key, cached in _OPEN.items() if cached is self]:
                del _OPEN[key]
        if isinstance(self.store, SegmentedStore):
            self.store.delta.close()
        if self.base is not None:
            self.base.release()
        else:
            self.store.close()


def _no_index_here(index_dir: Path, settings: Settings) -> str:
    """Why `index_dir` has no index, with a command that works: a folder of articles (the
    articles folder itself, most often) is no place for one, so `qa index --index` there
    would be refused."""
    articles = Path(settings.articles_dir).resolve()
    here = index_dir.resolve()
    # The articles folder is named even when it is the default: run elsewhere (or in a chat
    # serving --articles ~/news), a bare `qa index` would read another folder or none.
    # Not a folder that is not there (the default seeds/ where qa runs elsewhere): a command
    # that fails too. The user's own folder then, by name.
    folder = shell_path(Path(settings.articles_dir)) if Path(settings.articles_dir).is_dir() else "YOUR-ARTICLES"
    build = f"qa index --articles {folder}"
    if read_as_articles(articles, here):
        where = "the articles folder" if here == articles else f"inside the articles folder {settings.articles_dir}/"
        elsewhere = shell_path(articles.parent / (articles.name + "-index"))
        return (
            f"No index in {index_dir}/: it is {where}, and an index is kept outside it. Build one outside it "
            f"with {build} --index {elsewhere}, then pass --index {elsewhere}."
        )
    whole = build_folder_of(index_dir)
    if whole is not None:
        return f"{index_dir}/ is one build of the index {whole}/: pass --index {shell_path(whole)}."
    article = next(
        (
            p
            for p in sorted(index_dir.glob("*"))
            if p.suffix.lower() in SUPPORTED_SUFFIXES and p.name not in INDEX_FOLDER_FILES  # index/README.md
        ),
        None,
    )
    if article is not None:
        return (
            f"No index in {index_dir}/, which holds articles ({article.name}). To answer from them, index them "
            f"into a folder of their own: qa index --articles {shell_path(index_dir)} "
            f"--index {shell_path(here.parent / (here.name + '-index'))}, then pass that --index."
        )
    rounds, size = saved_rounds(index_dir)
    if rounds:  # a first build was stopped: the command to give is that build's, with its --articles
        return (
            f"No index in {index_dir}/ yet: a first build was stopped, and saved the vectors of "
            f"{counted(saved_articles(index_dir), 'article')} ({file_size(size)} in {RESUME_DIR}/). "
            "Run that qa index command again, with the same "
            "--articles, to finish it: it takes them up instead of embedding them again."
        )
    foreign = foreign_files(index_dir)
    if foreign:  # `qa index --index` there is refused: an index is built into a folder of its own
        return (
            f"No index in {index_dir}/, which holds other files ({foreign}). Pass --index with the folder an index "
            f"was built into, or build one into a new folder: {build} --index {shell_path(index_dir / 'index')}"
        )
    return f"No index in {index_dir}/. Build it with: {build} --index {shell_path(index_dir)}"


def _an_article_id(article_id: object) -> bool:
    """Whether `article_id` can name an article: text, which may be written as UTF-8 (no
    article has a lone surrogate in its id). Anything else is refused: a list reached the
    store's SQL, whose error said a healthy index was damaged and should be rebuilt."""
    if not isinstance(article_id, str):
        raise QuestionError(
            f"article_id={article_id!r:.80} must be text: an article id as Index.articles() lists them "
            "(e.g. 'carney-china-trip.txt', or 'feed.jsonl#42' for a feed's record)."
        )
    return is_text(article_id)


def load_index(
    path: Path | str | None = None,
    settings: Settings | None = None,
    encoder: Encoder | None = None,
    reader: Reader | None = None,
    previous: Index | None = None,
    *,
    check_model: bool = True,
) -> Index:
    """Load the index at `path` (default: `settings.index_dir`): a snapshot of its current
    build, which keeps answering as it was when later builds replace it (`open_index` and
    `follow_index` load new builds).

    Checks the manifest against the model in `settings` (the passage size and overlap are
    the index's own: they only decide how a build cuts articles) and the files against the
    manifest, so a stale or damaged index is a clear error, not a
    wrong answer. `encoder` replaces the configured model for questions and `reader` the
    shipped answer reader (e.g. test doubles). When `previous` (an index loaded before
    from the same folder) has the same base segment files, its open base is reused and
    only the delta is read and verified: reloading a 1M-passage index after a small
    update takes a fraction of a second instead of hashing 6 GB again. `check_model=False`
    loads an index whatever model `settings` name, to describe it (`qa info`); questions
    would be embedded by that other model, so `Index.model_problem()` says why not to ask it.

    Example:
        >>> index = load_index("index", Settings())
        >>> index.model_name
        'all-MiniLM-L6-v2'
    """
    settings = settings_or_default(settings)
    if not isinstance(path, (str, os.PathLike, type(None))):
        raise ConfigError(f"path={path!r:.80} must be an index folder (str or Path) or None.")
    # "~/index", as Settings reads it
    index_dir = home_expanded("path", path) if path is not None else settings.index_dir
    generation = current_generation(index_dir)
    if generation is None:
        if build_running(index_dir):
            raise IndexNotFoundError(
                f"No index in {index_dir}/ yet: its first build is running. Try again once it is done."
            )
        raise IndexNotFoundError(_no_index_here(index_dir, settings))
    if not generation.is_dir():
        raise IndexCorruptError(
            f"{index_dir / POINTER_FILE} names {generation.name}, which is missing. {rebuild_from_folder(index_dir)}"
        )
    manifest = Manifest.read(generation)
    base = previous.base if previous is not None and not previous.closed else None  # a closed one let go of it
    if base is not None and base.identity != base_identity(generation):
        base = None
    problems = file_problems(generation, manifest, skip=is_base_file if base is not None else None)
    if problems:
        raise IndexCorruptError(
            f"{generation}/{problems[0]}. Rebuild with: qa index --full --index {shell_path(index_dir)}"
        )
    if check_model:
        check_compatible(manifest, wanted_fingerprint(settings, encoder), index_dir, settings.model)
    base = base or BaseSegment(generation, manifest.model.dim, manifest.vector_index.factory)
    store: StoreReader = base.store
    dense: DenseReader = base.dense
    lexical = LexicalIndex([base.lexical])
    delta = generation / DELTA_DIR
    if f"{DELTA_DIR}/{STORE_FILE}" in manifest.files:
        store = SegmentedStore(base.store, Store.open(delta / STORE_FILE, manifest.model.dim))
        dense = SegmentedDense(base.dense, DenseIndex.read(delta / VECTORS_FILE, "Flat"), store.removed_passages)
        lexical = LexicalIndex([base.lexical, LexicalSegment.read(delta / BM25_DIR)], store.removed_passages)
    _check_counts(manifest, store, dense, lexical, generation)
    base.users += 1
    # Absolute: a caller that changes its working folder later (os.chdir) still verifies this index.
    where, generation = index_dir.absolute(), generation.absolute()
    # The settings name the folder read, not a default one (`index.settings.index_dir` was "index").
    settings = replace(settings, index_dir=index_dir)
    return Index(where, generation, manifest, settings, store, dense, lexical, encoder, reader, base)


def wanted_fingerprint(settings: Settings, encoder: Encoder | None = None) -> dict[str, object]:
    """The settings fingerprint an index built now with `settings` (and `encoder`) would have."""
    if encoder is not None:
        return settings_fingerprint(encoder.info.fingerprint, settings)
    from .embedding import model_fingerprint, resolve_model

    return settings_fingerprint(model_fingerprint(resolve_model(settings.model)), settings)


def _check_counts(
    manifest: Manifest, store: StoreReader, dense: DenseReader, lexical: LexicalIndex, generation: Path
) -> None:
    passages = manifest.counts.passages
    rebuild = "Rebuild with: qa index --full"
    if dense.ntotal != passages:
        raise IndexCorruptError(
            f"{generation / VECTORS_FILE} holds {dense.ntotal} vectors but the manifest "
            f"lists {passages} passages. {rebuild}"
        )
    if len(lexical) != passages:
        raise IndexCorruptError(
            f"{generation / BM25_DIR} holds {len(lexical)} passages but the manifest lists {passages}. {rebuild}"
        )
    stored = store.counts().articles
    if stored != manifest.counts.articles:
        raise IndexCorruptError(
            f"{generation / STORE_FILE} holds {stored} articles but the manifest lists "
            f"{manifest.counts.articles}. {rebuild}"
        )


# -- one loaded index per folder, reloaded when a build replaces it ----------------------------------

_OPEN: dict[tuple[Path, Settings], Index] = {}
# Loaded indexes kept per process, least recently used dropped first: a caller sweeping
# settings (60 thresholds) kept 60 indexes and their open files until the process ended.
_MAX_OPEN = 8
# What answering reads from its settings; the rest (folders, batch size, file limits) only
# decides how a build reads articles, so a loaded Index answers alike whatever they are.
ANSWERING_SETTINGS = ("model", "abstain_below")
_OPEN_LOCK = threading.Lock()
_LOADING: dict[tuple[Path, Settings], threading.Lock] = {}
# A generation that failed to load while an older one answered, per folder. Tried again after
# a pause that doubles (each try hashes every file: ~0.6 s a question at 1M passages), not
# never: a half-copied generation completes under the same name.
RETRY_FIRST_SECONDS = 5.0
RETRY_MOST_SECONDS = 60.0


@dataclass(frozen=True)
class _Unloadable:
    generation: str
    retry_at: float  # time.monotonic()
    pause: float


_UNLOADABLE: dict[tuple[Path, Settings], _Unloadable] = {}


def open_index(index: Index | str | Path | None = None, settings: Settings | None = None) -> Index:
    """An `Index` as is; a folder (None: `settings.index_dir`) loaded once per process with
    `settings` and reloaded automatically after `qa index` (or an upload in the UI)
    replaces its generation.

    While one thread loads a new generation, others keep answering from the loaded one
    instead of waiting: a question never stalls behind a reload. A new generation that
    cannot be loaded (damaged, half-copied, built with another model) does not stop the
    answers either: they keep coming from the loaded one, with one `StaleIndexWarning`
    naming the problem; it is tried again after 5 s, then 10, 20, … up to a minute apart, and
    answers come from it once it loads (or from another generation `CURRENT` names).
    Settings that differ only in what a build reads (passage size, overlap) share one load.

    Example:
        >>> open_index("index", Settings()) is open_index("index", Settings())
        True
    """
    if isinstance(index, Index):
        given = settings_or_default(settings) if settings is not None else index.settings
        differing = [
            f"{name}={getattr(given, name)!r} (the index's: {getattr(index.settings, name)!r})"
            for name in ANSWERING_SETTINGS
            if getattr(given, name) != getattr(index.settings, name)
        ]
        if differing:
            raise ConfigError(
                "A loaded Index answers with the settings it was loaded with, and these differ: "
                f"{', '.join(differing)}. Pass them to load_index, or pass the index's folder with these settings."
            )
        index.check_open()
        return index
    if not isinstance(index, (str, os.PathLike, type(None))):
        raise ConfigError(f"index={index!r} must be a loaded Index, an index folder (str or Path) or None.")
    settings = settings_or_default(settings)
    folder = home_expanded("index", index) if index is not None else settings.index_dir
    return _open_folder(folder, settings, _warn_stale)


def _warn_stale(problem: Exception) -> None:
    said = str(problem).rstrip()
    said += "" if said.endswith(".") else "."  # "…Rebuild with: qa index --full --index X" ends in a path
    warnings.warn(f"{said} Answering from the build loaded before it.", StaleIndexWarning, stacklevel=4)


def _for_reading(settings: Settings) -> Settings:
    """`settings` without what only a build reads (the passage size and overlap, the index's
    own since `load_index` reads an index as it was built)."""
    built = Settings()
    return replace(settings, passage_tokens=built.passage_tokens, overlap_sentences=built.overlap_sentences)


def _open_folder(folder: Path, settings: Settings, on_stale: Callable[[Exception], None]) -> Index:
    """`open_index` of a folder; a new generation that fails to load while another is loaded
    goes to `on_stale` (once per generation) and the loaded one is returned."""
    # The folder is the index; settings.index_dir only names a default one: open_index("idx",
    # Settings()) and open_index(None, Settings(index_dir="idx")) share one load.
    key = (folder.resolve(), replace(_for_reading(settings), index_dir=folder.resolve()))
    with _OPEN_LOCK:
        loaded = _OPEN.pop(key, None)
        if loaded is not None:
            _OPEN[key] = loaded  # now the most recently used
        loading = _LOADING.setdefault(key, threading.Lock())
    if loaded is not None and _is_current(folder, loaded):
        _UNLOADABLE.pop(key, None)  # CURRENT damaged a while, then repaired: later damage is news again
        return loaded
    if loaded is None:
        loading.acquire()
    elif not loading.acquire(blocking=False):
        return loaded  # another thread is loading the new generation: answer from this one meanwhile
    try:
        with _OPEN_LOCK:
            loaded = _OPEN.get(key)
        if loaded is None or not _is_current(folder, loaded):
            try:
                name = _current_name(folder)
            except (QAError, OSError):  # CURRENT itself damaged (half-copied): a load says so
                name = "(CURRENT)"
            failed = _UNLOADABLE.get(key)
            again = failed is not None and failed.generation == name
            if loaded is not None and failed is not None and again and time.monotonic() < failed.retry_at:
                return loaded  # said already; tried again later
            try:
                fresh = _load_current(folder, settings, loaded, name)
            except (QAError, OSError) as exc:
                if loaded is None:
                    raise
                with contextlib.suppress(QAError, OSError):  # the build tried last (newer builds overtook it)
                    name = _current_name(folder)
                again = failed is not None and failed.generation == name
                pause = (
                    min(failed.pause * 2, RETRY_MOST_SECONDS) if failed is not None and again else RETRY_FIRST_SECONDS
                )
                _UNLOADABLE[key] = _Unloadable(name, time.monotonic() + pause, pause)
                if not again:
                    on_stale(exc)
                return loaded
            _UNLOADABLE.pop(key, None)
            with _OPEN_LOCK:
                _OPEN.pop(key, None)
                _OPEN[key] = loaded = fresh
                while len(_OPEN) > _MAX_OPEN:  # a caller holding an evicted Index keeps it alive
                    oldest = next(iter(_OPEN))
                    del _OPEN[oldest]
                    _LOADING.pop(oldest, None)
                    _UNLOADABLE.pop(oldest, None)
        return loaded
    finally:
        loading.release()


def _load_current(folder: Path, settings: Settings, loaded: Index | None, name: str) -> Index:
    """`load_index` of `folder`, again while newer builds replaced the one it was loading (a
    load of a large index takes seconds, and the build after next removes the generation it
    reads: "articles.json is missing. Rebuild with: qa index --full" for an index not damaged)."""
    for _ in range(3):
        try:
            return load_index(folder, settings, previous=loaded)
        except (QAError, OSError):
            now = _current_name(folder)
            if now == name:  # the build it read is still the current one: it is the problem
                raise
            name = now
    return load_index(folder, settings, previous=loaded)


def _current_name(folder: Path) -> str:
    current = current_generation(folder)
    return current.name if current is not None else ""


def _is_current(folder: Path, loaded: Index) -> bool:
    """Is `loaded` the build `folder` names now? By name: the same index may have been loaded
    through a relative path and asked for through an absolute one. A `CURRENT` that cannot be
    read is not: the load after it says why (it raised here, past the loaded build)."""
    try:
        return _current_name(folder) == loaded.generation.name
    except (QAError, OSError):
        return False


def follow_index(
    index_dir: Path | str | None,
    settings: Settings | None,
    interval: float = 0.5,
    on_error: Callable[[Exception], None] | None = None,
    on_load: Callable[[Index], None] | None = None,
) -> threading.Event:
    """Keep the loaded index of `index_dir` (None: `settings.index_dir`) current in the background: every `interval`
    seconds, load the generation `CURRENT` names if it changed (replicas sharing one index
    folder pick up a build within about a second, without a restart). Questions keep using
    the loaded generation until the new one is ready, and while a new one cannot be loaded
    (damaged, half-copied): `on_error` gets that problem once per generation (a `QAError`
    or `OSError`), and it is tried again as `open_index` does. Before any generation loaded
    (no index yet), every failed try goes to `on_error`. Anything else is a bug: logged with
    its traceback, and following goes on. `on_load` gets each build loaded after the one
    current when following began (a server's log shows what it answers from, and when a
    damaged build was replaced). Returns an event that stops it.

    Example:
        >>> stop = follow_index("index", Settings())
        >>> stop.set()
    """

    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 0 < interval <= 3600:  # 0: 100% CPU
        raise ConfigError(f"interval={interval!r} seconds must be above 0 and at most 3600 (default 0.5).")
    settings = settings_or_default(settings)  # None failed in the thread, a traceback every tick
    if not isinstance(index_dir, (str, os.PathLike, type(None))):  # as for settings: not a traceback per tick
        raise ConfigError(f"index_dir={index_dir!r:.80} must be an index folder (str or Path) or None.")
    folder = home_expanded("index_dir", index_dir) if index_dir is not None else settings.index_dir

    # The build loaded when following began is no news (its caller loaded it); any later one is,
    # the first one too when none was loaded (no index yet, or a damaged one at the start).
    key = (folder.resolve(), replace(_for_reading(settings), index_dir=folder.resolve()))
    with _OPEN_LOCK:
        loaded = _OPEN.get(key)
    seen = loaded.generation.name if loaded is not None else ""

    def run() -> None:
        nonlocal seen
        while not stop.wait(interval):
            try:
                index = _open_folder(folder, settings, report)
            except (QAError, OSError) as exc:  # no index yet, or the first one cannot be loaded
                report(exc)
                continue
            except Exception:
                logging.getLogger(__name__).exception("Reloading the index of %s/ failed", folder)
                continue
            if index.generation.name != seen:
                seen = index.generation.name
                if on_load is not None:
                    try:
                        on_load(index)
                    except Exception:  # the caller's bug: following goes on
                        logging.getLogger(__name__).exception("on_load failed for %s/", folder)

    def report(exc: Exception) -> None:
        if on_error is not None:
            on_error(exc)

    stop = threading.Event()
    threading.Thread(target=run, name="qa-follow-index", daemon=True).start()
    return stop
