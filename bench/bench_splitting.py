r"""Sentence splitting against an older splitter: where the sentences of real articles changed.

A change to qa/splitting.py changes every citation it touches, so it is measured on whole
corpora before it ships: for each corpus, how many documents and sentences change, how many
sentence ends are new or gone, and a sample of each, to read (a cut in the middle of "St. |
Mary's" is worse than two sentences quoted as one). The older splitter is a copy of an older
qa/splitting.py:

    git show 330dbb2:qa/splitting.py > /tmp/old_splitting.py
    python bench/bench_splitting.py --against /tmp/old_splitting.py [--show 20] [--only bbc news]

Corpora: the BBC News articles, the news QA set's 771 articles, and the paragraphs of SQuAD v1.1
train and dev.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from common import BBC, DATA, SQUAD, require, save, table

from qa.splitting import split_sentences

NEWS = DATA / "news-qa" / "realtimeqa-2023.json"
SQUAD_TRAIN = DATA / "squad-v1.1" / "train-v1.1.reconstructed.json"


def _bbc() -> Iterator[str]:
    with require(BBC).open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)["text"]


def _news() -> Iterator[str]:
    yield from (a["text"] for a in json.loads(require(NEWS).read_text(encoding="utf-8"))["articles"])


def _squad(path: Path) -> Iterator[str]:
    for article in json.loads(require(path).read_text(encoding="utf-8"))["data"]:
        yield from (p["context"] for p in article["paragraphs"])


CORPORA: dict[str, Callable[[], Iterator[str]]] = {
    "bbc": _bbc,
    "news": _news,
    "squad_train": lambda: _squad(SQUAD_TRAIN),
    "squad_dev": lambda: _squad(SQUAD),
}


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("older_splitting", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _around(text: str, end: int) -> str:
    """The 50 characters before a sentence end, " | ", and the 40 after it, on one line."""
    return " ".join(f"{text[max(0, end - 50) : end]} | {text[end : end + 40]}".split())


def compare(texts: Iterator[str], older: Callable[[str], Any]) -> tuple[dict[str, int], list[str], list[str]]:
    """Counts of what changed between `older` and this splitter, with every new and gone sentence end."""
    counts = dict.fromkeys(("documents", "changed", "sentences_before", "sentences_after", "new_ends", "gone_ends"), 0)
    new_ends: list[str] = []
    gone_ends: list[str] = []
    for text in texts:
        before = {s.end for s in older(text)}
        after = {s.end for s in split_sentences(text)}
        counts["documents"] += 1
        counts["changed"] += before != after
        counts["sentences_before"] += len(before)
        counts["sentences_after"] += len(after)
        new_ends += [_around(text, end) for end in sorted(after - before)]
        gone_ends += [_around(text, end) for end in sorted(before - after)]
    counts["new_ends"], counts["gone_ends"] = len(new_ends), len(gone_ends)
    return counts, new_ends, gone_ends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", type=Path, required=True, help="an older qa/splitting.py")
    parser.add_argument("--only", nargs="+", choices=list(CORPORA), default=list(CORPORA))
    parser.add_argument("--show", type=int, default=10, help="sentence ends of each kind to print per corpus")
    args = parser.parse_args()
    older = _load(args.against).split_sentences
    results: dict[str, Any] = {"against": str(args.against)}
    rows = []
    for name in args.only:
        counts, new_ends, gone_ends = compare(CORPORA[name](), older)
        results[name] = counts
        rows.append([name, *counts.values()])
        sample = random.Random(0)  # the same sample on every run
        for label, ends in (("new end", new_ends), ("gone end", gone_ends)):
            for line in sample.sample(ends, min(args.show, len(ends))):
                print(f"{name} {label}: {line}")
    print(table(rows, ["corpus", "documents", "changed", "sentences before", "after", "new ends", "gone ends"]))
    print(f"saved {save('splitting', results)}")


if __name__ == "__main__":
    main()
