r"""Answer quality with the reader, on data nothing was fitted on: SQuAD v1.1 dev and the news QA set.

Every weight and threshold was fitted on SQuAD train (bench/fit_answering.py); these sets
only measure. For each set, the whole pipeline (`answer()`, as `qa ask` runs it), with the
reader and with `fast=True`:

- squad: open retrieval over all 2,067 dev paragraphs, all 10,570 questions (or --limit):
  sentence hit@1/@3, span EM/F1, abstention, latency.
- news: RealTime QA 2023, 300 questions over its 771 articles: the answer string in the
  first cited sentence / in any cited sentence / inside the highlighted span; and in the
  first sentence or the earlier sentence the chat shows as its context (shown@1).
- unanswerable: the same questions asked where their article is absent: news questions
  over the 300 distractor articles only (none holds an answer), and SQuAD dev questions of
  the odd-numbered Wikipedia articles over an index of the even-numbered ones. Share of
  questions that abstain (the answerable sets give the other side).

    python bench/bench_answers.py [--only squad news unanswerable] [--limit N]
    cd bench && python bench_answers.py --only news unanswerable --modes reader \
        --news-only-unanswerable --reader ../training/runs/reader-v6/reader-int8-perchannel-fp32head.onnx

`--reader` measures another reader file (its tokenizer.json beside it) with the shipped
answering constants, on any of the sets (the unanswerable ones too: how often it abstains where
it should, not only where it should not), as a diagnostic of a model that is not shipped; its results go to
bench/results/answers-<reader file's run and name>.json, never over the shipped figures;
`--name NAME` saves to answers-NAME.json instead (a second machine's run of the same file).

`--constants FILE` (with --name) answers with other answering constants: a candidate reader's
own refit (bench/fit_answering.py reader --reader ...) is measured with them, without editing
qa/; the file is a JSON object of qa/answering.py's names and abstain_below, as
bench/data/refit-v6.json, and each figure's stamp in the results records them:

    cd bench && python bench_answers.py --only news unanswerable --modes reader --news-only-unanswerable \
        --reader ../training/runs/reader-v6/reader-int8-perchannel-fp32head.onnx \
        --constants data/refit-v6.json --name v6-refit-constants
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from common import (
    DATA,
    RESULTS,
    SQUAD,
    WORK,
    candidate_reader,
    command,
    machine,
    now,
    reader_file,
    require,
    save,
    table,
)

from qa import Settings, build_index, load_index
from qa.evaluation import EvalQuestion, contains_answer, evaluate_file, load_question_set, score_questions, summarise
from qa.reader import Reader

NEWS = DATA / "news-qa" / "realtimeqa-2023.json"
MODES = ("reader", "fast")  # the answering paths measured: with the reader, and --fast


def settings_for(index_dir: Path, abstain_below: float | None = None, **more: Any) -> Settings:
    """The settings an index of the benchmarks is read (or built) with: the shipped threshold,
    or a candidate's (`--constants`)."""
    chosen = {} if abstain_below is None else {"abstain_below": abstain_below}
    return Settings(index_dir=index_dir, max_file_mb=1024, **chosen, **more)


def quality(
    path: Path,
    index: Path,
    limit: int | None,
    reader: Reader | None = None,
    modes: tuple[str, ...] = ("reader", "fast"),
    abstain_below: float | None = None,
) -> dict:
    settings = settings_for(index, abstain_below)
    out = {}
    for name, fast in (("reader", False), ("fast", True)):
        if name not in modes:
            continue
        report = evaluate_file(path, settings, limit=limit, index_dir=index, fast=fast, reader=reader)
        out[name] = report.metrics["hybrid"]
        print(name, json.dumps(out[name]), flush=True)
    return out


def absent_index(name: str, records: list[dict]) -> Path:
    """An index of `records` only (built once, then reused)."""
    articles = WORK / f"{name}-articles"
    articles.mkdir(parents=True, exist_ok=True)
    with open(articles / f"{name}.jsonl", "w") as out:
        out.writelines(json.dumps(r) + "\n" for r in records)
    settings = settings_for(WORK / f"{name}-index", articles_dir=articles)
    build_index(settings, progress=True)
    return settings.index_dir


def abstention(
    index_dir: Path,
    questions: list[EvalQuestion],
    nowhere: list[EvalQuestion] | None = None,
    reader: Reader | None = None,
    modes: tuple[str, ...] = ("reader", "fast"),
    abstain_below: float | None = None,
) -> dict:
    """Share of `questions` that abstain, with the reader and with `--fast`; and of the
    `nowhere` ones (a subset of `questions` whose answer string no article of the index
    holds), when given: from the same answers, not asked twice."""
    index = load_index(index_dir, settings_for(index_dir, abstain_below), reader=reader)
    out = {}
    for name, fast in (("reader", False), ("fast", True)):
        if name not in modes:
            continue
        rows = score_questions(index, questions, ["hybrid"], fast=fast)["hybrid"]
        metrics = summarise(rows, has_gold=False)
        out[name] = {
            "abstained": metrics["abstained"],
            "questions": metrics["questions"],
            # answered with the gold answer in the first cited sentence: the index held it after all
            "answer_in_first_sentence": metrics["sentence_hit@1"],
            "p50_ms": metrics["p50_ms"],
        }
        if nowhere:
            subset = [row for q, row in zip(questions, rows) if q in nowhere]
            out[name]["abstained_answer_nowhere"] = summarise(subset, has_gold=False)["abstained"]
            out[name]["questions_answer_nowhere"] = len(subset)
        print(name, out[name], flush=True)
    return out


def unanswerable(
    limit: int | None,
    reader: Reader | None = None,
    modes: tuple[str, ...] = ("reader", "fast"),
    squad: bool = True,
    abstain_below: float | None = None,
) -> dict:
    news = load_question_set(require(NEWS))
    assert news.records is not None
    gold = {g.split("#", 1)[1] for q in news.questions for g in q.gold}
    distractors = [r for r in news.records if r["id"] not in gold]
    # The distractors are same-year news about the same people: for some questions they hold
    # the answer string after all (not always answering: "Ford" is in many articles). The
    # questions whose answer string is in none of them are unanswerable beyond doubt.
    texts = [f"{r['title']}\n{r['text']}" for r in distractors]
    asked = news.questions[:limit]
    nowhere = [q for q in asked if not contains_answer(texts, q.answers)]
    out = {
        "news_distractors_only": {"articles": len(distractors)}
        | abstention(absent_index("news-absent", distractors), asked, nowhere, reader, modes, abstain_below)
    }
    if not squad:
        return out
    squad_set = load_question_set(require(SQUAD))
    assert squad_set.records is not None
    titles = list(dict.fromkeys(r["id"].rsplit("/", 1)[0] for r in squad_set.records))
    even = {t for i, t in enumerate(titles) if i % 2 == 0}
    odd_questions = [
        q for q in squad_set.questions if next(iter(q.gold)).split("#", 1)[1].rsplit("/", 1)[0] not in even
    ]
    out["squad_even_articles_only"] = {
        "articles": sum(r["id"].rsplit("/", 1)[0] in even for r in squad_set.records)
    } | abstention(
        absent_index("squad-even", [r for r in squad_set.records if r["id"].rsplit("/", 1)[0] in even]),
        odd_questions[:limit],
        reader=reader,
        modes=modes,
        abstain_below=abstain_below,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--only", nargs="+", choices=["squad", "news", "unanswerable"], default=["squad", "news", "unanswerable"]
    )
    parser.add_argument("--limit", type=int, help="at most this many questions per set")
    parser.add_argument(
        "--reader", type=reader_file, help="another reader ONNX file (tokenizer.json beside it): a diagnostic"
    )
    parser.add_argument(
        "--news-only-unanswerable",
        action="store_true",
        help="unanswerable: the news distractors only (skip the 5,173 SQuAD questions, ~15 min)",
    )
    parser.add_argument("--modes", nargs="+", choices=["reader", "fast"], default=["reader", "fast"])
    parser.add_argument(
        "--name", help="save to bench/results/answers-NAME.json (default: the reader file's run and name)"
    )
    parser.add_argument(
        "--constants",
        type=Path,
        help="a JSON object of answering constants to measure instead of the shipped ones (needs --name): "
        'qa/answering.py\'s names and abstain_below, e.g. {"LEAD_RETRIEVAL_WEIGHT": 16, "abstain_below": 0.13}',
    )
    args = parser.parse_args()
    if args.constants and not args.name:  # the shipped reader's figures, with other constants, over its own
        parser.error("--constants needs --name: a candidate's figures never land over the shipped ones")
    constants = use_constants(args.constants) if args.constants else {}
    abstain_below = constants.get("abstain_below")
    reader, suffix = candidate_reader(args.reader)
    modes = tuple(args.modes)
    results = {}
    if "news" in args.only:
        results["news"] = quality(require(NEWS), WORK / "news-index", args.limit, reader, modes, abstain_below)
    if "unanswerable" in args.only:
        squad = not args.news_only_unanswerable
        results["unanswerable"] = unanswerable(args.limit, reader, modes, squad, abstain_below)
    if "squad" in args.only:
        results["squad"] = quality(require(SQUAD), WORK / "squad-index", args.limit, reader, modes, abstain_below)
    rows = []
    for name in ("squad", "news"):
        for path, m in ((f"{name} {k}", v) for k, v in results.get(name, {}).items()):
            rows.append(
                [
                    path,
                    m.get("sentence_hit@1"),
                    m.get("sentence_hit@3"),
                    m.get("answer_shown@1"),
                    m.get("span_em"),
                    m.get("span_f1"),
                    m.get("answer_in_span"),
                    m.get("abstained"),
                    m.get("p50_ms"),
                    m.get("p95_ms"),
                ]
            )
    print(
        table(
            rows, ["set", "hit@1", "hit@3", "shown@1", "span EM", "span F1", "in span", "abstained", "p50 ms", "p95 ms"]
        )
    )
    for name, m in results.get("unanswerable", {}).items():
        print(name, {k: v for k, v in m.items()})
    name = "answers" if not args.limit else f"answers-limit{args.limit}"
    if args.name:  # e.g. the same reader measured on another CPU, beside the first run
        name += f"-{args.name}"
    else:
        name += suffix
    previous = RESULTS / f"{name}.json"  # a partial run (--only) keeps the other sets' results
    kept = json.loads(previous.read_text()) if previous.exists() else {}
    stamp = {"date": now(), "cpu": machine()["cpu"], "command": command()}
    if constants:  # what was measured, even after the file it came from is gone
        stamp["constants"] = constants
    print(f"saved {save(name, merged(kept, results, stamp))}")


def use_constants(path: Path) -> dict[str, Any]:
    """Answer with the constants `path` names, in this process: a candidate refit
    (bench/fit_answering.py's output, for another reader) measured without editing qa/.
    Upper-case names are qa/answering.py's (a tuple stays a tuple), `abstain_below` is the
    setting; any other name is refused, before minutes of answering with a typo ignored.

    Example:
        >>> import tempfile
        >>> f = Path(tempfile.mkdtemp()) / "refit.json"
        >>> _ = f.write_text('{"LEAD_RETRIEVAL_WEIGHT": 16, "READER_CONFIDENCE_BIAS": -7.354}')
        >>> use_constants(f)
        {'LEAD_RETRIEVAL_WEIGHT': 16.0, 'READER_CONFIDENCE_BIAS': -7.354}
        >>> import qa.answering; qa.answering.LEAD_RETRIEVAL_WEIGHT
        16.0
    """
    import qa.answering as answering

    chosen = json.loads(path.read_text())
    if not isinstance(chosen, dict):
        raise SystemExit(f'{path}: a JSON object of constants is needed, e.g. {{"LEAD_RETRIEVAL_WEIGHT": 16}}')
    used: dict[str, Any] = {}
    for name, value in chosen.items():
        if name == "abstain_below":
            used[name] = float(value)
            continue
        shipped = getattr(answering, name, None) if name.isupper() else None
        if not isinstance(shipped, (int, float, tuple)) or isinstance(shipped, bool):
            raise SystemExit(f"{path}: {name!r} is not a numeric constant of qa/answering.py (nor abstain_below)")
        if isinstance(shipped, tuple):
            if not isinstance(value, list) or len(value) != len(shipped):
                raise SystemExit(f"{path}: {name} needs {len(shipped)} numbers, as {list(shipped)}")
            used[name] = tuple(float(v) for v in value)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SystemExit(f"{path}: {name} needs a number, as {shipped}")
        elif isinstance(shipped, int) and value != int(value):  # READ_SENTENCES=12.5 would read 12
            raise SystemExit(f"{path}: {name} needs a whole number, as {shipped}")
        else:
            used[name] = type(shipped)(value)
        setattr(answering, name, used[name])
    return used


def merged(kept: dict, results: dict, stamp: dict) -> dict:
    """The saved sets with this run's `results` merged in, and a stamp (when, where, which
    command) for each (set, mode) measured. A partial run (--only, --modes) keeps the other
    sets and modes: `--modes reader` dropped a set's saved `fast` figures, and on the
    unanswerable sets it still did one level down (each of its two sets holds its modes).

    Example:
        >>> kept = {"news": {"reader": {"hit": 0.4}, "fast": {"hit": 0.3}}}
        >>> out = merged(kept, {"news": {"reader": {"hit": 0.5}}}, {"date": "today"})
        >>> out["news"], out["measured"]["news"]
        ({'reader': {'hit': 0.5}, 'fast': {'hit': 0.3}}, {'reader': {'date': 'today'}})
    """
    out = {k: v for k, v in kept.items() if k in ("squad", "news", "unanswerable")}
    measured = dict(kept.get("measured", {}))
    for set_name, figures in results.items():
        out[set_name], measured[set_name] = _merged_set(out.get(set_name, {}), figures, measured.get(set_name), stamp)
    return out | {"measured": measured}


def _merged_set(kept: dict, figures: dict, stamps: dict | None, stamp: dict) -> tuple[dict, dict]:
    """One set's figures and stamps merged: `{mode: metrics}` (squad, news; unanswerable's
    sets), or `{set: {mode: metrics}}` one level up (unanswerable)."""
    modes = [k for k in figures if k in MODES]
    if modes:
        return kept | figures, _per_mode(stamps, kept) | dict.fromkeys(modes, stamp)
    stamps = stamps or {}
    if "date" in stamps:  # one stamp for all of unanswerable, as files before 2026-12-03 have it
        stamps = dict.fromkeys(kept, stamps)
    out, out_stamps = dict(kept), {}
    for name in dict.fromkeys([*kept, *figures]):
        if name in figures:
            out[name], out_stamps[name] = _merged_set(kept.get(name, {}), figures[name], stamps.get(name), stamp)
        else:  # not measured this time: its figures and stamps stay
            out_stamps[name] = _per_mode(stamps.get(name), kept[name])
    return out, out_stamps


def _per_mode(stamp: dict | None, kept_modes: dict) -> dict:
    """A set's measurement stamps, one per mode (older files stamped the set as a whole)."""
    if not stamp:
        return {}
    if "date" in stamp:  # one stamp for the whole set, as files before 2026-12-03 have it
        return dict.fromkeys((m for m in kept_modes if m in MODES), stamp)
    return dict(stamp)


if __name__ == "__main__":
    main()
