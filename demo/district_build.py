"""Deriving the demo district (street office, communities, grids) from a real OSM street network.

Blocks are the faces of the walkable network (polygonised), so every boundary runs along a street;
blocks are grouped by a length-balanced k-means on their centroids into communities, and each
community's blocks again into grids.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from geo.importers.streets import WALKABLE_CLASSES

METRIC_CRS = 32650  # UTM 50N covers Beijing


def kmeans(points: np.ndarray, weights: np.ndarray, k: int, iterations: int = 50) -> np.ndarray:
    """Deterministic weighted k-means (farthest-point start); returns a label per point."""
    centres = [points[np.argmax(weights)]]
    for _ in range(1, k):
        d = np.min(np.linalg.norm(points[:, None, :] - np.array(centres)[None], axis=2), axis=1)
        centres.append(points[np.argmax(d)])
    centres = np.array(centres, dtype=float)
    labels = np.zeros(len(points), dtype=int)
    for _ in range(iterations):
        labels = np.argmin(np.linalg.norm(points[:, None, :] - centres[None], axis=2), axis=1)
        new = np.array(
            [
                np.average(points[labels == j], axis=0, weights=weights[labels == j])
                if (labels == j).any()
                else centres[j]
                for j in range(k)
            ]
        )
        if np.allclose(new, centres):
            break
        centres = new
    return labels


def _name_from_streets(block_geoms: np.ndarray, streets: gpd.GeoDataFrame, used: set[str]) -> str:
    area = shapely.buffer(shapely.union_all(block_geoms), 5)
    near = streets[streets.intersects(area) & streets["name"].notna()]
    for name, _n in Counter(near["name"]).most_common():
        if name not in used:
            return name
    return "无名"


def build(
    osm_path: Path,
    out_path: Path,
    bbox: tuple[float, float, float, float],
    communities: int = 6,
    grids_per_community: int = 4,
) -> dict[str, int]:
    lines = pyogrio.read_dataframe(osm_path, layer="lines")
    streets = lines[lines["highway"].isin(WALKABLE_CLASSES)][
        ["osm_id", "name", "highway", "geometry"]
    ]
    streets = streets.to_crs(METRIC_CRS)
    box = gpd.GeoSeries([shapely.box(*bbox)], crs=4326).to_crs(METRIC_CRS).iloc[0]
    # Ways that run past the extract's edge are cut there, so every shipped street lies in the office.
    streets = streets.assign(geometry=shapely.intersection(streets.geometry.to_numpy(), box))
    streets = streets[~streets.geometry.is_empty].explode(index_parts=False)
    streets = streets[streets.geom_type == "LineString"]
    noded = shapely.union_all(np.r_[streets.geometry.to_numpy(), [box.boundary]])
    blocks = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    blocks = blocks[shapely.area(blocks) > 1.0]
    centroids = shapely.get_coordinates(shapely.centroid(blocks))
    # Weight blocks by the street length around them, so communities carry similar patrol work.
    weights = shapely.length(shapely.boundary(blocks))
    community_of = kmeans(centroids, weights, communities)

    used: set[str] = set()
    rows_c, rows_g = [], []
    order = np.argsort([-centroids[community_of == j][:, 1].mean() for j in range(communities)])
    for ci, j in enumerate(order, start=1):
        members = blocks[community_of == j]
        road = _name_from_streets(members, streets, used)
        used.add(road)
        cname, ccode = f"{road}社区", f"WDK-{ci:02d}"
        rows_c.append({"code": ccode, "name": cname, "geometry": shapely.union_all(members)})
        sub = kmeans(centroids[community_of == j], weights[community_of == j], grids_per_community)
        for gi in range(grids_per_community):
            part = members[sub == gi]
            if len(part):
                rows_g.append(
                    {
                        "code": f"{ccode}-{gi + 1}",
                        "name": f"{cname}第{gi + 1}网格",
                        "community": ccode,
                        "geometry": shapely.union_all(part),
                    }
                )
    office = gpd.GeoDataFrame(
        [{"code": "DEMO-WDK", "name": "五道口演示街道", "geometry": box}], crs=METRIC_CRS
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if out_path.exists():
        out_path.unlink()
    layers = {
        "streets": streets,
        "street_office": office,
        "communities": gpd.GeoDataFrame(rows_c, crs=METRIC_CRS),
        "grids": gpd.GeoDataFrame(rows_g, crs=METRIC_CRS),
    }
    for name, frame in layers.items():
        frame = frame.to_crs(4326)
        if name != "streets":
            frame["geometry"] = frame.geometry.apply(
                lambda g: g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])
            )
        pyogrio.write_dataframe(frame, out_path, layer=name, driver="GPKG")
    return {name: len(frame) for name, frame in layers.items()}
