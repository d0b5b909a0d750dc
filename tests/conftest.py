from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa.config import Settings
from tests.fakes import FakeEncoder, FakeReader

# Property tests explore new inputs at every local run (a failure is kept in .hypothesis/ and
# tried first next time). In CI (`CI` set, as .ci/run sets it) the inputs are the same every
# run: a CI verdict is then about the change, not about the examples drawn (a random draw
# found a case a test had mishandled and failed one CI run, 2026-12-06). Loaded here, before
# the test modules make their own settings from it.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "carney-china-trip.txt"
TRUDEAU = (
    "Trudeau's government in 2024 followed Biden's lead in imposing a 100% tariff on Chinese-made "
    "electric vehicles, prompting retaliatory tariffs from China."
)

ARTICLES = {
    "markets.md": "# Markets slide on rate fears\n\ndate: 2025-03-04\nsource: Example Wire\n\n"
    "Stocks fell sharply on Tuesday. Investors feared that the central bank would raise rates again. "
    "The Dow Jones index lost 3.5% in a single session.\n\nAnalysts said the sell-off could continue.",
    "football.txt": "title: Rovers win the cup\ndate: 2024-05-18\nsource: Sports Daily\n\n"
    "Rovers won the national cup final on Saturday. Their striker scored twice in the second half. "
    "Fans celebrated in the streets until late.",
    "volcano.txt": "date 2023-11-02 Iceland declared a state of emergency after a series of earthquakes near "
    "Grindavik. Scientists warned that a volcanic eruption could happen within days. "
    "The town of 4,000 people was evacuated.",
}


@pytest.fixture(autouse=True)
def _stop_signals_put_back() -> Iterator[None]:
    """`qa.cli.main` run in-process through an interrupt leaves Ctrl-C and SIGTERM ignored, as a
    command about to exit wants; the subprocesses of later tests would inherit that (a SIGTERM
    test then waited for a build that ignored it)."""
    before = {stop: signal.getsignal(stop) for stop in (signal.SIGINT, signal.SIGTERM)}
    yield
    for stop, handler in before.items():
        if signal.getsignal(stop) is not handler:
            signal.signal(stop, handler)


@pytest.fixture
def fake() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text)
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def settings(tmp_path: Path, articles_dir: Path) -> Settings:
    return Settings(articles_dir=articles_dir, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")


@pytest.fixture
def built(settings: Settings, fake: FakeEncoder):
    """An index of the test articles built with the fake encoder, loaded with it and the fake reader."""
    from qa.build import build_index
    from qa.index import load_index

    build_index(settings, encoder=fake, progress=False)
    return load_index(settings.index_dir, settings, encoder=fake, reader=FakeReader())


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the real bundled model over the seed article (model cache: the user's)."""
    folder = tmp_path_factory.mktemp("real")
    (folder / "articles").mkdir()
    shutil.copy(SEED, folder / "articles" / SEED.name)
    return Settings(articles_dir=folder / "articles", index_dir=folder / "index")


@pytest.fixture(scope="session")
def real_index(real_settings: Settings):
    from qa.build import build_index
    from qa.index import load_index

    build_index(real_settings, progress=False)
    return load_index(real_settings.index_dir, real_settings)
