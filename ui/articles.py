"""The Articles tab: list and search the indexed articles, upload, delete, rebuild.

Results are toasts (gr.Info / gr.Warning): they appear in view whatever the scroll position.
After any change, `on_change` refreshes what depends on the articles elsewhere (status line,
filters, starter questions).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Callable
from typing import Any

import gradio as gr

from qa import SUPPORTED_SUFFIXES, QAError, visible

from .service import ChatApp, Outcome

log = logging.getLogger("ui")

READ_ONLY_NOTE = (
    "This chat is read-only: whoever runs it adds and removes the articles. "
    "Select an article in the table to read it as indexed."
)
PICK_PROMPT = "Select an article in the table to read it as indexed, or to delete it."
PREVIEW_CHARS = 20_000  # a long report is shown in part: the box is for checking how a file was read
HEADERS = ["Title", "Date", "Source", "Passages", "Indexed (UTC)", "ID"]


TOAST_LINES = 8  # lines a toast shows at most: 48 refused files made one 1,800 px tall


def toast(outcome: Outcome) -> None:
    """Show what happened: problems as a warning that stays longer, first (on top), then news."""
    if outcome.problems:
        gr.Warning(toast_lines(outcome.problems), duration=15)
    if outcome.done:
        gr.Info(toast_lines(outcome.done), duration=8)


def toast_lines(lines: list[str]) -> str:
    """Lines for a toast, which Gradio shows as (sanitised) HTML: each line escaped (a file
    named "<b>x</b>.txt" is shown as named), on a line of its own ("\\n" ran them together),
    at most `TOAST_LINES` of them.

    Example:
        >>> toast_lines(["Not added: <b>.txt: empty", "Added a.txt."])
        'Not added: &lt;b&gt;.txt: empty<br>Added a.txt.'
        >>> toast_lines([f"Not added: {n}.txt: empty" for n in range(10)]).split("<br>")[-2:]
        ['Not added: 6.txt: empty', '… and 3 more']
    """
    shown = (
        lines
        if len(lines) <= TOAST_LINES
        else [*lines[: TOAST_LINES - 1], f"… and {len(lines) - TOAST_LINES + 1} more"]
    )
    return "<br>".join(html.escape(line) for line in shown)


class ArticlesTab:
    """Builds the Articles tab and handles its events."""

    def __init__(self, app: ChatApp) -> None:
        self.app = app

    def build(self) -> None:
        editable = not self.app.read_only
        if not editable:  # (`qa serve --read-only`: the controls are neither shown nor wired)
            gr.Markdown(READ_ONLY_NOTE, elem_id="read-only")
        with gr.Row(elem_id="articles-tools"):
            self.search = gr.Textbox(label="Search titles", elem_id="article-search", scale=3)
            self.rebuild = gr.Button("Rebuild index", elem_id="rebuild", scale=1, min_width=140, visible=editable)
        # A rebuild embeds every passage again (minutes to hours): asked for, not clicked by mistake.
        with gr.Column(visible=False, elem_id="rebuild-confirm") as self.rebuild_row:
            self.rebuild_question = gr.Markdown(elem_id="rebuild-question")
            with gr.Row():
                self.rebuild_yes = gr.Button("Yes, rebuild", variant="primary", elem_id="confirm-rebuild", scale=0)
                self.rebuild_no = gr.Button("Cancel", elem_id="cancel-rebuild", scale=0)
        self.table = gr.Dataframe(
            headers=HEADERS,
            datatype=["str", "str", "str", "number", "str", "str"],
            interactive=False,
            wrap=True,
            elem_id="articles-table",
            label="Articles",  # a screen reader's name for the table ("Dataframe")
            show_label=False,
            column_widths=["32%", "11%", "12%", "10%", "16%", "19%"],
            max_height=480,
        )
        with gr.Row(elem_id="articles-actions", visible=editable):
            with gr.Column():
                # No `file_types`: Gradio refused other types in the browser with its own red
                # "Error", beside this tab's "Not added: …" for every other problem. The file
                # picker still offers only articles (ui/client.js sets its `accept`).
                self.upload = gr.File(
                    label=f"Add articles ({', '.join(SUPPORTED_SUFFIXES)})",
                    file_count="multiple",
                    elem_id="upload",
                    height=140,
                )
                # The toasts fade; what the last upload did stays here to be read again.
                self.upload_result = gr.HTML("", elem_id="upload-result")
            with gr.Column():
                self.selected = gr.State("")
                self.confirmed = gr.State("")  # what the file a confirmation names held (`file_holds`)
                self.picked = gr.Markdown(PICK_PROMPT, elem_id="picked")
                self.delete = gr.Button("Delete article", variant="stop", elem_id="delete", interactive=False)
                with gr.Row(visible=False) as self.confirm_row:
                    self.confirm = gr.Button("Yes, delete it", variant="stop", elem_id="confirm-delete")
                    self.cancel = gr.Button("Cancel", elem_id="cancel-delete")
        self.preview = gr.Textbox(
            label="Text as indexed", lines=8, max_lines=20, interactive=False, visible=False, elem_id="article-preview"
        )

    def wire(
        self, on_change: Callable[[], tuple[Any, ...]], changed: list[Any], status: Any, catch_up: gr.Timer
    ) -> None:
        """Attach the events; `on_change()` gives new values for the `changed` components, and
        the progress of builds shows over `status` (the line above the tabs). `catch_up`, the
        page's timer that also writes `status`, is paused while a build of this page runs: each
        tick took the build's progress off the line."""
        self.on_change = on_change
        private: dict[str, Any] = {"api_visibility": "private"}
        cleared = [self.confirm_row, self.selected, self.picked, self.delete, self.preview]
        self.search.change(
            self.search_titles, [self.search, self.selected], [self.table, *cleared], queue=False, **private
        )
        picked = [self.selected, self.picked, self.delete, self.preview, self.confirm_row]
        self.table.select(self.pick, None, picked, **private)
        if not self.app.read_only:
            self._wire_changes([self.table, *changed], status, catch_up)

    def _wire_changes(self, listing: list[Any], status: Any, catch_up: gr.Timer) -> None:
        """Upload, delete and rebuild: the events that change the articles."""
        private: dict[str, Any] = {"api_visibility": "private"}

        def pause(event: Any) -> Any:
            return event(lambda: gr.Timer(active=False), None, catch_up, queue=False, **private)

        def resume(event: Any) -> None:
            event.then(lambda: gr.Timer(active=True), None, catch_up, queue=False, **private)

        # Progress shows in the upload box and over the status line, seen from either tab. By
        # default Gradio draws it over every output: the chat (its starter questions are an
        # output) and the table went blank for the whole build.
        # The box takes no files while its upload indexes (`add` opens it again): files picked
        # meanwhile were listed in it, then cleared with the finished upload's, neither added nor named.
        uploaded = (
            pause(self.upload.upload)
            .then(lambda: gr.update(interactive=False), None, self.upload, queue=False, **private)
            .then(
                self.add,
                [self.upload, self.search],
                [*listing, self.upload, self.upload_result],
                show_progress_on=[self.upload, status],
                **private,
            )
        )
        resume(uploaded)
        self.delete.click(
            self.ask_confirmation,
            self.selected,
            [self.confirm_row, self.picked, self.confirm, self.confirmed, self.delete],
            **private,
        )
        cleared = [self.confirm_row, self.selected, self.picked, self.delete, self.preview]
        self.cancel.click(self.keep_selection, self.selected, cleared, queue=False, **private)
        resume(
            pause(self.confirm.click).then(
                self.remove,
                [self.selected, self.confirmed, self.search],
                [*listing, *cleared],
                show_progress_on=status,
                **private,
            )
        )
        self.rebuild.click(self.ask_rebuild, None, [self.rebuild_row, self.rebuild_question], queue=False, **private)
        self.rebuild_no.click(lambda: gr.update(visible=False), None, self.rebuild_row, queue=False, **private)
        # The button is off while this page's rebuild runs: clicked again, it queued a second
        # full rebuild behind the first.
        self.rebuild_yes.click(
            lambda: (gr.update(visible=False), gr.update(interactive=False)),
            None,
            [self.rebuild_row, self.rebuild],
            queue=False,
            **private,
        )
        rebuilt = pause(self.rebuild_yes.click).then(
            self.rebuild_all, self.search, listing, show_progress_on=status, **private
        )
        resume(rebuilt)
        rebuilt.then(lambda: gr.update(interactive=True), None, self.rebuild, queue=False, **private)

    def table_for(self, search: str = "") -> dict[str, Any]:
        """The table's rows for `search`; a label says when not all of them fit."""
        try:
            rows, matching = self.app.article_rows(search)
        except QAError:  # no usable index: `on_change` puts the reason in the status line
            rows, matching = [], 0
        if not rows and search.strip():  # a header row alone read as a broken table
            return gr.update(value=rows, label=f"No article title contains {search.strip()!r}", show_label=True)
        if matching <= len(rows):  # (the label is the table's name to a screen reader: not a stale one)
            return gr.update(value=rows, label="Articles", show_label=False)
        which = "matching articles" if search.strip() else "articles"
        label = f"The newest {len(rows):,} of {matching:,} {which}: search titles to find the others"
        return gr.update(value=rows, label=label, show_label=True)

    def search_titles(self, search: str, selected: str) -> tuple[Any, ...]:
        """The table for `search`; a selected article it no longer lists is let go ("Selected: …",
        its text and Delete stayed beside "No article title contains 'zzz'")."""
        table = self.table_for(search)
        if not selected or any(row[5] == selected for row in table["value"]):
            return (table, *(gr.skip(),) * 5)
        return (table, *self.clear_selection())

    def refresh(self, search: str = "") -> tuple[Any, ...]:
        """The table for `search`, then the values of the components that depend on the articles."""
        return (self.table_for(search), *self.on_change())

    def add(self, files: list[Any] | None, search: str, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        """Upload: copy the files into the articles folder and index them."""

        def report(done: int, total: int) -> None:
            progress((done, total), desc="Embedding new articles", unit="passages")

        # Said at once: until the first passage is embedded (a long file is read and split first,
        # seconds), Gradio showed its estimate from earlier uploads ("2.0/0.4s" at 57 s).
        progress(0.0, desc="Reading the new files")
        try:
            outcome = self.app.add_files(files or [], on_progress=report, on_wait=_waiting(progress))
        except QAError as exc:
            outcome = Outcome(problems=[f"Not added: {exc}"])
        except OSError as exc:  # a full disk: said, and the box takes files again (it stayed disabled)
            outcome = Outcome(problems=[f"Not added: {exc.strerror or exc}"])
        except Exception:  # a bug: logged, and the box is not left disabled (Gradio runs no later step)
            log.exception("Adding %s failed", files)
            outcome = Outcome(problems=["Not added: an unexpected error (the server's log has its details)."])
        toast(outcome)
        # Each list cut on its own, as the toasts are: eight refused files hid "Added …" here.
        lines = "<br>".join(part for part in (toast_lines(outcome.problems), toast_lines(outcome.done)) if part)
        when = f"{dt.datetime.now(dt.UTC):%H:%M} UTC"
        result = f'<p class="qa-muted">Last upload, {when}:<br>{lines}</p>' if lines else ""
        return (*self.refresh(search), gr.update(value=None, interactive=True), result)

    def pick(self, evt: gr.SelectData) -> tuple[Any, ...]:
        """A row clicked: remember its article id, show its text as indexed, offer to delete it
        (and close any confirmation asked for another row: "Yes, delete it" must only ever
        delete the article it asked about)."""
        row = evt.row_value or []
        closed = gr.update(visible=False)
        if len(row) < len(HEADERS):
            return "", PICK_PROMPT, gr.update(interactive=False), _no_preview(), closed
        try:
            text = self.app.index().article_text(row[5])
        except QAError:
            text = None
        if text is None:
            preview = _no_preview()
        else:
            more = len(text) - PREVIEW_CHARS
            # (a bidi override turned the text after it around here too: shown as in the chat)
            shown = visible(text if more <= 0 else f"{text[:PREVIEW_CHARS]}\n\n[… {more:,} more characters]")
            preview = gr.update(visible=True, value=shown, label=f"Text as indexed: {row[0]}")
        return row[5], _selected(row[0], row[5]), gr.update(interactive=True), preview, closed

    def keep_selection(self, article_id: str) -> tuple[Any, ...]:
        """Cancel: hide the confirmation; the article stays selected, its text shown (Cancel
        forgot both, and the article had to be found in the table again)."""
        info = self.app.index().article(article_id) if article_id else None
        if info is None:  # deleted meanwhile (another tab, `qa index`)
            return self.clear_selection()
        title = _selected(info.source.title, article_id)
        return gr.update(visible=False), article_id, title, gr.update(interactive=True), gr.skip()

    def ask_confirmation(self, article_id: str) -> tuple[Any, ...]:
        """Show what would be deleted, and the Yes / Cancel buttons; Delete is off meanwhile (two
        red delete buttons, one above the other, asked which one to press)."""
        info = self.app.index().article(article_id) if article_id else None
        off = gr.update(interactive=False)
        if info is None:
            gone = "That article is no longer in the index." if article_id else PICK_PROMPT
            return gr.update(visible=False), gone, gr.skip(), "", off
        together, holds = self.app.file_holds(info.source.path)
        others = (
            f" It holds {together} articles, all of which go with it; to remove only this one, edit the file."
            if together > 1
            else ""
        )
        return (
            gr.update(visible=True),
            f"Delete **{_md(info.source.title)}**? This removes the file `{_code(info.source.path)}` "
            f"from the articles folder and from the index.{others}",
            f"Yes, delete all {together}" if together > 1 else "Yes, delete it",
            holds,
            off,
        )

    @staticmethod
    def clear_selection() -> tuple[Any, ...]:
        """Hide the confirmation and the text, and forget the selection."""
        return (
            gr.update(visible=False),
            "",
            PICK_PROMPT,
            gr.update(interactive=False),
            _no_preview(),
        )

    def remove(
        self, article_id: str, confirmed: str, search: str, progress: gr.Progress = gr.Progress()
    ) -> tuple[Any, ...]:
        """Delete the confirmed article (`confirmed`: what its file held when the confirmation
        named it); the confirmation clears."""
        progress(0.0, desc="Deleting the article and updating the index")  # not an estimate from earlier ones
        try:
            outcome = self.app.delete_article(article_id, on_wait=_waiting(progress), confirmed=confirmed or None)
        except QAError as exc:
            outcome = Outcome(problems=[str(exc)])
        toast(outcome)
        return (*self.refresh(search), *self.clear_selection())

    def ask_rebuild(self) -> tuple[Any, ...]:
        """Say what a rebuild does and how much it redoes, with Yes / Cancel."""
        try:
            passages = f"all {self.app.index().counts.passages:,} passages are embedded again; answers keep "
            passages += "coming from the current index until the new one is ready"
        except QAError:  # no usable index: a rebuild is the fix (it said "every passage are", "the current index")
            passages = "its passages are embedded; the chat answers once the index is ready"
        question = (
            f"Rebuild the index from the articles folder? Every article is read and {passages}. (Uploads and "
            "deletions here update the index by themselves.)"
        )
        return gr.update(visible=True), question

    def rebuild_all(self, search: str, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        """Rebuild the whole index."""
        progress(0.0, desc="Reading every article")  # not an estimate from earlier rebuilds
        try:
            outcome = self.app.rebuild(
                lambda d, t: progress((d, t), desc="Embedding", unit="passages"), on_wait=_waiting(progress)
            )
        except QAError as exc:
            outcome = Outcome(problems=[str(exc)])
        toast(outcome)
        return self.refresh(search)


def _waiting(progress: gr.Progress) -> Callable[[], None]:
    """What the page shows while a build waits for another one (this server's, or another program's)."""
    words = "Waiting for the build already running (a rebuild, an upload or qa index) to finish"
    return lambda: progress(0.0, desc=words)


def _selected(title: str, article_id: str) -> str:
    """The line naming the article selected in the table."""
    return f"Selected: **{_md(title)}** (`{_code(article_id)}`)"


def _no_preview() -> dict[str, Any]:
    """The text box hidden and emptied."""
    return gr.update(visible=False, value="")


def _md(text: str) -> str:
    """Article text for gr.Markdown: Markdown punctuation backslash-escaped, then HTML escaped.
    An address in it is not made a link (a word joiner after its "://"): linked, the escapes
    went into the link and the line ("https://status\\.example\\.com")."""
    text = text.replace("://", ":\u2060//")
    return html.escape(re.sub(r"([\\`*_{}\[\]()#+\-.!|~])", r"\\\1", text), quote=True)


def _code(text: str) -> str:
    """Text for an inline `code` span: no backticks can close it early. Not HTML-escaped:
    the Markdown renderer escapes a code span itself ("Trump's" showed as "Trump&#x27;s").

    Example:
        >>> _code("a`b & c's.txt")
        "a'b & c's.txt"
    """
    return text.replace("`", "'")
