"""Building on Ray (qa/cluster.py): a local Ray with 2 CPUs, compared with the local build."""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.build import build_index
from qa.config import Settings
from qa.errors import ClusterError
from qa.store import current_generation
from tests.fakes import FakeEncoder
from tests.indexes import assert_same_index, snapshot

ray = pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parent.parent
QA = [sys.executable, "-m", "qa.cli"]
MORE = {  # long enough for several passages each, so overlap and ordering are exercised
    f"long-{n}.txt": f"title: Long report {n}\n\n"
    + " ".join(f"Sentence {i} of report {n} tells about the harbour, the ferries and the storm." for i in range(60))
    for n in range(3)
}


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module (starting one takes seconds); the build uses this connection.

    `address="local"`: a Ray of its own even when `ray start` left a cluster running on this
    machine (ray.init would connect to that one and refuse `num_cpus`: a CI run failed so).
    """
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def many_articles(articles_dir: Path) -> Path:
    for name, text in MORE.items():
        (articles_dir / name).write_text(text)
    return articles_dir


def test_ray_build_equals_the_local_build(local_ray, settings, many_articles, tmp_path):
    local = build_index(settings, encoder=FakeEncoder(), progress=False)
    on_ray = replace(settings, index_dir=tmp_path / "ray-index", ray_address="")
    seen: list[tuple[int, int]] = []
    report = build_index(on_ray, encoder=FakeEncoder(), progress=False, on_progress=lambda d, t: seen.append((d, t)))
    assert report.counts == local.counts and report.counts.articles == 7 and report.counts.passages > 7
    assert report.passages_embedded == local.passages_embedded and report.tokens_embedded == local.tokens_embedded
    assert_same_index(snapshot(on_ray.index_dir), snapshot(settings.index_dir))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1] == (report.passages_embedded,) * 2


def test_incremental_ray_build_embeds_only_the_changes(local_ray, settings, many_articles):
    on_ray = replace(settings, ray_address="")
    build_index(on_ray, encoder=FakeEncoder(), progress=False)
    (many_articles / "football.txt").write_text("title: Rovers lose the cup\n\nRovers lost the final on penalties.")
    (many_articles / "volcano.txt").unlink()
    report = build_index(on_ray, encoder=FakeEncoder(), progress=False)
    assert (report.updated, report.removed, report.added) == (("football.txt",), ("volcano.txt",), ())
    assert report.passages_embedded == 1 and report.counts.articles == 6
    # The same folder built locally from scratch holds the same passages and vectors.
    fresh = replace(settings, index_dir=settings.index_dir.parent / "fresh", ray_address=None)
    build_index(fresh, encoder=FakeEncoder(), progress=False)
    assert_same_index(snapshot(on_ray.index_dir), snapshot(fresh.index_dir), same_ids=False)


class DiesOnce(FakeEncoder):
    """A fake encoder whose process exits the first time any copy of it embeds (marker file)."""

    def __init__(self, marker: Path) -> None:
        super().__init__()
        self.marker = marker

    def _token_embeddings(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        try:
            self.marker.touch(exist_ok=False)
        except FileExistsError:
            return super()._token_embeddings(ids, mask, types)
        os._exit(1)  # as a killed or crashed worker: no exception, no cleanup


def test_a_ray_build_stopped_midway_is_taken_up_by_the_next(local_ray, settings, many_articles, monkeypatch):
    import qa.build
    import qa.cluster

    monkeypatch.setattr(qa.build, "CHUNK_ARTICLES", 1)  # a round file per stored batch
    on_ray = replace(settings, ray_address="")
    real_store, calls = qa.cluster._store, []

    def store_then_stop(*args, **kwargs):
        if calls:
            raise KeyboardInterrupt  # Ctrl-C after the first results were stored (and saved)
        calls.append(1)
        return real_store(*args, **kwargs)

    # Ray Data's iterator is closed while still connected: cleaned up by the garbage collector
    # after ray.shutdown(), it printed an ActorHandleNotFoundError traceback under "interrupted".
    order: list[str] = []
    real_stream, real_connected = qa.cluster._embedded_stream, qa.cluster._connected

    def stream(*args, **kwargs):
        try:
            yield from real_stream(*args, **kwargs)
        finally:
            order.append("results closed")

    @contextlib.contextmanager
    def connected(*args, **kwargs):
        try:
            with real_connected(*args, **kwargs):
                yield
        finally:
            order.append("disconnected")

    monkeypatch.setattr(qa.cluster, "_store", store_then_stop)
    monkeypatch.setattr(qa.cluster, "_embedded_stream", stream)
    monkeypatch.setattr(qa.cluster, "_connected", connected)
    with pytest.raises(KeyboardInterrupt):
        build_index(on_ray, encoder=FakeEncoder(), progress=False)
    assert order == ["results closed", "disconnected"]
    monkeypatch.setattr(qa.cluster, "_store", real_store)
    report = build_index(on_ray, encoder=FakeEncoder(), progress=False)
    assert report.passages_resumed >= 1 and report.passages_embedded >= 1
    assert report.passages_resumed + report.passages_embedded == report.counts.passages
    fresh = replace(settings, index_dir=settings.index_dir.parent / "fresh", ray_address=None)
    build_index(fresh, encoder=FakeEncoder(), progress=False)
    assert_same_index(snapshot(on_ray.index_dir), snapshot(fresh.index_dir), same_ids=False)


def test_a_worker_that_dies_is_replaced_and_its_work_retried(local_ray, settings, many_articles, tmp_path):
    marker = tmp_path / "died"
    build_index(settings, encoder=FakeEncoder(), progress=False)
    on_ray = replace(settings, index_dir=tmp_path / "ray-index", ray_address="")
    report = build_index(on_ray, encoder=DiesOnce(marker), progress=False)
    assert marker.exists()  # a worker did die
    assert report.counts.articles == 7
    assert_same_index(snapshot(on_ray.index_dir), snapshot(settings.index_dir))


def test_too_many_workers_is_an_error_naming_the_fix(local_ray, settings):
    from qa.errors import ClusterError

    with pytest.raises(ClusterError, match=r"3 Ray workers need 3 CPUs, but the cluster has 2\. Use --ray-workers 2"):
        build_index(replace(settings, ray_address="", ray_workers=3), encoder=FakeEncoder(), progress=False)


@pytest.mark.model
def test_ray_build_with_the_real_model_equals_the_local_build(local_ray, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for path in sorted((ROOT / "seeds").iterdir())[:3]:
        (folder / path.name).write_bytes(path.read_bytes())
    for name, text in MORE.items():
        (folder / name).write_text(text)
    settings = Settings(articles_dir=folder, index_dir=tmp_path / "local")
    build_index(settings, progress=False)
    on_ray = replace(settings, index_dir=tmp_path / "ray", ray_address="")
    build_index(on_ray, progress=False)
    want = snapshot(settings.index_dir)
    assert want["counts"].articles >= 4 and want["passage_vectors"].shape[1] == 384
    assert_same_index(snapshot(on_ray.index_dir), want)


@pytest.mark.parametrize(
    "message, fix",
    [
        (
            "Failed to connect to GCS at auto.\nStatus: Unauthenticated: InvalidAuthToken: token mismatch",
            "ray get-auth-token",
        ),
        ("Could not find any running Ray instance.\nPlease specify the one to connect to.", "ray start --head"),
    ],
)
def test_a_refused_token_named_below_the_first_line_is_reported_as_a_token_error(message, fix):
    """Only Ray's first line is shown, but the whole message decides which fix is named."""
    from types import SimpleNamespace

    from qa.cluster import _connected

    def refuse(**options):
        raise ConnectionError(message)

    fake_ray = SimpleNamespace(is_initialized=lambda: False, init=refuse)
    with pytest.raises(ClusterError) as caught, _connected(fake_ray, "auto"):  # type: ignore[arg-type]
        pass
    said = str(caught.value)
    assert fix in said and message.splitlines()[0].rstrip(".") in said
    assert "Status:" not in said and "Please specify" not in said


def _ray_that_must_not_connect(recorded: str | None = None):
    """A stand-in for the ray module: no connection of its own; `recorded` is the address
    `ray start` left on this machine. ray.init is a failure here: the check must refuse first."""
    from types import SimpleNamespace

    def init(**options):
        raise AssertionError("ray.init reached: it retries for minutes")

    services = SimpleNamespace(find_bootstrap_address=lambda temp_dir: recorded)
    return SimpleNamespace(is_initialized=lambda: False, init=init, _private=SimpleNamespace(services=services))


def test_a_cluster_ray_start_recorded_but_that_is_gone_is_refused_in_seconds(monkeypatch):
    """A cluster killed without `ray stop` leaves its address behind: a bare --ray retried it for minutes."""
    from qa.cluster import _connected

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(ClusterError) as caught, _connected(_ray_that_must_not_connect("127.0.0.1:1"), ""):  # type: ignore[arg-type]
        pass
    said = str(caught.value)
    assert said.startswith("Cannot connect to a Ray cluster at 127.0.0.1:1 (the cluster `ray start` last recorded")
    assert said.endswith(
        "If it was stopped or died, `ray stop` forgets it and --ray then starts a local Ray; else start it again "
        "(`ray start --head`)."
    )
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:2")  # for "auto" (and none) Ray takes the variable, as the check does
    with pytest.raises(ClusterError, match=r"at 127\.0\.0\.1:2: "), _connected(_ray_that_must_not_connect(), "auto"):  # type: ignore[arg-type]
        pass
    from qa.cluster import _address_to_check

    ray = _ray_that_must_not_connect("127.0.0.1:1")
    assert _address_to_check(ray, "head:6379") == ("head:6379", "")  # a given address wins over RAY_ADDRESS
    assert _address_to_check(ray, "local") == ("local", "")


def test_an_address_without_a_host_is_refused_and_a_bracketed_ipv6_one_is_checked(monkeypatch):
    from qa.cluster import _check_reachable, _connected

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with (
        pytest.raises(ClusterError, match=r"at :6379: the address names no host"),
        _connected(_ray_that_must_not_connect(), ":6379"),
    ):  # type: ignore[arg-type]
        pass  # Ray logged a traceback ("Malformed host:")
    try:
        listener = socket.socket(socket.AF_INET6)
        listener.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with listener:
        listener.listen(1)
        assert _check_reachable(f"[::1]:{listener.getsockname()[1]}") is True  # "[::1]" was looked up as a name


def test_a_cluster_that_refuses_without_naming_a_token_gets_the_token_hint_too(monkeypatch):
    """Ray names InvalidAuthToken only in its log lines; qa said to start the running cluster."""
    from types import SimpleNamespace

    from qa.cluster import _connected

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)

    def refuse(**options):
        raise ConnectionError("Failed to connect to Ray cluster at 192.0.2.2:6379.")

    fake_ray = SimpleNamespace(is_initialized=lambda: False, init=refuse)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(ClusterError) as caught, _connected(fake_ray, address):  # type: ignore[arg-type]
            pass
    assert "run with RAY_AUTH_MODE=token and the head's token" in str(caught.value)


def test_workers_get_the_model_folder_and_cache_as_absolute_paths(tmp_path, monkeypatch):
    """A `ray start` cluster's workers read relative ones against the raylet's own folder."""
    from qa.cluster import _for_workers

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mymodel").mkdir()
    sent = _for_workers(Settings(model="mymodel", cache_dir="qcache"))
    assert sent.model == str(tmp_path / "mymodel") and sent.cache_dir == tmp_path / "qcache"
    assert _for_workers(Settings()).model == "all-MiniLM-L6-v2"  # a model name stays a name


def test_cli_bad_address_is_one_line_naming_ray_start(settings, tmp_path):
    # A port nobody listens on: refused at once, where Ray itself would retry for minutes.
    index = tmp_path / "index"
    done = subprocess.run(
        [
            *QA,
            "index",
            "--articles",
            str(settings.articles_dir),
            "--index",
            str(tmp_path / "index"),
            "--ray",
            "127.0.0.1:1",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith("error: Cannot connect to a Ray cluster at 127.0.0.1:1")
    assert "ray start --head" in lines[0]
    assert lines[0].endswith("or give --ray no address, with RAY_ADDRESS unset, to use a local Ray.")  # (its source)
    assert not index.exists() or current_generation(index) is None


def test_missing_ray_names_the_install_command(monkeypatch, settings):
    from qa import cluster
    from qa.errors import ClusterError

    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` does when it is not installed
    with pytest.raises(ClusterError, match=r"pip install -e '\.\[cluster\]' in the project's checkout"):
        cluster._import_ray()


class OtherModelOnWorkers(FakeEncoder):
    """A fake encoder that arrives on the workers as another model (another fingerprint)."""

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._info = replace(self._info, fingerprint="another-model")


def test_a_worker_with_another_model_fails_the_build_naming_the_fix(local_ray, settings):
    from qa.errors import ClusterError

    with pytest.raises(ClusterError, match=r"A Ray worker failed: .*has another version of model .*Install the same"):
        build_index(replace(settings, ray_address=""), encoder=OtherModelOnWorkers(), progress=False)
    assert current_generation(settings.index_dir) is None  # nothing published


class Terminal(io.StringIO):
    def isatty(self) -> bool:  # tqdm draws its bar only on a terminal
        return True


def test_the_progress_bar_counts_passages_per_second(local_ray, settings, many_articles, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    report = build_index(replace(settings, ray_address=""), encoder=FakeEncoder(), progress=True)
    last = terminal.getvalue().replace("\r", "\n").strip().splitlines()[-1]
    n = report.passages_embedded
    # A rate, as tqdm shows it: passages per second, or seconds per passage below one a second.
    assert re.search(rf"Embedding on Ray: 100%.* {n}/{n} .*[0-9.]+(passage/s|s/passage), articles 7/7]", last), last


def test_ray_is_not_imported_by_local_builds_or_questions():
    code = "import sys, qa.build, qa.answering, qa.cli, qa.cluster; print(sorted(m for m in sys.modules if m == 'ray'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr


def test_connecting_keeps_the_processs_own_sigterm_handler(monkeypatch):
    """ray.init installs its own SIGTERM handler: a watching `qa index --ray` then died at
    SIGTERM without its final line, and a plain one printed a native stack dump."""
    import signal
    from types import SimpleNamespace

    from qa.cluster import _connected

    def ray_own(signum, frame):  # what ray.init puts in place
        raise SystemExit(signum)

    fake = SimpleNamespace(
        is_initialized=lambda: False,
        init=lambda **_: signal.signal(signal.SIGTERM, ray_own),
        shutdown=lambda: None,
    )

    def ours(signum, frame):  # e.g. qa.watch's: stop after the batch, with a final line
        pass

    previous = signal.signal(signal.SIGTERM, ours)
    try:
        with _connected(fake, ""):
            assert signal.getsignal(signal.SIGTERM) is ours
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_sigterm_while_ray_starts_stops_as_the_processs_own_handler_says():
    """Ray's handler (sys.exit(15)) ran during ray.init: `qa index --ray` ended with exit 15
    and no line, `--watch --ray` without its final line."""
    import signal
    from types import SimpleNamespace

    from qa.cluster import _connected
    from qa.watch import sigterm_as_interrupt

    def init(**_):  # SIGTERM arrives while Ray starts, under Ray's own handler
        raise SystemExit(signal.SIGTERM)

    shut: list[bool] = []
    fake = SimpleNamespace(is_initialized=lambda: False, init=init, shutdown=lambda: shut.append(True))
    with sigterm_as_interrupt() as received, pytest.raises(KeyboardInterrupt), _connected(fake, ""):  # type: ignore[arg-type]
        pass
    assert received == {"signal": "SIGTERM"} and shut == [True]
