"""Measure a shipped reader on SQuAD-style data (closed context), outside training.

    .venv/bin/python -m training.measure --squad /work/shared/data/squad-v1.1/dev-v1.1.reconstructed.json \
        --questions 0 --no-negatives

`--questions 0` reads every question; `--no-negatives` skips the windows of other
paragraphs and articles (EM/F1 only, ~3x faster, no AUC).

With `--heldout` the file must be SQuAD *train*: the reader's 16 held-out articles (as
`training.train_reader` draws them) are measured closed-context and in the open ranking
(BM25 top-10 windows over the held-out + 84 train articles), as in its final comparison:

    .venv/bin/python -m training.measure --squad /work/shared/data/squad-v1.1/train-v1.1.reconstructed.json \
        --heldout --questions 1500
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from qa.reader import MODEL_FILE, TOKENIZER_FILE, Reader

from .data import load_squad, split_articles
from .evaluate import build_items, build_rank_items, evaluate, evaluate_ranking

# The 16 articles `training.train_reader` holds out of SQuAD train (--seed 13 --holdout-articles
# 16; the model card's list): a file without them is not SQuAD train, and --heldout would
# draw 16 other articles and call them held out.
HELD_OUT = (
    "Armenia", "Biodiversity", "Comcast", "Compact disc", "Crucifixion of Jesus", "Empiricism",
    "Gothic architecture", "Hanover", "Internet service provider", "Iran", "Military history of the United States",
    "New York City", "North Carolina", "Spectre (2015 film)", "Web browser", "Xbox 360",
)  # fmt: skip


def not_squad_train(path: Path) -> str | None:
    """Why `path` cannot be SQuAD train (--heldout's file), or None."""
    try:
        titles = {a["title"].replace("_", " ") for a in json.loads(path.read_text())["data"]}
    except (ValueError, KeyError, TypeError):
        return f"--squad {path}: not a SQuAD v1.1 JSON file"
    missing = [t for t in HELD_OUT if t not in titles]
    if missing:
        return (
            f"--heldout needs SQuAD train (train-v1.1.reconstructed.json): {path} lacks the reader's held-out "
            f"articles ({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''})"
        )
    return None


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--squad", required=True)
    ap.add_argument("--model", default=str(MODEL_FILE))
    ap.add_argument("--questions", type=int, default=2000, help="0: all")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-negatives", action="store_true")
    ap.add_argument("--heldout", action="store_true", help="SQuAD train: the held-out articles, with open ranking")
    ap.add_argument("--holdout-articles", type=int, default=16)
    ap.add_argument("--rank-train-articles", type=int, default=84)
    args = ap.parse_args(argv)
    # Checked before the reader loads and the file is split into sentences: a traceback before.
    for flag, value in (("--squad", args.squad), ("--model", args.model)):
        if not Path(value).is_file():
            ap.error(f"{flag} {value}: no such file")
    if args.heldout and (problem := not_squad_train(Path(args.squad))):
        ap.error(problem)
    reader = Reader(Path(args.model), TOKENIZER_FILE, threads=args.threads)
    articles = load_squad(args.squad, reader)
    n = args.questions or None
    if not args.heldout:
        items = build_items(articles, n, args.seed)
        result = evaluate(reader, items, with_negatives=not args.no_negatives)
    else:
        train, held = split_articles(articles, args.holdout_articles, args.seed)
        pool = random.Random(args.seed).sample(train, min(args.rank_train_articles, len(train)))
        result = evaluate(reader, build_items(held, n, args.seed), with_negatives=not args.no_negatives)
        result.update(evaluate_ranking(reader, build_rank_items(held, pool, n, args.seed)))
    print(json.dumps({"model": args.model, **{k: round(v, 4) for k, v in result.items()}}))


if __name__ == "__main__":
    main()
