"""Counts as people read them, for every line the commands print (`qa index`, `qa info`, the
`qa index --watch` log): one owner, so that "1 article" and "5,839 passages" read alike everywhere."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """`n` (with thousands separators) and a regular noun, plural unless n is 1.

    Example:
        >>> counted(1, "article"), counted(5839, "passage"), counted(2, "batch")
        ('1 article', '5,839 passages', '2 batches')
    """
    if n == 1:
        return f"1 {noun}"
    return f"{n:,} {noun}{'es' if noun.endswith(('ch', 'sh', 's', 'x')) else 's'}"
