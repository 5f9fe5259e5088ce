"""Render docs/schema.md from :mod:`tethers.atlas.schema` (a test checks the committed file is current)."""

from __future__ import annotations

from .schema import PROVENANCE, SCHEMA_VERSION, TABLES


def schema_markdown() -> str:
    out = [
        "# Atlas schema",
        "",
        f"Schema version {SCHEMA_VERSION}. Generated from `src/tethers/schema.py` by",
        "`python -m tethers.atlas.schema_doc > docs/schema.md`; do not edit by hand.",
        "",
        "Countries are ISO3 (historical entities ISO 3166-3: SUN, YUG, CSK, DDR, SCG, YMD, ANT; aggregates",
        "WLD, XXX). Money is current USD. Every table's key includes `source`: publishers that cover the same",
        "figure coexist, and `tethers.atlas.queries` picks one per country-year by a documented precedence.",
        "",
    ]
    for t in [*TABLES.values(), PROVENANCE]:
        out += [f"## `{t.name}`", "", t.doc, ""]
        if t.key:
            out += [f"Key: ({', '.join(t.key)})", ""]
        out += ["| column | type | null | unit | check | meaning |", "|---|---|---|---|---|---|"]
        for c in t.columns:
            out.append(
                f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {c.unit} | {c.check or ''} | {c.doc} |"
            )
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(schema_markdown(), end="")
