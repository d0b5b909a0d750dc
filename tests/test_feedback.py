"""qa.feedback: verdicts on answers, appended as JSON lines next to the index."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qa.answering import NOT_FOUND, Answer, AnswerSentence, Citation
from qa.articles import Source
from qa.feedback import FEEDBACK_FILE, FeedbackError, FeedbackRecord, read_feedback, record_feedback

SENTENCE = "The old lighthouse was restored by volunteers."


def found_answer(question: str = "Who restored the lighthouse?") -> Answer:
    source = Source("light-1", "Lighthouse restored", "light.txt", "2025-09-09", "Coast News")
    citation = Citation(1, source, SENTENCE, 10, 10 + len(SENTENCE), SENTENCE, 10, 10 + len(SENTENCE), 0.8)
    return Answer(question, True, f"{SENTENCE} [1]", (AnswerSentence(SENTENCE, citation, 0.8),), (), 0.734567)


def test_record_then_read_round_trips_every_field(tmp_path: Path) -> None:
    record = record_feedback(tmp_path, found_answer(), helpful=False, generation="gen-0003", comment="wrong person")
    lines = (tmp_path / FEEDBACK_FILE).read_text().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["helpful"] is False and data["generation"] == "gen-0003" and data["format"] == 2
    assert data["citations"] == [{"article_id": "light-1", "sentence": SENTENCE, "start": 10, "end": 56}]
    assert data["sentence"] == SENTENCE and data["confidence"] == 0.7346 and data["answer"].endswith("[1]")
    assert data["time"].endswith("Z")
    assert read_feedback(tmp_path / FEEDBACK_FILE) == [record]
    assert record.comment == "wrong person"


def test_not_found_answer_is_recorded_without_citations(tmp_path: Path) -> None:
    record = record_feedback(tmp_path, Answer("Who won?", False, NOT_FOUND, (), (), 0.05), True, "gen-1")
    assert record.found is False and record.sentence == "" and record.citations == ()
    assert read_feedback(tmp_path / FEEDBACK_FILE)[0].answer == NOT_FOUND


def test_missing_file_reads_as_no_feedback(tmp_path: Path) -> None:
    assert read_feedback(tmp_path / FEEDBACK_FILE) == []


def test_appends_never_rewrite_earlier_lines(tmp_path: Path) -> None:
    record_feedback(tmp_path, found_answer("first?"), True, "g1")
    before = (tmp_path / FEEDBACK_FILE).read_bytes()
    record_feedback(tmp_path, found_answer("second?"), False, "g2")
    after = (tmp_path / FEEDBACK_FILE).read_bytes()
    assert after.startswith(before)
    assert [r.question for r in read_feedback(tmp_path / FEEDBACK_FILE)] == ["first?", "second?"]


def test_lone_surrogate_in_the_question_does_not_block_the_record(tmp_path: Path) -> None:
    record_feedback(tmp_path, found_answer("bad \ud800 text?"), False, "g")
    assert read_feedback(tmp_path / FEEDBACK_FILE)[0].question == "bad ? text?"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "invalid JSON"),
        ('["a list"]', "expected a JSON object"),
        ('{"question": "q"}', "missing field 'helpful'"),
        ("HELPFUL_AS_STRING", "field 'helpful' is str, not true/false"),
        ("BAD_CITATION", "citation 1: missing field 'start'"),
    ],
)
def test_malformed_line_names_its_number_and_the_problem(tmp_path: Path, line: str, reason: str) -> None:
    good = json.dumps(FeedbackRecord.from_answer(found_answer(), True, "g").to_dict())
    data = json.loads(good)
    if line == "HELPFUL_AS_STRING":
        line = json.dumps({**data, "helpful": "yes"})
    elif line == "BAD_CITATION":
        line = json.dumps({**data, "citations": [{"article_id": "a", "sentence": "s", "end": 3}]})
    path = tmp_path / FEEDBACK_FILE
    path.write_text(f"{good}\n\n{line}\n")
    with pytest.raises(FeedbackError, match=rf"line 3: not a feedback record \({reason}") as info:
        read_feedback(path)
    assert str(path) in str(info.value)


def test_invalid_utf8_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / FEEDBACK_FILE
    path.write_bytes(b'{"question": "\xff"}\n')
    with pytest.raises(FeedbackError, match="line 1"):
        read_feedback(path)


def test_concurrent_threads_lose_and_mangle_no_line(tmp_path: Path) -> None:
    answers = [found_answer(f"question {i} " + "x" * 5000) for i in range(200)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda a: record_feedback(tmp_path, a, True, "g"), answers))
    records = read_feedback(tmp_path / FEEDBACK_FILE)
    assert sorted(r.question for r in records) == sorted(a.question for a in answers)


def _write_many(folder: str, worker: int) -> None:
    for i in range(50):
        record_feedback(Path(folder), found_answer(f"w{worker} q{i} " + "y" * 3000), i % 2 == 0, "g")


def test_concurrent_processes_lose_and_mangle_no_line(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(str(tmp_path), w)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
        assert p.exitcode == 0
    records = read_feedback(tmp_path / FEEDBACK_FILE)
    assert len(records) == 200 and len({r.question for r in records}) == 200


def test_unwritable_folder_is_a_feedback_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    with pytest.raises(FeedbackError):
        record_feedback(blocker / "index", found_answer(), True, "g")


def test_a_thumb_taken_back_is_recorded_and_read_back_as_none(tmp_path: Path) -> None:
    record = record_feedback(tmp_path, found_answer(), None, "gen-1")
    assert record.helpful is None and record.to_dict()["helpful"] is None
    assert read_feedback(tmp_path / FEEDBACK_FILE) == [record]


def test_an_answer_as_json_and_the_generation_folder_are_recorded_as_given(tmp_path: Path) -> None:
    record = record_feedback(tmp_path, found_answer().to_dict(), True, tmp_path / "gen-0007")
    assert (record.generation, record.sentence) == ("gen-0007", SENTENCE)
    assert read_feedback(tmp_path / FEEDBACK_FILE) == [record]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((found_answer(), "no", "gen-1"), r"helpful='no' must be True \(thumbs up\), False .* or None"),
        ((found_answer(), True, 5), r"generation=5 and comment='' must be text"),
        (("an answer", True, "gen-1"), r"answer='an answer' must be an Answer \(or its to_dict\(\)\)"),
    ],
)
def test_arguments_that_would_write_an_unreadable_record_are_refused(tmp_path: Path, args, said) -> None:
    with pytest.raises(FeedbackError, match=said):
        record_feedback(tmp_path, *args)
    assert not (tmp_path / FEEDBACK_FILE).exists()  # nothing written: the file stays readable


def test_an_empty_or_short_feedback_key_is_made_again_not_used(tmp_path):
    # an empty .feedback-key (left by a writer that died) signed with b"": anyone could forge
    from qa.feedback import KEY_BYTES, feedback_key, snapshot_signature

    (tmp_path / ".feedback-key").write_bytes(b"")
    key = feedback_key(tmp_path)
    assert len(key) == KEY_BYTES and (tmp_path / ".feedback-key").read_bytes() == key
    assert feedback_key(tmp_path) == key  # kept from then on
    assert snapshot_signature({"question": "q"}, key) != snapshot_signature({"question": "q"}, b"")


def test_a_rated_follow_up_keeps_what_answer_reads_of_the_turns_before_it(tmp_path, built) -> None:
    """Replayed with the earlier questions alone, a follow-up led with another sentence than in
    the chat: answer() also leaves out sentences the conversation already gave."""
    from qa import answer
    from qa.answering import _given_before
    from qa.feedback import EarlierTurn, FeedbackRecord

    first = answer("What tariffs did Trudeau impose?", index=built)
    follow = answer("How did China respond?", history=[first], index=built)
    record = FeedbackRecord.from_answer(follow, True, "g1", history=["Hello?", first], turn="t1")
    again = FeedbackRecord.from_dict(json.loads(json.dumps(record.to_dict())))
    assert again == record and again.history[0] == EarlierTurn("Hello?")
    replayed = [turn.as_history() for turn in again.history]
    assert replayed[0] == "Hello?" and replayed[1].question == first.question
    assert _given_before(replayed) == _given_before([first]) and _given_before([first])  # what answer() reads
    old = FeedbackRecord.from_dict({**record.to_dict(), "history": ["What tariffs did Trudeau impose?"]})
    assert old.history == (EarlierTurn("What tariffs did Trudeau impose?"),)  # records of this morning
    with pytest.raises(FeedbackError, match="'given' is not"):
        FeedbackRecord.from_dict({**record.to_dict(), "history": [{"question": "q", "given": [["a", "x", 1, 2]]}]})


def test_earlier_turns_keep_what_answer_reads_and_no_more(built) -> None:
    """A pasted 20,000-character question made every later rating carry it whole, 20 times over;
    a turn's search_text was lost, so the replay took "What is Brexit?" asked again for a follow-up."""
    from qa import answer
    from qa.answering import asked_before
    from qa.feedback import EarlierTurn, FeedbackRecord

    first = answer("What tariffs did Trudeau impose?", index=built)
    turn = EarlierTurn.from_dict(json.loads(json.dumps(EarlierTurn.of(first).to_dict())))
    assert turn.as_history().search_text == first.search_text and turn.searched == first.search_text
    question = "What tariffs did Trudeau impose?"  # asked again: no follow-up, in the chat and the replay
    assert asked_before(question, [turn.as_history()]) == asked_before(question, [first]) is True
    long = FeedbackRecord.from_answer(first, True, "g", history=["x" * 20_000] * 30, turn="t")
    assert len(long.history) == 20 and all(len(t.question) == 2_000 for t in long.history)
    with pytest.raises(FeedbackError, match=r"format 3 is not one this qa reads \(1, 2\)"):
        FeedbackRecord.from_dict({**long.to_dict(), "format": 3})
