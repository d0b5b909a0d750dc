from __future__ import annotations

import codecs
import json
import os
import random
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from qa.articles import Article, ReadLimits, ReadResult, Source, default_title, read_articles, read_file
from qa.errors import ConfigError
from tests.conftest import SEED


def fields(result: ReadResult) -> list[tuple[str | None, str | None, str | None, str]]:
    """(title, date, publisher, body) of each article read, in order."""
    return [(a.source.title, a.source.date, a.source.publisher, a.body) for a in result.articles]


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_seed_inline_date_is_parsed_and_removed_from_body():
    article = read_file(SEED, SEED.name).articles[0]
    assert article.source.date == "2026-01-13"
    assert article.body.startswith("As Canadian leader Mark Carney arrives in China")
    assert "date 2026" not in article.body
    assert article.source.article_id == SEED.name


def test_article_without_title_gets_its_first_sentence_shortened_at_a_word():
    article = read_file(SEED, SEED.name).articles[0]
    assert article.source.title == "As Canadian leader Mark Carney arrives in China on Wednesday, his hosts see an …"
    assert len(article.source.title) <= 80
    assert default_title("Short one. Second.") == "Short one."


def test_text_headers(tmp_path):
    write(
        tmp_path, "a.txt", "Title: Big news\nDate: 2025-02-03\nSource: Wire\nURL: https://x.test/a\n\nBody text here."
    )
    a = read_articles(tmp_path).articles[0]
    assert (a.source.title, a.source.date, a.source.publisher, a.source.url, a.body) == (
        "Big news",
        "2025-02-03",
        "Wire",
        "https://x.test/a",
        "Body text here.",
    )


@pytest.mark.parametrize(
    "written, read",
    [
        ("January 16, 2026", "2026-01-16"),
        ("Friday, Jan. 16, 2026", "2026-01-16"),
        ("16 January 2026 08:00 EST", "2026-01-16"),
        ("Fri, 16 Jan 2026 23:30:00 -0500", "2026-01-16"),  # RSS: the date as written, not moved to UTC
        ("2026-01-16T23:30:00-05:00", "2026-01-16"),
        ("January 2026", None),  # no day
        ("03/04/2026", None),  # March in the US, April elsewhere
        ("13/04/2026", "2026-04-13"),  # one day whichever comes first, as the filters read it
        ("04.13.2026", "2026-04-13"),
        ("sometime soon", None),
        ("to be confirmed by the ministry later", None),  # a sentence, not a date: body text
    ],
)
def test_dates_written_in_words_are_read_and_ambiguous_ones_are_not(tmp_path, written, read):
    write(tmp_path, "a.txt", f"Title: Canola deal\nDate: {written}\n\nBody text here.")
    write(tmp_path, "b.jsonl", json.dumps({"text": "Body text here.", "date": written}) + "\n")
    result = read_articles(tmp_path)
    a, b = result.articles
    assert (a.source.date, b.source.date) == (read, read)
    # "Date: January 2026" and "Date: sometime soon" are still header lines, their date not
    # read, and a warning says so
    header = read is not None or any(c.isdigit() for c in written) or len(written.split()) <= 3
    assert a.body == "Body text here." if header else a.body.startswith(f"Date: {written}")
    unread = [w for w in result.warnings if w.path == "a.txt"]
    assert [w.reason.split(" not read")[0] for w in unread] == ([] if read or not header else [f"date {written!r}"])


def test_an_impossible_date_is_a_warning_that_says_so_and_a_year_first_date_with_dashes_is_read(tmp_path):
    for n, date in enumerate(("2025-13-45", "2026-02-30", "2026-01-16T25:00:00", "2026-1-6")):
        write(tmp_path, f"{n}.txt", f"Title: Vote\nDate: {date}\n\nThe council voted on the budget.\n")
    result = read_articles(tmp_path)
    assert [a.source.date for a in result.articles] == [None, None, None, "2026-01-06"]
    assert [str(w) for w in result.warnings] == [
        f"{n}.txt: date {date!r} not read (no such date or time of day); write it as 2026-01-16 or January 16, 2026"
        for n, date in enumerate(("2025-13-45", "2026-02-30", "2026-01-16T25:00:00"))
    ]


def test_headline_over_a_published_line_gives_title_and_date_and_a_published_sentence_is_body(tmp_path):
    write(tmp_path, "a.txt", "Canola deal signed\n\nPublished: January 16, 2026\nSource: Wire\n\nBody text here.")
    write(tmp_path, "b.txt", "Published reports say the deal is near. More text.")
    write(tmp_path, "c.txt", "Short first line\nThen the body goes on. Source: a person close to the talks.")
    a, b, c = read_articles(tmp_path).articles
    assert (a.source.title, a.source.date, a.source.publisher, a.body) == (
        "Canola deal signed",
        "2026-01-16",
        "Wire",
        "Body text here.",
    )
    assert b.source.date is None and b.body.startswith("Published reports say")
    # a short line straight above the text is its headline; "Source:" inside a sentence is not a header
    assert (c.source.title, c.source.publisher) == ("Short first line", None)
    assert c.body == "Then the body goes on. Source: a person close to the talks."


@pytest.mark.parametrize(
    ("text", "title", "date", "body"),
    [
        (
            "Markets tumble on tariff fears\nStocks fell sharply on Monday after the White House spoke. "
            "The Dow lost 2%.",
            "Markets tumble on tariff fears",
            None,
            "Stocks fell sharply on Monday after the White House spoke. The Dow lost 2%.",
        ),
        (
            "Oil prices jump after pipeline attack\nMarch 3, 2025\n\nOil prices rose 4% on Monday.",
            "Oil prices jump after pipeline attack",
            "2025-03-03",
            "Oil prices rose 4% on Monday.",
        ),
        (  # set apart by a blank line, as BBC News files are: it was cited as a sentence
            "Volcano erupts on remote island\n\nA volcano on the remote island of Tern erupted on Sunday.\n\n"
            "Residents left by boat.",
            "Volcano erupts on remote island",
            None,
            "A volcano on the remote island of Tern erupted on Sunday.\n\nResidents left by boat.",
        ),
        (  # a first paragraph that ends as a sentence does is text, blank line or not
            "The volcano erupted.\n\nResidents of the remote island of Tern left by boat on Sunday.",
            "The volcano erupted.",
            None,
            "The volcano erupted.\n\nResidents of the remote island of Tern left by boat on Sunday.",
        ),
        (  # hard-wrapped prose: its first line is no headline
            "As Canadian leader Mark Carney arrives in China on Wednesday, his hosts\n"
            "See an opportunity to peel the longtime US ally away from their rival.",
            "As Canadian leader Mark Carney arrives in China on Wednesday, his hosts See an …",
            None,
            "As Canadian leader Mark Carney arrives in China on Wednesday, his hosts\n"
            "See an opportunity to peel the longtime US ally away from their rival.",
        ),
    ],
)
def test_a_headline_above_the_text_is_the_title(tmp_path, text, title, date, body):
    write(tmp_path, "a.txt", text)
    article = read_articles(tmp_path).articles[0]
    assert (article.source.title, article.source.date, article.body) == (title, date, body)


def test_a_date_header_in_words_is_taken_off_with_a_warning_not_made_the_title(tmp_path):
    write(tmp_path, "a.txt", "Date: yesterday\n\nOil prices rose on Monday as supply fell.")
    result = read_articles(tmp_path)
    article = result.articles[0]
    assert (article.source.title, article.source.date) == ("Oil prices rose on Monday as supply fell.", None)
    assert article.body == "Oil prices rose on Monday as supply fell."
    assert [w.reason for w in result.warnings] == [
        "date 'yesterday' not read (not a date); write it as 2026-01-16 or January 16, 2026"
    ]


def test_front_matter_published_is_the_date(tmp_path):
    write(tmp_path, "a.md", '---\ntitle: Turnout falls\npublished: "March 3, 2025"\n---\n\nTurnout fell to 41%.')
    article = read_articles(tmp_path).articles[0]
    assert (article.source.title, article.source.date, article.body) == (
        "Turnout falls",
        "2025-03-03",
        "Turnout fell to 41%.",
    )


def test_front_matter_in_toml_and_with_the_keys_json_exports_use_is_read_not_quoted(tmp_path):
    toml = '+++\ntitle = "Solar farm opens"\ndate = 2025-04-12T08:00:00+02:00\ndraft = false\n+++\n\nThe farm opened.'
    write(tmp_path, "hugo.md", toml)
    write(tmp_path, "bad.md", "+++\ntitle = unquoted\n+++\n\nThe block does not parse.")
    yaml = "---\nheadline: Tram line approved\npublished_at: 2025-05-05\npublisher: City Times\n---\n\nThe tram runs."
    write(tmp_path, "jekyll.md", yaml)
    found = {a.source.article_id: a for a in read_articles(tmp_path).articles}
    seen = {k: (a.source.title, a.source.date, a.source.publisher, a.body) for k, a in found.items()}
    assert seen == {
        "hugo.md": ("Solar farm opens", "2025-04-12", None, "The farm opened."),
        "bad.md": ("The block does not parse.", None, None, "The block does not parse."),
        "jekyll.md": ("Tram line approved", "2025-05-05", "City Times", "The tram runs."),
    }


def test_headline_publisher_and_byline_lines_are_headers_too(tmp_path):
    headers = "Headline: Port strike ends\nByline: Tom Brown\nPublished: 12 June 2025\nPublisher: Harbour Post\n\n"
    write(tmp_path, "a.txt", headers + "Dockworkers ended their strike.")
    article = read_articles(tmp_path).articles[0]
    seen = (article.source.title, article.source.date, article.source.publisher, article.body)
    assert seen == ("Port strike ends", "2025-06-12", "Harbour Post", "Dockworkers ended their strike.")


def test_an_author_line_among_the_headers_does_not_end_them(tmp_path):
    headers = "Title: Port reopens\nDate: 2025-03-03\nAuthor: Jane Roe\nSource: The Gazette\n\n"
    write(tmp_path, "a.txt", headers + "Ships docked.")
    article = read_articles(tmp_path).articles[0]
    assert (article.source.title, article.source.publisher) == ("Port reopens", "The Gazette")
    assert article.body == "Ships docked."
    write(tmp_path, "b.txt", "Author Jane Roe wrote the report. It was long.")  # no colon: a sentence
    assert read_articles(tmp_path).articles[1].body.startswith("Author Jane Roe wrote")


@pytest.mark.parametrize(
    "headers, title, date, publisher",
    [
        ("Title: \nDate: 2025-01-01\nSource: Wire\n", None, "2025-01-01", "Wire"),  # it was titled "Title:"
        ("Title: Budget\nDate:\nSource: Wire\n", "Budget", None, "Wire"),  # "Source:" stayed in the text
        ("Title: Budget\nCategory: Politics\nTags: council, tax\nDate: 2025-01-01\n", "Budget", "2025-01-01", None),
        ("Title: Budget\nDate: 2025-01-01\nDate: 2025-01-01\n", "Budget", "2025-01-01", None),
    ],
)
def test_empty_and_unknown_header_lines_do_not_end_the_header_lines(tmp_path, headers, title, date, publisher):
    body = "The council met on Monday to discuss the budget for next year."
    write(tmp_path, "a.txt", headers + "\n" + body + "\n")
    result = read_articles(tmp_path)
    [article] = result.articles
    assert (article.source.date, article.source.publisher, article.body) == (date, publisher, body)
    assert article.source.title == (title or body)
    assert result.warnings == ()


def test_header_and_front_matter_corner_cases_of_a_review(tmp_path):
    body = "The bank cut rates on Monday, its first cut in two years."
    # An unknown header line first: it was the title, and the real one was "not used".
    write(tmp_path, "a.txt", f"Category: Politics\nTitle: Rates cut\nDate: 2026-01-16\n\n{body}\n")
    # A sentence-like "Update: …." line over a header line is the text's.
    write(tmp_path, "b.txt", f"Title: Rates cut\nUpdate: The bank cut rates.\nAuthor: Jane Doe\n\n{body}\n")
    # A front matter warning kept the headline under it in the text.
    write(tmp_path, "c.md", f"+++\ntitle = broken\n+++\n\nMarkets tumble on tariff fears\n\n{body}\n")
    # A value YAML reads as a list is taken as written (it was dropped); a comment is YAML's.
    write(tmp_path, "d.md", f"---\ntitle: Rates cut # check\nsource: [Update]\n---\n\n{body}\n")
    # A headline with a colon over header lines is the headline, not an unknown header line.
    write(tmp_path, "e.txt", f"Exclusive: Bank to cut rates\nDate: 2026-01-16\n\n{body}\n")
    write(tmp_path, "f.txt", f"Title: Rates cut\nUpdate: The bank cut rates. \nAuthor: Jane Doe\n\n{body}\n")
    result = read_articles(tmp_path)
    assert fields(result) == [
        ("Rates cut", "2026-01-16", None, body),
        ("Rates cut", None, None, f"Update: The bank cut rates.\nAuthor: Jane Doe\n\n{body}"),
        ("Markets tumble on tariff fears", None, None, body),
        ("Rates cut", None, "[Update]", body),
        ("Exclusive: Bank to cut rates", "2026-01-16", None, body),
        ("Rates cut", None, None, f"Update: The bank cut rates. \nAuthor: Jane Doe\n\n{body}"),  # a space after "."
    ]
    assert [w.path for w in result.warnings] == ["c.md"]  # the TOML that does not parse


@pytest.mark.parametrize(
    ("name", "text", "title", "date"),
    [
        # Unknown header lines over known ones: the whole block went into the text, undated.
        ("a.txt", "Category: Politics\nTags: economy, rates\nDate: 2026-01-16\nSource: BBC\n\n", None, "2026-01-16"),
        ("b.txt", "Analysis: Why the bank cut\nCategory: Economy\nAuthor: Jane Doe\n\n", None, None),
        ("c.txt", "Exclusive: Bank to cut rates\nDate: 2026-01-16\n\n", "Exclusive: Bank to cut rates", "2026-01-16"),
        # A Markdown heading under the header lines is the title, not the unknown line above them.
        ("d.md", "Category: Politics\nDate: 2026-01-16\n# Rates cut\n\n", "Rates cut", "2026-01-16"),
        # Unknown header lines under known ones, the last of the block: they stayed in the text.
        ("e.txt", "Title: Rates cut\nDate: 2026-01-16\nCategory: Politics\nTags: rates\n\n", "Rates cut", "2026-01-16"),
        ("f.txt", "Rates cut\nDate: 2026-01-16\nCategory: Politics\n\n", "Rates cut", "2026-01-16"),
    ],
)
def test_unknown_header_lines_over_known_ones_are_headers_and_a_headline_with_a_colon_is_one(
    tmp_path, name, text, title, date
):
    body = "The bank cut rates on Monday, its first cut in two years."
    write(tmp_path, name, text + body + "\n")
    [article] = read_articles(tmp_path).articles
    assert (article.source.title, article.source.date, article.body) == (title or body, date, body)


def test_a_repeated_header_line_with_another_value_is_taken_off_with_a_warning(tmp_path):
    write(tmp_path, "a.txt", "Title: Budget\nDate: 2025-01-01\nDate: 2025-01-02\n\nThe council met on Monday.\n")
    write(tmp_path, "b.txt", "Title: Budget\nDate: 2025-01-01\n\nNote: the council met on Monday.\n")
    # After a blank line, a field given above begins the text.
    write(tmp_path, "c.txt", "Title: Budget\nSource: AP\n\nSource: internal documents show cuts.\n")
    result = read_articles(tmp_path)
    assert [(a.source.date, a.body) for a in result.articles] == [
        ("2025-01-01", "The council met on Monday."),
        ("2025-01-01", "Note: the council met on Monday."),  # text: no header line follows it
        (None, "Source: internal documents show cuts."),
    ]
    assert [str(w) for w in result.warnings] == [
        "a.txt: header line 'Date: 2025-01-02' not used: a header line above gave that field and was kept; remove one"
    ]


def test_body_starting_with_a_header_word_is_not_a_header(tmp_path):
    write(tmp_path, "a.txt", "Source of the leak remains unknown, officials said. More text.")
    a = read_articles(tmp_path).articles[0]
    assert a.source.publisher is None
    assert a.body.startswith("Source of the leak")


def test_markdown_heading_is_the_title_and_front_matter_is_read(tmp_path):
    write(tmp_path, "a.md", "# Heading Title\n\nFirst paragraph. Second sentence.")
    write(tmp_path, "b.md", '---\ntitle: "Front"\ndate: 2024-01-02\n---\n\nBody.')
    found = {a.source.article_id: a for a in read_articles(tmp_path).articles}
    assert found["a.md"].source.title == "Heading Title"
    assert found["a.md"].body == "First paragraph. Second sentence."
    assert (found["b.md"].source.title, found["b.md"].source.date, found["b.md"].body) == (
        "Front",
        "2024-01-02",
        "Body.",
    )


def test_yaml_front_matter_is_read_as_yaml_and_a_malformed_or_unclosed_block_is_a_warning(tmp_path):
    body = "The solar farm opened on Saturday near the town."
    write(tmp_path, "a.md", f"---\ntitle: >\n  Solar farm\n  opens\ndate: 2025-04-12\n---\n\n{body}\n")
    write(tmp_path, "b.md", f"---\ntitle: 'It''s the \"final\" vote'\nsource: No\n---\n\n{body}\n")
    write(tmp_path, "c.md", f"---\ntitle: Unclosed\ndate: 2025-04-12\n\n{body}\n")
    # Not YAML (a second colon), as hand-written front matter often is: read line by line, and said.
    write(tmp_path, "d.md", f"---\ntitle: Breaking: rates cut\ndate: 2025-04-12\n---\n\n{body}\n")
    write(tmp_path, "e.md", f"---\n- a list\n- not fields\n---\n\n{body}\n")
    result = read_articles(tmp_path)
    assert fields(result) == [
        ("Solar farm opens", "2025-04-12", None, body),  # the title was ">"
        ('It\'s the "final" vote', None, "No", body),  # "It''s"; and "No" is text, not false
        ("Unclosed", "2025-04-12", None, body),  # the title was "---", the fields the text
        ("Breaking: rates cut", "2025-04-12", None, body),
        (body, None, None, body),
    ]
    assert [str(w) for w in result.warnings] == [
        "c.md: front matter has no closing '---' line; its lines were read as header lines",
        "d.md: front matter is not valid YAML (mapping values are not allowed here on line 2); its 'key: value' "
        "lines were read as they are",
        "e.md: front matter is not 'key: value' lines; its fields are left out",
    ]


def test_markdown_is_read_as_the_text_a_reader_sees(tmp_path):
    write(
        tmp_path,
        "vote.md",
        "---\ntitle: Council election results\ndate: 2025-05-02\n---\n\n# Council election results\n\n"
        "Labour won 31 seats, according to **official results** published on\nFriday.\n\n"
        "## Turnout\n\nTurnout was *62%*, the [electoral office](https://example.org/results) said.\n\n"
        "- Greens gained `4` seats\n- Liberals lost two\n\n1. Recount on Monday\n\n"
        '> "A historic night," the leader said.\n\n'
        "| Party | Seats |\n|---|---|\n| Labour | 31 |\n\n```\nseats = 31\n```\n\n"
        '![Count at the town hall](count.jpg)\n\n<div class="ad">Subscribe now</div>\n',
    )
    article = read_articles(tmp_path).articles[0]
    assert (article.source.title, article.source.date) == ("Council election results", "2025-05-02")
    assert article.body.split("\n\n") == [
        "Labour won 31 seats, according to official results published on Friday.",
        "Turnout",
        "Turnout was 62%, the electoral office said.",
        "Greens gained 4 seats",
        "Liberals lost two",
        "1. Recount on Monday",  # an ordered list keeps its numbers, as a reader sees them
        '"A historic night," the leader said.',
        "Party | Seats",
        "Labour | 31",
        "Count at the town hall",
    ]


def test_a_markdown_heading_title_and_any_link_read_as_their_words(tmp_path):
    # the title kept "<b>" and "*", and a "javascript:" link stayed Markdown in the text
    write(tmp_path, "bees.md", "# Bees *return* to <b>the</b> city\n\nSee [the report](javascript:alert(1)) now.")
    article = read_articles(tmp_path).articles[0]
    assert (article.source.title, article.body) == ("Bees return to the city", "See the report now.")


def test_what_a_script_or_style_tag_holds_in_markdown_is_not_article_text(tmp_path):
    # "called it alert(3) the biggest weekend" was cited: inline tags were dropped, their contents kept
    write(
        tmp_path,
        "fair.md",
        "# Fair <script>x()</script>opens\n\nThe mayor called it <script>alert(3)</script> the biggest "
        "<b>weekend</b>.<STYLE>p {color: red}</STYLE> Crowds came.\n",
    )
    article = read_articles(tmp_path).articles[0]
    assert (article.source.title, article.body) == (
        "Fair opens",
        "The mayor called it the biggest weekend. Crowds came.",
    )


def test_a_blogs_posted_on_line_dates_its_page_and_a_dated_headline_does_not(tmp_path):
    page = (
        "<html><head><title>Tech Daily — Seaweed batteries</title></head><body><p>{}</p>"
        "<p>A London startup that makes batteries from seaweed has raised $50m from investors, it said on "
        "Tuesday.</p><p>Chief executive Omar Said said the money would fund a factory in Wales.</p></body></html>"
    )
    write(tmp_path, "blog.html", page.format("Posted on 5 May 2025 by admin"))  # in no markup: it had no date
    write(tmp_path, "story.html", page.format("Floods of January 5, 1998 remembered"))  # a date the story mentions
    dates = {a.source.article_id: a.source.date for a in read_articles(tmp_path).articles}
    assert dates == {"blog.html": "2025-05-05", "story.html": None}


def test_html_main_text_and_title(tmp_path):
    html = (
        "<html><head><title>City opens new bridge</title><script>var x = 1;</script></head><body>"
        "<nav>Home | News | Sport</nav><article><h1>City opens new bridge</h1>"
        "<p>The mayor opened the new bridge on Monday after three years of work.</p>"
        "<p>Traffic is expected to ease across the river by the summer, engineers said.</p></article>"
        "<footer>Copyright 2025</footer></body></html>"
    )
    write(tmp_path, "bridge.html", html)
    a = read_articles(tmp_path).articles[0]
    assert a.source.title == "City opens new bridge"
    assert "The mayor opened the new bridge on Monday" in a.body
    assert "var x" not in a.body and "<p>" not in a.body


def test_an_xhtml_page_with_an_xml_declaration_is_read_and_an_unparsable_page_names_only_the_reason(tmp_path):
    page = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
        "<title>Harbour dredged | Port News</title></head><body><article><h1>Harbour dredged</h1>"
        "<p>The harbour was dredged last spring by the port authority, at a cost of four million pounds.</p>"
        "<p>Ships of deeper draught can now dock at the eastern quay, officials said on Monday.</p>"
        "</article></body></html>"
    )
    write(tmp_path, "xhtml.html", page)
    write(tmp_path, "comment.html", "<!-- nothing here -->")
    result = read_articles(tmp_path)
    [article] = result.articles
    assert article.source.title == "Harbour dredged"
    assert article.body.startswith("The harbour was dredged last spring")
    assert [str(s) for s in result.skipped] == ["comment.html: cannot parse HTML (Document is empty)"]


def test_html_headline_is_the_title_not_the_first_sentence(tmp_path):
    html = (
        "<html><head><title>Chipmaker opens $20bn plant in Ohio | Tech News</title></head><body><article>"
        "<h1>Chipmaker opens $20bn plant in Ohio</h1><p>Intel opened its first chip factory in Ohio on Tuesday.</p>"
        "<p>The company said production would start next year.</p></article></body></html>"
    )
    write(tmp_path, "chip.html", html)
    a = read_articles(tmp_path).articles[0]
    assert a.source.title == "Chipmaker opens $20bn plant in Ohio"  # the headline, without the site name
    # one paragraph per block: the headline no longer runs into the first sentence
    assert a.body == (
        "Intel opened its first chip factory in Ohio on Tuesday.\n\nThe company said production would start next year."
    )


@pytest.mark.parametrize(
    ("extra", "date"),
    [
        ("", None),  # only dates the story mentions, and a copyright year: no date, not 1998 or 2019-01-01
        ('<p class="byline">By Jane Doe · January 16, 2026</p>', "2026-01-16"),
        ('<time datetime="2026-01-16">16 January 2026</time>', "2026-01-16"),
    ],
)
def test_html_dates_come_from_markup_and_bylines_not_from_the_story(tmp_path, extra, date):
    html = (
        "<html><head><title>Library reopens | Town News</title></head><body><article><h1>Library reopens</h1>"
        f"{extra}<p>The town library reopened on Monday after a two-year renovation that added a reading garden.</p>"
        "<p>The library was first built on January 5, 1998, and has served the town ever since, the mayor said.</p>"
        "<p>Visitors queued from early morning to see the new rooms, and staff handed out cards all day.</p>"
        "</article><footer>Copyright © 2019 Harbor Times</footer></body></html>"
    )
    write(tmp_path, "library.html", html)
    assert read_articles(tmp_path).articles[0].source.date == date


def test_a_short_html_page_keeps_its_headline_byline_and_paragraphs_apart(tmp_path):
    html = (
        "<html><head><title>Ferry service resumes after storm | Harbor Times</title></head><body><article>"
        "<h1>Ferry service resumes after storm</h1><p class='byline'>By Jane Doe · January 16, 2026</p>"
        "<p>Ferry service between the islands resumed on Friday.</p>"
        "<p>The operator said all routes would run by Monday.</p></article></body></html>"
    )
    write(tmp_path, "ferry.html", html)
    article = read_articles(tmp_path).articles[0]
    assert (article.source.title, article.source.date) == ("Ferry service resumes after storm", "2026-01-16")
    assert article.body == (
        "Ferry service between the islands resumed on Friday.\n\nThe operator said all routes would run by Monday."
    )


def test_json_and_jsonl_records(tmp_path):
    write(
        tmp_path,
        "list.json",
        json.dumps(
            [
                {"id": "r1", "text": "First record text.", "title": "One", "date": "2024-06-01", "source": "S"},
                {"text": "Second record."},
            ]
        ),
    )
    write(tmp_path, "many.jsonl", '{"id": "a", "text": "Line one text."}\n{"text": "Line two."}\n')
    found = {a.source.article_id: a for a in read_articles(tmp_path).articles}
    assert set(found) == {"list.json#r1", "list.json#2", "many.jsonl#a", "many.jsonl#2"}
    assert (found["list.json#r1"].source.title, found["list.json#r1"].source.date) == ("One", "2024-06-01")
    assert found["many.jsonl#2"].source.title == "Line two."


def test_character_references_scraped_into_text_and_records_are_read_as_their_characters(tmp_path):
    # As BBC News' dataset has them: "Pel&#233; scored", the title "&#163;1.8m indecency fine".
    record = {
        "id": "e199",
        "title": "&#163;1.8m indecency fine for Viacom",
        "source": "BBC &amp; friends",
        "url": "https://example.com/a?x=1&amp;y=2",
        "text": "Pel&#233; scored reams of goals against them &lt;( says AT&T&#39;s R&D team.",
    }
    write(tmp_path, "bbc.jsonl", json.dumps(record) + "\n")
    write(tmp_path, "story.txt", "title: Caf&eacute; wins\n\nThe communiqu&#xE9; was signed &#8212; twice.\n")
    found = {a.source.article_id: a for a in read_articles(tmp_path).articles}
    bbc, story = found["bbc.jsonl#e199"], found["story.txt"]
    assert bbc.source.title == "£1.8m indecency fine for Viacom"
    assert bbc.source.publisher == "BBC & friends"
    assert bbc.source.url == "https://example.com/a?x=1&amp;y=2"  # an address is kept as given
    assert bbc.body == "Pelé scored reams of goals against them <( says AT&T's R&D team."
    assert (story.source.title, story.body) == ("Café wins", "The communiqué was signed — twice.")


def test_character_references_to_control_characters_or_none_stay_as_written(tmp_path):
    write(tmp_path, "a.txt", "An escape &#27; a bidi override &#8238; a nul &#0; &nosuch; and &amp without its end.\n")
    [article] = read_articles(tmp_path).articles
    assert article.body == "An escape &#27; a bidi override &#8238; a nul &#0; &nosuch; and &amp without its end."


def test_markdown_keeps_an_escaped_tag_as_text(tmp_path):
    # Decoding before the Markdown parser would make "&lt;b&gt;" a tag, which Markdown drops.
    write(tmp_path, "a.md", "# Tags\n\nWrite &lt;b&gt; for bold, said Pel&#233;.\n")
    [article] = read_articles(tmp_path).articles
    assert article.body == "Write <b> for bold, said Pelé."


def test_json_records_as_news_exports_write_them(tmp_path):
    """NewsAPI, schema.org, feed and CMS key names; a wrapper object; HTML bodies; fields that
    are not text and dates that cannot be read are left out with a warning, not quoted."""
    records = {
        "status": "ok",
        "articles": [
            {
                "source": {"id": "reuters", "name": "Reuters"},
                "headline": "Ferry fares rise",
                "content": "<p>Ferry fares will rise by <b>5%</b> &amp; more.</p><p>The operator said so.</p>",
                "publishedAt": "2026-01-16T08:00:00Z",
                "link": "https://example.org/ferry",
            },
            {"body": "The council met on Monday.", "pubDate": "July 2025", "title": ["tag1", "tag2"], "id": True},
            {"articleBody": "Rates held.", "datePublished": "Fri, 16 Jan 2026 08:00:00 GMT", "publisher": "BBC"},
            {"summary": "No body here."},
            {"text": "Polls closed.", "date": "2026/01/16", "id": "q5"},  # as RealTime QA dates its questions
            {"text": "Polls opened.", "date": "soon", "id": "q6"},
            {"text": "Polls opened again.", "date": "later", "id": "q6"},  # a repeated id: not indexed
        ],
    }
    write(tmp_path, "export.json", json.dumps(records))
    result = read_articles(tmp_path)
    found = {a.source.article_id: a for a in result.articles}
    ferry = found["export.json#https://example.org/ferry"]  # no id: its address names it
    assert (ferry.source.title, ferry.source.date, ferry.source.publisher, ferry.source.url) == (
        "Ferry fares rise",
        "2026-01-16",
        "Reuters",
        "https://example.org/ferry",
    )
    assert ferry.body == "Ferry fares will rise by 5% & more.\n\nThe operator said so."
    council = found["export.json#2"]
    assert (council.source.title, council.source.date) == ("The council met on Monday.", None)
    assert (found["export.json#3"].source.date, found["export.json#3"].source.publisher) == ("2026-01-16", "BBC")
    assert found["export.json#q5"].source.date == "2026-01-16"
    assert [str(w) for w in result.warnings] == [
        "export.json#2 (record 2): title ['tag1', 'tag2'] is not text; left out",
        "export.json#2 (record 2): id True is not text or a number; its url or position names it",
        "export.json#2 (record 2): date 'July 2025' not read (no day, or all numbers); write it as 2026-01-16 or "
        "January 16, 2026",
        # named as its citation and the report's "added:" line name it, and where it is in the file
        "export.json#q6 (record 6): date 'soon' not read (not a date); write it as 2026-01-16 or January 16, 2026",
        # a record skipped for repeating an id: said by its place, not as the kept record's
        "export.json[7]: date 'later' not read (not a date); write it as 2026-01-16 or January 16, 2026",
    ]
    assert [str(s) for s in result.skipped] == [
        'export.json[4]: record has no text (a "text", "body", "content", "articleBody" or "description" string); '
        "its keys: summary",
        "export.json[7]: its id 'q6' is record 6's too, which was kept; give each record its own id",
    ]


def test_what_a_script_or_style_tag_holds_in_a_records_html_is_not_article_text(tmp_path):
    records = [
        {"id": "a", "text": "<p>Rates held.</p><script>var player = load('x');</script><style>p {color: red}</style>"},
        {"id": "b", "text": "Rates rose. <script>alert('tracked')</script>Banks agreed."},
    ]
    # A tag named in plain text is no markup: read as HTML, the text after it was lost.
    plain = "Hackers injected <script> tags into the login page. The bank said no data was lost."
    records.append({"id": "c", "text": plain})
    # Nor is a comparison: read as HTML, "<b and b>" and "<y and y>" were dropped ("If a c", "xz").
    comparison = "If a <b and b> c, then a is less than c. Use x<y and y>z."
    records.append({"id": "d", "text": comparison})
    write(tmp_path, "feed.json", json.dumps(records))
    expected = ["Rates held.", "Rates rose. Banks agreed.", plain, comparison]
    assert [a.body for a in read_articles(tmp_path).articles] == expected


def test_newsapi_records_lose_the_cut_marker_and_the_title_suffix_and_take_the_description(tmp_path):
    records = [
        {
            "source": {"name": "Reuters"},
            "title": "Oil falls - Reuters",
            "content": "Brent crude fell 1.2% to $68.40 a barrel by… [+2345 chars]",
            "url": "https://example.org/oil",
        },
        {"title": "Fed holds", "content": None, "description": "The Fed held rates.", "url": "https://example.org/fed"},
        {"title": "Syndicated", "text": "The same address again.", "url": "https://example.org/oil"},
        {"title": "Paragraphs", "text": ["First paragraph.", "Second paragraph."]},
        {"title": "Odd", "text": [{"p": "First paragraph."}]},
    ]
    write(tmp_path, "feed.json", json.dumps(records))
    result = read_articles(tmp_path)
    found = {a.source.article_id: (a.source.title, a.body) for a in result.articles}
    assert found == {
        "feed.json#https://example.org/oil": ("Oil falls", "Brent crude fell 1.2% to $68.40 a barrel by…"),
        "feed.json#https://example.org/fed": ("Fed holds", "The Fed held rates."),
        "feed.json#3": ("Syndicated", "The same address again."),  # an address names one record only
        "feed.json#4": ("Paragraphs", "First paragraph.\n\nSecond paragraph."),
    }
    assert [str(w) for w in result.warnings] == [
        "feed.json#https://example.org/oil (record 1): its text was cut short by the export "
        "(NewsAPI gives ~200 characters); indexed as given"
    ]
    assert [str(s) for s in result.skipped] == [
        "feed.json[5]: its text is a list, not a string (or a list of strings); its keys: title, text"
    ]


def test_records_without_an_id_keep_their_names_when_a_story_is_added_at_the_top(tmp_path):
    stories = [
        {"title": f"Story {n}", "text": f"Story number {n} happened.", "url": f"https://example.org/{n}"}
        for n in (1, 2)
    ]
    write(tmp_path, "feed.jsonl", "\n".join(map(json.dumps, stories)))
    before = {a.source.article_id: a.source.title for a in read_articles(tmp_path).articles}
    write(
        tmp_path,
        "feed.jsonl",
        "\n".join(
            map(json.dumps, [{"title": "New", "text": "A new story.", "url": "https://example.org/0"}, *stories])
        ),
    )
    after = {a.source.article_id: a.source.title for a in read_articles(tmp_path).articles}
    assert before == {"feed.jsonl#https://example.org/1": "Story 1", "feed.jsonl#https://example.org/2": "Story 2"}
    assert after == {**before, "feed.jsonl#https://example.org/0": "New"}


def test_a_record_named_by_its_position_never_takes_another_records_id(tmp_path):
    records = [
        {"title": "Pos one", "text": "The lake froze over early this winter, residents said on Monday."},
        {"id": "1", "title": "Id one", "text": "The old castle was sold to a hotel group for two million pounds."},
    ]
    write(tmp_path, "collide.json", json.dumps(records))
    result = read_articles(tmp_path)
    titles = {a.source.article_id: a.source.title for a in result.articles}
    assert titles == {"collide.json#position 1": "Pos one", "collide.json#1": "Id one"}
    assert result.skipped == ()
    assert [str(w) for w in result.warnings] == [
        "collide.json#position 1 (record 1): no id, and its position 1 is another record's id: "
        "named collide.json#position 1"
    ]


def test_a_repeated_record_id_is_skipped_naming_both_records(tmp_path):
    lines = [{"id": "a", "text": "The bridge reopened on Tuesday."}, {"id": "a", "text": "The harbour was dredged."}]
    write(tmp_path, "dup.jsonl", "\n".join(map(json.dumps, lines)))
    write(tmp_path, "dup.json", json.dumps([{"id": 7, "text": "Rates held."}, {"id": "7", "text": "Rates rose."}]))
    result = read_articles(tmp_path)
    assert [a.body for a in result.articles] == ["Rates held.", "The bridge reopened on Tuesday."]
    assert [str(s) for s in result.skipped] == [
        "dup.json[2]: its id '7' is record 1's too, which was kept; give each record its own id",
        "dup.jsonl:2: its id 'a' is line 1's too, which was kept; give each record its own id",
    ]


def test_a_record_id_holding_a_line_break_is_not_used_and_a_warning_says_so(tmp_path):
    write(tmp_path, "f.jsonl", json.dumps({"id": "x\n  removed: everything.txt", "text": "The ferry ran late."}))
    result = read_articles(tmp_path)
    assert [a.source.article_id for a in result.articles] == ["f.jsonl#1"]
    assert [str(w) for w in result.warnings] == [
        "f.jsonl#1 (line 1): id 'x\\n  removed: everything.txt' holds a line break or other control character; "
        "its url or position names it"
    ]


def test_ids_are_stable_across_reads(tmp_path):
    write(tmp_path, "sub/x.txt", "Some text here.")
    assert [a.source.article_id for a in read_articles(tmp_path).articles] == ["sub/x.txt"]
    assert [a.source.article_id for a in read_articles(tmp_path).articles] == ["sub/x.txt"]


def test_bad_inputs_are_skipped_with_one_clear_reason_each(tmp_path):
    write(tmp_path, "good.txt", "A perfectly good article.")
    write(tmp_path, "empty.txt", "")
    write(tmp_path, "blank.txt", "   \n")
    write(tmp_path, "numbers.jsonl", '{"title": "Score", "text": 71}\n')
    write(tmp_path, "binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    write(tmp_path, "big.txt", "word " * 300_000)
    write(tmp_path, "broken.jsonl", '{"text": "Fine record."}\n{not json}\n{"title": "no text"}\n')
    write(tmp_path, "broken.json", "{oops")
    write(tmp_path, "notes.pdf", b"%PDF-1.4")
    write(tmp_path, "notes.odt", b"PK\x03\x04")
    write(tmp_path, ".hidden.txt", "ignored entirely")
    write(tmp_path, "~$notes.docx", b"\x0bMS Word lock file owner name")
    result = read_articles(tmp_path, max_file_bytes=1024 * 1024)
    assert sorted(a.source.article_id for a in result.articles) == ["broken.jsonl#1", "good.txt"]
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["empty.txt"] == "file is empty"
    assert reasons["blank.txt"] == "file holds only blank space"  # it said "empty"
    assert reasons["numbers.jsonl:1"].startswith("its text is a number, not a string")  # "is a int"
    assert "binary" in reasons["binary.txt"]
    assert "over the 1 MB limit" in reasons["big.txt"]
    tiny = read_articles(tmp_path, max_file_bytes=1024).skipped  # --max-file-mb 0.001: in KB, not "0.0 MB"
    assert any(s.reason.startswith("file is ") and "over the 1.0 KB limit" in s.reason for s in tiny)
    just_over = read_articles(tmp_path, max_file_bytes=1_499_999).skipped  # big.txt is 1,500,000 bytes
    assert "file is 1,500,000 bytes, over the 1,499,999 bytes limit" in {s.reason.split(" (")[0] for s in just_over}
    assert "malformed JSON line" in reasons["broken.jsonl:2"]
    assert reasons["broken.jsonl:3"].startswith('record has no text (a "text", "body", "content", "articleBody"')
    assert "malformed JSON" in reasons["broken.json"]
    assert reasons["notes.pdf"].startswith("cannot read the PDF (")
    assert "unsupported file type '.odt'" in reasons["notes.odt"]
    assert len(result.skipped) == 10
    assert not any(".hidden" in s.path or "~$" in s.path for s in result.skipped)


def test_an_empty_text_and_a_value_that_is_no_record_say_so(tmp_path):
    # Both said "record has no text (a "text", … string)", the first listing the key "text" too.
    write(
        tmp_path,
        "feed.jsonl",
        '{"title": "Empty", "text": ""}\n"a string"\n42\n{"title": "Kept", "text": "Rates held."}\n',
    )
    reasons = {s.path: s.reason for s in read_articles(tmp_path).skipped}
    assert reasons == {
        "feed.jsonl:1": "its 'text' is empty",
        "feed.jsonl:2": 'not a record (a JSON object with a text field) but "a string"',
        "feed.jsonl:3": "not a record (a JSON object with a text field) but 42",
    }


def test_non_utf8_text_is_read_with_a_fallback_and_a_warning(tmp_path):
    write(tmp_path, "latin.txt", "Le café était fermé à Genève, a dit le maire. Il pleuvait.".encode("cp1252"))
    result = read_articles(tmp_path)
    assert result.articles[0].body.startswith("Le café était fermé à Genève")
    assert len(result.warnings) == 1 and "not valid UTF-8" in result.warnings[0].reason


def test_content_hash_changes_with_text_and_title_only():
    from qa.articles import Article, Source

    a = Article(Source("x", "T", "x"), "B")
    assert a.content_hash == Article(Source("x", "T", "other"), "B").content_hash
    assert a.content_hash != Article(Source("x", "T2", "x"), "B").content_hash
    assert a.content_hash != Article(Source("x", "T", "x"), "B2").content_hash
    assert a.content_hash != Article(Source("x", "T", "x", publisher="AP"), "B").content_hash


# -- encodings ---------------------------------------------------------------------------------------------------

LITHUANIAN = (
    "Lietuvos Respublikos Seimas šiandien priėmė įstatymą dėl švietimo reformos. Ministrė teigė, kad mokyklų "
    "tinklas bus pertvarkytas, o mokytojų atlyginimai padidės. Žurnalistai klausė, kodėl sprendimas priimtas "
    "taip skubiai."
)
LATVIAN = (
    "Latvijas valdība šodien apstiprināja jauno budžetu. Ministru prezidente sacīja, ka ekonomikas izaugsme "
    "būs lēnāka, nekā gaidīts. Rīgā notika sanāksme ar uzņēmējiem un pašvaldību pārstāvjiem."
)
FRENCH = (
    "Le président de la République a annoncé mercredi une réforme des retraites. Selon lui, le système actuel "
    "n'est plus viable : les déficits s'accumulent depuis des années. Les syndicats ont dénoncé un « passage en "
    "force » et appelé à la grève jeudi."
)


def read_one(folder: Path, name: str, data: bytes):
    write(folder, name, data)
    result = read_articles(folder)
    assert not result.skipped, result.skipped
    (article,) = result.articles
    return article, [w.reason for w in result.warnings]


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_a_byte_order_mark_decides_the_encoding_and_is_dropped_without_a_warning(tmp_path, codec):
    text = "Señor Muñoz met officials in Zürich and São Paulo — «crème brûlée» for all, 北京 too."
    mark = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
    mark |= {"utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}
    data = mark.get(codec, b"") + text.encode(codec)  # "utf-8-sig", "utf-16", "utf-32" write their own mark
    article, warnings = read_one(tmp_path, "a.txt", data)
    assert article.body == text
    assert warnings == []


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_recognised_by_its_nul_bytes(tmp_path, codec):
    text = "Президент заявил, что Señor Muñoz приедет в Zürich.\nSecond line of the article."
    article, warnings = read_one(tmp_path, "a.txt", text.encode(codec))
    assert article.body == text
    assert warnings == [f"read as {codec} because it is not valid UTF-8"]


@pytest.mark.parametrize(
    "text",
    [
        FRENCH,
        "crème brûlée",
        "Señor Muñoz",
        "Zürich",
        "São Paulo",
        "The crème brûlée was excellent.",
        "Vi bor i København.",
    ],
)
def test_latin1_text_is_read_as_windows_1252_even_when_short(tmp_path, text):
    article, warnings = read_one(tmp_path, "a.txt", text.encode("latin-1"))
    assert article.body == text
    assert warnings == ["read as cp1252 because it is not valid UTF-8"]


@pytest.mark.parametrize(
    "text", ["“It’s over,” she said.", "It costs €5 — or less…", "“We will not back down,” the minister said. " * 5]
)
def test_cp1252_quotes_dashes_and_euro_sign_are_read(tmp_path, text):
    article, warnings = read_one(tmp_path, "a.txt", text.encode("cp1252"))
    assert article.body == text.strip()
    assert warnings == ["read as cp1252 because it is not valid UTF-8"]


@pytest.mark.parametrize("byte", [b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"])
def test_a_byte_that_cp1252_leaves_undefined_is_read_as_latin1(tmp_path, byte):
    data = b"Le caf\xe9 \x93Chez Zo\xe9\x94 \xe9tait ferm\xe9" + byte + b" \xe0 Gen\xe8ve, a dit le maire."
    article, warnings = read_one(tmp_path, "a.txt", data)
    assert article.body == f"Le café “Chez Zoé” était fermé{byte.decode('latin-1')} à Genève, a dit le maire."
    assert warnings == ["read as cp1252 (Latin-1 for the bytes cp1252 leaves undefined) because it is not valid UTF-8"]


@pytest.mark.parametrize("text", [LITHUANIAN, LATVIAN, "Ačiū, labai ačiū už šią dieną."])
def test_baltic_windows_1257_text_is_still_read_as_such(tmp_path, text):
    article, warnings = read_one(tmp_path, "a.txt", text.encode("cp1257"))
    assert article.body == text
    assert warnings == ["read as cp1257 because it is not valid UTF-8"]


def test_a_long_file_is_judged_on_its_non_ascii_parts_not_its_first_pages(tmp_path):
    english = "The committee met on Monday to discuss the budget and the new schools. " * 3000  # 216 kB of ASCII
    article, warnings = read_one(tmp_path, "a.txt", (english + "\n\n" + LITHUANIAN).encode("cp1257"))
    assert article.body.endswith(LITHUANIAN)
    assert warnings == ["read as cp1257 because it is not valid UTF-8"]


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Президент России заявил сегодня, что экономика страны растёт быстрее, чем ожидалось.", "cp1251"),
        ("Česká vláda dnes schválila nový rozpočet. Ministr financí řekl, že ekonomika poroste.", "cp1250"),
        ("Prezydent Polski powiedział dziś, że gospodarka rośnie szybciej niż oczekiwano.", "cp1250"),
        ("Türkiye Cumhurbaşkanı bugün ekonominin beklenenden hızlı büyüdüğünü söyledi.", "cp1254"),
        ("Ο πρωθυπουργός δήλωσε σήμερα ότι η οικονομία αναπτύσσεται γρηγορότερα από ό,τι αναμενόταν.", "cp1253"),
    ],
)
def test_other_code_pages_are_not_taken_for_windows_1252(tmp_path, text, codec):
    article, warnings = read_one(tmp_path, "a.txt", text.encode(codec))
    assert article.body == text
    assert len(warnings) == 1 and "not valid UTF-8" in warnings[0]


def test_binary_files_are_skipped_with_a_clear_reason(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"
    write(tmp_path, "image.txt", png)
    write(tmp_path, "noise.md", random.Random(7).randbytes(4096))  # NUL bytes all over, odd and even places
    write(tmp_path, "controls.txt", bytes(range(1, 32)) * 20)  # valid UTF-8, but control characters
    write(tmp_path, "bad-utf16.txt", codecs.BOM_UTF16_LE + "Ab".encode("utf-16-le") + b"\x00\xd8")  # lone surrogate
    result = read_articles(tmp_path)
    assert result.articles == ()
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons == {
        "image.txt": "looks like a binary file (NUL bytes), not text",
        "noise.md": "looks like a binary file (NUL bytes), not text",
        "controls.txt": "looks like a binary file (control characters), not text",
        "bad-utf16.txt": "starts with a UTF-16-LE byte-order mark but is not valid UTF-16-LE",
    }


def test_a_qa_index_inside_the_articles_folder_is_one_skip_not_one_per_file(tmp_path, settings, fake):
    # `qa eval … --index news/keep` left one there: each of its files was "skipped: unsupported file type"
    from qa.build import build_index

    build_index(replace(settings, index_dir=tmp_path / "news" / "keep"), encoder=fake, progress=False)
    write(tmp_path / "news", "story.txt", "Title: Ferry\n\nThe ferry to Skye resumed on Monday after the storm.")
    write(tmp_path / "news", "notes/CURRENT", "a file named as an index's pointer, in a folder of no builds")
    write(tmp_path / "news", "youth/CURRENT", "gen-z")  # and a folder "gen-z/" of articles: no index
    write(tmp_path / "news", "youth/gen-z/slang.txt", "Title: Slang\n\nTeenagers coined new words this year.")
    result = read_articles(tmp_path / "news")
    assert [a.source.article_id for a in result.articles] == ["story.txt", "youth/gen-z/slang.txt"]
    assert [(s.path, s.reason) for s in result.skipped] == [
        (
            "keep",
            "a qa index (built here by another command), not articles; not read: move it out of the articles "
            "folder, or give it a name starting with '.'",
        ),
        (
            "notes/CURRENT",
            "unsupported file type '(none)'; supported: .txt, .md, .html, .htm, .json, .jsonl, .pdf, .docx",
        ),
        (
            "youth/CURRENT",
            "unsupported file type '(none)'; supported: .txt, .md, .html, .htm, .json, .jsonl, .pdf, .docx",
        ),
    ]


# -- files without words -----------------------------------------------------------------------------------------


def test_files_and_records_without_words_are_skipped_and_any_script_counts_as_words(tmp_path):
    write(tmp_path, "dots.txt", "... --- !!!")
    write(tmp_path, "stars.md", "***\n\n  ＊ · • ★ →  \n")
    write(tmp_path, "china.txt", "北京今天下雨。")
    write(tmp_path, "cairo.txt", "القاهرة مدينة كبيرة.")
    write(tmp_path, "moscow.txt", "Москва — столица.")
    write(tmp_path, "year.txt", "2024!")
    write(tmp_path, "records.jsonl", '{"text": "Real words."}\n{"text": "?! -- ..."}\n')
    result = read_articles(tmp_path)
    assert sorted(a.source.article_id for a in result.articles) == [
        "cairo.txt",
        "china.txt",
        "moscow.txt",
        "records.jsonl#1",
        "year.txt",
    ]
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons == {
        "dots.txt": "no words in the file (only punctuation, symbols or spaces)",
        "stars.md": "no words in the file (only punctuation, symbols or spaces)",
        "records.jsonl:2": 'no words in the record\'s "text" (only punctuation, symbols or spaces)',
    }


# -- symbolic links ----------------------------------------------------------------------------------------------

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symbolic links")


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """An articles folder beside an outside folder; returns the articles folder."""
    outside = tmp_path / "outside"
    write(outside, "secret.txt", "Outside text that must not be indexed.")
    write(outside, "more/other.txt", "More outside text.")
    folder = tmp_path / "articles"
    write(folder, "a.txt", "An article inside the folder.")
    return folder


@needs_symlinks
def test_links_outside_the_folder_are_skipped_with_the_reason(linked):
    (linked / "p.txt").symlink_to("/etc/passwd")
    (linked / "s.txt").symlink_to(linked.parent / "outside" / "secret.txt")
    (linked / "out").symlink_to(linked.parent / "outside")
    result = read_articles(linked)
    assert [a.source.article_id for a in result.articles] == ["a.txt"]
    reasons = {s.path: s.reason for s in result.skipped}
    assert set(reasons) == {"p.txt", "s.txt", "out"}
    assert reasons["p.txt"] == (
        "links outside the articles folder (to the file /etc/passwd); not followed "
        "unless allowed (qa index --follow-links, QA_FOLLOW_LINKS=1)"
    )
    assert reasons["out"].startswith("links outside the articles folder (to the folder ")
    assert all("links outside the articles folder" in r for r in reasons.values())


@needs_symlinks
def test_follow_links_reads_what_links_outside_point_to(linked):
    (linked / "s.txt").symlink_to(linked.parent / "outside" / "secret.txt")
    (linked / "out").symlink_to(linked.parent / "outside")
    result = read_articles(linked, follow_links=True)
    assert [a.source.article_id for a in result.articles] == ["a.txt", "out/more/other.txt", "out/secret.txt"]
    assert [s.path for s in result.skipped] == ["s.txt"]  # the same file as out/secret.txt, read once
    assert result.skipped[0].reason == "same file as out/secret.txt (a link to it, or a hard link); read once"


@needs_symlinks
def test_links_inside_the_folder_are_read_but_a_file_only_once(linked):
    write(linked, "archive/b.txt", "An archived article.")
    (linked / "0-first.txt").symlink_to("a.txt")  # sorts before its target: the target's name still wins
    (linked / "latest").symlink_to("archive")
    (linked / "archive" / "back.txt").symlink_to("../a.txt")
    result = read_articles(linked)
    assert [a.source.article_id for a in result.articles] == ["a.txt", "archive/b.txt"]
    assert {s.path: s.reason for s in result.skipped} == {
        "latest": "links to a folder that is read under another name (archive); not read twice",
        "0-first.txt": "same file as a.txt (a link to it, or a hard link); read once",
        "archive/back.txt": "same file as a.txt (a link to it, or a hard link); read once",
    }


@needs_symlinks
def test_a_link_is_read_when_its_target_is_not_read_directly(linked):
    write(linked, ".drafts/d.txt", "A draft kept in a hidden folder.")
    (linked / "d.txt").symlink_to(".drafts/d.txt")
    result = read_articles(linked)
    assert [a.source.article_id for a in result.articles] == ["a.txt", "d.txt"]
    assert result.skipped == ()


@needs_symlinks
@pytest.mark.parametrize("follow_links", [False, True])
def test_link_loops_and_broken_links_are_skipped_with_a_reason_never_an_error(linked, follow_links):
    (linked / "self.txt").symlink_to("self.txt")
    (linked / "ping.txt").symlink_to("pong.txt")
    (linked / "pong.txt").symlink_to("ping.txt")
    (linked / "gone.txt").symlink_to("deleted.txt")
    write(linked, "sub/c.txt", "Another article.")
    (linked / "sub" / "up").symlink_to("..")
    (linked / "sub" / "root").symlink_to(linked.resolve())
    (linked / "sub" / "here").symlink_to(".")
    result = read_articles(linked, follow_links=follow_links)
    assert [a.source.article_id for a in result.articles] == ["a.txt", "sub/c.txt"]
    loop = "link loop: the link leads back to itself (directly or through other links); not followed"
    folder_loop = "link loop: links to a folder that contains it; not followed"
    assert {s.path: s.reason for s in result.skipped} == {
        "self.txt": loop,
        "ping.txt": loop,
        "pong.txt": loop,
        "gone.txt": "broken link: its target deleted.txt does not exist",
        "sub/up": folder_loop,
        "sub/root": folder_loop,
        "sub/here": folder_loop,
    }


@needs_symlinks
def test_a_folder_link_to_an_ancestor_outside_is_a_loop_even_when_links_are_followed(linked):
    (linked / "all").symlink_to(linked.parent)  # contains the articles folder itself
    result = read_articles(linked, follow_links=True)
    assert [a.source.article_id for a in result.articles] == ["a.txt"]
    assert {s.path: s.reason for s in result.skipped} == {
        "all": "link loop: links to a folder that contains it; not followed"
    }


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX named pipes")
def test_pipes_are_not_read(linked):
    os.mkfifo(linked / "pipe.txt")  # reading it would wait forever
    result = read_articles(linked)
    assert [a.source.article_id for a in result.articles] == ["a.txt"]
    assert {s.path: s.reason for s in result.skipped} == {
        "pipe.txt": "not a regular file (a device, pipe or socket); not read"
    }


@needs_symlinks
def test_two_links_to_one_outside_folder_read_it_once_under_the_first_name(linked):
    (linked / "b-out").symlink_to(linked.parent / "outside")
    (linked / "c-out").symlink_to(linked.parent / "outside")
    result = read_articles(linked, follow_links=True)
    assert [a.source.article_id for a in result.articles] == ["a.txt", "b-out/more/other.txt", "b-out/secret.txt"]
    outside = (linked.parent / "outside").resolve()
    assert {s.path: s.reason for s in result.skipped} == {
        "c-out": f"links to a folder that is read under another name ({outside}); not read twice"
    }


def test_a_tree_deeper_than_the_recursion_limit_is_read(tmp_path):
    deep = tmp_path
    for _ in range(1100):  # sys.getrecursionlimit() is 1000 (Path.mkdir(parents=True) and rmtree recurse too)
        deep /= "d"
        deep.mkdir()
    write(deep, "a.txt", "Deep down, an article.")
    try:
        (article,) = read_articles(tmp_path).articles
        assert article.source.article_id == "d/" * 1100 + "a.txt"
    finally:
        (deep / "a.txt").unlink()
        while deep != tmp_path:
            deep.rmdir()
            deep = deep.parent


# -- PDF --------------------------------------------------------------------------------------------

PDFS = Path(__file__).parent / "data"  # made by tests/data/make_pdf.py


def pdf_copy(tmp_path: Path, name: str, *, metadata: dict | None = None, **encrypt) -> Path:
    """A copy of a test PDF written by pypdf, with other metadata or encrypted."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=PDFS / name)
    if metadata is not None:
        writer.add_metadata(metadata)
    if encrypt:
        writer.encrypt(**encrypt)
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / name
    with open(out, "wb") as f:
        writer.write(f)
    return out


def test_pdf_lines_of_a_two_line_headline_and_of_ragged_columns_join_and_a_short_notice_keeps_its_headline():
    from qa.articles import _join_lines, _text_article

    lines = [
        "Bridge closure snarls commute as",  # a headline set on two lines
        "cracks found in support beams",
        "By Ann Lee",
        "March 3, 2025",
        "The city closed the Harbor Street bridge on Monday after inspectors found deep",
        "cracks in two of its support beams, at a cost estimated at $600",  # ragged, mid-sentence
        "million, sending thousands of drivers onto side streets during the rush.",
        "Repairs are expected to take at least six weeks, the transport department said",
        "in a statement, and a ferry will run from the old pier in the meantime.",
    ]
    title, body, meta = _text_article(_join_lines(lines), markdown=False)
    assert (title, meta) == (
        "Bridge closure snarls commute as cracks found in support beams",
        {"date": "March 3, 2025"},
    )
    assert body.startswith("By Ann Lee\n\nThe city closed")  # the date line under the byline is taken off
    assert "at a cost estimated at $600 million, sending thousands" in body
    # a headline as wide as a narrow column's lines keeps apart from the byline under it
    column = [
        "Canal shipping costs soar as drought bites",
        "By Maria Lopez",
        "Shipping costs through the canal rose 18%",
        "in the first quarter, the port authority",
        "said on Monday. Officials blamed the low",
        "water levels after months of drought in",
        "the region, and said that they expected",
        "prices to stay high until the rains come",
        "back in the autumn, when ships can carry",
        "full loads through the locks once again.",
    ]
    title, body, _ = _text_article(_join_lines(column), markdown=False)
    assert (title, body.split("\n\n")[0]) == ("Canal shipping costs soar as drought bites", "By Maria Lopez")
    notice = ["Café prices “soar” — owners say", "Café owners said on Monday that bean prices doubled.", "Some agree."]
    assert _join_lines(notice).split("\n\n")[0] == "Café prices “soar” — owners say"  # 3 lines: no 90th percentile


def test_pdf_lines_are_joined_into_paragraphs_across_pages_without_page_numbers():
    article = read_file(PDFS / "canola.pdf", "canola.pdf").articles[0]
    paragraphs = article.body.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0] == (
        "Canada will lower its 100% tariff on Chinese-made electric vehicles to 6.1% for a quota of 49,000 cars "
        "a year, Prime Minister Mark Carney said on Friday after meeting President Xi Jinping in Beijing."
    )
    # the paragraph that runs on to page 2, and no page number ("1") where the page broke
    assert "relations between the two countries, which had soured after the arrest" in paragraphs[1]
    # a word broken at a line's end keeps the PDF's own hyphen, and page 2's number is gone
    assert paragraphs[2].endswith("steel and aluminium duties un-changed until a review next spring.")
    assert "\n" not in "".join(paragraphs)


def test_pdf_headline_and_date_line_become_title_and_date():
    source = read_file(PDFS / "canola.pdf", "canola.pdf").articles[0].source
    assert (source.title, source.date, source.article_id) == (
        "Canada and China strike canola deal",
        "2026-01-16",
        "canola.pdf",
    )


def test_browser_printed_pdf_loses_its_print_stamps_and_keeps_its_byline_date():
    """printed.pdf: a news page saved with Chromium's "Save as PDF", over two pages."""
    article = read_file(PDFS / "printed.pdf", "printed.pdf").articles[0]
    assert "Example News\n" not in article.body and "about:blank" not in article.body
    assert article.body.startswith("By Jane Doe · January 16, 2026\n\nCanada will lower")  # no print time
    # the paragraph broken by the page turn is whole again, the head and foot lines gone from its middle
    assert "Officials in Beijing called the agreement a new chapter in relations between" in article.body
    assert article.body.count("which had soured after the arrest of a Huawei executive in 2018.") == 6
    source = article.source
    # the headline over the byline, not the page's <title> that the PDF's metadata holds
    assert (source.title, source.date) == ("Canada and China strike canola deal", "2026-01-16")


def test_pdf_pages_say_where_each_page_begins_in_the_body():
    canola = read_file(PDFS / "canola.pdf", "canola.pdf").articles[0]
    body, source = canola.body, canola.source
    assert source.pages == (0, body.index("soured after the arrest of a Huawei executive"))
    assert source.page_at(body.index("China, in turn, will cut")) == 1
    assert source.page_at(body.index("steel and aluminium duties un-changed")) == 2
    # printed.pdf repeats its two paragraphs: page 2 begins at the last repeat, not the first
    printed = read_file(PDFS / "printed.pdf", "printed.pdf").articles[0]
    assert printed.source.pages == (0, printed.body.rindex("new chapter in relations between"))


def test_page_starts_skip_blank_and_header_only_pages_and_follow_line_order():
    from qa.articles import _page_starts

    body = "Oil rose.\n\nOil rose.\n\nGas fell."
    pages = [["Oil prices", "Date: 2026-01-16"], ["Oil rose."], [], ["Oil rose."], ["Gas fell."]]
    # page 1 holds only the title and date line, page 3 is blank: each begins where the next does
    assert _page_starts(body, pages) == (0, 0, 11, 11, 22)


def test_articles_without_pages_keep_their_content_hash():
    import hashlib

    article = Article(Source("a.txt", "Oil", "a.txt", "2026-01-16", "Wire", None), "Oil rose.")
    blob = json.dumps(["Oil", "2026-01-16", "Wire", None, "Oil rose."])
    assert article.source.pages == () and article.source.page_at(3) is None
    assert article.content_hash == hashlib.sha256(blob.encode()).hexdigest()  # indexes built before pages
    paged = Article(Source("a.pdf", "Oil", "a.pdf", pages=(0,)), "Oil rose.")
    assert paged.content_hash != Article(Source("a.pdf", "Oil", "a.pdf"), "Oil rose.").content_hash


def test_byline_date_is_the_articles_date_but_a_dated_sentence_is_not(tmp_path):
    write(tmp_path, "a.txt", "Canola deal signed\nBy Jane Doe, Reuters | Jan. 16, 2026\n\nBody text here.")
    write(tmp_path, "b.txt", "Talks resume on January 16, 2026, officials said.\n\nMore text.")
    a, b = read_articles(tmp_path).articles
    # the headline over the byline is the title; the byline stays in the body (never cited)
    assert (a.source.title, a.source.date) == ("Canola deal signed", "2026-01-16")
    assert a.body.startswith("By Jane Doe, Reuters")
    assert b.source.date is None


def test_headline_over_a_byline_is_the_title(tmp_path):
    write(tmp_path, "a.txt", "Storm Hits Coast\nBy Jane Doe · January 16, 2026\n\nStorms hit the coast on Monday.")
    write(tmp_path, "b.txt", "Storms hit the coast on Monday.\nBy Friday, the roads had reopened.")
    a, b = read_articles(tmp_path).articles
    assert (a.source.title, a.source.date) == ("Storm Hits Coast", "2026-01-16")
    assert a.body == "By Jane Doe · January 16, 2026\n\nStorms hit the coast on Monday."
    assert b.body.startswith("Storms hit the coast on Monday.")  # a sentence starting "By" is no byline


def test_pdf_title_comes_from_its_metadata_unless_that_names_a_file(tmp_path):
    assert read_file(PDFS / "wire.pdf", "wire.pdf").articles[0].source.title == "Canola futures jump on tariff deal"
    renamed = pdf_copy(tmp_path, "wire.pdf", metadata={"/Title": "Microsoft Word - wire story.docx"})
    title = read_file(renamed, "wire.pdf").articles[0].source.title
    assert title.startswith("Canola futures rose 4% in Winnipeg on Friday after Canada and China")


def test_pdf_with_an_empty_user_password_reads_and_a_locked_one_is_skipped(tmp_path):
    opened = pdf_copy(tmp_path / "a", "wire.pdf", user_password="", owner_password="owner", algorithm="AES-256")
    assert read_file(opened, "wire.pdf").articles[0].body.startswith("Canola futures rose 4%")
    locked = pdf_copy(tmp_path / "b", "wire.pdf", user_password="secret", algorithm="AES-256")
    result = read_file(locked, "wire.pdf")
    assert result.articles == ()
    assert "password-protected" in result.skipped[0].reason


def test_pdf_without_text_or_damaged_is_skipped_with_the_reason(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with open(tmp_path / "scan.pdf", "wb") as f:
        writer.write(f)
    write(tmp_path, "broken.pdf", b"%PDF-1.7\nthis is not a PDF body\n")
    result = read_articles(tmp_path)
    reasons = {s.path: s.reason for s in result.skipped}
    assert result.articles == ()
    assert "no text layer" in reasons["scan.pdf"] and "OCR" in reasons["scan.pdf"]
    assert reasons["broken.pdf"].startswith("cannot read the PDF (")


def test_pdf_is_read_from_a_folder_among_other_articles(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "canola.pdf").write_bytes((PDFS / "canola.pdf").read_bytes())
    write(tmp_path / "a", "note.txt", "A short note about canola.")
    result = read_articles(tmp_path / "a")
    assert [a.source.article_id for a in result.articles] == ["canola.pdf", "note.txt"]
    assert result.skipped == ()


# -- Word (.docx) ------------------------------------------------------------------------------------


def docx_file(path: Path, paragraphs: list[tuple[str, str]], title: str = "") -> Path:
    """A .docx of (style, text) paragraphs, with `title` as its title property."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    for style, text in paragraphs:
        document.add_paragraph(text, style=style)
    document.save(str(path))
    return path


def test_docx_heading_and_date_line_become_title_and_date_and_paragraphs_stay_paragraphs(tmp_path):
    path = docx_file(
        tmp_path / "farmers.docx",
        [
            ("Heading 1", "Canola farmers cheer deal"),
            ("Normal", "Date: 2026-01-17"),
            ("Normal", "Farmers in Saskatchewan welcomed the agreement on Saturday. Prices rose 4%."),
            ("Normal", ""),
            ("Normal", "The deal takes effect on March 1."),
        ],
        title="Doc1",
    )
    article = read_file(path, "farmers.docx").articles[0]
    assert (article.source.title, article.source.date) == ("Canola farmers cheer deal", "2026-01-17")
    assert article.body == (
        "Farmers in Saskatchewan welcomed the agreement on Saturday. Prices rose 4%.\n\n"
        "The deal takes effect on March 1."
    )


@pytest.mark.parametrize("byline", ["By Lena Park", "Reporting by Lena Park"])
def test_docx_title_paragraph_stays_the_title_over_a_byline_and_its_date_line(tmp_path, byline):
    # The byline over a date line looked like a headline over its date and became the title.
    path = docx_file(
        tmp_path / "museum.docx",
        [
            ("Title", "Museum reopens after fire"),
            ("Normal", byline),
            ("Normal", "March 9, 2025"),
            ("Normal", "The city museum reopened on Sunday, two years after a fire destroyed its east wing."),
        ],
    )
    article = read_file(path, "museum.docx").articles[0]
    assert (article.source.title, article.source.date) == ("Museum reopens after fire", "2025-03-09")
    assert (
        article.body
        == f"{byline}\n\nThe city museum reopened on Sunday, two years after a fire destroyed its east wing."
    )


def test_docx_reads_the_text_as_it_stands_tracked_changes_accepted_and_content_controls(tmp_path):
    import copy

    import docx
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_paragraph("Budget plan unveiled", style="Heading 1")
    changed = document.add_paragraph("The minister said the plan would cost ")
    removed, inserted = (changed._p.makeelement(qn(tag), {}) for tag in ("w:del", "w:ins"))
    for wrapper, text_tag, text in ((removed, "w:delText", "$2 billion"), (inserted, "w:t", "$3 billion")):
        run = changed.add_run()._r
        run.append(run.makeelement(qn(text_tag), {}))
        run[-1].text = text
        changed._p.remove(run)
        wrapper.append(run)
        changed._p.append(wrapper)
    changed.add_run(" over five years.")
    control = document.add_paragraph("Held in a content control: ")
    sdt = control._p.makeelement(qn("w:sdt"), {})
    content = sdt.makeelement(qn("w:sdtContent"), {})
    content.append(copy.deepcopy(control.add_run("the harbour fund.")._r))
    control._p.remove(control.runs[-1]._r)
    sdt.append(content)
    control._p.append(sdt)
    document.save(str(tmp_path / "budget.docx"))
    article = read_file(tmp_path / "budget.docx", "budget.docx").articles[0]
    assert article.source.title == "Budget plan unveiled"
    assert article.body == (
        "The minister said the plan would cost $3 billion over five years.\n\n"
        "Held in a content control: the harbour fund."
    )


def test_docx_title_property_is_used_unless_it_names_a_file(tmp_path):
    body = [("Normal", "Farmers in Saskatchewan welcomed the agreement on Saturday.")]
    titled = docx_file(tmp_path / "a.docx", body, title="Farmers welcome canola deal")
    assert read_file(titled, "a.docx").articles[0].source.title == "Farmers welcome canola deal"
    placeholder = docx_file(tmp_path / "b.docx", body, title="Microsoft Word - farmers.docx")
    assert read_file(placeholder, "b.docx").articles[0].source.title == body[0][1]


def test_docx_that_is_not_a_document_or_is_empty_is_skipped_with_the_reason(tmp_path):
    write(tmp_path, "locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an OLE container, as Word encrypts")
    docx_file(tmp_path / "empty.docx", [("Normal", "   ")])
    import docx

    only_table = docx.Document()
    only_table.add_table(rows=2, cols=2).cell(0, 0).text = "Canola exports, tonnes"
    only_table.save(str(tmp_path / "table.docx"))
    with zipfile.ZipFile(tmp_path / "bomb.docx", "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("word/document.xml", b"<" * (300 * 1024 * 1024))  # 300 MB of one byte: 0.3 MB packed
    reasons = {s.path: s.reason for s in read_articles(tmp_path).skipped}
    assert reasons["bomb.docx"].startswith("the Word document unpacks to 300 MB, over the 256 MB")
    assert reasons["table.docx"].startswith("no text outside its 1 table(s), and tables are not read")
    assert reasons["locked.docx"].startswith("cannot read the Word document (")
    assert "password-protected" in reasons["locked.docx"]
    assert reasons["empty.docx"] == "no text found in the file"


def test_file_names_that_are_not_utf8_or_hold_a_newline_are_skipped_with_the_fix(tmp_path):
    os.mkdir(tmp_path / "a")
    folder = os.fsencode(tmp_path / "a")
    os.mkdir(os.path.join(folder, b"sub"))
    for name in (b"\xfe\xffname.txt", b"new\nline.txt", b"sub/tab\tname.txt"):
        with open(os.path.join(folder, name), "w") as f:
            f.write("An article whose file name cannot be stored.")
    write(tmp_path / "a", "👨\u200d👩\u200d👧 family.txt", "A family article about ferries.")
    result = read_articles(tmp_path / "a")
    assert [a.source.article_id for a in result.articles] == ["👨\u200d👩\u200d👧 family.txt"]
    # named with its folder: "tab\tname.txt" sent people to look in the articles folder itself
    assert sorted(s.path for s in result.skipped) == ["new\\nline.txt", "sub/tab\\tname.txt", "\ufffd\ufffdname.txt"]
    assert all(s.reason.endswith("rename the file") for s in result.skipped)


def test_malformed_json_is_named_once_per_problem(tmp_path):
    write(tmp_path, "bad.json", '{"text": "a\x01b"}')  # a raw control character inside a string
    skipped = read_articles(tmp_path).skipped
    assert [s.reason for s in skipped] == ["malformed JSON (Invalid control character at line 1)"]  # not "at at"


def test_a_json_array_saved_as_jsonl_and_json_lines_saved_as_json_are_named_with_the_rename_that_fixes_them(tmp_path):
    records = [{"id": str(n), "text": f"Record {n} text."} for n in range(3)]
    write(tmp_path, "pretty.jsonl", json.dumps(records, indent=2))
    write(tmp_path, "lines.json", "\n".join(map(json.dumps, records)))
    write(tmp_path, "dumped.jsonl", json.dumps(records))  # json.dump(records, f): one line, no hint
    write(tmp_path, "words.jsonl", json.dumps("A string of many words, not a record of an article at all, alas"))
    reasons = [str(s) for s in read_articles(tmp_path).skipped]
    assert reasons == [
        "dumped.jsonl: it holds one JSON list, not a record a line: rename it to .json",
        "lines.json: malformed JSON (Extra data at line 2); it holds a JSON record a line: rename it to .jsonl",
        "pretty.jsonl: it holds one JSON document over several lines, not a record a line: rename it to .json",
        # cut at a word, not "…an article at all, al"
        'words.jsonl:1: not a record (a JSON object with a text field) but "A string of many words, not a '
        "record of an article at …",
    ]


def test_a_files_skipped_records_are_listed_up_to_twenty_and_counted_past_that(tmp_path):
    write(tmp_path, "feed.jsonl", '{"text": "One good record."}\n' + "not json\n" * 25)
    skipped = read_articles(tmp_path).skipped
    assert [s.path for s in skipped[:20]] == [f"feed.jsonl:{n}" for n in range(2, 22)]
    assert [str(s) for s in skipped[20:]] == ["feed.jsonl: … and 5 more of its records skipped"]


def test_read_file_takes_a_str_path_and_refuses_other_kinds():
    from qa.errors import ConfigError

    read = read_file("seeds/carney-china-trip.txt", "carney-china-trip.txt")
    assert read.articles[0].source.date == "2026-01-13" and read.articles[0].body.startswith("As Canadian leader")
    with pytest.raises(ConfigError, match=r"give the file \(str or Path\) and its name \(str\)"):
        read_file(5, "x.txt")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"folder=5 must be the articles folder"):
        read_articles(5)  # type: ignore[arg-type]


VOTE = "The council voted to close the old school after a long debate. Parents protested outside the hall."


def test_titles_and_publishers_hold_no_control_or_bidi_characters(tmp_path):
    # ESC and BEL in a title retitled the terminal of `qa ask`; a publisher's U+202E turned the
    # citation's file name and date after it around in the chat
    header = "Title: Harmless \x1b]0;PWNED\x07 title\nSource: Uploader \u202eRLO\nDate: 2025-06-01\n\n"
    article, warnings = read_one(tmp_path, "ctrl.txt", (header + VOTE).encode())
    assert article.source.title == "Harmless ]0;PWNED title"
    assert article.source.publisher == "Uploader RLO" and article.source.date == "2025-06-01"
    assert article.body == VOTE and warnings == []


def test_a_source_link_that_is_not_http_is_left_out_with_a_warning(tmp_path):
    # "URL: javascript:…" ended the header: it and the lines after it became the article's text
    header = "Title: Council vote\nURL: javascript:alert('url')\nSource: Springfield Post\n\n"
    article, warnings = read_one(tmp_path, "a.txt", (header + VOTE).encode())
    assert article.source.url is None and article.source.publisher == "Springfield Post"
    assert article.body == VOTE
    assert warnings == ["url \"javascript:alert('url')\" left out: not an http:// or https:// link to a host"]
    record = {"title": "Council vote", "text": VOTE, "url": "JaVaScRiPt:alert(7)"}
    article, warnings = read_one(tmp_path / "json", "feed.json", json.dumps([record]).encode())
    assert article.source.url is None and article.source.article_id == "feed.json#1"  # by position, not by it
    assert warnings == ["url 'JaVaScRiPt:alert(7)' left out: not an http:// or https:// link to a host"]
    record["url"] = "HTTPS://example.org/vote"
    article, warnings = read_one(tmp_path / "json2", "feed.json", json.dumps([record]).encode())
    assert article.source.url == "HTTPS://example.org/vote" and warnings == []
    # An https link with spaces was left out "as not http(s)": kept, its spaces encoded as browsers do.
    record["url"] = 'https://example.org/news/council votes "yes".html'
    article, warnings = read_one(tmp_path / "json3", "feed.json", json.dumps([record]).encode())
    assert article.source.url == "https://example.org/news/council%20votes%20%22yes%22.html" and warnings == []
    record["url"] = "https://example.org/Fährplan über.html"  # letters stay as written
    article, warnings = read_one(tmp_path / "json4", "feed.json", json.dumps([record]).encode())
    assert article.source.url == "https://example.org/Fährplan%20über.html" and warnings == []


def test_json_nested_too_deeply_is_skipped_with_its_reason(tmp_path):
    # a RecursionError escaped read_file: every build of the folder failed
    write(tmp_path, "deep.json", "[" * 100_000)
    write(
        tmp_path,
        "deep.jsonl",
        '{"title": "Ok", "text": "The ferry sailed to Skye on Monday."}\n' + "[" * 100_000 + "\n",
    )
    read = read_articles(tmp_path)
    reasons = {s.path: s.reason for s in read.skipped}
    assert reasons["deep.json"].startswith("JSON nested too deeply to read"), reasons
    assert reasons["deep.jsonl:2"].startswith("JSON nested too deeply to read"), reasons
    assert [a.source.title for a in read.articles] == ["Ok"]


def test_a_docx_with_more_xml_elements_than_any_article_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    # 800 KB of packed empty paragraphs took a server from 1.2 to 4.5 GB
    import qa.articles

    monkeypatch.setattr(qa.articles, "_MAX_DOCX_ELEMENTS", 52_000)  # python-docx's template: ~47,400 with attributes
    docx_file(tmp_path / "short.docx", [("Normal", "The ferry sailed to Skye on Monday.")] * 5)
    docx_file(tmp_path / "long.docx", [("Normal", "The ferry sailed to Skye on Monday.")] * 3000)
    read = read_articles(tmp_path)
    assert [a.source.article_id for a in read.articles] == ["short.docx"]
    (skipped,) = read.skipped
    assert skipped.path == "long.docx"
    assert re.fullmatch(
        r"the Word document holds [\d,]+ XML elements, over the 52,000 an article may hold .*", skipped.reason
    )
    # python-docx finds the text by the package's relationships: a renamed part was read in full
    renamed = tmp_path / "renamed.docx"
    with zipfile.ZipFile(tmp_path / "long.docx") as source, zipfile.ZipFile(renamed, "w") as out:
        for item in source.infolist():
            out.writestr(
                item.filename.replace("document.xml", "main.xml"),
                source.read(item).replace(b"/document.xml", b"/main.xml"),
            )
    assert "XML elements, over the 52,000" in read_file(renamed, "renamed.docx").skipped[0].reason
    monkeypatch.setattr(qa.articles, "_MAX_DOCX_ELEMENTS", 100_000)
    assert read_file(renamed, "renamed.docx").articles  # python-docx reads it: the bypass was real


def test_docx_paragraph_styles_are_looked_up_by_id_with_the_default_for_the_rest(tmp_path):
    # names from one table of the document's styles (python-docx scanned them all per paragraph)
    import docx

    from qa.articles import _docx_paragraphs

    path = docx_file(
        tmp_path / "styled.docx", [("Title", "Ferry back"), ("Heading 2", "Monday"), ("Normal", "It sailed.")]
    )
    document = docx.Document(str(path))
    document.paragraphs[2]._p.style = "NoSuchStyle"  # an id the document does not define: its default style
    assert _docx_paragraphs(document) == [("Title", "Ferry back"), ("Heading 2", "Monday"), ("Normal", "It sailed.")]


def test_a_markdown_table_of_more_cells_than_any_article_reads_as_lines_of_text(tmp_path, monkeypatch):
    # a table costs the parser ~0.3 KB a cell: a 4 MB upload of one wide table took a server to 3 GB
    import qa.articles

    monkeypatch.setattr(qa.articles, "_MAX_TABLE_CELLS", 10)
    write(tmp_path, "small.md", "Seats won.\n\n| Party | Seats |\n|---|---|\n| Labour | 31 |\n")
    write(tmp_path, "wide.md", "Seats won.\n\n" + "| a " * 20 + "|\n" + "|---" * 20 + "|\n")
    # rows without a "|" get every column filled in: 2,080 pipes made 2.7 million cells (2.8 GB)
    write(tmp_path, "long.md", "Seats won.\n\n| a | b | c |\n|---|---|---|\n" + "x\n" * 5)
    bodies = {a.source.article_id: a.body for a in read_articles(tmp_path).articles}
    assert bodies["small.md"].split("\n\n") == ["Seats won.", "Party | Seats", "Labour | 31"]
    assert bodies["wide.md"].startswith("Seats won.\n\n| a | a |")  # the text as typed, not a table
    assert bodies["long.md"].startswith("Seats won.\n\n| a | b | c |")


def test_a_pdf_whose_text_runs_past_any_article_is_refused_while_it_is_read(monkeypatch):
    # 157 KB of pages sharing one compressed stream took 73 s to read (100 MB of text)
    import qa.articles

    monkeypatch.setattr(qa.articles, "_MAX_EXTRACTED_TEXT", 500)
    (skipped,) = read_file(PDFS / "canola.pdf", "canola.pdf").skipped
    assert re.fullmatch(
        r"the PDF's text runs past 500 characters by page 1, .*a document bomb\?\); not read", skipped.reason
    )
    # one page whose drawing instructions unpack to megabytes: pypdf parses them all before any
    # text is read (14 MB took 61 s), so they are measured first
    monkeypatch.setattr(qa.articles, "_MAX_EXTRACTED_TEXT", 4_000_000)
    monkeypatch.setattr(qa.articles, "_MAX_PDF_PAGE_CONTENT", 10_000)  # printed.pdf's page 1 holds 17 KB
    (skipped,) = read_file(PDFS / "printed.pdf", "printed.pdf").skipped
    assert skipped.reason.startswith("the PDF's page 1 unpacks to 16.8 KB of drawing instructions (16.8 KB so far)")
    monkeypatch.setattr(qa.articles, "_MAX_PDF_PAGE_CONTENT", 4 * 1024 * 1024)
    monkeypatch.setattr(qa.articles, "_MAX_PDF_CONTENT", 20_000)  # and its pages together 20.1 KB
    (skipped,) = read_file(PDFS / "printed.pdf", "printed.pdf").skipped
    assert skipped.reason.startswith("the PDF's page 2 unpacks to 3.3 KB of drawing instructions (20.1 KB so far)")


def test_hostile_files_the_second_security_review_built_are_skipped_or_read_as_text(tmp_path, monkeypatch):
    import qa.articles

    # Markdown larger than any article costs its parser ~0.7 KB a byte: read as the text it is
    monkeypatch.setattr(qa.articles, "_MAX_MARKDOWN_CHARS", 100)
    write(tmp_path, "big.md", "Seats **won**.\n\n" + "#\n" * 60)
    assert read_file(tmp_path / "big.md", "big.md").articles[0].body.startswith("Seats **won**.")
    # a web page the extractor fails on is skipped, not a traceback that fails the whole build
    monkeypatch.setattr(qa.articles, "_html_article", lambda html: 1 / 0)
    write(tmp_path, "page.html", "<p>The ferry sailed.</p>")
    (skipped,) = read_file(tmp_path / "page.html", "page.html").skipped
    assert skipped.reason == "cannot read the web page (ZeroDivisionError: division by zero)"
    # a Word part in UTF-7 hides its "<" from the count (8 million elements in 190 KB)
    path = docx_file(tmp_path / "utf7.docx", [("Normal", "The ferry sailed.")])
    with zipfile.ZipFile(path) as source:
        parts = {i.filename: source.read(i) for i in source.infolist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(b"UTF-8", b"UTF-7", 1)
    with zipfile.ZipFile(path, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)
    (skipped,) = read_file(path, "utf7.docx").skipped
    assert skipped.reason == "the Word document's word/document.xml is in UTF-7; not read"
    # thousands of parts: python-docx walks them in quadratic time (80k took 113 s)
    monkeypatch.setattr(qa.articles, "_MAX_DOCX_PARTS", 10)
    path = docx_file(tmp_path / "parts.docx", [("Normal", "The ferry sailed.")])
    (skipped,) = read_file(path, "parts.docx").skipped
    assert re.fullmatch(r"the Word document has \d+ parts, over the 10 an article may have; not read", skipped.reason)


def test_a_docx_whose_text_runs_past_any_article_is_refused(tmp_path, monkeypatch):
    # 770 KB of Word gave a 251 MB article: hours of embedding
    import qa.articles

    monkeypatch.setattr(qa.articles, "_MAX_EXTRACTED_TEXT", 50)
    path = docx_file(tmp_path / "long.docx", [("Normal", "The ferry sailed to Skye on Monday.")] * 2)
    (skipped,) = read_file(path, "long.docx").skipped
    assert skipped.reason.startswith("the Word document's text runs past 50 characters, more than an article")


def test_a_file_read_apart_within_its_limits_gives_what_reading_here_gives() -> None:
    apart = read_file(SEED, SEED.name, limits=ReadLimits(memory_mb=256))
    assert apart.articles and apart == read_file(SEED, SEED.name)


def test_a_file_that_takes_too_long_to_read_apart_is_skipped_with_the_limit_and_the_fix(tmp_path: Path) -> None:
    page = tmp_path / "list.html"
    page.write_text("<html><body><ul>" + "<li>a" * 200_000 + "</ul></body></html>")  # 11 s to read here
    result = read_file(page, "list.html", limits=ReadLimits(seconds=1))
    assert result.articles == ()
    assert [s.path for s in result.skipped] == ["list.html"]
    assert result.skipped[0].reason == (
        "reading it took over 1 s, the limit for this file; if the file is genuine, put it in the "
        "articles folder and run qa index (no limits there)"
    )


def test_a_file_that_needs_too_much_memory_to_read_apart_is_skipped_with_the_limit(tmp_path: Path) -> None:
    feed = tmp_path / "feed.json"  # 300,000 tiny records: 270 MB to read here
    feed.write_text(json.dumps([{"title": f"t{i}", "text": "Some words here."} for i in range(300_000)]))
    result = read_file(feed, "feed.json", limits=ReadLimits(memory_mb=256))
    assert result.articles == ()
    assert result.skipped[0].reason.startswith("reading it needed over 256 MB of memory, the limit for this file;")


def test_a_parser_that_runs_out_under_the_memory_limit_names_the_limit(tmp_path: Path) -> None:
    # the web page extractor's own errors become skips: it said "cannot read the web page (MemoryError: )"
    page = tmp_path / "list.html"
    page.write_text("<html><body><ul>" + "<li>a" * 300_000 + "</ul></body></html>")
    result = read_file(page, "list.html", limits=ReadLimits(memory_mb=256))
    assert [s.reason.split(";")[0] for s in result.skipped] == [
        "reading it needed over 256 MB of memory, the limit for this file"
    ]


@pytest.mark.parametrize(
    ("limits", "said"),
    [
        ({"seconds": 0}, "seconds=0): give a number of seconds from 1 to 86,400"),
        ({"seconds": True}, "seconds=True)"),
        ({"seconds": float("nan")}, "seconds=nan)"),
        ({"seconds": float("inf")}, "seconds=inf)"),  # overflowed the child's clock
        ({"memory_mb": 16}, "memory_mb=16): give a whole number of MB, at least 256"),
        ({"memory_mb": "2048"}, "memory_mb='2048')"),
        ({"memory_mb": 2048.5}, "memory_mb=2048.5)"),  # the child's setrlimit refused it: every file failed
    ],
)
def test_read_limits_refuse_values_that_would_refuse_every_file(limits: dict, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ReadLimits(**limits)
    assert str(caught.value).startswith(f"ReadLimits({said}")


def test_a_script_without_a_main_guard_reads_apart(tmp_path: Path) -> None:
    # multiprocessing's spawn ran the caller's script again in the child: every file was refused
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(
        "from qa.articles import ReadLimits, read_file\n"
        f"print(read_file({str(SEED)!r}, 'a.txt', limits=ReadLimits()).articles[0].source.date)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "2026-01-13\n", "")


def test_a_parser_that_runs_out_of_memory_in_a_build_fails_the_build_rather_than_drop_the_article(
    tmp_path: Path, monkeypatch
) -> None:
    # a skip would remove the file's article from the index; an out-of-memory build publishes nothing
    import qa.articles

    page = tmp_path / "page.html"
    page.write_text("<html><title>Budget</title><body><p>The budget passed on Monday.</p></body></html>")

    def exhausted(html: str) -> None:
        raise MemoryError

    monkeypatch.setattr(qa.articles, "_html_article", exhausted)
    with pytest.raises(MemoryError):
        read_file(page, "page.html")


def test_read_file_refuses_limits_of_the_wrong_kind() -> None:
    with pytest.raises(ConfigError, match="give a ReadLimits"):
        read_file(SEED, SEED.name, limits=60)  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [float("nan"), -5, 0, None, "5", True])
def test_a_size_limit_that_is_no_number_of_bytes_is_refused(limit) -> None:
    # NaN read every file however large; -5 skipped each "over the -5 bytes limit"; None a TypeError.
    with pytest.raises(ConfigError, match=r"^max_file_bytes=.* must be a number of bytes above 0 \(default 52,428,800"):
        read_file(SEED, SEED.name, limit)
    with pytest.raises(ConfigError, match=r"^max_file_bytes="):
        read_articles(SEED.parent, limit)
    assert read_file(SEED, SEED.name, 1e9).articles  # a float is fine


def test_short_key_value_lines_of_the_text_under_the_header_lines_stay_text(tmp_path):
    # Taken off as header lines once "Category:" under "Date:" was: prices, a score, a whole notice.
    write(tmp_path, "notice.txt", "Title: Office notice\nDate: 2026-01-01\nNotice: Offices closed on Friday\n")
    write(
        tmp_path, "fuel.txt", "Title: Fuel\nDate: 2026-01-01\nPetrol: 1.52 euros\nDiesel: 1.61 euros\n\nPrices rose.\n"
    )
    write(tmp_path, "tags.txt", "Title: Tags only\nDate: 2026-01-01\nTags: rates\n")  # nothing would be left
    # A metadata line makes the block's others headers too ("Photo: Reuters" kept "Category:" in the text).
    write(
        tmp_path,
        "mixed.txt",
        "Title: Fuel\nDate: 2026-01-01\nCategory: Economy\nPhoto: Reuters\nNote: x\n\nPrices rose.\n",
    )
    bodies = {a.source.article_id: a.body for a in read_articles(tmp_path).articles}
    assert bodies == {
        "notice.txt": "Notice: Offices closed on Friday",
        "fuel.txt": "Petrol: 1.52 euros\nDiesel: 1.61 euros\n\nPrices rose.",
        "tags.txt": "Tags: rates",
        "mixed.txt": "Prices rose.",
    }


# -- found reading real-looking news files (2026-12-07 review) ------------------------------------


def test_a_first_sentence_opening_with_a_header_word_and_holding_a_colon_later_is_text(tmp_path):
    """The colon must follow the key: each of these lost its first sentence to a header."""
    mantel = "Author Hilary Mantel's manuscript sold for £1.2 million on Tuesday: a record, Sotheby's said."
    inflation = "Headline inflation rose to 3.2% in March: the highest rate in a year, the ONS said."
    write(tmp_path, "a.txt", f"Mantel manuscript sets auction record\n\n{mantel}\nThe buyer was not named.\n")
    write(tmp_path, "b.txt", f"{inflation}\nFood prices rose 5% over the year.\n")
    write(
        tmp_path, "c.txt", "Date night: restaurants offer 2-for-1 deals\n\nRestaurants across the city offer deals.\n"
    )
    # A source that reads as a sentence, under a blank line: the text's, not the publisher.
    memo = "Source: internal documents show the council knew of the flood risk in 2019 and kept quiet."
    write(tmp_path, "d.txt", f"Title: Council hid flood report\nDate: 2024-03-05\n\n{memo}\nIt will respond.\n")
    result = read_articles(tmp_path)
    assert fields(result) == [
        ("Mantel manuscript sets auction record", None, None, f"{mantel}\nThe buyer was not named."),
        (
            default_title(inflation),
            None,
            None,
            f"{inflation}\nFood prices rose 5% over the year.",
        ),
        ("Date night: restaurants offer 2-for-1 deals", None, None, "Restaurants across the city offer deals."),
        ("Council hid flood report", "2024-03-05", None, f"{memo}\nIt will respond."),
    ]
    assert not result.warnings


@pytest.mark.parametrize(
    "dateline",
    [
        "Mon 4 Mar 2024 10.30 GMT",  # the Guardian's
        "4 March 2024 | 10:30 GMT",
        "March 4, 2024 — 10:30 AM",
        "Updated 10:30 AM EST, Mon March 4, 2024",
        "Monday, March 4, 2024 | 10:30 PM ET",
        "Posted: Mar 04, 2024 10:30 AM EST",
    ],
)
def test_a_dateline_with_its_time_of_day_is_read_as_a_header_and_under_the_headline(tmp_path, dateline):
    text = "The council voted on Thursday to ban single-use plastic bags from all supermarkets."
    write(tmp_path, "a.txt", f"Title: Plastic bag ban approved\nDate: {dateline}\n\n{text}\n")
    write(tmp_path, "b.txt", f"Plastic bag ban approved\n{dateline}\n\n{text}\n")
    result = read_articles(tmp_path)
    assert fields(result) == [("Plastic bag ban approved", "2024-03-04", None, text)] * 2
    assert not result.warnings


def test_a_headline_naming_a_date_is_no_dateline(tmp_path):
    text = "The talks between the two unions and the rail operators resume next week in Leeds."
    write(tmp_path, "a.txt", f"Talks resume on March 4, 2024\n\n{text}\n")
    write(tmp_path, "b.txt", f"Title: Talks\nDate: From March 4, 2024 to March 5, 2024\n\n{text}\n")
    assert [(t, d) for t, d, _, _ in fields(read_articles(tmp_path))] == [
        ("Talks resume on March 4, 2024", None),
        ("Talks", None),  # two dates: which one?
    ]


def test_a_byline_or_photo_credit_opening_a_text_is_not_its_title(tmp_path):
    text = "The council approved a second cycle lane network on Wednesday."
    write(tmp_path, "a.txt", f"By Jane Doe\n\n{text}\n")
    write(tmp_path, "b.txt", f"Photo: Reuters\n\n{text}\n")
    write(tmp_path, "c.txt", f"By Jane Doe, Political Reporter\nPublished March 5, 2024\n\n{text}\n")
    titles = [(a.source.title, a.source.date) for a in read_articles(tmp_path).articles]
    assert titles == [(text, None), (text, None), (text, "2024-03-05")]


def test_a_markdown_heading_of_any_level_opening_the_file_is_its_title(tmp_path):
    text = "The rail union called off Friday's national strike after a 4.5% pay offer."
    write(tmp_path, "a.md", f"## Rail strike called off\n\n{text}\n")
    write(tmp_path, "b.md", f"# Rail strike called off\n\n### What next\n\n{text}\n")
    assert fields(read_articles(tmp_path)) == [
        ("Rail strike called off", None, None, text),
        ("Rail strike called off", None, None, f"What next\n\n{text}"),
    ]


def test_html_lists_and_tables_read_as_the_page_shows_them_not_as_markdown(tmp_path):
    write(
        tmp_path,
        "a.html",
        "<html><head><title>Labour wins</title></head><body><article><h1>Labour wins</h1>"
        "<p>Labour won a majority of 174 seats in Thursday's general election, ending 14 years.</p>"
        "<table><tr><th>Party</th><th>Seats</th></tr><tr><td>Labour</td><td>412</td></tr></table>"
        "<ul><li>Keir Starmer becomes prime minister</li><li>Rishi Sunak to resign as leader</li></ul>"
        "</article></body></html>",
    )
    [article] = read_articles(tmp_path).articles
    assert article.body.split("\n\n")[1:] == [
        "Party | Seats",
        "Labour | 412",
        "Keir Starmer becomes prime minister",
        "Rishi Sunak to resign as leader",
    ]


def test_a_one_paragraph_html_fragment_and_plain_text_named_html_are_read(tmp_path):
    sentence = "The council approved a new cycle lane network on Tuesday, costing $18 million, the mayor said."
    write(tmp_path, "a.html", f"<p>{sentence}</p>\n")
    write(tmp_path, "b.html", "".join(f"Paragraph {n}: {sentence}\n\n" for n in range(10)))
    result = read_articles(tmp_path)
    assert [a.body.split("\n\n")[0] for a in result.articles] == [sentence, f"Paragraph 0: {sentence}"]
    assert len(result.articles[1].body.split("\n\n")) == 10 and not result.skipped


def test_an_html_page_is_not_dated_by_a_related_story_nor_by_an_all_number_date(tmp_path):
    story = "<article><h1>Bridge reopens</h1><p>The Harbour Bridge reopened to traffic on Monday after repairs.</p>"
    story += "<p>Engineers replaced 1,200 corroded rivets and resurfaced the deck, the manager said.</p></article>"
    related = '<aside><ul><li><a href="/old">Bridge closed</a> <time datetime="2019-06-01">1 June 2019</time></li></ul>'
    write(
        tmp_path,
        "a.html",
        f"<html><head><title>Bridge reopens</title></head><body>{story}{related}</aside></body></html>",
    )
    for name, date in (("b.html", "03/04/2024"), ("c.html", "2024-04-03"), ("d.html", "13/04/2024")):
        meta = f'<meta name="date" content="{date}">'
        write(tmp_path, name, f"<html><head><title>Bridge reopens</title>{meta}</head><body>{story}</body></html>")
    result = read_articles(tmp_path)
    assert [a.source.date for a in result.articles] == [None, None, "2024-04-03", "2024-04-13"]
    assert [str(w) for w in result.warnings] == [
        "b.html: date '03/04/2024' not read (could be 4 March or 3 April 2024); write it as 2024-03-04 or 2024-04-03"
    ]


def test_html_escaped_in_a_records_text_is_read_as_html_a_mentioned_tag_is_kept(tmp_path):
    escaped = (
        "&lt;p&gt;The Bank held rates at 5.25%.&lt;/p&gt;&lt;p&gt;Cuts were &amp;quot;in play&amp;quot;.&lt;/p&gt;"
    )
    records = [{"id": "a", "text": escaped}, {"id": "b", "text": "Hackers injected &lt;p&gt; tags into the page."}]
    write(tmp_path, "feed.json", json.dumps(records))
    assert [a.body for a in read_articles(tmp_path).articles] == [
        'The Bank held rates at 5.25%.\n\nCuts were "in play".',
        "Hackers injected <p> tags into the page.",
    ]


def test_header_lines_under_a_metadata_line_or_a_long_source_line_are_still_read(tmp_path):
    """Regressions the review of the reading fixes found: each lost its date, source or link."""
    text = "The minister resigned on Friday after a newspaper revealed his expenses claims."
    write(tmp_path, "a.txt", f"Category: Politics\nDate: 2024-03-04\nAuthor: Jane Doe\n\n{text}\n")
    write(tmp_path, "b.txt", f"Section: World\nSource: Reuters\nURL: https://example.com/a\n\n{text}\n")
    credit = "Reuters, Associated Press and Agence France-Presse contributed to this report."
    write(tmp_path, "c.txt", f"Title: Minister resigns\nSource: {credit}\nDate: 2024-03-04\n\n{text}\n")
    write(tmp_path, "d.txt", f"UPDATED: Road closed after crash on A40\n\n{text}\n")  # a headline, no credit
    read = [
        (a.source.title, a.source.date, a.source.publisher, a.source.url, a.body)
        for a in read_articles(tmp_path).articles
    ]
    assert read == [
        (text, "2024-03-04", None, None, text),
        (text, None, "Reuters", "https://example.com/a", text),
        ("Minister resigns", "2024-03-04", credit, None, text),
        ("UPDATED: Road closed after crash on A40", None, None, None, text),
    ]


@pytest.mark.parametrize("line", ["Sunak on March 4, 2024", "Thunderstorms on Friday, March 8, 2024"])
def test_a_subheading_naming_a_date_is_no_dateline(tmp_path, line):
    text = "The minister resigned on Friday after a newspaper revealed his expenses claims."
    write(tmp_path, "a.txt", f"Minister resigns\n{line}\n\n{text}\n")
    [article] = read_articles(tmp_path).articles
    assert line in article.body  # not taken off the text as a dateline ("Sunak": "Sun", a weekday)


def test_html_dates_in_a_meta_aside_or_a_related_content_wrapper_are_the_pages_own(tmp_path):
    body = "<p>The council approved its budget on Monday after a long debate, councillors said.</p>" * 2
    own = '<aside class="entry-meta">By Jane Doe <time datetime="2024-03-04T10:30:00Z">March 4, 2024</time></aside>'
    related = '<aside class="sidebar"><ul><li><a href="/x">Old</a> <time datetime="2019-01-01">Jan 1, 2019</time>'
    related += "</li></ul></aside>"
    write(
        tmp_path,
        "a.html",
        f"<html><body><main><article><h1>Budget</h1>{own}{body}</article></main>{related}</body></html>",
    )
    wrapper = '<div class="page related-content"><article><h1>Budget</h1>'
    wrapper += '<p><time datetime="2024-07-05">5 July 2024</time></p>'
    write(tmp_path, "b.html", f"<html><body>{wrapper}{body}</article></div></body></html>")
    # Dated in words by its byline; the story mentions "04/03/2024": no reason to doubt the date.
    mention = "<p>Minutes published on 04/03/2024 showed a split vote, and analysts expected no change this year.</p>"
    byline = '<p class="byline">By Jane Doe, April 3, 2024</p>'
    write(
        tmp_path, "c.html", f"<html><body><article><h1>Rates held</h1>{byline}{body}{mention}</article></body></html>"
    )
    # A meta aside with author and section links (it was dropped as a list of links: no date).
    linked = '<aside class="post-meta"><a href="/by/jd">Jane Doe</a> in <a href="/politics">Politics</a>'
    linked += ' <time datetime="2024-05-06">May 6, 2024</time></aside>'
    write(tmp_path, "d.html", f"<html><body><article><h1>Budget</h1>{linked}{body}</article>{related}</body></html>")
    by_rel = linked.replace('class="post-meta"', "").replace('href="/by/jd"', 'rel="author" href="/by/jd"')
    write(tmp_path, "e.html", f"<html><body><article><h1>Budget</h1>{by_rel}{body}</article>{related}</body></html>")
    result = read_articles(tmp_path)
    assert [a.source.date for a in result.articles] == ["2024-03-04", "2024-07-05", "2024-04-03"] + ["2024-05-06"] * 2
    assert not result.warnings


def test_a_records_text_mentioning_closing_tags_keeps_them(tmp_path):
    text = "Developers say the parser mishandles the &lt;/p&gt; closing tag. Close every &lt;/div&gt; you open."
    write(tmp_path, "feed.json", json.dumps([{"id": "a", "text": text}]))
    [article] = read_articles(tmp_path).articles
    assert article.body == "Developers say the parser mishandles the </p> closing tag. Close every </div> you open."


def test_html_in_a_json_record_keeps_figures_cells_and_sections_apart(tmp_path):
    # "<figcaption>Photo: Reuters</figcaption></figure><p>More than…" was read "Photo: ReutersMore
    # than…": the sentence began with the caption, and no question about it found it.
    text = (
        "<p>A storm hit Orkney.</p><figure><figcaption>Photo: Reuters</figcaption></figure>"
        "<p>More than 100,000 homes lost power.</p><table><tr><th>Party</th><th>Votes</th></tr>"
        "<tr><td>Green</td><td>12,311</td></tr></table><section>Read more here.</section><section>Second</section>"
    )
    write(tmp_path, "feed.jsonl", json.dumps({"id": "s1", "title": "Storm <em>Amy</em> hits", "text": text}) + "\n")
    article = read_articles(tmp_path).articles[0]
    assert article.body == (
        "A storm hit Orkney.\n\nPhoto: Reuters\n\nMore than 100,000 homes lost power.\n\n"
        "Party | Votes\n\nGreen | 12,311\n\nRead more here.\n\nSecond"
    )
    assert article.source.title == "Storm Amy hits"  # its markup, not "<em>"


def test_a_json_text_of_spaces_gives_way_to_the_body_and_an_empty_wrapper_holds_no_records(tmp_path):
    record = {"id": "a", "title": "Ferry", "text": "   ", "body": "The ferry sank near Oban on Monday."}
    write(tmp_path, "feed.jsonl", json.dumps(record) + "\n")
    write(tmp_path, "none.json", json.dumps({"status": "ok", "totalResults": 0, "articles": []}))
    result = read_articles(tmp_path)
    assert [a.body for a in result.articles] == ["The ferry sank near Oban on Monday."]
    assert [(s.path, s.reason) for s in result.skipped] == [("none.json", "no records found")]


def test_a_saved_page_whose_headline_is_outside_its_text_is_titled_without_the_site_name(tmp_path):
    page = (
        "<html><head><title>Teachers vote to strike over pay | UK news | The Daily Ledger</title>"
        '<meta property="og:title" content="Teachers vote to strike over pay"></head><body><header>'
        '<nav><a href="/">Home</a></nav><h1>Teachers vote to strike over pay</h1></header><main><article>'
        "<p>Teachers in England voted to strike after the government offered a 3% pay rise, the union said.</p>"
        "<p>The union said turnout was 58%, above the legal threshold for industrial action in schools.</p>"
        "<p>Ministers said the offer was fair and urged the union to return to talks before the strikes.</p>"
        "</article></main></body></html>"
    )
    article = read_file(write(tmp_path, "strike.html", page), "strike.html").articles[0]
    assert article.source.title == "Teachers vote to strike over pay"
    assert article.body.startswith("Teachers in England voted to strike")


def test_front_matter_source_object_gives_its_name_and_a_setext_headline_is_the_title(tmp_path):
    write(tmp_path, "a.md", "---\ntitle: Canal festival\nsource: {name: Sky Wire}\n---\n\nThe festival returns.\n")
    write(tmp_path, "b.md", "---\ntitle: Canal festival\nsource:\n  name: Sky Wire\n---\n\nThe festival returns.\n")
    write(tmp_path, "c.md", "Canal boat festival returns\n===========================\n\nThe festival returns.\n")
    assert fields(read_articles(tmp_path)) == [
        ("Canal festival", None, "Sky Wire", "The festival returns."),
        ("Canal festival", None, "Sky Wire", "The festival returns."),
        ("Canal boat festival returns", None, None, "The festival returns."),  # not twice
    ]


def test_a_zero_width_space_is_no_part_of_a_title(tmp_path):
    write(tmp_path, "z.txt", "title: Orchestra tour\u200b ends\n\nThe orchestra tour ended on Friday.\n")
    assert read_articles(tmp_path).articles[0].source.title == "Orchestra tour ends"


def test_docx_headline_under_a_kicker_and_header_lines_under_a_subtitle(tmp_path):
    docx_file(
        tmp_path / "kicker.docx",
        [("Normal", "ENERGY"), ("Title", "Heat pump sales double"), ("Normal", "Sales doubled last year.")],
    )
    docx_file(
        tmp_path / "subtitle.docx",
        [
            ("Title", "Heat pump sales double"),
            ("Subtitle", "Installers cannot keep up"),
            ("Normal", "Date: 2025-09-01"),
            ("Normal", "Sales doubled last year."),
        ],
    )
    docx_file(tmp_path / "text-first.docx", [("Normal", "Sales doubled last year."), ("Heading 1", "Heat pumps")])
    assert fields(read_articles(tmp_path)) == [
        ("Heat pump sales double", None, None, "Sales doubled last year."),
        ("Heat pump sales double", "2025-09-01", None, "Installers cannot keep up\n\nSales doubled last year."),
        ("Sales doubled last year.", None, None, "Sales doubled last year.\n\nHeat pumps"),
    ]


def test_a_docx_of_a_headline_and_a_table_says_tables_are_not_read(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Results", style="Heading 1")
    document.add_table(rows=2, cols=2).cell(0, 0).text = "Canola exports, tonnes"
    document.save(str(tmp_path / "results.docx"))
    reason = read_articles(tmp_path).skipped[0].reason
    assert reason.startswith("no text outside its 1 table(s), and tables are not read")


def test_a_logo_or_section_h1_before_the_headline_in_the_page_title_is_no_title(tmp_path):
    text = "".join(f"<p>{s}</p>" for s in ("The storm hit the coast on Monday, officials said.", "Crews worked."))
    titles = []
    for title, h1 in (
        ("The Ledger - Storm hits coast", "The Ledger"),
        ("Storm hits coast | The Ledger", "Storm hits coast"),
    ):
        page = f"<html><head><title>{title}</title></head><body><header><h1>{h1}</h1></header><main>{text}</main>"
        titles.append(
            read_file(write(tmp_path, "page.html", page + "</body></html>"), "page.html").articles[0].source.title
        )
    # The banner's logo is no text either: the title is the rest of the page title
    assert titles == ["Storm hits coast", "Storm hits coast"]


@pytest.mark.parametrize(
    ("title", "site", "text", "expected"),
    [
        # The headline in the text, the title adding a section and a site longer than it
        ("Teachers strike | UK news | The Guardian", None, ["Teachers strike"], "Teachers strike"),
        ("Teachers strike | UK news | The Guardian", "The Guardian", ["Teachers strike"], "Teachers strike"),
        ("Storm hits coast - The Daily Ledger of Springfield", None, ["Storm hits coast"], "Storm hits coast"),
        # A logo opening the text: the page names it its site, or the headline follows it
        ("The Ledger - Storm hits coast", "The Ledger", ["The Ledger"], "Storm hits coast"),
        ("The Ledger - Storm hits coast", None, ["The Ledger", "Storm hits coast"], "Storm hits coast"),
    ],
)
def test_a_headline_opening_the_text_is_the_title_and_leaves_the_text(tmp_path, title, site, text, expected):
    meta = f'<meta property="og:site_name" content="{site}">' if site else ""
    body = "".join(
        f"<p>{p}</p>" for p in (*text, "The storm hit the coast on Monday, officials said.", "Crews worked.")
    )
    page = f"<html><head><title>{title}</title>{meta}</head><body><article>{body}</article></body></html>"
    article = read_file(write(tmp_path, "page.html", page), "page.html").articles[0]
    assert article.source.title == expected
    assert article.body.startswith("The storm hit the coast")  # neither the headline nor the logo is text


def test_a_setext_underline_makes_no_title_of_a_header_line_byline_or_sentence(tmp_path):
    write(tmp_path, "a.md", "Date: 2025-01-01\nSource: Reuters\n---\n# Storm hits coast\n\nThe storm hit on Monday.\n")
    write(tmp_path, "b.md", "By Jane Smith\n---\n\nThe storm hit the coast on Monday.\n")
    write(tmp_path, "c.md", "The storm hit the coast on Monday, officials said.\n---\n\nMore text here.\n")
    read = fields(read_articles(tmp_path))
    assert read[0][:3] == ("Storm hits coast", "2025-01-01", "Reuters")
    assert read[1][0] != "By Jane Smith"
    assert read[2][3].startswith("The storm hit the coast on Monday, officials said.")  # still text, citable
    # "===" underlines nothing but a heading, full stop or not
    write(tmp_path, "d.md", "Chipmaker opens plant in the U.S.\n=====\n\nThe company said it would hire.\n")
    assert fields(read_articles(tmp_path))[3][0::3] == (
        "Chipmaker opens plant in the U.S.",
        "The company said it would hire.",
    )


def test_docx_date_line_above_the_title_is_still_the_date(tmp_path):
    docx_file(
        tmp_path / "dated.docx", [("Normal", "Date: 2025-09-01"), ("Title", "Heat pumps"), ("Normal", "Sales rose.")]
    )
    assert fields(read_articles(tmp_path))[0] == ("Heat pumps", "2025-09-01", None, "Sales rose.")
    # A label, a date line and a byline over the Title: the Title is the headline, the date is read
    release = [("Normal", "FOR IMMEDIATE RELEASE"), ("Normal", "March 3, 2025"), ("Title", "Acme opens plant in Ohio")]
    docx_file(tmp_path / "dated.docx", [*release, ("Normal", "Acme said on Monday it opened a plant.")])
    assert fields(read_articles(tmp_path))[0] == (
        "Acme opens plant in Ohio",
        "2025-03-03",
        None,
        "Acme said on Monday it opened a plant.",
    )
    docx_file(tmp_path / "dated.docx", [("Normal", "ENERGY"), ("Normal", "By Jane Smith"), ("Title", "Heat pumps")])
    assert fields(read_articles(tmp_path))[0][0] == "Heat pumps"


def test_a_json_title_that_only_looks_like_markup_stays_as_written(tmp_path):
    records = [
        {"id": "1", "title": "Why a<b and b>c matter", "text": "Maths is fun."},
        {"id": "2", "title": "Q&amp;A: the <i>&lt;b&gt;</i> tag", "text": "Tags are fun."},
    ]
    write(tmp_path, "feed.jsonl", "\n".join(json.dumps(r) for r in records))
    assert [a.source.title for a in read_articles(tmp_path).articles] == ["Why a<b and b>c matter", "Q&A: the <b> tag"]
    # A title in block markup or with a line break is read as HTML
    blocks = [
        {"id": "4", "title": "<p>Storm hits coast</p>", "text": "A."},
        {"id": "5", "title": "Storm<br/>Crews", "text": "B."},
    ]
    write(tmp_path, "feed.jsonl", "\n".join(json.dumps(r) for r in blocks))
    assert [a.source.title for a in read_articles(tmp_path).articles] == ["Storm hits coast", "Storm Crews"]
    cells = {"id": "3", "text": "<table><tr><td>Green</td><td>12,311</td><!-- x --></tr></table>"}
    write(tmp_path, "feed.jsonl", json.dumps(cells))
    assert read_articles(tmp_path).articles[0].body == "Green | 12,311"


@pytest.mark.parametrize(
    ("opening", "publisher"),
    [
        ("MINNEAPOLIS-ST. PAUL, Minn. (AP) — The airport reopened on Monday.", "AP"),
        ("LONDON/NEW YORK, Dec 7, 2025 (Reuters) - Mill workers walked out on Monday.", "Reuters"),
        ("SÃO PAULO (REUTERS) - Mill workers walked out on Monday.", "Reuters"),
        ("Paris (AFP) -- Mill workers walked out on Monday.", "AFP"),
        ("Atlanta (CNN)Mill workers walked out on Monday.", "CNN"),
        ("(CNN)— Mill workers walked out on Monday.", "CNN"),
        ("By Ann Lee\n\nBERLIN (dpa) - Mill workers walked out on Monday.", "dpa"),  # under a byline
        ("New York (CNN Business) — Mill workers walked out on Monday.", "CNN"),  # found by --source CNN
        ("ANKARA (AA) - Mill workers walked out on Monday.", "Anadolu"),
        ("Madrid, Jun 5 (EFE).- Mill workers walked out on Monday.", "EFE"),
        ("New Delhi [India], March 4 (ANI): Mill workers walked out on Monday.", "ANI"),
        ("WASHINGTON (AP) _ Mill workers walked out on Monday.", "AP"),
        ("MOSCOW, March 4. /TASS/. Mill workers walked out on Monday.", "TASS"),
        ("(This Dec 7 story corrects the day)\n\nLONDON, Dec 7 (Reuters) - Mill workers walked out.", "Reuters"),
        ("(Adds details in paragraph 4)\nLONDON, Dec 7 (Reuters) - Mill workers walked out.", "Reuters"),
        ("DUNMORE — Mill workers walked out on Monday.", None),  # no agency named
        ("UPDATE (Corrected) — Mill workers walked out on Monday.", None),  # a kicker, not a publisher
        ("WHO (World Health Organization) - Mill workers walked out.", None),
        ("DUNMORE (AP Photo) - Mill workers walked out on Monday.", None),
        ("Mill workers walked out on Monday in Dunmore, the union said (AP) - again.", None),  # not the dateline
    ],
)
def test_a_wire_dateline_names_the_publisher_when_nothing_else_does(tmp_path, opening, publisher):
    article, _ = read_one(tmp_path, "strike.txt", f"title: Mill strike\ndate: 2025-09-15\n\n{opening}".encode())
    assert article.source.publisher == publisher
    assert article.body.endswith(opening.rpartition("\n")[2])  # the dateline stays: sentences are quoted as written


@pytest.mark.parametrize(
    ("opening", "title"),
    [
        ("MOSCOW, March 4. /TASS/. Mill workers walked out. The union said so.", "Mill workers walked out."),
        (
            "(This story corrects the day)\n\nLONDON (Reuters) - Mill workers walked out. More.",
            "Mill workers walked out.",
        ),
        ("By Ann Lee\n\nBERLIN (dpa) - Mill workers walked out. More.", "Mill workers walked out."),
        ("DUNMORE (Corrected) - Mill workers walked out. More.", "DUNMORE (Corrected) - Mill workers walked out."),
        ("WASHINGTON (AP) — ", "WASHINGTON (AP) —"),  # nothing after it: the dateline is all there is
    ],
)
def test_an_untitled_articles_title_is_its_first_sentence_after_the_wire_dateline(tmp_path, opening, title):
    article, _ = read_one(tmp_path, "strike.txt", f"date: 2025-09-15\n\n{opening}".encode())
    assert article.source.title == title


@pytest.mark.parametrize(
    "text",
    [
        "(This story corrects the day in paragraph 2)\n\nLONDON (Reuters) - Mill workers walked out. More.",
        "(This story corrects the day in paragraph 2)\nLONDON (Reuters) - Mill workers walked out. More.",
        "Mill strike ends\n\n(Adds union vote in paragraph 2)\n\nLONDON (Reuters) - Mill workers walked out. More.",
        "Mill strike ends\n(Updates with union vote)\nLONDON (Reuters) - Mill workers walked out. More.",
    ],
)
def test_an_editors_note_above_the_dateline_is_neither_title_nor_text(tmp_path, text):
    # the note was the title, or glued to the dateline in a cited sentence
    article, _ = read_one(tmp_path, "strike.txt", text.encode())
    assert article.body.startswith("LONDON (Reuters) - Mill workers walked out.")
    assert article.source.title in ("Mill strike ends", "Mill workers walked out.")
    assert article.source.publisher == "Reuters"


def test_a_texts_own_parenthesis_and_a_records_editors_note(tmp_path):
    aside = "(The mayor, who took office in May, declined to comment.)\n\nThe council met on Monday."
    article, _ = read_one(tmp_path / "text", "aside.txt", aside.encode())
    assert article.body == aside  # a sentence in brackets is the text's own
    record = {
        "title": "Senate vote",
        "text": "<p>(Updates with vote count)</p><p>WASHINGTON (AP) — The Senate voted.</p>",
    }
    article, _ = read_one(tmp_path / "record", "vote.json", json.dumps(record).encode())
    assert article.body == "WASHINGTON (AP) — The Senate voted." and article.source.publisher == "AP"


def test_a_source_header_outranks_the_wire_dateline(tmp_path):
    text = "title: Mill strike\nsource: Dunmore Gazette\n\nDUNMORE (AP) — Mill workers walked out."
    article, _ = read_one(tmp_path, "strike.txt", text.encode())
    assert article.source.publisher == "Dunmore Gazette"


def test_reading_reports_each_file_done_out_of_all_found(tmp_path):
    # the build's "Reading articles" bar: a first build of 100k HTML files read for minutes, silent
    for n in range(3):
        write(tmp_path, f"story{n}.txt", f"Title: Story {n}\n\nThe council met on day {n}.")
    write(tmp_path, "notes.csv", "a,b")  # found, not read: counted as done all the same
    seen: list[tuple[int, int]] = []
    read_articles(tmp_path, on_file=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
