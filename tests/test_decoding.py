from __future__ import annotations

import codecs

import pytest

from qa.decoding import NotText, decode


@pytest.mark.parametrize(
    "data, text, note",
    [
        ("Zürich, São Paulo".encode(), "Zürich, São Paulo", None),
        (codecs.BOM_UTF8 + "crème brûlée".encode(), "crème brûlée", None),
        (codecs.BOM_UTF16_LE + "Señor Muñoz".encode("utf-16-le"), "Señor Muñoz", None),
        (codecs.BOM_UTF32_BE + "Señor Muñoz".encode("utf-32-be"), "Señor Muñoz", None),
        ("crème brûlée".encode("latin-1"), "crème brûlée", "read as cp1252 because it is not valid UTF-8"),
        (
            "He said “we will pay €5 – now”, and left.".encode("cp1252"),
            "He said “we will pay €5 – now”, and left.",
            "read as cp1252 because it is not valid UTF-8",
        ),
        (
            "Ačiū, labai ačiū už šią dieną.".encode("cp1257"),
            "Ačiū, labai ačiū už šią dieną.",
            "read as cp1257 because it is not valid UTF-8",
        ),
    ],
)
def test_decode_reads_marks_utf8_and_code_pages(data, text, note):
    assert decode(data) == (text, note)


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", bytes(range(0, 40)) * 10])
def test_binary_data_is_not_text(data):
    with pytest.raises(NotText, match="binary"):
        decode(data)


@pytest.mark.parametrize(
    "text, codec",
    [
        # charset-normalizer rates Windows-1257's "déją" cleaner than "déjà" by 0.07
        ("The fans felt a sense of déjà vu as the team lost again at home on Saturday.", "cp1252"),
        ("Señor Núñez said the fans felt a sense of déjà vu as the team lost again.", "cp1252"),
        ("Perché è così difficile? chiese Niccolò.", "cp1252"),
        # read as Windows-1252, Polish ą and ł and Slovak ľ are superscripts and fractions inside words
        ("Rząd podniósł podatki, a premier zapowiedział reformę.", "cp1250"),
        ("Ďakujem, povedal Ľubomír.", "cp1250"),
        ("Ačiū, labai ačiū už šią dieną.", "cp1257"),
    ],
)
def test_short_latin_texts_are_read_in_their_own_code_page(text, codec):
    assert decode(text.encode(codec)) == (text, f"read as {codec} because it is not valid UTF-8")


JAPANESE = "大阪で開かれた国際会議には、世界中から多くの研究者が参加しました。会議は三日間続きます。"
KOREAN = "서울시는 오늘 새로운 경제 대책을 발표했다. 시장은 경기 회복이 계속되고 있다고 말했다."


@pytest.mark.parametrize(
    "text, codec",
    [
        # charset-normalizer ranks cp949 (Korean) and cp874 (Thai) first for these two EUC-JP texts
        (JAPANESE, "euc_jp"),
        ("ソニーグループの株価が上昇した。アナリストは、ゲーム事業の好調が背景にあると指摘している。", "euc_jp"),
        ("Title: 会議\nDate: 2026-01-13\n\n" + JAPANESE, "shift_jis"),
        (KOREAN, "cp949"),
        ("北京市今天宣布了新的经济措施。市长在记者会上表示，经济复苏正在继续。", "gb18030"),
        ("台北市政府今天宣布新的經濟措施。市長在記者會上表示，經濟復甦正在持續。", "big5"),
        ("นายกรัฐมนตรีกล่าวในวันนี้ว่าเศรษฐกิจของประเทศกำลังฟื้นตัวเร็วกว่าที่คาดไว้", "cp874"),
    ],
)
def test_east_asian_texts_are_read_in_their_own_script(text, codec):
    assert decode(text.encode(codec))[0] == text


# -- UTF-8 with stray Windows-1252 bytes, short KOI8, NUL padding ------------------------------------------------

ARTICLE = "Café owners said “business is back” after the works.\nThe mayor’s office — closed on Monday — agreed.\n"


@pytest.mark.parametrize(
    "stray, text, note",
    [
        (
            "An analyst called the plan “ambitious”.\n".encode("cp1252"),
            "An analyst called the plan “ambitious”.\n",
            "mostly UTF-8; 2 bytes read as cp1252 because they are not valid UTF-8",
        ),
        (b"Le caf\xe9", "Le café", "mostly UTF-8; 1 byte read as cp1252 because it is not valid UTF-8"),
        (
            b"Zo\xe9\x81.",
            "Zoé\x81.",
            "mostly UTF-8; 2 bytes read as cp1252 (Latin-1 for the bytes cp1252 leaves undefined) "
            "because they are not valid UTF-8",
        ),
    ],
)
def test_utf8_with_a_few_stray_windows_1252_bytes_keeps_its_utf8(stray, text, note):
    assert decode(ARTICLE.encode() + stray) == (ARTICLE + text, note)


def test_windows_1252_whose_bytes_form_a_valid_utf8_sequence_by_chance_is_still_windows_1252():
    text = "„Die Straße“ ist gesperrt, sagte Müller. Die Stadt prüft „große“ Umbauten."  # "ß“" is valid UTF-8
    assert decode(text.encode("cp1252")) == (text, "read as cp1252 because it is not valid UTF-8")


@pytest.mark.parametrize(
    "text, codec",
    [
        # charset-normalizer reads these as Shift-JIS: the KOI8 lower-case letters are half-width katakana there
        ("Правительство объявило новые меры поддержки. Рынки выросли.", "koi8_r"),
        ("Київ оголосив про нові заходи підтримки. Ціни зросли.", "koi8_u"),
        ("Правительство объявило новые меры поддержки. Рынки выросли.", "cp1251"),
    ],
)
def test_short_cyrillic_is_not_taken_for_shift_jis(text, codec):
    assert decode(text.encode(codec)) == (text, f"read as {codec} because it is not valid UTF-8")


@pytest.mark.parametrize(
    "data, text, note",
    [
        ("Café news.\n".encode() + b"\x00", "Café news.\n", None),
        ("Café news.\n".encode() + b"\x00" * 7, "Café news.\n", None),
        (codecs.BOM_UTF8 + "Café news.\n".encode() + b"\x00" * 4, "Café news.\n", None),
        (codecs.BOM_UTF16_LE + "Café news.\n".encode("utf-16-le") + b"\x00" * 4, "Café news.\n", None),
        (
            "Le café était fermé à Genève, a dit le maire.\n".encode("cp1252") + b"\x00" * 3,
            "Le café était fermé à Genève, a dit le maire.\n",
            "read as cp1252 because it is not valid UTF-8",
        ),
    ],
)
def test_nul_bytes_padding_the_end_of_a_file_are_dropped(data, text, note):
    assert decode(data) == (text, note)


@pytest.mark.parametrize("data", ["Café\x00news.\n".encode(), "Café news.\n".encode() + b"\x00\x01\x00", b"\x00" * 16])
def test_nul_bytes_before_the_end_are_still_binary(data):
    with pytest.raises(NotText, match=r"binary file \(NUL bytes\)"):
        decode(data)
