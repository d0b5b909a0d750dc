"""The training data's name-swapped negatives (reader recipe v3), loosened questions (v4) and hop
positives (v6): training/data.py."""

import random

from qa.splitting import split_sentences
from training.data import (
    Article,
    Paragraph,
    _names,
    describe,
    hop_examples,
    loosen_question,
    make_examples,
    question_names,
    swap_name,
)

POOL = {"name": [(1, "Hopman Cup"), (2, "Chopin")], "year": [(1, "1854"), (2, "2003")]}


def test_names_skip_the_first_word_and_keep_multiword_names_and_years() -> None:
    assert _names("Who won the 1998 World Cup?") == ["1998", "World Cup"]
    assert _names("In what city is the University of Notre Dame?") == ["University of Notre Dame"]
    assert _names("Which home goods chain said it has doubt?") == []


def test_swap_replaces_a_name_the_text_mentions_with_one_of_the_same_kind() -> None:
    text = "Slovakia won the 1998 World Cup final."
    seen = {swap_name("Who won the 1998 World Cup?", text, 0, POOL, random.Random(seed)) for seed in range(30)}
    # a year goes for a year, a name for a name, never one the text holds
    assert seen == {
        "Who won the 1854 World Cup?",
        "Who won the 2003 World Cup?",
        "Who won the 1998 Hopman Cup?",
        "Who won the 1998 Chopin?",
    }


def test_swap_never_draws_from_the_same_article_or_a_name_in_the_text() -> None:
    pool = {"name": [(0, "Chopin"), (1, "Slovakia"), (2, "Hopman Cup")], "year": []}
    text = "Slovakia won the World Cup."
    seen = {swap_name("Who won the World Cup?", text, 0, pool, random.Random(seed)) for seed in range(30)}
    assert seen - {None} == {"Who won the Hopman Cup?"}  # None: 8 draws all refused


def test_swap_gives_none_when_the_text_mentions_no_name_of_the_question() -> None:
    assert swap_name("Who won the World Cup?", "France beat Brazil.", 0, POOL, random.Random(0)) is None


def test_question_names_pools_names_and_years_by_article() -> None:
    para = Paragraph("", (), [], [{"question": "When did Chopin leave Warsaw in 1830?"}])
    assert question_names([Article("Chopin", [para])]) == {
        "year": [(0, "1830")],
        "name": [(0, "Chopin"), (0, "Warsaw")],
    }


def _article(title: str, context: str, question: str, answer: str) -> Article:
    sentences = split_sentences(context)
    qa = {"question": question, "answers": [{"text": answer, "answer_start": context.index(answer)}]}
    return Article(title, [Paragraph(context, sentences, [len(s.text.split()) for s in sentences], [qa])])


def test_every_swapped_question_is_asked_of_the_positives_own_window() -> None:
    articles = [
        _article("Football", "France won the 1998 World Cup in Paris.", "Who won the 1998 World Cup?", "France"),
        _article("Tennis", "Slovakia won the 1998 Hopman Cup.", "Who won the Hopman Cup in 1998?", "Slovakia"),
        _article("Chopin", "Chopin left Warsaw in 1830.", "When did Chopin leave Warsaw in 1830?", "1830"),
    ]
    names = question_names(articles)
    swaps = 0
    for seed in range(20):  # swaps mixed with other negatives of the same question
        examples = make_examples(articles, random.Random(seed), 6, mix={"swap": 0.5, "other": 0.5}, names=names)
        window = {e.title: e.text for e in examples if e.kind == "pos"}
        for e in examples:
            if e.kind == "neg-swap":
                swaps += 1
                assert e.text == window[e.title] and e.answer is None, e
    assert swaps > 100


def test_loosening_drops_only_words_the_answer_sentence_shares_and_never_kept_ones() -> None:
    question = "When did the Austrian emperor visit Warsaw during the uprising?"
    sentence = "The Austrian emperor visited Warsaw in 1831."
    seen = {loosen_question(question, sentence, "1831", random.Random(seed)) for seed in range(40)}
    # "Austrian", "emperor", "Warsaw" may go; "visit", "uprising", "during" are not in the sentence;
    # "When", "did", "the" are always kept
    assert "When did the emperor visit during the uprising?" in seen
    assert question in seen  # nothing drawn to drop: unchanged
    droppable = {"Austrian", "emperor", "Warsaw"}
    for loosened in seen:
        words = loosened.rstrip("?").split()
        assert [w for w in question.rstrip("?").split() if w in words or w not in droppable] == words


def test_loosening_keeps_the_answers_words_and_at_least_three_words() -> None:
    assert loosen_question("Who won?", "Slovakia won.", "Slovakia", random.Random(0), drop=1.0) == "Who won?"
    loosened = loosen_question(
        "Which Slovak team won the cup?", "The Slovak team won the cup.", "team", random.Random(0), 1.0
    )
    assert loosened == "Which team the?"


def test_a_loosened_question_is_asked_of_the_positive_and_its_negatives_alike() -> None:
    articles = [
        _article(
            "Football",
            "France won the 1998 World Cup in Paris. It was hot.",
            "Who won the 1998 World Cup in Paris?",
            "France",
        ),
        _article(
            "Tennis", "Slovakia won the 1998 Hopman Cup. Crowds came.", "Who won the Hopman Cup in 1998?", "Slovakia"
        ),
    ]
    plain = make_examples(articles, random.Random(3), 2, mix={"para": 0.5, "other": 0.5})
    assert {e.question for e in plain} == {"Who won the 1998 World Cup in Paris?", "Who won the Hopman Cup in 1998?"}
    changed = 0
    for seed in range(20):
        examples = make_examples(
            articles, random.Random(seed), 2, mix={"para": 0.5, "other": 0.5}, no_title=0, loosen=1.0
        )
        asked = {e.title: e.question for e in examples if e.kind == "pos"}
        assert all(e.question == asked[e.title] for e in examples)
        changed += asked["Football"] != "Who won the 1998 World Cup in Paris?"
    assert changed > 10


def test_grouped_examples_keep_each_questions_positive_and_negatives_together() -> None:
    articles = [
        _article("Football", "France won the 1998 World Cup in Paris. Crowds came.", "Who won in 1998?", "France"),
        _article("Tennis", "Slovakia won the 1998 Hopman Cup. Rain fell.", "Who won the Hopman Cup?", "Slovakia"),
        _article("Chopin", "Chopin left Warsaw in 1830. He went to Paris.", "When did Chopin leave?", "1830"),
    ]
    examples = make_examples(articles, random.Random(5), 3, mix={"para": 0.5, "other": 0.5}, grouped=True)
    runs = [examples[0].group]
    for ex in examples[1:]:
        if ex.group != runs[-1]:
            runs.append(ex.group)
    assert sorted(runs) == sorted(set(runs)) and len(runs) == 3  # each question one run
    for ex in examples:
        assert ex.question == next(e.question for e in examples if e.kind == "pos" and e.group == ex.group)
    firsts = [ex for i, ex in enumerate(examples) if i == 0 or ex.group != examples[i - 1].group]
    assert {ex.kind for ex in firsts} == {"pos"}  # each run starts with its positive


HOP_TEXT = (
    "Bed Bath & Beyond warned investors on Thursday. "
    "Shares fell sharply in New York. "
    "Bed Bath & Beyond said there was substantial doubt it could stay in business."
)


def _hop_article(question: str, answer: str = "Bed Bath & Beyond", context: str = HOP_TEXT) -> Article:
    sentences = split_sentences(context)
    # SQuAD's reconstructed answer_start is the name's first place, as here
    qa = {"question": question, "answers": [{"text": answer, "answer_start": context.index(answer)}]}
    return Article("Retail", [Paragraph(context, sentences, [len(s.text.split()) for s in sentences], [qa])])


def test_describe_calls_the_answer_what_the_question_calls_it() -> None:
    rng = random.Random(0)
    assert describe("Which retailer said there was substantial doubt?", rng) == "the retailer"
    assert describe("What company gave the most?", rng) == "the company"
    assert describe("What did Kildall clone?", rng) == "it"
    assert describe("Who won the 1975 election?", rng) in {"he", "she", "they"}
    assert describe("Where is the exiled government?", rng) is None
    assert describe("What year did it open?", rng) is None  # "the year" is no name's stand-in


def test_a_hop_positive_targets_the_name_where_first_given_and_describes_it_later() -> None:
    [ex, *_] = hop_examples([_hop_article("Which retailer said there was substantial doubt?")], random.Random(0))
    assert ex.kind == "hop"
    assert ex.text.startswith("Bed Bath & Beyond warned")
    assert ex.text.endswith("The retailer said there was substantial doubt it could stay in business.")
    assert ex.answer == (0, len("Bed Bath & Beyond"))
    assert ex.text.count("Bed Bath & Beyond") == 1


def test_a_person_named_as_an_object_becomes_him_her_or_them() -> None:
    context = "Kerry spoke about Saddam Hussein in 2002. He said the vote would disarm Saddam Hussein for good."
    article = _hop_article("Who did Kerry say the vote would disarm?", "Saddam Hussein", context)
    texts = {ex.text.split(". ", 1)[1] for seed in range(10) for ex in hop_examples([article], random.Random(seed))}
    assert texts <= {f"He said the vote would disarm {w} for good." for w in ("him", "her", "them")}
    assert texts


def test_no_hop_when_the_first_sentence_matches_the_question_better_or_the_name_is_a_modifier() -> None:
    # the question's words are those of the first sentence: the answer is where SQuAD put it
    assert hop_examples([_hop_article("Which retailer warned investors on Thursday?")], random.Random(0)) == []
    # "the fiber fiber": a name used as a modifier is left alone
    context = "Signals travel along an A-delta fibre. The A-delta fiber is thicker than the C fiber."
    article = _hop_article("Which fiber is thicker than the C fiber?", "A-delta", context)
    assert hop_examples([article], random.Random(0)) == []
