"""The browser app: chat with cited answers, the sources beside them, and the articles.

It uses only the public `qa` API. The pieces:

- ui/service.py: `ChatApp`, what the app does (ask, upload, delete, feedback), no Gradio;
- ui/render.py: the HTML of answers and sources (all article text escaped);
- ui/chat.py: the Chat tab and the conversations sidebar (kept in the browser);
- ui/articles.py: the Articles tab;
- ui/auth.py: the login and its throttle;
- ui/client.js, ui/style.css: the page's behaviour and look.

This module assembles them (`build_app`) and serves them (`serve`, i.e. `qa serve`).
"""

from __future__ import annotations

import os

# Offline and private by default: no analytics, no telemetry, no hub lookups.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import errno
import json
import logging
import shlex
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from qa import (
    SUPPORTED_SUFFIXES,
    Index,
    IndexLockedError,
    IndexNotFoundError,
    NoArticlesError,
    QAError,
    Settings,
    counted,
    follow_index,
    refused_dict,
)

from .articles import ArticlesTab
from .auth import access_options, exposure_warning, parse_auth
from .chat import LOADED_JS, PAGE_SETTINGS, ChatTab
from .render import render_not_found
from .service import QUESTION_LIMIT, ChatApp, build_summary, safe_filename

__all__ = [
    "ChatApp",
    "build_app",
    "build_summary",
    "exposure_warning",
    "launch_kwargs",
    "parse_auth",
    "render_not_found",
    "safe_filename",
    "serve",
]

log = logging.getLogger("ui")

CSS_FILE = Path(__file__).with_name("style.css")
JS_FILE = Path(__file__).with_name("client.js")
TITLE = "Verbatim — answers you can cite"
CATCH_UP_SECONDS = 5  # how soon a page shows articles another tab added or deleted
UPLOAD_CACHE_SECONDS = 3600  # uploads older than this leave Gradio's cache (checked as often)


def build_app(app: ChatApp) -> gr.Blocks:
    """The Blocks app for `app` (launch it with `launch_kwargs()`)."""
    chat, articles = ChatTab(app), ArticlesTab(app)
    # Uploads wait in Gradio's cache until deleted: refused ones stayed there for good (60 MB of
    # three refused .bin files). An upload is copied into the articles folder as it is handled.
    with gr.Blocks(title=TITLE, delete_cache=(UPLOAD_CACHE_SECONDS, UPLOAD_CACHE_SECONDS)) as demo:
        chat.build_sidebar()
        gr.HTML(
            '<div class="qa-header"><h1 class="qa-brand">Verbatim</h1>'
            '<div class="qa-tagline">Answers from your news articles — only sentences they contain, '
            "each with its source.</div></div>"
        )
        status = gr.Markdown(elem_id="status")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Chat", id="chat", elem_id="tab-chat"):
                chat.build()
            with gr.Tab("Articles", id="articles", elem_id="tab-articles"):
                articles.build()
        chat.wire()
        index_views = [status, chat.options.publishers, chat.options.articles, chat.chatbot]

        def index_changed() -> tuple[Any, ...]:
            return index_view_values(app)

        catch_up_timer = gr.Timer(CATCH_UP_SECONDS)
        articles.wire(index_changed, index_views, status, catch_up_timer)
        shown = gr.State("")  # the build this page's status, filters and table show
        demo.load(
            lambda store: (app.generation(), *articles.refresh(), *chat.restore(store)),
            chat.store,
            [shown, articles.table, *index_views, chat.chatbot, chat.panel, chat.chats, chat.undo_delete],
            api_visibility="private",
        ).then(None, js=LOADED_JS)

        def catch_up(seen: str, search: str | None) -> tuple[Any, ...]:
            """Another tab (or `qa index`) changed the articles: show them, not the old ones."""
            now = app.generation()
            if now == seen:
                return (gr.skip(),) * (2 + len(index_views))
            return (now, *articles.refresh(search or ""))

        # An upload or deletion in one tab left the others showing the old count, starter
        # questions for a deleted article and the filter offering it.
        catch_up_timer.tick(
            catch_up,
            [shown, articles.search],
            [shown, articles.table, *index_views],
            show_progress="hidden",
            api_visibility="private",
        )
        gr.api(api_endpoint(app), api_name="ask", concurrency_limit=None)
    demo.queue(default_concurrency_limit=8)
    return demo


def index_view_values(app: ChatApp) -> tuple[Any, ...]:
    """Values for what depends on the indexed articles: status, filters, starter questions."""
    try:
        publishers, articles = app.filter_choices()
        starters = app.starters()
        status = app.status()
    except IndexNotFoundError as exc:  # expected before the first upload: no "problem"
        return f"**No index yet:** {exc}", gr.update(), gr.update(), gr.update()
    except QAError as exc:
        return f"**Index problem:** {exc}", gr.update(), gr.update(), gr.update()
    return (
        status,
        gr.update(
            choices=publishers,
            # An empty list with no reason reads as broken; say where a publisher comes from.
            info=""  # None would leave an earlier note in place
            if publishers
            else (
                "No article names its publisher: a Source: header line, a JSON record's "
                "source field or a web page's site name does."
            ),
        ),
        gr.update(choices=articles),
        gr.update(examples=[{"text": q} for q in starters]),
    )


def api_endpoint(app: ChatApp) -> Any:
    """The `/ask` API function (its signature and docstring are the API's)."""

    def ask(
        question: str,
        history: list[str | dict] | None = None,
        max_sentences: int = 3,
        mode: str = "hybrid",
        since: str = "",
        until: str = "",
        sources: list[str] | None = None,
    ) -> dict:
        """Answer a question with cited sentences; returns the answer, citations and sources.
        `history`: the earlier questions, or better the earlier results of /ask (then a
        follow-up does not cite the same sentences again), oldest first."""
        try:
            reply = app.ask(question, history, max_sentences, mode, since, until, sources)
        except QAError as exc:
            return api_error(question, str(exc))
        except Exception:  # a bug: log it with its traceback, and answer the client in JSON anyway
            log.exception("/ask failed for %r", question)
            return api_error(question, "Internal error while answering; the server log has the details.")
        data = reply.answer.to_dict()
        data["sources"] = [
            {"n": c.n, **c.source.to_dict(), "pages": reply.answer.pages(c.n)} for c in reply.answer.sources()
        ]
        return data

    return ask


def api_error(question: Any, message: str) -> dict[str, Any]:
    """The `/ask` reply for a question that cannot be answered: `error` says why."""
    # A lone surrogate cannot be encoded as JSON text: echo the question with it replaced; one
    # refused for its length, only its beginning.
    text = question[:QUESTION_LIMIT].encode("utf-8", "replace").decode("utf-8") if isinstance(question, str) else ""
    return refused_dict(text, message) | {"sources": []}


def launch_kwargs() -> dict[str, Any]:
    """Theme, CSS and the page script for `demo.launch` (Gradio 6 takes them there)."""
    fonts = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial"]
    theme = gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        font=[*fonts, "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    ).set(
        # White on the theme's indigo-500 is 4.46:1 (axe-core, 2026-12-03), under WCAG AA's
        # 4.5, and its lighter hover worse: primary buttons, dark-theme buttons under the
        # pointer and the checked retrieval mode take indigo-600 (6.3:1) or darker.
        button_primary_background_fill="*primary_600",
        button_primary_background_fill_hover="*primary_700",
        button_primary_background_fill_hover_dark="*primary_700",
        button_secondary_background_fill_hover_dark="*primary_600",
        checkbox_label_background_fill_selected="*primary_600",
        # Field labels: indigo-500 on their indigo-100 chip is 3.6:1; indigo-700 is 7:1. Set in the
        # theme, not ui/style.css, because Gradio's login page (--auth) gets the theme only.
        block_title_text_color="*primary_700",
    )
    page_settings = {**PAGE_SETTINGS, "uploadTypes": ",".join(SUPPORTED_SUFFIXES)}  # read by ui/client.js
    return {
        "theme": theme,
        "css": CSS_FILE.read_text(),
        "head": (
            f"<script>window.verbatimSettings = {json.dumps(page_settings)};</script>"
            f"<script>{JS_FILE.read_text()}</script>"
        ),
        "footer_links": [],
        "show_error": True,
    }


def check_port(host: str, port: int) -> None:
    """Raise `QAError` naming the fix when `port` is taken (before minutes of indexing), or
    for an IPv6 address, which Gradio's launcher cannot serve on (it builds "http://::7860")."""
    if ":" in host:
        raise QAError(
            f"Cannot serve on {host!r}, an IPv6 address: Gradio's launcher supports IPv4 only. Use --host 0.0.0.0 "
            "(every IPv4 interface), or a reverse proxy that listens on IPv6 in front of 127.0.0.1."
        )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no conflict
        try:
            s.bind((host, port))
        except OSError as exc:
            raise port_error(host, port, exc) from None


def port_error(host: str, port: int, exc: OSError) -> QAError:
    """One line for a failed bind: in use, not allowed, or no such address."""
    if exc.errno == errno.EADDRINUSE or "empty port" in str(exc):
        return QAError(
            f"Port {port} is in use; pass --port N (make chat PORT=N) for another free port, or stop what uses it."
        )
    if exc.errno == errno.EACCES:
        return QAError(f"Port {port} needs special rights here; pass --port N with N above 1023.")
    return QAError(f"Cannot serve on {host}:{port} ({exc.strerror or exc}); check --host and --port.")


def transfer_limit(app: ChatApp) -> int:
    """The largest file the server takes in (Gradio's `max_file_size`). Gradio refuses a whole
    upload at its limit, in its own words and with no file added: up to 4x the upload limit,
    a file over that is refused alone, in the tab's words (`ChatApp.add_files`). A read-only
    chat takes no files: its limit is one byte (Gradio's upload route stays open to anyone)."""
    return 1 if app.read_only else 4 * app.max_upload_bytes


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | None = None,
    max_upload_mb: float | None = None,
    update: bool = True,
    read_only: bool = False,
) -> None:
    """`qa serve`: index what is missing or stale, then serve the chat until Ctrl-C.

    With `update=False` (`qa serve --no-index`) the index is served as it is: the articles
    folder is not read first (a large index built elsewhere starts in seconds; checking
    100k article files for changes would not). With `read_only` (`--read-only`) the chat
    only answers: no upload, deletion or rebuild (see `ChatApp`).

    Raises:
        QAError: bad `auth`, or the port cannot be used (the message names the fix).
    """
    credentials = parse_auth(auth)
    check_port(host, port)
    warning = exposure_warning(host, credentials, read_only)
    if warning:
        print(warning, file=sys.stderr)
    # Warnings only: at INFO, faiss, httpx and sentence-transformers fill the console with
    # library loading and every HTTP request Gradio makes to itself.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)  # the chat's own news (a build taken up), not the libraries' chatter
    app = ChatApp(settings, max_upload_mb, read_only=read_only)
    if not update and not read_only and not Path(settings.articles_dir).is_dir():
        # Served all the same (the index answers); an upload made the folder, then was refused
        # as the wrong folder for this index, and nothing had said why until then.
        print(
            f"warning: The articles folder {settings.articles_dir}/ does not exist: the chat answers from the "
            "index as built, but uploads and deletions need the folder its articles are in (--articles); "
            "--read-only serves a chat that only answers.",
            file=sys.stderr,
        )
    no_articles = False
    if update:
        try:
            print(app.ensure_index(), file=sys.stderr)
        except NoArticlesError as exc:  # articles can still come by upload (or qa index): serve, and say so
            where = "qa index builds one" if read_only else "upload articles in the chat's Articles tab"
            print(f"warning: {exc} Serving anyway: {where}.", file=sys.stderr)
            no_articles = True
        except OSError as exc:
            # Uploads and deletions need the folder writable; EROFS: a read-only mount.
            if not read_only or exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            # A read-only index folder (a replica's mount) refused --read-only unless --no-index was added.
            print(
                f"note: the index folder {settings.index_dir}/ cannot be written ({exc.strerror or exc}): serving "
                "the index as it is, without indexing the articles folder first (as --no-index does).",
                file=sys.stderr,
            )
        except IndexLockedError:  # it waited 300 s, silent and not serving, then quit naming a flag it lacks
            print(
                f"note: another program is building the index {settings.index_dir}/: serving the index as it is; "
                "the chat takes up that build's when it is published.",
                file=sys.stderr,
            )
    try:
        app.index().warm_up()  # load the models before the first visitor
    except IndexNotFoundError as exc:  # an empty folder, or a replica before its builder's first build
        # A warning: with --no-index, a mistyped --index is served as this too. Not after "no
        # readable article": its qa index command would fail on the same folder.
        if not no_articles and not read_only and not app.holds_an_article_file():  # --no-index, nothing there
            if not update and not Path(settings.index_dir).exists():  # "No articles yet" named no folder
                print(
                    f"warning: No articles yet, and no index folder {settings.index_dir}/: upload articles in the "
                    "Articles tab to start an index there (or check --index).",
                    file=sys.stderr,
                )
            else:
                print(f"warning: {exc}", file=sys.stderr)  # "No articles yet: upload some in the Articles tab …"
        elif not no_articles:
            print(
                f"warning: No index in {settings.index_dir}/ yet: the chat answers once one is built there"
                f" (qa index --articles {shlex.quote(str(settings.articles_dir))}"
                f" --index {shlex.quote(str(settings.index_dir))}).",
                file=sys.stderr,
            )
    # Another process (qa index, qa index --watch, a replica's upload) may publish a new
    # generation into the same folder: pick it up within a second, without a restart.
    stop_following = follow_index(
        settings.index_dir, settings, on_error=_log_once("index not reloaded: %s"), on_load=_log_loaded
    )
    demo = build_app(app)
    try:
        demo.launch(
            server_name=host,
            server_port=port,
            max_file_size=transfer_limit(app),
            quiet=True,
            # Not Gradio's own wait: at Ctrl-C it prints "Keyboard interruption…" on stdout.
            prevent_thread_lock=True,
            **access_options(credentials),
            **launch_kwargs(),
        )
        print(f"Chat ready on {chat_url(host, port)}", file=sys.stderr)
        serve_until_interrupted()
    except OSError as exc:  # taken between the check and the launch
        raise port_error(host, port, exc) from None
    finally:
        stop_following.set()
        demo.close(verbose=False)  # (its default prints to stdout)


def chat_url(host: str, port: int) -> str:
    """Where to open the chat: a browser cannot open the wildcard address 0.0.0.0, so this
    machine's own is given.

    Example:
        >>> chat_url("127.0.0.1", 7860)
        'http://127.0.0.1:7860'
        >>> chat_url("0.0.0.0", 8080)
        'http://127.0.0.1:8080 (from other machines: the address of this one, port 8080)'
    """
    if host == "0.0.0.0":
        return f"http://127.0.0.1:{port} (from other machines: the address of this one, port {port})"
    return f"http://{host}:{port}"


def serve_until_interrupted() -> None:
    """Block while the server's threads answer, until Ctrl-C (which `qa` reports as "interrupted")."""
    threading.Event().wait()


def _log_loaded(index: Index) -> None:
    """A line in the server's log for each build it takes up: when, which, and what it holds."""
    counts = index.counts
    log.info(
        "answering from %s/ (%s): %s, %s",
        index.settings.index_dir,
        index.generation.name,
        counted(counts.articles, "article"),
        counted(counts.passages, "passage"),
    )


def _log_once(message: str) -> Callable[[Exception], None]:
    """A warning for each new problem, not one every half second while it lasts."""
    last: list[str] = [""]

    def warn(exc: Exception) -> None:
        if isinstance(exc, IndexNotFoundError):  # no index yet: said once at start, not a failure to reload
            return
        if str(exc) != last[0]:
            last[0] = str(exc)
            log.warning(message, exc)

    return warn
