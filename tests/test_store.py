"""The SQLite store: page numbers of PDF articles, and stores built before them."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np

from qa.answering import answer
from qa.articles import Article, Source
from qa.build import build_index
from qa.index import load_index
from qa.store.store import NewPassage, NewSentence, Store
from tests.conftest import ROOT
from tests.fakes import FakeReader

DIM = 4


def _add(store: Store, article: Article) -> list[int]:
    sentence = NewSentence(0, len(article.body), np.ones(DIM, np.float32) / 2, "oil rose")
    return store.add_article(article, [sentence], [NewPassage(0, 0, 0, len(article.body), "oil rose")], "2026-01-16")


def _old_store(path: Path) -> None:
    """A store as built before page numbers: the same tables without `articles.pages`."""
    store = Store.open_for_build(path, DIM, create=True)
    _add(store, Article(Source("old.txt", "Old", "old.txt", "2026-01-15"), "Oil rose."))
    store.commit()
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE articles DROP COLUMN pages")


def test_pdf_pages_are_stored_and_cited(settings, fake):
    shutil.copy(ROOT / "tests" / "data" / "canola.pdf", settings.articles_dir / "canola.pdf")
    build_index(settings, encoder=fake, progress=False)
    index = load_index(settings.index_dir, settings, encoder=fake, reader=FakeReader())
    body = index.article_text("canola.pdf")
    pages = (0, body.index("soured after the arrest of a Huawei executive"))
    assert index.article("canola.pdf").source.pages == pages
    assert index.article("carney-china-trip.txt").source.pages == ()
    result = answer("Will steel and aluminium duties stay unchanged until a review?", index=index, max_sentences=1)
    lead = result.sentences[0].citation
    assert lead.source.article_id == "canola.pdf" and "un-changed until a review" in lead.sentence
    assert lead.page == 2 and result.pages(lead.n) == [2] and result.pages_label(lead.n) == "p. 2"
    assert result.to_dict()["citations"][0]["page"] == 2
    assert index.verify() == []  # the stored pages are part of what the content hash covers


def test_a_store_built_before_page_numbers_is_read_and_built_on(tmp_path):
    path = tmp_path / "store.sqlite"
    _old_store(path)
    old = Store.open(path, DIM)
    (info,) = old.articles()
    assert info.source.pages == () and old.damaged_articles() == []
    assert old.passages([1])[1].source.article_id == "old.txt"
    old.close()
    # an update copies the published store and writes into it: the column is added
    store = Store.open_for_build(path, DIM, create=False)
    _add(store, Article(Source("new.pdf", "New", "new.pdf", pages=(0, 4)), "Oil rose."))
    store.commit()
    store.close()
    reopened = Store.open(path, DIM)
    assert {a.source.article_id: a.source.pages for a in reopened.articles()} == {"old.txt": (), "new.pdf": (0, 4)}
    assert reopened.damaged_articles() == []


def test_a_merge_of_a_new_delta_into_an_old_base_keeps_the_pages(tmp_path):
    base, delta_path = tmp_path / "base.sqlite", tmp_path / "delta.sqlite"
    _old_store(base)
    delta = Store.open_for_build(delta_path, DIM, create=True, after=(1, 1, 1))
    _add(delta, Article(Source("new.pdf", "New", "new.pdf", pages=(0, 4)), "Oil rose."))
    delta.commit()
    delta.close()
    merged = Store.open_for_build(base, DIM, create=False)
    merged.absorb(delta_path)
    merged.close()
    store = Store.open(base, DIM)
    assert [(a.source.article_id, a.source.pages) for a in store.articles()] == [("old.txt", ()), ("new.pdf", (0, 4))]
    assert store.passages([2])[2].source.pages == (0, 4)


def test_many_sentence_vectors_are_read_in_slices_in_the_order_asked(tmp_path, monkeypatch):
    import qa.store.store

    store = Store.open_for_build(tmp_path / "store.sqlite", DIM, create=True)
    body = " ".join(f"Fact {i}." for i in range(7))
    spans = [(body.index(f"Fact {i}."), body.index(f"Fact {i}.") + len(f"Fact {i}.")) for i in range(7)]
    vectors = [np.full(DIM, i / 8, np.float32) for i in range(7)]
    sentences = [NewSentence(a, b, v, "fact") for (a, b), v in zip(spans, vectors, strict=True)]
    passages = [NewPassage(0, 6, 0, len(body), "fact")]
    store.add_article(Article(Source("f.txt", "Facts", "f.txt"), body), sentences, passages, "2026-01-16")
    store.commit()
    asked = [7, 1, 4, 2, 6, 3, 5]  # ids of the seven sentences, out of order
    whole = store.sentence_vectors(asked)
    monkeypatch.setattr(qa.store.store, "SENTENCES_PER_QUERY", 3)
    with store.traced() as statements:
        sliced = store.sentence_vectors(asked)
    assert len([s for s in statements if s.startswith("SELECT id, vector")]) == 3  # 3 + 3 + 1 ids
    assert sliced.shape == (7, DIM) and np.array_equal(sliced, whole)
    assert np.allclose(sliced[:, 0], [(i - 1) / 8 for i in asked])
    store.close()
