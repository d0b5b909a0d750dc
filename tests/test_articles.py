from __future__ import annotations

import json
from pathlib import Path

from qa.articles import default_title, read_articles, read_file
from tests.conftest import SEED


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


def test_ids_are_stable_across_reads(tmp_path):
    write(tmp_path, "sub/x.txt", "Some text here.")
    assert [a.source.article_id for a in read_articles(tmp_path).articles] == ["sub/x.txt"]
    assert [a.source.article_id for a in read_articles(tmp_path).articles] == ["sub/x.txt"]


def test_bad_inputs_are_skipped_with_one_clear_reason_each(tmp_path):
    write(tmp_path, "good.txt", "A perfectly good article.")
    write(tmp_path, "empty.txt", "   \n")
    write(tmp_path, "binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    write(tmp_path, "big.txt", "word " * 300_000)
    write(tmp_path, "broken.jsonl", '{"text": "Fine record."}\n{not json}\n{"title": "no text"}\n')
    write(tmp_path, "broken.json", "{oops")
    write(tmp_path, "notes.pdf", b"%PDF-1.4")
    write(tmp_path, ".hidden.txt", "ignored entirely")
    result = read_articles(tmp_path, max_file_bytes=1024 * 1024)
    assert sorted(a.source.article_id for a in result.articles) == ["broken.jsonl#1", "good.txt"]
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["empty.txt"] == "file is empty"
    assert "binary" in reasons["binary.txt"]
    assert "over the 1 MB limit" in reasons["big.txt"]
    assert "malformed JSON line" in reasons["broken.jsonl:2"]
    assert 'no "text"' in reasons["broken.jsonl:3"]
    assert "malformed JSON" in reasons["broken.json"]
    assert "unsupported file type '.pdf'" in reasons["notes.pdf"]
    assert len(result.skipped) == 7
    assert not any(".hidden" in s.path for s in result.skipped)


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
