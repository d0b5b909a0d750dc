"""Serving the browser app: the login throttle, a busy port, auth parsing (no model)."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from qa import QAError, Settings
from tests.ports import free_port


class FakeTime:
    """A clock that only moves when the throttle sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def attempt(throttle, user: str, password: str, client: str) -> bool:
    from ui.auth import CLIENT

    async def run() -> bool:
        CLIENT.set(client)
        return await throttle.check(user, password)

    return asyncio.run(run())


def make_throttle(fake: FakeTime, **kwargs):
    from ui.auth import LoginThrottle

    return LoginThrottle(("alice", "s3cret"), clock=fake.clock, sleep=fake.sleep, **kwargs)


def test_failures_double_the_wait_up_to_the_cap_and_are_logged(caplog) -> None:
    fake = FakeTime()
    throttle = make_throttle(fake, base_delay=0.5, max_delay=3.0)
    with caplog.at_level(logging.WARNING, logger="ui.auth"):
        results = [attempt(throttle, "alice", "guess", "10.0.0.7") for _ in range(6)]
    assert results == [False] * 6
    assert fake.sleeps == [0.5, 1.0, 2.0, 3.0, 3.0]  # the first attempt does not wait
    assert len(caplog.records) == 6
    assert "login failed for user 'alice' from 10.0.0.7 (6 in a row)" in caplog.records[-1].getMessage()


def test_the_wait_is_per_client_and_per_user() -> None:
    fake = FakeTime()
    throttle = make_throttle(fake, base_delay=0.5)
    for _ in range(3):
        attempt(throttle, "mallory", "x", "10.0.0.7")
    fake.sleeps.clear()
    assert attempt(throttle, "alice", "s3cret", "10.0.0.8") is True  # another client, another user
    assert fake.sleeps == []
    attempt(throttle, "mallory", "x", "10.0.0.9")  # same user from elsewhere: still slowed
    assert fake.sleeps == [2.0]


def test_success_resets_and_quiet_time_forgets() -> None:
    fake = FakeTime()
    throttle = make_throttle(fake, base_delay=0.5, forget_after=60)
    attempt(throttle, "alice", "wrong", "c")
    attempt(throttle, "alice", "wrong", "c")
    assert attempt(throttle, "alice", "s3cret", "c") is True  # the right password still waits...
    assert fake.sleeps == [0.5, 1.0]
    fake.sleeps.clear()
    attempt(throttle, "alice", "wrong", "c")  # ...and then counts start afresh
    assert fake.sleeps == []
    fake.now += 61
    attempt(throttle, "alice", "wrong", "c")
    assert fake.sleeps == []


def test_attempts_for_one_user_from_many_addresses_wait_one_after_another() -> None:
    """60 guesses from 60 addresses, all at once, each slept the user's 30 s side by side and
    were then all checked: the right one among them got in."""
    from ui.auth import CLIENT

    fake = FakeTime()

    async def yielding_sleep(seconds: float) -> None:  # let the other attempts run meanwhile
        fake.sleeps.append(seconds)
        await asyncio.sleep(0)
        fake.now += seconds

    throttle = make_throttle(fake, base_delay=0.5, max_delay=30.0)
    throttle._sleep = yielding_sleep
    for _ in range(3):
        attempt(throttle, "alice", "guess", "10.0.0.1")
    fake.sleeps.clear()

    async def from_many(n: int) -> list[bool]:
        async def one(i: int) -> bool:
            CLIENT.set(f"10.1.0.{i}")
            return await throttle.check("alice", "s3cret" if i == n - 1 else f"guess{i}")

        return await asyncio.gather(*(one(i) for i in range(n)))

    results = asyncio.run(from_many(4))
    assert fake.sleeps == [2.0, 4.0, 8.0, 16.0]  # not [2.0] * 4: each waits for the one before
    assert results == [False, False, False, True]


def test_wrong_user_with_the_right_password_fails() -> None:
    fake = FakeTime()
    assert attempt(make_throttle(fake), "bob", "s3cret", "c") is False
    assert attempt(make_throttle(fake), "alice", "s3cret", "c") is True


def test_login_endpoint_slows_a_burst_of_wrong_passwords_from_one_client(caplog) -> None:
    import gradio as gr
    import httpx

    from ui.auth import access_options

    with gr.Blocks() as demo:
        gr.Markdown("secret page")
    _, url, _ = demo.launch(
        server_name="127.0.0.1",
        server_port=free_port(),
        prevent_thread_lock=True,
        quiet=True,
        **access_options(("alice", "s3cret"), base_delay=0.2, max_delay=0.4),  # what `qa serve --auth` passes
    )
    try:

        def login(password: str) -> int:
            data = {"username": "alice", "password": password}
            return httpx.post(f"{url}login", data=data, timeout=30).status_code

        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="ui.auth"), ThreadPoolExecutor(5) as pool:
            codes = list(pool.map(login, ["wrong"] * 5))  # all at once: the throttle queues them
        elapsed = time.monotonic() - started
        assert codes == [400] * 5
        assert elapsed >= 0.2 + 0.4 * 3 - 0.05  # 0, 0.2, 0.4, 0.4, 0.4 s, one after the other
        assert "from 127.0.0.1" in caplog.text
        assert login("s3cret") == 200
    finally:
        demo.close()


@pytest.mark.parametrize("login", [False, True])
def test_a_page_of_another_site_or_port_is_refused_scripts_and_the_page_itself_are_not(login) -> None:
    """Gradio answers any localhost origin with credentials: a page on another local port could
    ask, read the answers and delete articles as the logged-in user."""
    import gradio as gr
    import httpx

    from ui.auth import access_options

    def shout(question: str) -> dict:
        return {"answer": question.upper()}

    with gr.Blocks() as demo:
        gr.api(shout, api_name="ask")
    credentials = ("alice", "s3cret") if login else None
    port = free_port()
    _, url, _ = demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **access_options(credentials)
    )
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            if login:
                assert client.post("login", data={"username": "alice", "password": "s3cret"}).status_code == 200

            def ask(**headers: str) -> int:
                return client.post("gradio_api/call/ask", json={"data": ["hi"]}, headers=headers).status_code

            assert ask() == 200  # gradio_client, curl: no Origin
            assert ask(Origin=f"http://127.0.0.1:{port}") == 200  # the chat's own page
            for other in (f"http://localhost:{port + 1}", "http://127.0.0.1:9999", "https://evil.example", "null"):
                assert ask(Origin=other) == 403, other
            assert client.get("config", headers={"Origin": "http://localhost:9999"}).status_code == 403
            assert ask(Origin="https://chat.example.com", Host="chat.example.com") == 200  # a proxy passing Host
            # A page can set these headers (Gradio lets localhost pages send any): never believed.
            forged = {"Origin": "http://localhost:9999", "X-Forwarded-Host": "localhost:9999"}
            assert ask(**forged) == 403
            assert ask(Origin="http://localhost:9999", Forwarded="host=localhost:9999") == 403
    finally:
        demo.close()


def test_serve_on_a_busy_port_is_a_one_line_qaerror(tmp_path: Path) -> None:
    from ui.app import serve

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index")
        with pytest.raises(QAError) as info:
            serve(settings, port=port)
    message = str(info.value)
    assert message == (
        f"Port {port} is in use; pass --port N (make chat PORT=N) for another free port, or stop what uses it."
    )
    assert not (tmp_path / "index").exists()  # refused before indexing anything


def test_an_ipv6_host_is_refused_with_the_fix_before_indexing(tmp_path: Path) -> None:
    from ui.app import serve

    settings = Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index")
    with pytest.raises(QAError, match=r"^Cannot serve on '::', an IPv6 address: .* Use --host 0\.0\.0\.0"):
        serve(settings, host="::", port=7999)
    assert not (tmp_path / "index").exists()


def test_a_port_lost_between_check_and_launch_is_reported_the_same_way() -> None:
    from ui.app import port_error

    gradio_error = OSError("Cannot find empty port in range: 7860-7860. You can specify a different port ...")
    assert str(port_error("127.0.0.1", 7860, gradio_error)).startswith("Port 7860 is in use; pass --port N")


def test_exposure_warning_and_auth_parsing(monkeypatch) -> None:
    from ui.app import exposure_warning, parse_auth

    assert exposure_warning("127.0.0.1", None) is None
    assert "without --auth" in exposure_warning("0.0.0.0", None)
    assert exposure_warning("0.0.0.0", ("u", "p")) is None
    assert exposure_warning("0.0.0.0", None, read_only=True) is None  # a chat meant for anyone to ask
    assert "or --read-only" in exposure_warning("0.0.0.0", None)
    assert parse_auth("alice:s3:cret") == ("alice", "s3:cret")
    monkeypatch.setenv("QA_AUTH", "bob:pw")
    assert parse_auth(None) is None  # the CLI reads QA_AUTH and passes it in; the app reads no environment
    with pytest.raises(QAError, match="USER:PASSWORD"):
        parse_auth("nocolon")


def test_safe_filename() -> None:
    from ui.app import safe_filename

    assert safe_filename("../../etc/passwd.txt") == "passwd.txt"
    assert safe_filename("C:\\Users\\x\\report.HTML") == "report.html"
    assert safe_filename(".hidden notes.md") == "hidden-notes.md"
    assert safe_filename("....txt") == "article.txt"
    assert safe_filename("Новости дня.md") == "Новости-дня.md"  # was "article.md": every upload alike
    assert safe_filename("cafe\u0301 <b>.txt") == "café-b.txt"  # composed (NFC), markup characters dropped


@pytest.mark.parametrize("question", ["", "   ", "\ud800", None])
def test_invalid_questions_are_question_errors_before_the_model(question) -> None:
    from qa import QuestionError, clean_question

    with pytest.raises(QuestionError):
        clean_question(question)
    assert clean_question("  Who won?  ") == "Who won?"


def _served(monkeypatch, ensure_index: Any, **options: Any) -> tuple[list[str], Settings]:
    """`ui.app.serve` run on a free port with its index, page and wait faked; the steps it took."""
    from types import SimpleNamespace

    import ui.app as app_module

    calls: list[str] = []
    monkeypatch.setattr(app_module.ChatApp, "ensure_index", ensure_index(calls))
    monkeypatch.setattr(app_module.ChatApp, "index", lambda self: SimpleNamespace(warm_up=lambda: calls.append("warm")))
    demo = SimpleNamespace(launch=lambda **_: calls.append("launch"), close=lambda **_: calls.append("close"))
    monkeypatch.setattr(app_module, "build_app", lambda app: demo)
    monkeypatch.setattr(app_module, "serve_until_interrupted", lambda: calls.append("serve"))
    port = free_port()
    settings = Settings(articles_dir=options.pop("articles_dir"), index_dir=options.pop("index_dir"))
    app_module.serve(settings, port=port, **options)
    return calls, settings


@pytest.mark.parametrize(
    ("update", "expected"),
    [(True, ["index", "warm", "launch", "serve", "close"]), (False, ["warm", "launch", "serve", "close"])],
)
def test_serve_no_index_serves_the_index_as_built(monkeypatch, tmp_path: Path, capsys, update, expected) -> None:
    """`qa serve --no-index` never reads the articles folder (a 1M-passage index starts in seconds)."""
    calls, _ = _served(
        monkeypatch,
        lambda calls: lambda self: calls.append("index") or "indexed",
        articles_dir=tmp_path / "no-articles",
        index_dir=tmp_path / "index",
        update=update,
    )
    assert calls == expected
    # Said at once, not at the first upload (refused then as another folder than the index's).
    warned = "warning: The articles folder " in capsys.readouterr().err
    assert warned == (not update)
    _served(
        monkeypatch,
        lambda calls: lambda self: "indexed",
        articles_dir=tmp_path / "no-articles",
        index_dir=tmp_path / "index",
        update=False,
        read_only=True,  # a public chat: the folder need not be here
    )
    assert "warning: The articles folder " not in capsys.readouterr().err


def test_serve_read_only_on_an_index_folder_it_cannot_write_serves_it_as_built(monkeypatch, tmp_path, capsys) -> None:
    """A read-only mount: `--read-only` exited on "Permission denied: …/.lock" unless --no-index was added."""

    def denied(calls: list[str]) -> Any:
        def ensure_index(self: object) -> str:
            calls.append("index")
            raise PermissionError(13, "Permission denied", str(tmp_path / "index" / ".lock"))

        return ensure_index

    calls, _ = _served(
        monkeypatch, denied, articles_dir=tmp_path / "articles", index_dir=tmp_path / "index", read_only=True
    )
    assert calls == ["index", "warm", "launch", "serve", "close"]
    assert capsys.readouterr().err.startswith(
        f"note: the index folder {tmp_path / 'index'}/ cannot be written (Permission denied): serving the index as "
        "it is, without indexing the articles folder first (as --no-index does).\nChat ready on http://127.0.0.1:"
    )
    with pytest.raises(PermissionError):  # a chat that uploads and deletes needs the folder writable
        _served(monkeypatch, denied, articles_dir=tmp_path / "articles", index_dir=tmp_path / "index")

    def read_only_mount(calls: list[str]) -> Any:
        def ensure_index(self: object) -> str:
            raise OSError(30, "Read-only file system", str(tmp_path / "index" / ".lock"))  # EROFS, no PermissionError

        return ensure_index

    capsys.readouterr()
    _served(monkeypatch, read_only_mount, articles_dir=tmp_path / "a", index_dir=tmp_path / "index", read_only=True)
    assert "cannot be written (Read-only file system): serving the index as it is" in capsys.readouterr().err


def test_serve_no_index_on_an_empty_folder_says_to_upload_not_a_command_that_fails(monkeypatch, tmp_path, capsys):
    from types import SimpleNamespace

    import ui.app as app_module

    demo = SimpleNamespace(launch=lambda **_: None, close=lambda **_: None)
    monkeypatch.setattr(app_module, "build_app", lambda app: demo)
    monkeypatch.setattr(app_module, "serve_until_interrupted", lambda: None)
    (tmp_path / "articles").mkdir()
    settings = Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index")
    port = free_port()
    app_module.serve(settings, port=port, update=False)
    said = capsys.readouterr().err
    # The folder is named (a mistyped --index said "No articles yet: upload some …" and no path)
    assert (
        f"warning: No articles yet, and no index folder {tmp_path / 'index'}/: upload articles in the Articles tab "
        "to start an index there (or check --index)." in said
    )
    assert "qa index --articles" not in said  # it fails on an empty folder
    (tmp_path / "index").mkdir()  # there, and empty: the articles are what is missing
    app_module.serve(settings, port=port, update=False)
    assert "warning: No articles yet: upload some in the Articles tab" in capsys.readouterr().err


def test_serve_started_during_another_programs_build_serves_the_live_index_at_once(
    monkeypatch, tmp_path: Path, capsys
) -> None:
    """It waited 300 s, silent and not serving, then quit naming a flag qa serve lacks."""
    from qa import IndexLockedError

    def busy(calls: list[str]) -> Any:
        def ensure_index(self: object) -> str:
            raise IndexLockedError("Another build of index/ is running.")

        return ensure_index

    calls, settings = _served(monkeypatch, busy, articles_dir=tmp_path / "articles", index_dir=tmp_path / "index")
    assert calls == ["warm", "launch", "serve", "close"]
    assert (
        f"note: another program is building the index {settings.index_dir}/: serving the index as it is; "
        "the chat takes up that build's when it is published." in capsys.readouterr().err
    )


@pytest.mark.model
def test_a_chat_started_on_an_empty_folder_serves_and_its_first_upload_builds_the_index(
    monkeypatch, tmp_path: Path, capsys
) -> None:
    """No article yet is no reason to refuse the chat: its Articles tab is one way in."""
    from types import SimpleNamespace

    import ui.app as app_module

    settings = Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index")
    settings.articles_dir.mkdir()
    apps: list[Any] = []
    demo = SimpleNamespace(launch=lambda **_: None, close=lambda **_: None)
    monkeypatch.setattr(app_module, "build_app", lambda app: apps.append(app) or demo)
    monkeypatch.setattr(app_module, "serve_until_interrupted", lambda: None)
    port = free_port()
    app_module.serve(settings, port=port)
    said = capsys.readouterr().err
    assert (
        "warning: No readable article in" in said
        and "Serving anyway: upload articles in the chat's Articles tab" in said
    )
    # Not "No index yet: ... (qa index --articles ...)": that command fails on the empty folder.
    assert "qa index --articles" not in said and said.count("warning:") == 1
    (app,) = apps
    with pytest.raises(QAError, match=r"^No articles yet: upload some in the Articles tab \(or put them in .*\)\.$"):
        app.status()
    (settings.articles_dir / "notes.txt.bak").write_text("not read")  # the build reads none of these
    (settings.articles_dir / ".hidden.txt").write_text("not read")
    with pytest.raises(QAError, match=r"^No articles yet"):
        app.status()
    (settings.articles_dir / "x.txt").write_text("a file there: qa index is the fix")
    with pytest.raises(QAError, match=r"^No index in .* — or upload articles in the Articles tab\.$"):
        app.status()
    (settings.articles_dir / "x.txt").unlink()
    assert app_module.index_view_values(app)[0].startswith("**No index yet:** No articles yet")  # no "problem"
    upload = tmp_path / "ferry.txt"
    upload.write_text("title: Ferry service resumes\n\nThe island ferry service resumes on Monday after a strike.")
    (done,) = app.add_files([str(upload)]).done
    assert done.startswith("Added ferry.txt. The index now holds 1 article (1 new, 0 updated;")
    assert app.status().startswith("1 article · 1 passage · ")
    assert "resumes on Monday" in app.ask("When does the ferry service resume?").answer.text


def test_every_build_in_the_chat_hands_freed_memory_back(monkeypatch, tmp_path: Path) -> None:
    import ui.service as service

    calls: list[tuple] = []
    monkeypatch.setattr(service, "build_index", lambda settings, **kw: calls.append(("build", kw["full"])) or "report")
    monkeypatch.setattr(service, "release_freed_memory", lambda: calls.append(("trim",)))
    app = service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    assert app._build(full=True) == "report"
    assert calls == [("build", True), ("trim",)]


def test_a_build_behind_another_build_of_the_server_says_it_waits(monkeypatch, tmp_path: Path) -> None:
    """An upload behind a rebuild showed only Gradio's timer, for minutes."""
    import threading

    import ui.service as service

    monkeypatch.setattr(service, "build_index", lambda settings, **kw: "report")
    monkeypatch.setattr(service, "release_freed_memory", lambda: None)
    app = service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    told: list[str] = []
    assert app._build(on_wait=lambda: told.append("alone")) == "report" and told == []  # nothing to wait for
    waiting = threading.Event()
    with app._build_lock:  # a rebuild runs
        behind = threading.Thread(target=lambda: told.append(app._build(on_wait=waiting.set)))
        behind.start()
        assert waiting.wait(10)
        assert told == []  # told, and still waiting
    behind.join(10)
    assert told == ["report"]


def test_a_build_behind_another_programs_build_says_it_waits_and_words_a_timeout_for_the_chat(
    monkeypatch, tmp_path: Path
) -> None:
    """Behind `qa index` (another process's lock) an upload sat 300 s with only Gradio's timer,
    then said "… let it wait for that build: qa index --wait SECONDS" in the browser."""
    import ui.service as service
    from qa import IndexLockedError

    waits: list[float] = []

    def locked(settings: Settings, **kw: object) -> str:
        waits.append(float(kw.get("wait", 0.0)))  # type: ignore[arg-type]
        raise IndexLockedError("Another build of index/ is running. … qa index --wait SECONDS.")

    monkeypatch.setattr(service, "build_index", locked)
    monkeypatch.setattr(service, "release_freed_memory", lambda: None)
    app = service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    told: list[str] = []
    with pytest.raises(IndexLockedError) as refused:
        app._build(on_wait=lambda: told.append("waiting"), wait=7)
    assert told == ["waiting"] and waits == [0.0, 7.0]  # told before the wait, not after it
    assert str(refused.value) == (
        f"Another program is building the index {tmp_path / 'index'}/ (waited 7 s); try again once it is done."
    )
    waits.clear()
    with pytest.raises(IndexLockedError):  # qa serve's start: not waited for (it serves the live index)
        app.ensure_index()
    assert waits == [0.0]


def test_release_freed_memory_is_safe_to_call() -> None:
    from ui.service import release_freed_memory

    assert release_freed_memory() is None


def test_article_lists_are_capped_for_large_collections(monkeypatch, tmp_path: Path) -> None:
    from types import SimpleNamespace

    import ui.service as service

    infos = [
        SimpleNamespace(
            source=SimpleNamespace(title=f"Story {i}", date="2025-01-01", publisher="BBC", article_id=f"a{i}"),
            passages=1,
            indexed_at="2026-11-30T00:00:00",
        )
        for i in range(30)
    ]
    index = SimpleNamespace(articles=lambda: list(infos), publishers=lambda: ["BBC"])
    monkeypatch.setattr(service.ChatApp, "index", lambda self: index)
    monkeypatch.setattr(service, "LISTED_ARTICLES", 12)
    app = service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    rows, matching = app.article_rows()
    assert [row[-1] for row in rows] == [f"a{i}" for i in range(12)] and matching == 30
    rows, matching = app.article_rows("story 2")
    assert [row[-1] for row in rows] == ["a2", *(f"a2{i}" for i in range(10))] and matching == 11
    from ui.articles import ArticlesTab

    table = ArticlesTab(app).table_for
    assert table()["label"] == "The newest 12 of 30 articles: search titles to find the others"
    assert table()["show_label"] is True and len(table()["value"]) == 12
    shown = table("story 2")  # all shown: the table's name is "Articles" again, not the last search's
    assert (shown["show_label"], shown["label"], len(shown["value"])) == (False, "Articles", 11)
    nothing = table("no such story")  # a header row alone read as a broken table
    assert (nothing["value"], nothing["label"], nothing["show_label"]) == (
        [],
        "No article title contains 'no such story'",
        True,
    )
    publishers, articles = app.filter_choices()
    assert publishers == ["BBC"] and len(articles) == 12 and articles[0] == ("Story 0 (a0)", "a0")


def test_build_summary_counts_in_words() -> None:
    from types import SimpleNamespace

    from ui.service import build_summary

    def report(articles: int, added: int = 1) -> Any:
        counts = SimpleNamespace(articles=articles, passages=2)
        lists = {"added": ["a"] * added, "updated": [], "removed": [], "skipped": [], "warnings": []}
        return SimpleNamespace(index_dir="index", counts=counts, seconds=0.4, **lists)

    assert build_summary(report(1)).startswith("Index index/: 1 article, 2 passages (1 added, 0 updated")
    assert build_summary(report(3)).startswith("Index index/: 3 articles, 2 passages")
    # "1,501 articles, … (1501 added": the counts in one line, written alike
    assert "1,501 articles, 2 passages (1,501 added, 0 updated" in build_summary(report(1501, added=1501))


def test_the_serve_log_names_each_skipped_file_and_warning_with_its_reason(tmp_path: Path) -> None:
    """`make chat` said "2 skipped" and nothing else: only `qa index` said which, and why."""
    from qa import Settings
    from ui.service import SUMMARY_LISTED, ChatApp

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "story.txt").write_text("Title: Budget\n\nThe council approved its budget on Monday.\n")
    (articles / "report.pdf").write_bytes(b"not a pdf")
    (articles / "notes.txt").write_bytes(b"\x00\x01\x02binary")
    (articles / "dated.txt").write_text("Title: Rates\nDate: 03/04/2024\n\nThe bank held its rates on Monday.\n")
    for n in range(SUMMARY_LISTED + 2):
        (articles / f"z-empty{n:02}.txt").write_text("")
    app = ChatApp(Settings(articles_dir=articles, index_dir=tmp_path / "index"))
    lines = app.ensure_index().splitlines()
    assert lines[0].startswith("Index ") and f"{SUMMARY_LISTED + 4} skipped;" in lines[0]
    assert lines[1] == "  skipped notes.txt: looks like a binary file (NUL bytes), not text"
    assert lines[2].startswith("  skipped report.pdf: cannot read the PDF")
    assert lines[SUMMARY_LISTED + 1] == "  ... and 4 more skipped (qa index lists all)"
    assert lines[SUMMARY_LISTED + 2].startswith("  warning dated.txt: date '03/04/2024' not read")


def test_a_server_reading_another_articles_folder_refuses_to_upload_or_rebuild(tmp_path: Path) -> None:
    """A replica started without --articles must not replace the shared index's articles."""
    from qa import build_index, load_index
    from tests.conftest import SEED
    from tests.fakes import FakeEncoder
    from ui.service import ChatApp

    shared = Settings(articles_dir=tmp_path / "news", index_dir=tmp_path / "index")
    shared.articles_dir.mkdir()
    (shared.articles_dir / SEED.name).write_bytes(SEED.read_bytes())
    build_index(shared, encoder=FakeEncoder(), progress=False)
    app = ChatApp(Settings(articles_dir=tmp_path / "seeds", index_dir=shared.index_dir))
    upload = tmp_path / "up.txt"
    upload.write_text("title: Up\n\nAn uploaded article about ferries.")
    # (a delete goes through the same build check as an upload)
    for operation in (lambda: app.add_files([str(upload)]), lambda: app.rebuild()):
        with pytest.raises(QAError, match=r"built from the articles in .*/news/"):
            operation()
    assert not any((tmp_path / "seeds").iterdir())  # the upload copied there was taken back
    assert load_index(shared.index_dir, shared, encoder=FakeEncoder()).counts.articles == 1  # as it was


@pytest.mark.parametrize(
    ("mode", "sentences", "problem"),
    [
        ("semantic", 3, "Unknown mode 'semantic'; use one of hybrid, dense, bm25."),
        ("hybrid", "abc", "max_sentences='abc' must be a whole number from 1 to 10"),
        ("hybrid", 0, "max_sentences=0 must be"),
        ("hybrid", 2.5, "max_sentences=2.5 must be"),
        ("hybrid", True, "max_sentences=True must be"),
    ],
)
def test_chat_and_api_options_are_checked_before_answering(tmp_path: Path, mode, sentences, problem) -> None:
    from qa import QuestionError
    from ui.service import ChatApp, sentence_count

    app = ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    with pytest.raises(QuestionError) as refused:
        app.ask("Who won?", None, sentences, mode)
    assert str(refused.value).startswith(problem)
    assert sentence_count(3.0) == 3 and sentence_count(10) == 10


@pytest.mark.parametrize(
    ("since", "until", "problem"),
    [
        ("yesterday", "", "From date 'yesterday' is not a date: write it as 2026-01-31"),
        ("", "03/04/2025", "To date '03/04/2025' could be 4 March or 3 April 2025"),  # March 4 in the US
        ("2026-02-01", "2026-01-01", "The date range from 2026-02-01 to 2026-01-01 is empty"),
    ],
)
def test_chat_dates_are_refused_like_the_cli_and_the_api(tmp_path: Path, since, until, problem) -> None:
    from qa import QuestionError
    from ui.service import ChatApp

    app = ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    with pytest.raises(QuestionError) as refused:
        app.ask("Who won?", None, 3, "hybrid", since=since, until=until)
    assert str(refused.value).startswith(problem)


def test_deleting_an_article_of_a_multi_article_file_says_the_whole_file_goes(monkeypatch, tmp_path: Path) -> None:
    from types import SimpleNamespace

    import ui.service as service
    from ui.articles import ArticlesTab

    def info(article_id: str, path: str) -> SimpleNamespace:
        source = SimpleNamespace(article_id=article_id, title=f"Story {article_id}", path=path)
        return SimpleNamespace(source=source, content_hash=f"hash of {article_id}")

    infos = [info("wire.jsonl#1", "wire.jsonl"), info("wire.jsonl#2", "wire.jsonl"), info("a.txt", "a.txt")]
    by_id = {x.source.article_id: x for x in infos}
    index = SimpleNamespace(articles=lambda: infos, article=by_id.get)
    monkeypatch.setattr(service.ChatApp, "index", lambda self: index)
    tab = ArticlesTab(service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index")))
    assert tab.app.file_holds("wire.jsonl")[0] == 2
    _, text, button, confirmed, _ = tab.ask_confirmation("wire.jsonl#2")
    assert text.endswith("It holds 2 articles, all of which go with it; to remove only this one, edit the file.")
    assert button == "Yes, delete all 2" and confirmed == tab.app.file_holds("wire.jsonl")[1]  # what "Yes" may delete
    # The same record in a feed of more records uploaded under the name since: "delete all 2"
    # deleted all 3.
    infos.append(info("wire.jsonl#3", "wire.jsonl"))
    assert tab.app.file_holds("wire.jsonl")[1] != confirmed
    _, text, button, _, _ = tab.ask_confirmation("a.txt")
    assert "It holds" not in text and button == "Yes, delete it"


def test_the_file_holding_every_indexed_article_is_not_deleted(monkeypatch, tmp_path: Path) -> None:
    """The build after deleting it would fail (an index holds at least one article) with the
    file already gone, and the index would go on answering from it."""
    from types import SimpleNamespace

    import ui.service as service

    articles = tmp_path / "articles"
    articles.mkdir()
    for name in ("wire.jsonl", "a.txt"):
        (articles / name).write_text("x")

    def index_of(*paths: str) -> SimpleNamespace:
        infos = {
            p: SimpleNamespace(source=SimpleNamespace(article_id=p, path=p, title="Tram line opens"), content_hash="b2")
            for p in paths
        }
        counts = SimpleNamespace(articles=len(paths))
        return SimpleNamespace(articles=lambda: list(infos.values()), article=infos.get, counts=counts)

    app = service.ChatApp(Settings(articles_dir=articles, index_dir=tmp_path / "index"))
    monkeypatch.setattr(app, "_build", lambda **_: SimpleNamespace(removed=["a.txt"]))
    monkeypatch.setattr(service.ChatApp, "index", lambda self: index_of("a.txt"))
    assert app.delete_article("a.txt").problems == [
        "Not deleted: a.txt holds every indexed article. Upload another first."
    ]
    assert (articles / "a.txt").exists()
    monkeypatch.setattr(service.ChatApp, "index", lambda self: index_of("a.txt", "wire.jsonl"))
    # Confirmed for another version of a.txt (deleted and uploaded again under its name since).
    assert app.delete_article("a.txt", confirmed="what a.txt held before").problems == [
        "Not deleted: a.txt changed since you were asked (it now holds 'Tram line opens'); select it in the "
        "table again to delete it."
    ]
    assert (articles / "a.txt").exists()
    _, now = app.file_holds("a.txt")
    assert app.delete_article("a.txt", confirmed=now).done == ["Deleted a.txt (1 article removed from the index)."]
    assert not (articles / "a.txt").exists()


@pytest.mark.parametrize("publishers", [[], ["BBC"]])
def test_an_empty_publisher_filter_says_where_publishers_come_from(publishers: list[str]) -> None:
    from types import SimpleNamespace

    from ui.app import index_view_values

    app = SimpleNamespace(filter_choices=lambda: (publishers, []), starters=lambda: [], status=lambda: "ready")
    _, publisher_filter, _, _ = index_view_values(app)  # type: ignore[arg-type]
    assert publisher_filter["choices"] == publishers
    if publishers:
        assert publisher_filter["info"] == ""
    else:
        assert "Source: header line" in publisher_filter["info"]


def built_upload(articles: int, warnings: tuple = ()) -> Any:
    """What `ChatApp._build` reports after an upload, as far as the upload's messages read it."""
    from types import SimpleNamespace

    counts = SimpleNamespace(articles=articles)
    return SimpleNamespace(counts=counts, added=["x"], updated=[], removed=[], seconds=0.1, warnings=warnings)


def test_an_upload_says_when_it_was_renamed_and_which_records_it_skipped(tmp_path: Path, monkeypatch) -> None:

    from ui import service

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "solar-farm.txt").write_text("title: Solar farm\n\nThe farm will cost 620 million.")
    app = service.ChatApp(Settings(articles_dir=articles, index_dir=tmp_path / "index"))
    monkeypatch.setattr(app, "_build", lambda **_: built_upload(3))
    newer = tmp_path / "solar-farm.txt"
    newer.write_text("title: Solar farm\n\nThe farm will cost 700 million.")
    accented = tmp_path / "Rapport été.txt"
    accented.write_text("title: Rapport\n\nThe summer report is out.")
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"text": "A good record with words."}\n{"title": "no text"}\nnot json\n')
    outcome = app.add_files([str(newer), str(accented), str(mixed)])
    said = "\n".join(outcome.done)
    assert "solar-farm.txt was saved as solar-farm-2.txt: a different solar-farm.txt is already there" in said
    assert "delete solar-farm.txt (select it in the table), then upload again" in said
    assert "Rapport été.txt was saved as Rapport-été.txt (a file name of letters, digits, dashes and" in said
    assert outcome.problems == [
        "In mixed.jsonl, 2 skipped: "  # in line order (a malformed line came first, wherever it was)
        'mixed.jsonl:2: record has no text (a "text", "body", "content", "articleBody" or "description" string); '
        "its keys: title; mixed.jsonl:3: malformed JSON line (Expecting value at column 1)"
    ]


def test_an_upload_never_writes_through_a_broken_link_in_the_folder(tmp_path: Path, monkeypatch) -> None:
    # a broken link counted as a free name, and the copy followed it out of the folder

    from ui import service

    articles, outside = tmp_path / "articles", tmp_path / "outside"
    articles.mkdir()
    outside.mkdir()
    (articles / "note.txt").symlink_to(outside / "pwned.txt")
    app = service.ChatApp(Settings(articles_dir=articles, index_dir=tmp_path / "index"))
    monkeypatch.setattr(app, "_build", lambda **_: built_upload(1))
    upload = tmp_path / "note.txt"
    upload.write_text("title: Note\n\nThe ferry sailed to Skye on Monday.")
    outcome = app.add_files([str(upload)])
    assert not (outside / "pwned.txt").exists()
    assert (articles / "note-2.txt").read_text() == upload.read_text(), outcome


def test_an_upload_that_costs_too_much_to_read_is_refused_and_never_reaches_the_folder(
    tmp_path: Path, monkeypatch
) -> None:
    # read in the server's own process, 20 MB of "<li>a" took 202 s and 7.5 GB
    from qa.articles import ReadLimits
    from ui import service

    articles = tmp_path / "articles"
    articles.mkdir()
    app = service.ChatApp(
        Settings(articles_dir=articles, index_dir=tmp_path / "index"), read_limits=ReadLimits(seconds=1)
    )
    monkeypatch.setattr(app, "_build", lambda **_: pytest.fail("nothing to build"))
    upload = tmp_path / "list.html"
    upload.write_text("<html><body><ul>" + "<li>a" * 200_000 + "</ul></body></html>")  # 11 s to read here
    outcome = app.add_files([str(upload)])
    assert outcome.problems == [
        "Not added: list.html: reading it took over 1 s, the limit for this file; if the file is genuine, "
        "put it in the articles folder and run qa index (no limits there)"
    ]
    assert list(articles.iterdir()) == []


def test_an_upload_overwrites_no_file_that_takes_its_name_while_it_is_copied(tmp_path: Path, monkeypatch) -> None:
    # two tabs uploading note.txt at once: the name was chosen, then the copy written over
    # whatever had taken the name meanwhile, and the first upload was lost
    import shutil

    from ui import service

    articles = tmp_path / "articles"
    articles.mkdir()
    app = service.ChatApp(Settings(articles_dir=articles, index_dir=tmp_path / "index"))
    monkeypatch.setattr(app, "_build", lambda **_: built_upload(2))
    copy_file, copy_data = shutil.copyfile, shutil.copyfileobj

    def other_upload_lands_first() -> None:
        if not (articles / "note.txt").exists():
            (articles / "note.txt").write_text("title: Other\n\nThe other tab's note.")

    def copyfile(*args: Any, **kwargs: Any) -> Any:
        other_upload_lands_first()
        return copy_file(*args, **kwargs)

    def copyfileobj(*args: Any, **kwargs: Any) -> Any:
        other_upload_lands_first()
        return copy_data(*args, **kwargs)

    monkeypatch.setattr(service.shutil, "copyfile", copyfile)
    monkeypatch.setattr(service.shutil, "copyfileobj", copyfileobj)
    upload = tmp_path / "note.txt"
    upload.write_text("title: Note\n\nThe ferry sailed to Skye on Monday.")
    outcome = app.add_files([str(upload)])
    assert (articles / "note.txt").read_text() == "title: Other\n\nThe other tab's note."
    assert (articles / "note-2.txt").read_text() == upload.read_text(), outcome
    assert sorted(p.name for p in articles.iterdir()) == ["note-2.txt", "note.txt"]  # no copy left hidden


def test_uploads_arriving_together_are_read_one_at_a_time(tmp_path: Path, monkeypatch) -> None:
    # each reader may take the memory limit: eight at once (Gradio's concurrency) took eight times it
    import threading
    import time

    from ui import service

    app = service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    monkeypatch.setattr(app, "_build", lambda **_: built_upload(1))
    active, most = [], []
    real_read = service.read_file

    def read_file(*args: Any, **kwargs: Any) -> Any:
        active.append(1)
        most.append(len(active))
        time.sleep(0.3)
        active.pop()
        return real_read(*args)  # in this process: the lock, not the child, is under test

    monkeypatch.setattr(service, "read_file", read_file)
    uploads = []
    for n in range(3):
        upload = tmp_path / f"note{n}.txt"
        upload.write_text(f"title: Note {n}\n\nThe ferry sailed {n} times on Monday.")
        uploads.append(upload)
    threads = [threading.Thread(target=app.add_files, args=([str(u)],)) for u in uploads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(most) == 3 and max(most) == 1


def test_the_same_file_uploaded_twice_at_once_is_added_once(tmp_path: Path, monkeypatch) -> None:
    """Both uploads looked for a copy before either was placed: both were added, cited twice."""
    import contextlib
    import threading
    from types import SimpleNamespace

    from ui import service

    articles = tmp_path / "articles"
    app = service.ChatApp(Settings(articles_dir=articles, index_dir=tmp_path / "index"))
    monkeypatch.setattr(app, "_build", lambda **_: built_upload(1))
    monkeypatch.setattr(service, "read_file", lambda *a, **k: SimpleNamespace(articles=[object()], skipped=[]))
    both_looked = threading.Barrier(2)
    real_copy_of = app._copy_of

    def copy_of(source: Path) -> str | None:
        found = real_copy_of(source)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_looked.wait(timeout=1.0)  # without a lock around look-and-place, both look first
        return found

    monkeypatch.setattr(app, "_copy_of", copy_of)
    outcomes = []
    for n in range(2):
        upload = tmp_path / f"upload{n}" / "note.txt"
        upload.parent.mkdir()
        upload.write_text("title: Note\n\nThe ferry sailed to Skye on Monday.")
        outcomes.append(upload)
    results: list[service.Outcome] = []
    threads = [threading.Thread(target=lambda u=u: results.append(app.add_files([str(u)]))) for u in outcomes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p.name for p in articles.iterdir()) == ["note.txt"]
    assert sorted(len(r.problems) for r in results) == [0, 1]
    assert "the same file is already in the articles folder, as note.txt" in str([r.problems for r in results])


def test_an_upload_that_cannot_be_renamed_into_place_leaves_no_empty_article(tmp_path: Path, monkeypatch) -> None:
    from ui import service

    articles = tmp_path / "articles"
    app = service.ChatApp(Settings(articles_dir=articles, index_dir=tmp_path / "index"))
    monkeypatch.setattr(app, "_build", lambda **_: pytest.fail("nothing was added"))

    def replace(*args: Any) -> None:
        raise PermissionError(13, "Permission denied")  # e.g. Windows, the name open in an editor

    monkeypatch.setattr(service.os, "replace", replace)
    upload = tmp_path / "note.txt"
    upload.write_text("title: Note\n\nThe ferry sailed to Skye on Monday.")
    with pytest.raises(PermissionError):
        app.add_files([str(upload)])
    assert list(articles.iterdir()) == []  # neither the claimed name nor the hidden copy


def test_a_hidden_file_in_the_folder_is_no_copy_that_refuses_an_upload(tmp_path: Path, monkeypatch) -> None:
    # another upload's copy in progress (.upload-…) is not indexed: it was named as "already there"
    from ui import service

    articles = tmp_path / "articles"
    articles.mkdir()
    text = "title: Note\n\nThe ferry sailed to Skye on Monday."
    (articles / ".upload-1f2e3d4c.txt").write_text(text)
    app = service.ChatApp(Settings(articles_dir=articles, index_dir=tmp_path / "index"))
    monkeypatch.setattr(app, "_build", lambda **_: built_upload(1))
    upload = tmp_path / "note.txt"
    upload.write_text(text)
    outcome = app.add_files([str(upload)])
    assert outcome.problems == [] and (articles / "note.txt").read_text() == text


def test_an_upload_passes_on_the_builds_warnings_about_its_own_files(tmp_path: Path, monkeypatch) -> None:
    """A near-copy, a guessed encoding, a date not read: `qa index` said so, the toast did not."""

    from qa.articles import Skipped
    from ui import service

    app = service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    warnings = (
        Skipped("again.txt", "the same article as carney.txt: both are indexed, an answer cites one"),
        Skipped("older.txt", "read as cp1252 (a guess)"),  # a file indexed before: not this upload's
        Skipped("feed.jsonl:2", "date 'soon' not read (not a date)"),
    )
    monkeypatch.setattr(app, "_build", lambda **_: built_upload(3, warnings))
    (tmp_path / "again.txt").write_text("title: Again\n\nThe same story.")
    (tmp_path / "feed.jsonl").write_text('{"text": "One story.", "date": "soon"}\n{"text": "Two.", "date": "soon"}\n')
    outcome = app.add_files([str(tmp_path / "again.txt"), str(tmp_path / "feed.jsonl")])
    assert outcome.problems == [
        "again.txt: the same article as carney.txt: both are indexed, an answer cites one",
        "feed.jsonl:2: date 'soon' not read (not a date)",
    ]


def test_upload_and_rebuild_messages_count_in_words(tmp_path: Path, monkeypatch) -> None:
    """A first upload into an empty index, or a rebuild of the one seed article: "1 article"."""
    from types import SimpleNamespace

    from ui import service

    articles = tmp_path / "articles"
    articles.mkdir()
    app = service.ChatApp(Settings(articles_dir=articles, index_dir=tmp_path / "index"))
    monkeypatch.setattr(service, "check_articles_folder", lambda settings: None)

    def built(n: int, passages: int) -> Any:
        counts = SimpleNamespace(articles=n, passages=passages)
        return SimpleNamespace(counts=counts, added=["x"], updated=[], removed=[], seconds=0.1, warnings=())

    upload = tmp_path / "ferries.txt"
    upload.write_text("title: Ferries\n\nThe ferries run again from Monday.")
    monkeypatch.setattr(app, "_build", lambda **_: built(1, 1))
    assert app.add_files([str(upload)]).done == [
        "Added ferries.txt. The index now holds 1 article (1 new, 0 updated; 0.1 s)."
    ]
    assert app.rebuild().done == ["Rebuilt the index: 1 article, 1 passage in 0.1 s."]
    monkeypatch.setattr(app, "_build", lambda **_: built(1234, 5678))
    assert app.rebuild().done == ["Rebuilt the index: 1,234 articles, 5,678 passages in 0.1 s."]
    # 40 files named one by one made a toast 1,800 px tall, its warnings below the screen
    uploads = [tmp_path / f"ferry-{n}.txt" for n in range(7)]
    for n, path in enumerate(uploads):
        path.write_text(f"title: Ferry {n}\n\nFerry number {n} runs again from Monday.")
    assert (
        app.add_files([str(p) for p in uploads])
        .done[0]
        .startswith(
            "Added ferry-0.txt, ferry-1.txt, ferry-2.txt, ferry-3.txt, ferry-4.txt and 2 more files. The index now"
        )
    )


def test_status_line_counts_with_thousands_separators_and_singulars(monkeypatch, tmp_path: Path) -> None:
    from types import SimpleNamespace

    import ui.service as service

    def status(articles: int, passages: int) -> str:
        index = SimpleNamespace(
            counts=SimpleNamespace(articles=articles, passages=passages),
            built_at="2026-12-01T03:51:07+00:00",
            model_name="all-MiniLM-L6-v2",
        )
        monkeypatch.setattr(service.ChatApp, "index", lambda self: index)
        return service.ChatApp(Settings(articles_dir=tmp_path, index_dir=tmp_path / "index")).status()

    assert status(2225, 12520) == (
        "2,225 articles · 12,520 passages · model all-MiniLM-L6-v2 · updated 2026-12-01 03:51 UTC"
    )
    assert status(1, 1).startswith("1 article · 1 passage · ")


def test_only_answers_this_server_gave_can_be_rated(tmp_path: Path, monkeypatch) -> None:
    # a hand-made snapshot recorded 5 MB answers the server never gave (qa eval replays them)
    from qa import Answer
    from qa.feedback import read_feedback
    from ui import service

    (tmp_path / "index").mkdir()
    app = service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    given = service.Reply(Answer("Who won?", False, "not found", (), (), 0.1), "gen-1")
    snapshot = app.feedback_snapshot(given)
    app.record_feedback(snapshot, False)
    assert [r.question for r in read_feedback(app.feedback_file)] == ["Who won?"]
    for forged in (
        {**snapshot, "question": "Who lost?"},  # changed in the browser
        {k: v for k, v in snapshot.items() if k != "signature"},  # unsigned (made by hand)
        {**snapshot, "signature": 7},
    ):
        with pytest.raises(QAError, match="this server did not give it as it stands"):
            app.record_feedback(forged, True)
    assert len(read_feedback(app.feedback_file)) == 1  # the forged ones were not recorded
    # through the browser's storage, whole numbers lose their ".0": a "not found" answer with
    # confidence 0.0 came back with 0 and its rating was refused
    nothing = service.Reply(Answer("Quantum zebras?", False, "not found", (), (), 0.0), "gen-1")

    def as_the_browser_keeps_it(value):
        if isinstance(value, dict):
            return {k: as_the_browser_keeps_it(v) for k, v in value.items()}
        if isinstance(value, list):
            return [as_the_browser_keeps_it(v) for v in value]
        return int(value) if isinstance(value, float) and value.is_integer() else value

    kept = as_the_browser_keeps_it(app.feedback_snapshot(nothing))
    assert kept["confidence"] == 0 and isinstance(kept["confidence"], int)
    assert app.record_feedback(kept, False).question == "Quantum zebras?"
    # the key is kept beside the index: a restarted server (or a replica) still takes the rating
    again = service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    again.record_feedback(snapshot, True)
    assert (tmp_path / "index" / ".feedback-key").stat().st_mode & 0o777 == 0o600


def test_uploads_leave_gradios_cache_after_an_hour(tmp_path: Path) -> None:
    # refused uploads stayed in the cache for good (60 MB for three refused .bin files)
    from ui.app import UPLOAD_CACHE_SECONDS, ChatApp, build_app

    demo = build_app(ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index")))
    assert demo.delete_cache == (UPLOAD_CACHE_SECONDS, UPLOAD_CACHE_SECONDS) == (3600, 3600)


def test_a_read_only_chat_refuses_every_change_to_the_articles(tmp_path: Path) -> None:
    """Whatever calls them (the tab wires none of them), uploads, deletions and rebuilds are
    refused and change nothing: no file copied, none deleted, no build."""
    from ui.service import ChatApp

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "kept.txt").write_text("The harbour festival drew a record crowd on Saturday.")
    upload = tmp_path / "upload.txt"
    upload.write_text("The old lighthouse was restored by volunteers over two years.")
    app = ChatApp(Settings(articles_dir=articles, index_dir=tmp_path / "index"), read_only=True)
    said = {
        "Not added": app.add_files([str(upload)]).message,
        "Not deleted": app.delete_article("kept.txt").message,
        "Not rebuilt": app.rebuild().message,
    }
    why = "this chat is read-only (qa serve --read-only): whoever runs it adds and removes the articles."
    assert said == {verb: f"{verb}: {why}" for verb in said}
    assert sorted(p.name for p in articles.iterdir()) == ["kept.txt"] and not (tmp_path / "index").exists()


def test_a_question_over_the_limit_is_refused_before_anything_is_loaded_or_echoed(tmp_path: Path) -> None:
    from qa import QuestionError
    from ui.app import api_endpoint
    from ui.service import QUESTION_LIMIT, ChatApp

    app = ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))  # no index
    pasted = "Who won? " * 5_000  # 45,000 characters
    with pytest.raises(QuestionError, match=r"^The question is 45,000 characters long; the chat takes up to 20,000"):
        app.ask(pasted)
    reply = api_endpoint(app)(pasted)
    assert reply["error"].startswith("The question is 45,000 characters long") and reply["found"] is False
    assert reply["question"] == pasted[:QUESTION_LIMIT]  # not the whole paste back
    with pytest.raises(QAError, match="No articles yet"):  # at the limit: on to the index (none here)
        app.ask("x" * QUESTION_LIMIT)


def test_only_the_last_history_turns_reach_answer(monkeypatch, tmp_path: Path) -> None:
    from types import SimpleNamespace

    import ui.service as service

    seen: list[object] = []
    monkeypatch.setattr(service.ChatApp, "index", lambda self: SimpleNamespace(generation=Path("g1")))
    monkeypatch.setattr(service, "answer", lambda question, history, **options: seen.append(history))
    app = service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    turns = [f"Question {n}?" for n in range(5_000)]
    app.ask("And then?", turns)
    app.ask("And then?", turns[:3])
    assert seen == [turns[-service.HISTORY_TURNS :], turns[:3]] and service.HISTORY_TURNS == 20


def test_the_text_as_indexed_shows_a_bidi_override_as_a_mark(monkeypatch, tmp_path: Path) -> None:
    from types import SimpleNamespace

    import ui.service as service
    from ui.articles import ArticlesTab

    index = SimpleNamespace(article_text=lambda article_id: "Officials said the \u202eyaw eht fo tuo vote was close.")
    monkeypatch.setattr(service.ChatApp, "index", lambda self: index)
    tab = ArticlesTab(service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index")))
    row = ["Vote", "", "", 1, "", "vote.txt"]
    _, _, _, preview, _ = tab.pick(SimpleNamespace(row_value=row))
    assert preview["value"] == "Officials said the \ufffdyaw eht fo tuo vote was close."


def test_a_text_or_an_object_for_history_or_sources_is_not_read_letter_by_letter(monkeypatch, built) -> None:
    import ui.service as service
    from qa import QuestionError

    # /ask took history "What tariffs…" as the turns "W", "h", "a", … and sources "North Times" as
    # the publishers "N", "o", …: a wrong answer, no error.
    monkeypatch.setattr(service.ChatApp, "index", lambda self: built)
    app = service.ChatApp(built.settings)
    with pytest.raises(QuestionError, match=r"^history='Which striker scored\?' must be a list of the earlier turns"):
        app.ask("And when?", "Which striker scored?")
    with pytest.raises(QuestionError, match=r"^history=\{'a': 1\} must be a list"):
        app.ask("And when?", {"a": 1})  # type: ignore[arg-type]
    with pytest.raises(QuestionError, match=r"^sources=\{'a': 1\} must be publishers or article ids"):
        app.ask("Which striker scored?", sources={"a": 1})  # type: ignore[arg-type]
    one = app.ask("Which striker scored?", sources="Sports Daily")  # type: ignore[arg-type]
    assert one.answer.notices == () and {s.citation.source.publisher for s in one.answer.sentences} == {"Sports Daily"}
    other = app.ask("Which striker scored?", sources="Example Wire").answer
    assert all(s.citation.source.publisher == "Example Wire" for s in other.sentences)


def test_the_kept_upload_result_names_what_was_added_however_many_were_refused(monkeypatch, tmp_path: Path) -> None:
    import ui.service as service
    from ui.articles import ArticlesTab

    refused = [f"Not added: empty{n}.txt: file is empty" for n in range(9)]
    added = ["Added pool.txt. The index now holds 3 articles (1 new, 0 updated; 0.4 s)."]
    app = service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    monkeypatch.setattr(app, "add_files", lambda *a, **k: service.Outcome(done=added, problems=refused))
    tab = ArticlesTab(app)
    monkeypatch.setattr(tab, "refresh", lambda search: ())
    cleared, kept = tab.add([], "", progress=lambda *a, **k: None)  # type: ignore[arg-type]
    # Cut with the refusals at 8 lines, "Added pool.txt" was not among them.
    assert kept.endswith(f"empty6.txt: file is empty<br>… and 2 more<br>{added[0]}</p>")
    assert cleared == {"__type__": "update", "value": None, "interactive": True}  # emptied, taking files again
    monkeypatch.setattr(app, "add_files", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    reopened, kept = tab.add([], "", progress=lambda *a, **k: None)  # type: ignore[arg-type]
    assert "Not added: No space left on device" in kept and reopened["interactive"] is True  # it stayed disabled
    monkeypatch.setattr(app, "add_files", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("a bug")))
    reopened, kept = tab.add([], "", progress=lambda *a, **k: None)  # type: ignore[arg-type]
    assert "Not added: an unexpected error" in kept and reopened["interactive"] is True


def test_uploads_deletions_and_rebuilds_say_what_they_do_from_their_start(monkeypatch, tmp_path: Path) -> None:
    """Until the first passage was embedded, the page showed Gradio's estimate from earlier
    uploads: "2.0/0.4s" for an upload that took 57 s."""
    import ui.service as service
    from ui.articles import ArticlesTab

    app = service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index"))
    told: list[tuple[str, object]] = []
    monkeypatch.setattr(app, "add_files", lambda *a, **k: told.append(("added", None)) or service.Outcome())
    monkeypatch.setattr(app, "delete_article", lambda *a, **k: told.append(("deleted", None)) or service.Outcome())
    monkeypatch.setattr(app, "rebuild", lambda *a, **k: told.append(("rebuilt", None)) or service.Outcome())
    tab = ArticlesTab(app)
    monkeypatch.setattr(tab, "refresh", lambda search: ())

    def progress(value: object, desc: str = "", **_: object) -> None:
        told.append((desc, value))

    tab.add([], "", progress=progress)  # type: ignore[arg-type]
    tab.remove("a.txt", "", "", progress=progress)  # type: ignore[arg-type]
    tab.rebuild_all("", progress=progress)  # type: ignore[arg-type]
    assert told == [
        ("Reading the new files", 0.0),
        ("added", None),
        ("Deleting the article and updating the index", 0.0),
        ("deleted", None),
        ("Reading every article", 0.0),
        ("rebuilt", None),
    ]


def test_an_address_in_a_title_is_no_link_in_the_articles_tab_lines() -> None:
    """Linked, the Markdown escapes went into the address: "https://status%5C.example%5C.com"."""
    from ui.articles import _md

    assert _md("Outage hits https://status.example.com") == "Outage hits https:\u2060//status\\.example\\.com"


def test_the_rebuild_question_without_an_index_promises_no_current_index(tmp_path: Path) -> None:
    import ui.service as service
    from ui.articles import ArticlesTab

    tab = ArticlesTab(service.ChatApp(Settings(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index")))
    _, question = tab.ask_rebuild()
    assert question == (
        "Rebuild the index from the articles folder? Every article is read and its passages are embedded; the "
        "chat answers once the index is ready. (Uploads and deletions here update the index by themselves.)"
    )


def test_the_server_log_names_each_build_it_takes_up(caplog) -> None:
    """Replicas took up new builds (and a repaired one) without a line an operator could see."""
    from types import SimpleNamespace

    import ui.app as app_module

    index = SimpleNamespace(
        settings=SimpleNamespace(index_dir=Path("news-index")),
        generation=Path("news-index/gen-20261208T020500-ab12"),
        counts=SimpleNamespace(articles=2225, passages=4618),
    )
    with caplog.at_level("INFO", logger="ui"):
        app_module._log_loaded(index)  # type: ignore[arg-type]
    assert caplog.messages == ["answering from news-index/ (gen-20261208T020500-ab12): 2,225 articles, 4,618 passages"]
