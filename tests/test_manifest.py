from __future__ import annotations

import pytest

from qa.build import build_index
from qa.errors import IndexCorruptError
from qa.store import Manifest, current_generation


def test_a_damaged_catalog_is_named_not_the_manifest(settings, fake):
    build_index(settings, encoder=fake, progress=False)
    generation = current_generation(settings.index_dir)
    (generation / "articles.json").write_text('{"broken')
    assert Manifest.read(generation).counts.articles == 4  # a load does not read the catalog
    with pytest.raises(IndexCorruptError, match=r"articles\.json is damaged \(fields missing") as err:
        Manifest.read(generation, catalog=True)
    assert "manifest.json" not in str(err.value)
    (generation / "articles.json").unlink()
    with pytest.raises(IndexCorruptError, match=r"articles\.json is missing\. Rebuild with: qa index --full"):
        Manifest.read(generation, catalog=True)


def test_a_manifest_with_a_field_of_the_wrong_type_is_named(settings, fake):
    build_index(settings, encoder=fake, progress=False)
    generation = current_generation(settings.index_dir)
    text = (generation / "manifest.json").read_text()
    (generation / "manifest.json").write_text(text.replace('"counts": {', '"counts": {"extra": 1, ', 1))
    with pytest.raises(IndexCorruptError, match=r"manifest\.json is damaged \(fields missing or of the wrong type\)"):
        Manifest.read(generation, catalog=True)
