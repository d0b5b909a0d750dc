"""Audit the chat with axe-core (WCAG 2 A and AA rules) in the states a visitor meets.

    npm install --prefix /tmp/axe axe-core@4          (once; axe-core is not a Python package)
    .venv/bin/python docs/accessibility.py /tmp/axe/node_modules/axe-core/axe.min.js

Light and dark themes and a phone: the empty chat, an answer, a marker's popover, a not-found
answer, an error message, the options, Ask enabled and under the pointer, a second
conversation, Undo after deleting one, the Articles tab with an article selected, and the
delete and rebuild confirmations (opened, never confirmed). Prints each state's violations;
exits 1 if there is any. Uses docs/screenshot.py's temporary index of seeds/ and Debian's
Chromium.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from screenshot import QUESTION, seed_chat

Step = tuple[str, Callable[[Page], None]]


def violations(page: Page, axe: str) -> list[dict]:
    """axe-core's violations of the page as it is now."""
    page.add_script_tag(content=axe)
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, where: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""
    )


def asked(question: str) -> Callable[[Page], None]:
    """A step that asks `question` and waits until its answer is complete."""

    def ask(page: Page) -> None:
        before = page.locator("#chatbot [data-testid='bot']").count()
        page.locator("#q textarea").fill(question)
        page.locator("#q textarea").press("Enter")
        expect(page.locator("#chatbot [data-testid='bot']")).to_have_count(before + 1, timeout=30_000)
        expect(page.locator("#chatbot .qa-pending, #chatbot .qa-streaming")).to_have_count(0)

    return ask


def answered(page: Page) -> None:
    asked(QUESTION)(page)
    expect(page.locator("#sources .qa-source").first).to_be_visible()


def second_chat(page: Page) -> None:
    page.get_by_role("button", name="New chat").click()
    # New chat empties the question box when it is done: type after that, not before.
    expect(page.locator("#chatbot [data-testid='bot']")).to_have_count(0)
    expect(page.locator("#q textarea")).to_have_value("")
    asked("How did China respond?")(page)
    expect(page.locator("#chats input[type=radio]")).to_have_count(2, timeout=30_000)


def ask_enabled(page: Page) -> None:
    page.locator("#q textarea").fill("typed, not sent")
    page.locator("#send").hover()


STEPS: list[Step] = [
    ("empty chat", lambda page: None),
    ("an answer", answered),
    ("a marker's popover", lambda page: page.locator("#chatbot a.qa-cite").first.hover()),
    ("a not-found answer", asked("Who won the 1998 World Cup?")),
    ("an error message", asked("???")),
    ("the options", lambda page: page.locator("#options").get_by_text("Options").click()),
    ("Ask enabled, under the pointer", ask_enabled),
    ("two conversations", second_chat),
    ("Undo after a deletion", lambda page: page.get_by_role("button", name="Delete this chat").click()),
    ("the Articles tab", lambda page: page.get_by_role("tab", name="Articles").click()),
    ("an article selected", lambda page: page.locator("#articles-table [role=gridcell]").first.click()),
    ("the delete confirmation", lambda page: page.get_by_role("button", name="Delete article").click()),
    ("the rebuild confirmation", lambda page: page.get_by_role("button", name="Rebuild index").click()),
]
PHONE_STEPS = STEPS[:2]
VIEWS = [
    ("light", {"viewport": {"width": 1400, "height": 1000}, "color_scheme": "light"}, STEPS),
    ("dark", {"viewport": {"width": 1400, "height": 1000}, "color_scheme": "dark"}, STEPS),
    ("phone", {"viewport": {"width": 390, "height": 844}, "color_scheme": "light"}, PHONE_STEPS),
]


def main() -> int:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_file():
        sys.exit(__doc__)
    axe = Path(sys.argv[1]).read_text()
    found = 0
    with seed_chat() as (url, browser):
        for view, context, steps in VIEWS:
            page = browser.new_context(**context).new_page()
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#q textarea").wait_for()
            for state, step in steps:
                step(page)
                page.wait_for_timeout(700)  # transitions and toasts settle
                problems = violations(page, axe)
                found += len(problems)
                print(f"{view:6} {state}: {len(problems) or 'no'} violation{'s' if len(problems) != 1 else ''}")
                for v in problems:
                    print(f"         [{v['impact']}] {v['id']}: {v['help']} — {', '.join(v['where'])}")
            page.context.close()
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
