"""The browser app, end to end: Playwright driving Debian's Chromium, and the API via gradio_client.

One server (seed article + an article with HTML in it) serves every test; each test gets a
fresh browser context, so conversations kept in localStorage start empty.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qa import SUPPORTED_SUFFIXES
from tests.conftest import ROOT, SEED, TRUDEAU
from tests.ports import free_port

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A name for the chat other than localhost: a plain-http page that is no secure context.
    "--host-resolver-rules=MAP verbatim.lan 127.0.0.1",
]
QUESTION = "What tariffs did Trudeau impose?"
SEED_TITLE = "As Canadian leader Mark Carney arrives in China"
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
PICK_PROMPT = "Select an article in the table to read it as indexed, or to delete it."

pytestmark = [pytest.mark.browser, pytest.mark.model]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from qa import Settings
    from ui.app import ChatApp, build_app, transfer_limit

    root = tmp_path_factory.mktemp("ui")
    articles = root / "articles"
    articles.mkdir()
    shutil.copy(SEED, articles / SEED.name)
    (articles / "festival.txt").write_text(XSS_ARTICLE)
    app = ChatApp(Settings(articles_dir=articles, index_dir=root / "index"), max_upload_mb=1)
    app.ensure_index()
    demo = build_app(app)
    url = launch(demo, max_file_size=transfer_limit(app))
    yield url, app, root
    demo.close()


def launch(demo, **options) -> str:
    """Serve `demo` as `qa serve` does (theme, CSS, page script, same-origin check) on a free port; its URL."""
    from ui.app import launch_kwargs
    from ui.auth import access_options

    options = {**access_options(None), **options}  # a login's options have the check too

    _, url, _ = demo.launch(
        server_name="127.0.0.1",
        server_port=free_port(),
        prevent_thread_lock=True,
        quiet=True,
        **options,
        **launch_kwargs(),
    )
    return url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, url: str, **context):
    options = {"viewport": {"width": 1280, "height": 900}, **context}
    page = browser.new_context(**options).new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url, wait_until="domcontentloaded")
    wait_until_loaded(page)
    return page


def wait_until_loaded(page) -> None:
    """The box is there and the page's load event has put the stored conversation in the chat
    (a question asked before then waits for it: see the test of that)."""
    page.locator("#q textarea").wait_for()
    page.wait_for_function("window.verbatimLoaded === true", timeout=20_000)


@pytest.fixture
def page(browser, server):
    page = open_page(browser, server[0], permissions=["clipboard-read", "clipboard-write"])
    yield page
    page.context.close()


def bots(page):
    return page.locator("#chatbot [data-testid='bot']")


def last_answer(page):
    return bots(page).last


def ask(page, question: str) -> None:
    """Type `question`, press Enter, wait until the answer is complete (not pending or streaming)."""
    from playwright.sync_api import expect

    before = bots(page).count()
    page.locator("#q textarea").fill(question)
    page.locator("#q textarea").press("Enter")
    expect(bots(page)).to_have_count(before + 1, timeout=20_000)
    expect(last_answer(page).locator(".qa-pending, .qa-streaming")).to_have_count(0, timeout=20_000)
    expect(page.locator("#chats input[type=radio]:checked")).to_have_count(1, timeout=10_000)  # saved


def contrast(page, selector: str) -> float:
    """WCAG contrast ratio of the first `selector` element's text colour on the background it
    shows through (its own, or the nearest opaque one behind it)."""
    return page.evaluate(
        """(selector) => {
            const e = document.querySelector(selector);
            const style = getComputedStyle(e);
            const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
            const lum = ([r, g, b]) => {
                const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
            };
            let back = e;
            const opaque = (c) => { const v = c.match(/[\\d.]+/g); return v.length < 4 || Number(v[3]) > 0; };
            while (back.parentElement && !opaque(getComputedStyle(back).backgroundColor)) back = back.parentElement;
            const [a, b] = [lum(rgb(style.color)), lum(rgb(getComputedStyle(back).backgroundColor))];
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }""",
        selector,
    )


# -- 1. readable highlights, light and dark --------------------------------------------------------


def test_highlights_are_readable_in_light_and_dark_themes(browser, server, tmp_path):
    from playwright.sync_api import expect

    for scheme in ("light", "dark"):
        page = open_page(browser, server[0], color_scheme=scheme)
        try:
            assert page.evaluate("document.body.classList.contains('dark')") == (scheme == "dark")
            ask(page, QUESTION)
            expect(page.locator("#sources mark.qa-cited").first).to_be_visible()
            readable = ["#sources mark.qa-cited", "#chatbot .qa-text", "#sources .qa-passage"]
            readable += [".qa-tagline", "#chatbot .qa-meta", "#chatbot .qa-label", "#chatbot a.qa-cite"]  # muted, small
            readable.append("#tabs [role=tab][aria-selected=true]")
            readable += ["#sources .qa-num", "#sources .qa-badge", "#chats label:has(input:checked)"]  # white on indigo
            if page.locator("#sources mark.qa-span").count():  # the reader's answer span, when it has one
                readable.append("#sources mark.qa-span")
            # White on Gradio's indigo-500 was 4.46:1 (axe-core): Ask once enabled, the checked
            # retrieval mode, and (dark theme) a button under the pointer.
            page.locator("#options").get_by_text("Options").click()
            page.locator("#q textarea").fill("typed")
            readable += ["#send", "#opt-mode label:has(input:checked)"]
            for selector in readable:
                assert contrast(page, selector) >= 4.5, (scheme, selector)
            for hovered in ("#new-chat", "#send"):
                page.locator(hovered).hover()
                assert contrast(page, hovered) >= 4.5, (scheme, hovered, "hovered")
            last_answer(page).locator("a.qa-cite").first.hover()
            expect(page.locator("main #qa-popover")).to_be_visible()  # inside the main landmark
            assert contrast(page, "#qa-popover .qa-pop-sentence") >= 4.5, scheme
            shot = tmp_path / f"{scheme}.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
        finally:
            page.context.close()


# -- 2 and 11. copy and aria-label are plain text --------------------------------------------------


def expected_plain(app) -> str:
    from ui.render import plain_text

    return plain_text(app.ask(QUESTION).answer)


def test_copy_puts_the_plain_answer_and_numbered_sources_on_the_clipboard(page, server):
    ask(page, QUESTION)
    page.locator("#chatbot button[aria-label='Copy message']").last.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == expected_plain(server[1])
    assert copied.startswith(TRUDEAU + " [1]")
    assert re.search(rf"\n\nSources\n\[1\] {SEED_TITLE}.* — 2026-01-13 — carney-china-trip.txt$", copied)
    assert "<" not in copied and "&#" not in copied


def test_copy_works_on_a_plain_http_address_and_says_it_copied(browser, server):
    """Off localhost over http the clipboard API is undefined: Copy threw and copied nothing."""
    from playwright.sync_api import expect

    port = server[0].rstrip("/").rsplit(":", 1)[1]
    page = open_page(browser, f"http://verbatim.lan:{port}/")  # ARGS map the name to 127.0.0.1
    try:
        assert page.evaluate("!isSecureContext && typeof navigator.clipboard === 'undefined'")
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.evaluate("() => document.addEventListener('copy', () => (window.copied = true), true)")
        ask(page, QUESTION)
        button = page.locator("#chatbot button[aria-label='Copy message']").last
        button.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#qa-announce")).to_have_text("Answer copied to the clipboard")
        assert page.evaluate("window.copied === true") and errors == []
        assert page.locator("#chatbot button[aria-label^='Copy message']").last.get_attribute("title") == "Copied"
    finally:
        page.context.close()


def test_opening_a_past_conversation_is_not_read_out_whole(page):
    """The log is a polite live region: each step through the conversations put a whole
    conversation in it, which a screen reader read out; new answers are still announced."""
    from playwright.sync_api import expect

    ask(page, QUESTION)
    page.locator("#new-chat").click()
    expect(bots(page)).to_have_count(0)
    ask(page, "How did China respond?")
    log = page.locator("#chatbot [role=log]")
    expect(log).to_have_attribute("aria-live", "polite")  # an answer, as before
    page.evaluate(
        """() => { window.heard = []; const log = document.querySelector('#chatbot [role=log]');
        new MutationObserver((ms) => { if (ms.some((m) => m.addedNodes.length))
            window.heard.push(log.getAttribute('aria-live')); }).observe(log, {subtree: true, childList: true}); }"""
    )
    page.locator("#chats label").nth(1).click()
    expect(page.locator("#chatbot [data-testid='user']").first).to_have_text(QUESTION)
    expect(log).to_have_attribute("aria-live", "polite", timeout=5000)  # loud again once it is shown
    heard = page.evaluate("window.heard")
    assert heard and set(heard) == {"off"}  # every node went in while the region was off


def test_message_aria_labels_are_plain_text(page, server):
    ask(page, QUESTION)
    label = last_answer(page).get_attribute("aria-label")
    assert label == "Answer: " + expected_plain(server[1])
    assert "<" not in label and "qa-" not in label
    assert page.locator("#chatbot [data-testid='user']").last.get_attribute("aria-label") == f"Question: {QUESTION}"


# -- 3. each [n] links to its sentence; popover ----------------------------------------------------


def test_each_marker_scrolls_to_and_flashes_its_own_sentence(page):
    from playwright.sync_api import expect

    ask(page, QUESTION)
    first = bots(page).first
    sentences = first.locator(".qa-sentence").all_inner_texts()
    assert sentences[0] == TRUDEAU
    markers = first.locator("a.qa-cite")
    assert markers.count() == len(sentences)
    for i, text in enumerate(sentences):  # each marker its own target: that very sentence
        target = markers.nth(i).get_attribute("href")
        assert target == f"#qa-t0-s{i}"
        assert page.locator(f"#sources mark{target}").inner_text() == text
    # Only cited sentences are highlighted, each followed by its number.
    assert page.locator("#sources details[open] mark.qa-cited").count() == len(sentences)
    assert page.locator("#sources details[open] .qa-badge").first.inner_text() == "[1]"

    ask(page, "Why is Carney visiting China?")  # the first answer's sources are now collapsed
    expect(page.locator("#qa-t0")).not_to_have_attribute("open", "")
    page.mouse.wheel(0, 2000)
    first.locator("a.qa-cite").last.click()
    target = page.locator(f"#sources mark#qa-t0-s{len(sentences) - 1}")
    expect(target).to_have_class(re.compile(r"\bqa-flash\b"))
    expect(target).to_be_in_viewport()
    assert page.evaluate("document.querySelector('#qa-t0').open")
    assert page.evaluate("location.hash") == ""  # scrolled by the script, not by navigation


def test_a_marker_of_an_earlier_answer_scrolls_the_sources_panel_not_the_page(page):
    # the whole page scrolled to the older sources: the chat and the question box left the screen
    from playwright.sync_api import expect

    for question in (QUESTION, "How did China respond?", "Why is Carney visiting China?"):
        ask(page, question)
    page.evaluate("window.scrollTo(0, 0)")
    before = page.evaluate("window.scrollY")
    bots(page).first.locator("a.qa-cite").first.click()
    target = page.locator("#sources mark#qa-t0-s0")
    expect(target).to_have_class(re.compile(r"\bqa-flash\b"))
    expect(target).to_be_in_viewport()
    expect(page.locator("#q textarea")).to_be_in_viewport()
    assert page.evaluate("window.scrollY") == before
    assert page.evaluate("document.querySelector('#sources').scrollTop") > 0  # the panel scrolled instead


def test_hovering_a_marker_shows_its_sentence_title_and_date(page):
    from playwright.sync_api import expect

    ask(page, QUESTION)
    marker = last_answer(page).locator("a.qa-cite").first
    assert marker.get_attribute("title") is None  # not the browser's tooltip
    marker.hover()
    popover = page.locator("#qa-popover")
    expect(popover).to_be_visible()
    expect(popover.locator(".qa-pop-sentence")).to_have_text(TRUDEAU)
    expect(popover.locator(".qa-pop-source")).to_contain_text(SEED_TITLE)
    expect(popover.locator(".qa-pop-source")).to_contain_text("2026-01-13")
    page.mouse.move(5, 5)
    expect(popover).to_be_hidden()


def test_a_markers_popover_can_be_hovered_and_fits_a_short_window(browser, server):
    """It hid as the pointer moved onto it (WCAG 1.4.13); at 400% zoom it covered its marker
    and its source line was cut off below the window."""
    from playwright.sync_api import expect

    page = open_page(browser, server[0], permissions=["clipboard-read", "clipboard-write"])
    try:
        ask(page, QUESTION)
        last_answer(page).locator("a.qa-cite").first.hover()
        popover = page.locator("#qa-popover")
        expect(popover).to_be_visible()
        box = popover.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 40, box["y"] + 20, steps=8)  # across the gap, onto it
        page.wait_for_timeout(500)
        expect(popover).to_be_visible()
        page.mouse.move(5, 5)
        expect(popover).to_be_hidden()
        page.set_viewport_size({"width": 320, "height": 200})
        page.keyboard.press("Escape")  # the sidebar, open beside the chat, now covers it
        expect(page.locator("#sidebar")).not_to_have_class(re.compile(r"\bopen\b"))
        # The chat scrolls itself to its end after the resize, in steps: focused meanwhile, the
        # marker was scrolled out of view again (and its popover rightly hidden).
        page.evaluate(
            """() => new Promise((done) => {
                const chat = document.querySelector('#chatbot .bubble-wrap');
                let last = -1, still = 0;
                const tick = setInterval(() => {
                    const now = (chat ? chat.scrollTop : 0) + window.scrollY;
                    still = now === last ? still + 1 : 0;
                    last = now;
                    if (still >= 5) { clearInterval(tick); done(); }
                }, 100);
            })"""
        )
        marker = last_answer(page).locator("a.qa-cite").first
        marker.focus()
        expect(popover).to_be_visible()
        m, p = marker.bounding_box(), popover.bounding_box()
        assert m is not None and p is not None
        assert p["y"] >= m["y"] + m["height"] or p["y"] + p["height"] <= m["y"]  # not over its marker
        assert p["y"] >= 0 and p["y"] + p["height"] <= 200  # within the window: the rest scrolls
    finally:
        page.context.close()


def test_focusing_a_marker_out_of_view_shows_its_popover_after_the_scroll(page):
    """Focus scrolls the marker into view, and that scroll hid the popover at once."""
    from playwright.sync_api import expect

    for question in (QUESTION, "How did China respond?", "Why is Carney visiting China?"):
        ask(page, question)
    marker = bots(page).first.locator("a.qa-cite").first
    page.evaluate("document.querySelector('#chatbot .bubble-wrap, #chatbot [role=log]').scrollTop = 1e6")
    marker.focus()
    page.wait_for_timeout(400)  # the scroll the focus made is over
    expect(page.locator("#qa-popover")).to_be_visible()
    expect(page.locator("#qa-popover .qa-pop-sentence")).to_have_text(TRUDEAU)


# -- 4. one confidence scale -----------------------------------------------------------------------


def test_strength_bar_and_confidence_number_agree(page):
    ask(page, QUESTION)
    meter = page.locator("#sources details[open] .qa-confidence")
    text = meter.locator(".qa-conf-text").inner_text()
    percent = int(re.match(r"(\d+)% · (high|medium|low) confidence$", text).group(1))
    width = meter.locator(".qa-bar > span").evaluate("e => e.style.width")
    assert width == f"{percent}%"
    assert meter.get_attribute("aria-valuenow") == str(percent)
    from qa import confidence_words

    assert text.endswith(confidence_words(percent / 100))
    assert "match" not in page.locator("#sources").inner_text()


# -- 5. empty input --------------------------------------------------------------------------------


def test_empty_question_disables_ask_and_logs_nothing(page, capfd):
    from playwright.sync_api import expect

    send = page.locator("#send")
    expect(send).to_be_disabled()
    box = page.locator("#q textarea")
    box.fill("   ")
    expect(send).to_be_disabled()
    box.press("Enter")
    page.wait_for_timeout(700)
    assert bots(page).count() == 0 and page.locator("#chatbot [data-testid='user']").count() == 0
    assert page.locator(".toast-body").count() == 0  # no red "Error" pills
    box.fill("Who")
    expect(send).to_be_enabled()
    for invisible in ("\u200b\u200b", "\u200b \u200b"):  # zero-width spaces only: no question, by Enter too
        box.fill(invisible)
        expect(send).to_be_disabled()
        box.press("Enter")
        page.wait_for_timeout(700)
        assert page.locator("#chatbot [data-testid='user']").count() == 0
        assert page.locator(".toast-body").count() == 0
    box.fill("")
    expect(send).to_be_disabled()
    assert "Traceback" not in capfd.readouterr().err


# -- 6. articles tab -------------------------------------------------------------------------------


def test_articles_tab_keeps_the_page_width_and_reads_as_text(page):
    from playwright.sync_api import expect

    def width() -> float:
        return page.evaluate("document.querySelector('#tabs').getBoundingClientRect().width")

    def settles_at(expected: float) -> None:
        # Under load the layout can take a frame or two after the table renders (a scrollbar
        # comes and goes): wait for it to settle, then it must be the chat's width.
        page.wait_for_function(
            f"Math.abs(document.querySelector('#tabs').getBoundingClientRect().width - {expected}) < 1",
            polling="raf",
            timeout=5000,
        )

    page.evaluate("document.fonts.ready")  # the chat's own layout settled first: fonts change widths
    page.wait_for_timeout(300)
    chat_width = width()
    page.locator("#tab-articles-button").click()
    table = page.locator("#articles-table")
    expect(table).to_contain_text("Harbour festival")
    settles_at(chat_width)
    page.locator("#article-search textarea").fill("no such title at all")
    expect(table).not_to_contain_text("Harbour festival")
    expect(table).to_contain_text("No article title contains 'no such title at all'")
    settles_at(chat_width)
    page.locator("#article-search textarea").fill("")
    expect(table).to_contain_text("Harbour festival")
    settles_at(chat_width)

    cell = table.locator("[role=gridcell]").first
    assert "mono" not in cell.evaluate("e => getComputedStyle(e).fontFamily").lower()
    header = table.locator("th", has_text="Passages").first
    lines = """e => {  // how many lines the element's text takes
        const walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
        let text = walk.nextNode();
        while (text && !text.textContent.trim()) text = walk.nextNode();
        const range = document.createRange();
        range.selectNodeContents(text);
        return range.getClientRects().length;
    }"""
    assert header.evaluate(lines) == 1  # "Passages", not "Pass" / "ages"
    id_cell = table.locator("[role=gridcell][data-col='5']").first
    assert id_cell.evaluate(lines) == 1
    assert id_cell.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"
    id_cell.hover()
    assert id_cell.get_attribute("title") == id_cell.inner_text().strip() != ""
    red = page.locator("#delete").evaluate("e => getComputedStyle(e).backgroundColor")
    r, g, b = (int(x) for x in re.findall(r"\d+", red)[:3])
    assert r > 150 and g < 90 and b < 90, red


def toast(page, text: str):
    """The toast holding `text`, checked to be visible without scrolling."""
    from playwright.sync_api import expect

    note = page.locator(".toast-body", has_text=text).first
    expect(note).to_be_visible(timeout=60_000)
    expect(note).to_be_in_viewport()
    return note


def test_upload_then_answer_from_the_new_article(page, server, tmp_path, monkeypatch):
    from playwright.sync_api import expect

    upload = tmp_path / "lighthouse news.txt"
    upload.write_text(UPLOAD)
    app = server[1]
    add_files = app.add_files

    def add_slowly(*args, **kwargs):  # time to look at the page while it indexes
        time.sleep(2)
        return add_files(*args, **kwargs)

    monkeypatch.setattr(app, "add_files", add_slowly)
    page.locator("#tab-articles-button").click()
    page.get_by_role("button", name="Drop File Here - or - Click to Upload").focus()  # as from the keyboard
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    # Its progress shows in the upload box and over the status line, not over the chat or the
    # table, which stay usable.
    shown = "[data-testid='status-tracker']:not(.hide)"
    expect(page.locator(f"#upload {shown}, #status {shown}")).to_have_count(2)
    expect(page.locator("#status .pending")).to_be_hidden()  # its text steps aside
    assert page.locator(f"#articles-table {shown}, #chatbot {shown}").count() == 0
    # It takes no more files meanwhile: one picked then was listed, then cleared unread.
    expect(page.locator("#upload input[type=file]")).to_have_count(0)
    toast(page, "Added lighthouse-news.txt")
    expect(page.locator("#upload input[type=file]")).to_have_count(1)  # and takes them again
    # the toast fades; the result stays under the upload box
    expect(page.locator("#upload-result")).to_contain_text("Added lighthouse-news.txt. The index now holds")
    # where the keyboard is: on what the upload did (it fell to the page's top, the box taken away)
    expect(page.locator("#upload-result")).to_be_focused()
    refused = tmp_path / "notes.bin"
    refused.write_bytes(b"\x00\x01")
    for _ in range(2):  # the same words twice in a minute: done all the same
        page.get_by_role("button", name="Drop File Here - or - Click to Upload").focus()
        page.locator("#upload input[type=file]").set_input_files(str(refused))
        expect(page.locator("#upload-result")).to_contain_text("notes.bin")
        expect(page.locator("#upload-result")).to_be_focused()
    expect(page.locator("#articles-table")).to_contain_text("Lighthouse restored")
    assert (server[2] / "articles" / "lighthouse-news.txt").read_text() == UPLOAD
    page.locator("#tab-chat-button").click()
    ask(page, "Who restored the lighthouse at Kestrel Point?")
    expect(last_answer(page)).to_contain_text("restored by volunteers")
    expect(page.locator("#sources")).to_contain_text("Lighthouse restored")
    cited = last_answer(page).locator(".qa-sentence").all_inner_texts()
    assert page.locator("#sources details[open] mark.qa-cited").all_inner_texts() == cited  # no more


def test_a_page_catches_up_with_articles_another_tab_added_and_deleted(browser, tmp_path):
    """Another tab's upload or deletion left this page's count, filter and starters stale."""
    from playwright.sync_api import expect

    from qa import Settings
    from ui.app import ChatApp, build_app

    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(SEED, articles / SEED.name)
    app = ChatApp(Settings(articles_dir=articles, index_dir=tmp_path / "index"))
    app.ensure_index()
    demo = build_app(app)
    page = open_page(browser, launch(demo))
    try:
        expect(page.locator("#status")).to_contain_text("1 article ·")
        upload = tmp_path / "lighthouse.txt"
        upload.write_text(UPLOAD)
        app.add_files([str(upload)])  # as another tab's upload does, with no event on this page
        expect(page.locator("#status")).to_contain_text("2 articles ·", timeout=15_000)
        expect(page.locator("#chatbot")).to_contain_text("Lighthouse")  # a starter question for it
        app.delete_article("lighthouse.txt")
        expect(page.locator("#status")).to_contain_text("1 article ·", timeout=15_000)
        expect(page.locator("#chatbot")).not_to_contain_text("Lighthouse")  # its starter question went too
    finally:
        page.context.close()
        demo.close()


def test_rebuild_asks_first_and_says_what_it_redoes(page, server):
    from playwright.sync_api import expect

    page.locator("#tab-articles-button").click()
    confirm = page.locator("#rebuild-confirm")
    page.locator("#rebuild").click()
    passages = server[1].index().counts.passages
    expect(page.locator("#rebuild-question")).to_contain_text(f"all {passages:,} passages are embedded again")
    generation = server[1].index().generation
    page.locator("#cancel-rebuild").click()
    expect(confirm).to_be_hidden()
    page.wait_for_timeout(300)
    assert server[1].index().generation == generation  # Cancel rebuilt nothing

    page.locator("#rebuild").click()
    page.locator("#confirm-rebuild").click()
    expect(confirm).to_be_hidden()
    toast(page, "Rebuilt the index:")
    assert server[1].index().generation != generation


def test_an_upload_of_another_type_is_refused_in_the_tab_s_own_words(page, server, tmp_path):
    from playwright.sync_api import expect

    page.locator("#tab-articles-button").click()
    picker = page.locator("#upload input[type=file]")
    expect(picker).to_have_attribute("accept", ",".join(SUPPORTED_SUFFIXES))  # the picker offers articles
    notes, sheet = tmp_path / "notes.csv", tmp_path / "Q&A draft.xlsx"
    notes.write_text("a,b\n1,2\n")
    sheet.write_bytes(b"PK\x03\x04")
    picker.set_input_files([str(notes), str(sheet)])
    lines = toast(page, "Not added: notes.csv: unsupported file type; allowed: .txt").inner_text().splitlines()
    # one line a file (they ran together)
    assert [line.split(": unsupported")[0] for line in lines if line.startswith("Not added")] == [
        "Not added: notes.csv",
        "Not added: Q&A draft.xlsx",
    ]
    expect(page.get_by_text("Invalid file type")).to_have_count(0)  # not Gradio's own error as well
    assert not (server[2] / "articles" / "notes.csv").exists()


def test_a_file_over_the_upload_limit_is_refused_alone(page, server, tmp_path):
    # Gradio's own limit refused the whole upload ("File(s) exceed ..."): the small file too
    from playwright.sync_api import expect

    page.locator("#tab-articles-button").click()
    small, big = tmp_path / "ferry-strike.txt", tmp_path / "huge.txt"
    small.write_text("title: Ferry strike ends\n\nThe ferry strike ended on Friday after a pay deal was agreed.")
    big.write_text("word " * 300_000)  # 1.5 MB, over the fixture's 1 MB upload limit
    page.locator("#upload input[type=file]").set_input_files([str(small), str(big)])
    toast(page, "Not added: huge.txt: 1.4 MB is over the 1 MB upload limit")
    toast(page, "Added ferry-strike.txt")
    expect(page.get_by_text("exceed the maximum allowed size")).to_have_count(0)
    assert (server[2] / "articles" / "ferry-strike.txt").exists() and not (server[2] / "articles" / "huge.txt").exists()


def test_uploaded_pdf_is_indexed_and_cited_with_its_headline_and_date(page, server):
    from playwright.sync_api import expect

    page.locator("#tab-articles-button").click()
    page.locator("#upload input[type=file]").set_input_files(str(ROOT / "tests" / "data" / "canola.pdf"))
    toast(page, "Added canola.pdf")
    expect(page.locator("#articles-table")).to_contain_text("Canada and China strike canola deal")
    # how the PDF was read: its lines joined into paragraphs, the headline and date line gone
    page.locator("#articles-table [role=gridcell]", has_text="Canada and China strike canola deal").first.click()
    preview = page.locator("#article-preview textarea")
    expect(preview).to_have_value(re.compile(r"^Canada will lower its 100% tariff on Chinese-made electric vehicles"))
    expect(preview).to_have_value(re.compile("which had soured after the arrest of a Huawei executive"))
    page.locator("#tab-chat-button").click()
    ask(page, "What tariff will China charge on Canadian canola seed?")
    expect(last_answer(page).locator("mark.qa-span").first).to_contain_text("15%")
    expect(page.locator("#sources")).to_contain_text("Canada and China strike canola deal")
    expect(page.locator("#sources")).to_contain_text("2026-01-16")
    expect(page.locator("#sources")).to_contain_text(re.compile(r"canola\.pdf · pp?\. 1(?!\d)"))  # the lead's page


def test_picking_another_row_closes_an_open_delete_confirmation(page, server):
    from playwright.sync_api import expect

    files = {"first": "first.txt", "second": "second's & co.txt"}
    for name, file in files.items():
        (server[2] / "articles" / file).write_text(f"title: Kept {name}\n\nThe {name} article stays.")
    server[1].ensure_index()
    page.reload(wait_until="domcontentloaded")
    page.locator("#tab-articles-button").click()
    page.locator("#article-search textarea").fill("Kept")
    page.locator("#articles-table [role=gridcell]", has_text="Kept first").first.click()
    page.locator("#delete").click()
    expect(page.locator("#confirm-delete")).to_be_visible()
    page.locator("#articles-table [role=gridcell]", has_text="Kept second").first.click()
    # The file name as named: it was shown as "second&#x27;s &amp; co.txt" (escaped twice)
    expect(page.locator("#picked")).to_have_text("Selected: Kept second (second's & co.txt)")
    # a screen reader hears the pick (the line changed where it was not looking)
    expect(page.locator("#qa-announce")).to_have_text("Selected: Kept second (second's & co.txt)")
    expect(page.locator("#confirm-delete")).to_be_hidden()  # "Yes" can no longer delete what it did not name
    assert all((server[2] / "articles" / file).exists() for file in files.values())
    # A search that no longer lists the selected article lets it go: "Selected: …", its text and
    # Delete stayed beside "No article title contains 'zzz'"
    page.locator("#article-search textarea").fill("Kept s")  # still listed: still selected
    expect(page.locator("#articles-table")).not_to_contain_text("Kept first")
    expect(page.locator("#picked")).to_have_text("Selected: Kept second (second's & co.txt)")
    page.locator("#article-search textarea").fill("zzz")
    expect(page.locator("#picked")).to_have_text(PICK_PROMPT)
    expect(page.locator("#qa-announce")).to_have_text("No article title contains 'zzz'")  # said aloud too
    expect(page.locator("#delete")).to_be_disabled()
    expect(page.locator("#article-preview")).to_be_hidden()


def test_delete_article_asks_for_confirmation_then_clears_it(page, server):
    from playwright.sync_api import expect

    (server[2] / "articles" / "doomed.txt").write_text("title: Doomed article\n\nThis article will be deleted soon.")
    server[1].ensure_index()
    page.reload(wait_until="domcontentloaded")
    page.locator("#options").get_by_text("Options").click()  # a filter on the article about to go
    page.locator("#opt-articles input").click()
    page.get_by_role("option", name=re.compile("Doomed article")).click()
    page.keyboard.press("Escape")
    page.locator("#tab-articles-button").click()
    page.locator("#article-search textarea").fill("Doomed")
    page.locator("#articles-table [role=gridcell]", has_text="Doomed article").first.click()
    expect(page.locator("#picked")).to_contain_text("Doomed article")
    expect(page.locator("#article-preview textarea")).to_have_value("This article will be deleted soon.")
    page.locator("#delete").click()
    expect(page.locator("#picked")).to_contain_text("This removes the file")
    expect(page.locator("#delete")).to_be_disabled()  # one red delete button to press, not two
    counted_before = page.locator("#status").inner_text()
    page.locator("#confirm-delete").click()
    toast(page, "Deleted doomed.txt")
    assert not (server[2] / "articles" / "doomed.txt").exists()
    expect(page.locator("#articles-table")).not_to_contain_text("Doomed article")
    # The status line is one of the deletion's outputs, with the table: not left for the 5-s catch-up
    before = int(counted_before.split(" article")[0])
    # (its text steps aside while the deletion's progress shows there, so not at the same instant)
    expect(page.locator("#status")).to_contain_text(re.compile(rf"(?<!\d){before - 1} articles? ·"), timeout=3_000)
    expect(page.locator("#picked")).to_have_text(PICK_PROMPT)
    expect(page.locator("#confirm-delete")).to_be_hidden()
    expect(page.locator("#delete")).to_be_disabled()
    expect(page.locator("#article-preview")).to_be_hidden()
    # The filter still names the deleted article: the question is answered, not refused by Gradio.
    page.locator("#tab-chat-button").click()
    ask(page, QUESTION)
    expect(last_answer(page)).to_contain_text("No article has the publisher or id")


def test_a_stale_confirmation_does_not_delete_the_article_that_took_the_name_since(page, server, tmp_path):
    """Asked "Delete Tram fares rise?", then another tab deleted it and uploaded another
    tram.txt: "Yes, delete it" removed the new article, which it never named."""
    from playwright.sync_api import expect

    app, articles = server[1], server[2] / "articles"
    (articles / "tram.txt").write_text("title: Tram fares rise\n\nTram fares will rise by ten pence in March.")
    app.ensure_index()
    page.reload(wait_until="domcontentloaded")
    page.locator("#tab-articles-button").click()
    page.locator("#articles-table [role=gridcell]", has_text="Tram fares rise").first.click()
    page.locator("#delete").click()
    expect(page.locator("#picked")).to_contain_text("Delete Tram fares rise?")
    app.delete_article("tram.txt")  # another tab: deleted, then a new tram.txt uploaded
    newer = tmp_path / "tram.txt"
    newer.write_text("title: Tram line opens\n\nThe new tram line to the university opened on Saturday.")
    assert app.add_files([str(newer)]).problems == []
    page.locator("#confirm-delete").click()
    toast(page, "Not deleted: tram.txt changed since you were asked (it now holds 'Tram line opens')")
    assert "Tram line opens" in (articles / "tram.txt").read_text()
    app.delete_article("tram.txt")  # (the next tests' articles as before)


# -- 7. starter questions --------------------------------------------------------------------------


def test_starters_come_from_the_articles_and_clicking_one_asks_it(page, server):
    from playwright.sync_api import expect

    chips = page.locator("#chatbot button.example")
    expect(chips.first).to_be_visible()
    framed = chips.first.evaluate("e => [getComputedStyle(e).borderTopWidth, getComputedStyle(e).borderTopStyle]")
    assert framed == ["1px", "solid"]  # a card that looks clickable, not plain text
    texts = chips.all_inner_texts()
    titles = [a.source.title for a in server[1].index().articles()]
    assert texts and "How did China respond?" not in texts
    for text in texts:
        quoted = re.fullmatch(r"What happened in “(.+?)( …)?”\?", text.strip())
        assert quoted and any(t.startswith(quoted.group(1)) for t in titles), text
    seed_chip = next(t for t in texts if SEED_TITLE in t)
    chips.filter(has_text=SEED_TITLE).click()
    expect(page.locator("#chatbot [data-testid='user']")).to_have_text(seed_chip.strip())
    expect(last_answer(page).locator(".qa-pending")).to_have_count(0, timeout=20_000)
    expect(last_answer(page)).to_contain_text("Carney")
    expect(chips).to_have_count(0)  # the chat has started


# -- 8. history kept in the browser ----------------------------------------------------------------


def test_a_question_on_its_way_survives_a_reload_and_an_answered_one_does_not_come_back(page, server, monkeypatch):
    from playwright.sync_api import expect

    app = server[1]
    quick_ask = app.ask

    def ask_slowly(*args, **kwargs):  # time to reload before the answer comes
        time.sleep(3)
        return quick_ask(*args, **kwargs)

    monkeypatch.setattr(app, "ask", ask_slowly)
    box = page.locator("#q textarea")
    box.fill(QUESTION)
    box.press("Enter")
    expect(last_answer(page).locator(".qa-pending")).to_have_count(1, timeout=20_000)
    page.reload(wait_until="domcontentloaded")  # the question was lost: box and conversation
    expect(page.locator("#q textarea")).to_have_value(QUESTION)
    expect(page.locator("#qa-tab-notice")).to_contain_text("reloaded before your question was answered")
    monkeypatch.setattr(app, "ask", quick_ask)
    page.locator("#q textarea").press("Enter")
    expect(last_answer(page)).to_contain_text(TRUDEAU, timeout=20_000)
    page.wait_for_timeout(500)  # the save step after the answer
    page.reload(wait_until="domcontentloaded")
    page.locator("#q textarea").wait_for()
    page.wait_for_timeout(1500)
    expect(page.locator("#q textarea")).to_have_value("")  # answered: nothing to give back


def test_a_question_asked_before_the_page_has_loaded_waits_for_it_and_is_not_erased(page, server, monkeypatch):
    from playwright.sync_api import expect

    app = server[1]
    quick_generation, quick_ask = app.generation, app.ask

    def load_slowly():  # the page's load event, on a busy server
        time.sleep(3)
        return quick_generation()

    def ask_slowly(*args, **kwargs):  # the question still pending when the load has come
        time.sleep(4)
        return quick_ask(*args, **kwargs)

    monkeypatch.setattr(app, "generation", load_slowly)
    monkeypatch.setattr(app, "ask", ask_slowly)
    page.reload(wait_until="domcontentloaded")
    box = page.locator("#q textarea")
    box.fill(QUESTION)  # as soon as the box is there
    box.press("Enter")
    page.wait_for_function("window.verbatimLoaded === true", timeout=20_000)
    # Sent before, the question was erased by the load's update, its bubble and all.
    expect(last_answer(page).locator(".qa-pending")).to_have_count(1, timeout=1_000)
    expect(page.locator("#chatbot [data-testid='user']")).to_have_text([QUESTION])
    expect(last_answer(page)).to_contain_text(TRUDEAU, timeout=20_000)


def test_conversations_survive_a_reload_and_follow_ups_keep_working(page):
    from playwright.sync_api import expect

    chats = page.locator("#chats label")
    ask(page, QUESTION)
    page.reload(wait_until="domcontentloaded")
    expect(bots(page)).to_have_count(1)
    expect(last_answer(page)).to_contain_text(TRUDEAU)
    expect(page.locator("#sources mark.qa-cited").first).to_be_visible()
    expect(chats).to_have_count(1)
    ask(page, "How did China respond?")  # a follow-up in the restored conversation
    expect(last_answer(page).locator(".qa-text")).to_contain_text("retaliatory tariffs from China")

    page.locator("#new-chat").click()
    expect(bots(page)).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("Ask a question")
    expect(page.locator("#delete-chat")).to_be_hidden()  # no conversation open: nothing to delete
    ask(page, "How many visitors came to the harbour festival?")
    expect(chats).to_have_count(2)
    chats.filter(has_text="What tariffs").click()
    expect(bots(page)).to_have_count(2)
    expect(last_answer(page)).to_contain_text("retaliatory tariffs from China")

    page.locator("#delete-chat").click()
    expect(chats).to_have_count(1)
    expect(chats).to_contain_text("harbour festival")
    expect(page.locator("#delete-chat")).to_be_hidden()  # the open conversation is gone
    undo = page.locator("#undo-delete")
    expect(undo).to_have_text("Undo delete: What tariffs did Trudeau impose?")
    undo.click()  # a mis-click costs nothing: the conversation comes back, open
    expect(chats).to_have_count(2)
    expect(last_answer(page)).to_contain_text("retaliatory tariffs from China")
    expect(undo).to_be_hidden()

    page.locator("#delete-chat").click()
    expect(chats).to_have_count(1)
    page.reload(wait_until="domcontentloaded")
    expect(chats).to_have_count(1)
    expect(undo).to_be_visible()  # still undoable after a reload, until the next action
    page.locator("#new-chat").click()
    expect(undo).to_be_hidden()
    page.reload(wait_until="domcontentloaded")
    expect(chats).to_have_count(1)
    expect(undo).to_be_hidden()


def test_sidebar_clicks_while_an_answer_is_read_wait_for_it(page, server, monkeypatch):
    from playwright.sync_api import expect

    app = server[1]
    chats = page.locator("#chats label")
    ask(page, QUESTION)
    page.locator("#new-chat").click()
    expect(bots(page)).to_have_count(0)
    slow_ask = app.ask

    def ask_slowly(*args, **kwargs):  # time to open the other conversation meanwhile
        time.sleep(3)
        return slow_ask(*args, **kwargs)

    monkeypatch.setattr(app, "ask", ask_slowly)
    page.locator("#q textarea").fill("How many visitors came to the harbour festival?")
    page.locator("#q textarea").press("Enter")
    expect(last_answer(page).locator(".qa-pending")).to_have_count(1, timeout=20_000)
    chats.filter(has_text="What tariffs").click()
    expect(page.locator("body.qa-holding")).to_have_count(1)  # a busy cursor meanwhile
    # The click waits for the answer, which is saved in its own conversation; then it happens.
    expect(chats).to_have_count(2, timeout=20_000)
    expect(page.locator("body.qa-holding")).to_have_count(0)
    expect(page.locator("#chatbot [data-testid='user']")).to_have_text([QUESTION])
    expect(last_answer(page)).to_contain_text(TRUDEAU)
    expect(chats.filter(has_text="What tariffs").locator("input")).to_be_checked()
    chats.filter(has_text="harbour festival").click()
    expect(last_answer(page)).to_contain_text("12,000")

    # A delete clicked while a follow-up is read deletes the conversation with its new answer.
    page.locator("#q textarea").fill("When is the next festival?")
    page.locator("#q textarea").press("Enter")
    expect(last_answer(page).locator(".qa-pending")).to_have_count(1, timeout=20_000)
    page.locator("#delete-chat").click()
    expect(chats).to_have_count(1, timeout=20_000)
    expect(page.locator("#undo-delete")).to_have_text("Undo delete: How many visitors came to the harbour festival?")
    page.locator("#undo-delete").click()
    expect(page.locator("#chatbot [data-testid='user']")).to_have_text(
        ["How many visitors came to the harbour festival?", "When is the next festival?"]
    )

    # The arrow keys move through the list as clicks do: held alike, then the move happens.
    page.locator("#q textarea").fill("Where was the festival held?")
    page.locator("#q textarea").press("Enter")
    expect(last_answer(page).locator(".qa-pending")).to_have_count(1, timeout=20_000)
    harbour = chats.filter(has_text="harbour festival").locator("input")
    harbour.focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("body.qa-holding")).to_have_count(1)
    expect(page.locator("body.qa-holding")).to_have_count(0, timeout=20_000)
    expect(chats.filter(has_text="What tariffs").locator("input")).to_be_checked()
    expect(chats.filter(has_text="What tariffs").locator("input")).to_be_focused()
    expect(page.locator("#chatbot [data-testid='user']")).to_have_text([QUESTION])
    harbour.click()  # the follow-up's answer was kept in its own conversation
    expect(page.locator("#chatbot [data-testid='user']")).to_have_count(3)


def back_to(tab) -> None:
    """The user returns to `tab` (a click: headless tabs are all visible), and it reloads if stale."""
    tab.evaluate("window.notReloaded = true")
    tab.locator("#tabs").click(position={"x": 5, "y": 5})
    tab.wait_for_function("!window.notReloaded")
    tab.locator("#q textarea").wait_for()


def test_closed_options_say_what_is_set_in_them(page):
    """A date range left in the closed Options hid every article outside it, unsaid."""
    from playwright.sync_api import expect

    label = page.locator("#options .label-wrap")
    expect(label).to_have_text(re.compile(r"^\s*Options\s*[▼▶]?\s*$"))
    label.click()
    since = page.locator("#opt-since textarea, #opt-since input").first
    since.fill("Jan 2026")
    page.locator("#opt-recent input").check()
    page.locator("#opt-mode").get_by_text("bm25").click()
    page.locator("#opt-sentences input[type=number]").fill("1")
    page.locator("#opt-sentences input[type=number]").press("Enter")
    label.click()  # closed
    expect(label).to_contain_text("Options: from Jan 2026 · newer first · bm25 · at most 1 sentence")
    label.click()
    since.fill("")
    page.locator("#opt-until textarea, #opt-until input").first.fill("2026-02")
    page.locator("#opt-recent input").uncheck()
    expect(label).to_contain_text("Options: until 2026-02 · bm25 · at most 1 sentence")


def test_two_tabs_keep_each_others_conversations(page):
    from playwright.sync_api import expect

    other = page.context.new_page()  # a second tab: the same browser storage
    other.goto(page.url, wait_until="domcontentloaded")
    other.locator("#q textarea").wait_for()
    other.locator("#options").get_by_text("Options").click()  # Options set in the second tab
    other.locator("#opt-since textarea, #opt-since input").first.fill("2030-01-01")
    other.locator("#opt-mode").get_by_text("bm25").click()
    other.locator("#opt-sentences input[type=number]").fill("2")
    other.locator("#opt-sentences input[type=number]").press("Enter")
    ask(page, QUESTION)
    back_to(other)  # its copy is stale now: it reloads before it is used
    expect(other.locator("#chats label")).to_have_count(1)  # the first tab's conversation is listed
    expect(other.locator("#qa-tab-notice")).to_contain_text("conversations saved in another tab")
    expect(bots(other)).to_have_count(0)  # and this tab still shows its own (new) conversation
    expect(other.locator("#opt-since textarea, #opt-since input").first).to_have_value("2030-01-01")  # and Options
    expect(other.locator("#opt-mode input[value=bm25]")).to_be_checked()
    expect(other.locator("#opt-sentences input[type=range]")).to_have_value("2")
    ask(other, "How many visitors came to the harbour festival?")
    expect(last_answer(other)).to_contain_text("No article is dated from 2030-01-01")  # the restored date applies
    back_to(page)
    expect(page.locator("#chats label")).to_have_count(2)
    expect(last_answer(page)).to_contain_text(TRUDEAU)  # its own conversation, not the other tab's last
    page.locator("#new-chat").click()
    expect(bots(page)).to_have_count(0)
    ask(page, "Who organised the festival?")
    third = page.context.new_page()
    third.goto(page.url, wait_until="domcontentloaded")
    expect(third.locator("#chats label")).to_have_count(3)  # nothing was overwritten

    # Told while in view (windows side by side), a tab reloads at the next key, keeping the draft.
    third.locator("#q textarea").fill("Who won")
    third.evaluate("window.notReloaded = true")
    third.evaluate("window.dispatchEvent(new StorageEvent('storage', {key: window.verbatimSettings.revisionKey}))")
    third.locator("#q textarea").press("End")
    third.wait_for_function("!window.notReloaded")
    expect(third.locator("#q textarea")).to_have_value("Who won")
    expect(third.locator("#chats label")).to_have_count(3)
    # Enter on a stale page reloads instead of asking: one notice, and a true one (a second, on top,
    # said "The page reloaded before your question was answered" of a question never sent).
    third.evaluate("window.notReloaded = true")
    third.evaluate("window.dispatchEvent(new StorageEvent('storage', {key: window.verbatimSettings.revisionKey}))")
    third.locator("#q textarea").press("Enter")
    third.wait_for_function("!window.notReloaded")
    expect(third.locator("#qa-tab-notice")).to_contain_text("conversations saved in another tab")
    third.wait_for_timeout(1500)
    expect(third.locator("#qa-tab-notice")).to_have_count(1)
    expect(third.locator("#qa-tab-notice")).not_to_contain_text("reloaded before your question")
    expect(third.locator("#q textarea")).to_have_value("Who won")

    # Told while out of sight, a tab reloads at once, keeping its draft: reloading on return, it
    # dropped the keys typed meanwhile ("When will Carney arrive" + " in China?" → "…arrivehina?").
    third.locator("#q textarea").fill("Who organised")
    third.evaluate("window.notReloaded = true; Object.defineProperty(document, 'hidden', {get: () => true})")
    third.evaluate("window.dispatchEvent(new StorageEvent('storage', {key: window.verbatimSettings.revisionKey}))")
    third.wait_for_function("!window.notReloaded")  # with no key pressed, no click
    expect(third.locator("#q textarea")).to_have_value("Who organised")


def test_a_stale_tab_reloaded_by_a_slow_server_stays_on_its_own_conversation(page, server, monkeypatch):
    """Its reload opened the conversation the other tab opened last when the page's load event
    came after its restore step had given up (a busy server): its next question went into it."""
    from playwright.sync_api import expect

    app = server[1]
    other = page.context.new_page()  # no conversation open there
    other.goto(page.url, wait_until="domcontentloaded")
    wait_until_loaded(other)
    ask(page, QUESTION)  # saved: the other tab's copy is stale, and this conversation the last opened
    quick_generation = app.generation

    def load_slowly():
        time.sleep(2)
        return quick_generation()

    monkeypatch.setattr(app, "generation", load_slowly)
    # Told again that its copy is stale, then used (a key): it reloads now, under the slow load,
    # even if the first storage event had already reloaded it.
    other.evaluate("window.notReloaded = true")
    other.evaluate("window.dispatchEvent(new StorageEvent('storage', {key: window.verbatimSettings.revisionKey}))")
    other.locator("#q textarea").press("End")
    other.wait_for_function("!window.notReloaded")
    wait_until_loaded(other)
    expect(other.locator("#chats label")).to_have_count(1)
    other.wait_for_timeout(1000)  # the restore step's clicks
    expect(other.locator("#chats input:checked")).to_have_count(0)  # still its own new chat
    expect(bots(other)).to_have_count(0)


def test_two_tabs_asking_at_once_keep_both_conversations(page):
    """Tab B asked while tab A's answer was on its way; each saved its own copy of the
    conversations, and A's conversation was gone for good."""
    from playwright.sync_api import expect

    other = page.context.new_page()
    other.goto(page.url, wait_until="domcontentloaded")
    other.locator("#q textarea").wait_for()
    slow_server(page)
    page.locator("#q textarea").fill(QUESTION)
    page.locator("#q textarea").press("Enter")  # A's answer is on its way (2.5 s)
    other.evaluate("window.notReloaded = true")
    other.locator("#q textarea").fill("How many people were evacuated?")
    other.locator("#q textarea").press("Enter")  # held, then the tab reloads with it in the box
    other.wait_for_function("!window.notReloaded", timeout=30_000)
    other.locator("#q textarea").wait_for()
    expect(other.locator("#q textarea")).to_have_value("How many people were evacuated?")
    expect(other.locator("#chats label")).to_have_count(1)  # A's conversation, saved
    other.locator("#q textarea").press("Enter")
    expect(bots(other)).to_have_count(1, timeout=20_000)
    expect(last_answer(other).locator(".qa-pending, .qa-streaming")).to_have_count(0, timeout=20_000)
    fresh = page.context.new_page()
    fresh.goto(page.url, wait_until="domcontentloaded")
    expect(fresh.locator("#chats label")).to_have_count(2)  # both: nothing saved over
    expect(fresh.locator("#chats")).to_contain_text("What tariffs did Trudeau impose?")


def test_followup_uses_the_conversation(page):
    from playwright.sync_api import expect

    ask(page, QUESTION)
    ask(page, "How did China respond?")
    expect(last_answer(page).locator(".qa-text")).to_contain_text("retaliatory tariffs from China")
    page.locator("#new-chat").click()
    expect(bots(page)).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("Ask a question")


# -- 9. feedback -----------------------------------------------------------------------------------


def test_thumbs_down_is_recorded_next_to_the_index(page, server):
    from playwright.sync_api import expect

    from qa.feedback import FEEDBACK_FILE, read_feedback

    path = server[2] / "index" / FEEDBACK_FILE
    before = len(read_feedback(path))
    ask(page, QUESTION)
    page.locator("#chatbot button[aria-label='Dislike']").last.click()
    toast(page, "marked not helpful")
    deadline = time.monotonic() + 10
    while len(read_feedback(path)) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    record = read_feedback(path)[-1]
    assert record.helpful is False and record.question == QUESTION and record.found
    assert record.sentence == TRUDEAU and record.citations[0].sentence == TRUDEAU
    assert record.citations[0].article_id and record.citations[0].end > record.citations[0].start
    assert record.generation == server[1].index().generation.name
    assert 0 < record.confidence <= 1
    page.locator("#chatbot button[aria-label='Like']").last.click()
    toast(page, "marked helpful")
    page.reload(wait_until="domcontentloaded")  # the thumb is kept with the conversation
    expect(page.locator("#chatbot button[aria-label='Liked']")).to_have_count(1)
    expect(page.locator("#chatbot button[aria-label='Disliked']")).to_have_count(0)
    # taken back: recorded too, so that the earlier verdict stops counting
    page.locator("#chatbot button[aria-label='Liked']").last.click()
    toast(page, "Rating taken back")
    deadline = time.monotonic() + 10
    while read_feedback(path)[-1].helpful is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert read_feedback(path)[-1].helpful is None and read_feedback(path)[-1].question == QUESTION
    expect(page.locator("#chatbot button[aria-label='Liked']")).to_have_count(0)


# -- 10. mobile ------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [768, 1024])
def test_the_sidebar_starts_closed_where_it_would_cover_the_chat(browser, server, width):
    from playwright.sync_api import expect

    # Gradio's sidebar covers the whole width up to 768 px (a tablet upright): open, it hid the chat.
    page = open_page(browser, server[0], viewport={"width": width, "height": 1024})
    try:
        expect(page.locator("#chatbot")).to_be_visible()
        sidebar = page.locator("#sidebar")
        if width <= 768:
            expect(sidebar).not_to_have_class(re.compile(r"\bopen\b"))
            page.locator("#sidebar .toggle-button").click()  # opened, then a pick closes it again
            expect(sidebar).to_have_class(re.compile(r"\bopen\b"))
            page.locator("#new-chat").click()
            expect(sidebar).not_to_have_class(re.compile(r"\bopen\b"))
        else:  # room for both: it stays open beside the chat
            expect(sidebar).to_have_class(re.compile(r"\bopen\b"))
    finally:
        page.context.close()


def test_a_closed_sidebar_is_out_of_the_keyboards_reach_and_an_open_one_over_the_page_is_all_of_it(browser, server):
    """Tab reached the closed sidebar's off-screen "Delete this chat": Enter deleted a conversation
    no one could see. Open over a phone's page, Tab went on behind it and Escape did nothing."""
    from playwright.sync_api import expect

    page = open_page(browser, server[0], viewport={"width": 390, "height": 844})
    try:
        ask(page, QUESTION)
        sidebar = page.locator("#sidebar")
        expect(sidebar).not_to_have_class(re.compile(r"\bopen\b"))
        page.locator("#sidebar .toggle-button").focus()
        for _ in range(3):
            page.keyboard.press("Tab")
            assert not page.evaluate("!!document.activeElement.closest('#sidebar .sidebar-content')")
        assert page.locator("#chats input").count() == 1  # nothing deleted
        page.locator("#sidebar .toggle-button").click()
        expect(sidebar).to_have_class(re.compile(r"\bopen\b"))
        for _ in range(6):  # the page behind it is out of reach: the sidebar, or out to the browser
            page.keyboard.press("Tab")
            assert page.evaluate(
                "document.activeElement === document.body || !!document.activeElement.closest('#sidebar')"
            )
        page.keyboard.press("Escape")
        expect(sidebar).not_to_have_class(re.compile(r"\bopen\b"))
        assert page.evaluate("document.activeElement.classList.contains('toggle-button')")
        expect(page.locator("#q textarea")).to_be_editable()  # reachable again
    finally:
        page.context.close()


def test_arrow_keys_step_through_the_conversations_with_the_sidebar_left_open(browser, server):
    """At 200% zoom on a laptop (640 CSS px) the first arrow key closed the sidebar."""
    from playwright.sync_api import expect

    page = open_page(browser, server[0], viewport={"width": 640, "height": 700})
    try:
        ask(page, QUESTION)
        page.locator("#sidebar .toggle-button").click()
        page.locator("#new-chat").click()
        expect(bots(page)).to_have_count(0)
        ask(page, "How did China respond?")
        page.locator("#sidebar .toggle-button").click()
        sidebar = page.locator("#sidebar")
        expect(sidebar).to_have_class(re.compile(r"\bopen\b"))
        page.locator("#chats input:checked").focus()
        page.keyboard.press("ArrowDown")
        expect(page.locator("#chatbot [data-testid='user']").first).to_have_text(QUESTION)  # opened
        page.wait_for_timeout(300)
        expect(sidebar).to_have_class(re.compile(r"\bopen\b"))
        assert page.evaluate("document.activeElement.getBoundingClientRect().left") >= 0  # on screen
    finally:
        page.context.close()


def test_mobile_shows_the_newest_question_its_answer_and_sources_below(browser, server):
    from PIL import Image  # (Gradio's dependency)
    from playwright.sync_api import expect

    page = open_page(browser, server[0], viewport={"width": 390, "height": 844})
    try:
        expect(page.locator("#sidebar")).not_to_have_class(re.compile(r"\bopen\b"))  # closed: the chat shows
        ask(page, QUESTION)
        ask(page, "Why is Carney visiting China?")
        question = page.locator("#chatbot [data-testid='user']").last.bounding_box()
        answer = last_answer(page).bounding_box()
        assert 0 <= question["y"] < 844 * 0.5, question
        assert question["y"] < answer["y"] < 844 - 40, answer
        chat = page.locator("#chatbot").bounding_box()
        sources = page.locator("#sources").bounding_box()
        options = page.locator("#options").bounding_box()
        assert 0 < sources["y"] - (chat["y"] + chat["height"]) < 150  # only the question box between
        assert options["y"] > sources["y"]
        # Scrolled back, the chat's scroll-to-the-end button shows; the open sidebar covers it (it
        # showed on top of the sidebar).
        page.evaluate("document.querySelectorAll('#chatbot *').forEach((e) => { e.scrollTop = 0; })")
        button = page.locator("#chatbot .scroll-down-button-container button")
        expect(button).to_be_visible()
        page.locator("#sidebar .toggle-button").click()
        expect(page.locator("#sidebar")).to_have_class(re.compile(r"\bopen\b"))
        page.wait_for_timeout(400)  # the sidebar slides in
        # What shows where the button is: the sidebar's plain background, one colour. (Hit testing
        # cannot tell: elementFromPoint gave the sidebar while the button was drawn over it.)
        shot = Image.open(io.BytesIO(page.screenshot(clip=button.bounding_box()))).convert("RGB")
        assert len(shot.getcolors(maxcolors=4096) or ()) == 1
    finally:
        page.context.close()


def test_phone_articles_table_shows_title_date_and_publisher_readably(browser, server):
    from playwright.sync_api import expect

    page = open_page(browser, server[0], viewport={"width": 390, "height": 844})
    try:
        page.locator("#tab-articles-button").click()
        expect(page.locator("#articles-table [role=gridcell][data-col='1']").first).to_be_visible()
        for col in ("3", "4", "5"):  # passages, indexed at, id: hidden on a phone
            expect(page.locator(f"#articles-table [role=gridcell][data-col='{col}']").first).to_be_hidden()
        date = page.locator("#articles-table [role=gridcell][data-col='1']").first
        assert date.evaluate("e => e.scrollWidth <= e.clientWidth")  # "2026-01-13", not "202"
    finally:
        page.context.close()


# -- 12. filters -----------------------------------------------------------------------------------


def test_publisher_and_article_filters_are_separate_and_combine(page, server):
    from playwright.sync_api import expect

    page.locator("#options").get_by_text("Options").click()
    page.locator("#opt-publishers input").click()
    expect(page.get_by_role("option", name="Town Crier")).to_be_visible()
    page.get_by_role("option", name="Town Crier").click()
    page.keyboard.press("Escape")
    ask(page, QUESTION)
    assert TRUDEAU not in last_answer(page).inner_text()  # only the festival article may answer

    seed_id = next(a.source.article_id for a in server[1].index().articles() if SEED_TITLE in a.source.title)
    page.locator("#opt-articles input").click()
    page.get_by_role("option", name=re.compile(re.escape(seed_id))).click()
    page.keyboard.press("Escape")
    ask(page, QUESTION)  # publisher OR article: the seed article answers again
    expect(last_answer(page)).to_contain_text(TRUDEAU)


def test_a_typed_fraction_of_cited_sentences_is_rounded_not_refused(page):
    from playwright.sync_api import expect

    page.locator("#options").get_by_text("Options").click()
    box = page.locator("#opt-sentences input[type=number]")
    box.fill("1.4")
    box.press("Enter")
    ask(page, QUESTION)
    expect(last_answer(page)).to_contain_text(TRUDEAU)
    expect(last_answer(page).locator(".qa-sentence")).to_have_count(1)  # 1.4 is read as 1


def test_a_bad_date_gives_the_question_back_to_send_again(page):
    from playwright.sync_api import expect

    page.locator("#options").get_by_text("Options").click()
    page.locator("#opt-since textarea, #opt-since input").first.fill("2026-13-40")
    ask(page, QUESTION)
    expect(last_answer(page).locator(".qa-error")).to_be_visible()
    expect(page.locator("#q textarea")).to_have_value(QUESTION)  # not retyped after fixing the date
    expect(page.locator("#send")).to_be_enabled()
    # An error is not an answer to rate: its thumbs are not shown (its copy button is).
    buttons = page.locator("#chatbot .message-buttons").last
    expect(buttons.locator("button[aria-label='Copy message']")).to_be_visible()
    expect(buttons.locator("button[aria-label='Like']")).to_be_hidden()
    expect(buttons.locator("button[aria-label='Dislike']")).to_be_hidden()
    buttons.locator("button[aria-label='Like']").dispatch_event("click")  # clicked anyway (a script)
    toast(page, "cannot be rated")
    expect(page.locator("#chatbot button[aria-label='Liked']")).to_have_count(0)  # the thumb goes out again


def test_what_is_typed_while_an_answer_streams_in_is_kept(page):
    from playwright.sync_api import expect

    before = bots(page).count()
    page.locator("#q textarea").fill(QUESTION)
    page.locator("#q textarea").press("Enter")
    expect(bots(page)).to_have_count(before + 1, timeout=20_000)  # asked: the box was emptied
    page.locator("#q textarea").fill("How did China respond?")
    expect(last_answer(page).locator(".qa-pending, .qa-streaming")).to_have_count(0, timeout=20_000)
    expect(page.locator("#q textarea")).to_have_value("How did China respond?")


# A busy server, whose first update comes seconds after Enter (the README gives p50 2.9 s on
# 2 cores under load): the page's question requests held back in the browser, under the
# page's own wrapper of fetch (added before the page's scripts, so the page sends through it).
SLOW_SERVER_JS = """{
    const send = window.fetch;
    window.fetch = (url, options) => String(url).includes("/queue/join")
        ? new Promise((done) => setTimeout(done, 2500)).then(() => send(url, options))
        : send(url, options);
}"""


def slow_server(page) -> None:
    page.add_init_script(SLOW_SERVER_JS)
    page.reload(wait_until="domcontentloaded")
    wait_until_loaded(page)


def test_what_is_typed_before_the_servers_first_update_is_kept(page):
    """The box was emptied by that first update, erasing what was typed meanwhile (a question
    cut off at its start was then asked)."""
    from playwright.sync_api import expect

    slow_server(page)
    box = page.locator("#q textarea")
    before = bots(page).count()
    box.fill(QUESTION)
    box.press("Enter")
    expect(box).to_have_value("", timeout=2_000)  # emptied as it left, not 2.5 s later with the server
    box.press_sequentially("How did China")
    expect(bots(page)).to_have_count(before + 1, timeout=20_000)
    expect(last_answer(page).locator(".qa-pending, .qa-streaming")).to_have_count(0, timeout=20_000)
    expect(box).to_have_value("How did China")


def test_a_question_sent_while_an_answer_is_on_its_way_is_asked_after_it(page):
    """Enter and Ask did nothing then, though Ask looked enabled: the question sat in the box."""
    from playwright.sync_api import expect

    slow_server(page)
    box = page.locator("#q textarea")
    before = bots(page).count()
    box.fill(QUESTION)
    box.press("Enter")
    expect(box).to_have_value("", timeout=2_000)
    box.fill("How did China respond?")
    box.press("Enter")  # the first is on its way: held until its answer is saved, then asked
    expect(bots(page)).to_have_count(before + 2, timeout=30_000)
    expect(last_answer(page).locator(".qa-pending, .qa-streaming")).to_have_count(0, timeout=30_000)
    users = page.locator("#chatbot [data-testid='user']")
    expect(users.nth(users.count() - 1)).to_have_attribute("aria-label", "Question: How did China respond?")
    expect(box).to_have_value("")


def test_a_question_being_typed_stays_when_a_new_chat_is_started_or_another_opened(page):
    from playwright.sync_api import expect

    ask(page, QUESTION)
    box = page.locator("#q textarea")
    box.fill("Which new subject")
    page.locator("#new-chat").click()
    expect(page.locator("#chatbot [data-testid='user']")).to_have_count(0)  # the new chat is open
    expect(box).to_have_value("Which new subject")  # it was emptied
    page.locator("#chats label").first.click()
    expect(page.locator("#chatbot [data-testid='user']")).to_have_count(1)
    expect(box).to_have_value("Which new subject")


def test_a_question_held_behind_a_refused_one_goes_and_the_refused_one_is_not_sent_again(page):
    """The refused question was put back over the held one, which was lost, and sent again."""
    from playwright.sync_api import expect

    slow_server(page)
    page.locator("#options").get_by_text("Options").click()
    page.locator("#opt-since textarea, #opt-since input").first.fill("soon")  # refused: not a date
    box = page.locator("#q textarea")
    box.fill(QUESTION)
    box.press("Enter")
    expect(box).to_have_value("", timeout=2_000)
    box.fill("How did China respond?")
    box.press("Enter")  # held behind the first
    users = page.locator("#chatbot [data-testid='user']")
    expect(users).to_have_count(2, timeout=30_000)
    expect(last_answer(page).locator(".qa-pending, .qa-streaming")).to_have_count(0, timeout=30_000)
    page.wait_for_timeout(1_000)
    assert [u.get_attribute("aria-label") for u in users.all()] == [
        f"Question: {QUESTION}",
        "Question: How did China respond?",
    ]


def test_a_held_question_rewritten_before_it_goes_is_sent_as_rewritten(page):
    """The held text was put back over the rewrite, which was lost."""
    from playwright.sync_api import expect

    slow_server(page)
    box = page.locator("#q textarea")
    box.fill(QUESTION)
    box.press("Enter")
    expect(box).to_have_value("", timeout=2_000)
    box.fill("Wht did Chna do")
    box.press("Enter")  # held
    box.fill("How did China respond?")  # rewritten while it waits
    users = page.locator("#chatbot [data-testid='user']")
    expect(users).to_have_count(2, timeout=30_000)
    expect(users.nth(1)).to_have_attribute("aria-label", "Question: How did China respond?")


def test_a_starter_question_clicked_while_another_tab_answers_keeps_both_conversations(page):
    from playwright.sync_api import expect

    other = page.context.new_page()
    other.goto(page.url, wait_until="domcontentloaded")
    other.locator("#q textarea").wait_for()
    slow_server(page)
    page.locator("#q textarea").fill(QUESTION)
    page.locator("#q textarea").press("Enter")  # on its way, 2.5 s
    other.evaluate("window.notReloaded = true")
    chip = other.locator("#chatbot button.example").first
    starter = chip.text_content()
    chip.click()  # held, then the stale tab reloads
    other.wait_for_function("!window.notReloaded", timeout=30_000)
    other.locator("#q textarea").wait_for()
    expect(other.locator("#chats label")).to_have_count(1)  # the first tab's, not saved over
    expect(other.locator("#chats")).to_contain_text("What tariffs did Trudeau impose?")
    expect(other.locator("#q textarea")).to_have_value(starter)  # and the starter, kept as the draft: it was lost


def test_the_login_page_reads_well_refuses_a_wrong_password_and_lets_the_right_one_in(browser, server):
    """`qa serve --auth`: Gradio's own login page, which gets the theme but not ui/style.css."""
    from playwright.sync_api import expect

    from ui.app import build_app
    from ui.auth import access_options

    demo = build_app(server[1])
    url = launch(demo, **access_options(("alice", "s3cret"), base_delay=0.05, max_delay=0.1))
    try:
        for scheme in ("light", "dark"):
            page = browser.new_context(color_scheme=scheme).new_page()
            page.goto(url, wait_until="domcontentloaded")
            user = page.get_by_label("username")
            user.wait_for()
            # The field labels were indigo-500 on indigo-100, 3.6:1 (axe-core); the theme sets them.
            assert contrast(page, "label span[data-testid=block-info]") >= 4.5, scheme
            user.fill("alice")
            page.get_by_label("password").fill("wrong")
            page.get_by_role("button", name="Login").click()
            expect(page.get_by_text("Incorrect Credentials")).to_be_visible()
            user.fill("alice")  # Gradio's form empties the user name after a failure
            page.get_by_label("password").fill("s3cret")
            page.get_by_role("button", name="Login").click()
            expect(page.locator("#q textarea")).to_be_visible(timeout=20_000)  # the chat
            page.context.close()
    finally:
        demo.close()


# -- kept from before ------------------------------------------------------------------------------


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
    answer.locator("a.qa-cite").first.hover()
    expect(page.locator("#qa-popover")).to_contain_text(XSS)
    page.locator("#tab-articles-button").click()
    expect(page.locator("#articles-table")).to_contain_text("Harbour festival <script>")
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.locator("img[src='x']").count() == 0
    assert (
        page.evaluate("document.querySelectorAll('#chatbot script, #sources script, #qa-popover script').length") == 0
    )


def test_api_endpoint_through_gradio_client(server):
    from gradio_client import Client

    client = Client(server[0], verbose=False, analytics_enabled=False)
    result = client.predict(QUESTION, api_name="/ask")
    assert result["found"] is True and result["answer"].startswith(TRUDEAU + " [1]")
    assert result["citations"][0]["sentence"] == TRUDEAU
    assert result["sources"][0]["n"] == 1 and result["sources"][0]["date"] == "2026-01-13"
    assert result["sources"][0]["pages"] == [] and result["citations"][0]["page"] is None  # a .txt has no pages
    one = client.predict(QUESTION, None, 1, api_name="/ask")
    assert len(one["sentences"]) == 1
    follow = client.predict("How did China respond?", [QUESTION], api_name="/ask")
    assert "retaliatory tariffs from China" in follow["sentences"][0]["text"]
    # the earlier result as history: the follow-up is read with it and marks a new answer
    after = client.predict("How did China respond?", [result], api_name="/ask")
    assert after["sentences"][0]["span"]["text"] == "retaliatory tariffs"
    assert after["search_text"] == follow["search_text"]
    bad = client.predict(QUESTION, None, 3, "semantic", api_name="/ask")
    assert bad["found"] is False and bad["error"].startswith("Unknown mode 'semantic'") and bad["hits"] == []


def call_ask(url: str, body: bytes) -> tuple[int, object]:
    """POST raw JSON to /ask (gradio_client cannot even encode a lone surrogate); the reply."""
    import httpx

    posted = httpx.post(f"{url}gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
    if posted.status_code != 200:
        return posted.status_code, posted.json()
    events = httpx.get(f"{url}gradio_api/call/ask/{posted.json()['event_id']}", timeout=30).text
    return 200, json.loads(events.split("data: ", 1)[1])[0]


def test_api_reports_an_invalid_question_in_its_json(server):
    from gradio_client import Client

    empty = Client(server[0], verbose=False, analytics_enabled=False).predict("", api_name="/ask")
    assert empty["found"] is False and empty["error"] == "Please type a question."
    status, surrogate = call_ask(server[0], b'{"data": ["\\ud800", null, 3, "hybrid", "", "", null]}')
    assert status == 200 and surrogate["found"] is False
    assert "not valid text" in surrogate["error"] and surrogate["question"] == "?"
    status, garbage = call_ask(server[0], b'{"data": ["\xff\xfe", null, 3, "hybrid", "", "", null]}')
    assert status == 400 and "error parsing the body" in garbage["detail"]  # invalid UTF-8: refused as JSON
    for reply in (empty, surrogate):
        assert "Traceback" not in json.dumps(reply) and "tokenizer" not in reply["error"].lower()


def test_api_answers_other_failures_in_json_too(server, monkeypatch):
    from gradio_client import Client

    def broken(*args, **kwargs):
        raise RuntimeError("tokenizer exploded")

    monkeypatch.setattr(server[1], "ask", broken)
    result = Client(server[0], verbose=False, analytics_enabled=False).predict(QUESTION, api_name="/ask")
    assert result["found"] is False and result["error"].startswith("Internal error")
    assert "exploded" not in result["error"]


def test_twenty_concurrent_api_calls_all_answer_correctly(server):
    from gradio_client import Client

    questions = [QUESTION, "Who won the 2022 FIFA World Cup?"] * 10

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


def test_upload_rules_extension_size_names_and_no_silent_overwrite(server, tmp_path, monkeypatch):
    app, articles = server[1], server[2] / "articles"

    def message(path: Path) -> str:
        return app.add_files([str(path)]).message

    bad = tmp_path / "notes.exe"
    bad.write_text("x")
    assert "unsupported file type" in message(bad)
    big = tmp_path / "big.txt"
    big.write_text("word " * 300_000)  # 1.5 MB, over the fixture's 1 MB upload limit
    assert "over the 1 MB upload limit" in message(big)
    with monkeypatch.context() as patched:
        patched.setattr(app, "max_upload_bytes", int(0.01 * 1024 * 1024))  # --max-upload-mb 0.01
        mid = tmp_path / "mid.txt"
        mid.write_text("word " * 4_000)  # 20,000 bytes: was "0.0 MB is over the 0.00999928 MB upload limit"
        assert "mid.txt: 19.5 KB is over the 10.2 KB upload limit" in message(mid)
        patched.setattr(app, "max_upload_bytes", 19_999)  # was "19.5 KB is over the 19.5 KB upload limit"
        assert "mid.txt: 20,000 bytes is over the 19,999 bytes upload limit" in message(mid)
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01binary")
    assert "binary" in message(binary)
    from pypdf import PdfWriter

    scan = PdfWriter()
    scan.add_blank_page(width=612, height=792)
    scan.write(tmp_path / "scan.pdf")
    assert "no text layer" in message(tmp_path / "scan.pdf")
    import docx

    word = docx.Document()
    word.add_paragraph("Harbour seals return", style="Title")
    word.add_paragraph("Seals were counted in the harbour for the first time in a decade.")
    word.save(str(tmp_path / "seals.docx"))
    assert "Added seals.docx" in message(tmp_path / "seals.docx")
    assert app.index().article("seals.docx").source.title == "Harbour seals return"
    sneaky = tmp_path / "x" / "..%2F..%2Fevil name.txt"
    sneaky.parent.mkdir()
    sneaky.write_text("title: Sneaky\n\nA harmless article about gardens and roses.")
    assert "Added" in message(sneaky) and (articles / "2F-2Fevil-name.txt").exists()
    other = tmp_path / "y" / "..%2F..%2Fevil name.txt"
    other.parent.mkdir()
    other.write_text("title: Another\n\nA different article about tulips.")
    assert "Added 2F-2Fevil-name-2.txt" in message(other)  # renamed, not overwritten
    assert "already in the articles folder, as 2F-2Fevil-name.txt" in message(sneaky)
    renamed_copy = tmp_path / "copy of sneaky.txt"  # the same bytes under another name: not indexed twice
    renamed_copy.write_bytes(sneaky.read_bytes())
    assert (
        message(renamed_copy)
        == "Not added: copy of sneaky.txt: the same file is already in the articles folder, as 2F-2Fevil-name.txt"
    )
    assert not (articles / "copy-of-sneaky.txt").exists()
    assert not list(server[2].glob("*.exe")) and not (server[2] / "evil name.txt").exists()
    # A backup in the folder is no article: its twin was refused as "already there", for good.
    orchard = "title: Orchard harvest\n\nThe community orchard picked a record four tonnes of apples."
    (articles / "old").mkdir()
    (articles / "old" / "orchard.txt.bak").write_text(orchard)
    (tmp_path / "orchard.txt").write_text(orchard)
    assert "Added orchard.txt" in message(tmp_path / "orchard.txt")


# -- keyboard and screen readers --------------------------------------------------------------------


def focused(page, selector: str) -> bool:
    return page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector)


def test_suggested_questions_and_the_upload_box_are_named_as_they_read(page, server):
    """axe-core found Gradio's suggestions a list without items, and its upload box named
    "Click to upload or drop files" while it shows "Drop File Here - or - Click to Upload"."""
    from playwright.sync_api import expect

    page.goto(server[0], wait_until="domcontentloaded")  # a fresh page: the suggestions show
    starters = page.get_by_role("group", name="Suggested questions")
    expect(starters.get_by_role("button").first).to_be_visible()
    assert starters.get_by_role("button").count() == page.locator("#chatbot button.example").count()
    expect(page.locator("#chatbot [role=list]")).to_have_count(0)
    page.get_by_role("tab", name="Articles").click()
    expect(page.get_by_role("button", name="Drop File Here - or - Click to Upload")).to_be_visible()


def test_the_articles_tab_reads_well_at_a_tablets_width_and_to_a_screen_reader(browser, server):
    """Dates were cut ("2026-03-2") between 701 and ~1,100 px; the table was named "Dataframe",
    then after a search the search's stale "No article title contains …"; RTL titles ran left to
    right; text boxes showed no focus."""
    from playwright.sync_api import expect

    page = open_page(browser, server[0], viewport={"width": 1024, "height": 800})
    try:
        page.get_by_role("tab", name="Articles").click()
        date = page.locator("#articles-table [role=gridcell][data-col='1']").first
        expect(date).to_be_visible()
        assert date.evaluate("e => (e.querySelector('span') || e).scrollWidth <= e.clientWidth")
        assert date.evaluate("e => getComputedStyle(e.querySelector('*') || e).unicodeBidi") == "plaintext"
        grid = page.locator("#articles-table [role=grid]")
        expect(grid).to_have_attribute("aria-label", "Articles")
        search = page.locator("#article-search textarea")
        search.fill("no such title at all")
        expect(grid).to_have_attribute("aria-label", "No article title contains 'no such title at all'")
        search.fill("")
        expect(grid).to_have_attribute("aria-label", "Articles")
        search.focus()
        assert search.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
        # The tabs, the filters, the slider and the article's text showed no focus at all
        page.keyboard.press("Shift+Tab")  # (the keyboard used last: :focus-visible as a keyboard user sees it)
        tab = page.get_by_role("tab", name="Articles")
        tab.focus()
        assert tab.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
        assert tab.evaluate("e => getComputedStyle(e).outlineOffset") == "-3px"  # inside: its row clips the rest
        page.get_by_role("tab", name="Chat").click()
        page.get_by_role("button", name="Options", exact=True).click()
        for field in ("#opt-since textarea", "#opt-until textarea", "#opt-publishers input", "#opt-articles input"):
            page.locator(field).focus()
            assert page.locator(field).evaluate("e => getComputedStyle(e).outlineStyle") == "solid", field
        slider = page.locator("#opt-sentences input[type=range]")
        slider.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowLeft")
        assert slider.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    finally:
        page.context.close()


def test_the_chat_works_from_the_keyboard_and_names_its_markers(page):
    from playwright.sync_api import expect

    # The Options button was read "Options ▼" and never said whether it was open.
    options = page.get_by_role("button", name="Options", exact=True)
    expect(options).to_have_attribute("aria-expanded", "false")
    options.focus()
    page.keyboard.press("Enter")
    expect(options).to_have_attribute("aria-expanded", "true")
    # Gradio's radio groups (fieldsets without a legend) had no name
    expect(page.get_by_role("group", name="Retrieval", exact=True)).to_be_visible()
    expect(page.locator("#chats")).to_have_attribute("aria-label", "Conversations")  # (hidden while empty)
    page.keyboard.press("Enter")
    expect(options).to_have_attribute("aria-expanded", "false")
    ask(page, QUESTION)
    page.locator("#new-chat").click()
    expect(bots(page)).to_have_count(0)
    expect(page.locator("#q textarea")).to_be_focused()  # New chat: ready to type
    ask(page, "How many visitors came to the harbour festival?")
    chats = page.locator("#chats input[type=radio]")
    expect(chats).to_have_count(2)
    # One Tab stop for the list, on the open conversation; the arrow keys move through it.
    assert page.locator("#chats input[tabindex='0']").count() == 1
    assert page.locator("#chats input[tabindex='0']").is_checked()
    page.locator("#chats input[tabindex='0']").focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#chatbot [data-testid='user']")).to_have_text([QUESTION])
    expect(page.locator("#chats input:checked")).to_be_focused()
    # A marker says its source to a screen reader, and following it moves the focus to the sentence.
    marker = last_answer(page).locator("a.qa-cite").first
    expect(marker).to_contain_text(f"(Source 1: {SEED_TITLE}")
    expect(page.locator("#chatbot [role=log]")).to_have_attribute("aria-busy", "false")
    marker.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.matches('#sources mark.qa-cited')")
    # Deleting a conversation hands the focus to Undo, and Undo to the question box.
    page.locator("#delete-chat").click()
    expect(page.locator("#undo-delete")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#q textarea")).to_be_focused()
    expect(chats).to_have_count(2)
    # Headings to navigate by: the page's name, then the sources panel.
    expect(page.get_by_role("heading", level=1)).to_have_text("Verbatim")
    expect(page.get_by_role("heading", level=2, name="Sources")).to_be_visible()


def test_a_very_long_question_folds_so_that_its_answer_stays_near(page):
    from playwright.sync_api import expect

    long = "What tariffs did Trudeau impose?" + " Please answer with care." * 200
    ask(page, long)
    question = page.locator("#chatbot [data-testid='user']").last
    expect(question.locator("details.qa-long-question summary")).to_contain_text(f"(show all {len(long):,} characters)")
    assert question.bounding_box()["height"] < 200
    # Copy and screen readers get the question once (not its beginning, the fold's label, then all of it).
    expect(question).to_have_attribute("aria-label", f"Question: {long}")


def test_confirmations_take_the_focus_and_escape_closes_them(page, server):
    from playwright.sync_api import expect

    page.locator("#tab-articles-button").click()
    page.locator("#articles-table [role=gridcell]", has_text="harbour").first.click()
    preview = page.locator("#article-preview textarea")
    expect(preview).to_be_visible()
    expect(preview).to_be_editable(editable=False)
    expect(preview).not_to_be_disabled()  # read-only, so a keyboard can reach and scroll it
    page.locator("#delete").click()
    expect(page.locator("#picked")).to_be_focused()  # the question, not "Yes, delete it"
    expect(page.locator("#picked")).to_contain_text("This removes the file")
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-delete")).to_be_hidden()
    # Cancelled, the article stays selected (it was forgotten, its text hidden): focus back on Delete.
    expect(page.locator("#delete")).to_be_focused()
    expect(page.locator("#picked")).to_contain_text("Selected:")
    expect(preview).to_be_visible()
    page.locator("#delete").click()
    page.locator("#cancel-delete").click()
    expect(page.locator("#confirm-delete")).to_be_hidden()
    expect(page.locator("#delete")).to_be_enabled()
    expect(preview).to_be_visible()
    page.locator("#rebuild").click()
    expect(page.locator("#rebuild-question")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#rebuild-confirm")).to_be_hidden()
    expect(page.locator("#rebuild")).to_be_focused()
    assert (server[2] / "articles" / "festival.txt").exists()


def test_a_rebuilds_progress_stays_on_the_status_line_until_it_is_done(page, server, monkeypatch):
    """The page's catch-up timer (every 5 s) writes the status line too: each tick took the
    rebuild's progress off it, and from then on the line read as if nothing ran."""
    from playwright.sync_api import expect

    app = server[1]

    def rebuild_slowly(on_progress=None, on_wait=None):
        for done in range(13):
            if on_progress is not None:
                on_progress(done, 12)
            time.sleep(1)
        return Outcome(done=["Rebuilt the index (slowly)."])

    from ui.service import Outcome

    monkeypatch.setattr(app, "rebuild", rebuild_slowly)
    page.locator("#tab-articles-button").click()
    page.locator("#rebuild").click()
    page.locator("#confirm-rebuild").click()
    shown = page.locator("#status [data-testid='status-tracker']:not(.hide)")
    expect(shown).to_have_count(1)
    seen = []
    for _ in range(20):  # 10 s: two ticks of the timer
        seen.append(shown.count())
        page.wait_for_timeout(500)
    assert seen == [1] * 20, str(seen)
    expect(page.locator("#rebuild")).to_be_disabled()  # not a second rebuild queued behind it
    toast(page, "Rebuilt the index (slowly).")
    expect(page.locator("#rebuild")).to_be_enabled()


def test_an_upload_behind_a_rebuild_says_it_waits_for_it(page, server, tmp_path, monkeypatch):
    from playwright.sync_api import expect

    import ui.service

    build_index = ui.service.build_index

    def full_builds_slowly(settings, **kwargs):
        if kwargs.get("full"):
            time.sleep(8)
        return build_index(settings, **kwargs)

    monkeypatch.setattr(ui.service, "build_index", full_builds_slowly)
    upload = tmp_path / "harbour-note.txt"
    upload.write_text("Harbour note\n\nThe harbour master retired on Friday after thirty years.")
    page.locator("#tab-articles-button").click()
    page.locator("#rebuild").click()
    page.locator("#confirm-rebuild").click()
    page.wait_for_timeout(1000)
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    expect(page.locator("#upload")).to_contain_text("Waiting for the build already running", timeout=5000)
    toast(page, "Added harbour-note.txt")
    (server[2] / "articles" / "harbour-note.txt").unlink()


def test_a_read_only_chat_answers_without_its_articles_folder_and_offers_no_change(browser, server):
    """`qa serve --no-index --read-only` of an index whose articles folder is not on this machine."""
    import httpx
    from playwright.sync_api import expect

    from qa import Settings
    from ui.app import ChatApp, build_app, transfer_limit

    _, shared, root = server
    app = ChatApp(Settings(articles_dir=root / "not-here", index_dir=shared.settings.index_dir), read_only=True)
    demo = build_app(app)
    url = launch(demo, max_file_size=transfer_limit(app))
    page = open_page(browser, url)
    try:
        ask(page, QUESTION)
        expect(last_answer(page)).to_contain_text(TRUDEAU)
        page.locator("#tab-articles-button").click()
        expect(page.locator("#read-only")).to_contain_text("This chat is read-only")
        page.locator("#articles-table [role=gridcell]", has_text="Harbour festival").first.click()
        expect(page.locator("#article-preview textarea")).to_have_value(re.compile("record crowd of 12,000 visitors"))
        for control in ("#upload", "#delete", "#rebuild"):
            expect(page.locator(control)).to_have_count(0)
        # Gradio's own upload route stays open; it takes no file of any size here
        refused = httpx.post(f"{url}gradio_api/upload", files={"files": ("a.txt", b"Some article text.")})
        assert refused.status_code == 413, refused.text
        assert not (root / "not-here").exists()
    finally:
        page.context.close()
        demo.close()


def test_a_question_over_the_limit_stays_in_the_box_with_a_toast_and_is_not_asked(page):
    from playwright.sync_api import expect

    pasted = "What tariffs did Trudeau impose? " + "x" * 20_000
    box = page.locator("#q textarea")
    box.fill(pasted)
    box.press("Enter")
    toast(page, f"The question is {len(pasted):,} characters long; the chat takes up to 20,000")
    expect(box).to_have_value(pasted)
    assert bots(page).count() == 0 and page.locator("#chatbot [data-testid='user']").count() == 0
    box.fill(QUESTION)  # shortened, it is asked as usual
    box.press("Enter")
    expect(last_answer(page)).to_contain_text(TRUDEAU)
