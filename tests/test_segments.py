from __future__ import annotations

import pytest

import qa.build
import qa.store.manifest
from qa.answering import answer
from qa.build import build_index
from qa.config import Settings
from qa.index import load_index
from qa.retrieval import retrieve
from qa.store import current_generation
from tests.fakes import FakeReader

QUESTIONS = [
    "What tariffs did Trudeau impose?",
    "Why did stocks fall?",
    "Who scored in the cup final?",
    "Was the town evacuated?",
    "ferry harbour storm",
]


def _results(settings, fake, index=None):
    index = index or load_index(settings.index_dir, settings, encoder=fake, reader=FakeReader())
    hits = {
        q: [(h.source.article_id, h.text, round(h.score, 5)) for h in retrieve(q, k=5, index=index)] for q in QUESTIONS
    }
    answers = {q: [(s.citation.source.article_id, s.text) for s in answer(q, index=index).sentences] for q in QUESTIONS}
    return index.counts, index.store.content_hashes(), hits, answers


def _updates(folder):
    """Five small updates touching base and delta articles: add, change, delete, re-add."""
    yield lambda: (folder / "ferry.txt").write_text(
        "title: Ferry cancelled\n\nA storm hit the harbour. Ferries stopped."
    )
    yield lambda: (folder / "markets.md").write_text("# Markets rally\n\nStocks rose on rate cut hopes. Banks led.")
    yield lambda: (folder / "ferry.txt").write_text("title: Ferry back\n\nThe harbour reopened after the storm.")
    yield lambda: (folder / "football.txt").unlink()
    yield lambda: (folder / "markets.md").unlink()


def test_answers_after_small_updates_equal_a_full_rebuild(settings, fake, tmp_path):
    build_index(settings, encoder=fake, progress=False)
    base_store = current_generation(settings.index_dir) / "store.sqlite"
    inode = base_store.stat().st_ino
    for step, update in enumerate(_updates(settings.articles_dir), start=1):
        update()
        report = build_index(settings, encoder=fake, progress=False)
        generation = current_generation(settings.index_dir)
        # The base is the same file (a hard link), never a copy; the change went to the delta.
        assert (generation / "store.sqlite").stat().st_ino == inode
        assert (generation / "delta" / "store.sqlite").is_file()
        assert report.passages_embedded <= 2, step
        fresh = Settings(articles_dir=settings.articles_dir, index_dir=tmp_path / f"fresh-{step}")
        build_index(fresh, encoder=fake, progress=False)
        assert _results(settings, fake) == _results(fresh, fake), f"after update {step}"
    assert load_index(settings.index_dir, settings, encoder=fake).counts.articles == 3


def test_a_grown_delta_is_merged_into_a_new_base(settings, fake, tmp_path, monkeypatch):
    build_index(settings, encoder=fake, progress=False)
    updates = _updates(settings.articles_dir)
    next(updates)()
    build_index(settings, encoder=fake, progress=False)
    assert (current_generation(settings.index_dir) / "delta").is_dir()
    monkeypatch.setattr(qa.build, "MERGE_MIN_PASSAGES", 0)
    monkeypatch.setattr(qa.build, "MERGE_FRACTION", 0.0)
    next(updates)()
    report = build_index(settings, encoder=fake, progress=False)
    generation = current_generation(settings.index_dir)
    assert report.updated == ("markets.md",)
    assert not (generation / "delta").exists()
    manifest = qa.store.Manifest.read(generation)
    assert not any(name.startswith("delta/") for name in manifest.files)
    fresh = Settings(articles_dir=settings.articles_dir, index_dir=tmp_path / "fresh")
    build_index(fresh, encoder=fake, progress=False)
    assert _results(settings, fake) == _results(fresh, fake)


def test_undoing_every_change_leaves_no_delta(settings, fake):
    build_index(settings, encoder=fake, progress=False)
    extra = settings.articles_dir / "extra.txt"
    extra.write_text("title: Extra\n\nAn extra story about lighthouses.")
    build_index(settings, encoder=fake, progress=False)
    extra.unlink()
    report = build_index(settings, encoder=fake, progress=False)
    assert report.removed == ("extra.txt",)
    assert not (current_generation(settings.index_dir) / "delta").exists()
    assert load_index(settings.index_dir, settings, encoder=fake).counts.articles == 4


def test_reload_after_an_update_reuses_the_open_base_without_hashing_it(settings, fake, monkeypatch):
    build_index(settings, encoder=fake, progress=False)
    old = load_index(settings.index_dir, settings, encoder=fake, reader=FakeReader())
    (settings.articles_dir / "ferry.txt").write_text("title: Ferry cancelled\n\nA storm hit the harbour.")
    build_index(settings, encoder=fake, progress=False)
    hashed = []
    real = qa.store.manifest.file_digest
    monkeypatch.setattr(qa.store.manifest, "file_digest", lambda path: hashed.append(path.name) or real(path))
    new = load_index(settings.index_dir, settings, encoder=fake, reader=FakeReader(), previous=old)
    assert new.base is old.base and new.generation != old.generation
    assert "store.sqlite" in hashed and "vectors.faiss" in hashed  # the delta's, once each
    assert hashed.count("store.sqlite") == 1 and hashed.count("vectors.faiss") == 1
    old.close()  # the old generation's close leaves the shared base open for the new one
    assert [h.source.article_id for h in retrieve("harbour storm ferry", k=1, index=new)] == ["ferry.txt"]
    assert new.counts.articles == 5


def test_a_damaged_base_is_not_reused(settings, fake):
    build_index(settings, encoder=fake, progress=False)
    old = load_index(settings.index_dir, settings, encoder=fake)
    (settings.articles_dir / "ferry.txt").write_text("title: Ferry\n\nA storm hit the harbour.")
    build_index(settings, encoder=fake, progress=False, full=True)  # a new base: other files
    new = load_index(settings.index_dir, settings, encoder=fake, previous=old)
    assert new.base is not old.base


@pytest.mark.parametrize("removed", [["markets.md"], ["markets.md", "volcano.txt"]])
def test_filters_and_listings_leave_out_removed_base_articles(settings, fake, removed):
    build_index(settings, encoder=fake, progress=False)
    for name in removed:
        (settings.articles_dir / name).unlink()
    build_index(settings, encoder=fake, progress=False)
    index = load_index(settings.index_dir, settings, encoder=fake)
    listed = [a.source.article_id for a in index.articles()]
    assert not set(removed) & set(listed) and len(listed) == 4 - len(removed)
    assert all(index.article(name) is None for name in removed)
    assert index.store.article_passage_ids("markets.md") == []
    assert "Example Wire" not in index.publishers()  # markets.md was its only article
    assert index.verify() == []


def test_undated_articles_and_a_files_articles_are_counted_across_segments(settings, fake):
    import json

    (settings.articles_dir / "notes.txt").write_text("title: Notes\n\nThe harbour reopened.")  # undated, in the base
    build_index(settings, encoder=fake, progress=False)
    assert load_index(settings.index_dir, settings, encoder=fake).undated_count() == 1
    (settings.articles_dir / "notes.txt").unlink()
    records = [{"id": "a", "title": "Rates", "text": "Rates rose."}, {"id": "b", "title": "Jobs", "text": "Jobs fell."}]
    (settings.articles_dir / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    build_index(settings, encoder=fake, progress=False)
    index = load_index(settings.index_dir, settings, encoder=fake)
    assert index.store.delta is not None  # a base and a delta
    assert index.undated_count() == 2  # the feed's two; the base's removed one no more
    assert index.from_file("feed.jsonl") and index.from_file("feed.jsonl#a") and index.from_file("football.txt")
    assert not index.from_file("notes.txt") and not index.from_file("feed.json")
    assert index.store.file_article_ids("feed.jsonl") == ["feed.jsonl#a", "feed.jsonl#b"]


def test_an_update_never_writes_into_the_files_it_shares_with_the_previous_generation(settings, fake):
    from qa.store.manifest import file_digest

    build_index(settings, encoder=fake, progress=False)
    before = current_generation(settings.index_dir)
    snapshot = {p: (file_digest(p), p.stat().st_mtime_ns) for p in before.rglob("*") if p.is_file()}
    for update in _updates(settings.articles_dir):
        update()
        build_index(settings, encoder=fake, progress=False)
        if before.exists():  # kept one build longer: its files must be exactly as built
            assert {p: (file_digest(p), p.stat().st_mtime_ns) for p in snapshot} == snapshot
    shared = current_generation(settings.index_dir) / "store.sqlite"
    assert shared.stat().st_nlink == 2  # the live generation and the one before it share one base


def test_open_segments_reads_the_base_alone_or_with_its_delta(settings, fake):
    from qa.store import SegmentedStore, open_segments

    build_index(settings, encoder=fake, progress=False)
    generation = current_generation(settings.index_dir)
    store, dense = open_segments(generation, fake.dim, "Flat")
    try:
        assert not isinstance(store, SegmentedStore)
        assert (store.counts().articles, store.counts().passages) == (4, dense.ntotal)
    finally:
        store.close()
    (settings.articles_dir / "football.txt").unlink()
    (settings.articles_dir / "extra.txt").write_text("title: Extra\n\nAn extra story about lighthouses. It shone.")
    build_index(settings, encoder=fake, progress=False)
    generation = current_generation(settings.index_dir)
    store, dense = open_segments(generation, fake.dim, "Flat", mapped=True)
    try:
        assert isinstance(store, SegmentedStore)  # the update wrote a delta
        loaded = load_index(settings.index_dir, settings, encoder=fake)
        assert store.counts() == loaded.counts and dense.ntotal == loaded.counts.passages
        assert set(store.content_hashes()) == set(loaded.store.content_hashes())
        assert "football.txt" not in store.content_hashes() and "extra.txt" in store.content_hashes()
    finally:
        store.close()
