"""Continuous ingestion: `qa index --watch` keeps an index current as articles arrive or leave.

File events only say *when* to build, never *what*: each batch runs the ordinary incremental
`build_index`, which compares the whole articles folder with the index by content hash. So an
event that was missed (the watcher was down, a network mount sent none) costs nothing but
time: the next batch, or the next start, catches up. And since every build is atomic (see
`qa.build`), a watcher killed at any moment leaves `CURRENT` naming a complete generation.

watchfiles (Rust `notify`: inotify, FSEvents, ReadDirectoryChangesW, or polling) collects the
events. This module keeps those that can change an article (supported files that are not
hidden, folders added or removed; never anything inside the index), waits until the folder
has been quiet for `debounce` seconds (or at most `MAX_BATCH_SECONDS`, or `debounce` if longer,
after the first change: a steady stream is still indexed), builds once with the encoder loaded for the whole
session, and reports one line per batch.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from collections.abc import Callable, Container, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .articles import SUPPORTED_SUFFIXES, escaped_name, ignored_name
from .build import WRITE_FIX, BuildReport, build_index, check_index_place, refuse_a_file
from .config import Settings
from .embedding import Encoder
from .errors import ArticleError, ConfigError, IndexLockedError, IndexWriteError, NoArticlesError, QAError, WatchError
from .store import current_generation
from .wording import counted, visible

if TYPE_CHECKING:  # watchfiles is imported when watching starts: `qa --help` stays instant
    from watchfiles import Change

DEFAULT_DEBOUNCE = 2.0  # seconds of quiet that close a batch: a copy of many files lands as one
MAX_BATCH_SECONDS = 30.0  # a folder that is never quiet is still indexed at least this often
LOCK_WAIT = 60.0  # seconds a batch waits for another build of the index (`qa index`, the chat)
POLL_SECONDS = 1.0  # how often polling re-lists the folder: cheap enough for big network folders
RETRY_SECONDS = 30.0  # a batch that could not write the index (a full disk) is tried again this often
MISSING_SECONDS = 2.0  # an articles folder gone this long (or --debounce, if longer) ends the session
_STEP_MS = 100  # how often watchfiles looks for new events, signals and the stop event
_TICK_MS = 250  # a wake-up without events, to close a batch once the folder is quiet
# File systems whose changes made on another machine send no inotify event: poll them.
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "vboxsf", "davfs", "lustre"}
)
_NETWORK_FUSE = ("fuse.sshfs", "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "fuse.glusterfs")


class _Event(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class Batch:
    """One batch of changes and what its build did (`report`), or why it failed (`error`).

    `paths` are the changed files (and folders, ending in "/") relative to the articles
    folder; empty for the build that starts the session (`initial`).

    Example:
        >>> batch = Batch(dt.datetime(2026, 11, 30, 6, 40, 12), ("a.txt",), None, "index busy")
        >>> batch.ok
        False
    """

    finished: dt.datetime
    paths: tuple[str, ...]
    report: BuildReport | None
    error: str = ""
    initial: bool = False
    retry: bool = False  # failed writing the index (a full disk): its changes are tried again
    built_elsewhere: bool = False  # another build (qa index, the chat) published since the last batch

    @property
    def ok(self) -> bool:
        return self.report is not None


@dataclass(frozen=True)
class WatchSummary:
    """How a watch session ended: `watch_index` returns it when stopped.

    `stopped_by` is "Ctrl-C", "SIGTERM", "stop event" or "articles folder removed";
    `abandoned_build` is true when a build was running then (it was abandoned: the index is as
    before it); `unindexed` counts changed paths seen but not yet built. The next start catches
    up on both. `error` is why the session ended by itself (empty when it was stopped).
    """

    batches: int
    failed: int
    stopped_by: str
    abandoned_build: bool
    unindexed: int
    last_failed: bool = False  # the last batch failed: its changes are not in the index
    error: str = ""


def watch_index(
    settings: Settings,
    *,
    encoder: Encoder | None = None,
    debounce: float = DEFAULT_DEBOUNCE,
    poll: bool = False,
    full: bool = False,
    wait: float = 0.0,
    lock_wait: float = LOCK_WAIT,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
    on_first_build: Callable[[BuildReport], None] | None = None,
    on_batch: Callable[[Batch], None] | None = None,
    stop: _Event | None = None,
) -> WatchSummary:
    """Bring the index up to date, then index each batch of changes until stopped.

    The first build is an ordinary `build_index` (`full` as there; it waits `wait` or
    `lock_wait` seconds for another build, whichever is longer), reported to
    `on_first_build` (default: one log line); a folder without articles yet is logged and
    watched. Then each batch, once the folder has been
    quiet for `debounce` seconds, runs one incremental build with the same `encoder` and
    gives `log` one line (and `on_batch` the `Batch`). A batch that fails (no readable
    article left, the index busy for `lock_wait` seconds, a disk error) is logged and
    watching goes on; a busy index is retried. `poll=True` polls instead of waiting for
    file events (network mounts); a network file system is detected and polled anyway.

    Ctrl-C (KeyboardInterrupt), SIGTERM (in the main thread) or `stop.set()` end the
    session: a running build is abandoned safely, a final line is logged and the summary
    returned. A missing articles folder, an index inside it or a bad `debounce` raise; an
    articles folder removed while watching ends the session with an `error:` line, the final
    line and the reason in the summary's `error`.

    Example:
        >>> stop = threading.Event()  # doctest: +SKIP
        >>> threading.Timer(60, stop.set).start()  # doctest: +SKIP
        >>> watch_index(Settings(articles_dir=Path("seeds")), stop=stop).stopped_by  # doctest: +SKIP
        'stop event'
    """
    log = log or _print_line
    if not 0.05 <= debounce <= 3600:
        raise ConfigError(f"debounce={debounce} seconds is out of range; use 0.05 to 3600 (default 2).")
    root = Path(settings.articles_dir)
    refuse_a_file(root)
    if not root.is_dir():
        raise ArticleError(
            f"Articles folder {root}/ does not exist. Create it (it may be empty: articles are indexed as "
            "they arrive), or point --articles / QA_ARTICLES at your folder."
        )
    root_real, index_real = root.resolve(), Path(settings.index_dir).resolve()
    check_index_place(root_real, index_real)
    if encoder is None:
        from .embedding import get_encoder

        encoder = get_encoder(settings)  # once for the session: a batch costs only its articles
    filesystem = filesystem_type(root_real)
    polling = poll or is_network_filesystem(filesystem)
    stop_event: _Event = stop if stop is not None else threading.Event()
    pending = _Pending()
    batches = failed = 0
    last_failed = False
    building = False
    caught_up = True  # until the start-up build fails (a stop during it: `building` says so)
    error = ""
    with sigterm_as_interrupt() as received:

        def watching(folder: Path) -> Generator[set[tuple[Change, str]], None, None]:
            from watchfiles import Change, watch

            # Its folders, kept as they come: one moved away sends one "deleted" event, and by
            # its name alone "cnn.com/" or "news.org/" read as a file (a DOS program, a Lotus
            # Organizer file), and its articles stayed in the index, cited.
            folders = subfolders(folder)

            def keep(change: Change, path: str) -> bool:
                if change == Change.added and _is_folder(Path(path)):
                    folders.update(subfolders(Path(path)) | {Path(path)})
                return is_article_event(change, Path(path), folder, index_real, folders)

            return watch(
                folder,
                watch_filter=keep,
                debounce=_STEP_MS * 5,
                step=_STEP_MS,
                stop_event=stop_event,
                rust_timeout=_TICK_MS,
                yield_on_timeout=True,
                # None, not False: watchfiles then still polls where events never come (WSL's
                # Windows drives) and honours WATCHFILES_FORCE_POLLING.
                force_polling=True if polling else None,
                poll_delay_ms=int(POLL_SECONDS * 1000),
                raise_interrupt=True,
                ignore_permission_denied=True,  # an unreadable subfolder is the build's to report, with its reason
            )

        changes_seen = _followed(watching, root, polling, log)
        try:
            # The watcher starts with the first step, before the first build reads the folder:
            # what arrives during that build is kept and becomes the first batch.
            first_events = next(changes_seen, set())
            building = True
            caught_up = _first_build(settings, full, progress, max(wait, lock_wait), encoder, log, on_first_build)
            building = False
            catch_up_at = time.monotonic() + RETRY_SECONDS
            log(
                f"{_stamp(dt.datetime.now())}  watching {root_real}/ with {_how_watched(polling, filesystem)}; a "
                f"batch is indexed {debounce:g} s after the last change. Ctrl-C to stop."
            )
            longest = max(MAX_BATCH_SECONDS, debounce)
            last_generation = current_generation(index_real)  # what this watcher's last build left
            stopped_by = "stop event"
            missing_since = 0.0  # when the articles folder was first seen gone
            for changes in _chain(first_events, changes_seen):
                now = time.monotonic()
                pending.add(_relative_paths(changes, root), now)
                # Checked at every tick, not only when a batch is due: a folder moved away sends
                # no event, and the watcher was silent for ten minutes. A folder gone for a
                # moment (moved away and made again) is followed instead (`_followed`).
                missing_since = 0.0 if root.is_dir() else missing_since or now
                if missing_since and now - missing_since >= max(debounce, MISSING_SECONDS):
                    # Not an exception: the session's log ends as every other ending does, with a
                    # stamped line and the final line (a journal shows when and what was left).
                    error = (
                        f"the articles folder {root}/ was removed or moved away; create it again (or move it "
                        "back), then restart qa index --watch"
                    )
                    log(f"{_stamp(dt.datetime.now())}  error: {error}")
                    stopped_by = "articles folder removed"
                    break
                if not caught_up and not missing_since and now >= catch_up_at:  # it covers the changes seen so far
                    building = True
                    try:
                        caught_up = _first_build(settings, full, progress, lock_wait, encoder, log, on_first_build)
                    except QAError as exc:  # as a batch's: said, and tried again (the folder unlistable, say)
                        log(f"{_stamp(dt.datetime.now())}  error: {exc}")
                    building = False
                    catch_up_at = time.monotonic() + RETRY_SECONDS
                    if caught_up:
                        pending.clear()
                        last_generation = current_generation(index_real)  # this watcher's build, not another's
                if not caught_up or missing_since or not pending.due(now, debounce, longest):
                    continue
                paths = tuple(pending.paths)
                building = True
                elsewhere = current_generation(index_real) != last_generation
                batch = replace(_run_batch(settings, encoder, paths, progress, lock_wait), built_elsewhere=elsewhere)
                last_generation = current_generation(index_real)
                building = False
                batches += 1
                failed += not batch.ok
                last_failed = not batch.ok
                pending.settle(batch)  # the state first, then the line: a stop right after it finds it current
                log(batch_line(batch))
                if on_batch is not None:
                    on_batch(batch)
        except KeyboardInterrupt:
            stopped_by = received.get("signal", "Ctrl-C")
        finally:
            changes_seen.close()  # stops the Rust watcher thread
    # A start-up build that never succeeded is a failed batch: the index is not up to date.
    last_failed = last_failed or not caught_up
    summary = WatchSummary(batches, failed, stopped_by, building, len(pending.paths), last_failed, error)
    log(stop_line(summary))
    return summary


@dataclass
class _Pending:
    """Changed paths not indexed yet, in arrival order, and when they came."""

    paths: dict[str, None] = field(default_factory=dict)  # a dict: ordered, no repeats
    first_change: float = 0.0  # time.monotonic() of the batch's first change
    last_change: float = 0.0
    retry_at: float = 0.0  # a batch that failed writing the index is tried again from then on

    def add(self, paths: Iterable[str], now: float) -> None:
        for path in paths:
            self.paths[path] = None
            self.first_change, self.last_change = self.first_change or now, now

    def due(self, now: float, debounce: float, longest: float) -> bool:
        """A batch is due once the folder was quiet for `debounce` s, or `longest` s after its first change."""
        if not self.paths or now < self.retry_at:
            return False
        return now - self.last_change >= debounce or now - self.first_change >= longest

    def settle(self, batch: Batch) -> None:
        """After a batch: done with its paths, or they wait (another build held the index; a full disk)."""
        if batch.report is None and batch.error.startswith(_BUSY):
            self.last_change = time.monotonic()  # try again once another quiet period has passed
        elif batch.report is None and batch.retry:
            self.retry_at = time.monotonic() + RETRY_SECONDS  # a full disk: the changes wait, not lost
        else:
            self.clear()

    def clear(self) -> None:
        """Done with every path seen so far (a build read the whole folder after they came)."""
        self.paths.clear()
        self.first_change = self.last_change = self.retry_at = 0.0


_BUSY = "index busy"  # how a batch's error starts when another build held the index (it is retried)


def _busy(wait: float) -> str:
    return f"{_BUSY}: another build held it for {wait:g} s"


def _write_failed(exc: IndexWriteError | OSError) -> str:
    """A build's failure to write the index (a full disk), as the watch says it: not "run qa
    index again", as the build's own message says: the watcher does that itself."""
    problem = exc.problem if isinstance(exc, IndexWriteError) else str(exc) or type(exc).__name__
    return f"{problem} {WRITE_FIX}: tried again every {RETRY_SECONDS:g} s"


def _first_build(
    settings: Settings,
    full: bool,
    progress: bool,
    wait: float,
    encoder: Encoder,
    log: Callable[[str], None],
    on_first_build: Callable[[BuildReport], None] | None,
) -> bool:
    """The build that starts a session, reported to `on_first_build` (default: one log line).
    False when the index was busy or could not be written: logged, and the session goes on
    and tries again every RETRY_SECONDS (a service started during another build, or while
    the disk was full, exited at once)."""
    try:
        report = build_index(settings, full=full, progress=progress, wait=wait, encoder=encoder)
    except NoArticlesError as exc:  # a drop folder may start empty: wait for its first article
        log(f"{_stamp(dt.datetime.now())}  waiting for the first article: {exc}")
        return True
    except IndexLockedError:
        log(f"{_stamp(dt.datetime.now())}  error: {_busy(wait)}; tried again every {RETRY_SECONDS:g} s")
        return False
    except (IndexWriteError, OSError) as exc:
        log(f"{_stamp(dt.datetime.now())}  error: {_write_failed(exc)}")
        return False
    if on_first_build is not None:
        on_first_build(report)
    else:
        log(batch_line(Batch(dt.datetime.now(), (), report, initial=True)))
    return True


def _how_watched(polling: bool, filesystem: str) -> str:
    """How the folder is watched, as the session's log says it."""
    forced = not polling and _polling_forced()
    how = f"polling every {POLL_SECONDS:g} s" if polling or forced else "file events"
    if filesystem and is_network_filesystem(filesystem):
        how += f" (network file system {filesystem})"
    elif forced:
        how += " (WATCHFILES_FORCE_POLLING)"
    return how


def _followed(
    watching: Callable[[Path], Generator[set[tuple[Change, str]], None, None]],
    root: Path,
    polling: bool,
    log: Callable[[str], None],
) -> Generator[set[tuple[Change, str]], None, None]:
    """The watcher's change sets, watching again where watching one folder cannot go on:

    - the articles folder was replaced (moved away, or deleted and made again, even with the
      same inode number): its events came from the old folder, and the new one's files were
      never indexed;
    - a file name that is not UTF-8 (watchfiles cannot report it, and stopped).

    Either way a change set naming the whole folder follows, so that a build compares it all.
    Other failures of the watcher (e.g. the system's limit of watched folders) are `WatchError`.
    """
    from watchfiles import Change

    identity = _identity(root)
    while True:
        folder = root.resolve()
        events = watching(folder)
        restart = ""
        watched = False  # this watcher gave a change set (or a tick) before it failed
        try:
            for changes in events:
                now = _identity(root)
                # Deleted and made again, often with the very inode number on ext4: only the
                # watcher's report of the folder's own deletion tells (it went on watching the
                # deleted folder and never saw the new one's files).
                deleted = (Change.deleted, str(folder)) in changes
                if now is not None and (now != identity or deleted):
                    identity, restart = now, "the articles folder was replaced; watching the new one"
                    break
                watched = True
                yield changes
            else:
                return
        except (OSError, RuntimeError) as exc:  # watchfiles' internal errors are RuntimeErrors
            # A name that is not UTF-8 fails the watcher when it reports that file: watch again
            # (the build skips the file with its reason). A watcher that fails at once cannot go on.
            if "decode path" not in str(exc) or not watched:
                raise WatchError(f"Cannot watch {root}/ for changes ({exc}); {_watch_fix(polling, exc)}.") from exc
            restart = "a file name there is not UTF-8 (the build skips it: rename it); still watching"
        finally:
            events.close()  # stops the Rust watcher thread
        log(f"{_stamp(dt.datetime.now())}  {restart}")
        yield {(Change.added, str(root.resolve()))}


def _identity(folder: Path) -> tuple[int, int] | None:
    """The folder's device and inode (None if it is gone): a folder replaced under its name changes them."""
    try:
        info = folder.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _polling_forced() -> bool:
    """Does watchfiles' own WATCHFILES_FORCE_POLLING make it poll? watchfiles reads it (we pass
    None, not False); this reads it only so that the log line says how the folder is watched."""
    value = os.environ.get("WATCHFILES_FORCE_POLLING", "")
    return bool(value) and value.lower() not in {"false", "disable", "disabled"}


def _watch_fix(polling: bool, exc: Exception) -> str:
    if "decode path" in str(exc):  # watchfiles cannot report a file name that is not UTF-8
        return "a file name there is not UTF-8: rename that file, then start watching again"
    if polling:
        return "check that the folder is still there and readable, then start watching again"
    return (
        "try polling instead: qa index --watch --poll (for inotify's limit on Linux, raising "
        "fs.inotify.max_user_watches also works)"
    )


def _chain(
    first: set[tuple[Change, str]], rest: Iterator[set[tuple[Change, str]]]
) -> Iterator[set[tuple[Change, str]]]:
    yield first
    yield from rest


def _run_batch(settings: Settings, encoder: Encoder, paths: tuple[str, ...], progress: bool, lock_wait: float) -> Batch:
    """One incremental build for a batch; a failure becomes the batch's error, not an exception."""
    try:
        report = build_index(settings, progress=progress, wait=lock_wait, encoder=encoder)
    except IndexLockedError:
        return Batch(dt.datetime.now(), paths, None, _busy(lock_wait))
    except ArticleError as exc:  # e.g. the last article was removed: the index keeps what it had
        return Batch(dt.datetime.now(), paths, None, f"{exc} The index keeps its previous content.")
    except (IndexWriteError, OSError) as exc:  # a full disk, say: tried again (see RETRY_SECONDS)
        return Batch(dt.datetime.now(), paths, None, _write_failed(exc), retry=True)
    except QAError as exc:  # the build is atomic: nothing half-written is published
        return Batch(dt.datetime.now(), paths, None, str(exc) or type(exc).__name__)
    return Batch(dt.datetime.now(), paths, report)


# -- which events count -----------------------------------------------------------------------------


def is_article_event(
    change: Change, path: Path, root: Path, index_dir: Path, folders: Container[Path] = frozenset()
) -> bool:
    """Whether a file event under `root` can change what `read_articles` reads.

    Counted: supported files (.txt .md .html .htm .json .jsonl .pdf .docx) that are not hidden nor in a
    hidden folder, and folders added or deleted (a folder moved in sends one event, not one
    per file; a deleted one is known by `folders`, those seen under `root`, or else by a name
    without a known file type). Not counted: anything inside `index_dir`, hidden and temporary
    files (`.x.txt.swp`, `x.txt~`, `x.txt.part`, Word's `~$x.docx`), other file types, and a
    folder's own "modified" event (its files have their own events).

    Example:
        >>> from watchfiles import Change
        >>> root = Path("/news")
        >>> is_article_event(Change.added, root / "a.txt", root, Path("/idx"))
        True
        >>> is_article_event(Change.added, root / ".a.txt.swp", root, Path("/idx"))
        False
    """
    from watchfiles import Change

    if root in index_dir.parents and (path == index_dir or index_dir in path.parents):
        return False  # (an index that holds the articles folder, /srv for /srv/news, excludes nothing)
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    if not parts:  # the folder itself: its deletion counts (made again under its name, it is watched anew)
        return change == Change.deleted
    if any(ignored_name(part) for part in parts):
        return False
    if change == Change.modified and _is_folder(path):
        return False
    if path.suffix.lower() in SUPPORTED_SUFFIXES:
        return True
    # A folder: when added, its articles may have come with it; when deleted, it cannot be
    # told from a file any more, so a deleted name counts unless its suffix names a known kind
    # of file (at worst, one build that finds nothing changed). Not only names without a
    # suffix: "2026.12.01/" or "feed.2026-12-01/" moved out of the folder were missed.
    if change == Change.deleted:
        return path in folders or not _known_file_kind(path)
    return change == Change.added and _is_folder(path)


def subfolders(folder: Path) -> set[Path]:
    """The folders under `folder` that reading goes into (not hidden, not links), `folder` not included.

    Example:
        >>> subfolders(Path("seeds"))
        set()
    """
    found: set[Path] = set()
    for parent, names, _ in os.walk(folder):  # os.walk follows no link to a folder
        names[:] = [n for n in names if not ignored_name(n)]
        found.update(Path(parent) / n for n in names)
    return found


def _is_folder(path: Path) -> bool:
    # os.path.isdir, not Path.is_dir: that raises PermissionError for a file in a folder this
    # user cannot enter, and the watch died with a traceback where `qa index` skips the folder.
    return os.path.isdir(path)


def _known_file_kind(path: Path) -> bool:
    """A name whose suffix is a known file type (photo.jpg, data.csv), or a temporary file's
    (an editor's backup "x.txt~", a download's "x.txt.part": their deletion started a batch),
    not a dated folder."""
    import mimetypes

    if path.name.endswith("~") or path.suffix.lower() in _TEMPORARY_SUFFIXES:
        return True
    return bool(path.suffix) and mimetypes.guess_type(path.name)[0] is not None


_TEMPORARY_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".swp", ".swx")


def filesystem_type(path: Path, mounts: str | None = None) -> str:
    """The file system type of the mount holding `path` ("" when unknown, e.g. not Linux).

    `mounts` is the text of /proc/self/mounts (read when None).

    Example:
        >>> filesystem_type(Path("/mnt/news/x"), "srv:/news /mnt/news nfs4 rw 0 0\\n/dev/sda1 / ext4 rw 0 0\\n")
        'nfs4'
    """
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text()
        except OSError:
            return ""
    best, kind = "", ""
    target = str(path)
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def is_network_filesystem(kind: str) -> bool:
    """Whether changes on this file system type may come from another machine, unannounced.

    Example:
        >>> is_network_filesystem("nfs4"), is_network_filesystem("ext4")
        (True, False)
    """
    return kind in NETWORK_FILESYSTEMS or kind.startswith(_NETWORK_FUSE)


def _relative_paths(changes: Iterable[tuple[Change, str]], root: Path) -> list[str]:
    """The changed paths, relative to the articles folder where it is now: an articles folder
    that is a link re-pointed to another folder ("current" -> a new release) stopped the
    watch with a traceback. A path outside it (an event of the folder before) is the whole folder."""
    here = root.resolve()
    paths = []
    for path in sorted(p for _, p in changes):
        try:
            paths.append(_relative(Path(path), here))
        except ValueError:
            paths.append("./")
    return paths


def _relative(path: Path, root: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return rel + "/" if _is_folder(path) else rel


# -- the log lines ----------------------------------------------------------------------------------


def batch_line(batch: Batch) -> str:
    """The one log line of a batch: when, what changed, how long, what the index holds now.

    Example:
        >>> batch_line(batch)  # doctest: +SKIP
        '2026-11-30 06:40:12  +2 added, ~1 updated, -0 removed  (3 files) in 1.4 s  · 1,234 articles, 9,876 passages'
    """
    files = f"  ({counted(len(batch.paths), 'file')})" if not batch.initial else "  (first build)"
    if batch.report is None:
        return f"{_stamp(batch.finished)}  error: {batch.error}{files}; still watching"
    r = batch.report
    if r.changed:
        what = f"+{len(r.added):,} added, ~{len(r.updated):,} updated, -{len(r.removed):,} removed"
    elif batch.built_elsewhere:  # not "the same text saved again": another build got there first
        what = "no article changed (another build indexed these changes)"
    else:
        what = "no article changed"
    line = (
        f"{_stamp(batch.finished)}  {what}{files} in {r.seconds:.1f} s  · "
        f"{counted(r.counts.articles, 'article')}, {counted(r.counts.passages, 'passage')}"
    )
    if r.full:
        line += f"  · full rebuild ({r.full_reason})"
    # Skipped files of this batch only: the others were reported when they arrived.
    mine = [s for s in r.skipped if batch.initial or _in_batch(s.path, batch.paths)]
    if mine:
        line += f"  · skipped {mine[0]}" + (f" (and {len(mine) - 1} more)" if len(mine) > 1 else "")
    return line


def stop_line(summary: WatchSummary) -> str:
    """The last log line of a session.

    Example:
        >>> stop_line(WatchSummary(3, 0, "Ctrl-C", False, 0))[21:]
        'stopped (Ctrl-C) after 3 batches; the index is up to date with the changes seen.'
    """
    line = f"{_stamp(dt.datetime.now())}  stopped ({summary.stopped_by}) after {counted(summary.batches, 'batch')}"
    if summary.error:  # nothing to catch up on until the folder is back
        return line + "; the index keeps the articles its last build left."
    notes = []
    if summary.abandoned_build:
        notes.append("the build in progress was abandoned and the index is as before it")
    elif summary.last_failed:
        notes.append("the last batch failed (see its line) and the index is as before it")
    if summary.unindexed:
        notes.append(f"{counted(summary.unindexed, 'changed file')} not indexed yet")
    if notes:
        # A failed batch is caught up on once its cause is gone (an article added, space freed).
        then = " once its cause is fixed" if summary.last_failed and not summary.abandoned_build else ""
        return line + "; " + ", ".join(notes) + f". The next qa index catches up{then}."
    return line + "; the index is up to date with the changes seen."


def _in_batch(skipped: str, paths: tuple[str, ...]) -> bool:
    # "a.jsonl[3]" is a record of a.jsonl, "a.jsonl:2" its malformed line 2; "sub/x.txt" is
    # inside the folder "sub/".
    # A folder ("extdir/") may be skipped under its own name ("extdir": a link out of the folder).
    # A name with a control character is skipped as escaped ("bad\\nname.txt").
    return any(
        skipped in (p, p.rstrip("/"))
        or skipped.startswith(p if p.endswith("/") else (p + "[", p + "#", p + ":", p + "/"))
        for path in paths
        for p in {path, escaped_name(path)}
    )


def _stamp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


def _print_line(line: str) -> None:
    # Flushed: the log is read live, often through a pipe or a file. `visible`: a skipped feed
    # record is named by its id, third-party text that may hold a control character.
    print(visible(line), flush=True)


@contextmanager
def sigterm_as_interrupt() -> Iterator[dict[str, str]]:
    """Make SIGTERM stop the session as Ctrl-C does (in the main thread; elsewhere a no-op).

    A service manager stops with SIGTERM; without this, Python would die at once, still
    safely (atomic builds) but without the final line.
    """
    received: dict[str, str] = {}
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield received
        return

    def handler(signum: int, frame: object) -> None:
        received["signal"] = signal.Signals(signum).name
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)
