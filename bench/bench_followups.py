"""Do follow-up questions work, and does the conversation help? Measured, not assumed.

40 hand-written conversations (bench/data/followups.jsonl: a first question about a BBC
article or the seed, then a short follow-up that leans on it, and the answer strings)
over an index of the BBC corpus plus the seed article. Each follow-up is answered with
and without the first question as history (and with it on the `fast` path): sentence
hit@1/@3 (an answer string in the first / first three sentences), whether the first
citation is the right article, and repeats: how often the lead is a sentence the first
answer already cited (allowed only with a new span) and how often a later sentence is
(filler, never wanted).

    python bench/bench_followups.py [--reader FILE.onnx]

`--reader` measures another reader file (its tokenizer.json beside it), saved as
followups-<run>-<name>.json beside the shipped reader's figures.
"""

from __future__ import annotations

import argparse
import json
import shutil

from common import BBC, ROOT, WORK, bbc_index, candidate_reader, reader_file, require, save, table

from qa import answer, build_index, load_index
from qa.config import Settings
from qa.evaluation import contains_answer
from qa.reader import Reader

DATA = ROOT / "bench" / "data" / "followups.jsonl"


def index_with_seed(reader: Reader | None = None) -> object:
    folder = WORK / "bbc-seed-articles"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "bbc_news.jsonl").exists():
        (folder / "bbc_news.jsonl").symlink_to(require(BBC))
    shutil.copy(ROOT / "seeds" / "carney-china-trip.txt", folder)
    settings = Settings(articles_dir=folder, index_dir=WORK / "bbc-seed-index", follow_links=True)
    if not settings.index_dir.exists():  # start from the BBC index: only the seed is embedded
        shutil.copytree(bbc_index(), settings.index_dir, symlinks=True)
    build_index(settings)
    return load_index(settings.index_dir, settings, reader=reader)


def article_key(article_id: str) -> str:
    return article_id if article_id.endswith(".txt") else f"bbc_news.jsonl#{article_id}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reader", type=reader_file, help="another reader ONNX file (tokenizer.json beside it)")
    args = parser.parse_args()
    reader, suffix = candidate_reader(args.reader)
    index = index_with_seed(reader)
    conversations = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    scores: dict[str, list[tuple]] = {"with history": [], "without history": [], "with history, fast": []}
    for c in conversations:
        for label, history, fast in (
            ("with history", True, False),
            ("without history", False, False),
            ("with history, fast", True, True),
        ):
            first = answer(c["first"], index=index, fast=fast)
            result = answer(c["followup"], history=[first] if history else None, index=index, fast=fast)
            texts = [s.text for s in result.sentences]
            given = {(s.citation.source.article_id, s.citation.start) for s in first.sentences}
            cited = [(s.citation.source.article_id, s.citation.start) for s in result.sentences]
            scores[label].append(
                (
                    contains_answer(texts[:1], c["answers"]),
                    contains_answer(texts[:3], c["answers"]),
                    bool(result.citations) and result.citations[0].source.article_id == article_key(c["article_id"]),
                    not result.found,
                    cited[:1] != [] and cited[0] in given,  # the lead is a sentence given before (new span)
                    any(k in given for k in cited[1:]),  # filler: a later sentence given before
                    # a later sentence from an article neither the lead nor the first answer cited
                    any(a not in {x for x, _ in given} | {cited[0][0]} for a, _ in cited[1:]),
                )
            )
    result = {"conversations": len(conversations)}
    rows = []
    for label, values in scores.items():
        n = len(values)
        figures = {
            "sentence_hit@1": sum(v[0] for v in values) / n,
            "sentence_hit@3": sum(v[1] for v in values) / n,
            "right_article@1": sum(v[2] for v in values) / n,
            "abstained": sum(v[3] for v in values) / n,
            "lead_given_before": sum(v[4] for v in values) / n,
            "repeats_after_lead": sum(v[5] for v in values) / n,
            "other_article_after_lead": sum(v[6] for v in values) / n,
        }
        result[label] = {k: round(v, 3) for k, v in figures.items()}
        rows.append([label, *(f"{v:.3f}" for v in figures.values())])
    header = [
        "follow-up answered",
        "hit@1",
        "hit@3",
        "right article@1",
        "abstained",
        "lead given before",
        "repeats",
        "other article",
    ]
    print(table(rows, header))
    print(f"saved {save('followups' + suffix, result)}")


if __name__ == "__main__":
    main()
