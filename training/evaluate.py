"""Closed-context evaluation of a reader on SQuAD-style articles.

For each question the gold paragraph is cut into windows of consecutive sentences of
about 120 tokens (`qa.splitting.make_passages`, as the pipeline does), read together with
windows that do not answer it: one from another paragraph of the same article (same
topic) and two from other articles. The prediction is the best-scoring span over the
gold paragraph's windows, scored with the official SQuAD v1.1 normalisation. The has-answer
separation is the AUC of the window score (best span - null) between the gold window and
the other windows, over all questions together (scores must be comparable across
questions, since one threshold decides abstention).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np

from qa.evaluation import exact_match, f1_score  # the official SQuAD v1.1 metrics
from qa.reader import Reader
from qa.splitting import make_passages

from .data import Article, _holds_answer

WINDOW_TOKENS = 120


def auc(positive: list[float], negative: list[float]) -> float:
    """P(score of a random positive > that of a random negative), ties count half."""
    if not positive or not negative:
        return float("nan")
    pos = np.asarray(positive, dtype=np.float64)
    neg = np.sort(np.asarray(negative, dtype=np.float64))
    below = np.searchsorted(neg, pos, side="left")
    equal = np.searchsorted(neg, pos, side="right") - below
    return float((below + 0.5 * equal).sum() / (len(pos) * len(neg)))


@dataclass
class Item:
    question: str
    answers: list[str]
    title: str
    gold: list[str]  # the gold paragraph's windows
    gold_holds: list[bool]  # which of them contain a gold answer string
    hard: str | None  # a window of another paragraph of the same article
    others: list[str]  # windows of other articles


def _windows(paragraph, budget: int = WINDOW_TOKENS) -> list[str]:
    passages = make_passages(paragraph.sentences, paragraph.tokens, budget, overlap=1)
    return [paragraph.context[p.start : p.end] for p in passages]


def build_items(articles: list[Article], n: int | None, seed: int) -> list[Item]:
    """`n` questions (all when None) drawn with `seed`, with their windows."""
    rng = random.Random(seed)
    refs = [
        (ai, pi, qi) for ai, a in enumerate(articles) for pi, p in enumerate(a.paragraphs) for qi in range(len(p.qas))
    ]
    if n is not None and n < len(refs):
        refs = sorted(rng.sample(refs, n))
    items = []
    for ai, pi, qi in refs:
        article = articles[ai]
        p = article.paragraphs[pi]
        qa = p.qas[qi]
        answers = [x["text"] for x in qa["answers"]]
        gold = _windows(p)
        hard = None
        others_p = [i for i in range(len(article.paragraphs)) if i != pi]
        for _ in range(5):
            if not others_p:
                break
            cand = rng.choice(_windows(article.paragraphs[rng.choice(others_p)]))
            if not _holds_answer(cand, qa["answers"]):
                hard = cand
                break
        others = []
        for _ in range(2):
            other = articles[rng.choice([i for i in range(len(articles)) if i != ai])]
            others.append(rng.choice(_windows(rng.choice(other.paragraphs))))
        items.append(
            Item(
                qa["question"].strip(),
                answers,
                article.title,
                gold,
                [_holds_answer(w, qa["answers"]) for w in gold],
                hard,
                others,
            )
        )
    return items


def evaluate(reader: Reader, items: list[Item], with_negatives: bool = True) -> dict:
    """EM, F1 (x100) and AUCs of `reader` over `items`."""
    t0 = time.time()
    em = f1 = 0.0
    pos, neg_other, neg_hard = [], [], []
    for item in items:
        windows = [(item.title, w) for w in item.gold]
        if with_negatives:
            windows += [(item.title, w) for w in item.others]
            if item.hard is not None:
                windows.append((item.title, item.hard))
        readings = reader.read(item.question, windows)
        gold_readings = readings[: len(item.gold)]
        best_text, best_score = "", -np.inf
        for w, r in zip(item.gold, gold_readings):
            if r.spans and r.spans[0].score > best_score:
                best_score = r.spans[0].score
                best_text = w[r.spans[0].start : r.spans[0].end]
        em += max(exact_match(best_text, a) for a in item.answers)
        f1 += max(f1_score(best_text, a) for a in item.answers)
        if with_negatives:
            holding = [r.score for r, h in zip(gold_readings, item.gold_holds) if h]
            if holding:
                pos.append(max(holding))
            neg_other.extend(r.score for r in readings[len(item.gold) : len(item.gold) + len(item.others)])
            if item.hard is not None:
                neg_hard.append(readings[-1].score)
    n = max(1, len(items))
    result = {"questions": len(items), "em": 100 * em / n, "f1": 100 * f1 / n, "seconds": time.time() - t0}
    if with_negatives:
        result.update(
            {
                "auc_other_articles": auc(pos, neg_other),
                "auc_same_article": auc(pos, neg_hard),
                "share_pos_score_gt0": float(np.mean(np.array(pos) > 0)) if pos else float("nan"),
                "share_other_score_gt0": float(np.mean(np.array(neg_other) > 0)) if neg_other else float("nan"),
                "share_same_article_score_gt0": float(np.mean(np.array(neg_hard) > 0)) if neg_hard else float("nan"),
            }
        )
    return result
