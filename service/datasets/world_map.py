"""The world map the query UI draws: Natural Earth 1:50m countries, reduced for the browser.

Natural Earth's admin-0 countries (public domain, https://www.naturalearthdata.com/, version 5.1.1,
the same file `states.py` reads) are cut down to what a small choropleth needs: each polygon ring
simplified with Douglas-Peucker (tolerance in degrees), coordinates rounded, rings that shrink below
four points dropped. Each feature keeps the state key of `data/states.ttl` (`states.state_key`), so the
map joins on `/id/state/{KEY}`. Deterministic: the same raw file gives the same bytes.

Regenerate: `python -m service.datasets.world_map [--raw ../shared/data/raw] [-o service/web/static/world.json]`
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from service.datasets import states

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_OUT = PACKAGE_DIR / "web" / "static" / "world.json"
DEFAULT_RAW = PACKAGE_DIR.parent.parent / "shared" / "data" / "raw"
TOLERANCE = 0.12  # degrees: ~13 km, invisible at the size the UI draws the world
DECIMALS = 2
ATTRIBUTION = ("Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com "
               "(Admin 0 - Countries, 1:50m, version 5.1.1), simplified.")


def simplify(points: list[list[float]], tolerance: float) -> list[list[float]]:
    """Douglas-Peucker: keep the points that lie further than `tolerance` from the simplified line."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = (dx * dx + dy * dy) ** 0.5
        farthest, index = 0.0, None
        for i in range(first + 1, last):
            px, py = points[i]
            if length == 0:
                distance = ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
            else:
                distance = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / length
            if distance > farthest:
                farthest, index = distance, i
        if index is not None and farthest > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, kept in zip(points, keep) if kept]


def reduce_ring(ring: list, tolerance: float, decimals: int) -> list[list[float]] | None:
    rounded = [[round(x, decimals), round(y, decimals)] for x, y in simplify(ring, tolerance)]
    deduplicated = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
    return deduplicated if len(deduplicated) >= 4 else None


def polygons_of(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    raise states.RawDataError(f"unexpected Natural Earth geometry type {geometry['type']!r}")


def build_world(raw_dir: Path, tolerance: float = TOLERANCE, decimals: int = DECIMALS) -> dict:
    path = raw_dir / states.NE_FILE
    if not path.is_file():
        raise states.RawDataError(f"missing raw data file {path}")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    countries = []
    for feature in features:
        properties = feature["properties"]
        rings = []
        for polygon in polygons_of(feature["geometry"]):
            outer = reduce_ring(polygon[0], tolerance, decimals)  # holes are left out: lakes, enclaves
            if outer:
                rings.append(outer)
        countries.append({
            "key": states.state_key(properties),
            "name": properties["NAME_EN"] or properties["ADMIN"],
            "label": [round(properties["LABEL_X"], decimals), round(properties["LABEL_Y"], decimals)],
            "rings": rings,  # empty for an island state too small to keep a ring: the UI draws a dot at "label"
        })
    countries.sort(key=lambda c: (c["key"], c["name"]))
    return {"attribution": ATTRIBUTION, "tolerance_degrees": tolerance, "countries": countries}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="example: python -m service.datasets.world_map -o service/web/static/world.json")
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="folder of the raw data sets")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT, help="file to write")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="simplification tolerance in degrees")
    args = parser.parse_args(argv)
    try:
        world = build_world(args.raw, args.tolerance)
    except states.RawDataError as error:
        print(f"world_map: {error}", file=sys.stderr)
        return 1
    body = json.dumps(world, ensure_ascii=False, separators=(",", ":")) + "\n"
    tmp = args.output.with_name(args.output.name + ".part")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(args.output)
    print(f"wrote {args.output} ({len(body)} bytes, {len(world['countries'])} countries)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
