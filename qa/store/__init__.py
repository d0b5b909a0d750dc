"""The on-disk index, one owner per part.

Layout of an index folder (default `index/`):

    index/CURRENT               name of the live generation, replaced atomically
    index/gen-<time>-<id>/      one complete, immutable build
        manifest.json           `Manifest`: format, model, settings fingerprint, counts, file hashes
        articles.json           the catalog: per-article content hashes, article files as last read
        store.sqlite            `Store`: articles, passages, sentences (+ vectors and BM25 terms)
        vectors.faiss           `DenseIndex`: passage vectors (ids = passage ids)
        bm25/                   `LexicalIndex`: passage BM25 postings (numpy arrays + vocabulary)
        delta/                  optional delta segment (`qa.store.segments`): the same three
                                parts for recent changes, plus the base articles they replace
    index/.lock                 held while a build runs

`qa.index.Index` puts the parts together for reading; `qa.build` writes new generations
and swaps `CURRENT`, so a reader sees either the old index or the new one.
"""

from __future__ import annotations

from .dense import DenseIndex
from .layout import (
    BM25_DIR,
    DELTA_DIR,
    FORMAT_VERSION,
    MANIFEST_FILE,
    POINTER_FILE,
    STORE_FILE,
    VECTORS_FILE,
    current_generation,
)
from .lexical import LexicalIndex, bm25_terms
from .manifest import Counts, Manifest
from .segments import DenseReader, SegmentedDense, SegmentedStore, StoreReader, open_segments
from .store import ArticleInfo, Store, StoredPassage

__all__ = [
    "BM25_DIR",
    "DELTA_DIR",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "POINTER_FILE",
    "STORE_FILE",
    "VECTORS_FILE",
    "ArticleInfo",
    "Counts",
    "DenseIndex",
    "DenseReader",
    "LexicalIndex",
    "Manifest",
    "SegmentedDense",
    "SegmentedStore",
    "Store",
    "StoreReader",
    "StoredPassage",
    "bm25_terms",
    "current_generation",
    "open_segments",
]
