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


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"follow_links": "no"}, "follow_links='no' must be True or False (default False)"),  # "no" is truthy
        ({"passage_tokens": 100.5}, "passage_tokens=100.5 must be a whole number (default 256)"),
        ({"passage_tokens": "256"}, "passage_tokens='256' must be a whole number (default 256)"),
        ({"batch_size": True}, "batch_size=True must be a whole number (default 32)"),
        ({"abstain_below": "0.2"}, "abstain_below='0.2' must be a number (default 0.12)"),
        ({"model": None}, "model=None must be text (default all-MiniLM-L6-v2)"),
        ({"index_dir": None}, "index_dir=None must be a path (default index)"),
    ],
)
def test_a_setting_of_the_wrong_type_is_refused_with_its_default(given, said) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**given)
    assert str(caught.value) == said + "."


def test_numbers_and_optional_settings_of_the_right_type_are_kept() -> None:
    s = Settings(abstain_below=0, max_file_mb=2, ray_workers=None, index_dir="x")
    assert (s.abstain_below, s.max_file_mb, s.ray_workers, s.index_dir) == (0, 2, None, Path("x"))


def test_an_unknown_override_names_the_settings() -> None:
    with pytest.raises(ConfigError, match=r"Unknown setting 'index'; the settings are abstain_below, articles_dir, "):
        load_settings(index="x")  # the CLI flag's name, not the setting's (index_dir)


def test_paths_starting_with_a_tilde_are_the_home_folders(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("QA_INDEX", "~/news-index")
    assert load_settings().index_dir == tmp_path / "news-index"  # not a folder named "~"
    assert load_settings(articles_dir="~/news").articles_dir == tmp_path / "news"  # --articles=~/news
    assert Settings(cache_dir=Path("~/cache")).cache_dir == tmp_path / "cache"


def test_a_folder_named_with_a_tilde_below_the_current_one_is_not_a_home_folder(monkeypatch, tmp_path):
    # Path("./~backup") is Path("~backup"): it was read as user backup's home (/var/backups), or
    # refused as "no user 'backup'", however it was given.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_INDEX", "./~backup")
    assert load_settings().index_dir == tmp_path / "~backup"
    assert load_settings(articles_dir="./~news").articles_dir == tmp_path / "~news"  # --articles ./~news
    assert Settings(cache_dir="./~cache").cache_path == tmp_path / "~cache"
    assert Settings(index_dir="./~backup").index_dir == tmp_path / "~backup"


def test_given_settings_are_those_set_by_a_variable_or_an_override(monkeypatch):
    from qa.config import given_settings

    for var in ("QA_MODEL", "QA_PASSAGE_TOKENS", "QA_INDEX", "QA_ARTICLES"):
        monkeypatch.delenv(var, raising=False)
    assert given_settings(model=None, passage_tokens=128) == {"passage_tokens"}
    monkeypatch.setenv("QA_MODEL", "x")
    assert given_settings(model=None) == {"model"}


@pytest.mark.parametrize(("module", "name"), [("qa.config", "Settings"), ("qa.filters", "Filters")])
def test_the_signature_type_checkers_see_matches_the_dataclass(module, name):
    """Settings and Filters declare an __init__ for type checkers only (folders as text, dates
    as datetime.date): its parameters and defaults must be the dataclass's fields."""
    import ast
    import dataclasses
    import importlib
    import inspect

    mod = importlib.import_module(module)
    cls = getattr(mod, name)
    tree = ast.parse(inspect.getsource(cls))
    [declared] = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "__init__"]
    params = declared.args.args[1:]
    defaults = [eval(ast.unparse(d), vars(mod)) for d in declared.args.defaults]
    fields = [f for f in dataclasses.fields(cls) if f.init]
    assert [p.arg for p in params] == [f.name for f in fields]
    assert defaults == [f.default for f in fields]


@pytest.mark.parametrize("name", ["index_dir", "articles_dir", "cache_dir"])
def test_an_empty_folder_setting_is_refused_not_read_as_the_current_folder(name):
    with pytest.raises(ConfigError, match=rf"^{name}='' is empty; name a folder \(default "):
        Settings(**{name: ""})
    with pytest.raises(ConfigError, match=rf"^{name}='' is empty"):  # overrides too: flags, QA_* variables
        Settings().with_overrides(**{name: ""})


def test_a_folder_under_an_unknown_users_home_is_a_config_error_naming_it_not_a_traceback(monkeypatch):
    # Path.expanduser raised RuntimeError ("Could not determine home directory"): a traceback.
    with pytest.raises(
        ConfigError, match=r"index_dir='~nosuchuser/x' starts with '~' but there is no user 'nosuchuser'"
    ):
        Settings(index_dir="~nosuchuser/x")
    monkeypatch.setenv("QA_ARTICLES", "~nosuchuser/news")
    with pytest.raises(
        ConfigError, match=r"^QA_ARTICLES='~nosuchuser/news' in the environment: .* e\.g\. /srv/news/articles"
    ):
        load_settings()


def test_a_process_without_a_home_folder_needs_qa_cache_dir_only_when_it_uses_the_cache(monkeypatch):
    import pwd

    monkeypatch.delenv("HOME")
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: (_ for _ in ()).throw(KeyError(uid)))  # a UID with no passwd entry
    settings = Settings()  # constructing it no longer fails
    with pytest.raises(ConfigError, match=r"cache_dir='~/.cache/qa' .* no home folder .*\(QA_CACHE_DIR\)"):
        _ = settings.cache_path
    monkeypatch.setenv("QA_CACHE_DIR", "/tmp/qa-cache")
    assert load_settings().cache_path == Path("/tmp/qa-cache")
    with pytest.raises(ConfigError, match="no home folder"):
        Settings(index_dir="~/index")
