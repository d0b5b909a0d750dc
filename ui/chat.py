"""The Chat tab and the conversations sidebar.

Conversations live in the browser (`gr.BrowserState`, i.e. localStorage), so they survive a
reload and the server keeps nothing per user. The stored value is

    {"current": chat id or "", "chats": [{"id", "title", "updated", "turns": [turn, ...]}, ...]}

and a turn is {"question", "search_text", "answer" (the answer as `Answer.to_dict()` without
its hits), "message" (the answer's HTML), "sources" (its part of the sources panel), "rating"
(what a thumbs up/down records, or None)}. Follow-ups pass the earlier turns' answers (or, for
turns saved before answers were kept, their `search_text`) to `answer()` as `history`, so they
are read in context and do not cite the same sentences again.
"""

from __future__ import annotations

import json
import logging
import math
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import gradio as gr

from qa import MODES, QAError

from .render import (
    EMPTY_PANEL,
    PENDING,
    chat_title,
    render_answer,
    render_error,
    render_panel,
    render_question,
    render_sources,
)
from .service import QUESTION_LIMIT, ChatApp, check_length, utc_now

log = logging.getLogger("ui.chat")

STREAM_PAUSE = 0.04  # seconds between streamed sentences: enough to read as streaming
MAX_CITED = 5  # the Options slider's range: 1 to this
DEFAULT_CITED = 3
DEFAULT_MODE = "hybrid"
MAX_CHATS = 30  # localStorage holds ~5 MB per site; the oldest conversations go first
# Characters the saved conversations may take in localStorage, which gives a site ~5 million:
# stored encrypted, as base64 of their JSON's UTF-8 bytes (4 characters for 3 bytes; Cyrillic
# takes 2 bytes a letter, Chinese 3). Past it the browser refused every save, silently: 60
# turns of pasted articles (85 KB a turn; a usual turn takes ~7 KB) filled it.
MAX_STORE_CHARS = 4_000_000
STORAGE_KEY = "verbatim-conversations"
# BrowserState encrypts with this key. It is sent to the page, so it hides nothing from the
# browser's owner; it is fixed so that conversations stay readable after a server restart
# (Gradio's default, a random key per start, would make them unreadable).
STORAGE_SECRET = "verbatim-conversations-v1"
# Bumped in localStorage after each change to the conversations, so that other tabs know
# their copy is stale (ui/client.js reloads them): the store itself is rewritten, re-encrypted,
# by every tab that merely loads.
REVISION_KEY = "verbatim-conversations-revision"
# The question on its way, kept in sessionStorage until its answer is saved (a reload gives it back).
UNANSWERED_KEY = "verbatim-unanswered"
# Which tab has an answer on its way ({tab, at} in localStorage): the other tabs' questions wait.
ANSWERING_KEY = "verbatim-answering"
# What ui/client.js needs to know of the page: the keys it watches and keeps, and the Options'
# defaults (a tab reloaded for another tab's save sets back only what differs from them).
PAGE_SETTINGS = {
    "revisionKey": REVISION_KEY,
    "unansweredKey": UNANSWERED_KEY,
    "answeringKey": ANSWERING_KEY,
    "questionLimit": QUESTION_LIMIT,
    "defaults": {"sentences": str(DEFAULT_CITED), "mode": DEFAULT_MODE},
}
# Run after each change to the conversations: the other tabs learn their copy is stale.
_SAVED = f"localStorage.setItem({REVISION_KEY!r}, String(Date.now()));"
SAVED_JS = f"() => {{ {_SAVED} }}"
# Run after the chat is repainted with a whole conversation (opened, new, deleted, restored,
# the page loaded): ui/client.js kept the live region quiet meanwhile, or a screen reader read
# the whole conversation out at each step through the list.
REPAINTED_JS = "() => { window.verbatimRepainted && window.verbatimRepainted(); }"
# The Options accordion's label: "Options", or what is set in them ("Options: from 2026-01-01 ·
# Harbour Gazette · newer first"). The arguments are `ChatOptions.inputs()`.
OPTIONS_LABEL_JS = """(sentences, mode, since, until, publishers, articles, recent) => {
  const defaults = window.verbatimSettings.defaults;
  const few = (values, one, many) => values.length === 1 ? one(values[0]) : `${values.length} ${many}`;
  const set = [];
  since = (since || "").trim();
  until = (until || "").trim();
  if (since && until) set.push(`${since} to ${until}`);
  else if (since) set.push(`from ${since}`);
  else if (until) set.push(`until ${until}`);
  if (publishers && publishers.length) set.push(few(publishers, (p) => p, "publishers"));
  if (articles && articles.length) set.push(few(articles, () => "1 article", "articles"));
  if (recent) set.push("newer first");
  if (mode && mode !== defaults.mode) set.push(mode);
  const plural = Number(sentences) === 1 ? "" : "s";
  if (sentences != null && String(sentences) !== defaults.sentences) set.push(`at most ${sentences} sentence${plural}`);
  return {__type__: "update", label: set.length ? `Options: ${set.join(" · ")}` : "Options"};
}"""
# Run after the page's load event (ui/app.py): ui/client.js holds a question asked before it,
# as the load's update replaced the conversation with the stored one and erased that question.
LOADED_JS = "() => { window.verbatimLoaded = true; window.verbatimRepainted && window.verbatimRepainted(); }"
# Run after an answer's event only (a thumb, a deletion or an undo during an answer must not
# say it has come): it tells ui/client.js the event has completed (`verbatimSavedAt`), so a
# click held meanwhile may happen without the answer's last update overwriting it; that the
# question on its way was answered (no longer kept for a reload); and `verbatimAnswered`
# drops this tab's "answer on its way" mark and gives a refused question back to an empty box.
ANSWERED_JS = (
    f"() => {{ {_SAVED} window.verbatimSavedAt = Date.now(); "
    f"sessionStorage.removeItem({UNANSWERED_KEY!r}); window.verbatimAnswered && window.verbatimAnswered(); }}"
)

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"  # invisible, and not blank space to str.strip
# The same characters for the page's check of the box (a JavaScript character class).
_ZERO_WIDTH_JS = "".join(f"\\u{ord(c):04x}" for c in ZERO_WIDTH)
Store = dict[str, Any]
Chat = dict[str, Any]


def empty_store() -> Store:
    return {"current": "", "chats": []}


def as_store(value: Any) -> Store:
    """The browser's stored value as a store: empty if it is none. A value the page sends back
    after a streamed update can carry Gradio's `"__type__": "update"` marker; it is dropped."""
    if not isinstance(value, dict):
        return empty_store()
    return {k: v for k, v in value.items() if k != "__type__"}


def current_chat(store: Store) -> Chat | None:
    """The open conversation, or None for a new one not yet asked anything."""
    return next((c for c in store.get("chats", []) if c.get("id") == store.get("current")), None)


def messages(chat: Chat | None) -> list[dict[str, str]]:
    """The Chatbot's messages for a conversation."""
    out = []
    for turn in (chat or {}).get("turns", []):
        out.append({"role": "user", "content": render_question(turn["question"])})
        out.append({"role": "assistant", "content": turn["message"]})
    return out


def conversation(chat: Chat | None) -> dict[str, Any]:
    """The Chatbot showing a conversation, with the thumbs each answer was given."""
    verdicts = [t.get("verdict") for t in (chat or {}).get("turns", [])]
    return gr.update(value=messages(chat), feedback_value=verdicts)


def panel(chat: Chat | None) -> str:
    """The sources panel for a conversation: every turn's sources, the newest open."""
    return render_panel([(t["question"], t["sources"]) for t in (chat or {}).get("turns", [])])


def chat_choices(store: Store) -> list[tuple[str, str]]:
    """(title, id) per conversation, most recent first, for the sidebar."""
    chats = sorted(store.get("chats", []), key=lambda c: c.get("updated", ""), reverse=True)
    # chat_title again: a title saved before it marked bidi overrides, or edited in the browser
    return [(chat_title(str(c.get("title") or "Untitled")), c["id"]) for c in chats]


def remove_current(store: Store) -> Store:
    """The store without its open conversation, which is kept as `deleted` for Undo."""
    deleted = current_chat(store)
    chats = [c for c in store.get("chats", []) if c is not deleted]
    return {"current": "", "chats": chats, "deleted": deleted} if deleted else {"current": "", "chats": chats}


def restore_deleted(store: Store) -> Store:
    """The store with its `deleted` conversation back in the list, open."""
    deleted = store.get("deleted")
    if not isinstance(deleted, dict) or "id" not in deleted:
        return {"current": store.get("current", ""), "chats": store.get("chats", [])}
    chats = [c for c in store.get("chats", []) if c.get("id") != deleted["id"]]
    chats = sorted([*chats, deleted], key=lambda c: c.get("updated", ""), reverse=True)[:MAX_CHATS]
    return {"current": deleted["id"], "chats": chats}


def with_verdict(store: Store, turn: int, verdict: str | None) -> Store:
    """The store with the open conversation's `turn` marked "Like", "Dislike" or unmarked."""
    chats = [dict(c) for c in store.get("chats", [])]
    chat = next((c for c in chats if c.get("id") == store.get("current")), None)
    if chat is None or not 0 <= turn < len(chat.get("turns", [])):
        return store
    chat["turns"] = [{**t, "verdict": verdict} if i == turn else t for i, t in enumerate(chat["turns"])]
    return {**store, "chats": chats}


def undo_button(store: Store) -> dict[str, Any]:
    """The Undo button: shown, naming the conversation, while one can be restored."""
    deleted = store.get("deleted")
    if not isinstance(deleted, dict):
        return gr.update(visible=False)
    return gr.update(visible=True, value=f"Undo delete: {chat_title(deleted.get('title') or 'Untitled')}")


def add_turn(store: Store, turn: dict[str, Any]) -> Store:
    """The store with `turn` appended to the open conversation (a new one if none is open)."""
    chat = current_chat(store)
    others = [c for c in store.get("chats", []) if c is not chat]
    chat = dict(chat) if chat else {"id": uuid.uuid4().hex[:12], "title": chat_title(turn["question"]), "turns": []}
    chat["turns"] = [*chat.get("turns", []), turn]
    chat["updated"] = utc_now()
    # First, then sorted: `updated` is to the second, and a stable sort keeps it first among ties.
    chats = sorted([chat, *others], key=lambda c: c.get("updated", ""), reverse=True)[:MAX_CHATS]
    return {"current": chat["id"], "chats": chats}


def within_storage(store: Store, limit: int = MAX_STORE_CHARS) -> tuple[Store, int]:
    """`store` made to fit the browser's storage, and how many conversations and turns went:
    the oldest conversations first, then the open one's oldest turns (its last one stays).

    Example:
        >>> turn = {"question": "q", "message": "x" * 60}
        >>> store = {"current": "b", "chats": [{"id": "b", "turns": [turn] * 3}, {"id": "a", "turns": [turn]}]}
        >>> kept, dropped = within_storage(store, limit=400)
        >>> [len(c["turns"]) for c in kept["chats"]], dropped
        ([2], 2)
    """
    chats = list(store.get("chats", []))
    dropped = 0

    def size() -> int:  # as stored: base64 of the UTF-8 bytes (and AES's few bytes more)
        return 4 * len(json.dumps(chats, ensure_ascii=False).encode("utf-8")) // 3 + 64

    while size() > limit and len(chats) > 1:  # the open conversation is the most recent: first
        chats.pop()
        dropped += 1
    while size() > limit and chats and len(chats[0].get("turns", [])) > 1:
        chats[0] = {**chats[0], "turns": chats[0]["turns"][1:]}
        dropped += 1
    return {**store, "chats": chats}, dropped


@dataclass
class ChatOptions:
    """The Options accordion's components, in the order `ChatApp.ask` takes them."""

    sentences: gr.Slider
    mode: gr.Radio
    since: gr.Textbox
    until: gr.Textbox
    publishers: gr.Dropdown
    articles: gr.Dropdown
    recent: gr.Checkbox

    def inputs(self) -> list[gr.components.Component]:
        return [self.sentences, self.mode, self.since, self.until, self.publishers, self.articles, self.recent]

    def changes(self) -> list[Any]:
        """Each input's change event, in the order of `inputs` (each of them has one; the base
        class's type does not say so)."""
        return [cast(Any, component).change for component in self.inputs()]


class ChatTab:
    """Builds the Chat tab and the conversations sidebar, and handles their events."""

    def __init__(self, app: ChatApp) -> None:
        self.app = app

    # -- layout ---------------------------------------------------------------------------------------

    def build_sidebar(self) -> None:
        with gr.Sidebar(label="Conversations", elem_id="sidebar", open=True, width=260):
            self.store = gr.BrowserState(empty_store(), storage_key=STORAGE_KEY, secret=STORAGE_SECRET)
            self.new_chat = gr.Button("New chat", elem_id="new-chat", variant="secondary", size="md")
            # Above the list, not under it: with 30 conversations it sat 2,500 pixels down.
            self.delete_chat = gr.Button("Delete this chat", elem_id="delete-chat", size="sm", variant="stop")
            # One click deletes (no dialog in the way); this brings the chat back instead.
            self.undo_delete = gr.Button("Undo delete", elem_id="undo-delete", size="sm", visible=False)
            self.chats = gr.Radio([], value=None, label="Conversations", show_label=False, elem_id="chats")

    def build(self) -> None:
        with gr.Row(equal_height=False, elem_id="chat-row"):
            with gr.Column(scale=3, min_width=320, elem_id="chat-column"):
                self.chatbot = gr.Chatbot(
                    elem_id="chatbot",
                    # The question box stays on screen: a fixed 560 px put it below the fold of a
                    # 1280×800 laptop (its top at y=790). The header, tabs and box take ~340 px.
                    height="calc(100dvh - 340px)",
                    min_height=320,
                    max_height=900,
                    show_label=False,
                    buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                    autoscroll=False,  # ui/client.js keeps the newest question in view instead
                    render_markdown=False,  # answers are HTML; "*" or "_" in an article stays text
                    latex_delimiters=[],
                    placeholder="Ask about the articles. Every sentence of the answer is quoted from them, "
                    "with its source.",
                )
                with gr.Row(elem_id="ask-row"):
                    self.question = gr.Textbox(
                        elem_id="q",
                        label="Your question",  # its accessible name (it was "Textbox")
                        show_label=False,
                        scale=6,
                        lines=1,
                        max_lines=4,
                        placeholder="Ask a question about the articles",
                        submit_btn=False,
                        stop_btn=False,
                        autofocus=True,
                    )
                    self.send = gr.Button(
                        "Ask", variant="primary", elem_id="send", scale=1, min_width=80, interactive=False
                    )
            with gr.Column(scale=2, min_width=300, elem_id="sources-column"):
                self.panel = gr.HTML(EMPTY_PANEL, elem_id="sources")
        with gr.Accordion("Options", open=False, elem_id="options") as self.options_box:
            self.options = self._build_options()

    def _build_options(self) -> ChatOptions:
        with gr.Row():
            sentences = gr.Slider(
                1, MAX_CITED, value=DEFAULT_CITED, step=1, label="Cited sentences (at most)", elem_id="opt-sentences"
            )
            mode = gr.Radio(list(MODES), value=DEFAULT_MODE, label="Retrieval", elem_id="opt-mode")
        with gr.Row():
            since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="opt-since")
            until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="opt-until")
            recent = gr.Checkbox(label="Prefer newer articles", elem_id="opt-recent")
        # allow_custom_value: a value picked here may leave the choices when its article is
        # deleted (here, or by `qa index` elsewhere); Gradio would then refuse every question
        # until a reload. Kept, it matches nothing and the answer says so.
        with gr.Row():
            publishers = gr.Dropdown(
                choices=[], multiselect=True, label="Publisher", elem_id="opt-publishers", allow_custom_value=True
            )
            articles = gr.Dropdown(
                choices=[], multiselect=True, label="Article", elem_id="opt-articles", allow_custom_value=True
            )
        return ChatOptions(sentences, mode, since, until, publishers, articles, recent)

    # -- events ----------------------------------------------------------------------------------------

    def wire(self) -> None:
        # Client-side only: the button follows the box without a round trip per keystroke.
        # Zero-width spaces are no question either (they asked a blank-looking bubble).
        self.question.change(
            None,
            self.question,
            self.send,
            js=(
                "(q) => ({__type__: 'update', "
                f"interactive: (q || '').replace(/[\\s{_ZERO_WIDTH_JS}]/g, '').length > 0}})"
            ),
        )
        # The closed Options say what is set: a date range left in them hid every article outside
        # it, with nothing on the page to say so once they were closed. Client-side, as the button.
        gr.on(
            self.options.changes(),
            None,
            self.options.inputs(),
            self.options_box,
            js=OPTIONS_LABEL_JS,
            queue=False,
            show_progress="hidden",
        )
        # Asking by typing and by picking a starter question: the same event, then the page's save step.
        asking: dict[str, Any] = {
            "fn": self.respond,
            "inputs": [self.question, self.store, *self.options.inputs()],
            "outputs": [self.question, self.send, self.chatbot, self.panel, self.store, self.chats, self.undo_delete],
            "api_visibility": "private",
            "concurrency_limit": None,
            "show_progress": "hidden",
        }
        gr.on([self.question.submit, self.send.click], **asking).then(None, js=ANSWERED_JS)
        picked = self.chatbot.example_select(
            self.pick_starter, None, self.question, api_visibility="private", queue=False
        )
        picked.then(**{**asking, "fn": self.respond_starter}).then(None, js=ANSWERED_JS)
        shown = [self.store, self.chatbot, self.panel, self.chats, self.undo_delete]
        self.new_chat.click(self.start_new, self.store, shown, api_visibility="private", queue=False).then(
            None, js=REPAINTED_JS
        )
        self.chats.input(self.open_chat, [self.chats, self.store], shown, api_visibility="private", queue=False).then(
            None, js=REPAINTED_JS
        )
        self.delete_chat.click(self.remove_chat, self.store, shown, api_visibility="private", queue=False).then(
            None, js=SAVED_JS
        ).then(None, js=REPAINTED_JS)
        self.undo_delete.click(self.restore_deleted, self.store, shown, api_visibility="private", queue=False).then(
            None, js=SAVED_JS
        ).then(None, js=REPAINTED_JS)
        rated = [self.store, self.chatbot]
        self.chatbot.like(self.rate, self.store, rated, api_visibility="private").then(  # queued: toasts need it
            None, js=SAVED_JS
        )

    def restore(self, store: Store) -> tuple[Any, ...]:
        """On page load: the open conversation from the browser, the sidebar, and the
        undo button if a conversation was just deleted."""
        store = as_store(store)
        chat = current_chat(store)
        return (
            conversation(chat),
            panel(chat),
            gr.update(choices=chat_choices(store), value=chat["id"] if chat else None),
            undo_button(store),
        )

    def respond(self, question: str, store: Store, *options: Any) -> Iterator[tuple[Any, ...]]:
        """Ask, then stream the answer sentence by sentence; save the turn in the browser."""
        yield from self._respond(question, store, options, typed=True)

    def respond_starter(self, question: str, store: Store, *options: Any) -> Iterator[tuple[Any, ...]]:
        """`respond` for a starter question, which `pick_starter` put in the box: emptied here."""
        yield from self._respond(question, store, options, typed=False)

    def _respond(self, question: str, store: Store, options: tuple[Any, ...], typed: bool) -> Iterator[tuple[Any, ...]]:
        text = (question or "").strip()
        # The button is disabled; Enter in an empty box does nothing (nor in one of zero-width
        # spaces, which str.strip keeps: they asked a blank-looking bubble).
        if not text.translate(dict.fromkeys(map(ord, ZERO_WIDTH))).strip():
            yield (gr.skip(),) * 7
            return
        try:  # before the question is shown or kept: it stays in the box, to be shortened
            check_length(text)
        except QAError as exc:
            gr.Warning(str(exc), duration=8)
            yield (gr.skip(),) * 7
            return
        store = as_store(store)
        chat = current_chat(store)
        shown = [*messages(chat), {"role": "user", "content": render_question(text)}]
        pending = [*shown, {"role": "assistant", "content": PENDING}]
        off = gr.update(interactive=False)
        # The page empties the box as it sends a typed question (ui/client.js), and the box's own
        # handler sets Ask: emptied here, at this first update, it lost what was typed meanwhile,
        # and Ask went off for a question typed meanwhile, which the page asks next.
        first = (gr.skip(), gr.skip()) if typed else ("", off)
        yield *first, pending, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        turn_number = len((chat or {}).get("turns", []))
        history = [t.get("answer") or t["search_text"] for t in (chat or {}).get("turns", []) if t.get("search_text")]
        n, mode, since, until, publishers, articles, recent = options
        # The slider's number box takes any typed value (2.5); the slider shows it rounded half
        # up, as here (Python's round() would give 2).
        n = min(MAX_CITED, max(1, math.floor(n + 0.5))) if isinstance(n, (int, float)) else n
        # After the first update the box and the button are left alone: what the user types
        # while the answer streams in stays (and the box's own handler re-enables Ask).
        box: tuple[Any, Any] = (gr.skip(), gr.skip())
        try:
            # Filters(sources=...) matches publishers and article ids alike: pass the union.
            sources = [*(publishers or []), *(articles or [])]
            reply = self.app.ask(text, history, n, mode, since, until, sources, recent)
        except QAError as exc:
            # The question back, to send again once fixed: a typed one by the page, into an empty
            # box only (here, it overwrote what was typed meanwhile, and a question held to go next).
            box = (gr.skip(), gr.skip()) if typed else (text, gr.update(interactive=True))
            message = render_error(str(exc))
            turn: dict[str, Any] = {
                "question": text,
                "search_text": "",
                "message": message,
                "sources": message,
                "rating": None,
            }
        else:
            result = reply.answer
            for upto in range(1, len(result.sentences) if result.found else 0):
                partial = [*shown, {"role": "assistant", "content": render_answer(result, turn_number, upto)}]
                yield *box, partial, gr.skip(), gr.skip(), gr.skip(), gr.skip()
                time.sleep(STREAM_PAUSE)
            turn = {
                "question": text,
                "search_text": result.search_text or text,
                "answer": {k: v for k, v in result.to_dict().items() if k != "hits"},
                "message": render_answer(result, turn_number),
                "sources": render_sources(result, turn_number),
                "rating": self.app.feedback_snapshot(reply),
            }
        store, dropped = within_storage(add_turn(store, turn))
        if dropped:  # past the browser's quota every save failed, silently
            gr.Info(
                f"The browser's storage for conversations is full: {dropped} of the oldest conversations "
                "and questions were removed to keep this one.",
                duration=8,
            )
        chat = current_chat(store)
        yield (
            *box,
            conversation(chat),
            panel(chat),
            store,
            gr.update(choices=chat_choices(store), value=store["current"]),
            undo_button(store),  # a question ends the chance to undo a deletion
        )

    @staticmethod
    def pick_starter(evt: gr.SelectData) -> str:
        """The clicked starter question, into the box (the chained `respond` asks it)."""
        value = evt.value
        return str(value.get("text", "") if isinstance(value, dict) else value or "")

    def start_new(self, store: Store) -> tuple[Any, ...]:
        """An empty conversation (saved once it has a first question)."""
        store = {**as_store(store), "current": ""}
        store.pop("deleted", None)
        return self.show(store)

    def open_chat(self, chat_id: str, store: Store) -> tuple[Any, ...]:
        """Show the conversation picked in the sidebar."""
        store = {**as_store(store), "current": chat_id or ""}
        store.pop("deleted", None)
        return self.show(store)

    def remove_chat(self, store: Store) -> tuple[Any, ...]:
        """Delete the open conversation from the browser; show a new one, and Undo.

        The deleted conversation is kept (as `deleted`) only until the next question, chat
        opened or chat started, so that a mis-click costs nothing and a deletion still sticks.
        """
        return self.show(remove_current(as_store(store)))

    def restore_deleted(self, store: Store) -> tuple[Any, ...]:
        """Undo: the conversation just deleted comes back, open."""
        return self.show(restore_deleted(as_store(store)))

    @staticmethod
    def show(store: Store) -> tuple[Any, ...]:
        """Everything the sidebar's buttons update: the store, the open conversation, its
        sources, the sidebar's list and the Undo button. The question box keeps what is typed
        in it: *New chat* clicked for a new subject typed already emptied it."""
        chat = current_chat(store)
        choices = gr.update(choices=chat_choices(store), value=chat["id"] if chat else None)
        return store, conversation(chat), panel(chat), choices, undo_button(store)

    def rate(self, evt: gr.LikeData, store: Store) -> Any:
        """Thumbs up/down on an answer: append it to the feedback file next to the index, and
        keep the thumb in the browser so that it shows again after a reload."""
        store = as_store(store)
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        turns = (current_chat(store) or {}).get("turns", [])
        turn = turns[index // 2] if 0 <= index // 2 < len(turns) else None
        if not turn or not turn.get("rating"):
            gr.Warning("This message cannot be rated: it is not an answer.", duration=4)
            return gr.skip(), conversation(current_chat(store))  # the thumb just clicked goes out again
        # A thumb taken back is recorded too: the verdict before it stopped counting (qa eval).
        liked = evt.liked if isinstance(evt.liked, bool) else None
        try:
            self.app.record_feedback(turn["rating"], liked)
        except QAError as exc:
            log.warning("feedback not saved: %s", exc)
            gr.Warning(f"Feedback not saved: {exc}", duration=6)
            return gr.skip(), conversation(current_chat(store))
        said = {True: "Thanks: marked helpful.", False: "Thanks: marked not helpful.", None: "Rating taken back."}
        gr.Info(said[liked], duration=3)
        verdict = {True: "Like", False: "Dislike", None: None}[liked]
        return with_verdict(store, index // 2, verdict), gr.skip()
