"""Take docs/screenshot.png: the chat answering the Trudeau question over seeds/.

    .venv/bin/python docs/screenshot.py        (or: make screenshot)

Uses a temporary index, Debian's Chromium and Playwright (never a downloaded browser).
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from qa import Settings  # noqa: E402
from ui.app import ChatApp, build_app, launch_kwargs  # noqa: E402

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = ChatApp(Settings(articles_dir=ROOT / "seeds", index_dir=Path(tmp) / "index"))
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
                page = browser.new_page(viewport={"width": 1280, "height": 820}, device_scale_factor=1)
                page.goto(url, wait_until="domcontentloaded")
                box = page.locator("#q textarea")
                box.wait_for()
                box.fill("What tariffs did Trudeau impose?")
                box.press("Enter")
                expect(page.locator("#sources .qa-source")).to_have_count(1, timeout=30_000)
                page.wait_for_timeout(600)
                out = ROOT / "docs" / "screenshot.png"
                page.screenshot(path=str(out))
                browser.close()
                print(f"wrote {out}")
        finally:
            demo.close()


if __name__ == "__main__":
    main()
