"""File names of an index folder, its format version, and the pointer to the live generation:
read here (`current_generation`) and written here (`publish_generation`)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ..errors import IndexCorruptError, IndexNotFoundError
from ..wording import shell_path

# 4: one name for an article's identity (`article_id`) and its publisher in the store.
# 5: a delta segment beside the base; BM25 postings (term frequencies) instead of bm25s scores.
FORMAT_VERSION = 5
CHUNKER = "nupunkt/whole-sentences-v2"
STORE_FILE = "store.sqlite"
VECTORS_FILE = "vectors.faiss"
BM25_DIR = "bm25"
DELTA_DIR = "delta"  # the delta segment: the same three parts, plus the base articles it removes
MANIFEST_FILE = "manifest.json"
CATALOG_FILE = "articles.json"  # per-article content hashes and file stamps: read by builds only
POINTER_FILE = "CURRENT"
LOCK_FILE = ".lock"  # held by the build running in the folder
FEEDBACK_FILE = "feedback.jsonl"  # the chat's ratings, beside the generations (qa.feedback writes it)
FEEDBACK_KEY_FILE = ".feedback-key"  # signs what a thumb records (qa.feedback.feedback_key)
GENERATION_PREFIX = "gen-"
# What an index folder holds before its first build, besides hidden files (.lock, .build-*,
# editors' and OSes' own): the repo's index/README.md and the chat's ratings.
INDEX_FOLDER_FILES = ("README.md", FEEDBACK_FILE)


def is_base_file(name: str) -> bool:
    """Whether a file of a generation (its name in the manifest) belongs to the base segment,
    which updates share by hard link: the base store, vectors and postings, nothing else.

    Example:
        >>> is_base_file("bm25/docs.npy"), is_base_file("delta/store.sqlite"), is_base_file("articles.json")
        (True, False, False)
    """
    return name in (STORE_FILE, VECTORS_FILE) or name.startswith(BM25_DIR + "/")


def build_folder_of(folder: Path) -> Path | None:
    """The index folder whose build `folder` is (`index/gen-…` → `index`), or None: `--index
    index/gen-…` was taken for a folder of articles (it holds articles.json) or of other files.

    Example:
        >>> build_folder_of(Path("/nonexistent/gen-20261203T093454-f1e9")) is None
        True
    """
    parent = folder.parent
    named = folder.name.startswith(GENERATION_PREFIX) and (folder / MANIFEST_FILE).is_file()
    return parent if named and (parent / POINTER_FILE).is_file() else None


def rebuild_from_folder(index_dir: Path) -> str:
    """The fix for an index whose record of its articles folder is lost with it (its pointer
    or manifest): `qa index` would otherwise rebuild it from the default folder."""
    return (
        f"Rebuild with: qa index --full --index {shell_path(index_dir)} --articles FOLDER "
        "(the folder of articles it was built from)"
    )


def current_generation(index_dir: Path) -> Path | None:
    """The folder of the live generation, or None when nothing was ever built.

    Example:
        >>> current_generation(Path("/nonexistent")) is None
        True
    """
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexNotFoundError(f"{index_dir} is a file, not an index folder; pass --index with a folder.")
    try:
        name = (index_dir / POINTER_FILE).read_bytes().decode("utf-8").strip()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        name = ""
    unreadable = not name or "/" in name or "\\" in name or name.startswith(".") or not name.isprintable()
    # LevelDB and RocksDB keep a CURRENT file too; beside qa's builds, another name is damage.
    if unreadable or (not name.startswith(GENERATION_PREFIX) and _holds_builds(index_dir)):
        raise IndexCorruptError(f"{index_dir / POINTER_FILE} is damaged. {rebuild_from_folder(index_dir)}")
    if not name.startswith(GENERATION_PREFIX):
        raise IndexNotFoundError(
            f"{index_dir / POINTER_FILE} names {name[:40]!r}, not a build of qa's ({GENERATION_PREFIX}…): {index_dir}/ "
            "looks like another program's folder. Pass --index with a qa index, or a new folder to build one in."
        )
    return index_dir / name


def is_index_folder(folder: Path) -> bool:
    """Does `folder` hold a qa index: a pointer naming a build of it, with its manifest? (Not a
    folder of articles that holds a file named CURRENT and a subfolder "gen-z/".)

    Example:
        >>> is_index_folder(Path("/nonexistent"))
        False
    """
    try:
        if (folder / POINTER_FILE).stat().st_size > 256:  # a pointer is one name: not read whole
            return False
        generation = current_generation(folder)
    except (IndexCorruptError, IndexNotFoundError, OSError):  # no pointer, another program's, or unreadable
        return False
    return generation is not None and (generation / MANIFEST_FILE).is_file()


def _holds_builds(index_dir: Path) -> bool:
    """Does the folder hold a build of qa's (a `gen-…` folder with its manifest)?"""
    return any((build / MANIFEST_FILE).is_file() for build in index_dir.glob(f"{GENERATION_PREFIX}*"))


def publish_generation(index_dir: Path, work: Path) -> Path:
    """Make the complete generation in `work` the live one: rename it to `gen-<time>-…`, then
    replace `CURRENT` atomically (written, fsynced, renamed over; the folder fsynced): a
    reader sees the old generation or the new one, never neither, even after a power cut."""
    # Microseconds: names sort in publication order (cleanup keeps the generation before the live one).
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    generation = index_dir / f"{GENERATION_PREFIX}{stamp}-{work.name.rsplit('-', 1)[-1]}"
    work.rename(generation)
    pointer = index_dir / f".{POINTER_FILE}.tmp"
    with open(pointer, "w") as handle:
        handle.write(generation.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / POINTER_FILE)
    fsync_dir(index_dir)
    return generation


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (a rename, a new file) durable (POSIX; elsewhere a no-op)."""
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
