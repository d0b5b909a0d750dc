"""Settings: validated values, paths as given."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from qa.config import Settings, load_settings
from qa.errors import ConfigError


def test_folders_given_as_text_are_paths() -> None:
    settings = Settings(index_dir="news-index", articles_dir="news", cache_dir="~/cache")  # type: ignore[arg-type]
    assert (settings.index_dir, settings.articles_dir) == (Path("news-index"), Path("news"))
    assert settings.index_dir.resolve() == Path.cwd() / "news-index"


@pytest.mark.parametrize("size", [0.0, -1.0, math.nan, math.inf])
def test_a_file_size_limit_must_be_a_positive_number(size, monkeypatch) -> None:
    with pytest.raises(ConfigError, match=r"must be a positive number of MB \(default 50\)"):
        Settings(max_file_mb=size)
    monkeypatch.setenv("QA_MAX_FILE_MB", str(size))
    with pytest.raises(ConfigError):
        load_settings()


def test_passage_size_has_bounds() -> None:
    with pytest.raises(ConfigError, match="too small"):
        Settings(passage_tokens=8)
    with pytest.raises(ConfigError, match="too large; use 8192 or less"):
        Settings(passage_tokens=10**9)
