"""Readers' verdicts on answers: one JSON line per thumbs up, down or taken back, next to the index.

`record_feedback` appends a `FeedbackRecord` to `<index_dir>/feedback.jsonl`; `read_feedback`
reads them back. The file is append-only and safe to write from many threads and processes at
once: each record is one `os.write` of a whole line on a file opened with `O_APPEND`, which
the kernel applies as a unit (no interleaving, no lost lines) on local file systems.

A record keeps what is needed to turn an answer marked wrong into a regression case: the
question, the answer text, the cited sentences with their offsets, the confidence and the
index generation that answered.

Example:
    >>> from pathlib import Path
    >>> record = record_feedback(Path("index"), answer("Who won?"), helpful=False,
    ...                          generation="gen-0001")  # doctest: +SKIP
    >>> read_feedback(Path("index") / FEEDBACK_FILE)[-1].helpful  # doctest: +SKIP
    False
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .answering import Answer, AnswerSentence, Citation
from .articles import Source
from .errors import FeedbackError
from .retrieval import MAX_QUESTION_CHARS
from .store.layout import FEEDBACK_FILE, FEEDBACK_KEY_FILE

# Bump when a field changes meaning; readers accept the versions in READABLE. 2 (2026-12-07):
# `history` holds earlier turns ({question, given, searched}), not texts, and `turn` is new:
# a reader of format 1 says a line is of another format rather than that it is broken.
FORMAT = 2
READABLE = (1, 2)
# The earlier turns of its conversation a record keeps: as many as the chat passes to answer()
# (ui.service.HISTORY_TURNS), so that a rated follow-up is replayed as it was asked.
HISTORY_KEPT = 20
KEY_BYTES = 32  # of the key that signs feedback snapshots


@dataclass(frozen=True)
class CitedSentence:
    """One cited sentence of a judged answer: `body[start:end] == sentence` in the article."""

    article_id: str
    sentence: str
    start: int
    end: int


@dataclass(frozen=True)
class EarlierTurn:
    """A question asked before the judged one in its conversation, with what its answer cited:
    `given` holds (article id, sentence start, span start, span end) per cited sentence, the
    span None when none was marked. What `answer()` reads of an earlier answer: a follow-up is
    searched with the question, and leads with a sentence already given only for a new span.
    Replayed with the questions alone, a follow-up led with another sentence than in the chat."""

    question: str
    given: tuple[tuple[str, int, int | None, int | None], ...] = ()
    searched: str | None = None  # the answer's search_text; None: the turn was a question alone

    @classmethod
    def of(cls, turn: str | Answer) -> EarlierTurn:
        """The earlier turn of a question (text) or an answer, its texts cut where `answer()`
        stops reading (a pasted article made each rating carry 20 of them whole)."""
        if isinstance(turn, str):
            return cls(turn[:MAX_QUESTION_CHARS])
        given = tuple(
            (s.citation.source.article_id, s.citation.start, *(s.span or (None, None))) for s in turn.sentences
        )
        return cls(turn.question[:MAX_QUESTION_CHARS], given, turn.search_text[: 2 * MAX_QUESTION_CHARS])

    def as_history(self) -> str | Answer:
        """What `answer(history=…)` takes for this turn: the question, or an answer citing the
        same sentences with the same spans (their texts are not kept: `answer()` does not read them)."""
        if self.searched is None and not self.given:
            return self.question

        def sentence(n: int, article_id: str, start: int, span: tuple[int, int] | None) -> AnswerSentence:
            citation = Citation(n, Source(article_id, "", article_id), "", start, start, "", start, start, 0.0)
            return AnswerSentence("", citation, 0.0, span=span)

        cited = tuple(
            sentence(n, a, start, (s0, s1) if s0 is not None and s1 is not None else None)
            for n, (a, start, s0, s1) in enumerate(self.given, 1)
        )
        return Answer(self.question, bool(cited), "", cited, (), 0.0, search_text=self.searched or "")

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "given": [list(g) for g in self.given], "searched": self.searched}

    @classmethod
    def from_dict(cls, data: Any) -> EarlierTurn:
        """A turn as `to_dict` wrote it, or a question (text: records of 2026-12-07's first hours)."""
        if isinstance(data, str):
            return cls(data)
        if not isinstance(data, dict) or not isinstance(data.get("question"), str):
            raise ValueError("field 'history' holds a turn that is not {question, given}")
        given = data.get("given", [])
        if not isinstance(given, list) or not all(_given_ok(g) for g in given):
            raise ValueError(
                "field 'history' holds a turn whose 'given' is not [article id, start, span start, span end]"
            )
        searched = data.get("searched")
        if searched is not None and not isinstance(searched, str):
            raise ValueError("field 'history' holds a turn whose 'searched' is not text")
        return cls(data["question"], tuple((g[0], g[1], g[2], g[3]) for g in given), searched)


def _given_ok(item: Any) -> bool:
    if not isinstance(item, list) or len(item) != 4 or not isinstance(item[0], str):
        return False
    whole = [x for x in item[1:] if x is not None]
    return isinstance(item[1], int) and all(isinstance(x, int) and not isinstance(x, bool) for x in whole)


@dataclass(frozen=True)
class FeedbackRecord:
    """A reader's verdict on one answer.

    `helpful` is True (thumbs up), False (thumbs down) or None: the reader took the thumb
    back, so the answer counts as unjudged. `sentence` is the first cited sentence ("" when
    the answer was "not found"); `generation` names the index build that answered
    (`Index.generation.name`); `time` is ISO 8601 UTC. `history` holds the turns before
    it in its conversation (at most `HISTORY_KEPT`, oldest first, as `EarlierTurn`s): a
    follow-up is replayed with them (alone, "How did China respond?" answers another question). `turn`
    names the rated answer in its conversation: a reader may judge it twice, and the later
    record wins; the same answer in two conversations is judged apart.
    """

    question: str
    helpful: bool | None
    answer: str
    found: bool
    sentence: str
    citations: tuple[CitedSentence, ...]
    confidence: float
    generation: str
    time: str
    comment: str = ""
    history: tuple[EarlierTurn, ...] = ()
    turn: str = ""

    @classmethod
    def from_answer(
        cls,
        answer: Answer | Mapping[str, Any],
        helpful: bool | None,
        generation: str | os.PathLike[str],
        comment: str = "",
        time: str | None = None,
        history: Sequence[str | Answer | EarlierTurn] = (),
        turn: str = "",
    ) -> FeedbackRecord:
        """The record of `answer` (an `Answer`, or one as `to_dict()` wrote it) judged
        `helpful` (now, unless `time` is given). `generation` may be the generation's folder
        (`Index.generation`): its name is kept. `history`: the turns before it in its
        conversation as `answer()` took them (questions or answers), oldest first (the last
        `HISTORY_KEPT` are kept, as `EarlierTurn`s).

        Raises:
            FeedbackError: an argument of the wrong kind, named: a record that could not be
                read back would make the whole file unreadable.
        """
        if isinstance(answer, Mapping):
            answer = Answer.from_dict(answer)
        if not isinstance(answer, Answer):
            raise FeedbackError(f"answer={answer!r:.60} must be an Answer (or its to_dict()).")
        if helpful is not None and not isinstance(helpful, bool):  # helpful="no" would be a thumbs up
            raise FeedbackError(
                f"helpful={helpful!r} must be True (thumbs up), False (thumbs down) or None (taken back)."
            )
        if isinstance(generation, os.PathLike):
            generation = Path(generation).name
        kinds = (str, Answer, EarlierTurn)
        if isinstance(history, str) or not all(isinstance(t, kinds) for t in history) or not isinstance(turn, str):
            raise FeedbackError(f"history={history!r:.60} must be the earlier questions or answers; turn, a text.")
        if not isinstance(generation, str) or not isinstance(comment, str):
            raise FeedbackError(
                f"generation={generation!r:.60} and comment={comment!r:.60} must be text "
                "(generation: Index.generation.name)."
            )
        citations = tuple(CitedSentence(c.source.article_id, c.sentence, c.start, c.end) for c in answer.citations)
        return cls(
            question=answer.question,
            helpful=helpful,
            answer=answer.text,
            found=answer.found,
            sentence=citations[0].sentence if citations else "",
            citations=citations,
            confidence=round(float(answer.confidence), 4),
            generation=generation,
            time=time or now(),
            comment=comment,
            history=tuple(t if isinstance(t, EarlierTurn) else EarlierTurn.of(t) for t in history[-HISTORY_KEPT:]),
            turn=turn,
        )

    def to_dict(self) -> dict[str, Any]:
        """The record as one JSON object (the line format of feedback.jsonl)."""
        return {
            "format": FORMAT,
            "time": self.time,
            "helpful": self.helpful,
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "sentence": self.sentence,
            "citations": [
                {"article_id": c.article_id, "sentence": c.sentence, "start": c.start, "end": c.end}
                for c in self.citations
            ],
            "confidence": self.confidence,
            "generation": self.generation,
            "comment": self.comment,
            "history": [t.to_dict() for t in self.history],
            "turn": self.turn,
        }

    @classmethod
    def from_dict(cls, data: Any) -> FeedbackRecord:
        """A record from its JSON object (what `to_dict` writes).

        Raises:
            FeedbackError: `data` is not a record; the message names the first bad field.

        Example:
            >>> FeedbackRecord.from_dict({"question": "Who won?"})
            Traceback (most recent call last):
            qa.errors.FeedbackError: missing field 'helpful'
        """
        try:
            return cls._parsed(data)
        except ValueError as exc:
            raise FeedbackError(str(exc)) from None

    @classmethod
    def _parsed(cls, data: Any) -> FeedbackRecord:
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        if data.get("format", FORMAT) not in READABLE:
            raise ValueError(
                f"format {data.get('format')!r} is not one this qa reads ({', '.join(map(str, READABLE))})"
            )
        return cls(
            question=_field(data, "question", str),
            helpful=_field(data, "helpful", (bool, type(None))),
            answer=_field(data, "answer", str),
            found=_field(data, "found", bool),
            sentence=_field(data, "sentence", str),
            citations=tuple(_citation(c, i) for i, c in enumerate(_field(data, "citations", list))),
            confidence=float(_field(data, "confidence", (int, float))),
            generation=_field(data, "generation", str),
            time=_field(data, "time", str),
            comment=str(data.get("comment") or ""),
            # Optional: records written before 2026-12-07 have neither.
            history=_history(data.get("history", [])),
            turn=_field({"turn": data.get("turn", "")}, "turn", str),
        )


def record_feedback(
    index_dir: Path | str,
    answer: Answer | Mapping[str, Any],
    helpful: bool | None,
    generation: str | os.PathLike[str],
    comment: str = "",
) -> FeedbackRecord:
    """Append a reader's verdict on `answer` to `<index_dir>/feedback.jsonl`; return it.

    Args:
        index_dir: the index folder (the one holding `CURRENT`), not a generation folder.
        answer: the judged answer (an `Answer`, or its `to_dict()`).
        helpful: True for thumbs up, False for thumbs down, None when the thumb is taken back.
        generation: the index generation that answered (`Index.generation.name`, or the folder).
        comment: an optional remark by the reader.
    """
    record = FeedbackRecord.from_answer(answer, helpful, generation, comment)
    append_feedback(Path(index_dir) / FEEDBACK_FILE, record)
    return record


def append_feedback(path: Path, record: FeedbackRecord) -> None:
    """Append `record` to `path` as one line, atomically with respect to other writers."""
    line = json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
    # "replace": a lone surrogate (pasted garbage) must not make the verdict unwritable.
    data = line.encode("utf-8", "replace")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise FeedbackError(
            f"Cannot open {path} to save feedback: {exc.strerror}. Check the folder's permissions."
        ) from None
    try:
        # One write call: O_APPEND makes the kernel place the whole line at the end, so
        # concurrent writers never interleave. A short write (disk full) is reported.
        written = os.write(fd, data)
    except OSError as exc:
        raise FeedbackError(f"Cannot save feedback to {path}: {exc.strerror}.") from None
    finally:
        os.close(fd)
    if written != len(data):
        raise FeedbackError(f"Only part of a feedback record was written to {path} (disk full?).")


def read_feedback(path: Path) -> list[FeedbackRecord]:
    """Every record in `path`, oldest first ([] when there is no feedback yet).

    Raises:
        FeedbackError: a line is not a valid record; the message names the line.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise FeedbackError(f"Cannot read {path}: {exc.strerror}.") from None
    records = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(FeedbackRecord.from_dict(json.loads(line)))
        except (ValueError, FeedbackError) as exc:  # (a UnicodeDecodeError is a ValueError)
            raise FeedbackError(
                f"{path}, line {number}: not a feedback record ({_reason(exc)}). "
                "Fix or delete that line; each line must be one JSON object written by record_feedback."
            ) from None
    return records


def feedback_key(index_dir: Path | str) -> bytes:
    """The key that signs what a thumb will record (`snapshot_signature`): kept beside the
    index in `.feedback-key` (made once, readable by its owner only), so that replicas
    serving one folder and a restarted server accept each other's snapshots.

    Raises:
        OSError: the folder cannot be written or the key read.
    """
    path = Path(index_dir) / FEEDBACK_KEY_FILE
    if path.exists() and len(path.read_bytes()) < KEY_BYTES:  # empty or cut short: anyone could sign
        path.unlink(missing_ok=True)
    if not path.exists():
        # Written whole under another name, then linked into place: a reader sees the whole
        # key or none (made in place, another process read it empty and kept a key of its own).
        spare = path.with_name(f"{FEEDBACK_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(KEY_BYTES))
        try:
            os.link(spare, path)
        except FileExistsError:  # another process made it first: its key it is
            pass
        finally:
            spare.unlink(missing_ok=True)
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise OSError(f"{path} holds {len(key)} bytes, not a key of {KEY_BYTES}")
    return key


def snapshot_signature(snapshot: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA256 of a feedback snapshot (a record without its verdict and time), in a form
    that survives a trip through the browser: numbers as floats (its JSON writes 0.0 as 0, and
    a rating of a "not found" answer with confidence 0.0 was refused).

    Example:
        >>> snapshot_signature({"confidence": 0.0}, b"k") == snapshot_signature({"confidence": 0}, b"k")
        True
    """
    payload = json.dumps(_numbers_as_floats(snapshot), sort_keys=True, separators=(",", ":")).encode("ascii")
    return hmac.new(key, payload, "sha256").hexdigest()


def _numbers_as_floats(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _numbers_as_floats(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_numbers_as_floats(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def now() -> str:
    """The current time as ISO 8601 UTC, to the second (e.g. 2026-01-13T09:30:00Z)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _field(data: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    if name not in data:
        raise ValueError(f"missing field {name!r}")
    value = data[name]
    # bool is an int in Python: a boolean where a number belongs is a mistake, not a 0/1.
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in kinds):
        raise ValueError(f"field {name!r} is {type(value).__name__}, not {_kind_name(kind)}")
    return value


def _history(value: Any) -> tuple[EarlierTurn, ...]:
    if not isinstance(value, list):
        raise ValueError("field 'history' is not a list of earlier turns")
    return tuple(EarlierTurn.from_dict(t) for t in value)


def _citation(data: Any, i: int) -> CitedSentence:
    if not isinstance(data, dict):
        raise ValueError(f"citation {i + 1} is not an object")
    try:
        return CitedSentence(
            article_id=_field(data, "article_id", str),
            sentence=_field(data, "sentence", str),
            start=_field(data, "start", int),
            end=_field(data, "end", int),
        )
    except ValueError as exc:
        raise ValueError(f"citation {i + 1}: {exc}") from None


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        "str": "a string",
        "bool": "true/false",
        "int": "a number",
        "float": "a number",
        "list": "a list",
        "NoneType": "null",
    }
    return " or ".join(dict.fromkeys(names.get(k.__name__, k.__name__) for k in kinds))


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at column {exc.colno}: {exc.msg}"
    if isinstance(exc, UnicodeDecodeError):
        return "invalid UTF-8"
    return str(exc)
