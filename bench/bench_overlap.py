"""Why news questions are harder: how much of the question the sentence holding the answer repeats.

For every question: the largest share of its content words (`qa.answering.word_coverage`)
found in a sentence of its gold article(s) that holds a gold answer string (SQuAD: its own
paragraph; news: the articles that hold the answer). Then the shipped pipeline's first cited
sentence, per band of that share: does it hold the answer? A diagnostic, not a target:
nothing is fitted, and the news figure it predicts from SQuAD's bands is arithmetic.

Needs the indexes bench/bench_answers.py builds (WORK/news-index, WORK/squad-index).

    python bench/bench_overlap.py [--squad-sample 2000]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from pathlib import Path

from bench_answers import NEWS
from common import SQUAD, WORK, require, require_index, save, table

from qa import Settings, load_index
from qa.answering import word_coverage
from qa.evaluation import METRICS, EvalQuestion, QuestionSet, contains_answer, load_question_set, score_questions
from qa.splitting import split_sentences

BANDS = [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 1.01)]


def best_coverage(question: EvalQuestion, texts: dict[str, str]) -> float:
    """The largest share of the question's words in a gold-article sentence that holds an answer."""
    sentences = (s.text for g in question.gold for s in split_sentences(texts.get(g.split("#", 1)[1], "")))
    return max(
        (word_coverage(question.question, s) for s in sentences if contains_answer([s], question.answers)),
        default=0.0,
    )


def first_sentence_hits(index_dir: Path, questions: Sequence[EvalQuestion]) -> list[bool]:
    """Whether the first cited sentence holds an answer: `qa eval`'s sentence_hit@1, per question."""
    index = load_index(index_dir, Settings(index_dir=index_dir, max_file_mb=1024))
    column = METRICS.index("sentence_hit@1")
    # `== 1`, not bool(): a question without gold answers scores NaN, and bool(NaN) is True.
    return [row[column] == 1 for row in score_questions(index, questions, ["hybrid"])["hybrid"]]


def measure(name: str, qset: QuestionSet, questions: list[EvalQuestion], index_dir: Path) -> dict:
    assert qset.records is not None
    texts = {r["id"]: r["text"] for r in qset.records}
    coverage = [best_coverage(q, texts) for q in questions]
    hits = first_sentence_hits(index_dir, questions)
    bands = []
    for low, high in BANDS:
        inside = [hit for c, hit in zip(coverage, hits) if low <= c < high]
        bands.append(
            {
                "band": f"[{low:.1f}, {min(high, 1.0):.1f}{')' if high < 1 else ']'}",
                "share": round(len(inside) / len(questions), 3),
                "first_sentence_hit": round(sum(inside) / len(inside), 3) if inside else None,
            }
        )
    result = {
        "questions": len(questions),
        "first_sentence_hit": round(sum(hits) / len(hits), 3),
        "coverage_at_least_0.4": round(sum(c >= 0.4 for c in coverage) / len(coverage), 3),
        "bands": bands,
    }
    print(name, result, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad-sample", type=int, default=2000, help="SQuAD dev questions (a fixed random sample)")
    args = parser.parse_args()
    # both checked before the news set's minutes of answering
    news_index = require_index(WORK / "news-index", NEWS, "news")
    squad_index = require_index(WORK / "squad-index", SQUAD, "squad")
    news = load_question_set(require(NEWS))
    squad = load_question_set(require(SQUAD))
    sample = random.Random(0).sample(squad.questions, min(args.squad_sample, len(squad.questions)))
    results = {
        "news": measure("news", news, news.questions, news_index),
        "squad": measure("squad", squad, sample, squad_index),
    }
    # News questions, each scored at SQuAD's hit rate for its band: what SQuAD-like reading
    # would give on news' mix of questions.
    results["news_at_squad_band_rates"] = round(
        sum(n["share"] * s["first_sentence_hit"] for n, s in zip(results["news"]["bands"], results["squad"]["bands"])),
        3,
    )
    rows = [
        [n["band"], n["share"], n["first_sentence_hit"], s["share"], s["first_sentence_hit"]]
        for n, s in zip(results["news"]["bands"], results["squad"]["bands"])
    ]
    header = ["question words in the answer's sentence", "news share", "news hit", "SQuAD share", "SQuAD hit"]
    print(table(rows, header))
    print("news at SQuAD's per-band hit rates:", results["news_at_squad_band_rates"])
    print(f"saved {save('overlap', results)}")


if __name__ == "__main__":
    main()
