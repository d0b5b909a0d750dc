"""Fit every answering weight and threshold on SQuAD v1.1 *train*, never on dev or the news set.

The reader (qa/models/reader) was trained on SQuAD train minus 16 held-out Wikipedia
articles (training/train_reader.py, seed 13). Its scores on questions it was trained on
would be overconfident, so the fit set is made of those 16 articles:

- `prepare`: an index of 8 held-out articles ("present") plus paragraphs of other train
  articles as distractors, about as many paragraphs as SQuAD dev (2,067), written as
  WORK/fit/fit-squad.json (questions of the present articles only) and built into
  WORK/fit/index; the questions of the other 8 held-out articles go to
  WORK/fit/fit-absent.jsonl: their article is not in the index (unanswerable).
- `retrieval`: the passage and sentence weights of hybrid retrieval, by
  bench/tune_squad.py's grid over the present questions.
- `reader`: reads every present and absent question with each window configuration and
  stores the reader's spans, and the present questions once more *withheld* (searched
  without the passages that hold their answer: same-topic text, no answer); then picks the
  window configuration, the lead weight and the extra-sentence threshold on the present
  questions, fits both confidence models (reader path, with or without the question's word
  and name coverage of the lead's passage; --fast path) on present vs absent and withheld
  questions, and chooses the default abstention threshold. Prints the constants for
  qa/answering.py and qa/config.py and writes bench/results/fit.json.

    python bench/fit_answering.py prepare
    python bench/fit_answering.py retrieval
    python bench/fit_answering.py reader [--sample 1500] [--reader FILE.onnx]
    python bench/fit_answering.py followups [--sample 400] [--reader FILE.onnx]

`--reader` fits (measures) another reader file, its tokenizer.json beside it: a candidate
reader's own constants, cached and saved apart (fit-<run>-<name>.json), never over the shipped
reader's.

`followups` measures (fits nothing): follow-ups made from the present articles' questions,
answered with the first question's answer as history (docs/benchmarks.md section 9).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from common import DATA, ROOT, WORK, candidate_reader, reader_file, require, save

from qa import Settings, build_index, load_index
from qa.evaluation import EvalQuestion, contains_answer, load_jsonl, load_squad
from qa.reader import Reader

TRAIN = DATA / "squad-v1.1" / "train-v1.1.reconstructed.json"
FIT = WORK / "fit"
# The reader's validation articles (training/train_reader.py --seed 13 --holdout-articles 16):
# never trained on, so the reader's scores on them are what a new corpus gets.
HELD_OUT = [
    "Armenia", "Biodiversity", "Comcast", "Compact disc", "Crucifixion of Jesus", "Empiricism",
    "Gothic architecture", "Hanover", "Internet service provider", "Iran", "Military history of the United States",
    "New York City", "North Carolina", "Spectre (2015 film)", "Web browser", "Xbox 360",
]  # fmt: skip
PARAGRAPHS = 2067  # as many as SQuAD dev, so retrieval is about as hard
HIT3_GOAL = 0.93  # a gold answer among the first three sentences (the issue asks >= 0.92 on dev)
# (candidate sentences, tokens per window, tokens in all): 0.055 ms a token, so the largest
# reads in about 110 ms, inside the 200 ms an answer may take.
WINDOW_CONFIGS = [(4, 100, 480), (6, 120, 720), (8, 160, 1200), (10, 160, 1600), (12, 200, 2000)]


def prepare(_: argparse.Namespace) -> None:
    data = json.loads(require(TRAIN).read_text())
    by_title = {a["title"].replace("_", " "): a for a in data["data"]}
    rng = random.Random(13)
    held = [by_title[t] for t in HELD_OUT]
    rng.shuffle(held)
    present, absent = held[:8], held[8:]
    others = [a for t, a in by_title.items() if t not in HELD_OUT]
    rng.shuffle(others)
    distractors, count = [], sum(len(a["paragraphs"]) for a in present)
    for article in others:
        if count >= PARAGRAPHS:
            break
        distractors.append({"title": article["title"], "paragraphs": [{**p, "qas": []} for p in article["paragraphs"]]})
        count += len(article["paragraphs"])
    FIT.mkdir(parents=True, exist_ok=True)
    (FIT / "fit-squad.json").write_text(json.dumps({"version": "1.1", "data": present + distractors}))
    with open(FIT / "fit-absent.jsonl", "w") as out:
        for article in absent:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    answers = list(dict.fromkeys(a["text"] for a in qa["answers"]))
                    out.write(json.dumps({"question": qa["question"], "answers": answers}) + "\n")
    records, questions = load_squad(FIT / "fit-squad.json")
    articles = FIT / "articles"
    articles.mkdir(exist_ok=True)
    with open(articles / "squad.jsonl", "w") as out:
        out.writelines(json.dumps(r) + "\n" for r in records)
    build_index(fit_settings(), progress=True)
    print(f"present: {[a['title'] for a in present]}\nabsent: {[a['title'] for a in absent]}")
    print(
        f"{len(records)} paragraphs, {len(questions)} present questions, "
        f"{len(load_jsonl(FIT / 'fit-absent.jsonl'))} absent questions -> {FIT}"
    )


def require_prepared() -> None:
    """The other steps read what `prepare` writes: without it, one line saying so (a missing
    fit-squad.json was blamed on the shared data, and the rest failed as tracebacks)."""
    from qa.store.layout import current_generation

    files = [FIT / "fit-squad.json", FIT / "fit-absent.jsonl"]
    if not all(f.exists() for f in files) or current_generation(FIT / "index") is None:
        raise SystemExit(f"No fit set in {FIT}/: run `python bench/fit_answering.py prepare` first.")


def fit_settings() -> Settings:
    return Settings(articles_dir=FIT / "articles", index_dir=FIT / "index", max_file_mb=1024, abstain_below=0.0)


def retrieval(_: argparse.Namespace) -> None:
    tune = [sys.executable, str(ROOT / "bench" / "tune_squad.py")]
    features = FIT / "retrieval-features.npz"
    index = str(FIT / "index")
    subprocess.run(
        [*tune, "features", "--index", index, "--squad", str(FIT / "fit-squad.json"), "--out", str(features)],
        check=True,
    )
    subprocess.run([*tune, "grid", "--features", str(features), "--index", index], check=True)


# -- the reader ----------------------------------------------------------------------------------------


@dataclass
class Row:
    """What one question gives: per window configuration, the reader's spans."""

    present: bool
    answers: tuple[str, ...]
    best_cosine: float
    fast_features: tuple[float, ...]
    # config -> [(sentence text, reader score, retrieval score / best, span text, sentence key,
    #             key of the span's title + passage in `contexts`)]
    spans: dict[tuple[int, int, int], list[tuple[str, float, float, str, tuple[str, int], tuple[str, int]]]]
    ms: dict[tuple[int, int, int], float]
    question: str = ""
    contexts: dict[tuple[str, int], str] = field(default_factory=dict)  # what coverage is measured on
    withheld: bool = False  # a present question asked without the passages that hold its answer


def read_all(
    questions: list[EvalQuestion], present: bool, withhold: bool = False, reader: Reader | None = None
) -> list[Row]:
    """Read every question with each window configuration. `withhold`: search as if the
    question's paragraph and every other passage holding an answer string were not in the
    index (its Wikipedia article's other paragraphs still are): an unanswerable question
    over same-topic text, as news questions meet same-week articles about the same people."""
    from tqdm import tqdm

    from qa.answering import (
        PASSAGES,
        _best_sentence_cosine,
        _confidence_features,
        lead_context,
        score_sentences,
    )
    from qa.retrieval import prepare_query, search
    from qa.windows import make_windows, read_windows

    index = load_index(FIT / "index", fit_settings(), reader=reader)
    rows = []
    for q in tqdm(questions, unit="question", desc="withheld" if withhold else "present" if present else "absent"):
        query = prepare_query(q.question, index)
        if withhold:
            found = search(query, index, 4 * PASSAGES)
            hits = [h for h in found if h.source.article_id not in q.gold and not contains_answer([h.text], q.answers)]
            hits = hits[:PASSAGES]
        else:
            hits = search(query, index, PASSAGES)
        scored = score_sentences(hits)
        texts = {sid: s.text for h in hits for sid, s in zip(h.sentence_ids, h.sentences)}
        ids = list(texts)
        tokens = dict(zip(ids, index.encoder.count_tokens([texts[i] for i in ids])))
        top = max((s.score for s in scored), default=1.0) or 1.0
        retrieval = {s.sentence_id: s.score / top for s in scored}
        row = Row(
            present=present,
            answers=q.answers,
            best_cosine=_best_sentence_cosine(hits),
            fast_features=_confidence_features(query, scored),
            spans={},
            ms={},
            question=query.text,
            withheld=withhold,
        )
        for config in WINDOW_CONFIGS:
            sentences, window, budget = config
            started = time.perf_counter()
            windows = make_windows([(s.hit, s.position) for s in scored[:sentences]], tokens, window, budget)
            spans = read_windows(index.reader, query.text, windows)
            row.ms[config] = (time.perf_counter() - started) * 1000
            row.contexts.update(((x.hit.source.article_id, x.hit.start), lead_context(x)) for x in spans)
            row.spans[config] = [
                (
                    x.hit.sentences[x.position].text,
                    x.score,
                    retrieval.get(x.sentence_id, 0.0),
                    x.hit.text[x.start - x.hit.start : x.end - x.hit.start],
                    (x.hit.source.article_id, x.hit.sentences[x.position].start),
                    (x.hit.source.article_id, x.hit.start),
                )
                for x in spans
            ]
        rows.append(row)
    return rows


def lead_of(spans: list, weight: float) -> tuple | None:
    return max(spans, key=lambda x: x[1] + weight * x[2]) if spans else None


def reader(args: argparse.Namespace) -> None:
    from qa.evaluation import exact_match, f1_score

    model, suffix = candidate_reader(args.reader)
    cache, withheld_cache = FIT / f"reader-rows{suffix}.npy", FIT / f"reader-withheld{suffix}.npy"
    _, present = load_squad(FIT / "fit-squad.json")
    absent = load_jsonl(FIT / "fit-absent.jsonl")
    rng = random.Random(0)
    present = rng.sample(present, min(args.sample, len(present)))
    absent = rng.sample(absent, min(args.sample, len(absent)))
    if args.fresh or not cache.exists():
        rows = read_all(present, True, reader=model) + read_all(absent, False, reader=model)
        np.save(cache, np.array(rows, dtype=object), allow_pickle=True)
    if args.fresh or not withheld_cache.exists():
        withheld_rows = read_all(present, False, withhold=True, reader=model)
        np.save(withheld_cache, np.array(withheld_rows, dtype=object), allow_pickle=True)
    rows = list(np.load(cache, allow_pickle=True)) + list(np.load(withheld_cache, allow_pickle=True))
    yes = [r for r in rows if r.present]
    no = [r for r in rows if not r.present and not r.withheld]
    report: dict = {
        "present_questions": len(yes),
        "absent_questions": len(no),
        "withheld_questions": len(rows) - len(yes) - len(no),
        "configs": {},
    }
    scores: dict[tuple[tuple[int, int, int], float], float] = {}
    for config in WINDOW_CONFIGS:
        for weight in (0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 16.0, 24.0):
            leads = [lead_of(r.spans[config], weight) for r in yes]
            hit1 = np.mean([bool(x) and contains_answer([x[0]], r.answers) for x, r in zip(leads, yes)])
            f1 = np.mean([max(f1_score(x[3], a) for a in r.answers) if x else 0.0 for x, r in zip(leads, yes)])
            em = np.mean([max(exact_match(x[3], a) for a in r.answers) if x else 0.0 for x, r in zip(leads, yes)])
            ms = float(np.percentile([r.ms[config] for r in yes], 50))
            key = f"{config} lead weight {weight}"
            report["configs"][key] = {
                "hit@1": round(float(hit1), 4),
                "span_f1": round(float(f1), 4),
                "span_em": round(float(em), 4),
                "read_p50_ms": round(ms, 1),
            }
            print(key, report["configs"][key], flush=True)
            scores[(config, weight)] = float(hit1)
    # One-standard-error rule: the differences between most choices are within the noise of
    # ~1,300 questions, so among the (configuration, weight) pairs whose hit@1 is within one
    # standard error of the best, take the one that reads most (news names its subject far
    # from the answer; the latency budget allows it), then the smallest lead weight (the
    # reader, not the question's wording, decides; SQuAD questions echo their sentence).
    top = max(scores.values())
    margin = float(np.sqrt(top * (1 - top) / len(yes)))
    near = [key for key, value in scores.items() if value >= top - margin]
    config, weight = min(near, key=lambda key: (-key[0][2], key[1]))
    report["selection"] = {"best_hit@1": round(top, 4), "one_standard_error": round(margin, 4)}
    # Extra sentences: cited only where the reader finds an answer in them at least this
    # strongly. The highest threshold that still puts a gold answer among the first three
    # sentences for HIT3_GOAL of the questions: as few extra sentences as that takes.
    extra = {}
    for threshold in (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0):
        cited = holding = hits3 = 0
        for r in yes:
            lead = lead_of(r.spans[config], weight)
            if lead is None:
                continue
            # ranked like the lead (qa.answering._by_worth): reader score + weight x retrieval
            extras = sorted(
                (x for x in r.spans[config] if x[4] != lead[4] and x[1] >= threshold),
                key=lambda x: -(x[1] + weight * x[2]),
            )
            extras = extras[:2]
            cited += len(extras)
            holding += sum(contains_answer([x[0]], r.answers) for x in extras)
            hits3 += contains_answer([lead[0], *(x[0] for x in extras)], r.answers)
        extra[threshold] = (round(hits3 / len(yes), 4), round(holding / max(cited, 1), 4), round(cited / len(yes), 2))
        print(
            f"extra threshold {threshold}: hit@3 {extra[threshold][0]}, {extra[threshold][1]} of extras hold an "
            f"answer, {extra[threshold][2]} extras per question",
            flush=True,
        )
    meeting = [t for t, (hit3, _, _) in extra.items() if hit3 >= HIT3_GOAL]
    extra_threshold = max(meeting) if meeting else min(extra)
    # Confidence, reader path: (lead reader score clipped to ±10, best sentence cosine, word
    # and name coverage of the lead's title + passage). Each subset of the coverage features
    # is fitted; the one that abstains on the most unanswerable fit questions at the 3% rule
    # is kept (a dropped feature ships with weight 0).
    from qa.answering import READER_SCORE_CLIP, name_coverage, word_coverage

    def reader_x(r: Row) -> list[float]:
        lead = lead_of(r.spans[config], weight)
        if lead is None:
            return [-READER_SCORE_CLIP, r.best_cosine, 0.0, 0.0]
        around = r.contexts[lead[5]]
        return [
            max(-READER_SCORE_CLIP, min(READER_SCORE_CLIP, lead[1])),
            r.best_cosine,
            word_coverage(r.question, around),
            name_coverage(r.question, around),
        ]

    y = np.array([1.0 if r.present else 0.0 for r in rows])
    withheld = np.array([r.withheld for r in rows])
    reader_all = np.array([reader_x(r) for r in rows])
    subsets = {"reader": [0, 1], "reader + word coverage": [0, 1, 2], "reader + name coverage": [0, 1, 3]}
    subsets["reader + both"] = [0, 1, 2, 3]
    fits = {}
    for name, columns in subsets.items():
        fits[name] = fit_confidence(reader_all[:, columns], y, columns, 4, withheld)
        print(name, fits[name], flush=True)
    best = max(subsets, key=lambda name: (fits[name]["abstained_unanswerable"], -len(subsets[name])))
    fits["chosen_reader"] = best
    fast_x = np.array([list(r.fast_features) for r in rows])
    fits["fast"] = fast = fit_confidence(fast_x, y, [0, 1], 2, withheld)
    # One threshold serves both paths (QA_ABSTAIN_BELOW): the fast confidence's bias is moved
    # so that at the reader's threshold it, too, abstains on 3% of the answerable questions.
    shared = fits[best]["threshold_3pct"]
    quantile = float(np.quantile(_sigmoid(fast_x @ fast["weights"] + fast["bias"])[y == 1], 0.03))
    fast["bias_at_shared_threshold"] = round(fast["bias"] + _logit(shared) - _logit(quantile), 3)
    confidence = _sigmoid(fast_x @ fast["weights"] + fast["bias_at_shared_threshold"])
    fast["at_shared_threshold"] = {
        "threshold": shared,
        "abstained_answerable": round(float(np.mean(confidence[y == 1] < shared)), 4),
        "abstained_unanswerable": round(float(np.mean(confidence[y == 0] < shared)), 4),
    }
    print("fast", fast, flush=True)
    report |= {
        "chosen": {"config": config, "lead_weight": weight, "extra_threshold": extra_threshold},
        "extra": {str(k): v for k, v in extra.items()},
        "confidence": fits,
    }
    print(json.dumps(report["chosen"]), json.dumps(fits))
    print(f"saved {save('fit' + suffix, report)}")


def fit_confidence(x: np.ndarray, y: np.ndarray, columns: list[int], width: int, withheld: np.ndarray) -> dict:
    """A logistic confidence over the feature `columns` (of `width`), the threshold that
    abstains on at most 3% of answerable questions, and what each threshold abstains on
    (unanswerable: absent and withheld questions together, then each kind alone)."""
    w = fit_logistic(x, y)
    confidence = _sigmoid(x @ w[:-1] + w[-1])
    threshold = float(np.floor(np.quantile(confidence[y == 1], 0.03) * 100) / 100)
    absent = (y == 0) & ~withheld
    weights = [0.0] * width
    for column, value in zip(columns, w[:-1]):
        weights[column] = round(float(value), 3)
    return {
        "abstained answerable / unanswerable": {
            str(t): [round(float(np.mean(confidence[y == k] < t)), 4) for k in (1, 0)]
            for t in (0.1, 0.15, 0.2, 0.25, 0.3)
        },
        "weights": weights,
        "bias": round(float(w[-1]), 3),
        "threshold_3pct": threshold,
        "abstained_answerable": round(float(np.mean(confidence[y == 1] < threshold)), 4),
        "abstained_unanswerable": round(float(np.mean(confidence[y == 0] < threshold)), 4),
        "abstained_absent": round(float(np.mean(confidence[absent] < threshold)), 4),
        "abstained_withheld": round(float(np.mean(confidence[withheld] < threshold)), 4) if withheld.any() else None,
    }


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def fit_logistic(x: np.ndarray, y: np.ndarray, iterations: int = 50, ridge: float = 1e-3) -> np.ndarray:
    """Weights (bias last) of a logistic regression, by Newton's method."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    for _ in range(iterations):
        p = _sigmoid(xb @ w)
        gradient = xb.T @ (p - y) + ridge * w
        hessian = (xb * (p * (1 - p))[:, None]).T @ xb + ridge * np.eye(len(w))
        w -= np.linalg.solve(hessian, gradient)
    return w


# -- follow-ups ----------------------------------------------------------------------------------------------


def followups(args: argparse.Namespace) -> None:
    """Follow-ups made from the present articles' questions: a paragraph's first question, then
    another question (of the same paragraph, or one of the next paragraph's) with the article's
    name turned into "it" ("How many rivers run through Hanover?" -> "... through it?"), kept
    when `is_followup` takes it for one. The second is answered with the first answer as
    history; hit@1/@3: a gold answer in the first / any cited sentence. A measurement of the
    follow-up rules on train-side data (bench/data/followups.jsonl is the hand-written check)."""
    from tqdm import tqdm

    from qa import answer
    from qa.answering import is_followup

    data = json.loads((FIT / "fit-squad.json").read_text())
    present = {t.replace(" ", "_") for t in HELD_OUT}
    rng = random.Random(5)
    pairs: dict[str, list[tuple[str, str, list[str]]]] = {"same paragraph": [], "next paragraph": []}
    for article in (a for a in data["data"] if a["title"] in present):
        name = re.escape(article["title"].replace("_", " "))
        paragraphs = article["paragraphs"]
        for n, paragraph in enumerate(paragraphs):
            if len(paragraph["qas"]) < 2:
                continue
            first = paragraph["qas"][0]["question"]
            nxt = paragraphs[(n + 1) % len(paragraphs)]["qas"]
            asked = [("same paragraph", q) for q in paragraph["qas"][1:]]
            asked += [("next paragraph", rng.choice(nxt))] if nxt else []
            for kind, q in asked:
                text = re.sub(rf"(?i)\b(the )?{name}'s\b(?! [A-Z])", "its", q["question"])
                text = re.sub(rf"(?i)\b(the )?{name}\b(?! [A-Z])", "it", text)
                if is_followup(text):
                    pairs[kind].append((first, text, [a["text"] for a in q["answers"]]))
    rng.shuffle(pairs["same paragraph"])
    pairs["same paragraph"] = pairs["same paragraph"][: args.sample]
    model, suffix = candidate_reader(args.reader)
    index = load_index(FIT / "index", fit_settings(), reader=model)
    report: dict = {}
    for kind, asked_pairs in pairs.items():
        hit1 = hit3 = 0
        for first, text, answers in tqdm(asked_pairs, desc=kind):
            result = answer(text, history=[answer(first, index=index)], index=index)
            cited = [s.text for s in result.sentences]
            hit1 += contains_answer(cited[:1], answers)
            hit3 += contains_answer(cited, answers)
        n = len(asked_pairs)
        report[kind] = {"follow-ups": n, "sentence_hit@1": round(hit1 / n, 3), "sentence_hit@3": round(hit3 / n, 3)}
        print(kind, report[kind], flush=True)
    print(f"saved {save('fit-followups' + suffix, report)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("prepare").set_defaults(run=prepare)
    sub.add_parser("retrieval").set_defaults(run=retrieval)
    r = sub.add_parser("reader")
    r.add_argument("--sample", type=int, default=1500, help="questions of each kind")
    r.add_argument("--fresh", action="store_true", help="read again instead of using the cached spans")
    r.add_argument("--reader", type=reader_file, help="fit another reader ONNX file (tokenizer.json beside it)")
    r.set_defaults(run=reader)
    f = sub.add_parser("followups")
    f.add_argument("--sample", type=int, default=400, help="same-paragraph follow-ups (all next-paragraph ones)")
    f.add_argument("--reader", type=reader_file, help="measure another reader ONNX file (tokenizer.json beside it)")
    f.set_defaults(run=followups)
    args = parser.parse_args()
    if args.step != "prepare":
        require_prepared()
    args.run(args)


if __name__ == "__main__":
    main()
