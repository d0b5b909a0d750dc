"""SQuAD v1.1 as reader windows: positives (the answer inside) and negatives (no answer).

Windows look like the ones the answering pipeline builds at run time: runs of consecutive
whole sentences of one article (split by `qa.splitting.split_sentences`, the project's own
splitter), of a random token budget, prefixed by the article title. The token counts and
the encoding come from `qa.reader.Reader.encode`, the run-time code, so training and
inference see the same input.

Retrieval hard negatives (reader v2): the train articles' short sentence windows are indexed
with BM25 (bm25s over `qa.store.bm25_terms`, title + text, as the project's lexical index);
for each question the best-ranked windows of *other* paragraphs that hold no gold answer
string are the windows a search engine would hand the reader for it, and so the ones it
must learn to score below the answer.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from qa.reader import Encoded, Reader
from qa.splitting import Sentence, make_passages, split_sentences

# v1's negatives: 40% same paragraph, 40% another paragraph of the same article, 20% another article.
V1_MIX = {"para": 0.4, "article": 0.4, "other": 0.2}
# v2's (chosen a priori, not tuned): half retrieval hard negatives (70% from other articles,
# 30% from other paragraphs of the same article), the other half split as in v1.
V2_MIX = {"retr-other": 0.35, "retr-article": 0.15, "para": 0.2, "article": 0.2, "other": 0.1}
# v3's (chosen a priori): a quarter of the negatives are name-swapped questions over the
# positive's own window ("swap", `swap_name`); the rest in v2's proportions.
V3_MIX = {"swap": 0.25, **{k: 0.75 * v for k, v in V2_MIX.items()}}
# v4's (chosen a priori, not tuned): v2's negatives; half the questions are *loosened*
# (`loosen_question`): each word they share with the answer's sentence dropped with
# probability one half, for the positive and its negatives alike.
V4_LOOSEN = 0.5
LOOSEN_DROP = 0.5
# Words a loosened question always keeps: they carry its kind, not its match with the text.
_KEEP = frozenset(
    "who whom whose what which when where why how many much the a an of in on at to for by "
    "with from and or is are was were be been did do does has have had not no".split()
)

# A name in a question: a year, or a run of capitalised words (joined by "of", "the", "de",
# "and" inside the run). The question's first word is never one (it is capitalised anyway).
_NAME = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})\b|\b[A-Z][\w'’.&-]*(?:\s+(?:(?:of|the|de|and)\s+)?[A-Z][\w'’.&-]*)*")


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
    kind: str  # "pos", "neg-para", "neg-article", "neg-other", "neg-retr-other", "neg-retr-article", "neg-swap"
    group: int = -1  # the question it was drawn for (its positive and negatives share it)


def load_squad(path: Path | str, reader: Reader) -> list[Article]:
    """Articles of a SQuAD v1.1 JSON file, split into sentences with their token counts."""
    data = json.loads(Path(path).read_text())["data"]
    tokenizer = reader.tokenizer()
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


# (article, paragraph, first sentence, last sentence) of a window
Unit = tuple[int, int, int, int]


def bm25_top_k(texts: list[str], queries: list[str], k: int, chunk: int = 1000):
    """(ids, scores) of the `k` best texts for each query by BM25 (bm25s's index and scores,
    `qa.store.bm25_terms` terms), ranked with one sparse product per chunk of queries
    (bm25s's own `retrieve` loops in Python: ~40x slower here). Ties: lower id first."""
    import bm25s
    import numpy as np
    import scipy.sparse as sp

    from qa.store import bm25_terms

    retriever = bm25s.BM25()
    retriever.index(bm25_terms(texts), show_progress=False)
    sc = retriever.scores
    n_terms = len(sc["indptr"]) - 1
    weights = sp.csc_matrix((sc["data"], sc["indices"], sc["indptr"]), shape=(sc["num_docs"], n_terms))
    weights_t = weights.T.tocsr().astype(np.float32)  # terms x texts
    vocab = retriever.vocab_dict
    all_ids, all_scores = [], []
    terms = bm25_terms(queries)
    for begin in range(0, len(terms), chunk):
        rows, cols = [], []
        for r, q in enumerate(terms[begin : begin + chunk]):
            ids = sorted({vocab[t] for t in q if t in vocab and vocab[t] < n_terms})
            rows.extend([r] * len(ids))
            cols.extend(ids)
        n = min(chunk, len(terms) - begin)
        query = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n_terms))
        scores = (query @ weights_t).toarray()
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.lexsort((top, -top_scores), axis=1)
        all_ids.append(np.take_along_axis(top, order, axis=1))
        all_scores.append(np.take_along_axis(top_scores, order, axis=1))
    return np.concatenate(all_ids), np.concatenate(all_scores)


def retrieval_negatives(
    articles: list[Article], k: int = 40, unit_tokens: int = 64, keep: int = 5, log=print
) -> dict[tuple[int, int, int], tuple[list[Unit], list[Unit]]]:
    """BM25 hard negatives of every question: (ai, pi, qi) -> (other articles, same article).

    Units: `make_passages(..., unit_tokens, overlap=1)` of every paragraph (one to a few
    sentences, like the run-time windows' cores), indexed as title + text. For each
    question the `k` best units are walked in rank order; units of the question's own
    paragraph are skipped (its sentences are the "para" negatives), as is a unit holding
    a gold answer string; at most one unit per paragraph; the first `keep` of other articles
    and the first `keep` of other paragraphs of the same article are kept.
    """
    import time

    t0 = time.time()
    units: list[Unit] = []
    texts: list[str] = []
    for ai, article in enumerate(articles):
        for pi, p in enumerate(article.paragraphs):
            for passage in make_passages(p.sentences, p.tokens, unit_tokens, overlap=1):
                units.append((ai, pi, passage.first, passage.last))
                texts.append(article.title + "\n" + p.context[passage.start : passage.end])
    refs = [
        (ai, pi, qi) for ai, a in enumerate(articles) for pi, p in enumerate(a.paragraphs) for qi in range(len(p.qas))
    ]
    questions = [articles[ai].paragraphs[pi].qas[qi]["question"] for ai, pi, qi in refs]
    ranked, scores = bm25_top_k(texts, questions, k)
    log(f"retrieval negatives: {len(units)} units indexed, {len(refs)} questions ranked; {time.time() - t0:.0f}s")
    found: dict[tuple[int, int, int], tuple[list[Unit], list[Unit]]] = {}
    for (ai, pi, qi), row, row_scores in zip(refs, ranked, scores):
        answers = articles[ai].paragraphs[pi].qas[qi]["answers"]
        other: list[Unit] = []
        same: list[Unit] = []
        seen = {(ai, pi)}
        for u, score in zip(row, row_scores):
            if score <= 0:
                break
            unit = units[int(u)]
            if (unit[0], unit[1]) in seen:
                continue
            seen.add((unit[0], unit[1]))
            if _holds_answer(texts[int(u)], answers):
                continue
            target = other if unit[0] != ai else same
            if len(target) < keep:
                target.append(unit)
        found[(ai, pi, qi)] = (other, same)
    n_other = sum(len(o) for o, _ in found.values()) / max(1, len(found))
    n_same = sum(len(s) for _, s in found.values()) / max(1, len(found))
    log(
        f"retrieval negatives: {n_other:.2f} other-article and {n_same:.2f} same-article units a question; "
        f"{time.time() - t0:.0f}s"
    )
    return found


def make_examples(
    articles: list[Article],
    rng: random.Random,
    neg_ratio: float,
    min_tokens: int = 40,
    max_tokens: int = 160,
    no_title: float = 0.03,
    mix: dict[str, float] | None = None,
    retrieved: dict[tuple[int, int, int], tuple[list[Unit], list[Unit]]] | None = None,
    names: dict[str, list[tuple[int, str]]] | None = None,
    loosen: float = 0.0,
    grouped: bool = False,
) -> list[Example]:
    """One positive per question and about `neg_ratio` negatives per positive, shuffled.

    Negatives, by `mix` (default `V1_MIX`): "para" the question's own paragraph (sentences
    around the answer that do not contain it), "article" another paragraph of the same
    article (same topic), "other" another article, "retr-other" / "retr-article" a
    retrieval hard negative (`retrieved`, from `retrieval_negatives`) of another article /
    of another paragraph of the same article, grown around the retrieved sentences, "swap"
    the positive's own window with one name of the question swapped (`swap_name`, drawing
    from `names`, see `question_names`). A window that contains any gold answer string is
    never a negative. A `loosen` share of the questions is asked as `loosen_question` makes
    it, of the positive and of its negatives. With `V1_MIX` the random draws are exactly
    v1's; with `loosen` 0 no draw is added. `grouped` (v5) shuffles whole questions, so that
    each question's positive and negatives stay next to each other (one softmax over them),
    all grown to the positive's token budget (they share a batch: less padding).
    """
    mix = V1_MIX if mix is None else mix
    swap = mix.get("swap", 0.0)
    rest_mix = {k: v / (1 - swap) for k, v in mix.items() if k != "swap"} if swap < 1 else {}
    examples: list[Example] = []
    for ai, article in enumerate(articles):
        for pi, p in enumerate(article.paragraphs):
            for qi, qa in enumerate(p.qas):
                question = qa["question"].strip()
                title = "" if rng.random() < no_title else article.title
                gold = qa["answers"][0]
                a, b = gold["answer_start"], gold["answer_start"] + len(gold["text"])
                core = _covering(p, a, b)
                if core is None or not gold["text"].strip():
                    continue
                budget = rng.randint(min_tokens, max_tokens)
                first, last = _grow(p, core[0], core[1], budget, rng)
                text, offset = _window(p, first, last)
                if loosen > 0 and rng.random() < loosen:
                    question = loosen_question(question, _window(p, core[0], core[1])[0], gold["text"], rng)
                group = len(examples)
                examples.append(Example(question, title, text, (a - offset, b - offset), "pos", group))
                n_neg = int(neg_ratio) + (rng.random() < neg_ratio - int(neg_ratio))
                hard = retrieved.get((ai, pi, qi), ([], [])) if retrieved is not None else ([], [])
                for _ in range(n_neg):
                    if swap > 0 and names and rng.random() < swap:
                        swapped = swap_name(question, title + "\n" + text, ai, names, rng)
                        if swapped is not None:
                            examples.append(Example(swapped, title, text, None, "neg-swap", group))
                            continue
                    neg = _negative(
                        articles,
                        ai,
                        pi,
                        core,
                        qa["answers"],
                        rng,
                        min_tokens,
                        max_tokens,
                        rest_mix,
                        hard,
                        # grouped: one budget for a question's windows, which share a batch (less padding)
                        budget if grouped else None,
                    )
                    if neg is not None:
                        kind, neg_text = neg  # `text` stays the positive's window, for later swaps
                        examples.append(Example(question, title, neg_text, None, kind, group))
    if not grouped:
        rng.shuffle(examples)
        return examples
    groups: dict[int, list[Example]] = {}
    for ex in examples:
        groups.setdefault(ex.group, []).append(ex)
    order = list(groups.values())
    rng.shuffle(order)
    return [ex for g in order for ex in g]


def loosen_question(question: str, sentence: str, answer: str, rng: random.Random, drop: float = LOOSEN_DROP) -> str:
    """The question with each word it shares with the answer's `sentence` dropped with
    probability `drop`, so that it matches its text less word for word, as news quiz
    questions do ("Which home goods chain said it has substantial doubt …?" over "Bed Bath &
    Beyond warned … it may need to file for bankruptcy"). Kept: the first word, the words
    of `_KEEP` (question words, function words), the answer's words, and at least three words.

    Example:
        >>> loosen_question("What tariffs did Trudeau impose on Chinese cars?",
        ...                 "Trudeau imposed tariffs on Chinese cars.", "tariffs", random.Random(1))
        'What tariffs did impose on Chinese cars?'
    """
    words = question.split()
    seen = {_bare(w) for w in sentence.split()}
    keep_also = {_bare(w) for w in answer.split()}
    kept = [words[0]] if words else []
    for word in words[1:]:
        bare = _bare(word)
        shared = bare in seen and bare not in _KEEP and bare not in keep_also
        if not (shared and rng.random() < drop):
            kept.append(word)
    if len(kept) < 3 or len(kept) == len(words):
        return question
    loosened = " ".join(kept)
    return loosened if loosened.endswith("?") else loosened.rstrip(".,;:") + "?"


def _bare(word: str) -> str:
    """A word without surrounding punctuation or quotes, lower-cased ("“Cars?”" -> "cars")."""
    return word.strip(".,;:!?\"'“”‘’()").lower()


def _names(question: str) -> list[str]:
    """Names of a question (see `_NAME`), not counting its first word."""
    found = []
    for m in _NAME.finditer(question):
        name = m.group()
        if m.start() == 0:  # "What", "Who", "In" ...: drop the first word, keep the rest
            name = name.partition(" ")[2].lstrip()
            if not name[:1].isupper() and not name[:1].isdigit():
                continue
        found.append(name.rstrip(".'’"))
    return [n for n in found if n]


def _is_year(name: str) -> bool:
    return len(name) == 4 and name.isdigit()


def question_names(articles: list[Article]) -> dict[str, list[tuple[int, str]]]:
    """{"year": [(article, name), ...], "name": [...]}: every name of every question."""
    pool: dict[str, list[tuple[int, str]]] = {"year": [], "name": []}
    for ai, article in enumerate(articles):
        for p in article.paragraphs:
            for qa in p.qas:
                for name in _names(qa["question"]):
                    pool["year" if _is_year(name) else "name"].append((ai, name))
    return pool


def swap_name(
    question: str, text: str, ai: int, names: dict[str, list[tuple[int, str]]], rng: random.Random
) -> str | None:
    """The question with one of its names that `text` mentions replaced by a name of the same
    kind (a year for a year) from another article's questions that `text` does not mention,
    so that `text` no longer answers it ("Who won the 1998 World Cup?" over the 1998 Hopman
    Cup). None when no name of the question is in `text`.

    Example:
        >>> swap_name("When did Beyonce release Lemonade?", "Beyonce released ...", 0,
        ...           {"name": [(1, "Chopin")], "year": []}, random.Random(0))
        'When did Chopin release Lemonade?'
    """
    low = text.lower()
    present = [n for n in _names(question) if n.lower() in low]
    if not present:
        return None
    name = rng.choice(present)
    pool = names["year" if _is_year(name) else "name"]
    for _ in range(8):
        other_ai, other = pool[rng.randrange(len(pool))]
        if other_ai != ai and other.lower() not in low and other.lower() not in question.lower():
            return question.replace(name, other, 1)
    return None


def _negative(
    articles: list[Article],
    ai: int,
    pi: int,
    core: tuple[int, int],
    answers: list[dict],
    rng: random.Random,
    min_tokens: int,
    max_tokens: int,
    mix: dict[str, float],
    hard: tuple[list[Unit], list[Unit]],
    budget: int | None = None,
) -> tuple[str, str] | None:
    if budget is None:
        budget = rng.randint(min_tokens, max_tokens)
    article = articles[ai]
    retr = mix.get("retr-other", 0.0) + mix.get("retr-article", 0.0)
    # The v1 kinds' cumulative shares, rescaled to 1 (v1: 0.4, 0.8).
    rest = max(1e-9, mix.get("para", 0.0) + mix.get("article", 0.0) + mix.get("other", 0.0))
    cut_para = mix.get("para", 0.0) / rest
    cut_article = cut_para + mix.get("article", 0.0) / rest
    for _ in range(4):  # a few tries: a drawn window may happen to contain the answer
        roll = rng.random()
        if retr > 0 and roll < retr:
            # retrieval hard negative: other article by preference share, else the other kind
            want_other = rng.random() < mix.get("retr-other", 0.0) / retr
            pools = [("neg-retr-other", hard[0]), ("neg-retr-article", hard[1])]
            if not want_other:
                pools.reverse()
            pools = [(k, u) for k, u in pools if u]
            if pools:
                kind, choices = pools[0]
                uai, upi, first, last = rng.choice(choices)
                p = articles[uai].paragraphs[upi]
                first, last = _grow(p, first, last, budget, rng)
                text, _ = _window(p, first, last)
                if not _holds_answer(text, answers):
                    return kind, text
                continue
            roll = rng.random()  # none retrieved for this question: one of the other kinds
        elif retr > 0:
            roll = (roll - retr) / (1 - retr)
        if roll < cut_para:
            kind, p = "neg-para", article.paragraphs[pi]
            sides = [(0, core[0] - 1), (core[1] + 1, len(p.sentences) - 1)]
            sides = [(lo, hi) for lo, hi in sides if lo <= hi]
            if not sides:
                continue
            lo, hi = rng.choice(sides)
        elif roll < cut_article and len(article.paragraphs) > 1:
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


# v6 (chosen a priori, not tuned): "hop" positives. News names its subject once and then says
# "the retailer", "he"; the sentence that matches a quiz question holds the description, the
# name is sentences before. SQuAD has the same shape where a question's answer, a name, is
# given in one sentence and again in a later one that shares more words with the question:
# in the later one the name becomes what the question calls it ("What company gave the most?"
# -> "the company"), and the target is the name where it was first given.
HOP_COPIES = 3  # windows drawn for each such question (~500 of the 424 train articles' questions qualify)
_NOT_NOUN = frozenset(
    "is are was were did do does has have had can could will would should may might type kind name "
    "year years day days percentage number amount part".split()
)
_STOP = _KEEP | {"who", "what", "which"}


def describe(question: str, rng: random.Random) -> str | None:
    """What a news story would call the answer of `question` after naming it once: "he",
    "she" or "they" for "Who …", "the company" for "What company …", "it" for "What did …".
    None for the other kinds of question (a place, a time, a reason).

    Example:
        >>> describe("Which publication said that protesters were trampling human rights?", random.Random(0))
        'the publication'
    """
    words = question.rstrip("?").split()
    if len(words) < 2:
        return None
    first, second = words[0].lower(), words[1]
    if first in ("who", "whom"):
        return rng.choice(["he", "she", "they"])
    if first not in ("what", "which"):
        return None
    if second.isalpha() and second.islower() and second not in _NOT_NOUN:
        return f"the {second}"
    return "it" if first == "what" and second.lower() in ("did", "does", "do") else None


_OBJECT = {"he": "him", "she": "her", "they": "them"}


def _fit(description: str, text: str, at: int, length: int) -> str | None:
    """`description` as it reads in place of `text[at:at + length]`: capitalised at a
    sentence's start, "him"/"her"/"them" after a word that is not a comma ("to disarm
    him"); None where it would read "the fiber fiber" (the name was a modifier)."""
    before = text[:at].rstrip()
    following = text[at + length :].split()
    noun = description.split()[-1]
    if following and _bare(following[0]) in (noun, noun + "s"):
        return None
    if not before or before[-1] in '.!?"“':
        return description[0].upper() + description[1:]
    if description in _OBJECT and before[-1] not in ",;:":
        return _OBJECT[description]
    return description


def _whole(text: str, at: int, name: str) -> bool:
    """Whether `name` at `text[at:]` is a whole word run (not inside "CCTV-1" or "Parisian")."""
    before = text[at - 1] if at > 0 else " "
    after = text[at + len(name)] if at + len(name) < len(text) else " "
    return not (before.isalnum() or before in "-_") and not (after.isalnum() or after in "-_")


def _once(text: str, name: str) -> list[int]:
    """[offset] of `name` in `text` when it is there exactly once as a whole word, else []."""
    found = [m.start() for m in re.finditer(re.escape(name), text) if _whole(text, m.start(), name)]
    return found if len(found) == 1 and text.count(name) == 1 else []


def _content(text: str) -> set[str]:
    return {_bare(w) for w in text.split()} - _STOP


def hop_examples(
    articles: list[Article],
    rng: random.Random,
    min_tokens: int = 40,
    max_tokens: int = 160,
    copies: int = HOP_COPIES,
) -> list[Example]:
    """Hop positives (see `describe`): for a question whose answer `t` (a name: capitalised,
    at most five words) is first given in sentence k of its paragraph (SQuAD's answer_start)
    and once in a later sentence m that shares more content words with the question than k,
    a window over k..m (grown to a random budget) with `t` in m replaced by its description,
    the target `t` in k. `copies` draws a question (window and description differ).
    """
    examples: list[Example] = []
    for article in articles:
        for p in article.paragraphs:
            for qa in p.qas:
                gold = qa["answers"][0]
                name, a = gold["text"].strip(), gold["answer_start"]
                if not name or not name[0].isupper() or len(name.split()) > 5:
                    continue
                if p.context[a : a + len(name)] != name or not _whole(p.context, a, name):  # not inside "CCTV-1"
                    continue
                k = next((i for i, s in enumerate(p.sentences) if s.start <= a < s.end), None)
                if k is None:
                    continue
                later = [m for m in range(k + 1, len(p.sentences)) if _once(p.sentences[m].text, name)]
                question = qa["question"].strip()
                asked = _content(question)
                shared = [len(asked & _content(s.text)) for s in p.sentences]
                best = max(later, key=lambda m: shared[m], default=None)
                if best is None or shared[best] <= shared[k]:
                    continue
                if sum(p.tokens[k : best + 1]) > max_tokens:
                    continue
                for _ in range(copies):
                    description = describe(question, rng)
                    if description is None:
                        break
                    first, last = _grow(p, k, best, rng.randint(min_tokens, max_tokens), rng)
                    text, offset = _window(p, first, last)
                    sentence = p.sentences[best]
                    at = sentence.start + _once(sentence.text, name)[0] - offset
                    description = _fit(description, text, at, len(name))
                    if description is None:
                        break
                    text = text[:at] + description + text[at + len(name) :]
                    examples.append(Example(question, article.title, text, (a - offset, a - offset + len(name)), "hop"))
    return examples
