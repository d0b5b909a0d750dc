"""The browser app, end to end: Playwright driving Debian's Chromium, and the API via gradio_client."""

from __future__ import annotations

import os
import re
import shutil
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import SEED, TRUDEAU

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
XSS_ARTICLE = (
    f"title: Harbour festival {XSS}\ndate: 2025-07-01\nsource: Town Crier\n\n"
    f"The harbour festival drew a record crowd of 12,000 visitors on Saturday. "
    f"A banner read {XSS} near the pier. Organisers plan a second festival next summer."
)
UPLOAD = (
    "title: Lighthouse restored\ndate: 2025-09-09\nsource: Coast News\n\n"
    "The old lighthouse at Kestrel Point was restored by volunteers over two years. "
    "Its lamp was relit on Sunday evening in front of a large crowd."
)

pytestmark = [pytest.mark.browser, pytest.mark.model]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from qa import Settings
    from ui.app import ChatApp, build_app, launch_kwargs

    root = tmp_path_factory.mktemp("ui")
    articles = root / "articles"
    articles.mkdir()
    shutil.copy(SEED, articles / SEED.name)
    (articles / "festival.txt").write_text(XSS_ARTICLE)
    app = ChatApp(Settings(articles_dir=articles, index_dir=root / "index"), max_upload_mb=1)
    app.ensure_index()
    demo = build_app(app)
    _, url, _ = demo.launch(
        server_name="127.0.0.1",
        server_port=free_port(),
        prevent_thread_lock=True,
        quiet=True,
        max_file_size=app.max_upload_bytes,
        **launch_kwargs(),
    )
    yield url, app, root
    demo.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    url = server[0]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url, wait_until="domcontentloaded")
    page.locator("#q textarea").wait_for()
    yield page
    context.close()


def ask(page, question: str) -> None:
    from playwright.sync_api import expect

    bots = page.locator("#chatbot [data-testid='bot']")
    before = bots.count()
    page.locator("#q textarea").fill(question)
    page.locator("#q textarea").press("Enter")
    expect(bots).to_have_count(before + 1, timeout=20_000)
    expect(page.locator("#chatbot [data-testid='status-tracker']")).to_have_class(
        re.compile(r"\bhide\b"), timeout=20_000
    )


def last_answer(page):
    return page.locator("#chatbot [data-testid='bot']").last


def test_trudeau_answer_with_marker_and_highlighted_source(page):
    from playwright.sync_api import expect

    ask(page, "What tariffs did Trudeau impose?")
    answer = last_answer(page)
    expect(answer).to_contain_text(TRUDEAU)
    first = answer.locator(".qa-answer p").inner_text()
    assert first.startswith(TRUDEAU + " [1]")
    marker = answer.locator("a.qa-cite").first
    assert marker.inner_text() == "[1]"
    assert "As Canadian leader Mark Carney" in marker.get_attribute("title")  # hover shows the source
    marks = page.locator("#sources .qa-source mark").all_inner_texts()
    assert TRUDEAU in marks
    expect(page.locator("#sources #qa-src-1 .qa-meta")).to_contain_text("2026-01-13")
    expect(page.locator("#sources #qa-src-1 .qa-match")).to_contain_text("match")
    marker.click()  # clicking a marker shows that source
    assert page.evaluate("location.hash") == "#qa-src-1"
    assert page.evaluate("document.querySelector('#qa-src-1').matches(':target')")


def test_followup_uses_the_conversation(page):
    from playwright.sync_api import expect

    ask(page, "What tariffs did Trudeau impose?")
    ask(page, "How did China respond?")
    expect(last_answer(page).locator(".qa-answer p")).to_contain_text("retaliatory tariffs from China")
    page.locator("#new-chat").click()
    expect(page.locator("#chatbot [data-testid='bot']")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("Ask a question")


def test_unanswerable_question_shows_the_not_found_state(page):
    from playwright.sync_api import expect

    ask(page, "Who won the 2022 FIFA World Cup?")
    expect(last_answer(page).locator(".qa-notfound")).to_contain_text("I could not find this in the articles.")
    assert last_answer(page).locator(".qa-answer").count() == 0
    expect(page.locator("#sources")).to_contain_text("No source")


def test_xss_article_is_shown_as_text_and_runs_nothing(page):
    from playwright.sync_api import expect

    ask(page, "How many visitors came to the harbour festival?")
    answer = last_answer(page)
    expect(answer).to_contain_text("12,000 visitors")
    expect(answer.locator(".qa-sources-inline")).to_contain_text(XSS)  # the title, as text
    expect(page.locator("#sources .qa-title")).to_contain_text(XSS)
    page.locator("#tab-articles-button").click()
    expect(page.locator("#articles-table")).to_contain_text("Harbour festival <script>")
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("document.querySelectorAll('#chatbot script, #sources script').length") == 0


def test_upload_then_answer_from_the_new_article(page, server, tmp_path):
    from playwright.sync_api import expect

    upload = tmp_path / "lighthouse news.txt"
    upload.write_text(UPLOAD)
    page.locator("#tab-articles-button").click()
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    expect(page.locator("#articles-result")).to_contain_text("Added lighthouse-news.txt", timeout=60_000)
    expect(page.locator("#articles-table")).to_contain_text("Lighthouse restored")
    assert (server[2] / "articles" / "lighthouse-news.txt").read_text() == UPLOAD
    page.locator("#tab-chat-button").click()
    ask(page, "Who restored the lighthouse at Kestrel Point?")
    expect(last_answer(page)).to_contain_text("restored by volunteers")
    expect(page.locator("#sources")).to_contain_text("Lighthouse restored")


def test_delete_article_asks_for_confirmation(page, server):
    from playwright.sync_api import expect

    (server[2] / "articles" / "doomed.txt").write_text("title: Doomed article\n\nThis article will be deleted soon.")
    server[1].ensure_index()
    page.reload(wait_until="domcontentloaded")
    page.locator("#tab-articles-button").click()
    page.locator("#article-search textarea").fill("Doomed")
    cell = page.locator("#articles-table [role=gridcell]", has_text="Doomed article").first
    cell.click()
    expect(page.locator("#picked")).to_contain_text("Doomed article")
    page.locator("#delete").click()
    expect(page.locator("#picked")).to_contain_text("This removes the file")
    page.locator("#confirm-delete").click()
    expect(page.locator("#articles-result")).to_contain_text("Deleted doomed.txt")
    assert not (server[2] / "articles" / "doomed.txt").exists()
    expect(page.locator("#articles-table")).not_to_contain_text("Doomed article")


def test_api_endpoint_through_gradio_client(server):
    from gradio_client import Client

    client = Client(server[0], verbose=False, analytics_enabled=False)
    result = client.predict("What tariffs did Trudeau impose?", api_name="/ask")
    assert result["found"] is True and result["answer"].startswith(TRUDEAU + " [1]")
    assert result["citations"][0]["sentence"] == TRUDEAU
    assert result["sources"][0]["n"] == 1 and result["sources"][0]["date"] == "2026-01-13"
    one = client.predict("What tariffs did Trudeau impose?", None, 1, api_name="/ask")
    assert len(one["sentences"]) == 1
    follow = client.predict("How did China respond?", ["What tariffs did Trudeau impose?"], api_name="/ask")
    assert "retaliatory tariffs from China" in follow["sentences"][0]["text"]


def test_twenty_concurrent_api_calls_all_answer_correctly(server):
    from gradio_client import Client

    questions = ["What tariffs did Trudeau impose?", "Who won the 2022 FIFA World Cup?"] * 10

    def call(question: str) -> dict:
        return Client(server[0], verbose=False, analytics_enabled=False).predict(question, api_name="/ask")

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(call, questions))
    for question, result in zip(questions, results):
        assert result["question"] == question
        if "Trudeau" in question:
            assert result["found"] and result["answer"].startswith(TRUDEAU)
        else:
            assert not result["found"]


# -- the app's rules, without a browser ---------------------------------------------------------------------


def test_upload_rules_extension_size_names_and_no_silent_overwrite(server, tmp_path):
    app, articles = server[1], server[2] / "articles"
    bad = tmp_path / "notes.exe"
    bad.write_text("x")
    assert "unsupported file type" in app.add_files([str(bad)])
    big = tmp_path / "big.txt"
    big.write_text("word " * 300_000)  # 1.5 MB, over the fixture's 1 MB upload limit
    assert "over the 1 MB upload limit" in app.add_files([str(big)])
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01binary")
    assert "binary" in app.add_files([str(binary)])
    sneaky = tmp_path / "x" / "..%2F..%2Fevil name.txt"
    sneaky.parent.mkdir()
    sneaky.write_text("title: Sneaky\n\nA harmless article about gardens and roses.")
    message = app.add_files([str(sneaky)])
    assert "Added" in message and (articles / "2F-2Fevil-name.txt").exists()
    other = tmp_path / "y" / "..%2F..%2Fevil name.txt"
    other.parent.mkdir()
    other.write_text("title: Another\n\nA different article about tulips.")
    assert "Added 2F-2Fevil-name-2.txt" in app.add_files([str(other)])  # renamed, not overwritten
    assert "already in the articles folder" in app.add_files([str(sneaky)])
    assert not list(server[2].glob("*.exe")) and not (server[2] / "evil name.txt").exists()


def test_safe_filename():
    from ui.app import safe_filename

    assert safe_filename("../../etc/passwd.txt") == "passwd.txt"
    assert safe_filename("C:\\Users\\x\\report.HTML") == "report.html"
    assert safe_filename(".hidden notes.md") == "hidden-notes.md"
    assert safe_filename("....txt") == "article.txt"


def test_exposure_warning_and_auth_parsing(monkeypatch):
    from qa.errors import QAError
    from ui.app import exposure_warning, parse_auth

    assert exposure_warning("127.0.0.1", None) is None
    assert "without --auth" in exposure_warning("0.0.0.0", None)
    assert exposure_warning("0.0.0.0", ("u", "p")) is None
    assert parse_auth("alice:s3:cret") == ("alice", "s3:cret")
    monkeypatch.setenv("QA_AUTH", "bob:pw")
    assert parse_auth(None) is None  # the CLI reads QA_AUTH and passes it in; the app reads no environment
    with pytest.raises(QAError, match="USER:PASSWORD"):
        parse_auth("nocolon")


def test_rendering_escapes_article_text():
    from qa.answering import NOT_FOUND, Answer
    from ui.app import render_not_found

    hit_text = "<img src=x onerror=alert(1)>"
    from qa.articles import Source
    from qa.retrieval import Hit

    hit = Hit(
        rank=1,
        score=0.1,
        source=Source("a", "<b>T</b>", "a.txt"),
        passage_id=1,
        text=hit_text,
        start=0,
        end=len(hit_text),
        sentences=(),
        dense=0.1,
        lexical=0.0,
    )
    html_out = render_not_found(Answer("q", False, NOT_FOUND, (), (hit,), 0.1))
    assert "<img" not in html_out and "&lt;img src=x onerror=alert(1)&gt;" in html_out
    assert "&lt;b&gt;T&lt;/b&gt;" in html_out


def test_sources_panel_marks_cited_sentences_and_elides_far_text():
    from qa.answering import AnswerSentence, Citation
    from qa.articles import Source
    from ui.app import _marked_passage

    far = "Filler words here. " * 40
    passage = far + "The cited <b>sentence</b>." + " Closing remark." + far
    start = len(far)
    end = start + len("The cited <b>sentence</b>.")
    citation = Citation(1, Source("a", "T", "a.txt"), passage[start:end], start, end, passage, 0, len(passage), 0.7)
    html_out = _marked_passage([AnswerSentence(citation.sentence, citation, 0.7)], context=60)
    assert "<mark>The cited &lt;b&gt;sentence&lt;/b&gt;.</mark>" in html_out
    assert html_out.count("…") == 2 and len(html_out) < len(passage)
    assert "Closing remark." in html_out
