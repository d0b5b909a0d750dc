"""The browser app's HTML and text, from constructed answers (no browser, no model)."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from qa import Answer, AnswerSentence, ArticleInfo, Citation, Sentence, Source
from qa.answering import NOT_FOUND
from qa.retrieval import Hit

BODY = (
    "The harbour was quiet. The old lighthouse at Kestrel Point was restored by volunteers over two years. "
    "Its lamp was relit on Sunday. Nobody expected the crowd."
)
SOURCE = Source("light-1", "Lighthouse <b>restored</b>", "light.txt", "2025-09-09", "Coast News")


def sentence_at(text: str, n: int = 1, span: str | None = None, context: str | None = None) -> AnswerSentence:
    start = BODY.index(text)
    citation = Citation(n, SOURCE, text, start, start + len(text), BODY, 0, len(BODY), 0.7)
    span_offsets = None
    if span is not None:
        a = BODY.index(span, start)
        span_offsets = (a, a + len(span))
    ctx = None
    if context is not None:
        c = BODY.index(context)
        ctx = Sentence(context, c, c + len(context))
    return AnswerSentence(text, citation, 0.7, span_offsets, ctx)


RESTORED = "The old lighthouse at Kestrel Point was restored by volunteers over two years."
RELIT = "Its lamp was relit on Sunday."


def found(*sentences: AnswerSentence, confidence: float = 0.31) -> Answer:
    text = " ".join(f"{s.text} [{s.citation.n}]" for s in sentences)
    return Answer("Who restored the lighthouse?", True, text, sentences, (), confidence)


def test_answer_span_is_marked_inside_its_sentence_and_context_is_muted() -> None:
    from ui.render import render_answer

    s = sentence_at(RESTORED, span="volunteers", context="The harbour was quiet.")
    html_out = render_answer(found(s), turn=2)
    assert '<span class="qa-context">The harbour was quiet.</span>' in html_out
    assert 'restored by <mark class="qa-span">volunteers</mark> over two years.' in html_out
    assert 'href="#qa-t2-s0"' in html_out
    assert "title=" not in html_out  # the popover replaces the browser tooltip


def test_span_outside_its_sentence_is_ignored_not_misplaced() -> None:
    from ui.render import render_answer

    s = sentence_at(RESTORED)
    bad = AnswerSentence(s.text, s.citation, s.score, (0, 5))  # "The h", in another sentence
    assert "qa-span" not in render_answer(found(bad))


def test_every_marker_links_to_its_own_sentence_in_the_panel() -> None:
    from ui.render import render_answer, render_sources

    answer = found(sentence_at(RESTORED), sentence_at(RELIT))
    message, panel = render_answer(answer, turn=1), render_sources(answer, turn=1)
    targets = re.findall(r'class="qa-cite" href="#([^"]+)"', message)
    assert targets == ["qa-t1-s0", "qa-t1-s1"]  # same article [1], two different sentences
    for target, text in zip(targets, (RESTORED, RELIT)):
        assert re.search(
            rf'<mark class="qa-cited" id="{target}">{re.escape(text)}</mark><sup class="qa-badge">\[1\]', panel
        )


def test_only_cited_sentences_are_highlighted() -> None:
    from ui.render import render_sources

    panel = render_sources(found(sentence_at(RELIT)))
    assert re.findall(r'<mark class="qa-cited"[^>]*>(.*?)</mark>', panel) == [RELIT]
    assert "The harbour was quiet." in panel and "Nobody expected the crowd." in panel  # shown, not marked


def test_popover_holds_sentence_title_and_date_escaped() -> None:
    from ui.render import render_answer

    html_out = render_answer(found(sentence_at(RESTORED, context="The harbour was quiet.")))
    pop = re.search(r'<span class="qa-pop" hidden>(.*?)</span></a>', html_out).group(1)
    assert RESTORED in pop and "The harbour was quiet." in pop
    assert "Lighthouse &lt;b&gt;restored&lt;/b&gt; · 2025-09-09" in pop


def test_copy_text_is_plain_answer_then_numbered_sources() -> None:
    from ui.render import plain_text, render_answer

    answer = found(sentence_at(RESTORED))
    assert plain_text(answer) == (f"{RESTORED} [1]\n\nSources\n[1] Lighthouse <b>restored</b> — 2025-09-09 — light-1")
    hidden = re.search(r'<span class="qa-plain" hidden>(.*?)</span>', render_answer(answer)).group(1)
    assert "\n" not in hidden and "&#10;&#10;Sources&#10;" in hidden  # newlines survive the Chatbot
    assert "&lt;b&gt;" in hidden


@pytest.mark.parametrize(("confidence", "width", "words"), [(0.31, 31, "low"), (0.55, 55, "medium"), (0.9, 90, "high")])
def test_confidence_bar_and_number_are_one_scale(confidence: float, width: int, words: str) -> None:
    from ui.render import render_sources

    panel = render_sources(found(sentence_at(RESTORED), confidence=confidence))
    assert f'style="width:{width}%"' in panel
    assert f"{width}% · {words} confidence" in panel
    assert "match" not in panel  # no second scale with its own words


def test_not_found_escapes_hits_and_says_no_source() -> None:
    from ui.render import render_not_found, render_sources

    hit_text = "<img src=x onerror=alert(1)>"
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
    answer = Answer("q", False, NOT_FOUND, (), (hit,), 0.1)
    html_out = render_not_found(answer)
    assert "<img" not in html_out and "&lt;img src=x onerror=alert(1)&gt;" in html_out
    assert "&lt;b&gt;T&lt;/b&gt;" in html_out
    assert "No source" in render_sources(answer) and "10% · low confidence" in render_sources(answer)


def test_far_text_is_elided_around_cited_sentences() -> None:
    from ui.render import marked_passage

    far = "Filler words here. " * 40
    passage = far + "The cited <b>sentence</b>." + " Closing remark." + far
    start = len(far)
    end = start + len("The cited <b>sentence</b>.")
    citation = Citation(1, Source("a", "T", "a.txt"), passage[start:end], start, end, passage, 0, len(passage), 0.7)
    html_out = marked_passage([(0, AnswerSentence(citation.sentence, citation, 0.7))], context=60)
    assert '<mark class="qa-cited" id="qa-t0-s0">The cited &lt;b&gt;sentence&lt;/b&gt;.</mark>' in html_out
    assert html_out.count("…") == 2 and len(html_out) < len(passage)
    assert "Closing remark." in html_out


def test_a_passage_keeps_its_paragraphs_apart_and_its_wrapped_lines_together() -> None:
    from ui.render import marked_passage

    passage = "The bank cut rates.\n\nInflation: 2.3% in January\n\nUnemployment: 5.1%\n\nIt met on\nThursday."
    start = passage.index("Unemployment")
    end = start + len("Unemployment: 5.1%")
    citation = Citation(1, Source("a", "T", "a.md"), passage[start:end], start, end, passage, 0, len(passage), 0.7)
    html_out = marked_passage([(0, AnswerSentence(citation.sentence, citation, 0.7))])
    assert html_out == (
        '<p class="qa-passage">The bank cut rates.<br>Inflation: 2.3% in January<br>'
        '<mark class="qa-cited" id="qa-t0-s0">Unemployment: 5.1%</mark><sup class="qa-badge">[1]</sup>'
        "<br>It met on\nThursday.</p>"
    )


def test_panel_keeps_every_turn_newest_open() -> None:
    from ui.render import EMPTY_PANEL, render_panel

    assert render_panel([]) == EMPTY_PANEL
    html_out = render_panel([("first <q>", "<p>one</p>"), ("second", "<p>two</p>")])
    assert html_out.index('id="qa-t1" open') < html_out.index('id="qa-t0"')
    assert 'id="qa-t0" open' not in html_out and "first &lt;q&gt;" in html_out


def test_starters_ask_about_the_newest_articles() -> None:
    from ui.render import starter_questions

    def info(title: str, date: str | None, indexed: str = "2026-01-01T00:00:00") -> ArticleInfo:
        return ArticleInfo(Source(title, title, f"{title}.txt", date), 1, indexed)

    articles = [
        info("Old news", "2020-01-01"),
        info("Rovers win the cup", "2025-05-18"),
        info("Undated piece", None, "2026-02-01T00:00:00"),
        info("Markets slide on rate fears", "2025-06-01"),
        info("Markets slide on rate fears", "2025-06-01"),  # same title twice: one starter
        info("A very long title " + "that goes on " * 10, "2024-01-01"),
        info("As Canadian leader Mark Carney arrives in China on Wednesday, his hosts see an …", "2023-01-01"),
        info("Dozens of Republican, Democratic lawmakers leaving Congress ...", "2022-01-01"),
    ]
    assert starter_questions(articles, limit=5) == [
        "What happened in “Markets slide on rate fears”?",
        "What happened in “Rovers win the cup”?",
        "What happened in “A very long title that goes on that goes on that goes on …”?",
        # a first sentence as title: cut where its clause ends, not mid-phrase
        "What happened in “As Canadian leader Mark Carney arrives in China on Wednesday”?",
        # an early comma joins list items: cut at a word instead
        "What happened in “Dozens of Republican, Democratic lawmakers leaving …”?",
    ]
    assert starter_questions([]) == []


def test_titles_and_questions_without_spaces_are_cut_inside_a_word() -> None:
    """Cut at words, a 65-character Chinese headline was "…" alone: in the starter card,
    the sidebar and the sources panel."""
    from ui.render import chat_title, render_panel, starter_questions

    headline = "加拿大总理卡尼抵达北京开始为期四天的访问" * 5
    (starter,) = starter_questions([ArticleInfo(Source("cn", headline, "cn.txt", "2026-02-01"), 1, "2026-02-01")])
    assert starter.startswith("What happened in “加拿大总理卡尼抵达北京") and len(starter) < 90, starter
    assert chat_title(headline).startswith("加拿大总理") and chat_title(headline).endswith("…")
    assert len(chat_title(headline)) == 48
    assert "x" * 80 in render_panel([("x" * 200, "")]), "the question's summary in the sources panel"


def test_a_bidi_override_in_a_question_is_a_mark_in_the_sidebar_title() -> None:
    from ui.render import chat_title

    # The sidebar read "did sffirat tahW ?esopmi uaedurT"; the bubble showed the mark.
    assert chat_title("\u202eWhat tariffs did Trudeau impose?") == "\ufffdWhat tariffs did Trudeau impose?"


def test_markdown_in_article_titles_is_escaped_for_the_delete_prompt() -> None:
    from ui.articles import _md

    assert _md("*Big* <script>x</script> [link](y)") == ("\\*Big\\* &lt;script&gt;x&lt;/script&gt; \\[link\\]\\(y\\)")


def test_pdf_citations_show_their_pages_in_popover_sources_panel_and_copy() -> None:
    from ui.render import plain_text, render_answer, render_sources

    paged = Source("light.pdf", "Lighthouse restored", "light.pdf", "2025-09-09", pages=(0, BODY.index(RELIT)))
    first, second = (
        replace(s, citation=replace(s.citation, source=paged)) for s in (sentence_at(RESTORED), sentence_at(RELIT))
    )
    answer = found(first, second)
    html_out = render_answer(answer)
    pops = re.findall(r'<span class="qa-pop-source">(.*?)</span>', html_out)
    assert pops == ["[1] Lighthouse restored · 2025-09-09 · p. 1", "[1] Lighthouse restored · 2025-09-09 · p. 2"]
    assert 'aria-label="Source 1: Lighthouse restored, 2025-09-09, p. 2"' in html_out
    assert '<span class="qa-meta">2025-09-09 · light.pdf · pp. 1, 2</span>' in html_out
    assert "2025-09-09 · light.pdf · pp. 1, 2</div>" in render_sources(answer)
    assert plain_text(answer).endswith("[1] Lighthouse restored — 2025-09-09 — light.pdf — pp. 1, 2")
    # a text article has no pages: nothing is added
    assert "p. " not in render_answer(found(sentence_at(RESTORED)))


def test_no_source_says_whether_the_filters_left_nothing_to_search() -> None:
    from qa.retrieval import Hit
    from ui.render import render_sources

    nothing = Answer("Who won?", False, NOT_FOUND, (), (), 0.0)
    assert "No source: no article passed the filters in Options." in render_sources(nothing)
    hit = Hit(1, 0.2, SOURCE, 1, BODY, 0, len(BODY), (), 0.2, 0.0)
    unanswered = Answer("Who won?", False, NOT_FOUND, (), (hit,), 0.05)
    assert "No source: the articles do not answer this question." in render_sources(unanswered)


def test_a_deleted_chat_can_be_restored_until_the_next_action() -> None:
    from ui.chat import add_turn, remove_current, restore_deleted, undo_button

    turn = {"question": "What tariffs did Trudeau impose?", "search_text": "x", "message": "m", "sources": "s"}
    store = add_turn({"current": "", "chats": []}, turn)
    store = add_turn({**store, "current": ""}, {**turn, "question": "Who won?"})
    assert [c["title"] for c in store["chats"]] == ["Who won?", "What tariffs did Trudeau impose?"]  # newest first
    first, second = sorted(store["chats"], key=lambda c: c["title"])  # "What tariffs…", "Who won?"
    store = {**store, "current": first["id"]}

    deleted = remove_current(store)
    assert [c["id"] for c in deleted["chats"]] == [second["id"]] and deleted["current"] == ""
    label = "Undo delete: What tariffs did Trudeau impose?"
    assert undo_button(deleted) == {"__type__": "update", "visible": True, "value": label}

    back = restore_deleted(deleted)
    assert back["current"] == first["id"] and {c["id"] for c in back["chats"]} == {first["id"], second["id"]}
    assert "deleted" not in back and undo_button(back) == {"__type__": "update", "visible": False}
    # A question asked after the deletion makes it final: nothing is kept to restore.
    assert "deleted" not in add_turn({**deleted, "current": ""}, turn)
    assert remove_current({"current": "", "chats": [second]}) == {"current": "", "chats": [second]}


def test_saved_conversations_stay_within_the_browsers_storage_oldest_first() -> None:
    """Past ~5 MB the browser refused every save, silently: the newest turns were lost."""
    import json

    from ui.chat import MAX_STORE_CHARS, add_turn, current_chat, within_storage

    pasted = {"question": "q" * 18_000, "search_text": "x", "message": "m" * 60_000, "sources": "s"}
    store: dict = {"current": "", "chats": []}
    dropped = 0
    for n in range(60):  # 60 turns of pasted articles (4.7 MB), a new chat every 10
        question = {**pasted, "question": f"{n}?"}
        store, went = within_storage(add_turn({**store, "current": "" if n % 10 == 0 else store["current"]}, question))
        dropped += went
    assert dropped >= 2 and 4 * len(json.dumps(store["chats"], ensure_ascii=False).encode()) // 3 <= MAX_STORE_CHARS
    assert [t["question"] for t in current_chat(store)["turns"]] == [f"{n}?" for n in range(50, 60)]  # whole
    one, dropped = within_storage({"current": "a", "chats": [{"id": "a", "turns": [pasted] * 3}]}, limit=150_000)
    assert dropped == 2 and len(one["chats"][0]["turns"]) == 1  # its last turn always stays


def test_the_storage_budget_counts_what_is_stored_not_characters() -> None:
    """Russian text takes ~2.7 stored characters a letter: counted in characters it overflowed."""
    from ui.chat import MAX_STORE_CHARS, within_storage

    russian = {"question": "в" * 10_000, "message": "ж" * 40_000}
    store = {"current": "a", "chats": [{"id": "a", "turns": [russian] * 80}]}
    kept, _ = within_storage(store)
    stored = 4 * len(json.dumps(kept["chats"], ensure_ascii=False).encode("utf-8")) // 3
    assert stored <= MAX_STORE_CHARS and len(kept["chats"][0]["turns"]) < 80


def test_a_thumb_is_kept_on_its_own_turn_and_can_be_taken_back() -> None:
    from ui.chat import add_turn, conversation, current_chat, with_verdict

    turn = {"question": "Q?", "search_text": "x", "message": "m", "sources": "s"}
    store = add_turn(add_turn({"current": "", "chats": []}, turn), {**turn, "question": "Q2?"})
    liked = with_verdict(store, 1, "Like")
    assert [t.get("verdict") for t in current_chat(liked)["turns"]] == [None, "Like"]
    assert conversation(current_chat(liked))["feedback_value"] == [None, "Like"]
    assert [t.get("verdict") for t in current_chat(with_verdict(liked, 1, None))["turns"]] == [None, None]
    assert with_verdict(liked, 5, "Dislike") == liked  # no such turn: unchanged
    assert "verdict" not in current_chat(store)["turns"][1]  # the store given is not modified


def test_a_bidi_override_in_an_article_shows_as_a_mark_and_turns_nothing_around() -> None:
    """U+202E in a cited sentence turned the rest of it around on the page (and its [n] marker);
    it shows as one replacement character, so the marked span after it stays in place."""
    from ui.render import render_answer, render_sources

    body = "Officials said the \u202eyaw eht fo tuo\u202c vote was close. The count ended at dawn."
    text = "Officials said the \u202eyaw eht fo tuo\u202c vote was close."
    start, span = body.index(text), body.index("vote")
    citation = Citation(1, SOURCE, text, start, start + len(text), body, 0, len(body), 0.7)
    result = Answer(
        "What did officials say?",
        True,
        f"{text} [1]",
        (AnswerSentence(text, citation, 0.7, (span, span + 4)),),
        (),
        0.8,
    )
    pages = {"answer": render_answer(result), "sources": render_sources(result)}  # the copy text is in the answer
    for name, shown in pages.items():
        assert "\u202e" not in shown and "\u202c" not in shown, name
        assert "the \ufffdyaw eht fo tuo\ufffd " in shown, name
    assert '\ufffd <mark class="qa-span">vote</mark> was close.' in pages["answer"]
    copied = re.search(r'<span class="qa-plain" hidden>(.*?)</span>', pages["answer"]).group(1)
    assert copied.startswith("Officials said the \ufffdyaw eht fo tuo\ufffd vote was close. [1]")


def test_starters_over_undated_articles_are_spread_over_the_collection() -> None:
    # BBC News has no dates and one build indexes it all at once: every article ties, and the
    # first three in order were all business stories.
    from ui.render import starter_questions

    topics = ("business", "entertainment", "politics", "sport", "tech")
    articles = [
        ArticleInfo(Source(f"{t}/{n:03}", f"{t.title()} story {n}", "bbc.jsonl"), 1, "2026-12-01T10:00:00")
        for t in topics
        for n in range(1, 101)
    ]
    assert starter_questions(articles) == [
        "What happened in “Business story 1”?",
        "What happened in “Entertainment story 67”?",
        "What happened in “Sport story 34”?",
    ]
    # a dated article is still newer than all of them; ties after it are spread again
    dated = ArticleInfo(Source("new", "Rovers win the cup", "new.txt", "2025-05-18"), 1, "2026-12-01T10:00:00")
    assert starter_questions([*articles, dated], limit=2) == [
        "What happened in “Rovers win the cup”?",
        "What happened in “Business story 1”?",
    ]


def test_an_undated_source_says_no_date_where_a_date_would_be() -> None:
    # as qa ask says it: an undated article's line read as a dated one's
    from ui.render import render_answer, render_sources

    s = sentence_at(RESTORED)
    undated = replace(s, citation=replace(s.citation, source=replace(SOURCE, date=None)))
    assert "no date · Coast News · light-1" in render_sources(found(undated))
    assert "no date · Coast News" in render_answer(found(undated))
    assert "no date" not in render_sources(found(s)) + render_answer(found(s))
