"""Bounded limit/offset pagination for every list of the API, plain and GeoJSON.

DRF's LimitOffsetPagination passes ``?limit=99999999999999999999`` and any offset through to SQL
(bigint out of range, a 500). Here a bad value is a 400 naming the parameter, ``limit`` is clamped to
``MAX_LIMIT`` (documented in the schema) and ``offset`` is bounded.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from geo.api.params import whole_number

DEFAULT_LIMIT = 500
# The largest page any list returns; a larger ?limit= is answered with this many.
MAX_LIMIT = 5000
MAX_OFFSET = 1_000_000_000


def _bounded(raw: str, name: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) < low:
        raise ValidationError({name: [whole_number(name, low, high)]})
    return int(raw)


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def get_limit(self, request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw in (None, ""):
            return self.default_limit
        return min(_bounded(raw, self.limit_query_param, 1, self.max_limit), self.max_limit)

    def get_offset(self, request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw in (None, ""):
            return 0
        value = _bounded(raw, self.offset_query_param, 0, MAX_OFFSET)
        if value > MAX_OFFSET:
            name = self.offset_query_param
            raise ValidationError({name: [whole_number(name, 0, MAX_OFFSET)]})
        return value

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        limit, offset = super().get_schema_operation_parameters(view)
        limit["schema"].update(minimum=1)
        limit["description"] = (
            f"Number of results to return per page (default {self.default_limit}, "
            f"at most {self.max_limit}: larger values are answered with {self.max_limit})."
        )
        offset["schema"].update(minimum=0, maximum=MAX_OFFSET)
        return [limit, offset]

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paged = super().get_paginated_response_schema(schema)
        paged["required"] = ["count", "next", "previous", "results"]
        return paged


class GeoJsonLimitOffsetPagination(BoundedLimitOffsetPagination):
    """A page of a GeoJSON list: a FeatureCollection with ``count``/``next``/``previous``, as
    drf-gis's GeoJsonPagination, but honouring ``limit``/``offset`` like every other list."""

    def get_paginated_response(self, data: dict) -> Response:
        return Response(
            {
                "type": "FeatureCollection",
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "features": data["features"],
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paged = super().get_paginated_response_schema(schema)
        props = paged["properties"]
        features = props.pop("results")
        # drf-spectacular passes drf-gis' list serializer as a reference to its FeatureCollection
        # component "<Feature>List": the page's features are an array of "<Feature>".
        ref = features.get("$ref", "")
        if ref.endswith("List"):
            features = {"type": "array", "items": {"$ref": ref.removesuffix("List")}}
        elif features.get("type") == "object" and "features" in features.get("properties", {}):
            features = features["properties"]["features"]
        paged["properties"] = {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            **props,
            "features": features,
        }
        paged["required"] = ["type", "count", "next", "previous", "features"]
        return paged
