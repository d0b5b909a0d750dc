"""`qa eval`: retrieval and answer quality on a question set.

Question sets, told apart by their content:

- SQuAD v1.1 JSON (`{"data": [...]}`): every paragraph becomes one article (titled with
  its Wikipedia article's title); a question's gold article is its own paragraph.
- News QA JSON (`{"articles": [...], "questions": [...]}`, the RealTime QA layout in
  `../shared/data/news-qa/`): the articles are indexed; a question's gold articles are
  its `article_ids`, its answer its `answer`.
- JSONL of `{"question", "answers": [...]}` (optionally `"article_id"`/`"article_ids"`),
  against an existing index (`--index`) or a temporary index of `--articles`.
- A feedback file (`feedback.jsonl`, written by the chat's thumbs): questions marked
  helpful must keep their first cited sentence; questions marked wrong must not give the
  sentence that was marked wrong again (regression cases).

For SQuAD and news sets the index is built in a temporary folder unless `--index` names
one (built or updated there, so later runs reuse the embeddings).

Metrics, per retrieval mode: passage recall@1/@5/@10 and MRR@10 (a gold article among
the first k passages), cited article@1 (the first cited sentence is from a gold article:
with sentence hit@1 it tells a wrong article from a wrong sentence), sentence hit@1/@3
(a gold answer occurs in the first / any of the first three sentences of the answer; an
abstention is a miss), span EM/F1 (the reader's span of the first sentence against the
gold answers, official SQuAD v1.1 normalisation; 0 without a span) and answer-in-span (a
gold answer inside that span), answer shown@1 (a gold answer in the first sentence or the
earlier sentence shown as its context, as the chat shows it: beside sentence hit@1, which
counts the cited sentence alone), the abstention rate, and the latency of a whole answer,
p50 and p95. Passages come from `retrieve()` and answers from `answer()`: what every
caller gets. With `--answers FILE` each question's answer and its own scores are written
too, one JSON line per question and mode (`answer_record`): which questions missed.
"""

from __future__ import annotations

import collections
import json
import math
import re
import string
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from .answering import Answer, answer
from .articles import Skipped, folded_skips, read_file, skipped_count
from .config import Settings
from .embedding import Encoder
from .errors import ArticleError, ConfigError, NoArticlesError, OtherFolderError, QAError, QuestionError
from .feedback import FEEDBACK_FILE
from .index import Index, load_index
from .reader import Reader
from .retrieval import Hit, Mode, clean_question, retrieve
from .store import current_generation
from .wording import counted, shell_path

K_MAX = 10
METRICS = (
    "recall@1",
    "recall@5",
    "recall@10",
    "mrr",
    "cited_article@1",
    "sentence_hit@1",
    "sentence_hit@3",
    "span_em",
    "span_f1",
    "answer_in_span",
    "answer_shown@1",
    "abstained",
    "abstained_unanswerable",
    "p50_ms",
    "p95_ms",
    "questions",
)
SCORED = METRICS[:13]  # a `score_questions` row: these, then the milliseconds
RETRIEVAL_METRICS = METRICS[:5]  # scored only for questions that name their gold articles
ANSWER_METRICS = METRICS[5:11]  # scored only for questions with gold answers
SPAN_METRICS = ("span_em", "span_f1", "answer_in_span")  # need the reader: not with --fast
FEEDBACK_METRICS = ("kept_helpful", "changed_wrong", "abstained", "p50_ms", "p95_ms", "questions")


@dataclass(frozen=True)
class EvalQuestion:
    """A question, its gold answer strings and the article ids that answer it (empty: unknown).
    `unanswerable`: the articles do not hold its answer (`"answers": []`), so abstaining is right.

    For feedback cases, `expect` is "keep" or "change" and `sentence` the first cited
    sentence the feedback was about.
    """

    question: str
    answers: tuple[str, ...]
    gold: frozenset[str] = frozenset()
    expect: str = ""
    sentence: str = ""
    history: tuple[str | Answer, ...] = ()  # a rated follow-up's earlier turns, as answer() takes them
    unanswerable: bool = False


@dataclass(frozen=True)
class QuestionSet:
    """Questions and, for SQuAD and news sets, the article records to index them against."""

    kind: str  # "squad", "news", "jsonl" or "feedback"
    questions: list[EvalQuestion]
    records: list[dict[str, Any]] | None = None


@dataclass
class EvalReport:
    metrics: dict[str, dict[str, float]]
    index_dir: str
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        modes = list(self.metrics)
        rated = any(FEEDBACK_METRICS[0] in self.metrics[m] for m in modes)  # its two figures first, not last
        order = (*FEEDBACK_METRICS, *METRICS) if rated else (*METRICS, *FEEDBACK_METRICS)
        names = [n for n in dict.fromkeys(order) if any(n in self.metrics[m] for m in modes)]
        width = max([16, *(len(n) + 2 for n in names)])  # abstained_unanswerable pushed its row aside
        lines = [f"{'metric':<{width}}" + "".join(f"{m:>10}" for m in modes)]
        for name in names:
            row = [self.metrics[m].get(name) for m in modes]
            cells = "".join(
                f"{'-':>10}"
                if v is None
                else f"{v:>10.0f}"
                if name == "questions"
                else f"{v:>10.1f}"
                if name.endswith("_ms")
                else f"{v:>10.3f}"
                for v in row
            )
            lines.append(f"{name:<{width}}{cells}")
        return "\n".join([*self.notes, f"index: {self.index_dir}", *lines])


# -- question sets ---------------------------------------------------------------------------------------


def load_question_set(path: Path) -> QuestionSet:
    """Read a question set, recognising its layout (see the module docstring).

    Raises:
        QAError: the file cannot be read, is not UTF-8 text, or does not have a known layout.
    """
    if path.exists() and not path.is_file() and not path.is_dir():
        # A pipe (/dev/stdin, <(…)) is read up to three times here (sniffing its layout, then
        # parsing): each read after the first found it empty ("holds no questions").
        raise QAError(
            f"{path} is a pipe or a device, not a file; qa eval reads its question file more than once: save the "
            "questions to a file (e.g. ... > questions.jsonl) and pass that."
        )
    try:
        questions = _load_question_set(path)
    except QAError:
        raise
    except OSError as exc:
        raise QAError(f"Cannot read {path} ({exc.strerror or exc}); pass a question file.") from None
    except UnicodeDecodeError:
        raise QAError(f"{path} is not UTF-8 text; pass SQuAD v1.1 JSON, news QA JSON or JSONL.") from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise QAError(
            f"{path} does not have the SQuAD v1.1, news QA or JSONL layout ({type(exc).__name__}: {exc}); "
            "see qa eval --help."
        ) from None
    for n, q in enumerate(questions.questions, start=1):
        try:  # refused before minutes of indexing, not half-way through the run
            clean_question(q.question)
        except QuestionError as exc:
            raise QAError(f"{path}: question {n} ({q.question!r:.60}) cannot be asked: {exc} Fix or drop it.") from None
    return questions


def _load_question_set(path: Path) -> QuestionSet:
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))  # -sig: a byte-order mark is no error
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            lines = " (a JSONL file, one object a line, needs a .jsonl name)" if "Extra data" in str(exc) else ""
            raise QAError(f"{path} is not valid JSON ({exc}){lines}.") from None
        return _json_question_set(path, data)
    text = path.read_text(encoding="utf-8-sig")
    first = next((line for line in text.splitlines() if line.strip()), "")
    if _is_record_with(first, "helpful"):
        return QuestionSet("feedback", load_feedback_cases(path))
    if not _is_record_with(first, "question"):
        # One JSON document under another name ("dev-v1.1.json.1", "squad.txt", a record over
        # several lines): "line 1 is not a JSON record" named no fix.
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict) and "question" in data:
            raise QAError(f"{path} holds one question over several lines; a JSONL file holds one record a line.")
        if isinstance(data, dict) and ("data" in data or "questions" in data):
            return _json_question_set(path, data)
    return QuestionSet("jsonl", load_jsonl(path))


def _json_question_set(path: Path, data: Any) -> QuestionSet:
    """A question set given as one JSON document: SQuAD v1.1 or the news QA layout."""
    if isinstance(data, dict) and "data" in data:
        if str(data.get("version", "")).startswith(("v2", "2")):
            # Its unanswerable questions (is_impossible, no answers) would count as misses.
            raise QAError(
                f"{path} is SQuAD {data['version']}, whose unanswerable questions qa eval cannot score; "
                "pass SQuAD v1.1 (dev-v1.1.json)."
            )
        records, questions = load_squad(path, data)
        return QuestionSet("squad", questions, records)
    if isinstance(data, dict) and "articles" in data and "questions" in data:
        records, questions = load_news(path, data)
        return QuestionSet("news", questions, records)
    raise QAError(f"{path} is neither SQuAD v1.1 JSON nor the news QA layout (articles + questions).")


def load_squad(path: Path, data: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], list[EvalQuestion]]:
    """SQuAD v1.1 JSON -> (article records, questions with their gold article ids)."""
    data = data if data is not None else json.loads(path.read_text(encoding="utf-8"))
    records, questions = [], []
    used: set[str] = set()
    for article in data["data"]:
        # A title given twice names its second article "Town (2)": both were "Town/0", one lost.
        name, copy = article["title"], 1
        while name in used:
            copy += 1
            name = f"{article['title']} ({copy})"
        used.add(name)
        for n, paragraph in enumerate(article["paragraphs"]):
            key = f"{name}/{n}"
            records.append({"id": key, "title": article["title"].replace("_", " "), "text": paragraph["context"]})
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                questions.append(EvalQuestion(qa["question"], answers, frozenset({f"squad.jsonl#{key}"})))
    return records, questions


def load_news(path: Path, data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[EvalQuestion]]:
    """The news QA layout -> (article records, questions with their gold article ids).

    Articles keep every field the article reader knows (`text` or `body`, `title` or
    `headline`, `date`, `source`, `url`, ...; see README "Articles"). A question's gold
    answer is `answer` or `answers`: a text, a number (71) or a list of them.
    """
    articles, asked = data.get("articles"), data.get("questions")
    if not isinstance(articles, list) or not isinstance(asked, list):
        raise QAError(f'{path}: a news QA set holds "articles" and "questions", each a list.')
    records = []
    for n, article in enumerate(articles, 1):
        if not isinstance(article, dict) or "id" not in article:
            raise QAError(f"{path}: article {n} has no id; every article needs id and text.")
        records.append({k: v for k, v in article.items() if v is not None})
    questions = []
    for n, question in enumerate(asked, 1):
        try:
            if not isinstance(question["question"], str):
                raise TypeError(question["question"])
            ids = question.get("article_ids") or []
            answers = _gold_answers(question)
            # "answers": [] says the articles do not hold it, as in a JSONL file (it counted as abstaining).
            unanswerable = not answers and question.get("answers", question.get("answer")) in ([], "")
            questions.append(EvalQuestion(question["question"], answers, _news_ids(ids), unanswerable=unanswerable))
        except (KeyError, TypeError, AttributeError):
            # Named by number: one bad question of 300 said only "every question needs ...".
            raise QAError(
                f"{path}: question {n} needs a question (text), an answer (a text, a number or a list of "
                "them) and optionally article_ids (a list of article ids)."
            ) from None
    return records, questions


def _news_ids(ids: Any) -> frozenset[str]:
    """A news question's article ids as the build names those articles ("news.jsonl#7")."""
    if not isinstance(ids, list) or not all(isinstance(i, (str, int)) for i in ids):
        raise TypeError(ids)
    return frozenset(f"news.jsonl#{i}" for i in ids)


def _gold_answers(question: dict[str, Any]) -> tuple[str, ...]:
    """A question's gold answers (`answer` or `answers`: a text, a number or a list of them) as
    texts. A text is one answer: "answers": "Rovers" is not the letters R, o, v, …

    Example:
        >>> _gold_answers({"answer": "Buffalo Bills"}), _gold_answers({"answers": [71, "seventy-one"]})
        (('Buffalo Bills',), ('71', 'seventy-one'))
    """
    value = question["answers"] if "answers" in question else question["answer"]
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
        raise TypeError(value)
    return tuple(str(v) for v in values if str(v).strip())


_NOT_JSON = object()  # a line json.loads refused ("null" is JSON)


def _not_a_record(record: object, path: Path, line: str) -> str:
    """What is wrong with a line of a questions file that is no {"question", …} record, and the fix."""
    layout = 'qa eval reads a record a line, e.g. {"question": "Who won?", "answers": ["Rovers"]}'
    if isinstance(record, dict):
        keys = ", ".join(repr(k) for k in list(record)[:5]) or "none"
        return f'has no "question" (its keys: {keys}): {layout}.'
    if record is _NOT_JSON and not line.lstrip().startswith(("{", "[", '"')):  # most likely a plain question
        return f"is not JSON: {layout}; to ask a list of questions, one a line: qa ask < {shell_path(path)}"
    if record is _NOT_JSON:  # a record over several lines, or broken
        return f"is not valid JSON on its own: {layout}, each on one line."
    return f"is JSON but not an object ({type(record).__name__}): {layout}."


def load_jsonl(path: Path) -> list[EvalQuestion]:
    questions = []
    # utf-8-sig: a byte-order mark (Windows and Excel exports) made line 1 "not a JSON record".
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = _NOT_JSON
        if not isinstance(record, dict) or "question" not in record:
            raise QAError(f"{path}:{n} {_not_a_record(record, path, line)}") from None
        gold = record.get("article_ids") or ([record["article_id"]] if record.get("article_id") else [])
        question = record["question"]
        if not isinstance(question, str) or not question.strip():
            raise QAError(f'{path}:{n}: "question" must be non-empty text, not {question!r:.60}.')
        try:  # as the news layout takes them: "Rovers", 71 or a list of such
            answers = _gold_answers(record) if "answers" in record or "answer" in record else ()
        except TypeError:
            given = record.get("answers", record.get("answer"))
            raise QAError(
                f'{path}:{n}: "answers" must be a text, a number or a list of them, e.g. ["Rovers"], not {given!r:.60}.'
            ) from None
        if not isinstance(gold, list) or not all(isinstance(v, str) and v.strip() for v in gold):
            if "article_ids" not in record:  # {"article_id": 5} was named "article_ids" … not [5]
                raise QAError(f'{path}:{n}: "article_id" must be text, e.g. "a.txt", not {record["article_id"]!r:.60}.')
            raise QAError(f'{path}:{n}: "article_ids" must be a list of texts, e.g. ["a.txt"], not {gold!r:.60}.')
        # "answers": [] says the articles do not hold it: scored by abstaining, not as a miss.
        unanswerable = not answers and record.get("answers", record.get("answer")) in ([], "")
        questions.append(EvalQuestion(question, tuple(answers), frozenset(gold), unanswerable=unanswerable))
    if questions and not any(q.answers or q.gold or q.unanswerable for q in questions):
        raise QAError(
            f'{path}: no question has "answers" or "article_ids", so there is nothing to score against; '
            'add them, e.g. {"question": "Who won?", "answers": ["Rovers"]}.'
        )
    return questions


def load_feedback_cases(path: Path) -> list[EvalQuestion]:
    """Feedback records -> regression cases: an answer marked helpful must keep its first
    sentence, one marked wrong must change it ("" stands for "not found" on both sides).
    An answer judged more than once (thumbs up, then down) counts once, as last judged; one
    whose thumb was last taken back is no case."""
    from .feedback import FeedbackRecord, read_feedback

    latest: dict[tuple[str, ...], FeedbackRecord] = {}
    for record in read_feedback(path):  # appended in time order
        # The rated turn (a thumb taken back in one conversation took another's along), or for
        # records without one the answer, whichever build gave it (after an update a second
        # verdict on the same answer made a second, contradicting case).
        key = ("turn", record.turn) if record.turn else ("answer", record.question, record.sentence)
        latest.pop(key, None)
        latest[key] = record
    return [
        EvalQuestion(
            r.question,
            (),
            expect="keep" if r.helpful else "change",
            sentence=r.sentence,
            history=tuple(t.as_history() for t in r.history),
        )
        for r in latest.values()
        if r.helpful is not None
    ]


# -- running ---------------------------------------------------------------------------------------------


def _indexing_notice(articles: int, name: str, kept: Path | None) -> str:
    """What `evaluate_file` says before it indexes a question set's articles (into `kept`, or a
    temporary folder), so that a rerun with --index does not claim to index again what it reuses.

    Example:
        >>> _indexing_notice(771, "news.json", None)
        'Indexing the 771 articles of news.json temporarily (--index DIR keeps it)'
        >>> _indexing_notice(1, "one.json", None)
        'Indexing the 1 article of one.json temporarily (--index DIR keeps it)'
    """
    these = f"the {counted(articles, 'article')} of {name}"
    if kept is None:
        return f"Indexing {these} temporarily (--index DIR keeps it)"
    if current_generation(kept) is not None:
        return f"Checking the index {kept}/ of {these} (only changes are embedded)"
    return f"Indexing {these} into {kept}/ (kept for later runs)"


def evaluate_file(
    path: str | Path,
    settings: Settings,
    mode: str = "hybrid",
    limit: int | None = None,
    index_dir: str | Path | None = None,
    progress: bool = True,
    encoder: Encoder | None = None,
    articles_given: bool = False,
    fast: bool = False,
    reader: Reader | None = None,
    answers_file: str | Path | None = None,
) -> EvalReport:
    """Run `qa eval` (see the module docstring). With `answers_file` (`--answers`), each
    question's answer and scores go there as well, one JSON line per question and mode, as
    each is answered (see `answer_record`): which questions missed, not only how many.

    Example:
        >>> report = evaluate_file("tests/data/squad-mini.json", load_settings(), limit=10)  # doctest: +SKIP
        >>> report.metrics["hybrid"]["recall@5"]  # doctest: +SKIP
    """
    from .build import build_index

    path = Path(path)
    if not path.exists():
        if path.name == FEEDBACK_FILE:
            raise QAError(
                f"{path} does not exist yet: the chat writes it next to its index when someone rates an "
                "answer with thumbs up or down."
            )
        raise QAError(
            f"Evaluation file {path} does not exist; pass a SQuAD v1.1 JSON, a news QA JSON, a JSONL of "
            "questions or a feedback.jsonl (see qa eval --help)."
        )
    modes: list[Mode] = ["dense", "bm25", "hybrid"] if mode == "all" else [mode]  # type: ignore[list-item]
    question_set = load_question_set(path)
    questions = question_set.questions[:limit] if limit is not None else question_set.questions
    if not questions and question_set.kind == "feedback":  # it said "pass … a feedback.jsonl" of one
        raise QAError(
            f"{path} holds no verdict to replay: every thumb in it was taken back (a thumb taken back is no case)."
        )
    if not questions:
        raise QAError(
            f"{path} holds no questions: pass a file with at least one (a SQuAD v1.1 JSON, a news QA JSON, "
            "a JSONL of questions or a feedback.jsonl; see qa eval --help)."
        )
    if articles_given and question_set.records is not None:
        raise QAError(f"{path} brings its own articles, which qa eval indexes: leave --articles out.")
    if articles_given and index_dir is not None:
        raise QAError(
            "qa eval answers from --index as it is, so --articles would not be read: update the index first "
            "(qa index --articles DIR --index DIR), or leave --index out to index the articles temporarily."
        )
    with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp, _answers_out(answers_file, path) as out:
        tmp_path = Path(tmp)
        notes: list[str] = []
        if question_set.records is not None:
            target = Path(index_dir) if index_dir else tmp_path / "index"
            build = _IndexJob(path, question_set.kind, target, kept=index_dir is not None, scratch=tmp_path)
            notes.append(_index_records(question_set.records, build, settings, progress, encoder))
        elif index_dir is None and articles_given:
            # Questions about a folder of articles: index them in a temporary folder.
            target = tmp_path / "index"
            try:
                built = build_index(replace(settings, index_dir=target), progress=progress, encoder=encoder)
            except ArticleError as error:  # a missing, empty or file --articles: the build's fix names
                # QA_ARTICLES too, which qa eval does not read
                raise type(error)(str(error).replace("--articles / QA_ARTICLES", "--articles")) from None
            if built.skipped:  # as qa index lists them: a question about one is told why it misses
                notes.append(f"articles of {settings.articles_dir}/" + _skipped_note(built.skipped))
        else:
            target = Path(index_dir) if index_dir else settings.index_dir
        eval_settings = replace(settings, index_dir=target)
        index = load_index(target, eval_settings, encoder=encoder, reader=reader)
        on_answer = None if out is None else out.write_line
        if question_set.kind == "feedback":
            metrics = run_feedback(index, questions, modes, fast=fast, progress=progress, on_answer=on_answer)
        else:
            metrics = run_questions(index, questions, modes, fast=fast, progress=progress, on_answer=on_answer)
        if answers_file is not None:
            notes.append(f"answers: {answers_file} (one line per question and mode)")
        if fast:
            notes.append("fast: answers chosen without the reader (no spans)")
        # The set's own articles, or the --articles folder indexed for it (the note named the
        # deleted scratch index and a --index that qa eval then refuses beside --articles).
        brought_by = path if question_set.records is not None else settings.articles_dir if articles_given else None
        notes.extend(_coverage_notes(questions, index, target, brought_by))
        shown = "(temporary)" if target.is_relative_to(tmp_path) else str(target)
        return EvalReport(metrics=metrics, index_dir=shown, notes=notes)


@dataclass(frozen=True)
class _IndexJob:
    """Where the articles of the question set at `path` (of `kind`) are indexed: `target`
    (`kept`: given as --index), written first as JSONL in `scratch`."""

    path: Path
    kind: str
    target: Path
    kept: bool
    scratch: Path


def _index_records(
    records: Sequence[dict[str, Any]], job: _IndexJob, settings: Settings, progress: bool, encoder: Encoder | None
) -> str:
    """Index the articles a question set brings (SQuAD paragraphs, news articles); return
    the report's note on the build."""
    from .build import build_index, read_as_articles

    path, target = job.path, job.target
    articles = job.scratch / "articles"
    articles.mkdir()
    # Named by the kind: the article ids the questions name are "squad.jsonl#…", "news.jsonl#…".
    with open(articles / f"{job.kind}.jsonl", "w", encoding="utf-8") as out:
        out.writelines(json.dumps(r) + "\n" for r in records)
    # The kept index must not land in the user's own articles folder, where their next
    # `qa index` would read its files as articles.
    articles_root = Path(settings.articles_dir).resolve()
    if read_as_articles(articles_root, target.resolve()):
        where = "" if target.resolve() == articles_root else f"{target}/, inside "
        raise ConfigError(
            f"qa eval would keep {path.name}'s index in {where}the articles folder "
            f"{settings.articles_dir}/, where qa index would read its files as articles. Pass a folder "
            f"of its own (--index {shell_path(Path(path.stem + '-index'))}), or leave --index out for a "
            "temporary one."
        )
    if progress:  # embedding thousands of articles takes minutes; say so before it starts
        print(_indexing_notice(len(records), path.name, target if job.kept else None), file=sys.stderr)
    eval_settings = replace(
        settings, articles_dir=articles, index_dir=target, max_file_mb=max(settings.max_file_mb, 1024)
    )
    try:
        report = build_index(eval_settings, progress=progress, encoder=encoder)
    except NoArticlesError:
        # It named the scratch folder and --articles, which qa eval refuses for such a set.
        skipped = read_file(articles / f"{job.kind}.jsonl", f"{job.kind}.jsonl", eval_settings.max_file_bytes).skipped
        why = "; ".join(f"article {s.path.rpartition(':')[2]}: {s.reason}" for s in skipped[:3])
        raise QAError(f"No article of {path} can be read ({why}).") from None
    except OtherFolderError:
        # Here --index names an index of other articles, which the question set's articles would replace.
        raise OtherFolderError(
            f"The index {target}/ holds other articles than {path}'s; qa eval would replace them with the "
            "question set's. Pass --index with a folder of its own for this question set (later runs "
            "reuse it), or leave --index out for a temporary one."
        ) from None
    return (
        f"{counted(len(records), 'article')}; build: "
        f"{counted(report.passages_embedded, 'passage')} embedded in {report.seconds:.0f} s"
        + _skipped_note(report.skipped, records)
    )


def _skipped_note(skipped: Sequence[Skipped], records: Sequence[dict[str, Any]] | None = None) -> str:
    """What a build skipped, as `qa index` says it (a question set's article by its id): an
    article without text was left out without a word, and its questions told their article
    was not in the set.

    Example:
        >>> _skipped_note([Skipped("news.jsonl:2", "record has no text")], [{"id": "a1"}, {"id": "a2"}])
        '; skipped article a2: record has no text'
        >>> folded = Skipped("f.jsonl", "… and 7 more of its records skipped")
        >>> _skipped_note([Skipped("a.txt", "file is empty"), folded])
        '; skipped a.txt: file is empty; and 7 more'
    """

    def named(path: str) -> str:
        place = path.rpartition(":")[2]
        if records is not None and place.isdigit() and 0 < int(place) <= len(records):
            return f"article {records[int(place) - 1].get('id')}"
        return path

    listed = [s for s in skipped if not folded_skips(s)]  # a file's records past 20 come as one line
    total = skipped_count(skipped)
    shown = [f"{named(s.path)}: {s.reason}" for s in listed[:5]]
    more = f"; and {total - len(shown):,} more" if total > len(shown) else ""
    return f"; skipped {'; '.join(shown)}{more}" if shown else ""


def _coverage_notes(
    questions: Sequence[EvalQuestion], index: Index, index_dir: Path, brought_by: Path | None = None
) -> list[str]:
    """What the report says when the questions name articles the index does not hold;
    `brought_by`: the question set that brought the index's articles (its ids name them)."""
    gold = {article_id for q in questions for article_id in q.gold}
    unknown = sorted(a for a in gold if index.article(a) is None)
    if unknown and brought_by is not None:  # the set's own mistake: "pass the --index" was no fix
        missed = sum(1 for q in questions if q.gold and all(a in unknown for a in q.gold))
        example = unknown[0].partition("#")[2] or unknown[0]  # a record's id, or the file's name
        return [
            f"{counted(len(unknown), 'article id')} the questions name (e.g. {example!r}) not among the articles "
            f"of {brought_by}: retrieval scores 0 for {counted(missed, 'question')}"
        ]
    if gold and len(unknown) == len(gold):
        return [
            f"none of the questions' articles is in {index_dir}/: retrieval metrics are 0 "
            "(index them, or pass the --index that holds them)"
        ]
    if unknown:  # scored as misses without a word, one id among many lowered recall
        missed = sum(1 for q in questions if q.gold and all(a in unknown for a in q.gold))
        return [
            f"{counted(len(unknown), 'article id')} of the questions (e.g. {unknown[0]!r}) not in "
            f"{index_dir}/: retrieval scores 0 for {counted(missed, 'question')}; ids are "
            "as qa info lists them (a record of a .jsonl file: file.jsonl#id)"
        ]
    return []


def run_questions(
    index: Index,
    questions: Sequence[EvalQuestion],
    modes: Sequence[Mode],
    fast: bool = False,
    progress: bool = True,
    on_answer: AnswerSink | None = None,
) -> dict[str, dict[str, float]]:
    """Answer every question in every mode; return the metrics per mode (and give each
    answer's `answer_record` to `on_answer`)."""
    rows = score_questions(index, questions, modes, fast, progress, on_answer)
    metrics = {mode: summarise(values, any(q.gold for q in questions)) for mode, values in rows.items()}
    if fast:  # no reader, no span: 0.000 would read as a measurement
        metrics = {mode: {k: v for k, v in m.items() if k not in SPAN_METRICS} for mode, m in metrics.items()}
    return metrics


def score_questions(
    index: Index,
    questions: Sequence[EvalQuestion],
    modes: Sequence[Mode],
    fast: bool = False,
    progress: bool = True,
    on_answer: AnswerSink | None = None,
) -> dict[str, list[tuple[float, ...]]]:
    """Answer every question in every mode; one row of scores per question (in `METRICS`
    order up to "abstained_unanswerable", then the milliseconds), for `summarise` over any subset.

    Example:
        >>> rows = score_questions(index, questions, ["hybrid"])["hybrid"]  # doctest: +SKIP
        >>> first_ten = summarise(rows[:10], has_gold=True)  # doctest: +SKIP
    """
    from .build import progress_bar

    rows: dict[str, list[tuple[float, ...]]] = {m: [] for m in modes}
    for q in progress_bar(len(questions), "Evaluating", progress, unit="question", items=questions):
        for mode in modes:
            hits = retrieve(q.question, K_MAX, index, mode=mode)
            started = time.perf_counter()
            result = answer(q.question, index=index, mode=mode, fast=fast)
            ms = (time.perf_counter() - started) * 1000
            rows[mode].append(_score(q, hits, result, ms))
            if on_answer is not None:
                on_answer(answer_record(mode, q, result, rows[mode][-1], fast))
    return rows


def run_feedback(
    index: Index,
    cases: Sequence[EvalQuestion],
    modes: Sequence[Mode],
    fast: bool = False,
    progress: bool = True,
    on_answer: AnswerSink | None = None,
) -> dict[str, dict[str, float]]:
    """Feedback regression cases: share of helpful answers kept, of wrong answers changed."""
    from .build import progress_bar

    out: dict[str, dict[str, float]] = {}
    for mode in modes:
        kept: list[bool] = []
        changed: list[bool] = []
        abstained: list[bool] = []
        times: list[float] = []
        for case in progress_bar(len(cases), f"Feedback ({mode})", progress, unit="question", items=cases):
            started = time.perf_counter()
            # A follow-up with the questions before it: alone it answered another question.
            result = answer(case.question, history=list(case.history) or None, index=index, mode=mode, fast=fast)
            times.append((time.perf_counter() - started) * 1000)
            first = result.sentences[0].text if result.sentences else ""
            passed = first == case.sentence if case.expect == "keep" else first != case.sentence
            (kept if case.expect == "keep" else changed).append(passed)
            abstained.append(not result.found)
            if on_answer is not None:
                on_answer(
                    {"mode": mode, "question": case.question, "expect": case.expect, "judged_sentence": case.sentence}
                    | _answered(result)
                    | {"passed": passed, "ms": round(times[-1], 2)}
                )
        # Left out when there is no such case (NaN is no JSON: `qa eval --json` wrote it).
        shares = {
            name: round(float(np.mean(cases)), 4)
            for name, cases in (("kept_helpful", kept), ("changed_wrong", changed))
            if cases
        }
        out[mode] = shares | {
            "abstained": round(float(np.mean(abstained)), 4),
            "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2),
            "questions": len(cases),
        }
    return out


def _score(q: EvalQuestion, hits: Sequence[Hit], result: Answer, ms: float) -> tuple[float, ...]:
    rank = next((h.rank for h in hits if h.source.article_id in q.gold), None)
    sentences = [s.text for s in result.sentences]
    span = (result.sentences[0].span_text or "") if result.sentences else ""
    # A question without gold articles has no retrieval score, one without gold answers no
    # answer score (an unanswerable one was a miss even when it rightly abstained): NaN, left
    # out of the means.
    retrieval = (
        (
            float(rank is not None and rank <= 1),
            float(rank is not None and rank <= 5),
            float(rank is not None and rank <= 10),
            1.0 / rank if rank else 0.0,
            float(bool(result.sentences) and result.sentences[0].citation.source.article_id in q.gold),
        )
        if q.gold
        else (math.nan,) * 5
    )
    answered = (
        (
            float(contains_answer(sentences[:1], q.answers)),
            float(contains_answer(sentences[:3], q.answers)),
            max((exact_match(span, a) for a in q.answers), default=0.0) if span else 0.0,
            max((f1_score(span, a) for a in q.answers), default=0.0) if span else 0.0,
            float(bool(span) and contains_answer([span], q.answers)),
            # What the reader sees first: the first sentence with the earlier sentence shown as
            # its context (a diagnostic beside sentence_hit@1, which counts the cited sentence alone).
            float(contains_answer([_first_shown(result)], q.answers)),
        )
        if q.answers
        else (math.nan,) * len(ANSWER_METRICS)
    )
    abstained = float(not result.found)
    return (*retrieval, *answered, *((math.nan, abstained) if q.unanswerable else (abstained, math.nan)), ms)


def _first_shown(result: Answer) -> str:
    """The first cited sentence as the chat shows it: after its context sentence, if any."""
    if not result.sentences:
        return ""
    first = result.sentences[0]
    return f"{first.context.text} {first.text}" if first.context is not None else first.text


AnswerSink = Callable[[dict[str, Any]], None]


def answer_record(mode: str, q: EvalQuestion, result: Answer, row: tuple[float, ...], fast: bool) -> dict[str, Any]:
    """One question's line in `qa eval --answers`: the question, its gold answers and articles,
    what was answered, and its scores (`score_questions`' row, by metric name; retrieval
    scores only with gold articles, span scores only with the reader).

    Example:
        >>> q = EvalQuestion("Who won?", ("Rovers",), frozenset({"cup.txt"}))
        >>> row = (1, 1, 1, 1.0, 1, 1, 1, 0, 0.5, 1, 1, 0, float("nan"), 84.0)
        >>> not_found = Answer("Who won?", False, "I could not find this in the articles.", (), (), 0.04)
        >>> record = answer_record("hybrid", q, not_found, row, fast=False)
        >>> record["gold_answers"], record["found"], record["scores"]["span_f1"], record["ms"]
        (['Rovers'], False, 0.5, 84.0)
    """
    skipped = SPAN_METRICS if fast else ()  # (what a question cannot be scored on is NaN: see `_score`)
    scores = {name: round(float(v), 4) for name, v in zip(SCORED, row) if name not in skipped and not math.isnan(v)}
    return (
        {"mode": mode, "question": q.question, "gold_answers": list(q.answers), "gold_articles": sorted(q.gold)}
        | _answered(result)
        | {"scores": scores, "ms": round(row[-1], 2)}
    )


def _answered(result: Answer) -> dict[str, Any]:
    """What an answer gave, for a line of `qa eval --answers`."""
    first = result.sentences[0] if result.sentences else None
    return {
        "found": result.found,
        "confidence": round(result.confidence, 4),
        "span": (first.span_text or "") if first else "",
        "sentences": [s.text for s in result.sentences],
        "cited_articles": [s.citation.source.article_id for s in result.sentences],
    }


@contextmanager
def _answers_out(path: str | Path | None, questions: Path) -> Iterator[_AnswersFile | None]:
    """The `--answers` file, checked before any indexing: a path that cannot be written is
    said at once, not after minutes of work; nor is the question file (read already), nor the
    chat's ratings, overwritten."""
    if path is None:
        yield None
        return
    if str(path) == "-":  # open("-") made a file named "-"
        raise QAError(
            "--answers writes a file, and stdout carries the metrics: name a file, e.g. --answers answers.jsonl."
        )
    target = Path(path)
    if _same_file(target, questions):
        raise QAError(f"--answers {path} is the question file itself, which it would overwrite; name another file.")
    if _is_feedback_file(target):  # the chat's ratings, replaced by answer lines without a word
        raise QAError(
            f"--answers {path} holds the chat's ratings (a feedback file), which it would overwrite; name another file."
        )
    try:
        open(target, "a", encoding="utf-8").close()  # writable? (appending changes nothing yet)
    except OSError as exc:
        raise QAError(
            f"Cannot write the answers to {path} ({exc.strerror or exc}); pass --answers a file in a folder you "
            "may write."
        ) from None
    answers = _AnswersFile(target)
    try:
        yield answers
    finally:
        answers.close()


class _AnswersFile:
    """The `--answers` file, emptied at its first answer: a run that failed before (a mistyped
    --index, an interrupt while indexing) emptied the previous run's answers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: TextIO | None = None

    def write_line(self, record: dict[str, Any]) -> None:
        if self._out is None:
            self._out = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 (held open across the run)
        # "replace": a lone surrogate in a question file's answer was a UnicodeEncodeError traceback.
        self._out.write(json.dumps(record, ensure_ascii=False).encode("utf-8", "replace").decode("utf-8") + "\n")
        self._out.flush()  # an interrupted run keeps the answers it gave, and `tail -f` follows it

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def _is_feedback_file(path: Path) -> bool:
    """Does `path` hold feedback records (see `_is_record_with`)? Only a regular file can:
    reading `--answers /dev/stdout` to find out waited on the terminal or pipe for ever."""
    if not path.is_file():
        return False
    try:
        # Read as the question set's loader reads it: a blank first line or a byte order mark
        # hid a ratings file from this check, and `--answers` overwrote it.
        with open(path, encoding="utf-8-sig", errors="replace") as held:
            for _ in range(1000):
                line = held.readline(1_000_000)
                if line.strip() or not line:
                    return _is_record_with(line, "helpful")
    except OSError:
        return False
    return False


def _is_record_with(line: str, key: str) -> bool:
    """Is `line` a JSON object with `key`: "question" for a JSONL question set's lines, "helpful"
    for a feedback record? A key, not the word: a question whose answer is "helpful" made its
    file a feedback file."""
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and key in record


def _same_file(a: Path, b: Path) -> bool:
    """Are `a` and `b` one file: one path, a link to it, or a hard link (another name of its data)."""
    try:
        return a.samefile(b)
    except OSError:  # `a` does not exist yet (or cannot be read): not the question file
        return a.resolve() == b.resolve()


def summarise(values: Sequence[tuple[float, ...]], has_gold: bool) -> dict[str, float]:
    """The metrics of `score_questions` rows: means, latency percentiles, the count.
    Retrieval metrics are means over the questions with gold articles, and left out when
    none has them (or `has_gold` is False).

    Example:
        >>> nan = float("nan")
        >>> hit = (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, nan, 80.0)
        >>> miss = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, nan, 120.0)
        >>> m = summarise([hit, miss], has_gold=False)
        >>> m["sentence_hit@1"], m["abstained"], m["p50_ms"], "recall@1" in m
        (0.5, 0.5, 100.0, False)
    """
    array = np.array(values, dtype=float)
    names = SCORED
    columns = array[:, : len(names)]
    scored = ~np.isnan(columns)
    means = np.where(scored.any(axis=0), np.nansum(columns, axis=0) / np.maximum(scored.sum(axis=0), 1), np.nan)
    out = {name: round(float(v), 4) for name, v in zip(names, means) if has_gold or name not in RETRIEVAL_METRICS}
    out = {name: v for name, v in out.items() if not math.isnan(v)}
    out["p50_ms"] = round(float(np.percentile(array[:, -1], 50)), 2)
    out["p95_ms"] = round(float(np.percentile(array[:, -1], 95)), 2)
    out["questions"] = len(values)
    return out


# -- answer matching -------------------------------------------------------------------------------------


# A word, or a number with its decimal point and digit groups: "3" was found in "3.5" and
# "1,000" in "1,000,000" (each read as the words "3 5", "1 000 000").
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*(?!\w)|\w+")  # ("31st" stays one word)


def _normalise(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))


def contains_answer(sentences: Sequence[str], answers: Sequence[str]) -> bool:
    """Does any sentence contain any gold answer, as whole words (case and punctuation
    ignored)? A number's digit groups and an abbreviation's letters are also read joined
    ("40000" is in "40,000", "Washington, DC" in "Washington, D.C."): span EM, which drops
    punctuation, scored such a span an exact match but not "in the span".

    Example:
        >>> contains_answer(["The Broncos won Super Bowl 50."], ["Denver Broncos", "Broncos"])
        True
        >>> contains_answer(["Nordauto recalled 40,000 cars."], ["40000"])
        True
        >>> contains_answer(["He told us nothing."], ["U.S."])  # joined, but in capitals: "US" is not "us"
        False
        >>> contains_answer(["It raised 1,000,000 dollars; inflation was 3.5%."], ["1,000", "3"])  # part of a number
        False
    """
    for normalise in (_normalise, _joined):
        texts = [f" {normalise(s)} " for s in sentences]
        if any(f" {normalise(a)} " in text for a in answers if normalise(a) for text in texts):
            return True
    return False


def _joined(text: str) -> str:
    """Words with digit groups ("40,000") and abbreviations ("D.C.", "U.S") joined, lower case
    but for words in capitals: "U.S." is "US" (as "US" is), not the word "us"."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"\b(?:[A-Za-z]\.)+[A-Za-z]\b\.?", lambda found: found.group(0).replace(".", ""), text)
    return " ".join(w if w.isupper() else w.lower() for w in _TOKEN.findall(text))


def squad_normalise(text: str) -> str:
    """The official SQuAD v1.1 answer normalisation: lower case, no punctuation, no
    articles (a, an, the), single spaces.

    Example:
        >>> squad_normalise("The  Denver Broncos!")
        'denver broncos'
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


_PUNCTUATION = set(string.punctuation)


def exact_match(prediction: str, gold: str) -> float:
    """1.0 when prediction and gold answer are equal after `squad_normalise`.

    Example:
        >>> exact_match("the Broncos", "Broncos")
        1.0
    """
    return float(squad_normalise(prediction) == squad_normalise(gold))


def f1_score(prediction: str, gold: str) -> float:
    """Word-overlap F1 of prediction and gold answer after `squad_normalise` (official SQuAD v1.1).

    Example:
        >>> round(f1_score("Denver Broncos team", "the Denver Broncos"), 3)
        0.8
    """
    predicted, expected = squad_normalise(prediction).split(), squad_normalise(gold).split()
    common = collections.Counter(predicted) & collections.Counter(expected)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(predicted), overlap / len(expected)
    return 2 * precision * recall / (precision + recall)
