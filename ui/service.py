"""What the browser app does, without Gradio: ask, list, upload, delete, rebuild, feedback.

`ChatApp` holds the settings and serialises index builds; the Gradio layer (ui/chat.py,
ui/articles.py) only turns its results into components. It uses only the public `qa` API.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import hmac
import logging
import os
import re
import secrets
import shutil
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa import (
    FEEDBACK_FILE,
    MAX_QUESTION_CHARS,
    MODES,
    SUPPORTED_SUFFIXES,
    Answer,
    BuildReport,
    FeedbackError,
    FeedbackRecord,
    Filters,
    Index,
    IndexLockedError,
    IndexNotFoundError,
    QAError,
    QuestionError,
    ReadLimits,
    Settings,
    answer,
    append_feedback,
    build_index,
    check_articles_folder,
    clean_question,
    counted,
    feedback_key,
    ignored_name,
    open_index,
    parse_date,
    read_file,
    shortened,
    sizes_apart,
    skipped_count,
    snapshot_signature,
    visible,
)

from .render import starter_questions

log = logging.getLogger("ui")
Progress = Callable[[int, int], None]
Waiting = Callable[[], None]  # told when a build must wait for another build (this server's or another's)


# The Articles table and the Article filter list at most this many: a 1M-passage collection
# holds ~100,000 articles, whose list would make every page load send megabytes. Search
# narrows the table; the Publisher filter covers every article.
LISTED_ARTICLES = 1000
# Characters a chat or /ask question may have. The models read its first ~2,000 (qa's
# MAX_QUESTION_CHARS: a longer one is answered with a notice); a 10 MB paste was carried
# whole into the page, the browser's saved conversations and the feedback file.
QUESTION_LIMIT = 20_000
# Earlier turns a question is answered with: a follow-up reads the last question, and the
# answers keep it from citing their sentences again; without a cap a client could send
# thousands of earlier answers to /ask, each read back and checked at every question.
HISTORY_TURNS = 20
# Seconds an upload, deletion or rebuild waits for another program's build of the index.
BUILD_WAIT = 300.0
READ_ONLY = "this chat is read-only (qa serve --read-only): whoever runs it adds and removes the articles."


@dataclass(frozen=True)
class Reply:
    """An answer, the index generation that produced it and the turns before it in its
    conversation as `answer()` took them (feedback records keep both: a rated follow-up is
    replayed with them)."""

    answer: Answer
    generation: str
    history: tuple[str | Answer, ...] = ()


@dataclass
class Outcome:
    """What an article operation did, for a toast: `done` lines are news, `problems` warnings."""

    done: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return "\n".join([*self.done, *self.problems]) or "Nothing to do."


class ChatApp:
    """The app's state: settings, the articles folder, and one build at a time.

    `read_only` (`qa serve --read-only`): the chat answers, and nothing changes the articles:
    uploads, deletions and rebuilds are refused (`READ_ONLY`), whatever calls them. The
    articles folder need not exist then.
    """

    def __init__(
        self,
        settings: Settings,
        max_upload_mb: float | None = None,
        read_limits: ReadLimits = ReadLimits(),
        read_only: bool = False,
    ) -> None:
        self.settings = settings
        self.read_only = read_only
        self.max_upload_bytes = int((max_upload_mb or settings.max_file_mb) * 1024 * 1024)
        self.read_limits = read_limits  # an upload is read apart first: it may come from anyone
        # One at a time: the memory limit is per reader, and eight uploads at once (Gradio's
        # concurrency) could each take it.
        self._reading = threading.Lock()
        # The copy check and the placing, as one step: two uploads of the same file at once
        # each found no copy, then both were placed (and indexed, and cited, twice).
        self._placing = threading.Lock()
        self._build_lock = threading.Lock()
        self._key: bytes | None = None  # signs feedback snapshots (`_signature`)

    @property
    def articles_dir(self) -> Path:
        return Path(self.settings.articles_dir)

    @property
    def feedback_file(self) -> Path:
        return Path(self.settings.index_dir) / FEEDBACK_FILE

    def index(self) -> Index:
        """The live index (reloaded when a build has replaced it)."""
        try:
            return open_index(self.settings.index_dir, self.settings)
        except IndexNotFoundError as exc:  # in the browser, an upload is the nearer fix
            if self.read_only:
                raise
            if not self.holds_an_article_file():  # its "Build it with: qa index" fails on an empty folder
                raise IndexNotFoundError(
                    f"No articles yet: upload some in the Articles tab (or put them in {self.articles_dir}/ "
                    "and run qa index)."
                ) from None
            raise IndexNotFoundError(f"{exc} — or upload articles in the Articles tab.") from None

    def holds_an_article_file(self) -> bool:
        """Whether the articles folder holds a file of a kind the build reads (the first found will do)."""
        try:
            return next(self._article_names(), None) is not None
        except OSError:  # missing or unreadable: none we can see
            return False

    def _article_names(self) -> Iterator[Path]:
        """The paths under the articles folder named as articles the build reads: a kind it reads,
        not hidden nor in a hidden folder, no lock file (a backup "a.txt.bak", an upload's copy
        in progress, .git, Word's "~$a.docx" are not)."""
        for path in self.articles_dir.rglob("*"):
            rel = path.relative_to(self.articles_dir)
            if path.suffix.lower() in SUPPORTED_SUFFIXES and not any(ignored_name(part) for part in rel.parts):
                yield path

    def generation(self) -> str:
        """The name of the live build ("" with no usable index): a page compares it with the
        one it shows to see that another tab or process changed the articles."""
        try:
            return self.index().generation.name
        except QAError:
            return ""

    def ensure_index(self) -> str:
        """Index new or changed articles (all of them the first time); return a summary.

        Raises:
            IndexLockedError: another program is building the index (not waited for: the
                chat serves the live index meanwhile, and takes up that build's when published).
        """
        return build_summary(self._build(progress=True, wait=0))

    # -- asking ----------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        history: Sequence[str | Answer | Mapping[str, Any]] | None = None,
        max_sentences: int = 3,
        mode: str = "hybrid",
        since: str = "",
        until: str = "",
        sources: list[str] | None = None,
        recent: bool = False,
    ) -> Reply:
        """Answer `question` with the options. `history`: the earlier turns, oldest first, as
        questions (or their search texts), `Answer`s, or earlier answers as JSON
        (`Answer.to_dict()`, what `/ask` returns): answers keep a follow-up from citing the
        same sentences again. Only the last `HISTORY_TURNS` turns are used."""
        check_length(question)
        # Checked here as well as by answer(): before the index is loaded, and typed for it.
        if mode not in MODES:
            raise QuestionError(f"Unknown mode {mode!r}; use one of {', '.join(MODES)}.")
        sentences = sentence_count(max_sentences)
        filters = Filters(
            since=parse_date(since, "From date "),
            until=parse_date(until, "To date ", last_day=True),
            sources=sources or (),  # Filters reads "BBC" as one source and refuses {...}; tuple() spelled it
            prefer_recent=bool(recent),
        )
        index = self.index()
        # answer() reads JSON answers back itself, and refuses a text or an object (list() made a
        # text's letters into questions).
        turns = list(history)[-HISTORY_TURNS:] if isinstance(history, (list, tuple)) else history
        result = answer(
            clean_question(question),  # before the index is loaded: an empty question is said as such
            history=turns or None,
            filters=filters,
            index=index,
            max_sentences=sentences,
            mode=mode,  # checked against MODES above
        )
        return Reply(result, index.generation.name, earlier_turns(turns))

    def starters(self) -> list[str]:
        """Starter questions about the newest indexed articles."""
        return starter_questions(self.index().articles())

    def filter_choices(self) -> tuple[list[str], list[tuple[str, str]]]:
        """(publishers, (label, article id) per article) for the Options filters; articles up
        to `LISTED_ARTICLES` (the publisher filter covers the rest)."""
        index = self.index()
        listed = index.articles()[:LISTED_ARTICLES]
        # The label is what the box's typing searches: the whole title (shortened at a word,
        # with "…"), not its first 60 characters cut mid-word.
        articles = [(f"{shortened(a.source.title, 100)} ({a.source.article_id})", a.source.article_id) for a in listed]
        return index.publishers(), articles

    def feedback_snapshot(self, reply: Reply) -> dict[str, Any]:
        """What a thumbs up/down on this answer records (the record minus the verdict and
        time), signed: the browser keeps it with the conversation and sends it back."""
        # A turn id of its own: the same answer rated in two conversations is two verdicts.
        turn = secrets.token_hex(8)
        record = FeedbackRecord.from_answer(reply.answer, True, reply.generation, history=reply.history, turn=turn)
        data = record.to_dict()
        for key in ("helpful", "time"):
            data.pop(key)
        return {**data, "signature": self._signature(data)}

    def record_feedback(self, snapshot: dict[str, Any], helpful: bool | None) -> FeedbackRecord:
        """Append the verdict on the answer described by `snapshot` (see `feedback_snapshot`);
        None: the thumb was taken back. A snapshot this server did not sign is refused: a
        hand-made one recorded 5 MB answers it never gave, which `qa eval` then replays."""
        snapshot = dict(snapshot)
        signature = snapshot.pop("signature", None)
        if not isinstance(signature, str) or not hmac.compare_digest(signature, self._signature(snapshot)):
            raise QAError(
                "This answer cannot be rated: this server did not give it as it stands (an answer given before "
                "the server was updated, or changed in the browser). Ask the question again to rate its answer."
            )
        try:
            verdict = None if helpful is None else bool(helpful)
            record = FeedbackRecord.from_dict({**snapshot, "helpful": verdict, "time": utc_now()})
        except FeedbackError as exc:
            raise QAError(f"This answer cannot be rated: {exc}.") from None
        append_feedback(self.feedback_file, record)
        return record

    def _signature(self, snapshot: Mapping[str, Any]) -> str:
        if self._key is None:
            try:
                self._key = feedback_key(self.settings.index_dir)
            except OSError as exc:  # a read-only index folder: ratings work until this server stops
                log.warning("feedback key not kept in %s/ (%s)", self.settings.index_dir, exc)
                self._key = secrets.token_bytes(32)
        return snapshot_signature(snapshot, self._key)

    # -- articles ----------------------------------------------------------------------------

    def article_rows(self, search: str = "") -> tuple[list[list[Any]], int]:
        """The Articles table: title, date, publisher, passages, indexed at, id (the first
        `LISTED_ARTICLES` whose title contains `search`), and how many titles contain it."""
        needle = search.strip().lower()
        matching = [a for a in self.index().articles() if not needle or needle in a.source.title.lower()]
        rows = [
            [
                a.source.title,
                a.source.date or "",
                a.source.publisher or "",
                a.passages,
                a.indexed_at.replace("T", " ")[:16],
                a.source.article_id,
            ]
            for a in matching[:LISTED_ARTICLES]
        ]
        return rows, len(matching)

    def add_files(
        self, paths: list[Any], on_progress: Progress | None = None, on_wait: Waiting | None = None
    ) -> Outcome:
        """Copy uploaded files into the articles folder (safely) and index them."""
        if self.read_only:
            return Outcome(problems=[f"Not added: {READ_ONLY}"])
        outcome, added, renamed = Outcome(), [], []
        for path in paths or []:
            original = Path(str(getattr(path, "orig_name", None) or path)).name
            source = Path(str(path))
            problem, skipped = self._check_upload(source, original)
            safe = safe_filename(original)
            with self._placing:
                copy = None if problem else self._copy_of(source)
                if copy is not None:
                    problem = f"the same file is already in the articles folder, as {copy}"
                target = None if problem else self._place(source, safe)
            if target is None:
                outcome.problems.append(f"Not added: {original}: {problem}")
                continue
            added.append(target.name)
            if skipped:  # a .json/.jsonl file whose other records were read
                outcome.problems.append(f"In {original}, {len(skipped)} skipped: {'; '.join(skipped[:5])}")
            if target.name != safe:
                renamed.append(
                    f"{original} was saved as {target.name}: a different {safe} is already there. To replace "
                    f"that article instead, delete {safe} (select it in the table), then upload again."
                )
            elif target.name != original:
                cut = ", cut at 80 characters" if len(Path(original).stem) > 80 else ""
                why = f"letters, digits, dashes and underscores{cut}"
                renamed.append(f"{original} was saved as {target.name} (a file name of {why}).")
        if added:
            try:
                report = self._build(on_progress=on_progress, on_wait=on_wait)
            except QAError:  # e.g. this server reads another folder than the index's: leave no file behind
                for name in added:
                    (self.articles_dir / name).unlink(missing_ok=True)
                raise
            removed = f", {len(report.removed):,} removed" if report.removed else ""  # files deleted meanwhile
            names = ", ".join(added) if len(added) <= 5 else f"{', '.join(added[:5])} and {len(added) - 5:,} more files"
            outcome.done.append(
                f"Added {names}. The index now holds {counted(report.counts.articles, 'article')} "
                f"({len(report.added):,} new, {len(report.updated):,} updated{removed}; {report.seconds:.1f} s)."
            )
            outcome.done.extend(renamed)
            # What `qa index` would have printed about these files: a guessed encoding, a date
            # not read, a copy of an indexed article under another name. The toast said none.
            notes = [str(w) for w in report.warnings if re.split(r"[:\[#]", w.path, maxsplit=1)[0] in added]
            outcome.problems.extend(notes[:5] + ([f"… and {len(notes) - 5} more"] if len(notes) > 5 else []))
        return outcome

    def _check_upload(self, source: Path, original: str) -> tuple[str | None, list[str]]:
        """Why the upload cannot be indexed (None: it can), and the records of it that will be
        skipped (a .json/.jsonl file's bad records, each with where and why)."""
        if Path(original).suffix.lower() not in SUPPORTED_SUFFIXES:
            return f"unsupported file type; allowed: {', '.join(SUPPORTED_SUFFIXES)}", []
        size = source.stat().st_size
        if size > self.max_upload_bytes:
            # In the units people read: --max-upload-mb 0.01 said "0.0 MB is over the 0.00999928 MB".
            shown, limit = sizes_apart(size, self.max_upload_bytes)
            return f"{shown} is over the {limit} upload limit", []
        with self._reading:
            result = read_file(source, original, self.max_upload_bytes, limits=self.read_limits)
        if not result.articles:
            return "; ".join(s.reason for s in result.skipped) or "no article found in the file", []
        return None, [str(s) for s in result.skipped]

    def _copy_of(self, source: Path) -> str | None:
        """The articles folder's file with the same bytes as `source` (its path in the folder),
        or None: the same article under two names would be indexed, and cited, twice."""
        if not self.articles_dir.is_dir():
            return None
        size, data = source.stat().st_size, None
        for path in sorted(self._article_names()):  # (what is never indexed is no copy to name)
            try:
                if not path.is_file() or path.stat().st_size != size:  # most files differ in size
                    continue
                data = source.read_bytes() if data is None else data
                if path.read_bytes() == data:
                    return path.relative_to(self.articles_dir).as_posix()
            except OSError:  # gone or unreadable meanwhile: not a copy we can see
                continue
        return None

    def _place(self, source: Path, name: str) -> Path:
        """Copy `source` into the articles folder as `name`, or `name-2`… if that is taken; overwrites nothing.

        The copy is written under a hidden name (which reading ignores), then the first free
        name is claimed with O_EXCL and the copy renamed onto it. So a build or watcher never
        reads a half-copied upload (at most, for an instant, an empty file, which it skips and
        reads again once it changes), two uploads of one name at once keep both (choosing a
        name, then copying, let the second overwrite the first), and a link already holding
        the name, even a broken one, is never written through (O_EXCL fails on any link).
        """
        self.articles_dir.mkdir(parents=True, exist_ok=True)
        stem, suffix = Path(name).stem, Path(name).suffix
        hidden = self.articles_dir / f".upload-{secrets.token_hex(8)}{suffix}"
        try:
            with open(source, "rb") as src, open(hidden, "xb") as out:
                shutil.copyfileobj(src, out)
            candidate, n = self.articles_dir / name, 2
            while True:
                try:
                    os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                    break
                except FileExistsError:
                    candidate, n = self.articles_dir / f"{stem}-{n}{suffix}", n + 1
            try:
                os.replace(hidden, candidate)
            except BaseException:  # the name is ours (O_EXCL): leave no empty article behind
                candidate.unlink(missing_ok=True)
                raise
            return candidate
        finally:
            hidden.unlink(missing_ok=True)

    def file_holds(self, path: str) -> tuple[int, str]:
        """How many indexed articles the file `path` holds (a .json or .jsonl file holds
        several), and a digest of their ids and content hashes: what a delete confirmation
        names (a feed's "delete all 3" deleted the 10 articles of a feed uploaded under its
        name since, one record the same). One pass over the articles for both."""
        held = sorted(
            f"{a.source.article_id}\0{a.content_hash}" for a in self.index().articles() if a.source.path == path
        )
        return len(held), hashlib.sha256("\n".join(held).encode("utf-8", "surrogatepass")).hexdigest()

    def delete_article(self, article_id: str, on_wait: Waiting | None = None, confirmed: str | None = None) -> Outcome:
        """Delete the file holding `article_id` from the folder and the index; with `confirmed`
        (the digest `file_holds` gave when a confirmation named it), only if the file still holds that."""
        if self.read_only:
            return Outcome(problems=[f"Not deleted: {READ_ONLY}"])
        index = self.index()
        info = index.article(article_id)
        if info is None:
            return Outcome(problems=[f"No article {article_id!r} in the index."])
        together, holds = self.file_holds(info.source.path)
        if confirmed is not None and holds != confirmed:
            # Deleted and uploaded again under its name (another tab) since the question: a
            # stale "Yes, delete it" removed the new article it never named.
            return Outcome(
                problems=[
                    f"Not deleted: {info.source.path} changed since you were asked (it now holds "
                    f"{info.source.title!r}); select it in the table again to delete it."
                ]
            )
        if together == index.counts.articles:
            # An index holds at least one article: the build after the deletion would fail
            # with the file already gone, and the index would still answer from it.
            return Outcome(
                problems=[f"Not deleted: {info.source.path} holds every indexed article. Upload another first."]
            )
        path = (self.articles_dir / info.source.path).resolve()
        if self.articles_dir.resolve() not in path.parents:
            return Outcome(problems=[f"Refusing to delete {info.source.path}: it is outside the articles folder."])
        if path.exists():
            path.unlink()
        report = self._build(on_wait=on_wait)
        gone = len(report.removed)
        return Outcome(done=[f"Deleted {info.source.path} ({counted(gone, 'article')} removed from the index)."])

    def rebuild(self, on_progress: Progress | None = None, on_wait: Waiting | None = None) -> Outcome:
        """Rebuild the whole index from the articles folder (the one it was built from)."""
        if self.read_only:
            return Outcome(problems=[f"Not rebuilt: {READ_ONLY}"])
        check_articles_folder(self.settings)  # a full build would switch folders without a word
        report = self._build(full=True, on_progress=on_progress, on_wait=on_wait)
        c = report.counts
        return Outcome(
            done=[
                f"Rebuilt the index: {counted(c.articles, 'article')}, {counted(c.passages, 'passage')} "
                f"in {report.seconds:.1f} s."
            ]
        )

    def _build(
        self,
        full: bool = False,
        progress: bool = False,
        on_progress: Progress | None = None,
        on_wait: Waiting | None = None,
        wait: float = BUILD_WAIT,
    ) -> BuildReport:
        """One build at a time in this process (`on_wait()` is told when this one must wait:
        an upload behind a rebuild showed only Gradio's timer for minutes), waiting up to
        `wait` seconds for another program's; its garbage handed back to the system after."""
        if not self._build_lock.acquire(blocking=False):
            if on_wait is not None:
                on_wait()
            self._build_lock.acquire()
        try:
            try:
                return build_index(self.settings, full=full, progress=progress, on_progress=on_progress)
            except IndexLockedError:
                if not wait:
                    raise
            # Another program's build (qa index, a replica's upload): said as this server's own
            # is; the page showed only Gradio's timer for minutes, then advice for the command line.
            if on_wait is not None:
                on_wait()
            try:
                return build_index(self.settings, full=full, progress=progress, wait=wait, on_progress=on_progress)
            except IndexLockedError:
                raise IndexLockedError(
                    f"Another program is building the index {self.settings.index_dir}/ (waited {wait:g} s); "
                    "try again once it is done."
                ) from None
        finally:
            self._build_lock.release()
            release_freed_memory()

    def status(self) -> str:
        """One line about the index, for the page header (Markdown-safe: no article text)."""
        index = self.index()
        c = index.counts
        built = index.built_at.replace("T", " ")[:16]
        articles = counted(c.articles, "article")
        model = re.sub(r"[^\w./ -]", "", index.model_name)
        return f"{articles} · {counted(c.passages, 'passage')} · model {model} · updated {built} UTC"


def earlier_turns(history: Any) -> tuple[str | Answer, ...]:
    """The earlier turns `answer()` took (texts and answers, an answer's JSON read back:
    `answer()` refused any it could not read), for the feedback a rating records.

    Example:
        >>> earlier_turns(["What tariffs?", "How did China respond?"])
        ('What tariffs?', 'How did China respond?')
    """
    turns = history if isinstance(history, (list, tuple)) else []
    return tuple(
        Answer.from_dict(t) if isinstance(t, Mapping) else t for t in turns if isinstance(t, (str, Answer, Mapping))
    )


def check_length(question: object) -> None:
    """Refuse a question over `QUESTION_LIMIT` characters (QuestionError naming its length).

    Example:
        >>> check_length("Who won?")
        >>> check_length("x" * 20_001)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qa.errors.QuestionError: The question is 20,001 characters long; the chat takes up to 20,000 (...
    """
    if isinstance(question, str) and len(question) > QUESTION_LIMIT:
        raise QuestionError(
            f"The question is {len(question):,} characters long; the chat takes up to {QUESTION_LIMIT:,} "
            f"(and reads its first {MAX_QUESTION_CHARS:,} or so): shorten it."
        )


def build_summary(report: BuildReport) -> str:
    """A build, for the server log: a line of counts, then each skipped file and each warning
    with its reason (`make chat` said "2 skipped", and only `qa index` said which and why),
    the first `SUMMARY_LISTED` of each."""
    c = report.counts
    lines = [
        f"Index {report.index_dir}/: {counted(c.articles, 'article')}, {counted(c.passages, 'passage')} "
        f"({len(report.added):,} added, {len(report.updated):,} updated, {len(report.removed):,} removed, "
        f"{skipped_count(report.skipped):,} skipped; {report.seconds:.1f} s)"
    ]
    lines += [f"  skipped {s}" for s in report.skipped[:SUMMARY_LISTED]]
    if len(report.skipped) > SUMMARY_LISTED:
        lines.append(f"  ... and {skipped_count(report.skipped[SUMMARY_LISTED:]):,} more skipped (qa index lists all)")
    lines += [f"  warning {w}" for w in report.warnings[:SUMMARY_LISTED]]
    if len(report.warnings) > SUMMARY_LISTED:
        lines.append(f"  ... and {len(report.warnings) - SUMMARY_LISTED:,} more warnings (qa index lists all)")
    return visible("\n".join(lines))  # file names and feed ids are third-party text


SUMMARY_LISTED = 20


def sentence_count(value: Any) -> int:
    """`max_sentences` from the chat or the API: a whole number from 1 to 10.

    Example:
        >>> sentence_count(3.0)
        3
        >>> sentence_count(10**400)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qa.errors.QuestionError: max_sentences=1000... must be a whole number from 1 to 10 (default 3).
    """
    # The range first: float() of a 400-digit whole number overflowed ("Internal error").
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not 1 <= value <= 10 or not float(value).is_integer():
        raise QuestionError(f"max_sentences={value!r:.40} must be a whole number from 1 to 10 (default 3).")
    return int(value)


def safe_filename(name: str) -> str:
    """A plain file name: no folders, no leading dots, only safe characters.

    Example:
        >>> safe_filename("../../etc/passwd.txt"), safe_filename(".hidden notes.md")
        ('passwd.txt', 'hidden-notes.md')
        >>> safe_filename("Fährplan über Fjord!.TXT"), safe_filename("新闻 报道.md")
        ('Fährplan-über-Fjord.txt', '新闻-报道.md')
    """
    base = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name)
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    # Letters, marks and digits of any script stay ("Fährplan über Fjord", "新闻报道"): with
    # ASCII only, every Chinese or Russian upload was "article.txt", "article-2.txt", ...
    kept = "".join(c if c in "_-" or unicodedata.category(c)[0] in "LMN" else " " for c in stem)
    stem = "-".join(kept.split()).strip("-_")[:80] or "article"
    return stem + suffix


def release_freed_memory() -> None:
    """Return memory freed by a build to the system (glibc only; elsewhere a no-op).

    glibc keeps freed heap pages for reuse: in the chat's process each upload or deletion
    left RSS ~12 MB higher until it levelled off 50 MB up (the soak benchmark's growth);
    `malloc_trim` gives them back (measured: 414 -> 366 MB after four uploads and deletions).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # macOS, Windows, musl
        return
    libc.malloc_trim(0)


def utc_now() -> str:
    """Now, ISO 8601 UTC to the second."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
