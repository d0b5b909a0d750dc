"""`qa eval`: retrieval and answer quality on SQuAD v1.1 JSON or a question JSONL.

SQuAD: every paragraph becomes one article (titled with its Wikipedia article's title),
and a question's gold passages are those of its own paragraph. Unless `--index` names a
folder, the index is built in a temporary folder; with `--index`, it is built (or
updated, incrementally) there, so later runs reuse the embeddings.

JSONL: one `{"question": ..., "answers": [...]}` per line (optionally `"article_id"` or
`"article_ids"` for passage recall), against an existing index (`--index`) or a
temporary index of `--articles`.

Metrics, per retrieval mode: passage recall@1/@5/@10 and MRR@10 (a gold article among
the first k passages), sentence hit@1/@3 (a gold answer occurs in the first / first
three sentences of the answer; an abstention is a miss), the abstention rate, and the
latency of a whole answer (question encoding included), p50 and p95. Passages come from
`retrieve()` and answers from `answer()`: what every caller gets.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .answering import Answer, answer
from .config import Settings
from .embedding import Encoder
from .errors import QAError
from .index import Index, load_index
from .retrieval import Hit, Mode, retrieve

K_MAX = 10
METRICS = (
    "recall@1",
    "recall@5",
    "recall@10",
    "mrr",
    "sentence_hit@1",
    "sentence_hit@3",
    "abstained",
    "p50_ms",
    "p95_ms",
    "questions",
)


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    answers: tuple[str, ...]
    gold: frozenset[str] = frozenset()  # article ids that answer it (empty: unknown)


@dataclass
class EvalReport:
    metrics: dict[str, dict[str, float]]
    index_dir: str
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        modes = list(self.metrics)
        lines = [f"{'metric':<16}" + "".join(f"{m:>10}" for m in modes)]
        for name in METRICS:
            row = [self.metrics[m].get(name) for m in modes]
            cells = "".join(
                f"{'-':>10}"
                if v is None
                else f"{v:>10.0f}"
                if name == "questions"
                else f"{v:>10.1f}"
                if name.endswith("_ms")
                else f"{v:>10.3f}"
                for v in row
            )
            lines.append(f"{name:<16}{cells}")
        return "\n".join([*self.notes, f"index: {self.index_dir}", *lines])


def load_squad(path: Path) -> tuple[list[dict[str, Any]], list[EvalQuestion]]:
    """SQuAD v1.1 JSON -> (article records, questions with their gold article ids)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    records, questions = [], []
    for article in data["data"]:
        for n, paragraph in enumerate(article["paragraphs"]):
            key = f"{article['title']}/{n}"
            records.append({"id": key, "title": article["title"].replace("_", " "), "text": paragraph["context"]})
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                questions.append(EvalQuestion(qa["question"], answers, frozenset({f"squad.jsonl#{key}"})))
    return records, questions


def load_jsonl(path: Path) -> list[EvalQuestion]:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            gold = record.get("article_ids") or ([record["article_id"]] if record.get("article_id") else [])
            questions.append(EvalQuestion(record["question"], tuple(record.get("answers", [])), frozenset(gold)))
        except (json.JSONDecodeError, KeyError, TypeError):
            raise QAError(f'{path}:{n} is not a {{"question", "answers"}} JSON record.') from None
    return questions


def evaluate_file(
    path: str | Path,
    settings: Settings,
    mode: str = "all",
    limit: int | None = None,
    index_dir: str | Path | None = None,
    progress: bool = True,
    encoder: Encoder | None = None,
    articles_given: bool = False,
) -> EvalReport:
    """Run `qa eval` (see the module docstring).

    Example:
        >>> report = evaluate_file("tests/data/squad-mini.json", load_settings(), limit=10)  # doctest: +SKIP
        >>> report.metrics["hybrid"]["recall@5"]  # doctest: +SKIP
    """
    from .build import build_index

    path = Path(path)
    if not path.exists():
        raise QAError(f"Evaluation file {path} does not exist.")
    modes: list[Mode] = ["dense", "bm25", "hybrid"] if mode == "all" else [mode]  # type: ignore[list-item]
    with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
        tmp_path = Path(tmp)
        notes: list[str] = []
        if path.suffix.lower() == ".json":
            records, questions = load_squad(path)
            articles = tmp_path / "articles"
            articles.mkdir()
            with open(articles / "squad.jsonl", "w", encoding="utf-8") as out:
                out.writelines(json.dumps(r) + "\n" for r in records)
            target = Path(index_dir) if index_dir else tmp_path / "index"
            eval_settings = replace(
                settings, articles_dir=articles, index_dir=target, max_file_mb=max(settings.max_file_mb, 1024)
            )
            report = build_index(eval_settings, progress=progress, encoder=encoder)
            notes.append(
                f"{len(records)} paragraphs as articles; build: {report.passages_embedded} passages "
                f"embedded in {report.seconds:.0f} s"
            )
        else:
            questions = load_jsonl(path)
            if index_dir is None and articles_given:
                # Questions about a folder of articles: index them in a temporary folder.
                target = tmp_path / "index"
                eval_settings = replace(settings, index_dir=target)
                build_index(eval_settings, progress=progress, encoder=encoder)
            else:
                target = Path(index_dir) if index_dir else settings.index_dir
                eval_settings = replace(settings, index_dir=target)
        if limit is not None:
            questions = questions[:limit]
        if not questions:
            raise QAError(f"{path} holds no questions.")
        index = load_index(eval_settings.index_dir, eval_settings, encoder=encoder)
        metrics = run_questions(index, questions, modes, progress=progress)
        return EvalReport(metrics=metrics, index_dir=str(target) if index_dir else "(temporary)", notes=notes)


def run_questions(
    index: Index, questions: Sequence[EvalQuestion], modes: Sequence[Mode], progress: bool = True
) -> dict[str, dict[str, float]]:
    """Answer every question in every mode; return the metrics per mode."""
    from tqdm import tqdm

    rows: dict[str, list[tuple[float, ...]]] = {m: [] for m in modes}
    for q in tqdm(questions, desc="Evaluating", unit="question", disable=not progress or None):
        for mode in modes:
            hits = retrieve(q.question, K_MAX, index, mode=mode)
            started = time.perf_counter()
            result = answer(q.question, index=index, mode=mode)
            ms = (time.perf_counter() - started) * 1000
            rows[mode].append(_score(q, hits, result, ms))
    return {mode: _summarise(values, any(q.gold for q in questions)) for mode, values in rows.items()}


def _score(q: EvalQuestion, hits: Sequence[Hit], result: Answer, ms: float) -> tuple[float, ...]:
    rank = next((h.rank for h in hits if h.source.article_id in q.gold), None)
    sentences = [s.text for s in result.sentences]
    return (
        float(rank is not None and rank <= 1),
        float(rank is not None and rank <= 5),
        float(rank is not None and rank <= 10),
        1.0 / rank if rank else 0.0,
        float(contains_answer(sentences[:1], q.answers)),
        float(contains_answer(sentences[:3], q.answers)),
        float(not result.found),
        ms,
    )


def _summarise(values: list[tuple[float, ...]], has_gold: bool) -> dict[str, float]:
    array = np.array(values)
    means = array[:, :7].mean(axis=0)
    out = dict(
        zip(
            ("recall@1", "recall@5", "recall@10", "mrr", "sentence_hit@1", "sentence_hit@3", "abstained"),
            (round(float(v), 4) for v in means),
        )
    )
    if not has_gold:
        for name in ("recall@1", "recall@5", "recall@10", "mrr"):
            out.pop(name)
    out["p50_ms"] = round(float(np.percentile(array[:, 7], 50)), 2)
    out["p95_ms"] = round(float(np.percentile(array[:, 7], 95)), 2)
    out["questions"] = len(values)
    return out


def _normalise(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def contains_answer(sentences: Sequence[str], answers: Sequence[str]) -> bool:
    """Does any sentence contain any gold answer (case and punctuation ignored)?

    Example:
        >>> contains_answer(["The Broncos won Super Bowl 50."], ["Denver Broncos", "Broncos"])
        True
    """
    normalised = [f" {_normalise(s)} " for s in sentences]
    return any(f" {_normalise(a)} " in s for a in answers if _normalise(a) for s in normalised)
