"""Turning a file's bytes into text: byte-order marks, UTF-8, UTF-16/32, single-byte code pages.

News arrives as UTF-8, as Windows-1252 from older systems, sometimes as UTF-16 from Windows
tools, and now and then in another code page. A byte-order mark decides outright; UTF-8 is
tried next (also when a few stray bytes in it are not UTF-8, `_mostly_utf8`); anything else is
Windows-1252 unless the text shows otherwise (`_guess_code_page`). Data that is not text (binary
files) raises `NotText` with the reason.
"""

from __future__ import annotations

import codecs
import re


class NotText(ValueError):
    """The bytes are not text in any encoding we read; the message says why."""


# A byte-order mark names its encoding outright. UTF-32 LE first: its mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Control characters other than tab, newlines, vertical tab and form feed: text has none or
# a stray few, binary data (or a wrong guess of its encoding) many.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_NOT_C0_CONTROL = bytes(b for b in range(256) if not (b <= 0x08 or 0x0E <= b <= 0x1F or b == 0x7F))
# How much of a long file the binary check and the encoding guess look at; the whole file is then decoded.
_SAMPLE_CHARS = _SAMPLE_BYTES = 100_000
_NON_ASCII_BYTES = re.compile(rb"[\x80-\xff]+")
# The Latin-script code pages that a guess weighs against Windows-1252, in order of
# preference when the evidence is even: Central European (Windows and ISO), Baltic, Turkish.
_LATIN_CODE_PAGES = ("cp1250", "iso8859_2", "cp1257", "cp1254")
# The letters beyond ASCII that each language writes (lower case). Short texts give
# charset-normalizer too little to go on (it finds "Ačiū, labai ačiū už šią dieną." in
# Windows-1257 and "crème brûlée" in Latin-1 equally clean as cp1250, cp1252 or cp1257), but a
# wrong code page shows in the letters: the Windows-1252 reading of that Lithuanian sentence
# needs French (è û à) and Icelandic (þ ð) at once, the Windows-1257 reading of "crème brûlée"
# ("crčme brūlée") Czech and Lithuanian. Measured on 117 Western European, 44 Baltic and 21
# Central European and Turkish texts of one to three sentences, and 18 paragraphs in other code
# pages (Cyrillic, Greek, Hebrew, Arabic, CJK, ISO-8859-2): this rule reads 117, 41, 20 and 18
# right (the misses are sentences whose only letters fit both, e.g. Latvian "sacīja" and
# French "sacîja"); charset-normalizer's best guess 57, 26, 19 and 16; the previous rule (its
# guess, but Windows-1252 when that is nearly as clean) 101, 5, 5 and 13.
_LATIN_ALPHABETS = tuple(
    frozenset(letters)
    for letters in (
        "àâæçéèêëîïôœùûüÿ",  # French
        "áéíóúñü",  # Spanish, Galician
        "áàâãçéêíóôõú",  # Portuguese
        "àèéìíîòóùú",  # Italian
        "àçèéíïòóúü",  # Catalan
        "äöüß",  # German
        "áäéèëïíóöúü",  # Dutch
        "æøåéèêóòô",  # Danish, Norwegian
        "åäöéšž",  # Swedish, Finnish
        "áðéíóúýþæö",  # Icelandic
        "áðíóúýæø",  # Faroese
        "çë",  # Albanian
        "ąćęłńóśźż",  # Polish
        "áčďéěíňóřšťúůýž",  # Czech
        "áäčďéíĺľňóôŕšťúýž",  # Slovak
        "áéíóöőúüű",  # Hungarian
        "čćđšž",  # Slovene, Croatian, Bosnian
        "ăâîșțşţ",  # Romanian
        "ąčęėįšųūž",  # Lithuanian
        "āčēģīķļņšūž",  # Latvian
        "äõöüšž",  # Estonian
        "âçğıîöşüû",  # Turkish
    )
)
# East Asian bytes are ambiguous: short EUC-JP text is also valid EUC-KR (Korean) and Thai
# (cp874), and charset-normalizer, given a paragraph, may rank either first (2 of 5 two-sentence
# Japanese news texts in EUC-JP came out as cp949 or cp874). The right reading shows in the
# letters: Japanese running text writes its particles in hiragana (the readings of those texts
# were 25-45% hiragana), Korean its endings and particles in a few dozen common syllables
# (26-40% of the Hangul in Korean news sentences), while the wrong readings hold no hiragana and
# random Hangul (at most 8% of it common).
_ASIAN_CODECS = frozenset(
    "cp874 cp932 shift_jis shift_jis_2004 shift_jisx0213 euc_jp euc_jis_2004 euc_jisx0213 iso2022_jp cp949 "
    "euc_kr johab gb18030 gb2312 gbk big5 big5hkscs cp950 hz".split()
)
_COMMON_HANGUL = frozenset(
    "이다의는에을를하가고한지로기서사대정리자수일도으시들인국어적있전부만것보제성해나게상년주동여과아라장되문원했"
)


def _japanese_or_korean(sample: bytes) -> str | None:
    """The codec that reads the sample as Japanese or Korean, when its letters say so (see above)."""
    for codec in ("cp932", "euc_jp", "cp949"):
        try:
            text = sample.decode(codec)
        except UnicodeDecodeError:
            continue
        letters = [c for c in text if ord(c) > 0x2FFF and c.isalpha()]
        if len(letters) < 8:
            return None
        if codec == "cp949":
            hangul = [c for c in letters if "\uac00" <= c <= "\ud7a3"]
            if len(hangul) * 2 >= len(letters) and sum(c in _COMMON_HANGUL for c in hangul) * 5 >= len(hangul):
                return codec
        elif sum("\u3041" <= c <= "\u309f" for c in letters) * 10 >= len(letters):
            return codec
    return None


# Half-width katakana (U+FF61-U+FF9F) are single bytes A1-DF in Shift-JIS, where KOI8-R and
# KOI8-U keep their lower-case letters and Windows-1251 its capitals: charset-normalizer took 75
# of 164 short KOI8 texts (one to three news sentences) for Shift-JIS, readings whose letters
# are 91-100% half-width katakana. Japanese news writes katakana full-width, among hiragana
# that `_japanese_or_korean` accepts first; a reading that is mostly half-width katakana is a
# wrong guess, and charset-normalizer guesses again without Shift-JIS. That reads 159 of the
# 164 right (the misses are single sentences of two to five words, read as Windows-1251 or Thai).
_SHIFT_JIS = ("cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213")
_HALF_WIDTH_KATAKANA = re.compile("[\uff61-\uff9f]")


def _mostly_half_width_katakana(text: str) -> bool:
    """Whether over half the letters of `text` are half-width katakana (see above)."""
    return len(_HALF_WIDTH_KATAKANA.findall(text)) * 2 > sum(c.isalpha() for c in text)


# Readings whose mess ratio is within this of the cleanest compete on their languages. It was
# 0.01 until 2026-12-01, when "déjà vu" in Windows-1252 was read as Windows-1257 ("déją vu"):
# charset-normalizer rates "jà" 0.07 messier than "ją". On 59 short texts written for the check
# (26 Western European, 15 Baltic, 14 Central European, 4 Turkish), 0.1 and the superscript rule
# below read 26, 10, 12 and 3 right; 0.01 without that rule 22, 10, 10 and 3. The Baltic misses are
# sentences with one or two letters that fit both (Lithuanian "Šiandien" and Icelandic "Ðiandien").
_CLEAN_MARGIN = 0.1
_CP1252_UNDEFINED_AS_SPACE = str.maketrans(dict.fromkeys("\x81\x8d\x8f\x90\x9d", " "))
_LATIN_LETTER = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")
# Superscript digits and fractions touching a letter ("Rz¹d", "¼ubomír"): Polish ą and ł, Slovak
# ľ read as Windows-1252. No language writes them inside a word; each counts as one more language.
_SYMBOL_IN_WORD = re.compile(r"(?<=[^\W\d_])[¹²³¼½¾]|[¹²³¼½¾](?=[^\W\d_])")


def _latin1_for_undefined(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a byte that Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) is Latin-1."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("qa-latin1", _latin1_for_undefined)


def decode(data: bytes) -> tuple[str, str | None]:
    """Decode a file's bytes: the text, and a note when its encoding had to be guessed.

    A byte-order mark decides (and is dropped); then UTF-16/32 without one, recognised by its
    NUL bytes (NUL bytes only at the end are padding, and dropped); then UTF-8, also when a few
    stray bytes in it are Windows-1252 (`_mostly_utf8`); anything else is a single-byte code
    page, guessed by `_guess_code_page`. Binary data raises `NotText`.

    Example:
        >>> decode("Zürich".encode("latin-1"))
        ('Zürich', 'read as cp1252 because it is not valid UTF-8')
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom) :].decode(codec)), None
            except UnicodeDecodeError:
                if codec != "utf-8":
                    raise NotText(
                        f"starts with a {codec.upper()} byte-order mark but is not valid {codec.upper()}"
                    ) from None
                data = data[len(bom) :]  # a UTF-8 mark on text that is not UTF-8: guess like any other
            break
    if b"\x00" in data:
        try:
            text, codec = _unmarked_utf16_or_32(data)
        except NotText:
            unpadded = data.rstrip(b"\x00")
            if not unpadded or b"\x00" in unpadded:
                raise
            data = unpadded  # NULs only at the end: padding (some tools fill a file up to a block), not text
        else:
            return text, f"read as {codec} because it is not valid UTF-8"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # Counted on the bytes: 2 ms for the 5 MB BBC corpus, where a regex over the text takes 16.
        sample = data[:_SAMPLE_CHARS]
        _refuse_many_controls(len(sample.translate(None, _NOT_C0_CONTROL)), len(sample))
        return text, None
    mixed = _mostly_utf8(data)
    if mixed is not None:
        return _checked(mixed[0]), mixed[1]
    text, codec = _guess_code_page(data)
    return _checked(text), f"read as {codec} because it is not valid UTF-8"


def _checked(text: str) -> str:
    """`text` without NUL padding at its end, unless its control characters say it is binary data."""
    text = text.rstrip("\x00")
    first = _CONTROL.search(text)
    if first is None:
        return text
    if text[first.start()] == "\x00":
        raise NotText("looks like a binary file (NUL characters), not text")
    _refuse_many_controls(len(_CONTROL.findall(text, 0, _SAMPLE_CHARS)), min(len(text), _SAMPLE_CHARS))
    return text


def _refuse_many_controls(controls: int, length: int) -> None:
    if controls > 3 and controls * 20 > length:  # over 5%, and more than a stray DOS end-of-file mark or two
        raise NotText("looks like a binary file (control characters), not text")


def _unmarked_utf16_or_32(data: bytes) -> tuple[str, str]:
    """Read UTF-16 or UTF-32 without a byte-order mark, or refuse the data as binary.

    Text in these encodings has NUL bytes in every ASCII character ("a" is 61 00 in UTF-16 LE);
    binary data has them anywhere. It is accepted only when it decodes without error, has no
    NUL or other control characters, no unassigned or private-use characters in its first
    `_SAMPLE_CHARS`, and at least 5% ASCII (spaces, digits, punctuation: random bytes decoded
    as UTF-16 are 0.2% ASCII, and one code unit in ten is private-use).
    """
    import unicodedata

    for codec, unit in (("utf-32-le", 4), ("utf-32-be", 4), ("utf-16-le", 2), ("utf-16-be", 2)):
        if len(data) % unit:
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        sample = text[:_SAMPLE_CHARS]
        if (
            not _CONTROL.search(text)
            and len(sample.encode("ascii", "ignore")) * 20 >= len(sample)
            and not any(unicodedata.category(c) in ("Cn", "Co") for c in sample)
        ):
            return text, codec
    raise NotText("looks like a binary file (NUL bytes), not text")


# UTF-8 with a stray Windows-1252 line pasted in is still UTF-8: the rule is at least as many
# valid multi-byte UTF-8 sequences (characters) as bytes that are not UTF-8. A single-byte code
# page forms valid sequences only by chance (an accented capital or "ß" before a quotation mark,
# Ukrainian "і" after a KOI8-U letter). Measured on texts made of Babel's locale words: 14,328 of
# 1 to 10 sentences in 15 code pages (Western, Central European, Baltic, Turkish, Cyrillic, Greek,
# Hebrew, Arabic, Mac, DOS) had at most 0.27 valid sequences per invalid byte; UTF-8 articles
# with one Windows-1252 sentence appended at least 0.73 when three sentences long (1,497 of 1,500
# reach 1), 2.0 when six, 12 when thirty. A Windows-1252 file with one UTF-8 line stays Windows-1252.
_STRAY_BYTES = re.compile(r"[\udc80-\udcff]+")  # bytes that are not UTF-8, as "surrogateescape" keeps them
_CP1252_UNDEFINED_ESCAPED = re.compile(r"[\udc81\udc8d\udc8f\udc90\udc9d]")


def _mostly_utf8(data: bytes) -> tuple[str, str] | None:
    """Read UTF-8 with a few stray Windows-1252 bytes in it: the text and a note, or None if it is not that.

    Judged on `_evidence` (see above); the stray bytes are read as Windows-1252 (Latin-1 for
    the bytes it leaves undefined), the rest as UTF-8.

    Example:
        >>> _mostly_utf8("“Café”".encode() + " “crème”".encode("cp1252"))
        ('“Café” “crème”', 'mostly UTF-8; 3 bytes read as cp1252 because they are not valid UTF-8')
    """
    sample = _evidence(data).decode("utf-8", "surrogateescape")
    stray = sum(map(len, _STRAY_BYTES.findall(sample)))
    valid = len(sample) - len(sample.encode("ascii", "ignore")) - stray  # characters of two to four bytes
    if valid == 0 or valid < stray:
        return None
    text = data.decode("utf-8", "surrogateescape")
    stray = sum(map(len, _STRAY_BYTES.findall(text)))
    codec = "cp1252"
    if _CP1252_UNDEFINED_ESCAPED.search(text):
        codec = "cp1252 (Latin-1 for the bytes cp1252 leaves undefined)"
    text = _STRAY_BYTES.sub(_as_cp1252, text)
    if stray == 1:
        return text, f"mostly UTF-8; 1 byte read as {codec} because it is not valid UTF-8"
    return text, f"mostly UTF-8; {stray} bytes read as {codec} because they are not valid UTF-8"


def _as_cp1252(stray: re.Match[str]) -> str:
    """A run of stray bytes (as "surrogateescape" decodes them) read as Windows-1252, Latin-1 where it has no letter."""
    return stray[0].encode("utf-8", "surrogateescape").decode("cp1252", "qa-latin1")


def _guess_code_page(data: bytes) -> tuple[str, str]:
    """Decode bytes that are not UTF-8: Windows-1252 unless the evidence says otherwise.

    Evidence of another encoding: charset-normalizer finds one whose reading is clearly less
    garbled (Cyrillic, Greek, Arabic, CJK, Polish ... read as Windows-1252 are), or another
    Latin code page reads the letters as fewer languages (`_language_count`). Both are judged
    on `_evidence`, the parts of the file where code pages differ.

    Example:
        >>> _guess_code_page("Ačiū, labai ačiū už šią dieną.".encode("cp1257"))
        ('Ačiū, labai ačiū už šią dieną.', 'cp1257')
    """
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    def mess(text: str) -> float:  # 0 for clean text; the default threshold stops counting at 0.2
        return float(mess_ratio(text, maximum_threshold=1.0))

    sample = _evidence(data)
    western = sample.decode("cp1252", "qa-latin1")
    # The bytes cp1252 leaves undefined are controls in Latin-1: no evidence against the rest.
    readings = [("cp1252", western, mess(western.translate(_CP1252_UNDEFINED_AS_SPACE)))]
    best = from_bytes(sample).best()
    if best is not None and best.encoding in _ASIAN_CODECS:
        asian = _japanese_or_korean(sample)
        if asian is not None:
            try:
                return data.decode(asian), asian
            except UnicodeDecodeError:
                pass
        if _mostly_half_width_katakana(sample.decode(best.encoding, "replace")):
            best = from_bytes(sample, cp_exclusion=list(_SHIFT_JIS)).best()
    if best is not None:
        text = sample.decode(best.encoding, "replace")
        if mess(text) + 0.1 < readings[0][2]:
            readings = [(best.encoding, text, mess(text))]  # Windows-1252 garbles it: not a Western text
    for codec in _LATIN_CODE_PAGES:
        try:
            text = sample.decode(codec)
        except UnicodeDecodeError:
            continue
        readings.append((codec, text, mess(text)))
    least = min(score for _, _, score in readings)
    if best is None and least > 0.2:  # charset-normalizer's own threshold for "not this encoding"
        raise NotText("not text in any known encoding")
    # Among the readings about as clean as the cleanest, the one with the fewest languages; ties
    # go to the first (Windows-1252 if it is among them). A code page that fails on bytes outside
    # the sample gives way to the next.
    clean = [(codec, text) for codec, text, score in readings if score <= least + _CLEAN_MARGIN]
    for codec, _ in sorted(clean, key=lambda reading: _language_count(reading[1])):
        if codec == "cp1252":
            break
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("cp1252", "qa-latin1"), "cp1252 (Latin-1 for the bytes cp1252 leaves undefined)"


def _evidence(data: bytes) -> bytes:
    """Up to about `_SAMPLE_BYTES` of `data`, taken around its non-ASCII bytes: where code pages differ.

    A long file may open with pages of plain ASCII, where its first 100 kB show nothing. Each
    excerpt reaches 100 ASCII bytes past the nearest non-ASCII one, so no multi-byte character
    (Shift-JIS, GBK ...) is cut; a run longer than the sample is cut at a line break or space,
    which are never part of one (or, having neither, not cut: the whole file is the sample).
    """
    if len(data) <= _SAMPLE_BYTES:
        return data
    spans: list[list[int]] = []
    taken = 0
    for run in _NON_ASCII_BYTES.finditer(data):
        start, end = max(run.start() - 100, 0), run.end() + 100
        if spans and start <= spans[-1][1]:
            taken += end - spans[-1][1]
            spans[-1][1] = end
        else:
            spans.append([start, end])
            taken += end - start
        if taken >= _SAMPLE_BYTES:
            break
    if taken > _SAMPLE_BYTES:
        start, end = spans[-1]
        end -= taken - _SAMPLE_BYTES
        spans[-1][1] = max(data.rfind(b"\n", start, end), data.rfind(b" ", start, end))
        if spans[-1][1] <= start:
            return data  # one run without a line break or space (Chinese, say): no safe cut
    return b" ".join(data[start:end] for start, end in spans)


def _language_count(text: str) -> int:
    """How many languages of `_LATIN_ALPHABETS` it takes to write the Latin letters of `text`.

    Counted greedily (the language with most of the letters left, then the next); a letter
    that no language writes counts as one more.

    Example:
        >>> _language_count("crème brûlée"), _language_count("crčme brūlée")
        (1, 2)
    """
    letters = set(_LATIN_LETTER.findall(text.lower()))
    count = len(set(_SYMBOL_IN_WORD.findall(text)))
    while letters:
        most = max(_LATIN_ALPHABETS, key=lambda alphabet: len(letters & alphabet))
        if not letters & most:
            return count + len(letters)
        letters -= most
        count += 1
    return count
