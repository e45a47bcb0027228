"""GeoJSON for map layers: the one place that assembles Features and FeatureCollections.

The API's resources are model rows and go through drf-gis serializers (``*/api/serializers.py``).
Map layers are different: their properties are computed (a claim's state, a pair's colour, a
walked share, a Gi* class) and their geometry is rendered by PostGIS (``AsGeoJSON``, 6 decimals,
~10 cm) or by shapely, so they are built here from plain rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any


def feature(geometry: Mapping[str, Any] | str, properties: Mapping[str, Any]) -> dict:
    """A Feature; ``geometry`` as a GeoJSON dict or as the JSON text PostGIS returns."""
    geom = json.loads(geometry) if isinstance(geometry, str) else dict(geometry)
    return {"type": "Feature", "geometry": geom, "properties": dict(properties)}


def feature_collection(features: Iterable[dict]) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def rows_collection(rows: Iterable[dict], geometry_key: str = "gj") -> dict:
    """A FeatureCollection from ``.values()`` rows: ``geometry_key`` holds the geometry as JSON
    text (``AsGeoJSON``), every other key becomes a property."""
    return feature_collection(
        feature(r[geometry_key], {k: v for k, v in r.items() if k != geometry_key}) for r in rows
    )
