from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from qa.build import build_index, check_articles_folder
from qa.config import Settings
from qa.errors import (
    ArticleError,
    ConfigError,
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
)
from qa.index import load_index
from qa.retrieval import retrieve
from qa.store import Store, bm25_terms, current_generation
from tests.conftest import ARTICLES
from tests.fakes import FakeEncoder
from tests.indexes import assert_same_index, snapshot

HERE = Path(__file__).resolve().parent


def test_full_build_writes_a_self_describing_manifest(settings, fake):
    report = build_index(settings, encoder=fake, progress=False)
    assert report.full and report.full_reason == "no index yet"
    assert len(report.added) == 4 and report.counts.articles == 4
    generation = current_generation(settings.index_dir)
    manifest = json.loads((generation / "manifest.json").read_text())
    assert manifest["format_version"] == 5
    assert manifest["model"]["name"] == settings.model and manifest["model"]["dim"] == 64
    assert manifest["settings"]["passage_tokens"] == 256 and manifest["settings"]["overlap_sentences"] == 1
    assert len(manifest["fingerprint"]) == 16
    assert manifest["counts"] == {
        "articles": 4,
        "passages": report.counts.passages,
        "sentences": report.counts.sentences,
    }
    catalog = json.loads((generation / "articles.json").read_text())  # per article: for builds, not loads
    ids, hashes = catalog["articles"]["ids"], catalog["articles"]["content_hashes"]
    assert set(ids) == {"markets.md", "football.txt", "volcano.txt", "carney-china-trip.txt"}
    assert len(hashes) == 4 and all(len(h) == 64 for h in hashes)
    assert catalog["sources"]["paths"] == sorted(ids) and len(catalog["sources"]["mtime_ns"]) == 4
    assert "articles.json" in manifest["files"] and "articles" not in manifest
    assert {"faiss-cpu", "onnxruntime", "sqlite", "qa"} <= set(manifest["versions"])
    assert manifest["built_at"].endswith("+00:00")
    assert manifest["files"]["vectors.faiss"]["bytes"] == (generation / "vectors.faiss").stat().st_size
    assert report.tokens_embedded > 0 and report.passages_embedded == report.counts.passages


def test_an_index_inside_the_articles_folder_is_refused_unless_hidden(settings, fake):
    inside = replace(settings, index_dir=settings.articles_dir / "index")
    with pytest.raises(ConfigError, match=r"inside the articles folder .* hidden name"):
        build_index(inside, encoder=fake, progress=False)
    assert not inside.index_dir.exists()  # refused before anything was written
    hidden = replace(settings, index_dir=settings.articles_dir / ".index")
    first = build_index(hidden, encoder=fake, progress=False)
    again = build_index(hidden, encoder=fake, progress=False)  # its own files are not read as articles
    assert again.skipped == () and again.added == () and again.unchanged == len(first.added)


def test_a_folder_of_other_files_is_refused_as_an_index(settings, fake, tmp_path):
    documents = tmp_path / "Documents"
    documents.mkdir()
    for name in ("taxes.pdf", "notes.txt", "photos", "cv.docx"):
        (documents / name).write_text("mine")
    refused = r"not an index \(cv.docx, notes.txt, photos and 1 more\).*--index .*Documents/index"
    with pytest.raises(ConfigError, match=refused):
        build_index(replace(settings, index_dir=documents), encoder=fake, progress=False)
    assert sorted(p.name for p in documents.iterdir()) == ["cv.docx", "notes.txt", "photos", "taxes.pdf"]
    # An empty folder, or the repo's index/ with its README and the chat's ratings, is an index's place.
    repo_index = tmp_path / "index"
    repo_index.mkdir()
    (repo_index / "README.md").write_text("# index/")
    (repo_index / "feedback.jsonl").write_text("")
    report = build_index(replace(settings, index_dir=repo_index), encoder=fake, progress=False)
    assert len(report.added) == 4 and current_generation(repo_index) is not None
    (repo_index / "notes.txt").write_text("added later, beside a built index")  # the folder is an index now
    assert not build_index(replace(settings, index_dir=repo_index), encoder=fake, progress=False).changed
    # LevelDB's folder has a CURRENT file too: "Not a directory: .../MANIFEST-000001/manifest.json"
    leveldb = tmp_path / "leveldb"
    leveldb.mkdir()
    (leveldb / "CURRENT").write_text("MANIFEST-000001\n")
    (leveldb / "MANIFEST-000001").write_bytes(b"\x00\x01")
    another = r"CURRENT names 'MANIFEST-000001', not a build of qa's \(gen-…\): .*another program's folder"
    with pytest.raises(IndexNotFoundError, match=another):
        build_index(replace(settings, index_dir=leveldb), encoder=fake, progress=False)
    with pytest.raises(IndexNotFoundError, match=another):
        load_index(leveldb, settings, encoder=fake)
    assert sorted(p.name for p in leveldb.iterdir()) == ["CURRENT", "MANIFEST-000001"]


def test_passages_longer_than_the_model_reads_are_refused(settings, fake):
    # 8192 was taken: each passage was cut at the model's 256 tokens, and its later sentences
    # got the passage's vector (a question about them led with an unrelated sentence).
    with pytest.raises(ConfigError, match=r"passage_tokens=257 is more than the model .* reads \(256 tokens\)"):
        build_index(replace(settings, passage_tokens=257), encoder=fake, progress=False)
    assert not settings.index_dir.exists()
    assert build_index(replace(settings, passage_tokens=256), encoder=fake, progress=False).counts.passages > 0


def test_on_progress_counts_passages_without_a_progress_bar(settings, fake):
    seen: list[tuple[int, int]] = []
    report = build_index(settings, encoder=fake, progress=False, on_progress=lambda d, t: seen.append((d, t)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[0] > 0  # it moves forward, from the first batch on
    assert seen[-1] == (report.passages_embedded, report.passages_embedded)


def test_a_build_logged_to_a_file_says_how_far_it_is_and_a_short_one_says_nothing(settings, fake, monkeypatch, capsys):
    # `qa index > build.log 2>&1` printed nothing for minutes: a log reader saw a hang
    import qa.build

    report = build_index(settings, encoder=fake, progress=True, full=True)  # quick: no line
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(qa.build, "LOG_EVERY_SECONDS", 0.0)
    build_index(settings, encoder=fake, progress=True, full=True)
    lines = capsys.readouterr().err.splitlines()
    total = report.passages_embedded
    # Reading first (100k HTML files read for minutes before the first passage), then embedding
    reading = [line for line in lines if line.startswith("Reading articles: ")]
    files = len(list(settings.articles_dir.iterdir()))
    assert reading and reading[-1].startswith(f"Reading articles: {files}/{files} files (100%), ")
    assert lines.index(reading[-1]) < min(i for i, line in enumerate(lines) if line.startswith("Embedding: "))
    lines = lines[len(reading) :]
    # then splitting (~3.6 ms an article: minutes at 100k articles, before the first passage)
    splitting = [line for line in lines if line.startswith("Splitting articles: ")]
    articles = report.counts.articles
    assert splitting and splitting[-1].startswith(f"Splitting articles: {articles}/{articles} articles (100%), ")
    lines = lines[len(splitting) :]
    assert lines and all(line.startswith("Embedding: ") and "\r" not in line for line in lines)
    assert lines[-1].startswith(f"Embedding: {total}/{total} passages (100%), ")
    assert lines[-1].endswith("a second, about 0 s left")


@pytest.mark.parametrize("vector_index", ["Flat", "IVF2,Flat"])
def test_a_renamed_moved_or_copied_article_is_copied_not_embedded_again(settings, fake, tmp_path, vector_index):
    # A renamed subfolder embedded its 191 articles again (35 s; a near-full rebuild at scale)
    settings = replace(settings, vector_index=vector_index)
    build_index(settings, encoder=fake, progress=False)
    folder = settings.articles_dir
    (folder / "football.txt").rename(folder / "cup-final.txt")  # renamed
    (folder / "sport").mkdir()
    (folder / "volcano.txt").rename(folder / "sport" / "volcano.txt")  # moved into a folder
    shutil.copy(folder / "markets.md", folder / "markets-copy.md")  # a copy of a live article
    before = fake.texts_encoded
    with pytest.MonkeyPatch.context() as patch:
        # not through Store.passages, which returns the article's body with every passage: a
        # 2 MB article of 1,873 passages held 3.6 GB while it was copied
        patch.setattr(Store, "passages", lambda *_: pytest.fail("Store.passages read the bodies"))
        report = build_index(settings, encoder=fake, progress=False)
    assert fake.texts_encoded == before and report.passages_embedded == 0
    assert sorted(report.added) == ["cup-final.txt", "markets-copy.md", "sport/volcano.txt"]
    assert sorted(report.removed) == ["football.txt", "volcano.txt"]
    # the index is the one a full build makes: the same passages, sentences and vectors
    fresh = replace(settings, index_dir=tmp_path / "fresh")
    build_index(fresh, encoder=FakeEncoder(), progress=False, full=True)
    got, want = snapshot(settings.index_dir), snapshot(fresh.index_dir)
    assert report.passages_copied == sum(1 for a, _, _ in got["passages"] if a in report.added) > 0
    assert_same_index(got, want, same_ids=False)
    index = load_index(settings.index_dir, settings, encoder=fake)
    hits = retrieve("Which team won the national cup final?", index=index, k=1)
    assert hits[0].source.article_id == "cup-final.txt" and "Rovers won" in hits[0].text
    # renamed again (its rows are the delta's, removed by this build) and moved back (the base's)
    (folder / "cup-final.txt").rename(folder / "final.txt")
    (folder / "sport" / "volcano.txt").rename(folder / "volcano.txt")
    before = fake.texts_encoded  # the question above was encoded too
    report = build_index(settings, encoder=fake, progress=False)
    assert fake.texts_encoded == before and report.passages_embedded == 0 and report.passages_copied > 0
    fresh = replace(settings, index_dir=tmp_path / "fresh-again")
    build_index(fresh, encoder=FakeEncoder(), progress=False, full=True)
    assert_same_index(snapshot(settings.index_dir), snapshot(fresh.index_dir), same_ids=False)
    # an edited article is embedded, not copied from its old text
    (folder / "final.txt").write_text(ARTICLES["football.txt"].replace("twice", "three times"))
    report = build_index(settings, encoder=fake, progress=False)
    assert report.passages_embedded > 0 and report.passages_copied == 0


@pytest.mark.parametrize("pointer", [b"", b"\xff\xfe garbage", b"../elsewhere", b"garbage\n"])
def test_a_full_build_repairs_a_damaged_pointer(settings, fake, pointer):
    # "CURRENT is damaged. Rebuild with: qa index --full", and qa index --full failed the same way;
    # "garbage" beside qa's builds was called another program's folder, and --full refused it too
    build_index(settings, encoder=fake, progress=False)
    (settings.index_dir / "CURRENT").write_bytes(pointer)
    with pytest.raises(IndexCorruptError, match=r"CURRENT is damaged\. Rebuild with: qa index --full"):
        build_index(settings, encoder=fake, progress=False)
    report = build_index(settings, encoder=fake, progress=False, full=True)
    assert report.counts.articles == 4
    assert load_index(settings.index_dir, settings, encoder=fake).counts.articles == 4


def test_unchanged_articles_are_not_embedded_again(settings, fake):
    build_index(settings, encoder=fake, progress=False)
    before, generation = fake.texts_encoded, current_generation(settings.index_dir)
    report = build_index(settings, encoder=fake, progress=False)
    assert fake.texts_encoded == before
    assert not report.full and report.unchanged == 4 and not report.changed
    assert current_generation(settings.index_dir) == generation  # nothing rewritten


def test_an_index_read_by_older_reading_rules_reads_every_file_again_and_embeds_what_reads_otherwise(
    settings, fake, monkeypatch
):
    """A reading fix reached an index only through --full or an edit of the file: an update
    skipped every unchanged file, and kept what the old rules made of it."""
    import qa.articles
    import qa.build

    new_rules = qa.articles._text_article

    def old_rules(text: str, markdown: bool, titled: bool = False):  # read volcano.txt's title otherwise
        title, body, meta = new_rules(text, markdown, titled)
        return ("Old title" if "Iceland declared" in body else title), body, meta

    def title() -> str:
        return load_index(settings.index_dir, settings, encoder=fake).article("volcano.txt").source.title

    monkeypatch.setattr(qa.articles, "_text_article", old_rules)
    monkeypatch.setattr(qa.build, "READING_RULES", 1)
    build_index(settings, encoder=fake, progress=False)
    assert title() == "Old title"
    monkeypatch.undo()  # today's rules; unchanged files with unchanged stamps
    before = fake.texts_encoded
    report = build_index(settings, encoder=fake, progress=False)
    assert report.updated == ("volcano.txt",) and report.unchanged == 3 and title() != "Old title"
    assert fake.texts_encoded - before < report.counts.passages  # the other articles not embedded again
    reread = []
    monkeypatch.setattr(qa.articles, "_text_article", lambda *a: reread.append(a) or new_rules(*a))
    report = build_index(settings, encoder=fake, progress=False)
    assert not reread and not report.changed  # read by these rules: unchanged files are not read


@pytest.mark.parametrize("reading", [{"follow_links": True}, {"max_file_mb": 0.5}])
def test_how_the_folder_is_read_is_recorded_even_when_no_article_changed(settings, fake, reading):
    """`qa index --no-follow-links` on an unchanged folder kept "follow_links: true" on record:
    the next bare `qa index` (serve, --watch) followed links again."""
    from qa.articles import READING_RULES
    from qa.build import built_with

    build_index(replace(settings, **reading), encoder=fake, progress=False)
    before = fake.texts_encoded
    report = build_index(settings, encoder=fake, progress=False)
    assert report.unchanged == 4 and not report.changed and fake.texts_encoded == before  # nothing embedded
    recorded = built_with(settings.index_dir)
    assert recorded is not None
    reading_now = {"follow_links": settings.follow_links, "max_file_mb": settings.max_file_mb}
    assert recorded.reading == {**reading_now, "rules": READING_RULES}


def test_add_change_and_remove_one_article(settings, fake):
    build_index(settings, encoder=fake, progress=False)
    folder = settings.articles_dir
    (folder / "new.txt").write_text(
        "title: Harbour reopens\n\nThe harbour reopened after the storm. Ferries sail again."
    )
    (folder / "football.txt").write_text("title: Rovers lose the cup\n\nRovers lost the final on penalties.")
    (folder / "volcano.txt").unlink()
    before = fake.texts_encoded
    report = build_index(settings, encoder=fake, progress=False)
    assert (report.added, report.updated, report.removed) == (("new.txt",), ("football.txt",), ("volcano.txt",))
    assert report.unchanged == 2 and not report.full
    assert fake.texts_encoded - before == report.passages_embedded == 2  # one passage each
    index = load_index(settings.index_dir, settings, encoder=fake)
    assert index.counts.articles == 4
    assert retrieve("harbour ferries", k=1, index=index, mode="bm25")[0].source.article_id == "new.txt"
    assert retrieve("Grindavik earthquakes", k=5, index=index, mode="bm25") == []  # removed from FTS
    assert retrieve("striker scored twice", k=5, index=index, mode="bm25") == []  # old text gone
    assert retrieve("penalties", k=1, index=index, mode="bm25")[0].source.article_id == "football.txt"
    assert all(
        h.source.article_id != "volcano.txt" for h in retrieve("volcano eruption", k=10, index=index, mode="dense")
    )


def test_incremental_result_equals_full_rebuild(settings, fake, tmp_path):
    """Deleted and added articles must leave exactly the BM25 statistics of a fresh build."""
    build_index(settings, encoder=fake, progress=False)
    (settings.articles_dir / "markets.md").write_text("# Markets rally\n\nStocks rose on rate cut hopes. Banks led.")
    (settings.articles_dir / "football.txt").unlink()
    build_index(settings, encoder=fake, progress=False)
    fresh = Settings(articles_dir=settings.articles_dir, index_dir=tmp_path / "fresh")
    build_index(fresh, encoder=fake, progress=False)
    a = load_index(settings.index_dir, settings, encoder=fake)
    b = load_index(fresh.index_dir, fresh, encoder=fake)
    for question in ("stocks rate banks", "China tariffs Trudeau", "volcano evacuated"):
        terms = bm25_terms([question])[0]
        # The incremental index keeps removed passages' positions (scored 0) until a merge.
        assert sorted(s for s in a.lexical.scores(terms).round(5) if s) == sorted(
            s for s in b.lexical.scores(terms).round(5) if s
        )
        assert sorted(a.lexical.sentence_scores(terms, a.store.sentence_terms(range(1, 99))).values()) == sorted(
            b.lexical.sentence_scores(terms, b.store.sentence_terms(range(1, 99))).values()
        )
        ra, rb = retrieve(question, k=5, index=a), retrieve(question, k=5, index=b)
        assert [(h.source.article_id, h.text) for h in ra] == [(h.source.article_id, h.text) for h in rb]
        # Scores agree to float noise (rounding both to 5 places once split 0.043565 across a boundary).
        assert [h.score for h in ra] == pytest.approx([h.score for h in rb], abs=1e-5)


def test_changed_settings_or_model_force_a_full_rebuild(settings, fake):
    build_index(settings, encoder=fake, progress=False)
    report = build_index(replace(settings, passage_tokens=64), encoder=fake, progress=False)
    assert report.full and report.full_reason == (
        "changed since the last build: passage size, 256 → 64 tokens (--passage-tokens, QA_PASSAGE_TOKENS)"
    )
    report = build_index(replace(settings, passage_tokens=64), encoder=FakeEncoder(name="other"), progress=False)
    assert report.full and report.full_reason == "changed since the last build: the embedding model (--model, QA_MODEL)"
    assert build_index(settings, encoder=fake, progress=False, full=True).full_reason == "--full requested"


def test_a_full_rebuild_reports_changes_against_the_index_it_replaces(settings, fake):
    first = build_index(settings, encoder=fake, progress=False)
    gone = sorted(settings.articles_dir.iterdir())[0]
    gone.unlink()
    report = build_index(settings, encoder=fake, progress=False, full=True)
    assert report.full and report.added == () and report.updated == ()
    assert len(report.removed) == 1 and report.removed[0].startswith(gone.name)
    assert report.unchanged == first.counts.articles - 1 and report.passages_embedded == report.counts.passages


def test_no_readable_article_is_a_clear_error(tmp_path, fake):
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    with pytest.raises(ArticleError, match=r"No readable article in .*empty.txt: file is empty"):
        build_index(Settings(articles_dir=folder, index_dir=tmp_path / "i"), encoder=fake, progress=False)
    with pytest.raises(ArticleError, match="does not exist"):
        build_index(Settings(articles_dir=tmp_path / "nope", index_dir=tmp_path / "i"), encoder=fake, progress=False)
    for n in range(7):
        (folder / f"empty{n}.txt").write_text("")
    with pytest.raises(ArticleError, match=r"empty3.txt: file is empty; and 3 more\)"):
        build_index(Settings(articles_dir=folder, index_dir=tmp_path / "i"), encoder=fake, progress=False)


def test_bad_files_are_reported_and_the_rest_indexed(settings, fake):
    (settings.articles_dir / "bad.jsonl").write_text('{"text": "Good line."}\nnot json\n')
    (settings.articles_dir / "blob.txt").write_bytes(b"\x00\x01\x02")
    report = build_index(settings, encoder=fake, progress=False)
    assert report.counts.articles == 5
    assert {s.path for s in report.skipped} == {"bad.jsonl:2", "blob.txt"}
    assert "looks like a binary file" in {s.path: s.reason for s in report.skipped}["blob.txt"]
    (settings.articles_dir / "latin.txt").write_bytes("title: Café\n\nLe café était fermé à Noël.".encode("cp1252"))
    first = build_index(settings, encoder=fake, progress=False)
    assert [w.path for w in first.warnings] == ["latin.txt"]
    # Nothing changed: the files are not read again, and their problems are still reported.
    again = build_index(settings, encoder=fake, progress=False)
    assert not again.changed and {s.path for s in again.skipped} == {"bad.jsonl:2", "blob.txt"}
    assert again.warnings == first.warnings


def test_a_repeated_record_id_is_still_reported_by_a_build_that_does_not_read_its_file_again(settings, fake):
    lines = [{"id": "a", "text": "The bridge reopened."}, {"id": "a", "text": "The harbour was dredged."}]
    (settings.articles_dir / "dup.jsonl").write_text("\n".join(map(json.dumps, lines)))
    first = build_index(settings, encoder=fake, progress=False)
    again = build_index(settings, encoder=fake, progress=False)
    assert [s.path for s in first.skipped] == ["dup.jsonl:2"]
    assert not again.changed and again.skipped == first.skipped


def test_an_article_added_twice_is_indexed_and_warned_about_once(settings, fake):
    first = build_index(settings, encoder=fake, progress=False)
    assert first.warnings == ()  # the fixture's articles are all different
    original = sorted(p for p in settings.articles_dir.iterdir() if p.suffix == ".txt")[0]
    (settings.articles_dir / "zz-copy.txt").write_bytes(original.read_bytes())
    (settings.articles_dir / "aa-copy.txt").write_bytes(original.read_bytes())
    report = build_index(settings, encoder=fake, progress=False)
    assert [(w.path, w.reason.split(":")[0]) for w in report.warnings] == [
        ("aa-copy.txt", f"the same article as {original.name}"),  # the copy names the one indexed before
        ("zz-copy.txt", f"the same article as {original.name}"),
    ]
    assert report.counts.articles == first.counts.articles + 2  # both still indexed
    assert build_index(settings, encoder=fake, progress=False).warnings == ()  # said when the copy came


def test_second_build_refuses_while_the_first_holds_the_lock(settings, fake, capsys):
    from filelock import FileLock

    settings.index_dir.mkdir(parents=True)
    lock = FileLock(str(settings.index_dir / ".lock"), thread_local=False)
    lock.acquire()
    try:
        with pytest.raises(IndexLockedError, match=r"Another build of .* is running\. .*qa index --wait SECONDS"):
            build_index(settings, encoder=fake, progress=False)
        with pytest.raises(IndexLockedError, match=r"is running \(waited 0\.2 s\)"):
            build_index(settings, encoder=fake, progress=False, wait=0.2)
        assert "Waiting" not in capsys.readouterr().err  # progress=False: nothing said
        threading.Timer(2.0, lock.release).start()
        began = time.perf_counter()
        report = build_index(settings, encoder=fake, progress=True, wait=10)  # waits, then builds
        assert report.counts.articles == 4
        assert report.seconds <= time.perf_counter() - began - 1.5  # its own time, not the wait's
        said = capsys.readouterr().err
        assert f"Waiting up to 10 s for another build of {settings.index_dir}/ to finish…" in said
    finally:
        if lock.is_locked:
            lock.release()


def test_a_build_that_waited_for_another_reads_the_folder_again(settings, fake):
    """The other build published nothing (stopped, failed): a file deleted during the wait
    stayed indexed, and cited, while the report said the index was up to date."""
    from filelock import FileLock

    build_index(settings, encoder=fake, progress=False)
    lock = FileLock(str(settings.index_dir / ".lock"), thread_local=False)
    lock.acquire()
    try:
        threading.Timer(1.0, (settings.articles_dir / "volcano.txt").unlink).start()
        threading.Timer(2.0, lock.release).start()
        report = build_index(settings, encoder=fake, progress=False, wait=10)  # read the folder, then waited
    finally:
        time.sleep(2.1)  # the timers have run
    assert report.removed == ("volcano.txt",) and report.counts.articles == 3
    index = load_index(settings.index_dir, settings, encoder=fake)
    assert all(h.source.article_id != "volcano.txt" for h in retrieve("Grindavik evacuated", k=5, index=index))


def test_two_concurrent_build_processes_never_corrupt(settings, fake):
    for i in range(30):
        (settings.articles_dir / f"extra{i}.txt").write_text(
            f"Extra article number {i} about topic {i}. Two sentences."
        )
    command = [
        sys.executable,
        str(HERE / "slow_build.py"),
        str(settings.articles_dir),
        str(settings.index_dir),
        "never",
    ]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes[0] == 0
    if codes[1] != 0:  # the loser refused clearly
        assert any("Another build" in err for _, err in outcomes)
    assert load_index(settings.index_dir, settings, encoder=fake).counts.articles == 34


@pytest.mark.parametrize("step", ["embed", "publish", "swap"])
def test_build_killed_at_any_point_leaves_the_previous_index_working(settings, fake, step):
    build_index(settings, encoder=fake, progress=False)
    before = current_generation(settings.index_dir)
    question = "What tariffs did Trudeau impose?"
    expected = [
        (h.source.article_id, h.text, round(h.score, 5))
        for h in retrieve(question, k=3, index=load_index(settings.index_dir, settings, encoder=fake))
    ]
    (settings.articles_dir / "markets.md").write_text("# Changed\n\nA changed article about tariffs.")
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "slow_build.py"), str(settings.articles_dir), str(settings.index_dir), step],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "started"
        assert proc.stdout.readline().strip() == step
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert current_generation(settings.index_dir) == before
    index = load_index(settings.index_dir, settings, encoder=fake)
    assert index.counts.articles == 4
    got = [(h.source.article_id, h.text, round(h.score, 5)) for h in retrieve(question, k=3, index=index)]
    assert got == expected
    leftovers = {p.name for p in settings.index_dir.iterdir()} - {before.name, "CURRENT", ".lock"}
    assert leftovers  # the killed build's folder is still there ...
    report = build_index(settings, encoder=fake, progress=False)
    assert report.updated == ("markets.md",)
    names = {p.name for p in settings.index_dir.iterdir()}
    # ... until the next build, which keeps only the live generation and the one before it
    assert names == {current_generation(settings.index_dir).name, before.name, "CURRENT", ".lock"}


def test_a_build_killed_while_embedding_is_taken_up_by_the_next(settings, fake, tmp_path):
    # A first build of hours, killed (kill -9, a power cut) after its first round of articles:
    # that round's vectors are saved, and the next build embeds only the others.
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "slow_build.py"), str(settings.articles_dir), str(settings.index_dir), "round"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "started"
        assert proc.stdout.readline().strip() == "round"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert current_generation(settings.index_dir) is None and (settings.index_dir / ".resume").is_dir()
    report = build_index(settings, encoder=fake, progress=False)
    assert report.passages_resumed >= 1 and report.passages_embedded >= 1
    assert report.passages_resumed + report.passages_embedded == report.counts.passages
    assert fake.texts_encoded == report.passages_embedded  # what was taken up was not embedded again
    assert not (settings.index_dir / ".resume").exists()  # gone once published
    fresh = replace(settings, index_dir=tmp_path / "fresh")
    build_index(fresh, encoder=FakeEncoder(), progress=False)
    assert_same_index(snapshot(settings.index_dir), snapshot(fresh.index_dir), same_ids=False)
    assert (
        json.loads((current_generation(settings.index_dir) / "manifest.json").read_text())["build"]["passages_resumed"]
        == report.passages_resumed
    )


class _StopsInItsSecondRound(FakeEncoder):
    def _token_embeddings(self, ids, mask, types):
        if self.calls == 1:  # the second round: the first one is saved
            raise KeyboardInterrupt
        return super()._token_embeddings(ids, mask, types)


def test_saved_vectors_are_taken_up_only_by_a_build_with_their_settings(settings, fake, monkeypatch):
    import qa.build

    monkeypatch.setattr(qa.build, "CHUNK_ARTICLES", 1)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, encoder=_StopsInItsSecondRound(), progress=False)
    other = FakeEncoder(dim=32)  # another model: its fingerprint keys other saved vectors
    report = build_index(settings, encoder=other, progress=False)
    assert report.passages_resumed == 0 and report.passages_embedded == report.counts.passages
    assert len(list((settings.index_dir / ".resume").iterdir())) == 1  # the stopped build's, kept for it
    assert build_index(settings, encoder=other, progress=False).passages_embedded == 0  # nothing to do: kept
    report = build_index(settings, encoder=FakeEncoder(), progress=False)  # that build, run again
    assert report.passages_resumed >= 1 and report.passages_resumed + report.passages_embedded == report.counts.passages
    assert not (settings.index_dir / ".resume").exists()
    for name in ("new-a.txt", "new-b.txt"):
        (settings.articles_dir / name).write_text(f"title: {name}\n\nA new article about ferries, {name}.")
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, encoder=_StopsInItsSecondRound(), progress=False)
    assert (settings.index_dir / ".resume").is_dir()  # new-a.txt's round
    (settings.articles_dir / "new-a.txt").unlink()
    (settings.articles_dir / "new-b.txt").unlink()
    report = build_index(settings, encoder=FakeEncoder(), progress=False)  # the changes undone: nothing to do
    assert report.passages_embedded == 0 and not (settings.index_dir / ".resume").exists()


def test_saved_vectors_of_an_article_split_otherwise_now_are_not_taken_up(settings, tmp_path, monkeypatch):
    import qa.build
    import qa.preparation

    monkeypatch.setattr(qa.build, "CHUNK_ARTICLES", 1)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, encoder=_StopsInItsSecondRound(), progress=False)
    real = qa.preparation.make_passages
    # The same settings key, but passages cut otherwise (as a new version of the splitter might).
    monkeypatch.setattr(
        qa.preparation, "make_passages", lambda sentences, tokens, budget, overlap: real(sentences, tokens, 12, 0)
    )
    encoder = FakeEncoder()
    report = build_index(settings, encoder=encoder, progress=False)
    assert report.passages_resumed == 0 and encoder.texts_encoded == report.counts.passages
    fresh = replace(settings, index_dir=tmp_path / "fresh")
    build_index(fresh, encoder=FakeEncoder(), progress=False)
    assert_same_index(snapshot(settings.index_dir), snapshot(fresh.index_dir), same_ids=False)


@pytest.mark.parametrize(("first", "stop"), [(False, "SIGINT"), (True, "SIGINT"), (False, "SIGTERM")])
def test_ctrl_c_while_qa_index_embeds_says_the_last_build_still_serves(settings, fake, first, stop):
    # SIGTERM (`kill`, `timeout`) stops it as Ctrl-C does; it killed Python at once, leaving the
    # half-built generation in the index folder
    if not first:
        build_index(settings, encoder=fake, progress=False)
    before = current_generation(settings.index_dir)
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "slow_build.py"), str(settings.articles_dir), str(settings.index_dir), "cli"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as from a terminal: a background job would start with SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout.readline().strip() == "started"
        assert proc.stdout.readline().strip() == "embed"
        proc.send_signal(getattr(signal, stop))
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == (143 if stop == "SIGTERM" else 130)
    said = "interrupted (SIGTERM)" if stop == "SIGTERM" else "interrupted"
    if first:  # it said the folder "still holds its last complete build": there was none
        # stopped in its first round: nothing saved to take up, so nothing promised
        assert (
            err.strip()
            == f"{said}: no index was built in {settings.index_dir}/ yet; run the same qa index command again"
        )
        assert current_generation(settings.index_dir) is None
        assert {p.name for p in settings.index_dir.iterdir()} == {".lock"}
        return
    assert (
        err.strip()
        == f"{said}: {settings.index_dir}/ still holds its last complete build; run the same qa index command again"
    )
    assert current_generation(settings.index_dir) == before
    # nothing half-built is left behind: only the live generation, its pointer and the lock
    assert {p.name for p in settings.index_dir.iterdir()} == {before.name, "CURRENT", ".lock"}
    assert load_index(settings.index_dir, settings, encoder=fake).counts.articles == 4


@pytest.mark.parametrize(("lines", "columns"), [(0, 0), (24, 60)])
def test_the_progress_bar_shows_on_a_terminal_whatever_size_it_reports(monkeypatch, lines, columns):
    """A pseudo-terminal nobody sized reports 0 x 0; tqdm alone would draw nothing there."""
    import fcntl
    import pty
    import struct
    import termios

    from qa.build import progress_bar

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    with open(terminal, "w", encoding="utf-8", closefd=True) as stderr:
        monkeypatch.setattr(sys, "stderr", stderr)
        for _ in progress_bar(3, "Evaluating", True, unit="question", items=["a", "b", "c"]):
            pass
        stderr.flush()
    output = b""
    while True:  # one read may return part of it; EIO once the closed terminal side is drained
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    drawn = [line.strip("\n") for line in output.decode().split("\r")]
    assert any("Evaluating: 100%" in line and "3/3" in line for line in drawn)
    assert max(len(line) for line in drawn) <= (columns or 80)


def test_ivf_vector_index_is_trained_in_the_build_and_updated_incrementally(tmp_path, fake):
    folder = tmp_path / "many"
    folder.mkdir()
    topics = [
        "harbour ferries",
        "volcano eruption",
        "football final",
        "bank rates",
        "election count",
        "film festival",
        "chip factory",
        "rail strike",
    ]
    for i in range(80):
        (folder / f"a{i:02d}.txt").write_text(
            f"title: Story {i}\n\nNews about {topics[i % 8]} number {i}. More about {topics[(i + 3) % 8]} here."
        )
    exact = Settings(articles_dir=folder, index_dir=tmp_path / "exact")
    ivf = Settings(articles_dir=folder, index_dir=tmp_path / "ivf", vector_index="IVF4,Flat")
    build_index(exact, encoder=fake, progress=False)
    report = build_index(ivf, encoder=fake, progress=False)
    assert report.vector_index == "IVF4,Flat"
    a, b = (load_index(s.index_dir, s, encoder=fake) for s in (exact, ivf))
    for q in ("volcano eruption number 5", "bank rates", "rail strike number 77"):
        # 4 lists, 64 probed: the IVF search is exhaustive and must equal exact search
        assert [h.source.article_id for h in retrieve(q, k=5, index=a)] == [
            h.source.article_id for h in retrieve(q, k=5, index=b)
        ]
    (folder / "a05.txt").unlink()
    (folder / "new.txt").write_text("title: Lighthouse\n\nThe lighthouse keeper retired after forty years.")
    report = build_index(ivf, encoder=fake, progress=False)
    assert (report.added, report.removed, report.vector_index) == (("new.txt",), ("a05.txt",), "IVF4,Flat")
    b = load_index(ivf.index_dir, ivf, encoder=fake)
    assert retrieve("lighthouse keeper retired", k=1, index=b, mode="dense")[0].source.article_id == "new.txt"
    assert all(h.source.article_id != "a05.txt" for h in retrieve("volcano eruption number 5", k=10, index=b))


def test_an_ivf_with_more_lists_than_passages_is_refused_with_the_fix(settings, fake):
    from qa.errors import ConfigError

    few = replace(settings, vector_index="IVF4096,Flat")  # the README's example, on a few articles
    with pytest.raises(ConfigError) as refused:
        build_index(few, encoder=fake, progress=False)
    assert "vector_index='IVF4096,Flat' (QA_VECTOR_INDEX) has 4,096 lists, more than the index's" in str(refused.value)
    # not "or fewer lists, e.g. IVF4,Flat" for 3 passages: a type refused in turn
    assert str(refused.value).endswith("use auto (exact search up to 30,000 passages, then IVF) or Flat.")
    assert not (settings.index_dir / "CURRENT").exists()  # nothing half-built was published


def test_a_vector_index_set_on_a_built_index_takes_effect_at_the_next_build(settings, fake):
    """It waited for a merge: silently ignored, and a mistyped one refused only then."""
    from qa.errors import ConfigError

    build_index(settings, encoder=fake, progress=False)
    flat = current_generation(settings.index_dir)
    with pytest.raises(ConfigError, match=r"vector_index='garbage' .* is not a FAISS index factory string"):
        build_index(replace(settings, vector_index="garbage"), encoder=fake, progress=False)
    assert current_generation(settings.index_dir) == flat
    report = build_index(replace(settings, vector_index="IVF2,Flat"), encoder=fake, progress=False)
    assert report.vector_index == "IVF2,Flat" and current_generation(settings.index_dir) != flat
    retyped = current_generation(settings.index_dir)
    build_index(replace(settings, vector_index="IVF2,Flat"), encoder=fake, progress=False)
    build_index(settings, encoder=fake, progress=False)  # auto keeps a trained IVF: nothing to do
    assert current_generation(settings.index_dir) == retyped
    index = load_index(settings.index_dir, settings, encoder=fake)
    assert retrieve("Grindavik evacuated", k=1, index=index)[0].source.article_id == "volcano.txt"


@pytest.mark.parametrize(
    ("factory", "reason"),
    [
        ("PQ8", "Number of training points"),  # product quantizers need 256 passages to train on
        ("IDMap,Flat", "qa gives the passages their ids itself, so IDMap is not part of vector_index"),
        ("PCA10,Flat", "PCA matrix cannot output 10 dimensions"),
    ],
)
def test_a_vector_index_faiss_cannot_build_here_is_one_line_with_the_fix(settings, fake, factory, reason):
    # each was a FAISS RuntimeError traceback
    from qa.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        build_index(replace(settings, vector_index=factory), encoder=fake, progress=False)
    message = str(refused.value)
    assert message.startswith(f"vector_index={factory!r} (QA_VECTOR_INDEX) cannot index these ") and reason in message
    assert message.endswith("Use auto (the default: exact search up to 30,000 passages, then IVF) or Flat.")
    assert "\n" not in message and " at /" not in message  # no C++ location
    assert not (settings.index_dir / "CURRENT").exists()


def test_faiss_failing_on_the_type_auto_picked_is_not_blamed_on_the_users_setting(settings, fake, monkeypatch):
    # "vector_index='IVF2,PQ8' (QA_VECTOR_INDEX) cannot index … Use auto" for a user already on auto
    import qa.store.dense

    monkeypatch.setattr(qa.store.dense, "EXACT_SEARCH_LIMIT", 3)
    monkeypatch.setattr(qa.store.dense, "ivf_factory", lambda size: "IVF2,PQ8")  # too few passages to train
    with pytest.raises(RuntimeError) as failed:
        build_index(settings, encoder=fake, progress=False)
    assert type(failed.value) is RuntimeError and "QA_VECTOR_INDEX" not in str(failed.value)


def test_auto_switches_to_ivf_above_the_exact_search_limit(settings, fake, monkeypatch):
    import qa.store.dense

    monkeypatch.setattr(qa.store.dense, "EXACT_SEARCH_LIMIT", 3)
    monkeypatch.setattr(qa.store.dense, "ivf_factory", lambda size: "IVF2,Flat")
    report = build_index(settings, encoder=fake, progress=False)
    assert report.counts.passages > 3 and report.vector_index == "IVF2,Flat"
    index = load_index(settings.index_dir, settings, encoder=fake)
    assert retrieve("Grindavik evacuated", k=1, index=index)[0].source.article_id == "volcano.txt"


def test_an_unusable_index_is_rebuilt_and_the_report_gives_the_cause_not_the_advice_to_rebuild(settings, fake):
    build_index(settings, encoder=fake, progress=False)
    shutil.rmtree(current_generation(settings.index_dir))
    report = build_index(settings, encoder=fake, progress=False)
    assert report.full and report.full_reason.startswith("previous index unusable: ")
    assert "missing" in report.full_reason and "Rebuild" not in report.full_reason, report.full_reason


def test_an_index_of_a_newer_format_is_kept_unless_full_is_asked_for(settings, fake):
    """An older qa must not throw a newer qa's index away on a bare `qa index`."""
    build_index(settings, encoder=fake, progress=False)
    generation = current_generation(settings.index_dir)
    manifest = json.loads((generation / "manifest.json").read_text())
    manifest["format_version"] = manifest["settings"]["format_version"] = 99
    (generation / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match=r"written by a newer qa.*qa index --full") as err:
        build_index(settings, encoder=fake, progress=False)
    assert err.value.newer and current_generation(settings.index_dir) == generation
    manifest["format_version"] = manifest["settings"]["format_version"] = 1  # an older one is rebuilt
    (generation / "manifest.json").write_text(json.dumps(manifest))
    assert build_index(settings, encoder=fake, progress=False).full_reason.startswith("previous index unusable")
    generation = current_generation(settings.index_dir)
    (generation / "manifest.json").write_text(json.dumps(manifest | {"format_version": 99}))
    assert build_index(settings, encoder=fake, progress=False, full=True).full
    assert current_generation(settings.index_dir) != generation


def test_a_damaged_live_index_is_rebuilt_not_copied_forward(settings, fake):
    """Damage in the live store must not survive the next incremental build."""
    build_index(settings, encoder=fake, progress=False)
    store = current_generation(settings.index_dir) / "store.sqlite"
    data = store.read_bytes()
    store.write_bytes(data.replace(b"The town of 4,000 people", b"The town of 9,000 people"))
    (settings.articles_dir / "new.txt").write_text("title: Harbour reopens\n\nThe harbour reopened after the storm.")
    report = build_index(settings, encoder=fake, progress=False)
    assert report.full and "store.sqlite: content differs from the manifest" in report.full_reason
    index = load_index(settings.index_dir, settings, encoder=fake)
    assert index.verify() == []
    hit = retrieve("Grindavik evacuated town", k=1, index=index, mode="bm25")[0]
    assert "The town of 4,000 people was evacuated." in hit.text and "9,000" not in hit.text


def test_copy_forward_verifies_the_bytes_it_copies(tmp_path):
    from qa.errors import IndexCorruptError
    from qa.store.manifest import FileEntry, copy_verified, file_digest

    source = tmp_path / "store.sqlite"
    source.write_bytes(b"indexed bytes")
    expected = FileEntry(13, file_digest(source))
    copy_verified(source, tmp_path / "copy", expected)
    assert (tmp_path / "copy").read_bytes() == b"indexed bytes"
    source.write_bytes(b"indexed bytez")
    with pytest.raises(IndexCorruptError, match="differs from its manifest"):
        copy_verified(source, tmp_path / "copy2", expected)
    assert not (tmp_path / "copy2").exists()


def test_file_digest_hashes_slice_by_slice_like_the_whole_file(tmp_path, monkeypatch):
    import xxhash

    from qa.store import manifest

    data = bytes(range(256)) * 1000 + b"tail"  # 256,004 bytes: many slices and a short last one
    (tmp_path / "f").write_bytes(data)
    (tmp_path / "empty").write_bytes(b"")
    monkeypatch.setattr(manifest, "_HASH_SLICE", 4096)
    assert manifest.file_digest(tmp_path / "f") == xxhash.xxh3_128_hexdigest(data)
    assert manifest.file_digest(tmp_path / "empty") == xxhash.xxh3_128_hexdigest(b"")
    (tmp_path / "f").write_bytes(data[:-1] + b"T")
    assert manifest.file_digest(tmp_path / "f") != xxhash.xxh3_128_hexdigest(data)


def test_links_out_of_the_articles_folder_are_indexed_only_when_allowed(settings, fake, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("title: Secret\n\nThe password file lists every account on the server.")
    (settings.articles_dir / "p.txt").symlink_to(outside)
    report = build_index(settings, encoder=fake, progress=False)
    assert "p.txt" not in report.added and report.counts.articles == 4
    assert any(s.path == "p.txt" and "links outside the articles folder" in s.reason for s in report.skipped)
    allowed = build_index(replace(settings, follow_links=True), encoder=fake, progress=False)
    assert allowed.added == ("p.txt",) and allowed.counts.articles == 5


def test_follow_links_setting_comes_from_the_environment(monkeypatch):
    from qa.config import load_settings
    from qa.errors import ConfigError

    assert load_settings().follow_links is False
    assert load_settings(follow_links="yes").follow_links is True
    words = r" \(as text: 1 or 0, true or false, yes or no, on or off\)\."
    with pytest.raises(ConfigError, match=rf"^follow_links='maybe' is not True or False{words}$"):
        load_settings(follow_links="maybe")  # given in Python, not in the environment: named as given
    monkeypatch.setenv("QA_FOLLOW_LINKS", "maybe")  # the variable's words, not Python's only
    with pytest.raises(ConfigError, match=rf"^QA_FOLLOW_LINKS='maybe' in the environment: .*False{words}$"):
        load_settings()


def test_an_update_reads_only_files_whose_size_or_time_changed(settings, fake, monkeypatch):
    import qa.articles

    build_index(settings, encoder=fake, progress=False)
    read = []
    real = qa.articles.read_file
    monkeypatch.setattr(qa.articles, "read_file", lambda path, rel, *a: read.append(rel) or real(path, rel, *a))
    (settings.articles_dir / "ferry.txt").write_text("title: Ferry\n\nA storm hit the harbour.")
    report = build_index(settings, encoder=fake, progress=False)
    assert read == ["ferry.txt"] and report.added == ("ferry.txt",) and report.unchanged == 4
    read.clear()
    volcano = settings.articles_dir / "volcano.txt"
    stamp = volcano.stat()
    volcano.write_text(volcano.read_text().replace("4,000", "5,000"))  # same size, new time
    report = build_index(settings, encoder=fake, progress=False)
    assert read == ["volcano.txt"] and report.updated == ("volcano.txt",)
    os.utime(volcano, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1))
    read.clear()
    assert not build_index(settings, encoder=fake, progress=False).changed and read == ["volcano.txt"]
    read.clear()
    report = build_index(settings, encoder=fake, progress=False, full=True)  # --full reads everything
    assert len(read) == 5 and report.counts.articles == 5


def test_a_file_swapped_for_one_of_the_same_size_and_time_is_read_again(settings, fake, tmp_path):
    """`cp -p`, `tar x` and `rsync -t` keep the modification time; the change time they cannot."""
    build_index(settings, encoder=fake, progress=False)
    volcano = settings.articles_dir / "volcano.txt"
    stamp = volcano.stat()
    edited = tmp_path / "volcano.txt"
    edited.write_text(volcano.read_text().replace("4,000", "5,000"))  # same size
    os.utime(edited, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # and the same time, as cp -p leaves it
    os.replace(edited, volcano)
    assert (volcano.stat().st_size, volcano.stat().st_mtime_ns) == (stamp.st_size, stamp.st_mtime_ns)
    report = build_index(settings, encoder=fake, progress=False)
    assert report.updated == ("volcano.txt",)
    assert "5,000" in load_index(settings.index_dir, settings, encoder=fake).article_text("volcano.txt")


def test_a_catalog_written_before_change_times_were_kept_still_skips_unchanged_files():
    from qa.store.manifest import _sources

    old = {"paths": ["a.txt"], "bytes": [10], "mtime_ns": [5], "articles": [["a.txt"]]}
    assert _sources(old)["a.txt"].ctime_ns == 0  # 0: not recorded, so size and time decide


def test_an_index_cut_by_an_older_splitter_answers_until_its_next_build_cuts_it_again(settings, fake, monkeypatch):
    import qa.store.manifest as manifest

    monkeypatch.setattr(manifest, "CHUNKER", "nupunkt/whole-sentences-v1")  # as a qa before 2026-12-07
    build_index(settings, encoder=fake, progress=False)
    monkeypatch.undo()
    assert retrieve("How many people live in the town?", k=1, index=load_index(settings=settings, encoder=fake))
    report = build_index(settings, encoder=fake, progress=False)
    assert report.full and report.full_reason == "changed since the last build: sentence splitting (another qa version)"
    assert report.passages_embedded == report.counts.passages


def test_files_skipped_as_unchanged_are_read_after_all_when_the_index_is_rebuilt(settings, fake, monkeypatch):
    build_index(settings, encoder=fake, progress=False)
    (settings.articles_dir / "ferry.txt").write_text("title: Ferry\n\nA storm hit the harbour.")
    longer = replace(settings, passage_tokens=128)  # another chunking: everything must be re-read
    report = build_index(longer, encoder=fake, progress=False)
    assert report.full and report.counts.articles == 5 and report.passages_embedded == report.counts.passages
    assert report.added == ("ferry.txt",) and report.unchanged == 4  # what changed, though all were embedded


def test_an_update_trusts_untouched_files_but_loading_still_hashes_them(settings, fake):
    """Damage that keeps a file's size and time slips past an update's quick check (an update
    does not re-hash 6 GB), never past loading, and `--full` repairs it."""
    from qa.errors import IndexCorruptError

    build_index(settings, encoder=fake, progress=False)
    store = current_generation(settings.index_dir) / "store.sqlite"
    stamp = store.stat()
    store.write_bytes(store.read_bytes().replace(b"The town of 4,000 people", b"The town of 9,000 people"))
    os.utime(store, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    (settings.articles_dir / "new.txt").write_text("title: Harbour reopens\n\nThe harbour reopened after the storm.")
    assert not build_index(settings, encoder=fake, progress=False).full
    with pytest.raises(IndexCorruptError, match=r"store\.sqlite: content differs from the manifest"):
        load_index(settings.index_dir, settings, encoder=fake)
    assert build_index(settings, encoder=fake, progress=False, full=True).counts.articles == 5
    assert load_index(settings.index_dir, settings, encoder=fake).verify() == []


def test_a_link_re_pointed_to_the_next_releases_folder_is_followed_not_refused(settings, fake, tmp_path):
    """The index recorded where `releases/current` led: re-pointed to the next release, every
    update was refused as "another folder", and its fix named the old release."""
    import json

    releases = tmp_path / "releases"
    first, second = releases / "2026-12-06", releases / "2026-12-07"
    first.mkdir(parents=True)
    second.mkdir()
    (first / "strike.txt").write_text("title: Strike\n\nLighthouse keepers in Norway voted to strike on Monday.")
    (second / "ferry.txt").write_text("title: Ferry\n\nThe harbour ferry to Bergen was cancelled on Friday.")
    current = releases / "current"
    current.symlink_to(first.name)
    linked = replace(settings, articles_dir=current)
    build_index(linked, encoder=fake, progress=False)
    manifest = current_generation(settings.index_dir) / "manifest.json"
    assert json.loads(manifest.read_text())["articles_dir"] == str(current)  # the link, not where it led
    current.unlink()
    current.symlink_to(second.name)
    report = build_index(linked, encoder=fake, progress=False)
    assert report.added == ("ferry.txt",) and report.removed == ("strike.txt",)
    with pytest.raises(ArticleError, match="built from the articles in"):  # a typo is still refused
        build_index(replace(settings, articles_dir=first), encoder=fake, progress=False)
    # ".." after a link is where the link leads, then up: "current/../2026-12-06" is releases/2026-12-06,
    # not the text's "releases/2026-12-06" by chance; here the link leads into a folder of its own.
    (tmp_path / "data" / "r1").mkdir(parents=True)
    (tmp_path / "data" / "other").mkdir()
    (tmp_path / "data" / "other" / "a.txt").write_text("title: A\n\nThe harbour ferry sailed on time.")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "current").symlink_to(tmp_path / "data" / "r1")
    dotted = replace(settings, articles_dir=tmp_path / "x" / "current" / ".." / "other", index_dir=tmp_path / "i2")
    build_index(dotted, encoder=fake, progress=False)
    recorded = json.loads((current_generation(dotted.index_dir) / "manifest.json").read_text())["articles_dir"]
    assert recorded == str(tmp_path / "data" / "other")  # abspath made it x/other, a folder that is not there


def test_an_update_from_another_articles_folder_that_drops_most_articles_is_refused(settings, fake, tmp_path):
    import json
    import shutil

    build_index(settings, encoder=fake, progress=False)
    generation = current_generation(settings.index_dir)
    held = len(load_index(settings.index_dir, settings, encoder=fake).articles())
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "one.txt").write_text("title: One\n\nA single article in another folder.")
    wrong = replace(settings, articles_dir=other)
    with pytest.raises(ArticleError) as refused:
        build_index(wrong, encoder=fake, progress=False)
    message = str(refused.value)
    assert f"built from the articles in {settings.articles_dir.resolve()}/" in message
    assert f"would remove {held} of its {held} articles" in message
    assert f"qa index --full --articles {other.resolve()} --index {settings.index_dir}" in message
    assert current_generation(settings.index_dir) == generation  # nothing was replaced
    # moved folders (the same articles, one deleted) update, and the new folder is recorded
    moved = replace(settings, articles_dir=tmp_path / "moved")
    shutil.copytree(settings.articles_dir, moved.articles_dir)
    (moved.articles_dir / "football.txt").unlink()
    assert build_index(moved, encoder=fake, progress=False).removed == ("football.txt",)
    assert json.loads((current_generation(settings.index_dir) / "manifest.json").read_text())["articles_dir"] == str(
        moved.articles_dir.resolve()
    )
    # moved with no article changed: the new place is recorded all the same (nothing re-embedded)
    again = replace(settings, articles_dir=tmp_path / "moved-again")
    shutil.move(moved.articles_dir, again.articles_dir)
    report = build_index(again, encoder=fake, progress=False)
    assert not report.changed and report.passages_embedded == 0
    assert json.loads((current_generation(settings.index_dir) / "manifest.json").read_text())["articles_dir"] == str(
        again.articles_dir.resolve()
    )
    # on purpose: a full rebuild switches folders
    assert build_index(wrong, encoder=fake, progress=False, full=True).counts.articles == 1
    # an index built before the folder was recorded is not checked
    manifest = current_generation(settings.index_dir) / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["articles_dir"]
    manifest.write_text(json.dumps(data))
    assert build_index(again, encoder=fake, progress=False).counts.articles > 1


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (lambda: build_index("articles"), r"settings='articles' must be a Settings \(e.g. Settings\(index_dir=...\)\)"),
        (lambda: build_index(Settings(), wait=-1), r"wait=-1 must be a number of seconds, 0 or more"),
        (lambda: build_index(Settings(), wait="5"), r"wait='5' must be a number of seconds"),
        (lambda: build_index(Settings(), full="no"), r"full='no' must be True or False"),  # was read as True
        (lambda: build_index(Settings(), progress=None), r"progress=None must be True or False"),
        (lambda: build_index(Settings(), on_progress=5), r"on_progress=5 must be a function"),  # failed mid-build
        (lambda: check_articles_folder("articles"), r"settings='articles' must be a Settings"),
    ],
)
def test_arguments_of_the_wrong_kind_are_config_errors(call, said):
    from qa.errors import ConfigError

    with pytest.raises(ConfigError, match=said):
        call()


def test_a_build_that_read_the_folder_before_another_published_keeps_that_build_s_articles(settings, fake, monkeypatch):
    """A hand-run qa index read the folder, waited for the lock while a watcher indexed a new
    article, then removed it again (its read was older than the index it updated)."""
    import qa.build

    build_index(settings, encoder=fake, progress=False)
    real = qa.build.read_articles
    raced: list[bool] = []

    def read_then_another_build(*args, **kwargs):
        result = real(*args, **kwargs)
        if not raced:
            raced.append(True)
            (settings.articles_dir / "late.txt").write_text("title: Late\n\nA late story about the trams.")
            build_index(settings, encoder=fake, progress=False)  # published while this build waited
        return result

    monkeypatch.setattr(qa.build, "read_articles", read_then_another_build)
    report = build_index(settings, encoder=fake, progress=False)
    assert "late.txt" not in report.removed
    assert load_index(settings.index_dir, settings, encoder=fake).article("late.txt") is not None


@pytest.mark.parametrize(
    "failure, cause",
    [
        ("sqlite", "database or disk is full"),
        ("numpy", "No space left on device"),  # np.save of the BM25 arrays
        ("faiss", "No space left on device"),  # faiss.write_index
    ],
)
def test_a_full_disk_is_one_error_and_the_index_stays_as_it_was(settings, fake, monkeypatch, failure, cause):
    import errno
    import sqlite3

    import qa.build
    from qa.errors import IndexWriteError

    build_index(settings, encoder=fake, progress=False)
    before = current_generation(settings.index_dir)
    (settings.articles_dir / "new.txt").write_text("title: New\n\nA new story about the ferries.")
    errors = {
        "sqlite": sqlite3.OperationalError("database or disk is full"),
        "numpy": OSError(errno.ENOSPC, "No space left on device"),
        "faiss": RuntimeError(
            "Error in void faiss::write_index(...) at index_write.cpp:499: Error: 'ret == (size * 4)' failed: "
            "write error in /x/vectors.faiss: 4051 != 16000 (No space left on device)"
        ),
    }

    def full_disk(*args, **kwargs):
        raise errors[failure]

    monkeypatch.setattr(qa.build, "_build_into", full_disk)
    with pytest.raises(IndexWriteError, match=rf"\({cause}\); the index is as before. Free disk space"):
        build_index(settings, encoder=fake, progress=False)
    assert current_generation(settings.index_dir) == before
    assert not [p for p in settings.index_dir.iterdir() if p.name.startswith(".build-")]


def test_a_full_disk_names_the_vectors_saved_for_the_next_build(settings, fake, monkeypatch):
    import errno

    import qa.build
    from qa.errors import IndexWriteError

    monkeypatch.setattr(qa.build, "CHUNK_ARTICLES", 1)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, encoder=_StopsInItsSecondRound(), progress=False)
    real_publish = qa.build.publish_generation

    def full_disk(index_dir, work):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(qa.build, "publish_generation", full_disk)
    with pytest.raises(
        IndexWriteError, match=r"\.resume/ holds [\d.]+ KB of vectors saved for the next build: deleting"
    ):
        build_index(settings, encoder=fake, progress=False)
    monkeypatch.setattr(qa.build, "publish_generation", real_publish)
    assert build_index(settings, encoder=fake, progress=False).passages_resumed >= 1  # still there to take up


def test_other_failures_while_building_are_not_called_a_full_disk(settings, fake, monkeypatch):
    import qa.build

    build_index(settings, encoder=fake, progress=False)
    (settings.articles_dir / "new.txt").write_text("title: New\n\nA new story about the ferries.")

    def bug(*args, **kwargs):
        raise RuntimeError("faiss: invalid dimension")

    monkeypatch.setattr(qa.build, "_build_into", bug)
    with pytest.raises(RuntimeError, match="invalid dimension"):
        build_index(settings, encoder=fake, progress=False)


def test_over_a_compressed_base_only_the_deltas_exact_vectors_are_copied(settings, fake):
    # A base whose index compresses vectors (SQ8, PQ) would hand back approximations: its
    # articles are embedded again when moved, but the delta (always Flat) is still copied from.
    settings = replace(settings, vector_index="IVF2,SQ8")
    build_index(settings, encoder=fake, progress=False)
    folder = settings.articles_dir
    (folder / "late.txt").write_text("title: Late news\n\nThe ferry was late again on Monday. Nobody was hurt.")
    build_index(settings, encoder=fake, progress=False)  # into the delta
    (folder / "late.txt").rename(folder / "ferry-late.txt")  # the delta's article: copied
    (folder / "football.txt").rename(folder / "cup-final.txt")  # the base's article: embedded
    report = build_index(settings, encoder=fake, progress=False)
    assert report.passages_copied == 1 and report.passages_embedded == 1


def test_an_article_keeps_its_content_hash_through_a_full_rebuild(settings, fake):
    """What the chat's delete confirmation names: keyed on when it was indexed, a confirmation
    asked before another tab's Rebuild refused the unchanged article as "changed"."""
    from qa.index import load_index

    build_index(settings, encoder=fake, progress=False)
    before = load_index(settings.index_dir, settings, encoder=fake).article("volcano.txt")
    time.sleep(1.1)  # indexed_at counts seconds
    build_index(settings, full=True, encoder=fake, progress=False)
    after = load_index(settings.index_dir, settings, encoder=fake).article("volcano.txt")
    assert before is not None and after is not None and after.indexed_at != before.indexed_at
    assert after.content_hash == before.content_hash and len(before.content_hash) >= 16


def test_an_articles_folder_qa_may_not_list_names_its_permissions_not_adding_articles(settings, fake, monkeypatch):
    """ "No readable article in … (.: cannot list the folder (Permission denied)). Add .txt, .md …
    articles there" said of a folder of 800 articles qa was not allowed to read."""
    import os as os_module

    from qa.errors import NoArticlesError

    real_scandir = os_module.scandir
    root = str(settings.articles_dir)

    def scandir(path: object) -> object:
        if str(path) == root:
            raise PermissionError(13, "Permission denied", root)
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr("qa.articles.os.scandir", scandir)
    with pytest.raises(NoArticlesError) as refused:  # (qa serve --read-only serves all the same, as before)
        build_index(settings, encoder=fake, progress=False)
    assert str(refused.value) == (
        f"The articles folder {settings.articles_dir}/ cannot be listed (Permission denied): let the user "
        "running qa read it (its permissions), or point --articles / QA_ARTICLES at another folder."
    )
