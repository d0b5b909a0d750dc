"""SQuAD v1.1 as reader windows: positives (the answer inside) and negatives (no answer).

Windows look like the ones the answering pipeline builds at run time: runs of consecutive
whole sentences of one article (split by `qa.splitting.split_sentences`, the project's own
splitter), of a random token budget, prefixed by the article title. The token counts and
the encoding come from `qa.reader.Reader.encode`, the run-time code, so training and
inference see the same input.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from qa.reader import Encoded, Reader
from qa.splitting import Sentence, split_sentences


@dataclass
class Paragraph:
    context: str
    sentences: tuple[Sentence, ...]
    tokens: list[int]  # wordpiece count of each sentence
    qas: list[dict]


@dataclass
class Article:
    title: str
    paragraphs: list[Paragraph]


@dataclass
class Example:
    question: str
    title: str
    text: str
    answer: tuple[int, int] | None  # character span in `text`; None for a negative
    kind: str  # "pos", "neg-para", "neg-article", "neg-other"


def load_squad(path: Path | str, reader: Reader) -> list[Article]:
    """Articles of a SQuAD v1.1 JSON file, split into sentences with their token counts."""
    data = json.loads(Path(path).read_text())["data"]
    tokenizer = reader._get_tokenizer()
    articles = []
    for raw in data:
        paragraphs = []
        for p in raw["paragraphs"]:
            sentences = split_sentences(p["context"])
            counts = [len(e.ids) for e in tokenizer.encode_batch([s.text for s in sentences], add_special_tokens=False)]
            paragraphs.append(Paragraph(p["context"], sentences, counts, p["qas"]))
        articles.append(Article(raw["title"].replace("_", " "), paragraphs))
    return articles


def split_articles(articles: list[Article], holdout: int, seed: int) -> tuple[list[Article], list[Article]]:
    """(train, validation): `holdout` whole articles, drawn with `seed`, for validation."""
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    held = set(order[:holdout])
    return ([a for i, a in enumerate(articles) if i not in held], [a for i, a in enumerate(articles) if i in held])


def _covering(p: Paragraph, start: int, end: int) -> tuple[int, int] | None:
    """First and last sentence index that together hold context[start:end]."""
    inside = [i for i, s in enumerate(p.sentences) if s.end > start and s.start < end]
    return (inside[0], inside[-1]) if inside else None


def _grow(
    p: Paragraph, first: int, last: int, budget: int, rng: random.Random, lo: int = 0, hi: int | None = None
) -> tuple[int, int]:
    """Extend sentences first..last within lo..hi to about `budget` tokens, the core at a
    random position (a random share of the spare budget goes before it)."""
    hi = len(p.sentences) - 1 if hi is None else hi
    used = sum(p.tokens[first : last + 1])
    spare = max(0, budget - used)
    left_share = rng.random() * spare
    left = 0
    while first > lo and left + p.tokens[first - 1] <= left_share:
        first -= 1
        left += p.tokens[first]
    used += left
    while last < hi and used + p.tokens[last + 1] <= budget:
        last += 1
        used += p.tokens[last]
    while first > lo and used + p.tokens[first - 1] <= budget:
        first -= 1
        used += p.tokens[first]
    return first, last


def _window(p: Paragraph, first: int, last: int) -> tuple[str, int]:
    """Text of sentences first..last as in the article (original spacing), and its offset."""
    a, b = p.sentences[first].start, p.sentences[last].end
    return p.context[a:b], a


def _holds_answer(text: str, answers: list[dict]) -> bool:
    low = text.lower()
    return any(x["text"].strip().lower() in low for x in answers)


def make_examples(
    articles: list[Article],
    rng: random.Random,
    neg_ratio: float,
    min_tokens: int = 40,
    max_tokens: int = 160,
    no_title: float = 0.03,
) -> list[Example]:
    """One positive per question and about `neg_ratio` negatives per positive, shuffled.

    Negatives are drawn 40% from the question's own paragraph (sentences around the answer
    that do not contain it), 40% from another paragraph of the same article (same topic,
    hard), 20% from another article; a window that contains any gold answer string is
    never a negative.
    """
    examples: list[Example] = []
    for ai, article in enumerate(articles):
        for pi, p in enumerate(article.paragraphs):
            for qa in p.qas:
                question = qa["question"].strip()
                title = "" if rng.random() < no_title else article.title
                gold = qa["answers"][0]
                a, b = gold["answer_start"], gold["answer_start"] + len(gold["text"])
                core = _covering(p, a, b)
                if core is None or not gold["text"].strip():
                    continue
                first, last = _grow(p, core[0], core[1], rng.randint(min_tokens, max_tokens), rng)
                text, offset = _window(p, first, last)
                examples.append(Example(question, title, text, (a - offset, b - offset), "pos"))
                n_neg = int(neg_ratio) + (rng.random() < neg_ratio - int(neg_ratio))
                for _ in range(n_neg):
                    neg = _negative(articles, ai, pi, core, qa["answers"], rng, min_tokens, max_tokens)
                    if neg is not None:
                        kind, text = neg
                        examples.append(Example(question, title, text, None, kind))
    rng.shuffle(examples)
    return examples


def _negative(
    articles: list[Article],
    ai: int,
    pi: int,
    core: tuple[int, int],
    answers: list[dict],
    rng: random.Random,
    min_tokens: int,
    max_tokens: int,
) -> tuple[str, str] | None:
    budget = rng.randint(min_tokens, max_tokens)
    article = articles[ai]
    for _ in range(4):  # a few tries: a drawn window may happen to contain the answer
        roll = rng.random()
        if roll < 0.4:
            kind, p = "neg-para", article.paragraphs[pi]
            sides = [(0, core[0] - 1), (core[1] + 1, len(p.sentences) - 1)]
            sides = [(lo, hi) for lo, hi in sides if lo <= hi]
            if not sides:
                continue
            lo, hi = rng.choice(sides)
        elif roll < 0.8 and len(article.paragraphs) > 1:
            kind = "neg-article"
            p = article.paragraphs[rng.choice([i for i in range(len(article.paragraphs)) if i != pi])]
            lo, hi = 0, len(p.sentences) - 1
        else:
            kind = "neg-other"
            other = articles[rng.choice([i for i in range(len(articles)) if i != ai])]
            p = rng.choice(other.paragraphs)
            lo, hi = 0, len(p.sentences) - 1
        if hi < lo:
            continue
        seed = rng.randint(lo, hi)
        first, last = _grow(p, seed, seed, budget, rng, lo, hi)
        text, _ = _window(p, first, last)
        if not _holds_answer(text, answers):
            return kind, text
    return None


def encode_example(reader: Reader, ex: Example) -> tuple[Encoded, int, int] | None:
    """Model input and target (start, end) token indexes; [CLS] (0, 0) for a negative.

    None when the answer is cut off by the model's length (a very long sentence).
    """
    [enc] = reader.encode(ex.question, [(ex.title, ex.text)])
    if ex.answer is None:
        return enc, 0, 0
    a, b = ex.answer
    start = end = None
    for i, (x, y) in enumerate(enc.offsets):
        if start is None and y > a:
            start = i
        if x < b:
            end = i
    if start is None or end is None or end < start or enc.offsets[-1][1] < b:
        return None
    return enc, enc.window_first + start, enc.window_first + end
