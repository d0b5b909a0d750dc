"""What a build embedded before it was stopped, kept for the next build to take up.

A build publishes nothing until it is complete (`qa.build`), so a build stopped after
hours of embedding (Ctrl-C, `kill -9`, a power cut, a full disk) used to leave the old index
intact but its own work lost: the next build embedded everything again. So each round of
articles a build embeds is also saved here, in `<index>/.resume/<settings key>/`, as it goes.
The next build with the same model and chunking (the key) takes the vectors of any article
of the same text from here instead of embedding it again, and deletes the folder once it has
published. Saving is best effort: a round that cannot be saved (a full disk) is embedded
again next time, nothing worse.

One round is three files: the vectors of its passages (float32, as the vector index gets
them), of its sentences (float16, as the store keeps them) and, written last, a JSON that
names its articles' content hashes and how many passages and sentences each has. A round
whose JSON is missing or does not match its vectors (a build killed while writing it) is
ignored.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RESUME_DIR = ".resume"


@dataclass(frozen=True)
class _Place:
    """Where one article's vectors lie in a saved round."""

    round: str
    passages: int  # first row in the round's passage vectors
    sentences: int  # first row in its sentence vectors
    per_passage: tuple[int, ...]  # sentences owned by each passage


class SavedVectors:
    """The vectors saved by builds of one index with one settings fingerprint.

    Example:
        >>> saved = SavedVectors(Path("index"), {"model_fingerprint": "abc"})  # doctest: +SKIP
        >>> saved.save(["hash"], [1], np.ones((1, 4)), [np.ones((2, 4))])  # doctest: +SKIP
        >>> saved.vectors_of("hash", (2,))[0].shape  # doctest: +SKIP
        (1, 4)
    """

    def __init__(self, index_dir: Path, fingerprint: Mapping[str, object]) -> None:
        key = hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()[:16]
        self.folder = Path(index_dir) / RESUME_DIR / key
        self._places: dict[str, _Place] | None = None  # read on first use
        self._rounds: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._saving = True

    def any(self) -> bool:
        """Whether a stopped build saved anything for these settings."""
        return bool(self._read())

    def holds(self, content_hash: str) -> bool:
        """Whether vectors of an article with this text were saved."""
        return content_hash in self._read()

    def vectors_of(self, content_hash: str, per_passage: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]] | None:
        """The saved passage vectors and, per passage, its sentences' vectors (float32) of the
        article with this text, or None when none were saved or they were split otherwise
        (`per_passage`: the sentences each passage owns, as the article is split now)."""
        place = self._read().get(content_hash)
        if place is None or place.per_passage != tuple(per_passage):
            return None
        passages, sentences = self._round(place.round)
        vectors = np.asarray(passages[place.passages : place.passages + len(per_passage)], dtype=np.float32)
        cuts = np.cumsum((place.sentences, *per_passage))
        return vectors, [np.asarray(sentences[a:b], dtype=np.float32) for a, b in itertools.pairwise(cuts)]

    def save(
        self,
        content_hashes: Sequence[str],
        passage_counts: Sequence[int],
        passage_vectors: np.ndarray,
        sentence_vectors: Sequence[np.ndarray],
    ) -> None:
        """Save one round: its articles' content hashes and passage counts, the vectors of
        their passages (in order) and, per passage, the vectors of the sentences it owns."""
        if not self._saving or not content_hashes:
            return
        name = f"round-{uuid.uuid4().hex[:12]}"
        owned = [len(v) for v in sentence_vectors]
        cuts = np.cumsum((0, *passage_counts))
        per_passage = [owned[a:b] for a, b in itertools.pairwise(cuts)]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_array(self.folder / f"{name}.passages.npy", np.asarray(passage_vectors, dtype=np.float32))
            _write_array(self.folder / f"{name}.sentences.npy", np.concatenate(sentence_vectors).astype(np.float16))
            described = {"content_hashes": list(content_hashes), "per_passage": per_passage}
            _write_text(self.folder / f"{name}.json", json.dumps(described))  # last: the round is complete
        except OSError:
            self._saving = False  # a full disk: the build goes on, this round is embedded again next time

    def _read(self) -> dict[str, _Place]:
        if self._places is None:
            self._places = {}
            for described in sorted(self.folder.glob("round-*.json")):
                self._places.update(_places_of(described))
        return self._places

    def _round(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self._rounds:
            self._rounds[name] = (
                np.load(self.folder / f"{name}.passages.npy", mmap_mode="r"),
                np.load(self.folder / f"{name}.sentences.npy", mmap_mode="r"),
            )
        return self._rounds[name]


def discard_saved(index_dir: Path) -> None:
    """Delete what stopped builds saved (once a build has published, or found nothing to do)."""
    shutil.rmtree(Path(index_dir) / RESUME_DIR, ignore_errors=True)


def _places_of(described: Path) -> dict[str, _Place]:
    """The articles of one saved round, or none if it is incomplete or damaged."""
    name = described.name.removesuffix(".json")
    try:
        data = json.loads(described.read_text())
        hashes, per_passage = list(data["content_hashes"]), [tuple(map(int, p)) for p in data["per_passage"]]
        passages = np.load(described.with_name(f"{name}.passages.npy"), mmap_mode="r")
        sentences = np.load(described.with_name(f"{name}.sentences.npy"), mmap_mode="r")
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if len(hashes) != len(per_passage) or passages.shape[0] != sum(map(len, per_passage)):
        return {}
    if sentences.shape[0] != sum(map(sum, per_passage)):
        return {}
    places, p, s = {}, 0, 0
    for content_hash, counts in zip(hashes, per_passage):
        places[str(content_hash)] = _Place(name, p, s, counts)
        p, s = p + len(counts), s + sum(counts)
    return places


def _write_array(path: Path, array: np.ndarray) -> None:
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as out:
        np.save(out, array)
    os.replace(partial, path)


def _write_text(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)
