"""Settings: defaults, overridden by environment variables, overridden by CLI flags.

One frozen `Settings` value travels from the edge (CLI, UI, Python caller) to the
functions that need it, so no module reads `QA_*` variables on its own.

| setting          | env var            | default                  |
|------------------|--------------------|--------------------------|
| model            | QA_MODEL           | all-MiniLM-L6-v2 (bundled) |
| index_dir        | QA_INDEX           | index                    |
| articles_dir     | QA_ARTICLES        | seeds                    |
| passage_tokens   | QA_PASSAGE_TOKENS  | 256                      |
| overlap_sentences | (Python only)     | 1                        |
| max_file_mb      | QA_MAX_FILE_MB     | 50                       |
| batch_size       | QA_BATCH_SIZE      | 32                       |
| vector_index     | QA_VECTOR_INDEX    | auto                     |
| abstain_below    | QA_ABSTAIN_BELOW   | 0.12                     |
| cache_dir        | QA_CACHE_DIR       | ~/.cache/qa              |
| follow_links     | QA_FOLLOW_LINKS    | false                    |
| ray_address      | (--ray; RAY_ADDRESS) | none: build locally  |
| ray_workers      | (--ray-workers)    | one per cluster CPU      |
"""

from __future__ import annotations

import operator
import os
from collections.abc import Collection
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

DEFAULT_MAX_FILE_MB = 50.0  # the largest article file read; a bigger one is skipped with its reason

DEFAULT_MODEL = "all-MiniLM-L6-v2"

_ENV = {
    "model": "QA_MODEL",
    "index_dir": "QA_INDEX",
    "articles_dir": "QA_ARTICLES",
    "passage_tokens": "QA_PASSAGE_TOKENS",
    "max_file_mb": "QA_MAX_FILE_MB",
    "batch_size": "QA_BATCH_SIZE",
    "vector_index": "QA_VECTOR_INDEX",
    "cache_dir": "QA_CACHE_DIR",
    "abstain_below": "QA_ABSTAIN_BELOW",
    "follow_links": "QA_FOLLOW_LINKS",
}


@dataclass(frozen=True)
class Settings:
    """Everything that can be configured, with working defaults.

    Example:
        >>> Settings(passage_tokens=96).passage_tokens
        96
    """

    model: str = DEFAULT_MODEL
    index_dir: Path = Path("index")
    articles_dir: Path = Path("seeds")
    # Passages are whole sentences up to this many tokens, title and special tokens
    # included (all-MiniLM-L6-v2 reads 256). 128 retrieved no better on SQuAD and embeds
    # ~12% more tokens (docs/benchmarks.md).
    passage_tokens: int = 256
    overlap_sentences: int = 1
    max_file_mb: float = DEFAULT_MAX_FILE_MB
    batch_size: int = 32
    # "auto" picks exact search for small corpora and IVF above a measured size; any FAISS
    # factory string (e.g. "IVF4096,Flat") forces that type.
    vector_index: str = "auto"
    cache_dir: Path = Path("~/.cache/qa")
    # Answer only when the confidence (0-1) reaches this; 0 never abstains. 0.12: the highest
    # threshold that abstains on at most 3% of answerable SQuAD *train* questions (92% of
    # those whose article is absent, 66% of those asked without the passages that answer
    # them); bench/fit_answering.py, docs/benchmarks.md.
    abstain_below: float = 0.12
    # Read symbolic links that lead outside the articles folder (off: a link to /etc/passwd
    # in the folder must not become a quotable article).
    follow_links: bool = False
    # Build on a Ray cluster (qa/cluster.py): None builds in this process; "" is Ray's own
    # choice (RAY_ADDRESS, else a cluster started on this machine, else a new local one);
    # otherwise an address such as "head-node:6379", "ray://head-node:10001" or "local".
    # Not read from the environment here: RAY_ADDRESS alone must not move every build.
    ray_address: str | None = None
    ray_workers: int | None = None  # Ray workers (one CPU and one encoder each); None: all CPUs

    if TYPE_CHECKING:  # for type checkers only: the folders may be given as text, as at run time
        # (dataclass writes the real __init__; tests/test_config.py keeps the two alike)
        def __init__(
            self,
            model: str = DEFAULT_MODEL,
            index_dir: Path | str = Path("index"),
            articles_dir: Path | str = Path("seeds"),
            passage_tokens: int = 256,
            overlap_sentences: int = 1,
            max_file_mb: float = DEFAULT_MAX_FILE_MB,
            batch_size: int = 32,
            vector_index: str = "auto",
            cache_dir: Path | str = Path("~/.cache/qa"),
            abstain_below: float = 0.12,
            follow_links: bool = False,
            ray_address: str | None = None,
            ray_workers: int | None = None,
        ) -> None: ...

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_type(f.name, str(f.type), getattr(self, f.name))
        for name in ("index_dir", "articles_dir", "cache_dir"):  # Settings(index_dir="news-index") works too
            if not str(getattr(self, name)).strip():  # Path("") is ".": the current folder, unasked
                default = next(f.default for f in fields(self) if f.name == name)
                raise ConfigError(f"{name}={str(getattr(self, name))!r} is empty; name a folder (default {default}).")
            # "~/news" means the home folder's, not a folder named "~" (QA_INDEX='~/x', --index=~/x).
            # os.path's expanduser leaves what it cannot expand as it is (Path's raised a
            # RuntimeError, a traceback, for "~nosuchuser/x" or with no home folder at all).
            if name == "cache_dir":  # its default needs a home folder: refused at use (cache_path)
                object.__setattr__(self, name, _tilde_kept(os.path.expanduser(self.cache_dir)))
            else:
                object.__setattr__(self, name, home_expanded(name, getattr(self, name)))
        if self.passage_tokens < 16:
            raise ConfigError(f"passage_tokens={self.passage_tokens} is too small; use 16 or more (default 256).")
        if self.overlap_sentences < 0:
            raise ConfigError(f"overlap_sentences={self.overlap_sentences} must be 0 or more.")
        if not 0 < self.max_file_mb < 1024 * 1024:  # NaN fails too
            raise ConfigError(f"max_file_mb={self.max_file_mb} must be a positive number of MB (default 50).")
        if self.passage_tokens > 8192:
            raise ConfigError(f"passage_tokens={self.passage_tokens} is too large; use 8192 or less (default 256).")
        if not 0 <= self.abstain_below <= 1:
            raise ConfigError(f"abstain_below={self.abstain_below} must be between 0 and 1 (default 0.12).")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size={self.batch_size} must be at least 1 (default 32).")
        if self.ray_workers is not None and self.ray_workers < 1:
            raise ConfigError(f"ray_workers={self.ray_workers} must be at least 1 (default: one per CPU).")

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def cache_path(self) -> Path:
        """The model cache folder; its default `~/.cache/qa` needs a home folder, so a process
        without one fails here, on first use, and only when QA_CACHE_DIR is not set."""
        if self.cache_dir.parts[0].startswith("~"):
            raise ConfigError(f"{_unexpanded('cache_dir', self.cache_dir)} (QA_CACHE_DIR)")
        return self.cache_dir

    def with_overrides(self, **overrides: object) -> Settings:
        """Return a copy with every override that is not None applied."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"Unknown setting {unknown[0]!r}; the settings are {', '.join(sorted(known))}.")
        given: dict[str, Any] = {k: _coerce(k, v) for k, v in overrides.items() if v is not None}
        return replace(self, **given)


_KINDS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "Path": (str, os.PathLike),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}


def _check_type(name: str, annotation: str, value: object) -> None:
    """Refuse a value of the wrong type: Settings(follow_links="no") would be true, and
    passage_tokens=100.5 would be written into an index's manifest."""
    optional = annotation.endswith(" | None")
    kind = annotation.removesuffix(" | None")
    if value is None and optional:
        return
    fits = isinstance(value, _KINDS[kind]) and not (kind in ("int", "float") and isinstance(value, bool))
    if not fits:
        default = next(f.default for f in fields(Settings) if f.name == name)
        raise ConfigError(f"{name}={value!r} must be {_KIND_WORDS[kind]} (default {default}).")


_KIND_WORDS = {"str": "text", "Path": "a path", "int": "a whole number", "float": "a number", "bool": "True or False"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _coerce(name: str, value: object) -> object:
    kind = str({f.name: f.type for f in fields(Settings)}[name]).removesuffix(" | None")
    try:
        if kind == "Path":  # Settings makes the Path: Path("./~x") would already be "~x", a home folder
            return value if isinstance(value, os.PathLike) else str(value)
        if kind == "int":
            return int(str(value))
        if kind == "float":
            return float(str(value))
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).strip().lower() in _TRUE | _FALSE:
                return str(value).strip().lower() in _TRUE
            raise ValueError(value)
    except ValueError:
        # QA_FOLLOW_LINKS=maybe: the variable takes words, not Python's True or False
        as_text = " (as text: 1 or 0, true or false, yes or no, on or off)" if kind == "bool" else ""
        raise ConfigError(f"{name}={value!r} is not {_KIND_WORDS[kind]}{as_text}.") from None
    return str(value)


def whole_number(value: object) -> int | None:
    """`value` as an int if it is a whole number (numpy's included), else None; True and
    False are not numbers here (k=True would be a 1 by accident).

    Example:
        >>> import numpy as np
        >>> whole_number(np.int64(3)), whole_number(3.0), whole_number(True)
        (3, None, None)
    """
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


def settings_or_default(settings: object) -> Settings:
    """`settings`, or `Settings()` for None: what every public function that takes
    settings checks first, so that `build_index("articles")` names the mistake.

    Example:
        >>> settings_or_default(None) == Settings()
        True
    """
    if settings is None:
        return Settings()
    if not isinstance(settings, Settings):
        raise ConfigError(f"settings={settings!r:.80} must be a Settings (e.g. Settings(index_dir=...)) or None.")
    return settings


def home_expanded(name: str, folder: str | os.PathLike[str]) -> Path:
    """`folder` with a leading "~" or "~user" read as that home folder, as a shell reads it.

    Raises:
        ConfigError: there is no such user, or no home folder; the message names `name`.

    Example:
        >>> home_expanded("index_dir", "/srv/index")
        PosixPath('/srv/index')
    """
    if not os.fspath(folder).startswith("~"):
        return _tilde_kept(folder)
    expanded = Path(os.path.expanduser(folder))
    if expanded.parts and expanded.parts[0].startswith("~"):
        raise ConfigError(_unexpanded(name, expanded))
    return expanded


def _tilde_kept(folder: str | os.PathLike[str]) -> Path:
    """`folder` as a Path that still means what was written: "./~backup" is a folder named
    "~backup" here, but Path drops the "./" and "~backup" would then read as user backup's home."""
    path = Path(folder)
    if path.parts and path.parts[0].startswith("~") and not os.fspath(folder).startswith("~"):
        return Path.cwd() / path
    return path


def _unexpanded(name: str, folder: Path) -> str:
    """Why a folder starting with "~" could not be read as a home folder's, and the fix."""
    user = folder.parts[0][1:]
    whose = f"there is no user {user!r} here" if user else "this process has no home folder (HOME is not set)"
    example = {"articles_dir": "/srv/news/articles", "cache_dir": "/srv/news/qa-cache"}.get(name, "/srv/news/index")
    return f"{name}={str(folder)!r} starts with '~' but {whose}; name the folder in full, e.g. {example}."


def load_settings(unread: Collection[str] = (), **overrides: object) -> Settings:
    """Defaults, then `QA_*` environment variables, then `overrides` (e.g. CLI flags). The
    settings named in `unread` are not taken from the environment (`qa eval` reads no
    QA_ARTICLES folder: a bad value there is none of its business).

    Example:
        >>> load_settings(index_dir="/tmp/my-index").index_dir
        PosixPath('/tmp/my-index')
    """
    from_env = {name: value for name, value in _from_env().items() if name not in unread}
    for name, value in from_env.items():  # a bad value is named by its variable, where it was set
        try:
            Settings().with_overrides(**{name: value})
        except ConfigError as exc:
            raise ConfigError(f"{_ENV[name]}={value!r} in the environment: {exc}") from None
    return Settings().with_overrides(**from_env).with_overrides(**overrides)


def given_settings(unread: Collection[str] = (), **overrides: object) -> set[str]:
    """The settings chosen by the environment (`QA_*`, but for those in `unread`) or by
    `overrides` that are not None: the rest are defaults, which the CLI may take from the
    index instead.

    Example:
        >>> sorted(given_settings(model=None, passage_tokens=128))  # with no QA_* variables set
        ['passage_tokens']
    """
    return (set(_from_env()) - set(unread)) | {name for name, value in overrides.items() if value is not None}


def _from_env() -> dict[str, str]:
    """The settings the `QA_*` variables set (an empty variable sets none)."""
    return {name: os.environ[var] for name, var in _ENV.items() if os.environ.get(var)}
