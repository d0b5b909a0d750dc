"""The manifest: what an index generation holds and how it was made (`manifest.json`).

An index describes itself: format version, model, the settings that decide its content
(their fingerprint), counts, per-article content hashes, and the size and hash of every
file. Loading compares it with the configured model and settings, and the files with it.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..articles import FileStamp
from ..config import Settings
from ..embedding import ModelInfo, model_reference
from ..errors import IndexCorruptError, IndexMismatchError, QAError
from ..wording import shell_path
from .layout import CATALOG_FILE, CHUNKER, FORMAT_VERSION, MANIFEST_FILE, current_generation, rebuild_from_folder


@dataclass(frozen=True)
class Counts:
    """How many articles, passages and sentences an index holds."""

    articles: int
    passages: int
    sentences: int


@dataclass(frozen=True)
class FileEntry:
    """Size, content hash (XXH3-128, hex) and modification time of one file of a generation."""

    bytes: int
    xxh3: str
    mtime_ns: int = 0  # when it was hashed: a build trusts a file whose size and time are unchanged


@dataclass(frozen=True)
class VectorIndexInfo:
    """The FAISS index type (factory string) and how many vectors it holds."""

    factory: str
    ntotal: int
    metric: str = "inner_product"


@dataclass(frozen=True)
class Manifest:
    """The parsed `manifest.json` of a generation.

    Example:
        >>> manifest = Manifest.read(current_generation(Path("index")))  # doctest: +SKIP
        >>> manifest.counts.articles  # doctest: +SKIP
        1
    """

    model: ModelInfo
    settings: dict[str, Any]  # the fingerprint fields: a change means a full rebuild
    counts: Counts
    vector_index: VectorIndexInfo
    articles: dict[str, str]  # article_id -> content hash (from the catalog: read with catalog=True)
    files: dict[str, FileEntry]  # path in the generation -> size and hash
    built_at: str
    passage_tokens: int
    overlap_sentences: int
    tokens_embedded: int = 0
    passages_embedded: int = 0
    passages_copied: int = 0  # from articles of the same text under another id (a moved file)
    passages_resumed: int = 0  # whose vectors a stopped build had saved (qa.resume)
    versions: dict[str, str] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    sources: dict[str, FileStamp] = field(default_factory=dict)  # article files as last read (catalog)
    articles_dir: str = ""  # the folder the articles were read from, resolved ("" before it was recorded)
    # How that folder was read (follow_links, max_file_mb): the next build reads it alike unless
    # told otherwise, or a plain `qa index` after `--follow-links` removed the linked articles.
    reading: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """A short digest of `settings`: equal fingerprints, interchangeable indexes."""
        return hashlib.sha256(json.dumps(self.settings, sort_keys=True).encode()).hexdigest()[:16]

    def to_json(self) -> str:
        data = {
            "format_version": self.format_version,
            "model": asdict(self.model),
            "settings": self.settings,
            "fingerprint": self.fingerprint,
            "chunking": {"passage_tokens": self.passage_tokens, "overlap_sentences": self.overlap_sentences},
            "counts": asdict(self.counts),
            "vector_index": asdict(self.vector_index),
            "files": {name: asdict(entry) for name, entry in self.files.items()},
            "versions": self.versions,
            "built_at": self.built_at,
            "articles_dir": self.articles_dir,
            "reading": self.reading,
            "build": {
                "tokens_embedded": self.tokens_embedded,
                "passages_embedded": self.passages_embedded,
                "passages_copied": self.passages_copied,
                "passages_resumed": self.passages_resumed,
            },
        }
        # One line per key, each value compact: readable, and written by json's C encoder
        # (with `indent`, json falls back to Python: 4 s for 100k articles instead of 0.3 s).
        lines = ",\n".join(
            f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in data.items()
        )
        return "{\n" + lines + "\n}\n"

    @classmethod
    def read(cls, generation: Path, catalog: bool = False) -> Manifest:
        """Parse `generation/manifest.json`, and with `catalog` the per-article catalog
        (`articles.json`: content hashes and article files as last read), which only builds
        need: at 100k articles it is 17 MB that a serving process would parse and hold.

        Raises IndexMismatchError for another format version (checked first, so an old
        index says "rebuild" rather than "damaged") and IndexCorruptError for a missing,
        damaged or foreign file.
        """
        path = generation / MANIFEST_FILE
        rebuild = f"Rebuild with: qa index --full --index {shell_path(generation.parent)}"
        lost = rebuild_from_folder(generation.parent)  # the manifest records the folder
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise IndexCorruptError(f"{path} is missing. {lost}") from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise IndexCorruptError(f"{path} is damaged. {lost}") from None
        if not isinstance(data, dict) or "format_version" not in data:
            raise IndexCorruptError(f"{path} is not an index manifest. {lost}")
        if data["format_version"] != FORMAT_VERSION:
            newer = isinstance(data["format_version"], int) and data["format_version"] > FORMAT_VERSION
            # A newer qa wrote it: rebuilding would throw its work away for an older format.
            fix = "It was written by a newer qa: upgrade qa to read it, or rebuild it for this one. " if newer else ""
            raise IndexMismatchError(
                f"Index {generation.parent} has format version {data['format_version']}, "
                f"this version of qa reads version {FORMAT_VERSION}. {fix}{rebuild}",
                newer=newer,
            )
        try:
            manifest = cls(
                model=ModelInfo(**data["model"]),
                settings=dict(data["settings"]),
                counts=Counts(**data["counts"]),
                vector_index=VectorIndexInfo(**data["vector_index"]),
                articles={},
                files={name: FileEntry(**entry) for name, entry in data["files"].items()},
                built_at=str(data["built_at"]),
                passage_tokens=int(data["chunking"]["passage_tokens"]),
                overlap_sentences=int(data["chunking"]["overlap_sentences"]),
                tokens_embedded=int(data["build"]["tokens_embedded"]),
                passages_embedded=int(data["build"]["passages_embedded"]),
                passages_copied=int(data["build"].get("passages_copied", 0)),  # optional: older indexes lack it
                passages_resumed=int(data["build"].get("passages_resumed", 0)),  # optional too
                versions=dict(data["versions"]),
                articles_dir=str(data.get("articles_dir", "")),  # optional: older indexes lack it
                reading=dict(data.get("reading", {})),  # optional too
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise IndexCorruptError(f"{path} is damaged (fields missing or of the wrong type). {rebuild}") from None
        return _with_catalog(manifest, generation, rebuild) if catalog else manifest

    def write_catalog(self, generation: Path) -> None:
        """Write `articles.json` (before `describe_files`, which hashes it with the other files).

        Columns, not one object per article: json parses lists of strings ~10x faster than
        a dict of small objects (0.1 s instead of 0.8 s at 100k articles).
        """
        columns = {
            "articles": {"ids": list(self.articles), "content_hashes": list(self.articles.values())},
            "sources": {
                "paths": list(self.sources),
                "bytes": [s.size for s in self.sources.values()],
                "mtime_ns": [s.mtime_ns for s in self.sources.values()],
                "ctime_ns": [s.ctime_ns for s in self.sources.values()],
                "articles": [list(s.articles) for s in self.sources.values()],
                "skipped": [[list(x) for x in s.skipped] for s in self.sources.values()],
                "warnings": [[list(x) for x in s.warnings] for s in self.sources.values()],
            },
        }
        (generation / CATALOG_FILE).write_text(json.dumps(columns, ensure_ascii=False), encoding="utf-8")

    def write(self, generation: Path) -> None:
        (generation / MANIFEST_FILE).write_text(self.to_json())


def _with_catalog(manifest: Manifest, generation: Path, rebuild: str) -> Manifest:
    """`manifest` with the articles and files of its catalog; a damaged catalog is named as
    such (it was reported as a damaged manifest.json, which sent users to the wrong file)."""
    path = generation / CATALOG_FILE
    try:
        columns = json.loads(path.read_bytes().decode("utf-8"))
        articles = columns["articles"]
        return replace(
            manifest,
            articles=dict(zip(articles["ids"], articles["content_hashes"], strict=True)),
            sources=_sources(columns["sources"]),
        )
    except FileNotFoundError:
        raise IndexCorruptError(f"{path} is missing. {rebuild}") from None
    except (KeyError, TypeError, ValueError, AttributeError, UnicodeDecodeError):
        raise IndexCorruptError(f"{path} is damaged (fields missing or of the wrong type). {rebuild}") from None


def _sources(columns: dict[str, list[Any]]) -> dict[str, FileStamp]:
    paths, sizes, times, ids = (columns[k] for k in ("paths", "bytes", "mtime_ns", "articles"))
    # Catalogs written before files kept their problems (or change times) have no such columns.
    skipped = columns.get("skipped") or [[]] * len(paths)
    warnings = columns.get("warnings") or [[]] * len(paths)
    changed = columns.get("ctime_ns") or [0] * len(paths)
    if not len(paths) == len(sizes) == len(times) == len(ids) == len(skipped) == len(warnings) == len(changed):
        raise ValueError("source columns of different lengths")
    return {
        path: FileStamp(size, mtime, tuple(i), tuple(map(tuple, s)), tuple(map(tuple, w)), ctime)
        for path, size, mtime, i, s, w, ctime in zip(paths, sizes, times, ids, skipped, warnings, changed)
    }


def settings_fingerprint(model_fingerprint: str, settings: Settings) -> dict[str, Any]:
    """What decides the content of an index; any change forces a full rebuild.

    Example:
        >>> settings_fingerprint("abc", Settings())["passage_tokens"]
        256
    """
    return {
        "format_version": FORMAT_VERSION,
        "model_fingerprint": model_fingerprint,
        "passage_tokens": settings.passage_tokens,
        "overlap_sentences": settings.overlap_sentences,
        "chunking": CHUNKER,
    }


def check_compatible(manifest: Manifest, wanted: dict[str, Any], index_dir: Path, model_name: str) -> None:
    """Raise IndexMismatchError naming both sides when the index was built with another model
    than the one that would embed its questions.

    Only the model matters for reading: the passage size and overlap decided how articles were
    cut when they were indexed, and answering reads the passages as they were cut (an app
    pointed at an index built with --passage-tokens 128 answered from it only once it had
    copied that setting; `build_index` still rebuilds for other chunking settings).
    """
    built = manifest.settings
    if built.get("model_fingerprint") == wanted["model_fingerprint"]:
        return
    rebuild = f"qa index --full --index {shell_path(index_dir)}"
    if manifest.model.name in (model_name, model_reference(model_name)):  # the same model: its files changed
        raise IndexMismatchError(
            f"Index {index_dir} was built with other files of model {model_name!r} (fingerprint "
            f"{built.get('model_fingerprint')}, here {wanted['model_fingerprint']}): the model was updated or "
            f"replaced since. Rebuild it with: {rebuild}"
        )
    raise IndexMismatchError(
        f"Index {index_dir} was built with model {manifest.model.name!r}, but the configured model is "
        f"{model_name!r}. Rebuild it with: {rebuild} --model {shell_path(model_name)} (or use the index as it is "
        f"with --model {shell_path(manifest.model.name)} / QA_MODEL={shell_path(manifest.model.name)}; "
        f"from Python, Settings(model={manifest.model.name!r}))."
    )


def file_digest(path: Path) -> str:
    """XXH3-128 of a file's content, hex.

    Every load hashes every index file, so the hash must cost little next to reading the
    files: XXH3 over a memory map runs at ~26 GB/s here (files in the page cache), sha256 at
    1.7 GB/s (a 1M-passage index is ~6 GB: 0.25 s against 3.6 s). Each slice is dropped from
    the mapping once hashed: the pages stay in the page cache, but not in this process's
    resident memory (hashing a 1.5 GB file whole took the peak RSS up by 1.5 GB; sliced, 76 MB).
    It detects damage, not tampering by someone who can also rewrite the manifest.

    Example:
        >>> file_digest(Path("seeds/carney-china-trip.txt"))  # doctest: +SKIP
        '5f0c...'
    """
    import xxhash

    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            return digest.hexdigest()
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped, memoryview(mapped) as view:
            for start in range(0, size, _HASH_SLICE):
                digest.update(view[start : start + _HASH_SLICE])
                if hasattr(mapped, "madvise"):  # not on Windows
                    mapped.madvise(mmap.MADV_DONTNEED, start, min(_HASH_SLICE, size - start))
    return digest.hexdigest()


_HASH_SLICE = 1 << 26  # 64 MB


def copy_verified(source: Path, target: Path, expected: FileEntry) -> None:
    """Copy a file of a live generation, hashing the bytes copied; IndexCorruptError (and
    no copy) when they differ from the manifest, so a build never carries damage forward."""
    import xxhash

    digest = xxhash.xxh3_128()
    with open(source, "rb") as src, open(target, "wb") as dst:
        for block in iter(lambda: src.read(1 << 22), b""):
            digest.update(block)
            dst.write(block)
    if digest.hexdigest() != expected.xxh3:
        target.unlink(missing_ok=True)
        raise IndexCorruptError(f"{source} differs from its manifest (damaged). Rebuild with: qa index --full")


def describe_files(generation: Path, known: Mapping[str, FileEntry] | None = None) -> dict[str, FileEntry]:
    """Size, hash and time of every file of a generation except the manifest itself. Files in
    `known` (shared by hard link with the generation just checked) keep their known hash."""
    known = known or {}
    return {
        name: FileEntry(stat.st_size, known[name].xxh3, stat.st_mtime_ns)
        if name in known
        else FileEntry(stat.st_size, file_digest(path), stat.st_mtime_ns)
        for path in sorted(generation.rglob("*"))
        if path.is_file() and path.name != MANIFEST_FILE
        for name in [path.relative_to(generation).as_posix()]
        for stat in [path.stat()]
    }


def file_problems(
    generation: Path,
    manifest: Manifest,
    skip: Callable[[str], bool] | None = None,
    trust_unchanged: bool = False,
) -> list[str]:
    """What differs between the files of a generation and its manifest (empty: all match):
    missing files, other sizes (truncation), other content hashes (damage). Files for
    which `skip(name)` is true are not checked (already verified, e.g. shared by hard link).
    With `trust_unchanged`, a file whose size and modification time are those recorded when
    it was hashed is not hashed again (what an update does; loading always hashes)."""
    problems = []
    for name, expected in manifest.files.items():
        if skip is not None and skip(name):
            continue
        path = generation / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif (stat := path.stat()).st_size != expected.bytes:
            problems.append(
                f"{name} is {stat.st_size} bytes, the manifest says {expected.bytes}: the file is truncated or damaged"
            )
        elif trust_unchanged and expected.mtime_ns and stat.st_mtime_ns == expected.mtime_ns:
            continue
        elif file_digest(path) != expected.xxh3:
            problems.append(f"{name}: content differs from the manifest (damaged)")
    return problems


def recorded_articles_dir(index_dir: Path) -> Path | None:
    """The articles folder the live build of `index_dir` records, read leniently: for an index
    `Manifest.read` refuses (damaged, or of another format version), so that rebuilding it does
    not fall back on the default folder. None where the index does not say (or there is none).

    Example:
        >>> recorded_articles_dir(Path("/nonexistent")) is None
        True
    """
    try:
        generation = current_generation(Path(index_dir))
        if generation is None:
            return None
        data = json.loads((generation / MANIFEST_FILE).read_bytes().decode("utf-8"))
    except (QAError, OSError, ValueError):
        return None
    folder = data.get("articles_dir") if isinstance(data, dict) else None
    return Path(folder) if isinstance(folder, str) and folder else None
