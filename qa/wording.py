"""Counts and confidences as people read them, for every line the commands and the chat print
(`qa index`, `qa info`, the `qa index --watch` log, `qa ask`): one owner, so that "1 article",
"5,839 passages" and "low confidence" read alike everywhere."""

from __future__ import annotations

import numbers
import re
import shlex
import textwrap
from os import PathLike

from .errors import QuestionError


def counted(n: int, noun: str) -> str:
    """`n` (with thousands separators) and a regular noun, plural unless n is 1.

    Example:
        >>> counted(1, "article"), counted(5839, "passage"), counted(2, "batch")
        ('1 article', '5,839 passages', '2 batches')
    """
    if n == 1:
        return f"1 {noun}"
    return f"{n:,} {noun}{'es' if noun.endswith(('ch', 'sh', 's', 'x')) else 's'}"


def shortened(text: str, width: int) -> str:
    """`text` on one line, cut at a word to at most `width` characters with " …" where it
    was cut. Text with few spaces (Chinese, Japanese, a long URL) is cut inside a word
    instead: cut at words it became "…" alone, the title the chat showed for a Chinese headline.

    Example:
        >>> shortened("Markets fell sharply on Monday as investors fled", 30)
        'Markets fell sharply on …'
        >>> shortened("加拿大总理卡尼抵达北京开始访问中国之行", 10)
        '加拿大总理卡尼抵达…'
    """
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = textwrap.shorten(flat, width, placeholder=" …")
    if len(cut) >= width // 2:
        return cut
    return flat[: max(width - 1, 0)].rstrip() + "…"


# One scale for an answer's strength: its confidence (0-1), in these words. The chat's bar and
# number, and the line `qa ask` prints, all show it, so they cannot disagree.
CONFIDENCE_WORDS = ((0.7, "high confidence"), (0.4, "medium confidence"), (0.0, "low confidence"))


def confidence_words(confidence: float) -> str:
    """How a person reads a confidence: "high", "medium" or "low confidence", of the confidence
    as it is shown (two decimals, a percentage): 0.6955 was shown as "0.70 (medium confidence)"
    and "70% · medium confidence", under the 0.70 that "high" starts at.

    Example:
        >>> confidence_words(0.31), confidence_words(0.82), confidence_words(0.6955)
        ('low confidence', 'high confidence', 'high confidence')

    Raises:
        QuestionError: `confidence` is not a number from 0 to 1 (NaN, -0.1 raised StopIteration).
    """
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real) or not 0 <= confidence <= 1:
        raise QuestionError(f"confidence={confidence!r:.40} must be a number from 0 to 1.")
    shown = round(confidence, 2)
    return next(words for floor, words in CONFIDENCE_WORDS if shown >= floor)


# Characters that change a line instead of showing in it: control characters but tab and line
# feed (ESC and BEL retitle or clear a terminal) and bidi overrides and isolates (U+202E turns
# the rest of the line around: a citation's file name and date, its [n] markers).
_UNSHOWABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str, mark: str = "\ufffd") -> str:
    """`text` with each character that would change the line around it replaced by `mark`.

    Example:
        >>> visible("The vote was \x1b[2Jseven."), visible("Uploader \u202eRLO", mark=" ")
        ('The vote was \ufffd[2Jseven.', 'Uploader  RLO')
    """
    return _UNSHOWABLE.sub(mark, text)


NAME_CHARS = 200  # an id or file name past this is shown cut in the middle


def one_line(name: str, width: int = NAME_CHARS) -> str:
    """An article id or file name kept on its line: a line feed or tab written as its escape
    (a record id "x\\n  removed: all.txt" forged a line of the build report), and cut in the
    middle past `width` characters (a 5,000-character id filled a screen). The other control
    and bidi characters are `visible`'s to mark, as in any text shown.

    Example:
        >>> print(one_line("feed.jsonl#x\\n  removed: all.txt"), one_line("f.json#" + "a" * 30, 16))
        feed.jsonl#x\\n  removed: all.txt f.json#…aaaaaaaa
    """
    shown = name.replace("\n", "\\n").replace("\t", "\\t")
    if len(shown) <= width:
        return shown
    half = (width - 1) // 2
    return f"{shown[:half]}…{shown[len(shown) - (width - 1 - half) :]}"


def is_text(value: str) -> bool:
    """Can `value` be written as UTF-8? Not with a lone surrogate, which undecodable bytes
    (argv, a broken client) become: no model reads it, and SQLite refuses it.

    Example:
        >>> is_text("Trudeau"), is_text(chr(0xDCFF))
        (True, False)
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def escaped(json_text: str) -> str:
    """JSON text with each character `visible` would replace written as a `\\u` escape
    instead: the same JSON to a parser, but a terminal showing it is not turned around by a
    bidi override from an article (json.dumps escapes only C0 controls and leaves the rest).

    Example:
        >>> escaped('{"title": "Uploader \u202eRLO"}')
        '{"title": "Uploader \\\\u202eRLO"}'
    """
    return _UNSHOWABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)


def file_size(n_bytes: float) -> str:
    """A size as people read it: MB to one decimal from 1 MB, smaller sizes in KB or bytes
    (a 134 KB file was "0.1 MB, over the 0.1 MB limit" of --max-file-mb 0.1).

    Example:
        >>> file_size(1_572_864), file_size(1_048), file_size(512), file_size(52_428_800)
        ('1.5 MB', '1.0 KB', '512 bytes', '50 MB')
        >>> file_size(137_000), file_size(0.1 * 1024 * 1024)
        ('133.8 KB', '102.4 KB')
    """
    if n_bytes >= 1024 * 1024:
        return f"{n_bytes / 1048576:,.1f}".removesuffix(".0") + " MB"
    if n_bytes >= 1024:
        return f"{n_bytes / 1024:,.1f} KB"
    return f"{n_bytes:,.0f} bytes"


def sizes_apart(size: float, limit: float) -> tuple[str, str]:
    """A size and the limit it is over, as `file_size` writes them, or in bytes when the two
    would read the same (a file 1 byte over 50 MB was "50 MB, over the 50 MB limit").

    Example:
        >>> sizes_apart(60 * 1048576, 50 * 1048576)
        ('60 MB', '50 MB')
        >>> sizes_apart(50 * 1048576 + 1, 50 * 1048576)
        ('52,428,801 bytes', '52,428,800 bytes')
    """
    shown = file_size(size), file_size(limit)
    if shown[0] == shown[1]:
        return f"{size:,.0f} bytes", f"{limit:,.0f} bytes"
    return shown


def shell_path(path: str | PathLike[str]) -> str:
    """A path as it must be typed in a command that a message suggests: quoted where the shell
    would split or read it ("my index", "it's"), as is otherwise.

    Example:
        >>> print(shell_path("index"), shell_path("my index/news"), shell_path("it's"))
        index 'my index/news' 'it'"'"'s'
    """
    return shlex.quote(str(path))
