"""Building the index: incremental by default, atomic always, one build at a time.

A build writes a new generation in `index/.build-*`: from scratch, or the live one's base
segment hard-linked (never copied) plus a delta segment holding the changes (articles added,
changed or removed; only those are embedded), merged into a new base once it grows; then it
writes a manifest, renames the folder to `gen-*` and finally replaces `index/CURRENT`. A
build killed at any moment leaves `CURRENT` naming the previous, complete generation;
leftovers are removed by the next build. A lock file makes a second concurrent build wait or refuse.

This module orchestrates; the parts it writes have their own owners in `qa.store`.
"""

from __future__ import annotations

import datetime as dt
import errno
import math
import os
import re
import shutil
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from . import __version__
from .articles import READING_RULES, Article, FileStamp, ReadResult, Skipped, read_articles
from .config import Settings, settings_or_default
from .embedding import Encoder, model_reference
from .errors import (
    ArticleError,
    ConfigError,
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexWriteError,
    NoArticlesError,
    OtherFolderError,
    QAError,
)
from .preparation import PreparedArticle, prepare_article, store_prepared
from .resume import SavedVectors, discard_saved, saved_rounds
from .store import (
    BM25_DIR,
    DELTA_DIR,
    POINTER_FILE,
    STORE_FILE,
    VECTORS_FILE,
    Counts,
    DenseIndex,
    LexicalIndex,
    Manifest,
    Store,
    current_generation,
)
from .store.layout import (
    GENERATION_PREFIX,
    INDEX_FOLDER_FILES,
    LOCK_FILE,
    build_folder_of,
    fsync_dir,
    is_base_file,
    publish_generation,
)
from .store.manifest import (
    FileEntry,
    VectorIndexInfo,
    copy_verified,
    describe_files,
    file_problems,
    settings_fingerprint,
)
from .store.segments import MERGE_FRACTION, MERGE_MIN_PASSAGES, open_segments
from .wording import counted, file_size, shell_path

WRITE_FIX = "Free disk space (or fix the folder's permissions)"  # an index that could not be written
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
    passages_copied: int = 0  # of articles whose text the index held under another id (a moved file)
    passages_resumed: int = 0  # whose vectors a stopped build had saved (qa.resume): not embedded again

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

    Only new or changed articles (by content hash) are embedded; removed ones are dropped; an
    article whose very text the index holds under another id (a renamed or moved file, a
    copy) is copied with its vectors, not embedded again.
    A different model or chunking setting, a damaged index or `full=True` rebuilds all.
    `wait` is how many seconds to wait for a concurrent build before refusing.
    `on_progress(done, total)` reports embedded passages (the UI shows it).

    Example:
        >>> report = build_index(Settings(articles_dir=Path("seeds"), index_dir=Path("index")))
        >>> report.counts.articles >= 1
        True
    """
    settings = settings_or_default(settings)
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not 0 <= wait < math.inf:
        raise ConfigError(f"wait={wait!r} must be a number of seconds, 0 or more (0: refuse at once).")
    for name, flag in (("full", full), ("progress", progress)):  # "no" was read as True
        if not isinstance(flag, bool):
            raise ConfigError(f"{name}={flag!r:.40} must be True or False.")
    if on_progress is not None and not callable(on_progress):  # it failed mid-build, a TypeError
        raise ConfigError(f"on_progress={on_progress!r:.40} must be a function of (done, total), or None.")
    started = time.perf_counter()
    folder, index_dir = Path(settings.articles_dir), Path(settings.index_dir)
    _check_places(folder, index_dir, full)
    seen: dict[Path, Manifest] = {}  # manifests already parsed, by generation
    read_against = current_generation(index_dir)  # the build whose files `read` skips as known
    read = _read_folder(settings, _known_files(index_dir, full, seen, settings.max_file_bytes), progress)
    if not read.articles and not read.not_read:
        unlisted = [s.reason.removeprefix("cannot list the folder ") for s in read.skipped if s.path == "."]
        if unlisted:  # "Add … articles there" to a folder of 800 that qa may not read named the wrong fix
            raise NoArticlesError(  # (qa serve --read-only still serves, the watch waits, as for no article)
                f"The articles folder {folder}/ cannot be listed {unlisted[0]}: "
                "let the user running qa read it (its permissions), "
                "or point --articles / QA_ARTICLES at another folder."
            )
        reasons = "; ".join(str(s) for s in read.skipped[:5]) or "the folder is empty"
        if len(read.skipped) > 5:  # the others, counted: five of 300 reasons read as all of them
            reasons += f"; and {len(read.skipped) - 5:,} more"
        raise NoArticlesError(
            f"No readable article in {folder}/ ({reasons}). Add .txt, .md, .html, JSON, PDF or Word articles "
            "there, or point --articles / QA_ARTICLES at your folder."
        )
    if encoder is None:
        from .embedding import get_encoder

        encoder = get_encoder(settings)
    if settings.passage_tokens > encoder.info.max_tokens:  # (Settings cannot know the model's length)
        # Each passage would be cut at the model's length: its later sentences embedded as the passage.
        raise ConfigError(
            f"passage_tokens={settings.passage_tokens} is more than the model {settings.model!r} reads "
            f"({encoder.info.max_tokens} tokens): the rest of each passage would not be embedded. Pass "
            f"--passage-tokens {encoder.info.max_tokens} or less (QA_PASSAGE_TOKENS)."
        )
    index_dir.mkdir(parents=True, exist_ok=True)
    wanted = settings_fingerprint(encoder.info.fingerprint, settings)

    def report(
        changes: _Changes, manifest: Manifest, full_reason: str, embedded: tuple[int, int, int, int]
    ) -> BuildReport:
        return BuildReport(
            index_dir=index_dir,
            added=changes.added,
            updated=changes.updated,
            removed=changes.removed,
            unchanged=len(read.articles) + len(read.not_read) - len(changes.added) - len(changes.updated),
            skipped=read.skipped,
            warnings=read.warnings + _repeats(current, changes),
            full=bool(full_reason),
            full_reason=full_reason,
            counts=manifest.counts,
            passages_embedded=embedded[0],
            tokens_embedded=embedded[1],
            passages_copied=embedded[2],
            passages_resumed=embedded[3],
            seconds=time.perf_counter() - started - waited,  # the build's own time, not another's
            vector_index=manifest.vector_index.factory,
        )

    current: dict[str, str] = {}  # article_id -> content hash of what the folder holds, once read
    waited = time.perf_counter()
    with _build_lock(index_dir, wait, progress) as queued:
        waited = time.perf_counter() - waited  # for another build (--wait): 20.7 s read as this one's
        _remove_leftovers(index_dir, keep=None)
        previous, live, reason = _previous_generation(index_dir, wanted, full, seen)
        if queued or current_generation(index_dir) != read_against:
            # Another build published while this one read the folder (a watcher, the chat):
            # what it added since would be removed again. Or this one waited for it: the folder
            # may have changed meanwhile though it published nothing (stopped, failed), and a
            # file deleted during the wait stayed indexed. Read again, as of now (only the files
            # the live build did not read are read).
            read = _read_folder(settings, _known_files(index_dir, full, seen, settings.max_file_bytes), progress)
        if read.not_read and (live is None or not all(a in live.articles for a in read.not_read)):
            # Files skipped as unchanged, but the index to update is not the one that read
            # them (a rebuild, e.g. for other settings): read everything.
            read = _read_folder(settings, None, progress)
        current = {a.source.article_id: a.content_hash for a in read.articles}
        if live is not None:
            current.update((a, live.articles[a]) for a in read.not_read)
        if not full:
            _check_not_another_folder(index_dir, folder, current, seen)
        changes = _diff(live.articles if live is not None else {}, current)
        moved = live is not None and bool(live.articles_dir) and not _same_folder(live.articles_dir, folder)
        # Read otherwise, or the model found elsewhere: recorded even with no article changed, or
        # the next bare `qa index` (serve, --watch) went on following links it was told not to.
        resettled = live is not None and (
            live.reading != _reading(settings) or live.model.name != model_reference(settings.model)
        )
        if live is not None and not changes and not moved and not resettled and not _retyped(settings, live):
            # nothing to do: keep the live one
            discard_saved(SavedVectors(index_dir, wanted, encoder.dim))  # saved for changes since undone
            return report(changes, live, "", (0, 0, 0, 0))
        # A whole rebuild embeds every article, but the report tells what changed against the
        # index it replaces ("added 100" for unchanged articles read as new).
        replaced = live if live is not None else _live_manifest(index_dir, seen=seen)
        told = changes if replaced is live else _diff(replaced.articles if replaced is not None else {}, current)
        # What a stopped build embedded, not embedded again; saved a round of articles at a time.
        saved = SavedVectors(index_dir, wanted, encoder.dim, round_articles=CHUNK_ARTICLES)
        with _new_generation(index_dir, saved) as work:
            manifest = _build_into(
                work, previous, live, read, current, changes, encoder, settings, wanted, saved, on_progress, progress
            )
            manifest.write(work)
        discard_saved(saved)
    embedded = (
        manifest.passages_embedded,
        manifest.tokens_embedded,
        manifest.passages_copied,
        manifest.passages_resumed,
    )
    return report(told, manifest, reason, embedded)


# -- the steps ---------------------------------------------------------------------------------


PHASE_BAR_DELAY = 2.0  # seconds before reading or splitting shows a bar: an update of known files takes less


def _read_folder(settings: Settings, known: Mapping[str, FileStamp] | None, progress: bool) -> ReadResult:
    """The articles folder read (files in `known` unchanged are not), with a progress bar
    once reading takes a while: a first build of 100k HTML files reads for minutes
    (trafilatura, ~5 ms a page) before the first passage is embedded, and showed nothing."""
    with progress_bar(None, "Reading articles", progress, unit="file", delay=PHASE_BAR_DELAY) as bar:

        def step(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return read_articles(
            settings.articles_dir,
            settings.max_file_bytes,
            follow_links=settings.follow_links,
            known=known,
            on_file=step,
        )


def _check_places(folder: Path, index_dir: Path, full: bool) -> None:
    """Refuse an articles folder that is missing or a file, and an index folder that is a
    file, inside the articles or another program's; `full` repairs a damaged `CURRENT`."""
    refuse_a_file(folder)
    if not folder.is_dir():
        raise ArticleError(
            f"Articles folder {folder}/ does not exist. Create it and add .txt, .md, .html, "
            "JSON, PDF or Word articles, or point --articles / QA_ARTICLES at your folder."
        )
    if index_dir.exists() and not index_dir.is_dir():
        raise ArticleError(f"{index_dir} is a file, not an index folder; pass --index with a folder.")
    if index_dir.is_symlink() and not index_dir.exists():  # it said "File exists: brokenlink"
        raise ArticleError(
            f"{index_dir} is a link to {os.readlink(index_dir)}, which does not exist: create that folder, "
            "or pass --index with another one."
        )
    check_index_place(folder.resolve(), index_dir.resolve())
    if full:
        _drop_damaged_pointer(index_dir)
    refuse_foreign_folder(index_dir)


@contextmanager
def _new_generation(index_dir: Path, saved: SavedVectors) -> Iterator[Path]:
    """A work folder for the block to write a complete generation into; then published
    (fsync, rename, swap `CURRENT`), and older generations removed. Whatever stops the block
    removes the folder: the index is as before (a full disk is an `IndexWriteError`)."""
    work = index_dir / f".build-{uuid.uuid4().hex[:12]}"
    work.mkdir()
    try:
        yield work
        _fsync_tree(work)
        generation = publish_generation(index_dir, work)
    except (sqlite3.Error, OSError, RuntimeError) as exc:
        shutil.rmtree(work, ignore_errors=True)
        cause = _write_failure(exc)
        if cause is None:
            raise
        kept = saved_rounds(index_dir)[1]
        # The saved vectors take space too: name them, as a full disk's cause may be theirs.
        held = (
            f" {saved.folder.parent}/ holds {file_size(kept)} of vectors saved for the next build: deleting it "
            "frees that space, and the next build embeds them again."
            if kept
            else ""
        )
        raise IndexWriteError(
            f"Could not write the index in {index_dir}/ ({cause}); the index is as before.{held}",
            f"{WRITE_FIX}, then run qa index again.",
        ) from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _remove_leftovers(index_dir, keep=generation)


_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES}


def _write_failure(exc: BaseException) -> str | None:
    """Why writing the new generation failed, if it was the disk (a one-line error, not a
    traceback); None for anything else. Each writer says it its own way: sqlite "database or
    disk is full", numpy an OSError, FAISS a RuntimeError ending "(No space left on device)"."""
    if isinstance(exc, sqlite3.Error):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
        return exc.strerror or str(exc)
    if isinstance(exc, RuntimeError) and "write error" in str(exc):
        return str(exc).rsplit("(", 1)[-1].rstrip(")") if str(exc).endswith(")") else "write error"
    return None


@contextmanager
def _build_lock(index_dir: Path, wait: float, progress: bool = False) -> Iterator[bool]:
    """Hold the index's build lock; yields whether another build held it first (waited for)."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(index_dir / LOCK_FILE))
    queued = False
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            queued = True
            if not wait:
                raise
            if progress:  # a wait of minutes must not look like a hang
                print(f"Waiting up to {wait:g} s for another build of {index_dir}/ to finish…", file=sys.stderr)
            lock.acquire(timeout=wait)
    except Timeout:
        waited = f" (waited {wait:g} s)" if wait else ""
        raise IndexLockedError(
            f"Another build of {index_dir}/ is running{waited}. Run the command again once it is done, or let "
            "it wait for that build: qa index --wait SECONDS."
        ) from None
    try:
        yield queued
    finally:
        lock.release()


def build_running(index_dir: Path) -> bool:
    """Is a build of `index_dir` running, its lock held by another process?"""
    from filelock import FileLock, Timeout

    if not (index_dir / LOCK_FILE).exists():
        return False
    try:
        with FileLock(str(index_dir / LOCK_FILE)).acquire(timeout=0):
            return False
    except Timeout:
        return True
    except OSError:  # a lock we may not even open: say nothing of it
        return False


# The settings fingerprint's fields (qa.store.manifest) in a build report's words: the internal
# names ("model_fingerprint") named no setting a user could look up.
_CHANGED = {
    "model_fingerprint": "the embedding model (--model, QA_MODEL)",
    "passage_tokens": "passage size, {built} → {wanted} tokens (--passage-tokens, QA_PASSAGE_TOKENS)",
    "overlap_sentences": "passage overlap, {built} → {wanted} sentences",
    "format_version": "index format {built} → {wanted} (another qa version)",
    "chunking": "sentence splitting (another qa version)",  # no setting a user changed: this qa splits otherwise
}


def _previous_generation(
    index_dir: Path, wanted: dict[str, object], full: bool, seen: dict[Path, Manifest]
) -> tuple[Path | None, Manifest | None, str]:
    """The generation to update and its manifest, or None and why everything is rebuilt.

    Its files are checked so that damage does not live on in the next generation: the size
    of each, and the hash of each whose modification time changed since it was hashed.
    Re-hashing an untouched 6 GB base would cost 1.5–8 s of every update at 1M passages;
    loading an index (`qa serve`, `qa ask`) and `qa info --verify` hash every file.
    """
    if full:
        return None, None, "--full requested"
    try:
        generation = current_generation(index_dir)
        if generation is None:
            return None, None, "no index yet"
        manifest = seen[generation] if generation in seen else Manifest.read(generation, catalog=True)
    except QAError as exc:
        if isinstance(exc, IndexMismatchError) and exc.newer:
            raise  # a newer qa's index is not thrown away unless asked: its message says --full
        # The cause only: "Rebuild with: …" is what this build is doing.
        cause = re.split(r"[.;] Rebuild (?:it )?with: ", str(exc))[0].rstrip(".")
        return None, None, f"previous index unusable: {cause}"
    built = manifest.settings
    if built != wanted:
        changed = sorted(k for k in set(built) | set(wanted) if built.get(k) != wanted.get(k))
        named = [_CHANGED.get(k, k).format(built=built.get(k), wanted=wanted.get(k)) for k in changed]
        return None, None, "changed since the last build: " + ", ".join(named)
    problems = file_problems(generation, manifest, trust_unchanged=True)
    if problems:
        return None, None, f"previous {problems[0]}"
    return generation, manifest, ""


def refuse_a_file(folder: Path) -> None:
    """A file named as the articles folder is said to be one (not "does not exist: create it")."""
    if folder.exists() and not folder.is_dir():
        raise ArticleError(
            f"{folder} is a file, not a folder: --articles / QA_ARTICLES name the folder that holds the articles "
            f"(here {folder.parent}/)."
        )


def check_articles_folder(settings: Settings) -> None:
    """Refuse when the index was built from another articles folder than `settings`' (the
    chat checks this before it rebuilds: a full build would switch folders without a word).

    Indexes built before the folder was recorded are not checked.

    Raises:
        OtherFolderError: the index was built from another folder; the message names both.
    """
    settings = settings_or_default(settings)
    index_dir, given = Path(settings.index_dir), Path(settings.articles_dir)
    folder = given.resolve()
    live = _live_manifest(index_dir, catalog=False)
    origin = live.articles_dir if live is not None else ""  # no usable index: nothing to lose
    if origin and not _same_folder(origin, given):
        raise OtherFolderError(
            f"The index {index_dir}/ was built from the articles in {origin}/, not {folder}/. Point --articles "
            f"(or QA_ARTICLES) at {origin}/, or switch folders with: qa index --full --articles {shell_path(folder)} "
            f"--index {shell_path(index_dir)}"
        )


@dataclass(frozen=True)
class BuiltWith:
    """What an index was built with and from: what `qa` commands use where they are not told.

    Example:
        >>> built_with(Path("index")).passage_tokens  # doctest: +SKIP
        256
    """

    model: str
    passage_tokens: int
    articles_dir: Path | None  # None: not recorded (an index from before it was)
    reading: dict[str, Any] = field(default_factory=dict)  # follow_links, max_file_mb ({}: not recorded)


def _reading(settings: Settings) -> dict[str, Any]:
    """How a build read its articles folder, as its manifest records it (`BuiltWith.reading`)."""
    return {"follow_links": settings.follow_links, "max_file_mb": settings.max_file_mb, "rules": READING_RULES}


def built_with(index_dir: Path) -> BuiltWith | None:
    """The model, passage size, articles folder and how it was read (following links, file size
    limit) of the index in `index_dir`, or None without a usable index."""
    live = _live_manifest(Path(index_dir), catalog=False)
    if live is None:
        return None
    articles_dir = Path(live.articles_dir) if live.articles_dir else None
    return BuiltWith(live.model.name, live.passage_tokens, articles_dir, live.reading)


def _check_not_another_folder(
    index_dir: Path, folder: Path, current: dict[str, str], seen: dict[Path, Manifest]
) -> None:
    """Refuse a build that reads another folder than the index was built from and would drop
    most of its articles (`current`: what the folder holds): a server started elsewhere
    without --articles, a replica, a typo. Moved folders (the same articles) and deletions
    in the same folder go through; `qa index --full` switches folders on purpose. Checked
    even when other settings force a rebuild: the user did not ask for that one."""
    indexed = _live_manifest(index_dir, seen=seen)
    if indexed is None:
        return  # no usable index: nothing to lose
    origin, here = indexed.articles_dir, folder.resolve()
    dropped = sum(1 for article_id in indexed.articles if article_id not in current)
    if origin and not _same_folder(origin, folder) and 2 * dropped > len(indexed.articles):
        raise OtherFolderError(
            f"The index {index_dir}/ was built from the articles in {origin}/; building it from {here}/ would "
            f"remove {dropped:,} of its {len(indexed.articles):,} articles. Point --articles (or QA_ARTICLES) at "
            f"{origin}/, or replace its articles with that folder's: qa index --full --articles {shell_path(here)} "
            f"--index {shell_path(index_dir)}"
        )


def _recorded_folder(folder: Path) -> str:
    """The articles folder as an index records it: absolute, but a link as the link, not where it
    leads. A "current" link re-pointed to the next release's folder was refused as another
    folder than the index's (it recorded the release the link led to)."""
    path = folder if folder.is_absolute() else Path.cwd() / folder
    if path.name in ("", ".", ".."):
        return str(path.resolve())
    # Only the last name as written: "x/current/../other" is where "current" leads, then up.
    return str(Path(os.path.realpath(path.parent)) / path.name)


def _same_folder(origin: str, folder: Path) -> bool:
    """Whether `folder` is the recorded articles folder `origin`: by name (a link followed
    anew), or where both lead (an index recorded before links were kept as links).

    Example:
        >>> _same_folder("/srv/news", Path("/srv/news/"))
        True
    """
    return Path(origin) == Path(_recorded_folder(folder)) or Path(origin).resolve() == folder.resolve()


def check_index_place(root: Path, index_dir: Path) -> None:
    """Refuse an index inside the articles folder unless it is hidden (`.index`).

    The build reads every non-hidden file under the articles folder, so the index's own
    files (manifest.json, feedback.jsonl) would be read as articles.

    Example:
        >>> check_index_place(Path("/news"), Path("/news/.index"))  # hidden: never read, never watched
    """
    if read_as_articles(root, index_dir):
        raise ConfigError(
            f"The index {index_dir}/ is inside the articles folder {root}/, so its files would be read "
            f"as articles. Put it outside (--index {shell_path(root.parent / (root.name + '-index'))}) or give "
            f"it a hidden name (--index {shell_path(root / '.index')})."
        )


def _drop_damaged_pointer(index_dir: Path) -> None:
    """`qa index --full` over an index whose CURRENT is damaged: the rebuild is the fix that
    error names, so the pointer goes (the rebuild writes a new one). It failed on it again,
    naming itself as the fix. Only in a folder of qa's builds: another program's file stays."""
    try:
        current_generation(index_dir)
    except IndexCorruptError:
        if any(index_dir.glob(GENERATION_PREFIX + "*")):
            (index_dir / POINTER_FILE).unlink()


def refuse_foreign_folder(index_dir: Path) -> None:
    """Refuse to write an index into a folder that holds other files and no index yet.

    A mistyped `--index ~/Documents` would otherwise mix the index's files into the user's
    own and leave them there; an empty or new folder, or one an earlier build wrote, is fine.

    Example:
        >>> refuse_foreign_folder(Path("a-folder-that-does-not-exist-yet"))  # created by the build
    """
    if not index_dir.is_dir():
        return
    if (index_dir / POINTER_FILE).exists():
        current_generation(index_dir)  # another program's CURRENT (LevelDB's) says so
        return
    whole = build_folder_of(index_dir)
    if whole is not None:
        raise ConfigError(
            f"{index_dir}/ is one build of the index {whole}/, which qa reads through {whole / POINTER_FILE}; "
            f"pass --index {shell_path(whole)}."
        )
    foreign = foreign_files(index_dir)
    if foreign:
        raise ConfigError(
            f"{index_dir}/ holds files that are not an index ({foreign}); qa writes its index into a folder "
            f"of its own. Pass --index with a new or empty folder (e.g. --index {shell_path(index_dir / 'index')})."
        )


def foreign_files(index_dir: Path) -> str:
    """The files of `index_dir` that no index wrote, the first three named ("a.txt, b and 2
    more"); "" for an index's folder, an empty one, or one that is not there.

    Example:
        >>> foreign_files(Path("a-folder-that-does-not-exist"))
        ''
    """
    if not index_dir.is_dir():
        return ""
    foreign = sorted(
        p.name
        for p in index_dir.iterdir()
        if not p.name.startswith((".", GENERATION_PREFIX)) and p.name not in INDEX_FOLDER_FILES
    )
    return ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")


def read_as_articles(root: Path, folder: Path) -> bool:
    """Would a build of the articles in `root` read the files of `folder`? It does for
    `root` itself and every folder under it but hidden ones (both paths resolved).

    Example:
        >>> read_as_articles(Path("/news"), Path("/news/2024")), read_as_articles(Path("/news"), Path("/news/.index"))
        (True, False)
    """
    if folder != root and root not in folder.parents:
        return False
    return not any(part.startswith(".") for part in folder.relative_to(root).parts)


def _known_files(index_dir: Path, full: bool, seen: dict[Path, Manifest], max_file_bytes: int) -> dict[str, FileStamp]:
    """The article files as the live generation read them (none for a full rebuild, without a
    usable index, or when an older qa read them by other rules, `READING_RULES`: everything is
    read), but those over `max_file_bytes`: a lowered --max-file-mb kept them, as files not
    read again."""
    live = None if full else _live_manifest(index_dir, seen=seen)
    if live is None or live.reading.get("rules") != READING_RULES:  # read by an older qa: read all again
        return {}
    return {rel: stamp for rel, stamp in live.sources.items() if stamp.size <= max_file_bytes}


def _live_manifest(index_dir: Path, seen: dict[Path, Manifest] | None = None, catalog: bool = True) -> Manifest | None:
    """The live generation's manifest (with its catalog), or None without a usable index. A
    build passes `seen` to parse it once: at 100k articles each parse costs ~0.5 s."""
    try:
        generation = current_generation(index_dir)
        if generation is None:
            return None
        if seen is not None and generation in seen:
            return seen[generation]
        manifest = Manifest.read(generation, catalog=catalog)
    except QAError:
        return None
    if seen is not None:
        seen[generation] = manifest
    return manifest


def _build_into(
    work: Path,
    previous: Path | None,
    live: Manifest | None,
    read: ReadResult,
    current: dict[str, str],
    changes: _Changes,
    encoder: Encoder,
    settings: Settings,
    wanted: dict[str, object],
    saved: SavedVectors,
    on_progress: ProgressCallback | None,
    progress: bool,
) -> Manifest:
    """Write a complete generation into `work`: from scratch, or as the previous generation's
    base (hard-linked, never copied) plus a delta holding the changes, merged into a new
    base once the delta outgrows `MERGE_FRACTION` of it."""
    by_id = {a.source.article_id: a for a in read.articles}
    if previous is None or live is None:
        dense = DenseIndex.empty(encoder.dim)
        store = Store.open_for_build(work / STORE_FILE, encoder.dim, create=True)
        try:
            todo = [by_id[k] for k in changes.added]
            passages, tokens, resumed = _embed_articles(
                store, dense, todo, encoder, settings, saved, on_progress, progress
            )
            embedded = (passages, tokens, 0, resumed)
            store.commit()
            factory = _finish_base(work, store, dense, settings)
        finally:
            store.close()
        reused: dict[str, FileEntry] = {}
    else:
        todo = [by_id[k] for k in (*changes.added, *changes.updated)]
        embedded, reused, factory = _update_delta(
            work, previous, live, changes, todo, encoder, settings, saved, on_progress, progress
        )
    return _manifest(work, encoder, settings, wanted, embedded, reused, factory, read.files, current)


def _update_delta(
    work: Path,
    previous: Path,
    live: Manifest,
    changes: _Changes,
    todo: Sequence[Article],
    encoder: Encoder,
    settings: Settings,
    saved: SavedVectors,
    on_progress: ProgressCallback | None,
    progress: bool,
) -> tuple[tuple[int, int, int, int], dict[str, FileEntry], str]:
    """Link the previous base into `work` and write the delta segment with `changes` applied
    (or merge base and delta when the delta grew too large); return what was embedded
    (passages, tokens) and the passages copied from articles of the same text, the manifest
    entries of the files shared with the previous generation, the base's FAISS type."""
    base_files = [name for name in live.files if is_base_file(name)]
    for name in base_files:
        _link_or_copy(previous / name, work / name, live.files[name])
    delta_dir = work / DELTA_DIR
    delta_dir.mkdir()
    had_delta = f"{DELTA_DIR}/{STORE_FILE}" in live.files
    base = Store.open(work / STORE_FILE, encoder.dim)
    try:
        if had_delta:
            copy_verified(
                previous / DELTA_DIR / STORE_FILE, delta_dir / STORE_FILE, live.files[f"{DELTA_DIR}/{STORE_FILE}"]
            )
            dense = DenseIndex.read(previous / DELTA_DIR / VECTORS_FILE, "Flat")
        else:
            dense = DenseIndex.empty(encoder.dim)
        delta = Store.open_for_build(delta_dir / STORE_FILE, encoder.dim, create=not had_delta, after=base.last_ids())
        try:
            gone = [*changes.updated, *changes.removed]
            in_delta = set(delta.content_hashes())
            leaving = _held_by_leaving_delta(todo, live, delta, dense, [a for a in gone if a in in_delta])
            dense.remove(delta.delete_articles([a for a in gone if a in in_delta]))
            # Live articles not in the delta are the base's (a base query would read 100k rows at 1M).
            delta.mark_removed([a for a in gone if a not in in_delta and a in live.articles])
            todo, copied = _copy_held(todo, live, base, delta, dense, work, encoder, settings, progress, leaving)
            passages, tokens, resumed = _embed_articles(
                delta, dense, todo, encoder, settings, saved, on_progress, progress
            )
            embedded = (passages, tokens, copied, resumed)
            delta.commit()
            counts = delta.counts()
            removed = delta.removed_articles()
            removed_passages = base.rows_of(removed)[0].passages
        finally:
            delta.close()
        merge = counts.passages + removed_passages > max(MERGE_MIN_PASSAGES, MERGE_FRACTION * live.counts.passages)
        merge = merge or _retyped(settings, live)  # a new base is the only place a new type goes
    finally:
        base.close()
    if merge:
        return embedded, {}, _merge(work, previous, live, dense, removed, encoder, settings)
    if counts.articles == 0 and not removed:
        shutil.rmtree(delta_dir)  # every change undone: the base alone is the collection
    else:
        LexicalIndex.write(_delta_terms(delta_dir, encoder.dim), delta_dir / BM25_DIR)
        dense.write(delta_dir / VECTORS_FILE)
    return embedded, {name: live.files[name] for name in base_files}, live.vector_index.factory


def _retyped(settings: Settings, live: Manifest) -> bool:
    """Whether `vector_index` names another FAISS type than the live base's: the next build
    writes a new base in it (else a QA_VECTOR_INDEX set on an index would wait for a merge,
    silently, and a mistyped one would be refused only then)."""
    return settings.vector_index not in ("auto", live.vector_index.factory)


# Vectors read back from these are the ones stored; a compressed index (PQ) gives approximations.
_EXACT_VECTORS = re.compile(r"(?:IVF\d+,)?Flat")


@dataclass(frozen=True)
class _HeldText:
    """What the index stores for one article's text: how it was split, and its vectors."""

    passage_spans: list[tuple[int, int]]
    sentence_spans: list[tuple[int, int]]
    sentence_vectors: np.ndarray
    passage_vectors: np.ndarray


def _read_held(store: Store, vectors: DenseIndex, article_id: str) -> _HeldText:
    passages, sentences = store.article_layout(article_id)
    return _HeldText(
        passage_spans=[(start, end) for _, start, end in passages],
        sentence_spans=[(start, end) for _, start, end in sentences],
        sentence_vectors=store.sentence_vectors([i for i, _, _ in sentences]),
        passage_vectors=vectors.vectors([i for i, _, _ in passages]),
    )


def _held_by_leaving_delta(
    todo: Sequence[Article], live: Manifest, delta: Store, dense: DenseIndex, leaving: Sequence[str]
) -> dict[str, _HeldText]:
    """The texts of `todo` that only delta articles about to be removed hold (a file added
    lately, then renamed), read before the removal: content hash -> what is stored for it.
    The delta's vectors are exact (Flat) whatever the base's index."""
    wanted = {a.content_hash for a in todo}
    held: dict[str, _HeldText] = {}
    for article_id in leaving:
        content_hash = live.articles.get(article_id, "")
        if content_hash in wanted and content_hash not in held:
            held[content_hash] = _read_held(delta, dense, article_id)
    return held


def _copy_held(
    todo: Sequence[Article],
    live: Manifest,
    base: Store,
    delta: Store,
    dense: DenseIndex,
    work: Path,
    encoder: Encoder,
    settings: Settings,
    progress: bool,
    leaving: Mapping[str, _HeldText],
) -> tuple[list[Article], int]:
    """Copy into the delta, instead of embedding again, the articles whose very text the index
    holds under another id or held before: a file renamed, moved into another folder, renamed
    back, copied. Their sentences and passages come out as a new split would make them
    (checked), with the vectors stored for them. `leaving`: texts read from delta articles
    this build removed (`_held_by_leaving_delta`). Returns the articles left to embed and
    the passages copied.

    A subfolder renamed in a 1,113-article collection embedded its 191 articles again (35 s;
    at 1M passages, a reorganisation would have been a near-full rebuild); now 1.0 s.
    """
    base_exact = bool(_EXACT_VECTORS.fullmatch(live.vector_index.factory))  # the delta is always Flat
    holders: dict[str, list[str]] = {}
    for article_id, content_hash in live.articles.items():
        holders.setdefault(content_hash, []).append(article_id)
    # The base keeps the rows of articles the delta replaced or removed: a file renamed back, or
    # deleted and put back, is there under its own id.
    candidates = [
        a
        for a in todo
        if a.content_hash in holders
        or a.content_hash in leaving
        or (base_exact and base.content_hash_of(a.source.article_id) == a.content_hash)
    ]
    if not candidates:
        return list(todo), 0
    in_delta = delta.content_hashes()  # after this build's removals
    base_dense: DenseIndex | None = None
    copied, done = 0, set()
    indexed_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        for article in progress_bar(len(candidates), "Copying moved articles", progress, "article", candidates):
            content_hash = article.content_hash
            held = [article.source.article_id, *holders.get(content_hash, ())]
            text = leaving.get(content_hash)
            if text is None:
                source = next((a for a in held if in_delta.get(a) == content_hash), None)
                if source is not None:
                    text = _read_held(delta, dense, source)
            if text is None and base_exact:  # base rows are of the text their hash says, live or replaced
                source = next((a for a in held if base.content_hash_of(a) == content_hash), None)
                if source is not None:
                    if base_dense is None:
                        base_dense = DenseIndex.read(work / VECTORS_FILE, live.vector_index.factory, mapped=True)
                    text = _read_held(base, base_dense, source)
            if text is None:
                continue
            passages = _store_copy(article, text, delta, dense, encoder, settings, indexed_at)
            if passages is not None:  # None: split otherwise than when stored (not with one fingerprint)
                copied += passages
                done.add(article.source.article_id)
    finally:
        if base_dense is not None:
            base_dense.release()
    return [a for a in todo if a.source.article_id not in done], copied


def _store_copy(
    article: Article,
    text: _HeldText,
    delta: Store,
    dense: DenseIndex,
    encoder: Encoder,
    settings: Settings,
    indexed_at: str,
) -> int | None:
    """Store `article` in `delta` with the vectors held for its text; the passages stored, or
    None when the article splits otherwise than that text was."""
    prepared = prepare_article(article, encoder, settings)
    if [(p.start, p.end) for p in prepared.passages] != text.passage_spans or [
        (s.start, s.end) for s in prepared.sentences
    ] != text.sentence_spans:
        return None
    per_passage = [text.sentence_vectors[owned] for owned in prepared.owned]
    new_ids = store_prepared(delta, [prepared], per_passage, indexed_at)
    dense.add(text.passage_vectors, np.asarray(new_ids, dtype=np.int64))
    return len(new_ids)


def _merge(
    work: Path,
    previous: Path,
    live: Manifest,
    delta_dense: DenseIndex,
    removed: Sequence[str],
    encoder: Encoder,
    settings: Settings,
) -> str:
    """Replace the linked base in `work` by a new base holding base and delta together;
    return its FAISS type."""
    for name in live.files:
        if is_base_file(name):
            (work / name).unlink(missing_ok=True)
    shutil.rmtree(work / BM25_DIR, ignore_errors=True)
    copy_verified(previous / STORE_FILE, work / STORE_FILE, live.files[STORE_FILE])
    dense = DenseIndex.read(previous / VECTORS_FILE, live.vector_index.factory)
    store = Store.open_for_build(work / STORE_FILE, encoder.dim, create=False)
    try:
        dense.remove(store.delete_articles(removed))
        store.absorb(work / DELTA_DIR / STORE_FILE)
        delta_ids = delta_dense.ids()
        if len(delta_ids):
            dense.add(delta_dense.vectors(delta_ids), delta_ids)
        store.commit()
        shutil.rmtree(work / DELTA_DIR)
        return _finish_base(work, store, dense, settings)
    finally:
        store.close()


def _finish_base(work: Path, store: Store, dense: DenseIndex, settings: Settings) -> str:
    """Write the base segment's vector and lexical indexes from its (committed) store; return
    the FAISS type chosen for its size."""
    dense = dense.resized(settings.vector_index, work / "vectors.spill")
    dense.write(work / VECTORS_FILE)
    factory = dense.factory
    # Freed before BM25's count matrix is built, so memory never holds both: a 1M-passage
    # merge peaked at 2.91 GB with both, 2.47 GB without (bench/bench_merge.py, docs/benchmarks.md).
    dense.release()
    LexicalIndex.write(store.passage_terms(), work / BM25_DIR)
    return factory


def _delta_terms(delta_dir: Path, dim: int) -> list[tuple[int, str]]:
    store = Store.open(delta_dir / STORE_FILE, dim)
    try:
        return list(store.passage_terms())
    finally:
        store.close()


def _link_or_copy(source: Path, target: Path, expected: FileEntry) -> None:
    """Share a file of the previous generation by hard link (instant, no space); copy it
    (verified) where the file system has no hard links."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        copy_verified(source, target, expected)


def _manifest(
    work: Path,
    encoder: Encoder,
    settings: Settings,
    wanted: dict[str, object],
    embedded: tuple[int, int, int, int],
    reused: dict[str, FileEntry],
    factory: str,
    sources: dict[str, FileStamp],
    hashes: dict[str, str],
) -> Manifest:
    """The manifest of the generation in `work` (files shared with the last one are not hashed again)."""
    store, dense = open_segments(work, encoder.dim, factory, mapped=True)  # mapped: only sizes are read
    try:
        counts, ntotal = store.counts(), dense.ntotal
    finally:
        store.close()
    manifest = Manifest(
        model=replace(encoder.info, name=model_reference(settings.model)),
        settings=wanted,
        counts=counts,
        vector_index=VectorIndexInfo(factory=factory, ntotal=ntotal),
        articles=dict(sorted(hashes.items())),
        files={},
        built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        passage_tokens=settings.passage_tokens,
        overlap_sentences=settings.overlap_sentences,
        passages_embedded=embedded[0],
        tokens_embedded=embedded[1],
        passages_copied=embedded[2],
        passages_resumed=embedded[3],
        versions=_versions(),
        sources=sources,
        articles_dir=_recorded_folder(Path(settings.articles_dir)),
        reading=_reading(settings),
    )
    manifest.write_catalog(work)  # first: the file list below hashes it with the others
    return replace(manifest, files=describe_files(work, reused))


def _repeats(current: dict[str, str], changes: _Changes) -> tuple[Skipped, ...]:
    """Articles this build added or updated whose text, title and date another article has
    too (a file copied under a new name, a feed saved twice): a warning, as both are indexed
    and an answer cites one of them. Said once, when the copy comes, not at every build.

    Example:
        >>> _repeats({"a.txt": "h1", "b.txt": "h1", "c.txt": "h2"}, _Changes(("b.txt", "c.txt"), (), ()))[0].path
        'b.txt'
    """
    by_hash: dict[str, list[str]] = {}
    for article_id in sorted(current):
        by_hash.setdefault(current[article_id], []).append(article_id)
    new = set(changes.added) | set(changes.updated)
    out = []
    for article_id in sorted(new):
        # The one it repeats: an article indexed before, else a new one listed before it.
        earlier = [
            b
            for b in by_hash.get(current.get(article_id, ""), [])
            if b != article_id and (b not in new or b < article_id)
        ]
        if earlier:
            same = min(earlier, key=lambda b: (b in new, b))
            reason = f"the same article as {same}: both are indexed, an answer cites one (remove one to keep one copy)"
            out.append(Skipped(article_id, reason))
    return tuple(out)


def _diff(old: dict[str, str], current: dict[str, str]) -> _Changes:
    """Article ids added, updated and removed, from the old and current article_id -> content hash."""
    return _Changes(
        added=tuple(k for k in current if k not in old),
        updated=tuple(k for k in current if k in old and old[k] != current[k]),
        removed=tuple(k for k in old if k not in current),
    )


def _embed_articles(
    store: Store,
    dense: DenseIndex,
    articles: Sequence[Article],
    encoder: Encoder,
    settings: Settings,
    saved: SavedVectors,
    on_progress: ProgressCallback | None,
    progress: bool,
) -> tuple[int, int, int]:
    """Split, embed and store `articles`, saving each round's vectors in `saved` as it goes;
    return (passages embedded, tokens embedded, passages whose vectors `saved` held)."""
    articles, resumed = _store_saved(store, dense, articles, encoder, settings, saved, progress)
    if not articles:
        return 0, 0, resumed
    if settings.ray_address is not None:  # split and embed on a Ray cluster; stored here all the same
        from .cluster import embed_on_ray

        return (*embed_on_ray(store, dense, articles, encoder, settings, on_progress, progress, saved), resumed)
    # Split and tokenized before the first passage is embedded: ~3.6 ms an article here, so
    # 100k articles were minutes of silence; shown once that takes over PHASE_BAR_DELAY.
    splitting = progress_bar(len(articles), "Splitting articles", progress, "article", articles, PHASE_BAR_DELAY)
    prepared = [prepare_article(a, encoder, settings) for a in splitting]
    total = sum(len(p.texts) for p in prepared)
    indexed_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    done = 0  # counted here: a disabled bar (no terminal, progress=False) counts nothing
    with progress_bar(total, "Embedding", progress) as bar:

        def advance(n: int) -> None:
            nonlocal done
            done += n
            bar.update(n)
            if on_progress is not None:
                on_progress(done, total)

        for begin in range(0, len(prepared), CHUNK_ARTICLES):
            chunk = prepared[begin : begin + CHUNK_ARTICLES]
            texts = [t for p in chunk for t in p.texts]
            spans = [s for p in chunk for s in p.spans]
            passage_vectors, sentence_vectors = encoder.encode_passages(texts, spans, settings.batch_size, advance)
            ids = store_prepared(store, chunk, sentence_vectors, indexed_at)
            dense.add(passage_vectors, np.asarray(ids, dtype=np.int64))
            saved.save(
                [p.article.content_hash for p in chunk],
                [len(p.texts) for p in chunk],
                passage_vectors,
                sentence_vectors,
            )
            # After storing: set before, it showed "articles 65/65" at 0 passages embedded.
            bar.set_postfix_str(f"articles {begin + len(chunk)}/{len(prepared)} stored", refresh=False)
    return total, sum(p.tokens for p in prepared), resumed


def _store_saved(
    store: Store,
    dense: DenseIndex,
    articles: Sequence[Article],
    encoder: Encoder,
    settings: Settings,
    saved: SavedVectors,
    progress: bool,
) -> tuple[list[Article], int]:
    """Store the articles whose vectors a stopped build saved (split again, and taken only if
    split alike); return the others, still to embed, and the passages stored."""
    if not saved.any():  # (most builds: no content hash computed again)
        return list(articles), 0
    kept = [saved.holds(a.content_hash) for a in articles]
    held = [a for a, k in zip(articles, kept) if k]
    others = [a for a, k in zip(articles, kept) if not k]
    if not held:
        return others, 0
    indexed_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    stored = 0
    with progress_bar(len(held), "Taking up saved vectors", progress, unit="article") as bar:
        for begin in range(0, len(held), CHUNK_ARTICLES):
            ready: list[PreparedArticle] = []
            vectors: list[np.ndarray] = []
            sentence_vectors: list[np.ndarray] = []
            for article in held[begin : begin + CHUNK_ARTICLES]:
                prepared = prepare_article(article, encoder, settings)
                found = saved.vectors_of(article.content_hash, [len(o) for o in prepared.owned])
                if found is None:  # split otherwise now (another splitter version): embedded again
                    others.append(article)
                    continue
                ready.append(prepared)
                vectors.append(found[0])
                sentence_vectors.extend(found[1])
            if ready:
                ids = store_prepared(store, ready, sentence_vectors, indexed_at)
                dense.add(np.concatenate(vectors), np.asarray(ids, dtype=np.int64))
                stored += sum(len(p.texts) for p in ready)
            bar.update(min(CHUNK_ARTICLES, len(held) - begin))
    return others, stored


def progress_bar(
    total: int | None,
    label: str,
    progress: bool,
    unit: str = "passage",
    items: Iterable[Any] | None = None,
    delay: float = 0.0,
) -> Any:
    """A progress bar on stderr (off without `progress`), counting `unit`s; `None` total while
    it is not known yet (Ray). With `items`, iterating the bar iterates them. A bar shows
    after `delay` seconds. When stderr is not a terminal (`qa index > build.log 2>&1`), a
    long phase logs a line a minute instead.

    Example:
        >>> with progress_bar(10, "Embedding", progress=False) as bar:
        ...     bar.update(10)
    """
    from tqdm import tqdm

    if progress and not sys.stderr.isatty():
        return ProgressLines(total, label, unit, items)

    # On a terminal that reports no size (0 x 0: a pseudo-terminal nobody sized, as `script`
    # makes without a parent terminal) tqdm hides the bar, i.e. shows nothing for minutes.
    sized = _sized(sys.stderr)
    return tqdm(
        items,
        total=total,
        unit=unit,
        desc=label,
        disable=not progress or None,
        file=sys.stderr,
        dynamic_ncols=sized,
        ncols=None if sized else 80,
        nrows=None if sized else 24,
        smoothing=0.05,
        delay=delay,
    )


LOG_EVERY_SECONDS = 60.0  # a long phase's progress line in a log, this often


class ProgressLines:
    """Progress for a log: a line every `every` seconds of a long phase, nothing for a short
    one. A 5-minute build piped to a file printed nothing until its report, which a log
    reader cannot tell from a hang; tqdm's redraws would pile up there as one long line.

    Example:
        >>> lines = ProgressLines(5840, "Embedding", "passage", every=0, stream=sys.stdout)
        >>> lines.update(1234)  # doctest: +ELLIPSIS
        Embedding: 1,234/5,840 passages (21%), ...
    """

    def __init__(
        self,
        total: int | None,
        label: str,
        unit: str,
        items: Iterable[Any] | None = None,
        every: float | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.total, self.label, self.unit, self.items = total, label, unit, items
        self.every = LOG_EVERY_SECONDS if every is None else every
        self.stream = stream or sys.stderr
        self.n = 0
        self.started = self.said = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if now - self.said >= self.every:
            self.said = now
            print(self._line(now), file=self.stream, flush=True)

    def _line(self, now: float) -> str:
        rate = self.n / max(now - self.started, 1e-9)
        if not self.total:
            return f"{self.label}: {counted(self.n, self.unit)}, {rate:,.1f} a second"
        left = (self.total - self.n) / rate if rate > 0 else 0.0
        return (
            f"{self.label}: {self.n:,}/{counted(self.total, self.unit)} ({self.n / self.total:.0%}), "
            f"{rate:,.1f} a second, about {_duration(left)} left"
        )

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        """What the terminal's bar shows after the count; not logged."""

    def __iter__(self) -> Iterator[Any]:
        for item in self.items if self.items is not None else ():
            yield item
            self.update()

    def __enter__(self) -> ProgressLines:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _duration(seconds: float) -> str:
    """ "40 s", "7 min", "3.2 h": a time left as a log line says it."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _sized(stream: Any) -> bool:
    """Does the terminal `stream` writes to report its size? (False when not a terminal.)"""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return size.columns > 0 and size.lines > 0


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
            fsync_dir(path)
        else:
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_dir(folder)


def _remove_leftovers(index_dir: Path, keep: Path | None) -> None:
    """Delete unfinished builds and old generations, but the live one and the one before it.

    A process on this machine keeps reading a deleted generation through its open files;
    a replica on another machine sharing the folder over a network file system does not
    (NFS gives it "stale file handle"), so the generation it may still be answering from
    stays until the next build. With a shared base, that costs only its delta on disk; after
    a merge or a full rebuild, it is a whole base.
    """
    live = current_generation(index_dir) if keep is None else keep
    older = sorted(p.name for p in index_dir.glob(GENERATION_PREFIX + "*") if live is not None and p.name < live.name)
    kept = {live.name if live is not None else "", *older[-1:]}
    for path in index_dir.iterdir():
        if path.is_dir() and path.name.startswith((".build-", GENERATION_PREFIX)) and path.name not in kept:
            shutil.rmtree(path, ignore_errors=True)
