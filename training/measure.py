"""Measure a shipped reader on SQuAD-style data (closed context), outside training.

    .venv/bin/python -m training.measure --squad /work/shared/data/squad-v1.1/dev-v1.1.reconstructed.json \
        --questions 0 --no-negatives

`--questions 0` reads every question; `--no-negatives` skips the windows of other
paragraphs and articles (EM/F1 only, ~3x faster, no AUC).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qa.reader import MODEL_FILE, TOKENIZER_FILE, Reader

from .data import load_squad
from .evaluate import build_items, evaluate


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--squad", required=True)
    ap.add_argument("--model", default=str(MODEL_FILE))
    ap.add_argument("--questions", type=int, default=2000, help="0: all")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-negatives", action="store_true")
    args = ap.parse_args(argv)
    reader = Reader(Path(args.model), TOKENIZER_FILE, threads=args.threads)
    items = build_items(load_squad(args.squad, reader), args.questions or None, args.seed)
    result = evaluate(reader, items, with_negatives=not args.no_negatives)
    print(json.dumps({"model": args.model, **{k: round(v, 4) for k, v in result.items()}}))


if __name__ == "__main__":
    main()
