"""Take the README's screenshots: the chat answering the Trudeau question over seeds/.

    .venv/bin/python docs/screenshot.py        (or: make screenshot)

Writes docs/screenshot.png (light, 1400×1000), docs/screenshot-dark.png (dark, a marker's
popover open) and docs/screenshot-mobile.png (390×844). Uses a temporary index, Debian's
Chromium and Playwright (never a downloaded browser).
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from playwright.sync_api import Browser, expect, sync_playwright  # noqa: E402

from qa import Settings  # noqa: E402
from ui.app import ChatApp, build_app, launch_kwargs  # noqa: E402

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "What tariffs did Trudeau impose?"
SHOTS: list[tuple[str, dict[str, Any], bool]] = [  # file, browser context, hover the first marker
    ("screenshot.png", {"viewport": {"width": 1400, "height": 1000}, "color_scheme": "light"}, False),
    ("screenshot-dark.png", {"viewport": {"width": 1400, "height": 1000}, "color_scheme": "dark"}, True),
    ("screenshot-mobile.png", {"viewport": {"width": 390, "height": 844}, "color_scheme": "light"}, False),
]


def take(browser: Browser, url: str, name: str, context: dict[str, Any], hover: bool) -> None:
    """Ask the question in a fresh context and save the page as docs/`name`."""
    page = browser.new_context(device_scale_factor=1, **context).new_page()
    page.goto(url, wait_until="domcontentloaded")
    box = page.locator("#q textarea")
    box.wait_for()
    box.fill(QUESTION)
    box.press("Enter")
    expect(page.locator("#sources .qa-source").first).to_be_visible(timeout=30_000)
    expect(page.locator("#chatbot .qa-pending, #chatbot .qa-streaming")).to_have_count(0)
    page.wait_for_timeout(600)  # let the flash of new content and the scroll settle
    if hover:
        page.locator("#chatbot a.qa-cite").first.hover()
        expect(page.locator("#qa-popover")).to_be_visible()
    out = ROOT / "docs" / name
    page.screenshot(path=str(out))
    page.context.close()
    print(f"wrote {out}")


@contextmanager
def seed_chat() -> Iterator[tuple[str, Browser]]:
    """The chat over a temporary index of seeds/ (a copy: nothing here writes to the repository),
    and Debian's Chromium: (url, browser). docs/accessibility.py uses it too."""
    with tempfile.TemporaryDirectory() as tmp:
        articles = shutil.copytree(ROOT / "seeds", Path(tmp) / "articles")
        app = ChatApp(Settings(articles_dir=articles, index_dir=Path(tmp) / "index"))
        app.ensure_index()
        demo = build_app(app)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        _, url, _ = demo.launch(
            server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs()
        )
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                yield url, browser
                browser.close()
        finally:
            demo.close()


def main() -> None:
    with seed_chat() as (url, browser):
        for name, context, hover in SHOTS:
            take(browser, url, name, context, hover)


if __name__ == "__main__":
    main()
