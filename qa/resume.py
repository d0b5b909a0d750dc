"""What a build embedded before it was stopped, kept for the next build to take up.

A build publishes nothing until it is complete (`qa.build`), so a build stopped after
hours of embedding (Ctrl-C, `kill -9`, a power cut, a full disk) used to leave the old index
intact but its own work lost: the next build embedded everything again. So each round of
articles a build embeds and stores (256 articles to a round, locally or on Ray) is also
saved here, in `<index>/.resume/<settings key>/`, as it goes. The next build with the same
model and chunking (the key) takes the vectors of any article of the same text from here
instead of embedding it again, and deletes its key's folder once it has published or found
nothing to do. Saving is best effort: a round that cannot be saved (a full disk) is
embedded again next time, nothing worse.

One round is three files: the vectors of its passages (float32, as the vector index gets
them), of its sentences (float16, as the store keeps them) and, written last, a JSON that
names its articles' content hashes, how many passages and sentences each has, and the two
files' XXH3 digests. The vector files are fsynced before the JSON is written, and a round
whose JSON is missing or whose files do not match it (a build killed while writing it, a
damaged disk) is ignored.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .store.layout import fsync_dir
from .store.manifest import file_digest

RESUME_DIR = ".resume"
# Saving stops once the disk's free space falls under this plus twice what was saved: the build
# itself needs room for its new generation (a round saved took space a full disk then lacked,
# and the build failed where it would have fitted without saving).
FREE_SPACE_MARGIN = 100 * 1024 * 1024


@dataclass(frozen=True)
class _Place:
    """Where one article's vectors lie in a saved round."""

    round: str
    passages: int  # first row in the round's passage vectors
    sentences: int  # first row in its sentence vectors
    per_passage: tuple[int, ...]  # sentences owned by each passage


class SavedVectors:
    """The vectors saved by stopped builds of one index with one settings fingerprint.

    Files are opened only while a round is written or an article's rows are read: a build
    that takes up thousands of rounds holds none of them open.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> saved = SavedVectors(folder, {"model_fingerprint": "abc", "passage_tokens": 256}, dim=4)
        >>> saved.save(["hash-a"], [1], np.ones((1, 4)), [np.ones((2, 4))])
        >>> again = SavedVectors(folder, {"model_fingerprint": "abc", "passage_tokens": 256}, dim=4)
        >>> passages, sentences = again.vectors_of("hash-a", (2,))
        >>> passages.shape, [s.shape for s in sentences]
        ((1, 4), [(2, 4)])
        >>> again.vectors_of("hash-a", (1, 1)) is None  # split otherwise now: embed it again
        True
    """

    def __init__(self, index_dir: Path, fingerprint: Mapping[str, object], dim: int, round_articles: int = 1) -> None:
        key = hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()[:16]
        self.folder = Path(index_dir) / RESUME_DIR / key
        self.dim = dim  # the vectors' width: a round of another is not taken up
        # Articles a round file holds at least: Ray stores its results in batches of up to 64
        # articles, which at a million passages made tens of thousands of small files; smaller
        # batches wait for the next (a stop loses those, as a local build's round in progress).
        self.round_articles = round_articles
        self._places: dict[str, _Place] | None = None  # read on first use
        self._saving = True
        self._saved_bytes = 0
        self._waiting: tuple[list[str], list[int], list[np.ndarray], list[np.ndarray]] = ([], [], [], [])

    def any(self) -> bool:
        """Whether a stopped build saved anything for these settings."""
        return bool(self._read())

    def holds(self, content_hash: str) -> bool:
        """Whether vectors of an article with this text (`Article.content_hash`) were saved."""
        return content_hash in self._read()

    def vectors_of(self, content_hash: str, per_passage: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]] | None:
        """The saved vectors of the article with this text, if it was split alike.

        Args:
            content_hash: the article's `content_hash`.
            per_passage: how many sentences each of its passages owns, as it is split now.

        Returns:
            Its passage vectors (float32, one row a passage) and, per passage, the vectors of
            the sentences it owns (float32); None when none were saved, they were split
            otherwise, or their files cannot be read.
        """
        place = self._read().get(content_hash)
        if place is None or place.per_passage != tuple(per_passage):
            return None
        try:
            passages = _read_rows(self._file(place.round, "passages"), place.passages, len(per_passage))
            sentences = _read_rows(self._file(place.round, "sentences"), place.sentences, sum(per_passage))
        except (OSError, ValueError):  # removed or damaged since it was checked: embedded again
            return None
        if not (np.isfinite(passages).all() and np.isfinite(sentences).all()):
            return None
        cuts = np.cumsum((0, *per_passage))
        return passages.astype(np.float32), [sentences[a:b].astype(np.float32) for a, b in itertools.pairwise(cuts)]

    def save(
        self,
        content_hashes: Sequence[str],
        passage_counts: Sequence[int],
        passage_vectors: np.ndarray,
        sentence_vectors: Sequence[np.ndarray],
    ) -> None:
        """Save stored articles (best effort: a failure stops saving, not the build), as one
        round file once `round_articles` of them have come.

        Args:
            content_hashes: the articles' content hashes, in the order they were stored.
            passage_counts: how many passages each article has.
            passage_vectors: the vectors of all their passages, in order (one row a passage).
            sentence_vectors: per passage, the vectors of the sentences it owns.
        """
        if not self._saving or not content_hashes:
            return
        hashes, counts, passages, sentences = self._waiting
        hashes.extend(content_hashes)
        counts.extend(passage_counts)
        passages.append(np.asarray(passage_vectors))
        sentences.extend(sentence_vectors)
        if len(hashes) >= self.round_articles:
            self._waiting = ([], [], [], [])
            self._write_round(hashes, counts, np.concatenate(passages), sentences)

    def _write_round(
        self,
        content_hashes: Sequence[str],
        passage_counts: Sequence[int],
        passage_vectors: np.ndarray,
        sentence_vectors: Sequence[np.ndarray],
    ) -> None:
        name = f"round-{uuid.uuid4().hex[:12]}"
        owned = [len(v) for v in sentence_vectors]
        cuts = np.cumsum((0, *passage_counts))
        described: dict[str, object] = {
            "content_hashes": list(content_hashes),
            "per_passage": [owned[a:b] for a, b in itertools.pairwise(cuts)],
        }
        round_bytes = passage_vectors.size * 4 + sum(v.size for v in sentence_vectors) * 2
        try:
            free = shutil.disk_usage(self.folder.parent.parent).free  # the index folder
            if free < FREE_SPACE_MARGIN + 2 * (self._saved_bytes + round_bytes):
                self._saving = False  # the build's own files come first
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            for kind, array in (
                ("passages", np.asarray(passage_vectors, dtype=np.float32)),
                ("sentences", np.concatenate(sentence_vectors).astype(np.float16)),
            ):
                buffer = io.BytesIO()  # a round is small: ~1.5 KB a passage
                np.save(buffer, array)
                _write_durably(self._file(name, kind), buffer.getvalue())
                described[f"{kind}_digest"] = file_digest(self._file(name, kind))
            # Last, and durable before it names them: a round with its JSON is complete.
            _write_durably(self.folder / f"{name}.json", json.dumps(described).encode())
            fsync_dir(self.folder)
            self._saved_bytes += round_bytes
        except OSError:
            self._saving = False  # a full disk: the build goes on, this round is embedded again next time

    def _file(self, name: str, kind: str) -> Path:
        return self.folder / f"{name}.{kind}.npy"

    def _read(self) -> dict[str, _Place]:
        if self._places is None:
            self._places = {}
            for described in sorted(self.folder.glob("round-*.json")):
                self._places.update(_places_of(described, self.dim))
        return self._places


def saved_rounds(index_dir: Path) -> tuple[int, int]:
    """How many rounds stopped builds saved in `index_dir`/.resume/ (any settings), and the
    bytes `.resume/` takes (what `qa info` and Ctrl-C's message say).

    Example:
        >>> saved_rounds(Path("/nonexistent/index"))
        (0, 0)
    """
    folder = Path(index_dir) / RESUME_DIR
    try:
        rounds = sum(1 for _ in folder.glob("*/round-*.json"))
        return rounds, sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    except OSError:
        return 0, 0


def saved_articles(index_dir: Path) -> int:
    """How many articles' vectors stopped builds saved in `index_dir`/.resume/ (any
    settings): what Ctrl-C's message promises the next build takes up. Not every article
    embedded: the last round short of `round_articles`, and all after the disk ran low, are
    not saved.

    Example:
        >>> saved_articles(Path("/nonexistent/index"))
        0
    """
    count = 0
    for described in (Path(index_dir) / RESUME_DIR).glob("*/round-*.json"):
        with suppress(OSError, ValueError, KeyError, TypeError):
            count += len(json.loads(described.read_text())["content_hashes"])
    return count


def discard_saved(saved: SavedVectors) -> None:
    """Delete what stopped builds saved for these settings (once a build with them has
    published, or found nothing to do), and `.resume/` itself once no other settings' are left.

    A build with other settings (another model, `--passage-tokens`) leaves theirs: the build
    they belong to may be run again.

    Example:
        >>> discard_saved(SavedVectors(Path("/nonexistent/index"), {}, dim=4))  # nothing there: nothing to do
    """
    shutil.rmtree(saved.folder, ignore_errors=True)
    if saved.folder.parent.is_file():  # not ours to keep: nothing could be saved in it
        saved.folder.parent.unlink()
    with suppress(OSError):  # others left: kept
        saved.folder.parent.rmdir()


def _places_of(described: Path, dim: int) -> dict[str, _Place]:
    """The articles of one saved round, or none if it is incomplete or damaged."""
    name = described.name.removesuffix(".json")
    passages_file = described.with_name(f"{name}.passages.npy")
    sentences_file = described.with_name(f"{name}.sentences.npy")
    try:
        data = json.loads(described.read_text())
        hashes, per_passage = list(data["content_hashes"]), [tuple(map(int, p)) for p in data["per_passage"]]
        if file_digest(passages_file) != data["passages_digest"]:
            return {}
        if file_digest(sentences_file) != data["sentences_digest"]:
            return {}
        passage_rows = _rows(passages_file, np.float32, dim)
        sentence_rows = _rows(sentences_file, np.float16, dim)
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if len(hashes) != len(per_passage) or passage_rows != sum(map(len, per_passage)):
        return {}
    if sentence_rows != sum(map(sum, per_passage)):
        return {}
    places, p, s = {}, 0, 0
    for content_hash, counts in zip(hashes, per_passage):
        places[str(content_hash)] = _Place(name, p, s, counts)
        p, s = p + len(counts), s + sum(counts)
    return places


def _header(handle: BinaryIO) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype of the .npy file open in `handle`, leaving it at the first row."""
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    read = readers.get(np.lib.format.read_magic(handle))
    if read is None:
        raise ValueError("not a .npy file np.save writes")
    shape, fortran, dtype = read(handle)
    if fortran or len(shape) != 2:
        raise ValueError("not a matrix of rows")
    return shape, dtype


def _rows(path: Path, dtype: type, width: int) -> int:
    """The rows of the matrix in a .npy file, which must be of `dtype` and `width`."""
    with open(path, "rb") as handle:
        (rows, columns), kind = _header(handle)
    if kind != np.dtype(dtype) or columns != width:
        raise ValueError(f"{path.name} holds {kind} vectors of width {columns}, not {np.dtype(dtype)} of {width}")
    return rows


def _read_rows(path: Path, start: int, count: int) -> np.ndarray:
    """Rows `start` to `start + count` of the matrix in a .npy file, read (not mapped)."""
    with open(path, "rb") as handle:
        (rows, width), dtype = _header(handle)
        if start + count > rows:
            raise ValueError(f"{path} has {rows} rows, not {start + count}")
        handle.seek(start * width * dtype.itemsize, os.SEEK_CUR)
        return np.fromfile(handle, dtype=dtype, count=count * width).reshape(count, width)


def _write_durably(path: Path, data: bytes) -> None:
    """Write `data` to a file under a temporary name, fsync it, rename it."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
