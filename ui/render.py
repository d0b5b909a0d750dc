"""HTML for the chat: answers, the sources panel, copy text and starter questions.

Pure functions of `qa` values. Every piece of text that comes from an article or a user goes
through `_e` (html.escape): gr.HTML does not sanitise, and the Chatbot sanitises but does not
escape, so an article containing `<script>` must arrive as text. `_e` also shows each bidi
override or isolate (and control character) as "\ufffd", one character for one, as `qa ask`
does (`qa.visible`): a U+202E in an article turned the rest of a quoted sentence around on the
page, so that it read as words in an order the article does not have.

Ids tie the two halves together: answer sentence `i` of turn `t` has the marker
`href="#qa-t{t}-s{i}"` in the chat and the highlighted sentence `id="qa-t{t}-s{i}"` in the
sources panel (the Chatbot's sanitiser keeps ids, classes and hrefs, and drops data-*
attributes). ui/client.js uses them to scroll, flash and show popovers.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from qa import Answer, AnswerSentence, ArticleInfo, Citation, confidence_words, is_web_link, shortened, visible

PASSAGE_CONTEXT = 220  # characters of passage kept on each side of a cited sentence
STARTERS = 3


def _e(text: Any) -> str:
    return html.escape(visible(str(text)), quote=True)


def anchor(turn: int, i: int) -> str:
    """The id of answer sentence `i` of turn `turn` in the sources panel."""
    return f"qa-t{turn}-s{i}"


# -- confidence ---------------------------------------------------------------------------------------


def confidence_meter(confidence: float) -> str:
    """A bar as wide as the confidence, and the same number in words."""
    percent = round(max(0.0, min(1.0, confidence)) * 100)
    level = confidence_words(confidence).split()[0]
    return (
        f'<div class="qa-confidence qa-{level}" role="meter" aria-valuemin="0" aria-valuemax="100" '
        f'aria-valuenow="{percent}" aria-label="Confidence"><span class="qa-bar">'
        f'<span style="width:{percent}%"></span></span>'
        f'<span class="qa-conf-text">{percent}% · {confidence_words(confidence)}</span></div>'
    )


# -- the chat message -----------------------------------------------------------------------------------


def render_answer(result: Answer, turn: int = 0, upto: int | None = None) -> str:
    """The chat message for an answer (only its first `upto` sentences while streaming).

    The message carries its plain-text form in a hidden `.qa-plain` element: the copy button
    and the screen-reader label use it instead of the HTML (see ui/client.js).
    """
    if not result.found:
        return render_not_found(result)
    shown = result.sentences if upto is None else result.sentences[:upto]
    body = " ".join(_sentence_html(s, turn, i) for i, s in enumerate(shown))
    notes = "".join(f'<p class="qa-note">{_e(n)}</p>' for n in result.notices)
    if upto is not None and upto < len(result.sentences):
        return f'<div class="qa-answer qa-streaming">{notes}<p class="qa-text">{body}</p></div>'
    items = "".join(
        f'<li><span class="qa-n">[{c.n}]</span> {_e(c.source.title)}<span class="qa-sr">, </span>'
        f'<span class="qa-meta">{_e(_source_line(c, result.pages_label(c.n)))}</span></li>'
        for c in result.sources()
    )
    return (
        f'<div class="qa-answer">{notes}<p class="qa-text">{body}</p>'
        f'<div class="qa-sources-inline"><div class="qa-label">Sources</div><ul>{items}</ul></div>'
        f"{_plain_html(plain_text(result))}</div>"
    )


def _sentence_html(s: AnswerSentence, turn: int, i: int) -> str:
    """A cited sentence: its muted context, its text (answer span marked), its marker."""
    context = f'<span class="qa-context">{_e(s.context.text)}</span> ' if s.context is not None else ""
    return f'{context}<span class="qa-sentence">{_with_span(s)}</span> {cite_marker(s, turn, i)}'


def _with_span(s: AnswerSentence) -> str:
    """The sentence escaped, with the reader's answer span in `<mark class="qa-span">`."""
    if s.span is None:
        return _e(s.text)
    a, b = s.span[0] - s.citation.start, s.span[1] - s.citation.start
    if not 0 <= a < b <= len(s.text):  # a span outside its sentence is a bug upstream: show the sentence
        return _e(s.text)
    return f'{_e(s.text[:a])}<mark class="qa-span">{_e(s.text[a:b])}</mark>{_e(s.text[b:])}'


def cite_marker(s: AnswerSentence, turn: int, i: int) -> str:
    """`[n]` linking to this very sentence in the sources panel, with a hidden popover body.

    No `title`: the popover (ui/client.js) replaces the browser's tooltip.
    """
    c = s.citation
    context = f'<span class="qa-pop-context">{_e(s.context.text)}</span> ' if s.context is not None else ""
    page = f"p. {c.page}" if c.page is not None else ""
    pop = (
        f'<span class="qa-pop" hidden>{context}<span class="qa-pop-sentence">{_e(s.text)}</span>'
        f'<span class="qa-pop-source">[{c.n}] {_e(" · ".join(x for x in (c.source.title, c.source.date, page) if x))}'
        "</span></span>"
    )
    label = f"Source {c.n}: " + ", ".join(x for x in (c.source.title, c.source.date, page) if x)
    # The Chatbot's sanitiser drops aria-label: the name a screen reader reads is hidden text.
    return (
        f'<a class="qa-cite" href="#{anchor(turn, i)}" aria-label="{_e(label)}">[{c.n}]'
        f'<span class="qa-sr"> ({_e(label)})</span>{pop}</a>'
    )


def render_not_found(result: Answer) -> str:
    """The "not found" message: unlike an answer, with the closest passages for orientation."""
    notes = "".join(f'<p class="qa-note">{_e(n)}</p>' for n in result.notices)
    closest = "".join(
        f"<li><b>{_e(h.source.title)}</b>{_e(' (' + h.source.date + ')') if h.source.date else ''}: "
        f"{_e(shortened(h.text, 180))}</li>"
        for h in result.hits[:2]
    )
    extra = (
        f'<div class="qa-label">Closest passages — no answer was found in them</div><ul>{closest}</ul>'
        if closest
        else ""
    )
    # A filter that let nothing through has its own advice in the notes ("widen them").
    filtered = not result.hits and bool(result.notices)
    advice = (
        ""
        if filtered
        else ('<p class="qa-muted">Try other words, or add articles that cover it in the Articles tab.</p>')
    )
    return (
        f'<div class="qa-notfound">{notes}<p class="qa-notfound-title">{_e(result.text)}</p>'
        f"{advice}{extra}{_plain_html(result.text)}</div>"
    )


def render_error(message: str) -> str:
    """A question the library refused (bad date, no index, ...): its message, in the chat.

    A command's flags do not break across lines: "qa index -" / "-index" was copied as
    two flags.

    Example:
        >>> render_error("Build it with: qa index --index x")[:84]
        '<div class="qa-error">Build it with: qa index <span class="qa-flag">--index</span> x'
    """
    text = re.sub(r"(?<!\S)(--[a-z][a-z-]*)", r'<span class="qa-flag">\1</span>', _e(message))
    return f'<div class="qa-error">{text}{_plain_html(message)}</div>'


LONG_QUESTION = 400  # characters shown of a longer question: the rest folds away


def render_question(question: str) -> str:
    """The user's message, as text; a very long one (a pasted article) folds after its
    beginning, so that its answer is not 2,000 pixels further down. It carries its plain text
    (`.qa-plain`): copied from the folded HTML it was its beginning, the fold's label, then all of it."""
    if len(question) <= LONG_QUESTION:
        return _e(question)
    return (
        f'<details class="qa-long-question"><summary>{_e(shortened(question, LONG_QUESTION))} '
        f'<span class="qa-muted">(show all {len(question):,} characters)</span></summary>{_e(question)}</details>'
        f"{_plain_html(question)}"
    )


PENDING = '<div class="qa-pending">Searching the articles…</div>'


def plain_text(result: Answer) -> str:
    """What "copy" puts on the clipboard: the answer with [n] markers, then the numbered sources.

    Example output::

        Trudeau's government ... from China. [1]

        Sources
        [1] As Canadian leader Mark Carney arrives ... — 2026-01-13 — carney-china-trip.txt
    """
    if not result.found:
        return result.text
    sources = "\n".join(
        f"[{c.n}] "
        + " — ".join(x for x in (c.source.title, c.source.date, c.source.article_id, result.pages_label(c.n)) if x)
        for c in result.sources()
    )
    return f"{result.text}\n\nSources\n{sources}"


def _plain_html(text: str) -> str:
    # Newlines as character references: a raw newline would be turned into <br> by the Chatbot.
    return f'<span class="qa-plain" hidden>{_e(text).replace(chr(10), "&#10;")}</span>'


def _source_line(c: Citation, pages: str) -> str:
    # "no date" said, as qa ask says it: an undated article's line read as a dated one's
    return " · ".join(x for x in (c.source.date or "no date", c.source.publisher or c.source.article_id, pages) if x)


# -- the sources panel -----------------------------------------------------------------------------------

EMPTY_PANEL = (
    '<div class="qa-panel qa-empty">Ask a question: each cited sentence appears here in its article, '
    "highlighted, with its number.</div>"
)


def render_sources(result: Answer, turn: int = 0) -> str:
    """One turn's sources: the confidence, then each cited article with its sentences marked."""
    if not result.found:
        # No passage at all: the filters (dates, sources) left nothing to search.
        why = "the articles do not answer this question" if result.hits else "no article passed the filters in Options"
        return f'<div class="qa-nosource">{confidence_meter(result.confidence)}<p>No source: {why}.</p></div>'
    cards = []
    for citation in result.sources():
        numbered = [(i, s) for i, s in enumerate(result.sentences) if s.citation.n == citation.n]
        passages: dict[tuple[int, int], list[tuple[int, AnswerSentence]]] = {}
        for i, s in numbered:
            passages.setdefault((s.citation.passage_start, s.citation.passage_end), []).append((i, s))
        blocks = "".join(marked_passage(group, turn) for group in passages.values())
        cards.append(_source_card(citation, turn, blocks, result.pages_label(citation.n)))
    return f"{confidence_meter(result.confidence)}{''.join(cards)}"


def _source_card(citation: Citation, turn: int, blocks: str, pages: str) -> str:
    source = citation.source
    meta = " · ".join(_e(x) for x in (source.date or "no date", source.publisher, source.article_id, pages) if x)
    link = (
        f' · <a href="{_e(source.url)}" target="_blank" rel="noopener noreferrer">open</a>'
        if is_web_link(source.url)  # an index built before the reader checked links may hold others
        else ""
    )
    return (
        f'<div class="qa-source" id="qa-t{turn}-src-{citation.n}"><div class="qa-source-head">'
        f'<span class="qa-num">{citation.n}</span><span class="qa-title">{_e(source.title)}</span></div>'
        f'<div class="qa-meta">{meta}{link}</div>{blocks}</div>'
    )


def marked_passage(cited: Sequence[tuple[int, AnswerSentence]], turn: int = 0, context: int = PASSAGE_CONTEXT) -> str:
    """A passage with only its cited sentences marked (each with its id and number); text far
    from them is elided (…)."""
    c0 = cited[0][1].citation
    text, offset = c0.passage, c0.passage_start
    ordered = sorted(cited, key=lambda pair: pair[1].citation.start)
    out, at = [], 0
    for i, s in ordered:
        a, b = s.citation.start - offset, s.citation.end - offset
        out.append(_elide(text[at:a], keep_start=at > 0, keep_end=True, width=context))
        out.append(
            f'<mark class="qa-cited" id="{anchor(turn, i)}">{_with_span(s)}</mark>'
            f'<sup class="qa-badge">[{s.citation.n}]</sup>'
        )
        at = b
    out.append(_elide(text[at:], keep_start=True, keep_end=False, width=context))
    return f'<p class="qa-passage">{"".join(out)}</p>'


def _elide(gap: str, keep_start: bool, keep_end: bool, width: int) -> str:
    """Escape `gap`, keeping `width` characters on the side(s) that touch a cited sentence."""
    if len(gap) <= width * (keep_start + keep_end):
        return _paragraphs(gap)
    head = gap[:width].rsplit(" ", 1)[0] if keep_start else ""
    tail = gap[-width:].split(" ", 1)[-1] if keep_end else ""
    return _paragraphs(head) + (" … " if head and tail else " …" if head else "… ") + _paragraphs(tail)


_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")


def _paragraphs(text: str) -> str:
    """Escape `text`, its paragraph breaks kept as line breaks: a list's items ("Inflation: 2.3%",
    "Unemployment: 5.1%", each its own paragraph in the article's text) ran into one line. A
    single line break (a hard-wrapped line) stays a space."""
    return "<br>".join(_e(part) for part in _PARAGRAPH_BREAK.split(text))


def render_panel(sections: Sequence[tuple[str, str]]) -> str:
    """The sources panel for a conversation: `(question, section html)` per turn, oldest first.

    The newest turn is open; earlier ones are collapsed (clicking a marker in an earlier
    answer opens its section), so every marker in the chat has its sentence on the page.
    """
    if not sections:
        return EMPTY_PANEL
    parts = []
    for turn, (question, section) in reversed(list(enumerate(sections))):
        is_open = " open" if turn == len(sections) - 1 else ""
        parts.append(
            f'<details class="qa-turn" id="qa-t{turn}"{is_open}><summary>{_e(shortened(question, 90))}</summary>'
            f"{section}</details>"
        )
    return f'<div class="qa-panel"><h2 class="qa-panel-head">Sources</h2>{"".join(parts)}</div>'


# -- starter questions -------------------------------------------------------------------------------------


def starter_questions(articles: Sequence[ArticleInfo], limit: int = STARTERS) -> list[str]:
    """Questions about the newest articles, one per article: "What happened in “<title>”?".

    Newest by article date, then by indexing time; titles are shortened to a chip's width.
    Articles that tie (undated ones indexed by one build) are taken spread over their order,
    not the first few: those were all from one folder (BBC News: three business stories).

    Example:
        >>> from qa import Source
        >>> a = ArticleInfo(Source("x", "Lighthouse restored", "x.txt", "2025-09-09"), 1, "2025-09-10T00:00:00")
        >>> starter_questions([a])
        ['What happened in “Lighthouse restored”?']
    """

    def newness(a: ArticleInfo) -> tuple[str, str]:
        return a.source.date or "", a.indexed_at

    newest = sorted(articles, key=newness, reverse=True)
    questions: list[str] = []
    for info in (a for _, tied in groupby(newest, key=newness) for a in _spread(list(tied), limit)):
        title = _starter_title(" ".join(info.source.title.split()))
        # Measured over 60 BBC articles (2026-12-01): this form is answered for 57 and leads
        # with its own article for 38; "What about “…”?" (until then) for 53 and 31.
        question = f"What happened in “{title}”?"
        if title and question not in questions:
            questions.append(question)
        if len(questions) == limit:
            break
    return questions


def _spread(items: list[ArticleInfo], picks: int) -> list[ArticleInfo]:
    """`items` reordered so that the first `picks` are evenly spaced over them, then the rest
    in order (a pick whose title is taken or empty falls through to them).

    Example:
        >>> from qa import Source
        >>> [a.source.title for a in _spread([ArticleInfo(Source(t, t, t), 1, "") for t in "abcdefg"], 3)]
        ['a', 'c', 'e', 'b', 'd', 'f', 'g']
    """
    first = sorted({n * len(items) // picks for n in range(min(picks, len(items)))})
    taken = set(first)
    return [items[n] for n in first] + [a for n, a in enumerate(items) if n not in taken]


def _starter_title(title: str, width: int = 60) -> str:
    """A title short enough for a starter card: cut at its last clause break within `width`
    (an article without a title is titled with its first sentence), else at a word, with "…".

    Example:
        >>> _starter_title("As Canadian leader Mark Carney arrives in China on Wednesday, his hosts see an …")
        'As Canadian leader Mark Carney arrives in China on Wednesday'
    """
    if len(title) <= width:
        return title.rstrip(" .?!")
    head = title[: width + 2]  # a break just after `width` characters still counts
    cut = max(head.rfind(mark) for mark in (", ", "; ", ": ", " – ", " — "))
    # Only a break that keeps half the width: an early comma in a headline joins list items
    # ("Dozens of Republican, Democratic lawmakers leaving Congress …" gave "Dozens of Republican").
    if cut >= width // 2:
        return head[:cut].rstrip(" .?!")
    return shortened(title, width).rstrip(" .?!")


def chat_title(question: str) -> str:
    """A conversation's name in the sidebar: its first question, shortened, with a bidi
    override shown as a mark as everywhere else (the sidebar read the title backwards)."""
    return shortened(" ".join(visible(question).split()), 48) or "New chat"
