"""The browser app: chat with cited answers, the sources beside them, and the articles.

It uses only the public `qa` API. Every piece of article text shown in the page is
escaped here (`html.escape`): gr.HTML does not sanitise, and the Chatbot renders HTML
(sanitised, but not escaped), so an article containing `<script>` must arrive as text.
"""

from __future__ import annotations

import os

# Offline and private by default: no analytics, no telemetry, no hub lookups.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import html
import re
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from qa import (
    SUPPORTED_SUFFIXES,
    Answer,
    BuildReport,
    Filters,
    Index,
    QAError,
    Settings,
    answer,
    build_index,
    open_index,
    read_file,
)

EXAMPLES = ["What tariffs did Trudeau impose?", "How did China respond?", "Why is Carney visiting China?"]
STREAM_PAUSE = 0.04  # seconds between streamed sentences: enough to read as streaming
CSS_FILE = Path(__file__).with_name("style.css")


class ChatApp:
    """The app's state: settings, the articles folder, and one build at a time."""

    def __init__(self, settings: Settings, max_upload_mb: float | None = None) -> None:
        self.settings = settings
        self.max_upload_bytes = int((max_upload_mb or settings.max_file_mb) * 1024 * 1024)
        self._build_lock = threading.Lock()

    @property
    def articles_dir(self) -> Path:
        return Path(self.settings.articles_dir)

    def index(self) -> Index:
        return open_index(self.settings.index_dir, self.settings)

    def ensure_index(self) -> str:
        """Index new or changed articles (all of them the first time); return a summary."""
        with self._build_lock:
            report = build_index(self.settings, progress=True, wait=300)
        return build_summary(report)

    # -- asking ----------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        history: list[str] | None = None,
        max_sentences: int = 3,
        mode: str = "hybrid",
        since: str = "",
        until: str = "",
        sources: list[str] | None = None,
        recent: bool = False,
    ) -> Answer:
        filters = Filters(
            since=_date(since, "From"),
            until=_date(until, "To"),
            sources=tuple(sources or ()),
            prefer_recent=bool(recent),
        )
        return answer(
            question,
            history=history or None,
            filters=filters,
            index=self.index(),
            max_sentences=int(max_sentences),
            mode="dense" if mode == "dense" else "bm25" if mode == "bm25" else "hybrid",
        )

    # -- articles ----------------------------------------------------------------------------

    def article_rows(self, search: str = "") -> list[list[Any]]:
        needle = search.strip().lower()
        return [
            [
                a.source.title,
                a.source.date or "",
                a.source.publisher or "",
                a.passages,
                a.indexed_at.replace("T", " ")[:16],
                a.source.article_id,
            ]
            for a in self.index().articles()
            if not needle or needle in a.source.title.lower()
        ]

    def add_files(self, paths: list[str], on_progress: Any = None) -> str:
        """Copy uploaded files into the articles folder (safely) and index them."""
        added, problems = [], []
        for path in paths or []:
            original = Path(str(getattr(path, "orig_name", None) or path)).name
            source = Path(str(path))
            message = self._check_upload(source, original)
            if message:
                problems.append(f"{original}: {message}")
                continue
            target = self._free_name(safe_filename(original), source)
            if target is None:
                problems.append(f"{original}: the same file is already in the articles folder")
                continue
            shutil.copyfile(source, target)
            added.append(target.name)
        lines = []
        if added:
            with self._build_lock:
                report = build_index(self.settings, progress=False, wait=300, on_progress=on_progress)
            lines.append(
                f"Added {', '.join(added)}. The index now holds {report.counts.articles} articles "
                f"({len(report.added)} new, {len(report.updated)} updated; {report.seconds:.1f} s)."
            )
        lines.extend(f"Not added: {p}" for p in problems)
        return "\n\n".join(lines) or "No file was uploaded."

    def _check_upload(self, source: Path, original: str) -> str | None:
        if Path(original).suffix.lower() not in SUPPORTED_SUFFIXES:
            return f"unsupported file type; allowed: {', '.join(SUPPORTED_SUFFIXES)}"
        size = source.stat().st_size
        if size > self.max_upload_bytes:
            return f"{size / 1048576:.1f} MB is over the {self.max_upload_bytes / 1048576:g} MB upload limit"
        result = read_file(source, original, self.max_upload_bytes)
        if not result.articles:
            return "; ".join(s.reason for s in result.skipped) or "no article found in the file"
        return None

    def _free_name(self, name: str, source: Path) -> Path | None:
        """A path in the articles folder that overwrites nothing (None: identical file exists)."""
        self.articles_dir.mkdir(parents=True, exist_ok=True)
        stem, suffix = Path(name).stem, Path(name).suffix
        candidate, n = self.articles_dir / name, 2
        while candidate.exists():
            if candidate.read_bytes() == source.read_bytes():
                return None
            candidate, n = self.articles_dir / f"{stem}-{n}{suffix}", n + 1
        return candidate

    def delete_article(self, article_id: str) -> str:
        """Delete the file holding `article_id` from the folder and the index."""
        info = self.index().article(article_id)
        if info is None:
            return f"No article {article_id!r} in the index."
        path = (self.articles_dir / info.source.path).resolve()
        if self.articles_dir.resolve() not in path.parents:
            return f"Refusing to delete {info.source.path}: it is outside the articles folder."
        if path.exists():
            path.unlink()
        with self._build_lock:
            report = build_index(self.settings, progress=False, wait=300)
        gone = len(report.removed)
        return f"Deleted {info.source.path} ({gone} article{'s' if gone != 1 else ''} removed from the index)."

    def rebuild(self, on_progress: Any = None) -> str:
        with self._build_lock:
            report = build_index(self.settings, full=True, progress=False, wait=300, on_progress=on_progress)
        return (
            f"Rebuilt the index: {report.counts.articles} articles, {report.counts.passages} passages "
            f"in {report.seconds:.1f} s."
        )

    def status(self) -> str:
        index = self.index()
        c = index.counts
        built = index.built_at.replace("T", " ")[:16]
        articles = f"{c.articles} article{'s' if c.articles != 1 else ''}"
        return f"{articles} · {c.passages} passages · model {html.escape(index.model_name)} · updated {built} UTC"


def build_summary(report: BuildReport) -> str:
    """One line about a build, for the server log."""
    c = report.counts
    return (
        f"Index {report.index_dir}/: {c.articles} articles, {c.passages} passages "
        f"({len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{len(report.skipped)} skipped; {report.seconds:.1f} s)"
    )


# -- rendering (pure functions; everything from articles is escaped) ------------------------------------


def safe_filename(name: str) -> str:
    """A plain file name: no folders, no leading dots, only safe characters.

    Example:
        >>> safe_filename("../../etc/passwd.txt"), safe_filename(".hidden notes.md")
        ('passwd.txt', 'hidden-notes.md')
    """
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:80] or "article"
    return stem + suffix


def _date(value: str | None, label: str) -> str | None:
    import datetime as dt

    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise QAError(f"{label} date {value!r} is not a date; use YYYY-MM-DD.") from None


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def cite_marker(n: int, title: str, date: str | None) -> str:
    tip = _e(f"[{n}] {title}" + (f" ({date})" if date else ""))
    return f'<a class="qa-cite" href="#qa-src-{n}" title="{tip}">[{n}]</a>'


def render_answer(result: Answer, upto: int | None = None) -> str:
    """The chat message for an answer (the first `upto` sentences while streaming)."""
    if not result.found:
        return render_not_found(result)
    shown = result.sentences[:upto] if upto is not None else result.sentences
    body = " ".join(
        f"{_e(s.text)} {cite_marker(s.citation.n, s.citation.source.title, s.citation.source.date)}" for s in shown
    )
    notes = "".join(f'<p class="qa-note">{_e(n)}</p>' for n in result.notices)
    if upto is not None and upto < len(result.sentences):
        return f'<div class="qa-answer">{notes}<p>{body}</p></div>'
    items = "".join(
        f'<li><a href="#qa-src-{c.n}"><b>[{c.n}]</b> {_e(c.source.title)}</a>'
        f'<span class="qa-meta">{_e(" · ".join(x for x in (c.source.date, c.source.publisher or c.source.path) if x))}'
        f"</span></li>"
        for c in result.sources()
    )
    return (
        f'<div class="qa-answer">{notes}<p>{body}</p>'
        f'<div class="qa-sources-inline"><div class="qa-label">Sources</div><ul>{items}</ul></div></div>'
    )


def render_not_found(result: Answer) -> str:
    notes = "".join(f'<p class="qa-note">{_e(n)}</p>' for n in result.notices)
    closest = "".join(
        f"<li><b>{_e(h.source.title)}</b>{_e(' (' + h.source.date + ')') if h.source.date else ''}: "
        f"{_e(_shorten(h.text, 180))}</li>"
        for h in result.hits[:2]
    )
    extra = (
        f'<div class="qa-label">Closest passages — they do not answer the question</div><ul>{closest}</ul>'
        if closest
        else ""
    )
    return (
        f'<div class="qa-notfound">{notes}<p class="qa-notfound-title">{_e(result.text)}</p>'
        f'<p class="qa-muted">Try other words, or add articles that cover it in the Articles tab.</p>'
        f"{extra}</div>"
    )


def _shorten(text: str, width: int) -> str:
    import textwrap

    return textwrap.shorten(text, width, placeholder=" …")


def match_label(score: float) -> str:
    """How a person reads a sentence score."""
    return "strong match" if score >= 0.6 else "good match" if score >= 0.45 else "weak match"


def render_sources(result: Answer | None) -> str:
    """The sources panel: each cited article, its passage, the cited sentence marked."""
    if result is None:
        return (
            '<div class="qa-panel qa-empty">Ask a question: the passages behind each cited sentence '
            "appear here, with the sentence highlighted.</div>"
        )
    if not result.found:
        return (
            '<div class="qa-panel qa-empty">No source: the articles do not answer this question '
            f"(confidence {result.confidence:.0%}).</div>"
        )
    cards = []
    for citation in result.sources():
        source = citation.source
        cited = [s for s in result.sentences if s.citation.n == citation.n]
        passages: dict[tuple[int, int], list[Any]] = {}
        for s in cited:
            passages.setdefault((s.citation.passage_start, s.citation.passage_end), []).append(s)
        blocks = "".join(_marked_passage(group) for group in passages.values())
        best = max(s.score for s in cited)
        meta = " · ".join(_e(x) for x in (source.date, source.publisher, source.path) if x)
        link = (
            f' · <a href="{_e(source.url)}" target="_blank" rel="noopener noreferrer">open</a>'
            if source.url and source.url.startswith(("http://", "https://"))
            else ""
        )
        cards.append(
            f'<div class="qa-source" id="qa-src-{citation.n}"><div class="qa-source-head">'
            f'<span class="qa-num">{citation.n}</span><span class="qa-title">{_e(source.title)}</span></div>'
            f'<div class="qa-meta">{meta}{link}</div>'
            f'<div class="qa-match" title="sentence score {best:.2f}"><span class="qa-bar">'
            f'<span style="width:{max(5, min(100, round(best * 100)))}%"></span></span>'
            f"{_e(match_label(best))}</div>{blocks}</div>"
        )
    header = (
        f'<div class="qa-panel-head">Sources <span class="qa-muted">confidence {result.confidence:.0%}</span></div>'
    )
    return f'<div class="qa-panel">{header}{"".join(cards)}</div>'


def _marked_passage(cited: list[Any], context: int = 220) -> str:
    """The passage with its cited sentences marked; text far from them is elided (…)."""
    c0 = cited[0].citation
    text, offset = c0.passage, c0.passage_start
    spans = sorted((s.citation.start - offset, s.citation.end - offset) for s in cited)
    out, at = [], 0
    for a, b in spans:
        out.append(_elide(text[at:a], keep_start=at > 0, keep_end=True, width=context))
        out.append(f"<mark>{_e(text[a:b])}</mark>")
        at = b
    out.append(_elide(text[at:], keep_start=True, keep_end=False, width=context))
    return f'<p class="qa-passage">{"".join(out)}</p>'


def _elide(gap: str, keep_start: bool, keep_end: bool, width: int) -> str:
    """Escape `gap`, keeping `width` characters on the side(s) that touch a cited sentence."""
    if len(gap) <= width * (keep_start + keep_end):
        return _e(gap)
    head = gap[:width].rsplit(" ", 1)[0] if keep_start else ""
    tail = gap[-width:].split(" ", 1)[-1] if keep_end else ""
    return _e(head) + (" … " if head and tail else " …" if head else "… ") + _e(tail)


# -- the Gradio app ---------------------------------------------------------------------------------------


def build_app(app: ChatApp) -> gr.Blocks:
    """The Blocks app for `app` (launch it with `launch_kwargs()`)."""
    try:
        first_choices = _source_choices(app)
    except QAError:
        first_choices = []
    with gr.Blocks(title="Verbatim — answers you can cite") as demo:
        history = gr.State([])  # search texts of earlier questions, for follow-ups
        gr.HTML(
            '<div class="qa-header"><div class="qa-brand">Verbatim</div>'
            '<div class="qa-tagline">Answers from your news articles — only sentences they contain, '
            "each with its source.</div></div>"
        )
        status = gr.Markdown(elem_id="status")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat", elem_id="tab-chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        elem_id="chatbot",
                        height=520,
                        show_label=False,
                        feedback_options=None,
                        buttons=["copy"],
                        placeholder="Ask about the articles. Every sentence of the answer "
                        "is quoted from them, with its source.",
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            elem_id="q",
                            show_label=False,
                            scale=6,
                            lines=1,
                            max_lines=4,
                            placeholder="Ask a question, e.g. What tariffs did Trudeau impose?",
                            submit_btn=False,
                            stop_btn=False,
                        )
                        send = gr.Button("Ask", variant="primary", elem_id="send", scale=1, min_width=80)
                        new_chat = gr.Button("New chat", elem_id="new-chat", scale=1, min_width=110)
                    gr.Examples(EXAMPLES, inputs=question, label="Try")
                    with gr.Accordion("Options", open=False, elem_id="options"):
                        with gr.Row():
                            sentences = gr.Slider(
                                1, 5, value=3, step=1, label="Cited sentences (at most)", elem_id="opt-sentences"
                            )
                            mode = gr.Radio(
                                ["hybrid", "dense", "bm25"], value="hybrid", label="Retrieval", elem_id="opt-mode"
                            )
                        with gr.Row():
                            since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="opt-since")
                            until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="opt-until")
                            recent = gr.Checkbox(label="Prefer newer articles", elem_id="opt-recent")
                        sources = gr.Dropdown(
                            choices=first_choices, multiselect=True, label="Only these sources", elem_id="opt-sources"
                        )
                with gr.Column(scale=2):
                    panel = gr.HTML(render_sources(None), elem_id="sources")
            with gr.Tab("Articles", id="articles", elem_id="tab-articles"):
                with gr.Row():
                    search = gr.Textbox(label="Search titles", elem_id="article-search", scale=3)
                    rebuild = gr.Button("Rebuild index", elem_id="rebuild", scale=1)
                table = gr.Dataframe(
                    headers=["Title", "Date", "Source", "Passages", "Indexed (UTC)", "ID"],
                    datatype=["str", "str", "str", "number", "str", "str"],
                    interactive=False,
                    wrap=True,
                    elem_id="articles-table",
                    column_widths=["44%", "11%", "13%", "8%", "13%", "11%"],
                )
                with gr.Row():
                    with gr.Column():
                        upload = gr.File(
                            label=f"Add articles ({', '.join(SUPPORTED_SUFFIXES)})",
                            file_count="multiple",
                            file_types=list(SUPPORTED_SUFFIXES),
                            elem_id="upload",
                        )
                    with gr.Column():
                        selected = gr.State("")
                        picked = gr.Markdown("Select an article in the table to delete it.", elem_id="picked")
                        delete = gr.Button("Delete article", variant="stop", elem_id="delete", interactive=False)
                        with gr.Row(visible=False) as confirm_row:
                            confirm = gr.Button("Yes, delete it", variant="stop", elem_id="confirm-delete")
                            cancel = gr.Button("Cancel", elem_id="cancel-delete")
                result = gr.Markdown(elem_id="articles-result")

        # -- chat ---------------------------------------------------------------------------------------
        def respond(
            message: str,
            chat: list,
            past: list[str],
            n: float,
            how: str,
            start: str,
            end: str,
            only: list[str],
            newer: bool,
        ) -> Iterator[tuple]:
            text = (message or "").strip()
            if not text:
                raise gr.Error("Please type a question.", duration=4)
            chat = [
                *chat,
                {"role": "user", "content": _e(text)},
                {"role": "assistant", "content": '<div class="qa-pending">Searching the articles…</div>'},
            ]
            yield "", chat, past, gr.update()
            try:
                result = app.ask(text, past, int(n), how, start, end, only, newer)
            except QAError as exc:
                chat[-1] = {"role": "assistant", "content": f'<div class="qa-error">{_e(exc)}</div>'}
                yield "", chat, past, gr.update()
                return
            past = [*past, result.search_text or text]
            if result.found:
                for upto in range(1, len(result.sentences)):
                    chat[-1] = {"role": "assistant", "content": render_answer(result, upto)}
                    yield "", chat, past, gr.update()
                    time.sleep(STREAM_PAUSE)
            chat[-1] = {"role": "assistant", "content": render_answer(result)}
            yield "", chat, past, render_sources(result)

        inputs = [question, chatbot, history, sentences, mode, since, until, sources, recent]
        gr.on(
            [question.submit, send.click],
            respond,
            inputs,
            [question, chatbot, history, panel],
            api_visibility="private",
            concurrency_limit=None,
        )
        new_chat.click(
            lambda: ([], [], render_sources(None), ""),
            None,
            [chatbot, history, panel, question],
            api_visibility="private",
            queue=False,
        )
        chatbot.clear(lambda: ([], render_sources(None)), None, [history, panel], api_visibility="private")

        # -- API: the answer as JSON-able data -------------------------------------------------------
        def ask(
            question: str,
            history: list[str] | None = None,
            max_sentences: int = 3,
            mode: str = "hybrid",
            since: str = "",
            until: str = "",
            sources: list[str] | None = None,
        ) -> dict:
            """Answer a question with cited sentences; returns the answer, citations and sources."""
            try:
                result = app.ask(question, history, max_sentences, mode, since, until, sources)
            except QAError as exc:
                return {
                    "question": question,
                    "found": False,
                    "error": str(exc),
                    "answer": "",
                    "sentences": [],
                    "citations": [],
                    "sources": [],
                    "confidence": 0.0,
                }
            data = result.to_dict()
            data["sources"] = [
                {
                    "n": c.n,
                    "article_id": c.source.article_id,
                    "title": c.source.title,
                    "date": c.source.date,
                    "source": c.source.publisher,
                    "url": c.source.url,
                }
                for c in result.sources()
            ]
            return data

        gr.api(ask, api_name="ask", concurrency_limit=None)

        # -- articles ------------------------------------------------------------------------------------
        def refresh(text: str = "") -> tuple:
            return app.article_rows(text), app.status(), gr.update(choices=_source_choices(app))

        def on_upload(files: list[str] | None, text: str, progress: gr.Progress = gr.Progress()) -> tuple:
            def report(done: int, total: int) -> None:
                progress((done, total), desc="Embedding new articles", unit="passages")

            try:
                message = app.add_files(files or [], on_progress=report)
            except QAError as exc:
                message = f"Not added: {exc}"
            return (*refresh(text), message, None)

        def on_select(evt: gr.SelectData) -> tuple:
            row = evt.row_value or []
            if len(row) < 6:
                return "", "Select an article in the table to delete it.", gr.update(interactive=False)
            return (row[5], f"Selected: **{_e(row[0])}** (`{_e(row[5])}`)", gr.update(interactive=True))

        def ask_confirm(article_id: str) -> tuple:
            if not article_id:
                return gr.update(visible=False), "Select an article first."
            info = app.index().article(article_id)
            if info is None:
                return gr.update(visible=False), "That article is no longer in the index."
            return (
                gr.update(visible=True),
                f"Delete **{_e(info.source.title)}**? This removes the file "
                f"`{_e(info.source.path)}` from the articles folder and from the index.",
            )

        def on_delete(article_id: str, text: str) -> tuple:
            try:
                message = app.delete_article(article_id)
            except QAError as exc:
                message = str(exc)
            return (*refresh(text), message, gr.update(visible=False), "", gr.update(interactive=False))

        def on_rebuild(text: str, progress: gr.Progress = gr.Progress()) -> tuple:
            try:
                message = app.rebuild(lambda d, t: progress((d, t), desc="Embedding", unit="passages"))
            except QAError as exc:
                message = str(exc)
            return (*refresh(text), message)

        listing = [table, status, sources]
        demo.load(refresh, None, listing, api_visibility="private")
        search.change(lambda t: app.article_rows(t), search, table, api_visibility="private", queue=False)
        upload.upload(on_upload, [upload, search], [*listing, result, upload], api_visibility="private")
        table.select(on_select, None, [selected, picked, delete], api_visibility="private")
        delete.click(ask_confirm, selected, [confirm_row, picked], api_visibility="private")
        cancel.click(
            lambda: (gr.update(visible=False), "Not deleted."), None, [confirm_row, picked], api_visibility="private"
        )
        confirm.click(
            on_delete, [selected, search], [*listing, result, confirm_row, selected, delete], api_visibility="private"
        )
        rebuild.click(on_rebuild, search, [*listing, result], api_visibility="private")
    demo.queue(default_concurrency_limit=8)
    return demo


def _source_choices(app: ChatApp) -> list[tuple[str, str]]:
    index = app.index()
    named = [(s, s) for s in index.publishers()]
    files = [(f"{a.source.title[:50]} ({a.source.article_id})", a.source.article_id) for a in index.articles()]
    return named + files


def launch_kwargs() -> dict[str, Any]:
    fonts = [
        "ui-sans-serif",
        "system-ui",
        "-apple-system",
        "Segoe UI",
        "Roboto",
        "Helvetica Neue",
        "Arial",
        "sans-serif",
    ]
    theme = gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        font=fonts,
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )
    return {"theme": theme, "css": CSS_FILE.read_text(), "footer_links": [], "show_error": True}


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'user:password' -> (user, password); None when not set."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise QAError("--auth / QA_AUTH must look like USER:PASSWORD.")
    return user, password


def exposure_warning(host: str, credentials: tuple[str, str] | None) -> str | None:
    """A warning when the app is reachable from other machines without a login."""
    if host in ("127.0.0.1", "localhost", "::1") or credentials is not None:
        return None
    return (
        f"warning: serving on {host} without --auth: anyone who can reach this machine can read the "
        "articles and upload or delete them. Pass --auth USER:PASS (or set QA_AUTH)."
    )


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | None = None,
    max_upload_mb: float | None = None,
) -> None:
    """`qa serve`: index what is missing or stale, then serve the chat until Ctrl-C."""
    credentials = parse_auth(auth)
    warning = exposure_warning(host, credentials)
    if warning:
        print(warning, file=sys.stderr)
    app = ChatApp(settings, max_upload_mb)
    print(app.ensure_index(), file=sys.stderr)
    app.index().encoder.encode_queries(["warm up"])  # load the model before the first visitor
    demo = build_app(app)
    print(f"Chat ready on http://{host}:{port}", file=sys.stderr)
    demo.launch(
        server_name=host,
        server_port=port,
        auth=credentials,
        max_file_size=app.max_upload_bytes,
        quiet=True,
        **launch_kwargs(),
    )
