"""Closed-context evaluation of a reader on SQuAD-style articles.

For each question the gold paragraph is cut into windows of consecutive sentences of
about 120 tokens (`qa.splitting.make_passages`, as the pipeline does), read together with
windows that do not answer it: one from another paragraph of the same article (same
topic) and two from other articles. The prediction is the best-scoring span over the
gold paragraph's windows, scored with the official SQuAD v1.1 normalisation. The has-answer
separation is the AUC of the window score (best span - null) between the gold window and
the other windows, over all questions together (scores must be comparable across
questions, since one threshold decides abstention).

Open ranking (`build_rank_items`, `evaluate_ranking`): what the pipeline does with the
reader. All windows of a pool of articles (the held-out ones plus some train articles) are
indexed with BM25 (title + text, `qa.store.bm25_terms`); each question is read over its
top-10 windows, its gold window forced in (in place of the 10th) when BM25 missed it. Top-1
window accuracy: how often the highest-scoring window holds a gold answer string. AUC vs
retrieval hard negatives: gold window vs the retrieved windows of other articles (and of
other paragraphs of the same article) that hold no gold answer.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np

from qa.evaluation import exact_match, f1_score  # the official SQuAD v1.1 metrics
from qa.reader import Reader
from qa.splitting import make_passages

from .data import Article, _holds_answer, bm25_top_k, hop_examples

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


@dataclass
class RankItem:
    question: str
    answers: list[str]
    windows: list[tuple[str, str]]  # (title, text), BM25 order, the gold window forced in
    holds: list[bool]  # window holds a gold answer string
    gold: list[bool]  # window of the question's own paragraph holding an answer
    kind: list[str]  # "gold-paragraph", "same-article", "other-article"
    bm25_found_gold: bool  # a window holding an answer was in BM25's top-k on its own


def _sample_refs(articles: list[Article], n: int | None, seed: int) -> list[tuple[int, int, int]]:
    """The same question sample as `build_items(articles, n, seed)`."""
    rng = random.Random(seed)
    refs = [
        (ai, pi, qi) for ai, a in enumerate(articles) for pi, p in enumerate(a.paragraphs) for qi in range(len(p.qas))
    ]
    if n is not None and n < len(refs):
        refs = sorted(rng.sample(refs, n))
    return refs


def build_rank_items(
    articles: list[Article], pool: list[Article], n: int | None, seed: int, k: int = 10
) -> list[RankItem]:
    """`n` questions of `articles` (same sample as `build_items`), each with its BM25 top-`k`
    windows among all windows of `articles` + `pool` (questions whose paragraph has no
    window holding an answer string are left out)."""
    everything = list(articles) + [a for a in pool if all(a is not b for b in articles)]
    meta: list[tuple[int, int]] = []  # (article, paragraph) of each window
    windows: list[tuple[str, str]] = []
    for ai, article in enumerate(everything):
        for pi, p in enumerate(article.paragraphs):
            for w in _windows(p):
                meta.append((ai, pi))
                windows.append((article.title, w))
    refs = _sample_refs(articles, n, seed)
    queries = [articles[ai].paragraphs[pi].qas[qi]["question"] for ai, pi, qi in refs]
    ranked, _ = bm25_top_k([t + "\n" + w for t, w in windows], queries, k)
    items = []
    for (ai, pi, qi), row in zip(refs, ranked):
        qa = articles[ai].paragraphs[pi].qas[qi]
        top = [int(i) for i in row]
        holds = [_holds_answer(windows[i][1], qa["answers"]) for i in top]
        gold = [h and meta[i] == (ai, pi) for i, h in zip(top, holds)]
        found = any(holds)
        if not any(gold):
            own = [i for i, m in enumerate(meta) if m == (ai, pi) and _holds_answer(windows[i][1], qa["answers"])]
            if not own:
                continue
            top[-1] = own[0]
            holds[-1] = gold[-1] = True
        kind = [
            "gold-paragraph" if meta[i] == (ai, pi) else "same-article" if meta[i][0] == ai else "other-article"
            for i in top
        ]
        items.append(
            RankItem(
                qa["question"].strip(),
                [x["text"] for x in qa["answers"]],
                [windows[i] for i in top],
                holds,
                gold,
                kind,
                found,
            )
        )
    return items


def evaluate_ranking(reader: Reader, items: list[RankItem]) -> dict:
    """Top-1 window accuracy, open EM/F1 (the best window's best span) and AUCs vs retrieval
    hard negatives of `reader` over `items`."""
    t0 = time.time()
    top1 = em = f1 = bm25_top1 = 0.0
    pos, neg_other, neg_same = [], [], []
    for item in items:
        readings = reader.read(item.question, item.windows)
        scores = [r.score for r in readings]
        best = int(np.argmax(scores))
        top1 += item.holds[best]
        bm25_top1 += item.holds[0]
        r = readings[best]
        text = item.windows[best][1][r.spans[0].start : r.spans[0].end] if r.spans else ""
        em += max(exact_match(text, a) for a in item.answers)
        f1 += max(f1_score(text, a) for a in item.answers)
        pos.append(max(s for s, g in zip(scores, item.gold) if g))
        for s, h, kind in zip(scores, item.holds, item.kind):
            if not h and kind == "other-article":
                neg_other.append(s)
            elif not h and kind == "same-article":
                neg_same.append(s)
    n = max(1, len(items))
    return {
        "questions": len(items),
        "top1_window_acc": 100 * top1 / n,
        "open_em": 100 * em / n,
        "open_f1": 100 * f1 / n,
        "auc_retrieval_other_articles": auc(pos, neg_other),
        "auc_retrieval_same_article": auc(pos, neg_same),
        "retrieval_negatives_other": len(neg_other),
        "retrieval_negatives_same": len(neg_same),
        "bm25_top1_window_acc": 100 * bm25_top1 / n,
        "bm25_gold_in_top10": 100 * sum(i.bm25_found_gold for i in items) / n,
        "seconds": time.time() - t0,
    }


def build_hop_items(articles: list[Article], seed: int) -> list[Item]:
    """One hop window (`training.data.hop_examples`) per qualifying question of `articles`,
    read alone: does the reader mark the name where it was first given?"""
    return [
        Item(ex.question, [ex.text[ex.answer[0] : ex.answer[1]]], ex.title, [ex.text], [True], None, [])
        for ex in hop_examples(articles, random.Random(seed), copies=1)
        if ex.answer is not None
    ]
