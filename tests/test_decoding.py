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
