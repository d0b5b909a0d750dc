"""Fit the abstention model: when do the articles answer a question at all?

Data: SQuAD v1.1 dev. An index holds the paragraphs of the even-numbered Wikipedia
articles only. Questions about those articles are answerable; questions about the
odd-numbered articles are not (their article is absent, though similar topics may be
present, which is the hard, realistic case). Features per question are those of
`qa.answering._confidence_features`; a logistic regression (numpy, Newton's method) is
fitted on half the questions of each kind and reported on the other half.

    python bench/calibrate_abstention.py --work /tmp/abstain [--sample 4000]

Prints the weights to paste into qa/answering.py and the abstention rates; writes
bench/results/abstention.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SQUAD = ROOT.parent / "shared" / "data" / "squad-v1.1" / "dev-v1.1.reconstructed.json"


def build(work: Path) -> tuple[object, list, list]:
    from qa.build import build_index
    from qa.config import Settings
    from qa.evaluation import load_squad
    from qa.index import load_index

    records, questions = load_squad(SQUAD)
    titles = list(dict.fromkeys(r["id"].rsplit("/", 1)[0] for r in records))
    present = {t for i, t in enumerate(titles) if i % 2 == 0}
    articles = work / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    with open(articles / "squad.jsonl", "w") as out:
        out.writelines(json.dumps(r) + "\n" for r in records if r["id"].rsplit("/", 1)[0] in present)
    settings = Settings(articles_dir=articles, index_dir=work / "index", max_file_mb=1024)
    build_index(settings)
    index = load_index(settings.index_dir, settings)
    answerable = [q for q in questions if next(iter(q.gold)).split("#", 1)[1].rsplit("/", 1)[0] in present]
    unanswerable = [q for q in questions if q not in answerable]
    return index, answerable, unanswerable


def features(index: object, questions: list, sample: int) -> np.ndarray:
    from tqdm import tqdm

    from qa.answering import PASSAGES, _confidence_features, score_sentences
    from qa.retrieval import prepare_query, search

    step = max(1, len(questions) // sample)
    rows = []
    for q in tqdm(questions[::step], unit="question"):
        query = prepare_query(q.question, index)
        hits = search(query, index, PASSAGES)
        rows.append(_confidence_features(query, hits, score_sentences(query, hits, index)))
    return np.array(rows)


def fit_logistic(x: np.ndarray, y: np.ndarray, iterations: int = 50, ridge: float = 1e-3) -> np.ndarray:
    """Weights (bias last) of a logistic regression, by Newton's method."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-xb @ w))
        gradient = xb.T @ (p - y) + ridge * w
        hessian = (xb * (p * (1 - p))[:, None]).T @ xb + ridge * np.eye(len(w))
        w -= np.linalg.solve(hessian, gradient)
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="/tmp/qa-abstain", help="folder for the half-SQuAD index")
    parser.add_argument("--sample", type=int, default=3000, help="questions of each kind")
    args = parser.parse_args()
    index, answerable, unanswerable = build(Path(args.work))
    pos, neg = features(index, answerable, args.sample), features(index, unanswerable, args.sample)
    rng = np.random.default_rng(0)
    train_pos, train_neg = rng.random(len(pos)) < 0.5, rng.random(len(neg)) < 0.5
    x = np.vstack([pos[train_pos], neg[train_neg]])
    y = np.r_[np.ones(train_pos.sum()), np.zeros(train_neg.sum())]
    w = fit_logistic(x, y)
    report = {
        "weights": [round(float(v), 3) for v in w[:-1]],
        "bias": round(float(w[-1]), 3),
        "features": ["best sentence cosine", "question word coverage"],
    }
    from qa.answering import CONFIDENCE_BIAS, CONFIDENCE_WEIGHTS

    shipped = np.r_[CONFIDENCE_WEIGHTS, CONFIDENCE_BIAS]
    for label, weights in (("fitted now", w), ("shipped in qa/answering.py", shipped)):
        for threshold in (0.1, 0.15, 0.2, 0.3, 0.4, 0.5):
            rates = {}
            for kind, data in (("answerable", pos[~train_pos]), ("unanswerable", neg[~train_neg])):
                confidence = 1 / (1 + np.exp(-(data @ weights[:-1] + weights[-1])))
                rates[f"abstained on {kind} (held out)"] = round(float(np.mean(confidence < threshold)), 4)
            report[f"{label}, threshold {threshold}"] = rates
    print(json.dumps(report, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "abstention.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
