"""Derive the shipped world map geometry (src/tethers/dashboard/static/world110.geojson) from Natural Earth.

    python scripts/derive_world_geometry.py --geojson /tmp/ne110.geojson [--out src/tethers/dashboard/static/world110.geojson]

Origin: Natural Earth 1:110m Cultural Vectors, *Admin 0 – Countries* (version 5.0 vertices), public domain
("All versions of Natural Earth raster + vector map data found on this website are in the public domain",
https://www.naturalearthdata.com/about/terms-of-use/). Canonical copy: ``geojson/ne_110m_admin_0_countries.geojson``
of the public repository ``nvkelso/natural-earth-vector``, commit ``0a11ac3093f1084f0119e436583f5f271a24ed42``
(488,002 characters, 177 features sorted by ADM0_A3, coordinates to 6 decimals).

The bytes used for the shipped file came from a verbatim GDAL re-export of that layer,
``ne_110m_admin_0_countries.geojson`` of ``Boorn123/MyData`` (commit ``268846b308a125ee4f359beffbacb71c6be3a5f9``,
sha256 :data:`SHA256`; full-precision coordinates, same 177 features and 94 attributes): rounded to 6 decimals
its vertices are those of the nvkelso commit (checked ring by ring for AFG, ARE, ARG, ZAF incl. its Lesotho hole,
ZMB and ZWE). Either file gives the same derived features (rings may start at another vertex).

What is kept: per feature ``iso3`` and ``name`` only, coordinates rounded to 2 decimals (≈ 1 km, finer than
the 1:110m scale), consecutive duplicate vertices dropped, features sorted by ``iso3``; written compact, UTF-8.
``iso3``: ``ISO_A3`` where it is a code, else ``ADM0_A3`` (``ISO_A3`` is -99 for France, Norway, Kosovo,
N. Cyprus, Somaliland; ``ADM0_A3`` is not ISO for South Sudan SDS, Palestine PSX, W. Sahara SAH), and Kosovo as
``XKX`` (the code :mod:`tethers.countries` uses). The same input always gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

SHA256 = "7fc340aec920254ec98f259af47bf8d4d0455017b872e3aac2d5f4348b19f995"  # the Boorn123/MyData copy
OUT = Path("src/tethers/dashboard/static/world110.geojson")
RENAME = {"KOS": "XKX"}
DECIMALS = 2


def _round(coords):
    if coords and isinstance(coords[0], int | float):
        # via 6 decimals first, as the nvkelso copy stores them, so both copies round alike
        return [round(round(float(coords[0]), 6), DECIMALS), round(round(float(coords[1]), 6), DECIMALS)]
    out = [_round(c) for c in coords]
    if out and isinstance(out[0][0], float):  # a ring: drop consecutive duplicates the rounding made
        ring = [out[0]] + [p for prev, p in zip(out, out[1:], strict=False) if p != prev]
        if len(ring) < 4:  # a ring too small to survive the rounding: keep it as a closed triangle at least
            ring = out[:4] if len(out) >= 4 else out
        return ring
    return out


def iso3_of(props: dict) -> str:
    iso = str(props.get("ISO_A3") or "")
    code = iso if re.fullmatch(r"[A-Z]{3}", iso) else str(props.get("ADM0_A3") or "")
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"feature {props.get('NAME')!r}: no ISO_A3 or ADM0_A3 code")
    return RENAME.get(code, code)


def derive(data: dict) -> dict:
    feats = []
    for i, f in enumerate(data.get("features") or []):
        props, geom = f.get("properties") or {}, f.get("geometry") or {}
        if geom.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"feature {i} ({props.get('NAME')!r}): geometry {geom.get('type')!r}, not a polygon")
        feats.append({"type": "Feature", "properties": {"iso3": iso3_of(props), "name": str(props.get("NAME"))},
                      "geometry": {"type": geom["type"], "coordinates": _round(geom["coordinates"])}})
    feats.sort(key=lambda f: f["properties"]["iso3"])
    codes = [f["properties"]["iso3"] for f in feats]
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate iso3 codes: " + ", ".join(sorted({c for c in codes if codes.count(c) > 1})))
    return {"type": "FeatureCollection", "features": feats}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--geojson", type=Path, required=True, help="ne_110m_admin_0_countries.geojson")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    raw = args.geojson.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        print(f"derive_world_geometry: note: {args.geojson} has sha256 {digest}, not the recorded copy's {SHA256}",
              file=sys.stderr)
    try:
        out = derive(json.loads(raw.decode("utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        print(f"derive_world_geometry: {args.geojson}: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {len(out['features'])} features, {len(text.encode('utf-8')):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
