"""`qa index --watch`: batches of file changes become incremental builds (fake encoder, real watcher)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from filelock import FileLock
from watchfiles import Change

from qa.build import BuildReport
from qa.cli import main
from qa.config import Settings
from qa.errors import ArticleError, ConfigError, WatchError
from qa.index import load_index
from qa.retrieval import retrieve
from qa.store import Counts, current_generation
from qa.watch import (
    Batch,
    WatchSummary,
    batch_line,
    filesystem_type,
    is_article_event,
    is_network_filesystem,
    stop_line,
    watch_index,
)
from tests.conftest import SEED
from tests.fakes import FakeEncoder

HERE = Path(__file__).resolve().parent
QA = [sys.executable, "-m", "qa.cli"]
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  ")
HARBOUR = "title: Harbour reopens\n\nThe harbour reopened after the storm. Ferries sail again."


class Watching:
    """`watch_index` in a thread: its batches in a queue, its log lines in a list."""

    def __init__(self, settings: Settings, encoder: FakeEncoder, **options: object) -> None:
        self.lines: list[str] = []
        self.batches: queue.Queue[Batch] = queue.Queue()
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.summary: WatchSummary | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(settings, encoder, options), daemon=True)

    def _run(self, settings: Settings, encoder: FakeEncoder, options: dict) -> None:
        def log(line: str) -> None:
            self.lines.append(line)
            if " watching " in line:
                self.ready.set()

        try:
            self.summary = watch_index(
                settings,
                encoder=encoder,
                log=log,
                on_batch=self.batches.put,
                stop=self.stop,
                **{"debounce": 0.3, **options},
            )
        except BaseException as exc:
            self.error = exc
        finally:
            self.ready.set()

    def __enter__(self) -> Watching:
        self.thread.start()
        assert self.ready.wait(30) and self.error is None, self.error
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(15)
        assert not self.thread.is_alive()

    def next_batch(self, timeout: float = 15.0) -> Batch:
        try:
            return self.batches.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no batch within {timeout} s; log: {self.lines}") from None

    def no_batch_for(self, seconds: float) -> None:
        """Nothing built for a while: waiting is the only way to see an absence."""
        time.sleep(seconds)
        assert self.batches.empty(), self.batches.get()

    def batch_lines(self) -> list[str]:
        return [line for line in self.lines[2:] if " stopped (" not in line]  # after first build and "watching"


def test_added_changed_and_removed_files_become_one_incremental_batch(settings, fake):
    with Watching(settings, fake) as w:
        assert w.lines[0].startswith(tuple("0123456789")) and "+4 added" in w.lines[0]
        before = fake.texts_encoded
        folder = settings.articles_dir
        (folder / "new.txt").write_text(HARBOUR)
        (folder / "football.txt").write_text("title: Rovers lose the cup\n\nRovers lost the final on penalties.")
        (folder / "volcano.txt").unlink()
        batch = w.next_batch()
        r = batch.report
        assert r is not None and (r.added, r.updated, r.removed) == (("new.txt",), ("football.txt",), ("volcano.txt",))
        assert sorted(batch.paths) == ["football.txt", "new.txt", "volcano.txt"] and not r.full
        assert fake.texts_encoded - before == 2  # only the two new texts: same encoder, nothing re-embedded
        index = load_index(settings.index_dir, settings, encoder=fake)
        assert index.counts.articles == 4
        assert retrieve("harbour ferries", k=1, index=index, mode="bm25")[0].source.article_id == "new.txt"
        assert retrieve("Grindavik earthquakes", k=5, index=index, mode="bm25") == []
        line = w.batch_lines()[0]
        assert re.fullmatch(
            LINE.pattern + r"\+1 added, ~1 updated, -1 removed  \(3 files\) in \d+\.\d s  · 4 articles, \d+ passages",
            line,
        ), line
        assert line.endswith(f"· 4 articles, {index.counts.passages} passages")


def test_files_dropped_together_or_in_a_trickle_make_one_batch(settings, fake):
    with Watching(settings, fake, debounce=0.8) as w:
        for i in range(3):
            (settings.articles_dir / f"drop{i}.txt").write_text(f"Dropped article {i} about harbour {i}.")
        for i in range(3, 6):  # gaps shorter than the quiet period: still the same batch
            time.sleep(0.25)
            (settings.articles_dir / f"drop{i}.txt").write_text(f"Dropped article {i} about harbour {i}.")
        batch = w.next_batch()
        assert batch.report is not None and sorted(batch.report.added) == [f"drop{i}.txt" for i in range(6)]
        assert len(batch.paths) == 6 and batch.report.counts.articles == 10
        w.no_batch_for(1.0)
        assert len(w.batch_lines()) == 1 and "+6 added" in w.batch_lines()[0] and "(6 files)" in w.batch_lines()[0]


def test_a_folder_that_is_never_quiet_is_still_indexed(settings, fake, monkeypatch):
    monkeypatch.setattr("qa.watch.MAX_BATCH_SECONDS", 0.8)
    with Watching(settings, fake, debounce=0.5) as w:
        for i in range(12):  # a file every 0.15 s for 1.8 s: never 0.5 s of quiet
            (settings.articles_dir / f"stream{i}.txt").write_text(f"Streamed article {i} about harbour {i}.")
            time.sleep(0.15)
        batch = w.next_batch(timeout=0.05)  # already built while the stream was still running
        assert batch.report is not None and 2 <= len(batch.report.added) < 12


def test_hidden_temporary_and_other_files_trigger_no_build(settings, fake):
    folder = settings.articles_dir
    with Watching(settings, fake) as w:
        (folder / ".draft.txt.swp").write_text("editor swap file")
        (folder / "story.txt~").write_text("backup")
        (folder / "story.txt.part").write_text("a download in progress")
        (folder / "notes.odt").write_text("not a supported type")
        (folder / ".hidden").mkdir()
        (folder / ".hidden" / "secret.txt").write_text("A hidden folder is not read.")
        (folder / "football.txt").touch()  # metadata only: counts as a change (a no-op build, see below)
        (folder / "football.txt").chmod(0o644)
        batch = w.next_batch()
        assert batch.paths == ("football.txt",), batch.paths  # none of the others
        (folder / "real.txt").write_text(HARBOUR)
        batch = w.next_batch()
        assert batch.paths == ("real.txt",) and batch.report is not None and batch.report.added == ("real.txt",)
        assert len(w.batch_lines()) == 2


def test_unchanged_content_is_a_quiet_note_and_unreadable_files_name_their_reason(settings, fake):
    folder = settings.articles_dir
    with Watching(settings, fake) as w:
        generation = current_generation(settings.index_dir)
        (folder / "football.txt").write_text((folder / "football.txt").read_text())  # saved again, same text
        batch = w.next_batch()
        assert batch.report is not None and not batch.report.changed
        assert current_generation(settings.index_dir) == generation  # nothing rewritten
        assert re.fullmatch(
            LINE.pattern + r"no article changed  \(1 file\) in \d+\.\d s  · 4 articles, \d+ passages", w.lines[-1]
        )
        (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
        batch = w.next_batch()
        assert batch.report is not None and batch.report.counts.articles == 4
        assert "no article changed  (1 file)" in w.lines[-1] and "· skipped binary.txt: " in w.lines[-1]


def test_a_failed_batch_is_one_line_and_watching_goes_on(settings, fake):
    folder = settings.articles_dir
    with Watching(settings, fake) as w:
        for path in folder.iterdir():
            path.unlink()
        batch = w.next_batch()
        assert batch.report is None and batch.error.startswith("No readable article in ")
        assert w.lines[-1].endswith("(4 files); still watching") and " error: No readable article" in w.lines[-1]
        assert load_index(settings.index_dir, settings, encoder=fake).counts.articles == 4  # kept as it was
        (folder / "new.txt").write_text(HARBOUR)
        batch = w.next_batch()
        assert batch.report is not None and batch.report.added == ("new.txt",) and len(batch.report.removed) == 4
        assert load_index(settings.index_dir, settings, encoder=fake).counts.articles == 1
    assert w.summary is not None and (w.summary.batches, w.summary.failed) == (2, 1)


def test_a_file_skipped_for_its_name_is_named_in_its_batch_line(settings, fake):
    """The skip named "bad\\nname.txt" and the batch "sub/bad\nname.txt": the line said only
    "no article changed (1 file)", no reason."""
    (settings.articles_dir / "sub").mkdir()
    with Watching(settings, fake) as w:
        (settings.articles_dir / "sub" / "bad\nname.txt").write_text(HARBOUR)
        batch = w.next_batch()
        assert batch.report is not None and not batch.report.added
        assert "skipped sub/bad\\nname.txt: the file name is not UTF-8 text or holds a control character" in (
            batch_line(batch)
        )


@contextlib.contextmanager
def another_build(settings: Settings) -> Iterator[None]:
    """The index's lock held, as another `qa index` holds it while it builds."""
    settings.index_dir.mkdir(exist_ok=True)
    lock = FileLock(str(settings.index_dir / ".lock"))
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


def test_a_busy_index_is_retried_after_the_other_build(settings, fake):
    with Watching(settings, fake, lock_wait=0.2) as w:
        with another_build(settings):
            (settings.articles_dir / "new.txt").write_text(HARBOUR)
            batch = w.next_batch()
            assert batch.report is None and batch.error.startswith("index busy")
        batch = w.next_batch()  # no new event needed: the batch was kept
        assert batch.paths == ("new.txt",) and batch.report is not None and batch.report.added == ("new.txt",)


def test_a_busy_index_at_the_start_is_retried_not_the_end_of_the_session(settings, fake, monkeypatch):
    """A service started during another build (or on a full disk) exited at once with an error."""
    monkeypatch.setattr("qa.watch.RETRY_SECONDS", 0.5)
    with another_build(settings):
        w = Watching(settings, fake, lock_wait=0.2).__enter__()
        assert w.lines[0].endswith("error: index busy: another build held it for 0.2 s; tried again every 0.5 s")
        (settings.articles_dir / "new.txt").write_text(HARBOUR)  # seen while the index is busy
        time.sleep(1)
    try:
        deadline = time.monotonic() + 20
        while not any("+5 added" in line for line in w.lines) and time.monotonic() < deadline:
            time.sleep(0.1)  # the catch-up build: the 4 articles there at the start, and new.txt
        index = load_index(settings.index_dir, settings, encoder=fake)
        assert "new.txt" in {a.source.article_id for a in index.articles()} and w.error is None, w.lines
        (settings.articles_dir / "later.txt").write_text("title: Rail strike\n\nTrains stopped across the country.")
        batch = w.next_batch()  # this watcher's catch-up build is no "other build" to the next batch
        assert batch.report is not None and batch.report.added == ("later.txt",) and not batch.built_elsewhere
    finally:
        w.__exit__(None, None, None)


def test_a_session_whose_start_up_build_never_ran_does_not_end_up_to_date(settings, fake, monkeypatch):
    monkeypatch.setattr("qa.watch.RETRY_SECONDS", 0.3)
    with another_build(settings), Watching(settings, fake, lock_wait=0.1) as w:
        time.sleep(1)  # tried again, still busy
    assert w.summary is not None and w.summary.last_failed
    assert "the index is up to date" not in w.lines[-1] and "the last batch failed" in w.lines[-1], w.lines


def test_polling_sees_new_files(settings, fake):
    with Watching(settings, fake, poll=True) as w:
        assert "with polling every 1 s;" in w.lines[1]
        (settings.articles_dir / "sub").mkdir()
        (settings.articles_dir / "sub" / "new.md").write_text("# Harbour\n\nThe harbour reopened.")
        batch = w.next_batch()
        assert batch.report is not None and batch.report.added == ("sub/new.md",)


@pytest.mark.parametrize(
    "value, says", [("1", "polling every 1 s (WATCHFILES_FORCE_POLLING);"), ("false", "file events;")]
)
def test_the_start_line_says_when_watchfiles_own_variable_forces_polling(settings, fake, monkeypatch, value, says):
    monkeypatch.setenv("WATCHFILES_FORCE_POLLING", value)
    with Watching(settings, fake) as w:
        assert f"with {says}" in w.lines[1]
        (settings.articles_dir / "new.md").write_text("# Harbour\n\nThe harbour reopened.")
        batch = w.next_batch()
        assert batch.report is not None and batch.report.added == ("new.md",)


def test_a_folder_moved_in_is_indexed_with_its_articles(settings, fake, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.txt").write_text(HARBOUR)
    (outside / "b.txt").write_text("title: Rail strike\n\nTrains stopped across the country.")
    with Watching(settings, fake) as w:
        outside.rename(settings.articles_dir / "incoming")  # one event for the folder, none per file
        batch = w.next_batch()
        assert batch.report is not None and batch.report.added == ("incoming/a.txt", "incoming/b.txt")
        (settings.articles_dir / "incoming").rename(tmp_path / "gone")
        batch = w.next_batch()
        assert batch.report is not None and batch.report.removed == ("incoming/a.txt", "incoming/b.txt")


@pytest.mark.parametrize("name", ["cnn.com", "news.org", "bbc.pl"])
def test_a_folder_named_like_a_domain_moved_away_takes_its_articles_out(settings, fake, tmp_path, name):
    """ "cnn.com/" read as a DOS program, "news.org/" a Lotus Organizer file, "bbc.pl" a Perl
    script: moved out of the folder, its articles stayed in the index, cited."""
    (settings.articles_dir / name).mkdir()
    (settings.articles_dir / name / "bmw.txt").write_text("title: Car recall\n\nBMW recalls cars over a diesel pump.")
    with Watching(settings, fake) as w:
        (settings.articles_dir / name).rename(tmp_path / "away")
        batch = w.next_batch()
        assert batch.report is not None and batch.report.removed == (f"{name}/bmw.txt",)
        (tmp_path / "away").rename(settings.articles_dir / name)  # moved back in: known again
        assert w.next_batch().report.added == (f"{name}/bmw.txt",)  # type: ignore[union-attr]
        (settings.articles_dir / name).rename(tmp_path / "away")
        assert w.next_batch().report.removed == (f"{name}/bmw.txt",)  # type: ignore[union-attr]


def test_an_articles_folder_that_is_a_link_re_pointed_elsewhere_is_watched_there(settings, fake, tmp_path):
    """The "current -> release" swap: the watch said "watching the new one", then stopped
    with a traceback (the new folder's paths taken relative to the old one)."""
    first, second, current = tmp_path / "r1", tmp_path / "r2", tmp_path / "current"
    settings.articles_dir.rename(first)
    shutil.copytree(first, second)  # the next release: the same articles and a new one
    (second / "b.txt").write_text("title: Car recall\n\nBMW recalls cars over a diesel pump.")
    current.symlink_to(first)
    with Watching(replace(settings, articles_dir=current), fake) as w:
        (tmp_path / "next").symlink_to(second)
        (tmp_path / "next").replace(current)
        deadline = time.monotonic() + 20
        added: tuple[str, ...] = ()
        while "b.txt" not in added and time.monotonic() < deadline:
            batch = w.next_batch()
            added = batch.report.added if batch.report is not None else ()
        assert "b.txt" in added and w.error is None, w.lines
        (second / "c.txt").write_text(HARBOUR)
        later = w.next_batch()
        assert later.report is not None and later.report.added == ("c.txt",)


def test_an_index_inside_the_articles_folder_must_be_hidden_and_never_triggers_a_build(settings, fake):
    inside = replace(settings, index_dir=settings.articles_dir / "index")
    with pytest.raises(ConfigError, match=r"inside the articles folder .* hidden name"):
        watch_index(inside, encoder=fake)
    hidden = replace(settings, index_dir=settings.articles_dir / ".index")
    with Watching(hidden, fake) as w:
        (settings.articles_dir / "new.txt").write_text(HARBOUR)
        batch = w.next_batch()
        assert batch.report is not None and batch.report.added == ("new.txt",)
        w.no_batch_for(1.0)  # the build wrote a generation inside the folder: no batch for that


def test_an_empty_drop_folder_is_watched_until_its_first_article(settings, fake):
    for path in settings.articles_dir.iterdir():
        path.unlink()
    with Watching(settings, fake) as w:
        assert re.fullmatch(
            r"\S+ \S+  waiting for the first article: No readable article in \S+/ \(the folder is empty\)\. "
            r"Add \.txt, .* or point --articles / QA_ARTICLES at your folder\.",
            w.lines[0],
        ), w.lines[0]
        assert current_generation(settings.index_dir) is None
        (settings.articles_dir / "first.txt").write_text(HARBOUR)
        batch = w.next_batch()
        assert batch.report is not None and batch.report.added == ("first.txt",) and batch.report.full
        assert load_index(settings.index_dir, settings, encoder=fake).counts.articles == 1


def test_bad_setup_stops_before_watching(settings, fake, tmp_path):
    with pytest.raises(ArticleError, match="does not exist"):
        watch_index(replace(settings, articles_dir=tmp_path / "missing"), encoder=fake)
    a_file = settings.articles_dir / "football.txt"
    with pytest.raises(ArticleError, match=f"^{a_file} is a file, not a folder"):
        watch_index(replace(settings, articles_dir=a_file), encoder=fake)
    with pytest.raises(ConfigError, match="debounce=0"):
        watch_index(settings, encoder=fake, debounce=0)
    assert not settings.index_dir.exists()


def test_qa_index_watch_exits_1_when_the_session_ended_by_itself(tmp_path, monkeypatch):
    import qa.watch

    ended = {"Ctrl-C": "", "articles folder removed": "the articles folder … was removed"}
    for stopped_by, error in ended.items():
        summary = WatchSummary(2, 0, stopped_by, False, 0, error=error)
        monkeypatch.setattr(qa.watch, "watch_index", lambda settings, summary=summary, **options: summary)
        status = main(["index", "--watch", "--articles", str(tmp_path), "--index", str(tmp_path / "i")])
        assert status == (1 if error else 0), stopped_by


@pytest.mark.parametrize(
    "change, name, expected",
    [
        (Change.added, "a.txt", True),
        (Change.modified, "sub/b.JSONL", True),
        (Change.deleted, "c.html", True),
        (Change.added, ".a.txt.swp", False),
        (Change.added, ".hidden/a.txt", False),
        (Change.added, "a.txt~", False),
        (Change.added, "a.txt.part", False),
        (Change.added, "a.pdf", True),
        (Change.added, "a.docx", True),
        (Change.added, "~$a.docx", False),  # Word's lock file while a.docx is open
        (Change.added, "a.odt", False),
        (Change.added, "index/gen-1/manifest.json", False),
        (Change.modified, "index", False),
        (Change.deleted, "old-folder", True),  # may have been a folder of articles
        (Change.deleted, "old.pdf", True),
        (Change.deleted, "old.png", False),
    ],
)
def test_which_events_count(tmp_path, change, name, expected):
    root = tmp_path / "news"
    assert is_article_event(change, root / name, root, root / "index") is expected


def test_which_events_count_for_folders(tmp_path):
    root = tmp_path / "news"
    (root / "sub").mkdir(parents=True)
    assert is_article_event(Change.added, root / "sub", root, tmp_path / "idx")
    assert not is_article_event(Change.modified, root / "sub", root, tmp_path / "idx")
    assert not is_article_event(Change.modified, root, root, tmp_path / "idx")
    assert not is_article_event(Change.added, tmp_path / "elsewhere.txt", root, tmp_path / "idx")
    assert is_article_event(Change.added, root / "a.txt", root, tmp_path)  # an index holding the folder hides nothing


def test_an_event_in_a_folder_this_user_cannot_enter_is_counted_not_fatal(tmp_path, monkeypatch):
    """Path.is_dir raises PermissionError there (the watch died with a traceback); `qa index`
    then reports the folder as skipped ("cannot list the folder"), so the event is counted."""
    import os

    root = tmp_path / "news"
    locked = root / "locked"
    real_stat = os.stat

    def stat(path, *args, **kwargs):  # as for a non-root user under a `chmod 000` folder
        if str(path).startswith(str(locked)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    assert is_article_event(Change.modified, locked / "a.txt", root, tmp_path / "idx")
    assert is_article_event(Change.added, locked / "notes", root, tmp_path / "idx") is False
    assert is_article_event(Change.deleted, locked, root, tmp_path / "idx")


def test_a_watcher_failure_is_one_error_naming_the_fix(settings, fake, monkeypatch):
    import watchfiles

    def broken(*args, **kwargs):
        raise OSError(28, "OS file watch limit reached")
        yield set()

    monkeypatch.setattr(watchfiles, "watch", broken)
    with pytest.raises(WatchError, match=r"Cannot watch .*watch limit reached.*qa index --watch --poll"):
        watch_index(settings, encoder=fake)
    with pytest.raises(WatchError) as polled:  # already polling: no advice to poll
        watch_index(settings, encoder=fake, poll=True)
    assert "--poll" not in str(polled.value) and "still there and readable" in str(polled.value)

    def undecodable(*args, **kwargs):  # fails at once, every time: it cannot go on
        raise RuntimeError("Unable to decode path b'/news/\\xfe.txt'")
        yield set()

    monkeypatch.setattr(watchfiles, "watch", undecodable)
    with pytest.raises(WatchError, match=r"a file name there is not UTF-8: rename that file"):
        watch_index(settings, encoder=fake)


def test_network_mounts_are_recognised():
    mounts = (
        "/dev/sda1 / ext4 rw 0 0\n"
        "srv:/export /mnt/news nfs4 rw 0 0\n"
        "user@host:/x /mnt/news\\040drop fuse.sshfs rw 0 0\n"
        "tmpfs /mnt/news/tmp tmpfs rw 0 0\n"
    )
    assert filesystem_type(Path("/mnt/news/2026/a.txt"), mounts) == "nfs4"
    assert filesystem_type(Path("/mnt/news drop"), mounts) == "fuse.sshfs"
    assert filesystem_type(Path("/mnt/news/tmp/x"), mounts) == "tmpfs"
    assert filesystem_type(Path("/mnt/newsroom"), mounts) == "ext4"
    assert [is_network_filesystem(k) for k in ("nfs4", "fuse.sshfs", "cifs", "ext4", "tmpfs", "")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_a_log_line_shows_a_control_character_of_a_record_id_without_obeying_it(capsys):
    from qa.watch import _print_line

    _print_line("2026-11-30 06:40:12  · skipped feed.jsonl#a\x1b[2Jb: duplicate of feed.jsonl#\u202eRLO")
    assert capsys.readouterr().out == (
        "2026-11-30 06:40:12  · skipped feed.jsonl#a\ufffd[2Jb: duplicate of feed.jsonl#\ufffdRLO\n"
    )


def test_the_log_lines_read_as_documented():
    from qa.articles import Skipped

    report = BuildReport(
        index_dir=Path("index"),
        added=("a.txt", "b.txt"),
        updated=("c.txt",),
        removed=(),
        unchanged=1231,
        skipped=(Skipped("old.txt", "empty"), Skipped("bad.jsonl[3]", 'record has no "text" string')),
        warnings=(),
        full=False,
        full_reason="",
        counts=Counts(articles=1234, passages=9876, sentences=40000),
        passages_embedded=5,
        tokens_embedded=900,
        seconds=1.42,
    )
    when = dt.datetime(2026, 11, 30, 6, 40, 12)
    batch = Batch(when, ("a.txt", "b.txt", "c.txt", "bad.jsonl"), report)
    assert batch_line(batch) == (
        "2026-11-30 06:40:12  +2 added, ~1 updated, -0 removed  (4 files) in 1.4 s  · 1,234 articles, "
        '9,876 passages  · skipped bad.jsonl[3]: record has no "text" string'
    )
    # A malformed line of a feed in the batch is named too ("feed.jsonl:2", not "feed.jsonl[2]").
    broken_line = replace(report, skipped=(Skipped("feed.jsonl:2", "malformed JSON (Expecting value at line 1)"),))
    assert batch_line(Batch(when, ("feed.jsonl",), broken_line)).endswith(
        "· skipped feed.jsonl:2: malformed JSON (Expecting value at line 1)"
    )
    # A folder ("extdir/" in the batch) is skipped under its own name: a link out of the folder.
    linked = replace(report, skipped=(Skipped("extdir", "a link to a folder outside the articles folder"),))
    assert batch_line(Batch(when, ("extdir/",), linked)).endswith(
        "· skipped extdir: a link to a folder outside the articles folder"
    )
    failed = Batch(when, ("a.txt",), None, "index busy: another build held it for 60 s")
    assert batch_line(failed) == (
        "2026-11-30 06:40:12  error: index busy: another build held it for 60 s  (1 file); still watching"
    )
    assert stop_line(WatchSummary(1, 0, "SIGTERM", True, 2)).endswith(
        "stopped (SIGTERM) after 1 batch; the build in progress was abandoned and the index is as before it, "
        "2 changed files not indexed yet. The next qa index catches up."
    )
    assert stop_line(WatchSummary(2, 1, "SIGTERM", False, 0, last_failed=True)).endswith(
        "stopped (SIGTERM) after 2 batches; the last batch failed (see its line) and the index is as before it. "
        "The next qa index catches up once its cause is fixed."
    )
    assert stop_line(WatchSummary(2, 1, "SIGTERM", False, 0)).endswith("the index is up to date with the changes seen.")


# -- as a process: killed, interrupted, terminated ------------------------------------------------------


class Lines:
    """A process's stdout, line by line, with a timeout (a stuck watcher fails, never hangs)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.queue.put(line.rstrip("\n"))

    def until(self, pattern: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} within {timeout} s; got {self.seen}") from None
            self.seen.append(line)
            if re.search(pattern, line):
                return line


def start_watcher(settings: Settings, pause_at: str) -> tuple[subprocess.Popen, Lines]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "slow_watch.py"), str(settings.articles_dir), str(settings.index_dir), pause_at],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, Lines(proc)


@pytest.mark.parametrize("step", ["embed", "swap"])
def test_watcher_killed_during_a_batch_loses_nothing_and_catches_up_on_restart(settings, fake, step):
    proc, lines = start_watcher(settings, step)
    try:
        lines.until(" watching ")
        before = current_generation(settings.index_dir)
        (settings.articles_dir / "new.txt").write_text(HARBOUR)
        (settings.articles_dir / "volcano.txt").unlink()
        lines.until(f"^{step}$")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert current_generation(settings.index_dir) == before  # the previous, complete generation
    index = load_index(settings.index_dir, settings, encoder=fake)
    assert index.counts.articles == 4 and "volcano.txt" in {a.source.article_id for a in index.articles()}

    proc, lines = start_watcher(settings, "never")
    try:
        first = lines.until(r"added, ")
        assert "+1 added, ~0 updated, -1 removed" in first  # the restart catches up
        lines.until(" watching ")
        (settings.articles_dir / "later.txt").write_text("title: Rail strike\n\nTrains stopped across the country.")
        assert "+1 added, ~0 updated, -0 removed  (1 file)" in lines.until(r"added, ")
        proc.send_signal(signal.SIGTERM)
        assert "stopped (SIGTERM) after 1 batch; the index is up to date" in lines.until(" stopped ")
        assert lines.until("^exit ") == "exit SIGTERM"
        assert proc.wait(15) == 0 and "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    names = {a.source.article_id for a in load_index(settings.index_dir, settings, encoder=fake).articles()}
    assert names == {"new.txt", "later.txt", "markets.md", "football.txt", "carney-china-trip.txt"}
    generations = sorted(p.name for p in settings.index_dir.glob("gen-*"))
    # The killed build's folder was removed by the next build; the one before the live one stays.
    assert len(generations) == 2 and generations[-1] == current_generation(settings.index_dir).name
    assert not list(settings.index_dir.glob(".build-*"))


@pytest.mark.model
def test_qa_index_watch_stops_cleanly_on_ctrl_c(tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / SEED.name).write_bytes(SEED.read_bytes())
    proc = subprocess.Popen(
        [*QA, "index", "--watch", "--debounce", "0.3", "--articles", str(articles), "--index", str(tmp_path / "index")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        # Ctrl-C as from a terminal: a shell starts background jobs (`make test &`) with SIGINT
        # ignored, which the watcher would inherit (it then could not be interrupted at all).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines = Lines(proc)
    try:
        assert "full rebuild (no index yet)" in lines.until("^Indexed ")  # the usual report first
        lines.until(" watching ")
        (articles / "harbour.txt").write_text(HARBOUR)
        assert re.search(r"\+1 added, ~0 updated, -0 removed  \(1 file\) .* 2 articles, ", lines.until(" added, "))
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            seen = f"stdout {lines.seen}; stderr {proc.stderr.read()[-3000:]}"
            raise AssertionError(f"still running 30 s after Ctrl-C; {seen}") from None
        assert code == 0
        stopped = lines.until(" stopped ", timeout=5)
        assert LINE.match(stopped) and "stopped (Ctrl-C) after 1 batch; the index is up to date" in stopped
        stderr = proc.stderr.read()
        assert "Traceback" not in stderr and "interrupted" not in stderr and "error" not in stderr
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_name_that_is_not_utf8_restarts_the_watcher_instead_of_stopping_it(settings, fake, monkeypatch):
    import watchfiles

    real = watchfiles.watch
    starts: list[int] = []

    def fails_once(*args, **kwargs):
        starts.append(1)
        if len(starts) == 1:  # the first watcher reports a tick, then meets the name
            yield set()
            raise RuntimeError("Unable to decode path b'/news/\\xfe.txt'")
        yield from real(*args, **kwargs)

    monkeypatch.setattr(watchfiles, "watch", fails_once)
    with Watching(settings, fake) as w:
        batch = w.next_batch()  # the whole folder compared once the watcher is back
        assert batch.report is not None and not batch.report.changed and batch.paths == ("./",)
        (settings.articles_dir / "new.txt").write_text(HARBOUR)
        assert w.next_batch().report.added == ("new.txt",)  # and it still watches
    assert any(
        line.endswith("a file name there is not UTF-8 (the build skips it: rename it); still watching")
        for line in w.lines
    )


@pytest.mark.parametrize("how", ["moved away", "deleted, same inode"])
def test_an_articles_folder_replaced_under_its_name_is_watched_again(settings, fake, tmp_path, monkeypatch, how):
    """Deleted and made again: ext4 often gives `rm -rf news; mkdir news` the old inode number,
    and the watch went on listening to the deleted folder, never indexing the new one's files."""
    import qa.watch

    folder = settings.articles_dir
    if how == "deleted, same inode":
        monkeypatch.setattr(qa.watch, "_identity", lambda path: (1, 1) if path.exists() else None)
    with Watching(settings, fake) as w:
        if how == "moved away":
            folder.rename(tmp_path / "old-drop")
        else:
            shutil.rmtree(folder)
        folder.mkdir()
        (folder / "new.txt").write_text(HARBOUR)
        deadline = time.monotonic() + 20
        added: tuple[str, ...] = ()
        while "new.txt" not in added and time.monotonic() < deadline:
            batch = w.next_batch()
            added = batch.report.added if batch.report is not None else ()
        assert "new.txt" in added, w.lines
        (folder / "later.txt").write_text("title: Later\n\nA later story about the lighthouse.")
        later = w.next_batch()
        assert later.report is not None and later.report.added == ("later.txt",)  # the new folder's events
    assert any(line.endswith("the articles folder was replaced; watching the new one") for line in w.lines)


def test_an_articles_folder_removed_while_watching_ends_the_session_with_stamped_lines(settings, fake):
    folder = settings.articles_dir
    with Watching(settings, fake) as w:
        shutil.rmtree(folder)
        w.thread.join(20)  # it ends by itself: nothing left to watch
        assert not w.thread.is_alive(), w.lines
    assert w.error is None and w.summary is not None  # a summary, not a traceback
    assert w.summary.stopped_by == "articles folder removed" and "was removed" in w.summary.error
    error, last = w.lines[-2:]
    fix = "create it again (or move it back), then restart qa index --watch"
    assert LINE.match(error) and error.endswith(
        f"error: the articles folder {folder}/ was removed or moved away; {fix}"
    )
    assert LINE.match(last) and "stopped (articles folder removed) after 0 batches; the index keeps" in last
    assert load_index(settings.index_dir, settings, encoder=fake).counts.articles == 4  # nothing was removed from it


def test_an_articles_folder_moved_away_ends_the_session_too(settings, fake, tmp_path):
    # a folder moved away sends no event: the watcher went on, silent, for ten minutes
    folder = settings.articles_dir
    with Watching(settings, fake) as w:
        folder.rename(tmp_path / "elsewhere")
        w.thread.join(20)
        assert not w.thread.is_alive(), w.lines
    assert w.summary is not None and w.summary.stopped_by == "articles folder removed"
    assert w.lines[-2].endswith(
        f"error: the articles folder {folder}/ was removed or moved away; create it again "
        "(or move it back), then restart qa index --watch"
    )


def test_folders_moved_out_count_whatever_their_name_and_known_file_kinds_do_not(tmp_path):
    root = tmp_path / "drop"
    for name in ("2026.12.01", "feed.2026-12-01", "archive"):  # dated folders moved out of the drop folder
        assert is_article_event(Change.deleted, root / name, root, tmp_path / "idx"), name
    for name in ("photo.jpg", "data.csv", "notes.docx.tmp.zip"):
        assert not is_article_event(Change.deleted, root / name, root, tmp_path / "idx"), name
    # A cancelled download or a removed editor's backup started a batch ("trigger nothing", README).
    for name in ("story.txt.part", "story.txt~", "story.txt.crdownload", "story.tmp"):
        assert not is_article_event(Change.deleted, root / name, root, tmp_path / "idx"), name
    assert is_article_event(Change.deleted, root, root, tmp_path / "idx")  # the folder itself: made again?


def test_a_batch_that_could_not_write_the_index_is_tried_again(settings, fake, monkeypatch):
    import qa.watch
    from qa.errors import IndexWriteError

    monkeypatch.setattr(qa.watch, "RETRY_SECONDS", 0.5)
    real = qa.watch.build_index
    calls: list[int] = []

    def full_disk_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the first batch after the first build
            raise IndexWriteError(
                "Could not write the index in idx/ (database or disk is full); the index is as before.",
                "Free disk space, then run qa index again.",
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(qa.watch, "build_index", full_disk_once)
    with Watching(settings, fake) as w:
        (settings.articles_dir / "new.txt").write_text(HARBOUR)
        failed = w.next_batch()
        assert failed.report is None and failed.retry and "disk is full" in failed.error
        # the watcher tries again by itself: its line does not tell the user to run qa index
        assert "run qa index" not in failed.error and failed.error.endswith("tried again every 0.5 s")
        again = w.next_batch()  # no new change: the same changes, tried again
        assert again.report is not None and again.report.added == ("new.txt",) and again.paths == ("new.txt",)


def test_changes_another_build_indexed_first_are_said_to_be(settings, fake):
    from qa.build import build_index

    with Watching(settings, fake, debounce=2.0) as w:
        (settings.articles_dir / "new.txt").write_text(HARBOUR)
        build_index(settings, encoder=fake, progress=False)  # by hand, inside the watcher's quiet period
        batch = w.next_batch()
        assert batch.report is not None and not batch.report.changed and batch.built_elsewhere
        (settings.articles_dir / "new.txt").write_text(HARBOUR)  # saved again, same text: nobody else built
        again = w.next_batch()
        assert again.report is not None and not again.report.changed and not again.built_elsewhere
    lines = w.batch_lines()
    assert "no article changed (another build indexed these changes)  (1 file)" in lines[0]
    assert "no article changed  (1 file)" in lines[1]
