"""Generated documents stay in sync with the code that defines them."""

from __future__ import annotations

import json

from tethers.atlas.pack import attribution_markdown
from tethers.atlas.schema_doc import schema_markdown

from .conftest import ROOT


def test_schema_doc_is_current():
    assert (ROOT / "docs/schema.md").read_text() == schema_markdown(), "run: python -m tethers.atlas.schema_doc > docs/schema.md"


def test_data_sources_doc_matches_the_pack_manifest():
    manifest = json.loads((ROOT / "data/pack/MANIFEST.json").read_text())
    assert (ROOT / "DATA_SOURCES.md").read_text() == attribution_markdown(manifest), "run: make pack"
