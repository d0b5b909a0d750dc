"""Tune fusion and sentence-scoring weights on a SQuAD v1.1 file, offline.

The shipped weights were tuned on SQuAD *train* (the fit set `bench/fit_answering.py` makes
from it and passes as --squad); dev is only measured on. --squad has no default, so that
nothing is tuned on dev by accident.

Step 1 (`features`) asks every question once against an index built by `qa eval
--index DIR` and stores, for the union of the dense and BM25 candidates, every score
the ranking formulas can use. Step 2 (`grid`) replays the formulas with many weights
in numpy, in seconds. Tuning uses the even-numbered Wikipedia articles; the report
shows the odd (held-out) ones and all, so the chosen weights are not fitted to the
numbers they are judged by.

    python bench/tune_squad.py features --index /tmp/fit-index --squad /tmp/fit-squad.json --out /tmp/squad-features.npz
    python bench/tune_squad.py grid --features /tmp/squad-features.npz
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def features(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from qa.config import Settings
    from qa.evaluation import contains_answer, load_squad
    from qa.index import load_index
    from qa.retrieval import prepare_query

    _, questions = load_squad(Path(args.squad))
    titles = list(dict.fromkeys(next(iter(q.gold)).split("#", 1)[1].rsplit("/", 1)[0] for q in questions))
    index = load_index(
        args.index, Settings(index_dir=Path(args.index), passage_tokens=args.passage_tokens, max_file_mb=1024)
    )
    step = max(1, len(questions) // args.sample) if args.sample else 1
    chosen = questions[::step]
    P: dict[str, list] = {
        k: [] for k in ("q", "pid", "dense", "bm25", "sdense_max", "sbm25_max", "gold", "dense_rank", "bm25_rank")
    }
    S: dict[str, list] = {k: [] for k in ("q", "pid", "sid", "dense", "bm25", "hit")}
    meta = {"split": [], "encode_ms": []}
    for qi, q in enumerate(tqdm(chosen, unit="question")):
        t = time.perf_counter()
        query = prepare_query(q.question, index)
        meta["encode_ms"].append((time.perf_counter() - t) * 1000)
        title = next(iter(q.gold)).split("#", 1)[1].rsplit("/", 1)[0]
        meta["split"].append(titles.index(title) % 2)
        dense = dict(index.dense.search(query.vector, args.candidates))
        bm25 = index.lexical.scores(query.terms)
        top = index.lexical.top(bm25, args.candidates)
        lexical = dict(sorted(top.items(), key=lambda item: -item[1]))
        dense_rank = {pid: r for r, pid in enumerate(dense)}
        bm25_rank = {pid: r for r, pid in enumerate(lexical)}
        ids = list(dense.keys() | lexical.keys())
        missing = [i for i in ids if i not in dense]
        if missing:
            dense.update(zip(missing, (index.dense.vectors(missing) @ query.vector).tolist()))
        positions = np.searchsorted(index.lexical.ids, ids)
        lexical = {pid: float(bm25[pos]) for pid, pos in zip(ids, positions)}
        records = index.store.passages(ids)
        sentence_ids = sorted({s for r in records.values() for s in r.sentence_ids})
        svec = dict(zip(sentence_ids, index.store.sentence_vectors(sentence_ids) @ query.vector))
        sbm = index.lexical.sentence_scores(query.terms, index.store.sentence_terms(sentence_ids))
        for pid in ids:
            r = records[pid]
            P["q"].append(qi)
            P["pid"].append(pid)
            P["dense"].append(dense[pid])
            P["bm25"].append(lexical.get(pid, 0.0))
            P["sdense_max"].append(max(svec[s] for s in r.sentence_ids))
            P["sbm25_max"].append(max(sbm.get(s, 0.0) for s in r.sentence_ids))
            P["gold"].append(r.source.article_id in q.gold)
            P["dense_rank"].append(dense_rank.get(pid, 999))
            P["bm25_rank"].append(bm25_rank.get(pid, 999))
            for sid, (a, b) in zip(r.sentence_ids, r.sentence_spans):
                S["q"].append(qi)
                S["pid"].append(pid)
                S["sid"].append(sid)
                S["dense"].append(svec[sid])
                S["bm25"].append(sbm.get(sid, 0.0))
                S["hit"].append(contains_answer([r.body[a:b]], q.answers))
    arrays = {f"P_{k}": np.asarray(v) for k, v in P.items()} | {f"S_{k}": np.asarray(v) for k, v in S.items()}
    arrays |= {k: np.asarray(v) for k, v in meta.items()}
    np.savez_compressed(args.out, **arrays)
    print(f"{len(chosen)} questions, {len(P['q'])} passage rows, {len(S['q'])} sentence rows -> {args.out}")


def group_max(q: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    np.maximum.at(out, q, values)
    return out


def passage_scores(d: dict[str, np.ndarray], w: dict[str, float]) -> np.ndarray:
    q, n = d["P_q"], int(d["P_q"].max()) + 1
    if w.get("rrf"):
        return 1 / (60 + d["P_dense_rank"]) + 1 / (60 + d["P_bm25_rank"])
    best = group_max(q, d["P_bm25"], n)
    best[best == 0] = 1
    best_s = group_max(q, d["P_sbm25_max"], n)
    best_s[best_s == 0] = 1
    dense = d["P_dense"]
    if w.get("minmax"):
        top, low = group_max(q, dense, n), -group_max(q, -dense, n)
        dense = (dense - low[q]) / np.maximum(top[q] - low[q], 1e-6)
    return (
        w["dense"] * dense
        + w["bm25"] * d["P_bm25"] / best[q]
        + w.get("sdense", 0) * d["P_sdense_max"]
        + w.get("sbm25", 0) * d["P_sbm25_max"] / best_s[q]
    )


def ranks_within(q: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of each row among the rows of the same question."""
    order = np.lexsort((-score, q))
    starts = np.searchsorted(q[order], np.arange(int(q.max()) + 1))
    rank = np.empty(len(q), dtype=np.int64)
    rank[order] = np.arange(len(q)) - starts[q[order]]
    return rank


def evaluate(
    d: dict[str, np.ndarray],
    w: dict[str, float],
    sw: tuple[float, float, float],
    top_passages: int = 8,
    split: int | None = None,
) -> dict[str, float]:
    q, n = d["P_q"], int(d["P_q"].max()) + 1
    score = passage_scores(d, w)
    rank = ranks_within(q, score)
    if "P_article" in d and w.get("per_article"):
        # rank among articles: a passage counts only if it is its article's best
        art = d["P_article"]
        order = np.lexsort((rank, art, q))
        best_of_article = np.zeros(len(q), dtype=bool)
        first = np.ones(len(order), dtype=bool)
        first[1:] = (q[order][1:] != q[order][:-1]) | (art[order][1:] != art[order][:-1])
        best_of_article[order[first]] = True
        article_rank = ranks_within(q, np.where(best_of_article, score, -1e9))
        rank_for_recall = np.where(best_of_article, article_rank, 10**6)
    else:
        rank_for_recall = rank
    first_gold = np.full(n, 10**6)
    g = d["P_gold"].astype(bool)
    np.minimum.at(first_gold, q[g], rank_for_recall[g])
    # passages the answer step reads, with their score relative to the question's best
    top = rank < top_passages
    best = group_max(q, score, n)
    best[best == 0] = 1
    key_p = q[top].astype(np.int64) * 10**7 + d["P_pid"][top]
    rel_p = score[top] / best[q[top]]
    rank_p = rank[top]
    order = np.argsort(key_p)
    key_p, rel_p, rank_p = key_p[order], rel_p[order], rank_p[order]
    sq = d["S_q"]
    key_s = sq.astype(np.int64) * 10**7 + d["S_pid"]
    pos = np.clip(np.searchsorted(key_p, key_s), 0, len(key_p) - 1)
    inside = key_p[pos] == key_s
    sq, sid = sq[inside], d["S_sid"][inside]
    s_dense, s_bm25, s_hit = d["S_dense"][inside], d["S_bm25"][inside], d["S_hit"][inside]
    s_rel, s_rank = rel_p[pos[inside]], rank_p[pos[inside]]
    # a sentence in two passages counts once, with its better passage
    order = np.lexsort((s_rank, sid, sq))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (sq[order][1:] != sq[order][:-1]) | (sid[order][1:] != sid[order][:-1])
    keep = order[first]
    sq, s_dense, s_bm25, s_hit, s_rel = sq[keep], s_dense[keep], s_bm25[keep], s_hit[keep], s_rel[keep]
    best_sbm = group_max(sq, s_bm25, n)
    best_sbm[best_sbm == 0] = 1
    s_score = sw[0] * s_dense + sw[1] * s_bm25 / best_sbm[sq] + sw[2] * s_rel
    s_rank = ranks_within(sq, s_score)
    hit1 = np.zeros(n, dtype=bool)
    hit3 = np.zeros(n, dtype=bool)
    hit1[sq[(s_rank == 0) & s_hit]] = True
    hit3[sq[(s_rank < 3) & s_hit]] = True
    select = np.ones(n, dtype=bool) if split is None else d["split"] == split
    fg = first_gold[select]
    return {
        "recall@1": float(np.mean(fg < 1)),
        "recall@5": float(np.mean(fg < 5)),
        "recall@10": float(np.mean(fg < 10)),
        "mrr": float(np.mean(np.where(fg < 10, 1 / (fg + 1), 0))),
        "hit@1": float(hit1[select].mean()),
        "hit@3": float(hit3[select].mean()),
    }


def show(label: str, m: dict[str, float]) -> None:
    print(f"{label:<48}" + "  ".join(f"{k} {v:.3f}" for k, v in m.items()), flush=True)


def grid(args: argparse.Namespace) -> None:
    d = dict(np.load(args.features))
    if args.index:
        from qa import Settings, load_index

        index = load_index(args.index, Settings(index_dir=Path(args.index), max_file_mb=1024))
        article_of = {
            pid: p.source.article_id for pid, p in index.store.passages(np.unique(d["P_pid"]).tolist()).items()
        }
        names = {a: n for n, a in enumerate(dict.fromkeys(article_of.values()))}
        d["P_article"] = np.array([names[article_of[p]] for p in d["P_pid"]])
    print(f"{int(d['P_q'].max()) + 1} questions; tuning split = even articles, report = odd articles and all")
    base_sw = (0.5, 0.3, 0.2)
    show("dense only", evaluate(d, {"dense": 1, "bm25": 0}, base_sw))
    show("bm25 only", evaluate(d, {"dense": 0, "bm25": 1}, base_sw))
    show("rrf", evaluate(d, {"rrf": 1}, base_sw))
    results = []
    for wd, ws, wsb, mm in itertools.product([0.5, 0.6, 0.7, 0.8, 0.9], [0, 0.3, 0.6, 0.9], [0, 0.1, 0.2, 0.3], [0, 1]):
        w = {"dense": wd, "bm25": 1 - wd, "sdense": ws, "sbm25": wsb, "minmax": mm}
        m = evaluate(d, w, base_sw, split=0)
        results.append((m["recall@1"] + m["recall@5"], w, m))
    results.sort(key=lambda r: -r[0])
    for _, w, m in results[:5]:
        show(f"tune {w}", m)
    best_w = results[0][1]
    sw_results = []
    for a, b, c in itertools.product([0.3, 0.5, 0.7, 1.0], [0, 0.15, 0.3, 0.45], [0, 0.2, 0.4, 0.6]):
        m = evaluate(d, best_w, (a, b, c), split=0)
        sw_results.append((m["hit@1"] + m["hit@3"], (a, b, c), m))
    sw_results.sort(key=lambda r: -r[0])
    for _, sw, m in sw_results[:5]:
        show(f"tune sentence {sw}", m)
    best_sw = sw_results[0][1]
    if "P_article" in d:
        show("best, one passage per article", evaluate(d, best_w | {"per_article": 1}, best_sw))
    show(f"HELD-OUT {best_w} {best_sw}", evaluate(d, best_w, best_sw, split=1))
    show(f"ALL {best_w} {best_sw}", evaluate(d, best_w, best_sw))
    from qa.answering import SENTENCE_WEIGHTS
    from qa.retrieval import MODE_WEIGHTS

    h = MODE_WEIGHTS["hybrid"]
    shipped = {
        "dense": h.dense,
        "bm25": h.lexical,
        "sdense": h.sentence_dense,
        "sbm25": h.sentence_lexical,
        "minmax": 0,
    }
    show("SHIPPED, tuning split", evaluate(d, shipped, SENTENCE_WEIGHTS["hybrid"], split=0))
    show("SHIPPED, held-out", evaluate(d, shipped, SENTENCE_WEIGHTS["hybrid"], split=1))
    show("SHIPPED, all", evaluate(d, shipped, SENTENCE_WEIGHTS["hybrid"]))
    print(json.dumps({"passage": best_w, "sentence": best_sw}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("features")
    f.add_argument("--index", required=True)
    f.add_argument("--squad", required=True, help="the SQuAD v1.1 file the index was built from (a train fit set)")
    f.add_argument("--out", required=True)
    f.add_argument("--candidates", type=int, default=50)
    f.add_argument("--sample", type=int, default=0, help="use about this many questions (0: all)")
    f.add_argument("--passage-tokens", type=int, default=256)
    f.set_defaults(run=features)
    g = sub.add_parser("grid")
    g.add_argument("--features", required=True)
    g.add_argument("--index", help="the index the features came from (enables per-article ranking)")
    g.set_defaults(run=grid)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
