"""Diagrams drawn on the server as SVG (no script, no tiles, nothing fetched): the order of battle and the map."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

BOX_W, BOX_H, GAP_X, GAP_Y = 250, 46, 60, 14
WKT_POINT = re.compile(r"POINT\s*\(\s*([-+\d.eE]+)\s+([-+\d.eE]+)\s*\)", re.IGNORECASE)


def order_of_battle(units: list[dict[str, Any]], label: Callable[[str], str], href: Callable[[str], str],
                    highlight: set[str] | None = None) -> str:
    """A left-to-right tree of units, each box with the unit's name and its commanders; ``highlight`` marks a
    command chain. A unit under two superiors is drawn under the first, with a dashed line to the other."""
    highlight = highlight or set()
    by_iri = {u["iri"]: u for u in units}
    children: dict[str | None, list[str]] = {}
    for u in units:
        parent = next((p for p in u["parents"] if p in by_iri), None)
        children.setdefault(parent, []).append(u["iri"])
    for kids in children.values():
        kids.sort(key=lambda i: (by_iri[i].get("side") or "", -(by_iri[i].get("rank") or 0), label(i)))
    pos: dict[str, tuple[float, float]] = {}
    row = [0]
    seen: set[str] = set()

    def place(iri: str, depth: int) -> float:
        seen.add(iri)
        kids = [k for k in children.get(iri, []) if k not in seen]
        if kids:
            ys = [place(k, depth + 1) for k in kids]
            y = (ys[0] + ys[-1]) / 2
        else:
            y = row[0] * (BOX_H + GAP_Y)
            row[0] += 1
        pos[iri] = (depth * (BOX_W + GAP_X), y)
        return y

    for root in children.get(None, []):
        place(root, 0)
        row[0] += 0.5  # a little air between separate hierarchies
    for u in units:  # units caught in a cycle of subordination: still drawn, in a row of their own
        if u["iri"] not in pos:
            place(u["iri"], 0)
    width = max((x for x, _ in pos.values()), default=0) + BOX_W + 20
    height = max((y for _, y in pos.values()), default=0) + BOX_H + 20
    edges, boxes = [], []
    for u in units:
        x, y = pos[u["iri"]]
        for i, parent in enumerate(p for p in u["parents"] if p in pos):
            px, py = pos[parent]
            cls = "edge chain" if u["iri"] in highlight and parent in highlight else "edge"
            dash = ' stroke-dasharray="5,4"' if i else ""
            mid = (px + BOX_W + x) / 2
            edges.append(f'<path class="{cls}"{dash} d="M{px + BOX_W + 10:.0f},{py + BOX_H / 2 + 10:.0f} '
                         f'C{mid + 10:.0f},{py + BOX_H / 2 + 10:.0f} {mid + 10:.0f},{y + BOX_H / 2 + 10:.0f} '
                         f'{x + 10:.0f},{y + BOX_H / 2 + 10:.0f}"/>')
        commanders = ", ".join(label(c["iri"]) for c in u["commanders"][:2]) or "commander not known"
        if len(u["commanders"]) > 2:
            commanders += f" +{len(u['commanders']) - 2}"
        side = (u.get("side") or "").rsplit("/", 1)[-1]
        cls = "unit" + (" chain" if u["iri"] in highlight else "") + (f" side-{side}" if side else "")
        boxes.append(
            f'<a href={quoteattr(href(u["iri"]))}>'
            f'<g class={quoteattr(cls)} transform="translate({x + 10:.0f},{y + 10:.0f})">'
            f'<title>{escape(label(u["iri"]))}</title>'
            f'<rect width="{BOX_W}" height="{BOX_H}" rx="6"/>'
            f'<text x="10" y="19" class="name">{escape(_clip(label(u["iri"]), 34))}</text>'
            f'<text x="10" y="36" class="who">{escape(_clip(commanders, 40))}</text></g></a>'
        )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="oob" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="Order of battle">'
            + "".join(edges) + "".join(boxes) + "</svg>")


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def parse_point(wkt: str) -> tuple[float, float] | None:
    """(longitude, latitude) of a WKT point (GeoSPARQL's default CRS84 axis order), or None."""
    m = WKT_POINT.search(wkt)
    if not m:
        return None
    lon, lat = float(m.group(1)), float(m.group(2))
    if "EPSG/0/4326" in wkt:  # EPSG:4326 puts latitude first
        lon, lat = lat, lon
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat


def place_map(points: list[tuple[str, float, float, str]], href: Callable[[str], str], width: int = 860,
              height: int = 560) -> str:
    """Places (iri, longitude, latitude, name) as dots on a plain equirectangular graticule, fitted to their
    bounding box."""
    if not points:
        return ""
    lons = [p[1] for p in points]
    lats = [p[2] for p in points]
    span = max(max(lons) - min(lons), max(lats) - min(lats), 0.05)
    pad = span * 0.15
    west, east = min(lons) - pad, max(lons) + pad
    south, north = min(lats) - pad, max(lats) + pad
    kx = math.cos(math.radians((north + south) / 2))
    scale = min((width - 40) / ((east - west) * kx), (height - 40) / (north - south))

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return 20 + (lon - west) * kx * scale, 20 + (north - lat) * scale

    step = _nice_step(max(east - west, north - south) / 6)
    parts = []
    lon = math.floor(west / step) * step
    while lon <= east:
        x, _ = xy(lon, 0)
        if x >= 20:
            parts.append(f'<line class="grid" x1="{x:.1f}" y1="20" x2="{x:.1f}" y2="{height - 20}"/>'
                         f'<text class="grid-label" x="{x + 3:.1f}" y="{height - 24}">{lon:.2f}°E</text>')
        lon += step
    lat = math.floor(south / step) * step
    while lat <= north:
        _, y = xy(0, lat)
        if 20 <= y <= height - 20:
            parts.append(f'<line class="grid" x1="20" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}"/>'
                         f'<text class="grid-label" x="24" y="{y - 3:.1f}">{lat:.2f}°N</text>')
        lat += step
    for iri, lon_, lat_, name in points:
        x, y = xy(lon_, lat_)
        parts.append(f'<a href={quoteattr(href(iri))}><g class="place"><title>{escape(name)} ({lat_:.4f}°N, '
                     f'{lon_:.4f}°E)</title><circle cx="{x:.1f}" cy="{y:.1f}" r="6"/>'
                     f'<text x="{x + 9:.1f}" y="{y + 4:.1f}">{escape(name)}</text></g></a>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="map" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="Map of places">'
            f'<rect class="sea" x="20" y="20" width="{width - 40}" height="{height - 40}"/>'
            + "".join(parts) + "</svg>")


def _nice_step(raw: float) -> float:
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 30):
        if step >= raw:
            return step
    return 30
