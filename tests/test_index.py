from __future__ import annotations

import json
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from qa.build import build_index
from qa.config import Settings
from qa.errors import ConfigError, IndexCorruptError, IndexMismatchError, IndexNotFoundError
from qa.index import load_index
from qa.retrieval import Filters, retrieve
from qa.store import Manifest, bm25_terms, current_generation
from qa.store.lexical import SENTENCE_BM25_B, SENTENCE_BM25_K1
from qa.store.manifest import file_problems
from tests.fakes import FakeEncoder


def test_missing_index_after_a_stopped_first_build_says_the_same_command_takes_up_its_work(tmp_path):
    # it named `qa index --articles seeds`, not the stopped build's folder, and not its saved work
    import numpy as np

    from qa.resume import SavedVectors

    index_dir = tmp_path / "news-index"
    index_dir.mkdir()  # a build makes it first
    saved = SavedVectors(index_dir, {"model_fingerprint": "m", "passage_tokens": 256}, dim=8)
    saved.save(["a"], [1], np.ones((1, 8), np.float32), [np.ones((2, 8), np.float32)])
    with pytest.raises(IndexNotFoundError) as caught:
        load_index(index_dir, Settings())
    assert str(caught.value).startswith(
        f"No index in {index_dir}/ yet: a first build was stopped, and saved the vectors of 1 article ("
    )
    assert str(caught.value).endswith(
        "in .resume/). Run that qa index command again, with the same --articles, to finish it: it takes "
        "them up instead of embedding them again."
    )


def test_missing_index_names_the_build_command(tmp_path):
    with pytest.raises(IndexNotFoundError, match=r"No index in .*Build it with: qa index"):
        load_index(tmp_path / "nothing", Settings())
    import subprocess
    import sys

    (tmp_path / "first").mkdir()  # its first build holds the lock (in another process, as `qa index` would)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, filelock; lock = filelock.FileLock(sys.argv[1]); lock.acquire(); "
            "print('held', flush=True); time.sleep(60)",
            str(tmp_path / "first" / ".lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexNotFoundError, match=r"No index in .*first/ yet: its first build is running"):
            load_index(tmp_path / "first", Settings())
    finally:
        holder.kill()
        holder.wait()
    with pytest.raises(IndexNotFoundError, match=r"Build it with: qa index"):  # the lock left, unheld
        load_index(tmp_path / "first", Settings())


def test_missing_index_in_a_folder_of_articles_names_a_command_that_works(tmp_path):
    articles = tmp_path / "news"
    (articles / "2024").mkdir(parents=True)
    (articles / "story.txt").write_text("Title\n\nBody.")
    settings = Settings(articles_dir=articles, index_dir=articles)
    other_index = tmp_path / "news-index"
    elsewhere = f"qa index --articles {articles} --index {other_index}, then pass --index {other_index}"
    with pytest.raises(IndexNotFoundError, match=rf"news/: it is the articles folder, .*{elsewhere}"):
        load_index(articles, settings)
    with pytest.raises(IndexNotFoundError, match=r"2024/: it is inside the articles folder .*news-index"):
        load_index(articles / "2024", settings)
    build = rf"Build it with: qa index --articles {articles} --index .*news/.index$"
    with pytest.raises(IndexNotFoundError, match=build):
        load_index(articles / ".index", settings)  # a hidden index inside is allowed (qa index never reads it)
    other = Settings(articles_dir=tmp_path / "seeds")  # a folder of articles that is not the configured one
    with pytest.raises(
        IndexNotFoundError, match=r"news/, which holds articles \(story.txt\).* qa index --articles .*news --index"
    ):
        load_index(articles, other)


def test_a_folder_of_other_files_names_them_and_a_build_command_that_works(settings, fake, tmp_path):
    junk = tmp_path / "junk"
    junk.mkdir()
    for name in ("notes.log", "photo.jpg", "a.bin", "z.dat"):
        (junk / name).write_text("not an index")
    with pytest.raises(IndexNotFoundError) as err:
        load_index(junk, settings)
    message = str(err.value)
    # It offered `qa index --index junk`, which is refused: junk/ holds files that are not an index.
    assert message.startswith("No index in ")
    assert "junk/, which holds other files (a.bin, notes.log, photo.jpg and 1 more)" in message
    command = message.rsplit(": ", 1)[1]
    assert command == f"qa index --articles {settings.articles_dir} --index {junk / 'index'}"
    build_index(replace(settings, index_dir=junk / "index"), encoder=fake, progress=False)  # that command's build
    assert load_index(junk / "index", settings, encoder=fake).manifest.counts.articles > 0


def test_the_repos_index_readme_is_no_article_and_a_build_folder_names_its_index(settings, built, tmp_path):
    fresh = tmp_path / "fresh"  # a fresh clone's index/: only its README.md
    fresh.mkdir()
    (fresh / "README.md").write_text("# The index\n\n`qa index` builds it here.")
    build = r"Build it with: qa index --articles \S+ --index .*fresh$"
    with pytest.raises(IndexNotFoundError, match=rf"^No index in .*fresh/\. {build}"):
        load_index(fresh, settings)
    generation = current_generation(settings.index_dir)
    assert generation is not None
    one_build = rf"{generation.name}/ is one build of the index .*{settings.index_dir.name}/"
    with pytest.raises(IndexNotFoundError, match=rf"{one_build}: pass --index {settings.index_dir}\.$"):
        load_index(generation, settings)
    with pytest.raises(ConfigError, match=rf"{one_build}, which qa reads through .*CURRENT; pass --index"):
        build_index(replace(settings, index_dir=generation), encoder=FakeEncoder())


def test_index_built_with_another_model_is_a_clear_error(settings, built):
    with pytest.raises(IndexMismatchError) as err:
        load_index(settings.index_dir, replace(settings, model="other"), encoder=FakeEncoder(name="other"))
    message = str(err.value)
    assert "was built with model 'all-MiniLM-L6-v2', but the configured model is 'other'" in message
    assert "qa index --full" in message
    # QA_MODEL is the command's; a Python caller's settings are passed in (the library reads no environment)
    assert message.endswith("QA_MODEL=all-MiniLM-L6-v2; from Python, Settings(model='all-MiniLM-L6-v2')).")


def test_index_built_with_other_files_of_the_same_model_says_so(settings, built):
    with pytest.raises(IndexMismatchError) as err:
        load_index(settings.index_dir, settings, encoder=FakeEncoder(dim=32))  # same name, other fingerprint
    message = str(err.value)
    assert "was built with other files of model" in message and "fingerprint fake-64, here fake-32" in message
    assert message.endswith(f"Rebuild it with: qa index --full --index {settings.index_dir}")


def test_a_model_folder_given_relative_is_recorded_by_its_absolute_path(settings, fake, tmp_path, monkeypatch):
    # Recorded as typed, `--model "my models/mini"` left an index that every later command run
    # from another folder (even `qa info`) failed to load.
    (tmp_path / "my models" / "mini").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    build_index(replace(settings, model="my models/mini"), encoder=fake, progress=False)
    monkeypatch.chdir(tmp_path / "my models")
    index = load_index(settings.index_dir, replace(settings, model=str(tmp_path / "my models" / "mini")), encoder=fake)
    assert index.model_name == str(tmp_path / "my models" / "mini")
    with pytest.raises(IndexMismatchError) as err:  # a name, not a folder here: kept as given
        load_index(settings.index_dir, replace(settings, model="other"), encoder=FakeEncoder(name="other"))
    assert f"(or use the index as it is with --model '{tmp_path}/my models/mini'" in str(err.value)


def test_a_model_path_that_the_shell_would_split_is_quoted_in_the_rebuild_command(settings, built):
    with pytest.raises(IndexMismatchError) as err:
        load_index(settings.index_dir, replace(settings, model="my model"), encoder=FakeEncoder(name="my model"))
    assert "Rebuild it with: qa index --full --index" in str(err.value)
    assert "--model 'my model' (or use the index as it is with --model all-MiniLM-L6-v2" in str(err.value)


def test_index_built_with_other_chunking_settings_is_read_as_built(settings, built, fake):
    # The passage size only decides how a build cuts articles: an app with other settings
    # (QA_PASSAGE_TOKENS unset, the index built with 256) reads the passages as they were cut.
    other = Settings(**{**settings.__dict__, "passage_tokens": 200, "overlap_sentences": 0})
    index = load_index(settings.index_dir, other, encoder=fake)
    assert index.manifest.passage_tokens == 256
    assert (
        index.manifest.counts.passages
        == load_index(settings.index_dir, settings, encoder=fake).manifest.counts.passages
    )
    assert retrieve("Trudeau tariffs", k=1, index=index)


def test_other_format_version_is_a_clear_error(settings, built, fake):
    manifest_path = current_generation(settings.index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 99
    manifest["settings"]["format_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match=r"format version 99.*reads version 5. It was written by a newer qa"):
        load_index(settings.index_dir, settings, encoder=fake)
    manifest["format_version"] = manifest["settings"]["format_version"] = 1  # an older one: only a rebuild
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match=r"format version 1, this version of qa reads version 5. Rebuild"):
        load_index(settings.index_dir, settings, encoder=fake)


@pytest.mark.parametrize("name", ["vectors.faiss", "store.sqlite", "manifest.json", "bm25/docs.npy"])
def test_truncated_files_are_clear_errors(settings, built, fake, name):
    path = current_generation(settings.index_dir) / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IndexCorruptError, match=r"(truncated or damaged|damaged).*qa index --full"):
        load_index(settings.index_dir, settings, encoder=fake)


@pytest.mark.parametrize("name", ["vectors.faiss", "store.sqlite", "bm25/ids.npy", "bm25/vocab.json"])
def test_garbage_of_the_right_size_is_a_clear_error_not_a_crash(settings, built, fake, name):
    path = current_generation(settings.index_dir) / name
    size = path.stat().st_size
    path.write_bytes(b"\x07" * size)
    with pytest.raises(IndexCorruptError, match="damaged"):
        load_index(settings.index_dir, settings, encoder=fake)
    generation = current_generation(settings.index_dir)
    assert file_problems(generation, Manifest.read(generation)) == [
        f"{name}: content differs from the manifest (damaged)"
    ]


@pytest.mark.parametrize("content", [b"../../etc", b"\xff\xfe\x00gen", b"gen-\x00x", b""])
def test_damaged_pointer_file(settings, built, fake, content):
    (settings.index_dir / "CURRENT").write_bytes(content)
    with pytest.raises(IndexCorruptError, match=r"CURRENT is damaged.*qa index --full"):
        load_index(settings.index_dir, settings, encoder=fake)


def replace_in_file(path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert data.count(old) >= 1 and len(old) == len(new)
    path.write_bytes(data.replace(old, new))


def test_same_size_edit_of_the_store_is_refused_at_load(settings, built, fake):
    """An edited sentence ("4,000 people" -> "9,000 people") must never be quoted."""
    store = current_generation(settings.index_dir) / "store.sqlite"
    replace_in_file(store, b"The town of 4,000 people", b"The town of 9,000 people")
    with pytest.raises(IndexCorruptError) as err:
        load_index(settings.index_dir, settings, encoder=fake)
    assert "store.sqlite: content differs from the manifest (damaged)" in str(err.value)
    assert "qa index --full" in str(err.value) and "\n" not in str(err.value)


def test_flipped_byte_in_the_vectors_is_refused_at_load(settings, built, fake):
    path = current_generation(settings.index_dir) / "vectors.faiss"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"vectors.faiss: content differs .*qa index --full"):
        load_index(settings.index_dir, settings, encoder=fake)


def test_damage_after_loading_is_caught_when_the_article_is_read(settings, built, fake):
    """Files are hashed at load; an article changed afterwards fails its own content hash."""
    import sqlite3

    from qa.store import Store

    path = current_generation(settings.index_dir) / "store.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("UPDATE articles SET body = replace(body, '4,000 people', '9,000 people')")
    assert built.verify()[-1] == "article 'volcano.txt' differs from what was indexed"
    store = Store.open(path, dim=64)
    volcano = store.article_passage_ids("volcano.txt")
    with pytest.raises(IndexCorruptError, match=r"Article 'volcano.txt' .* differs from what was indexed"):
        store.passages(volcano)
    assert store.passages(store.article_passage_ids("football.txt"))  # undamaged articles still read


def test_verify_reports_nothing_for_a_sound_index(built):
    assert built.verify() == []


def test_articles_listing(built):
    listing = {a.source.article_id: a for a in built.articles()}
    assert listing["football.txt"].source.title == "Rovers win the cup"
    assert listing["football.txt"].source.publisher == "Sports Daily" and listing["football.txt"].passages == 1
    assert built.articles()[0].source.date == "2026-01-13"  # newest first
    assert built.article("football.txt") == listing["football.txt"] and built.article("nope") is None
    assert built.publishers() == ["Example Wire", "Sports Daily"]


def test_index_is_safe_to_share_between_threads(built):
    questions = [
        "What tariffs did Trudeau impose?",
        "Who won the cup final?",
        "Why was the town evacuated?",
        "How much did the Dow lose?",
    ] * 10
    expected = {
        q: [(h.source.article_id, h.passage_id, round(h.score, 6)) for h in retrieve(q, k=3, index=built)]
        for q in set(questions)
    }

    def ask(q: str):
        return q, [(h.source.article_id, h.passage_id, round(h.score, 6)) for h in retrieve(q, k=3, index=built)]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(ask, questions))
    assert all(got == expected[q] for q, got in results)
    assert len(results) == 40


def test_answer_path_reads_only_through_indexes(built):
    """No question may scan a whole table: every statement of an answer uses a key, an
    index or the full-text index (this is what keeps 1M passages fast; bench_scale.py)."""
    from qa.answering import answer

    with built.store.traced() as statements:
        answer("What tariffs did Trudeau impose?", index=built)
        answer(
            "Who won the cup final?",
            history=["What tariffs did Trudeau impose?"],
            filters=Filters(since="2020-01-01"),
            index=built,
        )
        assert built.from_file("markets.md") and built.undated_count() == 0  # what source and date notices ask
    ours = [sql for sql in statements if sql.startswith("SELECT") and "'main'." not in sql]
    assert len(ours) >= 8
    for sql in ours:
        steps = built.store.query_plan(sql)
        scans = [
            step for step in steps if step.startswith("SCAN") and "VIRTUAL TABLE" not in step and "USING" not in step
        ]
        assert not scans, (sql, steps)


def test_sentence_bm25_uses_passage_rarity_and_sentence_length(tmp_path, fake):
    """Sentence BM25 by hand: IDF from how many passages hold a term, lengths against the
    sentences compared, sentences without a question term left out."""
    from qa.build import build_index

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("title: Trade\n\nTariffs rose. Tariffs on steel rose sharply.")
    (folder / "b.txt").write_text("title: Prices\n\nSteel prices fell.")
    (folder / "c.txt").write_text("title: Weather\n\nRain fell.")
    settings = Settings(articles_dir=folder, index_dir=tmp_path / "index")
    build_index(settings, encoder=fake, progress=False)
    index = load_index(settings.index_dir, settings, encoder=fake)
    assert index.counts.passages == 3
    passages = index.store.passages(range(1, 4))
    sentences = {p.body[a:b]: sid for p in passages.values() for sid, (a, b) in zip(p.sentence_ids, p.sentence_spans)}
    terms = index.store.sentence_terms(list(sentences.values()))
    scores = index.lexical.sentence_scores(bm25_terms(["tariffs on steel?"])[0], terms)
    assert set(scores) == {
        sentences["Tariffs rose."],
        sentences["Tariffs on steel rose sharply."],
        sentences["Steel prices fell."],
    }  # "Rain fell." holds no term
    lengths = [len(t) for t in bm25_terms(list(sentences))]
    average = sum(lengths) / len(lengths)

    def term(df: int, tf: int, length: int) -> float:
        idf = math.log(1 + (3 - df + 0.5) / (df + 0.5))
        return (
            idf
            * tf
            * (SENTENCE_BM25_K1 + 1)
            / (tf + SENTENCE_BM25_K1 * (1 - SENTENCE_BM25_B + SENTENCE_BM25_B * length / average))
        )

    assert scores[sentences["Tariffs rose."]] == pytest.approx(term(1, 1, 2))
    assert scores[sentences["Steel prices fell."]] == pytest.approx(term(2, 1, 3))
    assert scores[sentences["Tariffs on steel rose sharply."]] == pytest.approx(term(1, 1, 4) + term(2, 1, 4))
    assert index.lexical.sentence_scores(bm25_terms(["volcano"])[0], terms) == {}


def test_many_passages_are_read_in_one_call(tmp_path, fake):
    """More passages than one SQL statement can name (SQLite caps expression depth at 1,000)."""
    from qa.build import build_index

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(60):
        (folder / f"a{i}.txt").write_text(" ".join(f"Sentence {j} of article {i} is here." for j in range(60)))
    settings = Settings(articles_dir=folder, index_dir=tmp_path / "index", passage_tokens=32)
    build_index(settings, encoder=fake, progress=False)
    index = load_index(settings.index_dir, settings, encoder=fake)
    ids = list(range(1, index.counts.passages + 1))
    assert len(ids) > 1100
    passages = index.store.passages(ids)
    assert sorted(passages) == ids and all(p.text.startswith("Sentence") for p in passages.values())


# -- replicas: one index folder, several processes ------------------------------------------------


@pytest.fixture
def fake_loads(monkeypatch, fake):
    """open_index/follow_index load with the fake encoder and reader (the index was built with it)."""
    import qa.index
    from tests.fakes import FakeReader

    real = qa.index.load_index
    monkeypatch.setattr(
        qa.index, "load_index", lambda *a, **k: real(*a, **{**k, "encoder": fake, "reader": FakeReader()})
    )
    monkeypatch.setattr(qa.index, "_OPEN", {})
    return real


def _wait_for(condition, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_follow_index_picks_up_a_new_generation_without_a_question(settings, fake, fake_loads):
    import qa.index
    from qa.build import build_index
    from qa.index import follow_index, open_index

    def fails(index: object) -> None:  # a caller's callback that raises: following goes on all the same
        loads.append(index.generation.name)  # type: ignore[attr-defined]
        raise RuntimeError("the caller's bug")

    loads: list[str] = []
    early = follow_index(settings.index_dir, settings, interval=0.05, on_load=fails)  # no index yet: the first is news
    build_index(settings, encoder=fake, progress=False)
    _wait_for(lambda: len(loads) == 1)
    early.set()
    first = open_index(settings.index_dir, settings)
    assert loads == [first.generation.name]
    stop = follow_index(settings.index_dir, settings, interval=0.05, on_load=fails)  # the loaded one is no news
    try:
        (settings.articles_dir / "ferry.txt").write_text("title: Ferry\n\nA storm hit the harbour.")
        build_index(settings, encoder=fake, progress=False)
        key = (settings.index_dir.resolve(), settings)
        _wait_for(lambda: qa.index._OPEN[key].generation == current_generation(settings.index_dir))
        (settings.articles_dir / "ferry.txt").write_text("title: Ferry\n\nA storm hit the harbour again.")
        build_index(settings, encoder=fake, progress=False)  # taken up after the callback raised, too
        _wait_for(lambda: qa.index._OPEN[key].generation == current_generation(settings.index_dir))
    finally:
        stop.set()
    latest = qa.index._OPEN[key]
    assert latest is not first and latest.counts.articles == 5 and latest.base is first.base
    assert len(loads) == 3 and loads[-1] == latest.generation.name


def test_a_question_in_flight_finishes_on_its_generation_after_a_new_one_is_published(settings, fake, fake_loads):
    from qa.build import build_index
    from qa.index import open_index

    build_index(settings, encoder=fake, progress=False)
    old = open_index(settings.index_dir, settings)
    old_generation = old.generation
    (settings.articles_dir / "markets.md").unlink()
    build_index(settings, encoder=fake, progress=False)  # the old generation is kept one build longer
    assert old_generation.exists()
    (settings.articles_dir / "ferry.txt").write_text("title: Ferry\n\nA storm hit the harbour.")
    build_index(settings, encoder=fake, progress=False)  # ... and deleted now
    assert not old_generation.exists()
    hits = retrieve("Why did stocks fall?", k=3, index=old)  # the old generation's open files still serve
    assert "markets.md" in [h.source.article_id for h in hits]
    new = open_index(settings.index_dir, settings)
    assert "markets.md" not in [h.source.article_id for h in retrieve("Why did stocks fall?", k=3, index=new)]


def test_questions_do_not_wait_for_a_reload(settings, fake, fake_loads, monkeypatch):
    import threading

    import qa.index
    from qa.build import build_index
    from qa.index import open_index

    build_index(settings, encoder=fake, progress=False)
    old = open_index(settings.index_dir, settings)
    release, started = threading.Event(), threading.Event()
    loader = qa.index.load_index

    def slow_load(*args, **kwargs):
        started.set()
        release.wait(10)
        return loader(*args, **kwargs)

    monkeypatch.setattr(qa.index, "load_index", slow_load)
    (settings.articles_dir / "ferry.txt").write_text("title: Ferry\n\nA storm hit the harbour.")
    build_index(settings, encoder=fake, progress=False)
    reloading = threading.Thread(target=open_index, args=(settings.index_dir, settings))
    reloading.start()
    assert started.wait(5)
    assert open_index(settings.index_dir, settings) is old  # answered from the loaded generation at once
    release.set()
    reloading.join(10)
    assert open_index(settings.index_dir, settings).counts.articles == 5


def test_a_generation_that_cannot_be_loaded_leaves_the_loaded_one_answering(settings, fake, fake_loads, monkeypatch):
    import qa.index
    from qa.build import build_index
    from qa.errors import StaleIndexWarning
    from qa.index import open_index

    build_index(settings, encoder=fake, progress=False)
    old = open_index(settings.index_dir, settings)
    (settings.articles_dir / "ferry.txt").write_text("title: Ferry\n\nA storm hit the harbour.")
    build_index(settings, encoder=fake, progress=False)
    damaged = current_generation(settings.index_dir) / "store.sqlite"
    whole = damaged.read_bytes()
    damaged.write_bytes(b"\0" * 64 + whole[64:])  # what a half-finished copy leaves
    loads = []
    loader = qa.index.load_index
    monkeypatch.setattr(qa.index, "load_index", lambda *a, **k: loads.append(1) or loader(*a, **k))
    with pytest.warns(StaleIndexWarning, match=r"store.sqlite.*\S\. Answering from the build loaded before it"):
        assert open_index(settings.index_dir, settings) is old
    assert open_index(settings.index_dir, settings) is old and len(loads) == 1  # not hashed again each question
    assert retrieve("Why did stocks fall?", k=1, index=open_index(settings.index_dir, settings))
    damaged.write_bytes(whole)  # the copy completes, under the same name
    monkeypatch.setattr(qa.index, "RETRY_FIRST_SECONDS", 0.0)
    key = next(k for k in qa.index._UNLOADABLE if k[0] == settings.index_dir.resolve())
    qa.index._UNLOADABLE[key] = qa.index._Unloadable(damaged.parent.name, 0.0, 0.0)  # its pause is over
    new = open_index(settings.index_dir, settings)
    assert new is not old and new.counts.articles == 5 and len(loads) == 2


def test_follow_index_moves_on_once_a_damaged_generation_is_replaced(settings, fake, fake_loads):
    import qa.index
    from qa.build import build_index
    from qa.index import follow_index, open_index

    build_index(settings, encoder=fake, progress=False)
    old = open_index(settings.index_dir, settings)
    key = (settings.index_dir.resolve(), settings)
    (settings.articles_dir / "ferry.txt").write_text("title: Ferry\n\nA storm hit the harbour.")
    build_index(settings, encoder=fake, progress=False)
    damaged = current_generation(settings.index_dir) / "store.sqlite"
    damaged.write_bytes(b"\0" * 64 + damaged.read_bytes()[64:])
    errors: list[Exception] = []
    loads: list[str] = []  # a server logs each build it takes up: the repair shows in its log
    stop = follow_index(
        settings.index_dir,
        settings,
        interval=0.02,
        on_error=errors.append,
        on_load=lambda i: loads.append(i.generation.name),
    )
    try:
        _wait_for(lambda: len(errors) == 1)  # the follower (not this thread) tried it, and said so once
        assert qa.index._OPEN[key] is old and "store.sqlite" in str(errors[0]) and loads == []
        build_index(settings, encoder=fake, progress=False, full=True)  # a good build replaces the damaged one
        _wait_for(lambda: qa.index._OPEN[key].generation.name == current_generation(settings.index_dir).name)
        _wait_for(lambda: len(loads) == 1)
    finally:
        stop.set()
    assert qa.index._OPEN[key].counts.articles == 5 and len(errors) == 1
    assert loads == [current_generation(settings.index_dir).name]


def test_settings_that_differ_only_in_what_a_build_reads_share_one_load(settings, fake, fake_loads):
    from qa.build import build_index
    from qa.index import open_index

    build_index(settings, encoder=fake, progress=False)
    first = open_index(settings.index_dir, settings)
    assert open_index(settings.index_dir, replace(settings, passage_tokens=128, overlap_sentences=0)) is first
    assert open_index(first, replace(settings, passage_tokens=128)) is first  # no "other settings" error


def test_article_text_is_the_body_as_indexed_and_none_for_an_unknown_id(built, articles_dir):
    from qa.articles import read_file

    read = read_file(articles_dir / "markets.md", "markets.md").articles[0]
    assert built.article_text("markets.md") == read.body
    assert built.article_text("markets.md").startswith("Stocks fell sharply on Tuesday.")  # headers not in it
    assert built.article_text("no-such-article.txt") is None


@pytest.mark.parametrize("lookup", ["article", "article_text"])
def test_an_article_id_that_is_not_text_is_a_question_error_not_a_damaged_index(built, lookup):
    from qa.errors import QuestionError

    find = getattr(built, lookup)
    with pytest.raises(QuestionError, match=r"article_id=\['markets.md'\] must be text: an article id as"):
        find(["markets.md"])  # it said "store.sqlite is damaged … Rebuild with: qa index --full"
    with pytest.raises(QuestionError, match="article_id=5 must be text"):
        find(5)
    assert find("markets\ud800.md") is None  # a lone surrogate: no article's id (was UnicodeEncodeError)


def test_an_index_path_that_is_a_file_is_a_clear_error(tmp_path, settings, fake):
    from qa.build import build_index
    from qa.errors import ArticleError

    afile = tmp_path / "afile"
    afile.write_text("not an index")
    with pytest.raises(IndexNotFoundError, match=r"afile is a file, not an index folder; pass --index with a folder"):
        load_index(afile, settings, encoder=fake)
    with pytest.raises(ArticleError, match=r"is a file, not an index folder"):
        build_index(replace(settings, index_dir=afile), encoder=fake, progress=False)
    dangling = tmp_path / "link"
    dangling.symlink_to(tmp_path / "gone")  # it said "File exists: link"
    with pytest.raises(ArticleError, match=r"link is a link to .*gone, which does not exist: create that folder"):
        build_index(replace(settings, index_dir=dangling), encoder=fake, progress=False)


def test_open_index_keeps_the_most_recently_used_indexes_only(settings, fake, fake_loads, monkeypatch):
    import qa.index
    from qa.build import build_index
    from qa.index import open_index

    monkeypatch.setattr(qa.index, "_MAX_OPEN", 3)
    build_index(settings, encoder=fake, progress=False)
    sweep = [replace(settings, abstain_below=i / 10) for i in range(5)]  # a caller sweeping a threshold
    first = open_index(settings.index_dir, sweep[0])
    for s in sweep[1:]:
        open_index(settings.index_dir, s)
        open_index(settings.index_dir, sweep[0])  # used again: kept
    assert len(qa.index._OPEN) == 3
    assert open_index(settings.index_dir, sweep[0]) is first
    assert [k[1].abstain_below for k in qa.index._OPEN] == [0.3, 0.4, 0.0]  # the least recently used went


def test_a_closed_index_is_loaded_again_and_refused_where_it_is_passed(settings, fake, fake_loads):
    from qa import answer
    from qa.build import build_index
    from qa.errors import ConfigError
    from qa.index import open_index

    build_index(settings, encoder=fake, progress=False)
    first = open_index(settings.index_dir, settings)
    first.close()
    first.close()  # twice is harmless
    again = open_index(settings.index_dir, settings)  # the folder: loaded afresh, not the closed one
    assert again is not first and not again.closed
    assert again.counts.articles == first.counts.articles
    assert answer("Who won the cup final?", index=settings.index_dir, settings=settings, fast=True).question
    with pytest.raises(ConfigError, match=r"was closed; load it again \(load_index\) or pass its folder"):
        answer("Who won the cup final?", index=first, fast=True)
    # Its own methods say so too: a closed database read as "damaged. Rebuild with: qa index --full".
    calls = (first.articles, lambda: first.article("volcano.txt"), lambda: first.article_text("volcano.txt"))
    for call in (*calls, first.publishers, first.verify):
        with pytest.raises(ConfigError, match=r"was closed; load it again"):
            call()
    from qa.index import load_index

    assert load_index(settings.index_dir, settings, previous=first).counts.articles == again.counts.articles


def test_a_damaged_current_file_keeps_the_loaded_build_answering_with_one_warning(settings, fake, fake_loads):
    """A half-written CURRENT (a copy tool truncating it first) made answer() raise, and
    follow_index report it at every tick."""
    import warnings

    from qa import answer
    from qa.build import build_index
    from qa.errors import StaleIndexWarning
    from qa.index import follow_index, open_index

    build_index(settings, encoder=fake, progress=False)
    loaded = open_index(settings.index_dir, settings)
    pointer = settings.index_dir / "CURRENT"
    good = pointer.read_text()
    for _ in range(2):  # repaired, then damaged again: said again (the first damage hid all later ones)
        pointer.write_text("")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(3):
                assert open_index(settings.index_dir, settings) is loaded
            assert answer("Who won the cup final?", index=settings.index_dir, settings=settings, fast=True).found
        assert len([w for w in caught if w.category is StaleIndexWarning]) == 1
        pointer.write_text(good)
        assert open_index(settings.index_dir, settings) is loaded
    pointer.write_text("")
    with pytest.warns(StaleIndexWarning):  # said here; the follower below must not say it again
        open_index(settings.index_dir, settings)
    errors: list[Exception] = []
    stop = follow_index(settings.index_dir, settings, interval=0.02, on_error=errors.append)
    try:
        time.sleep(0.5)  # waiting is the only way to see an absence
    finally:
        stop.set()
    assert errors == []  # said once, above: not again at every tick


def test_a_load_overtaken_by_two_builds_loads_the_newest_not_a_damage_error(settings, fake, fake_loads, monkeypatch):
    """A slow first load (hashing a large index) while two builds published: the build after
    next removed the generation it read, and the question failed with "articles.json is
    missing. Rebuild with: qa index --full"."""
    import qa.index
    from qa.build import build_index
    from qa.index import open_index

    build_index(settings, encoder=fake, progress=False)
    real = qa.index.file_problems
    overtaken = []

    def slow(*args, **kwargs):  # two builds publish while the first load hashes its files
        if not overtaken:
            overtaken.append(True)
            for name in ("ferry", "tram"):
                (settings.articles_dir / f"{name}.txt").write_text(f"title: {name}\n\nA {name} story.")
                build_index(settings, encoder=fake, progress=False)
        return real(*args, **kwargs)

    monkeypatch.setattr(qa.index, "file_problems", slow)
    index = open_index(settings.index_dir, settings)
    assert index.generation == current_generation(settings.index_dir) and index.counts.articles == 6


@pytest.mark.parametrize(("interval", "said"), [(0, "interval=0 seconds must be above 0"), (-1, "interval=-1")])
def test_follow_index_refuses_an_interval_that_would_spin(settings, interval, said):
    from qa.errors import ConfigError
    from qa.index import follow_index

    with pytest.raises(ConfigError, match=said):
        follow_index(settings.index_dir, settings, interval=interval)
    follow_index(settings.index_dir, None).set()  # None is Settings(), as everywhere (a traceback every tick)
    with pytest.raises(ConfigError, match=r"index_dir=5 must be an index folder \(str or Path\) or None"):
        follow_index(5, settings)  # type: ignore[arg-type]


def test_follow_index_of_none_follows_the_settings_index(settings, fake, fake_loads):
    """Path(None) failed in the thread: a traceback logged twice a second, forever."""
    import qa.index
    from qa.build import build_index
    from qa.index import follow_index

    build_index(settings, encoder=fake, progress=False)
    errors: list[Exception] = []
    stop = follow_index(None, settings, interval=0.05, on_error=errors.append)
    try:
        key = (settings.index_dir.resolve(), settings)
        _wait_for(lambda: key in qa.index._OPEN)
    finally:
        stop.set()
    assert qa.index._OPEN[key].counts.articles == 4 and not errors


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((5,), r"path=5 must be an index folder \(str or Path\) or None"),
        (("index", "x"), r"settings='x' must be a Settings"),
        (("index", {}), r"settings=\{\} must be a Settings"),  # was silently Settings()
    ],
)
def test_load_index_arguments_of_the_wrong_kind_are_config_errors(args, said):
    from qa.errors import ConfigError

    with pytest.raises(ConfigError, match=said):
        load_index(*args)


def test_a_snapshot_says_it_was_replaced_and_refuses_other_settings(settings, fake, fake_loads, articles_dir):
    from qa import answer
    from qa.build import build_index
    from qa.errors import ConfigError

    build_index(settings, encoder=fake, progress=False)
    snapshot = load_index(settings.index_dir, settings, encoder=fake)
    assert snapshot.verify() == []
    for n in range(2):  # two newer builds: the snapshot's generation is removed
        (articles_dir / f"new-{n}.txt").write_text(f"title: Story {n}\n\nA ferry story number {n}.")
        build_index(settings, encoder=fake, progress=False)
    assert snapshot.verify() == [
        f"{snapshot.generation.name} is no longer the current build of {settings.index_dir}/: a newer build "
        "replaced it and removed its files. Load the index again (open_index follows new builds)."
    ]
    fresh = load_index(settings.index_dir, settings, encoder=fake)
    with pytest.raises(ConfigError, match=r"these differ: abstain_below=1\.0 \(the index's: 0\.12\)"):
        answer("Who won?", index=fresh, settings=replace(settings, abstain_below=1.0), fast=True)
    assert answer("Who won?", index=fresh, settings=settings, fast=True).question == "Who won?"  # the same: fine
    # What only a build reads (folders, batch size, file limit) does not change an answer: no error.
    for unread in ({"articles_dir": "elsewhere"}, {"batch_size": 64}, {"max_file_mb": 10.0}, {"index_dir": "other"}):
        assert answer("Who won?", index=fresh, settings=replace(settings, **unread), fast=True).question == "Who won?"


def test_a_loaded_index_names_its_folder_and_reads_a_home_folder(settings, fake, built, fake_loads, monkeypatch):
    from qa import answer

    assert built.settings.index_dir == settings.index_dir
    loaded = fake_loads(settings.index_dir, Settings(), encoder=fake)
    assert loaded.settings.index_dir == settings.index_dir  # not the default "index"
    monkeypatch.setenv("HOME", str(settings.index_dir.parent))
    home_index = f"~/{settings.index_dir.name}"  # was "No index in ~/index/", the index there
    assert fake_loads(home_index, settings, encoder=fake).path == settings.index_dir.absolute()
    assert answer("Why did stocks fall?", index=home_index, settings=settings).question == "Why did stocks fall?"


def test_a_loaded_index_verifies_after_the_working_folder_changes(settings, fake, built, monkeypatch):
    monkeypatch.chdir(settings.index_dir.parent)
    index = load_index(settings.index_dir.name, settings, encoder=fake)
    monkeypatch.chdir(settings.articles_dir)
    assert index.verify() == []
    assert retrieve("Why did stocks fall?", k=1, index=index)


def test_one_folder_is_loaded_once_however_it_is_named(settings, fake, fake_loads, monkeypatch):
    from pathlib import Path

    from qa.build import build_index
    from qa.index import open_index

    build_index(settings, encoder=fake, progress=False)
    monkeypatch.chdir(settings.index_dir.parent)
    by_path = open_index(settings.index_dir, replace(settings, index_dir=Path("elsewhere")))
    by_setting = open_index(None, settings)
    relative = open_index(settings.index_dir.name, replace(settings, index_dir=Path("elsewhere")))
    assert by_path is by_setting is relative


def test_a_failed_load_overtaken_by_a_newer_build_is_said_once(settings, fake, fake_loads, monkeypatch):
    """It recorded the build it started on, not the newer one it failed on: the next question
    tried again at once, without the pause, and warned of the same build twice."""
    import warnings

    import qa.index
    from qa.build import build_index
    from qa.errors import StaleIndexWarning
    from qa.index import open_index

    build_index(settings, encoder=fake, progress=False)
    loaded = open_index(settings.index_dir, settings)
    pointer = settings.index_dir / "CURRENT"
    pointer.write_text("gen-20990101T000000000001-aaaaaaaaaaaa\n")  # a build not (yet) copied whole
    real = qa.index.load_index

    def overtaken(*args, **kwargs):  # a newer build names another missing one meanwhile
        pointer.write_text("gen-20990101T000000000002-bbbbbbbbbbbb\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(qa.index, "load_index", overtaken)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            assert open_index(settings.index_dir, settings) is loaded
    said = [str(w.message) for w in caught if w.category is StaleIndexWarning]
    assert len(said) == 1 and "000000000002" in said[0], said


def test_the_fix_for_no_index_names_no_articles_folder_that_is_not_there(tmp_path):
    """After a first build killed before it saved anything, `qa ask --index idx` run where
    there is no seeds/ said "Build it with: qa index --articles seeds --index idx"."""
    from qa.errors import IndexNotFoundError
    from qa.index import load_index

    (tmp_path / "idx").mkdir()
    settings = Settings(articles_dir=tmp_path / "seeds", index_dir=tmp_path / "idx")  # no such folder
    with pytest.raises(IndexNotFoundError, match=r"Build it with: qa index --articles YOUR-ARTICLES --index .*idx$"):
        load_index(tmp_path / "idx", settings)


def test_warm_up_loads_the_encoder_and_the_reader_unless_told_not_to(built, fake):
    fake.calls = 0
    built.warm_up(reader=False)  # `qa ask --fast` reads no answer: its reader is not loaded
    assert fake.calls == 1 and built._reader.windows_read == 0
    built.warm_up()
    assert fake.calls == 2 and built._reader.windows_read == 1
