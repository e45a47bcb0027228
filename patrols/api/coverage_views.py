"""Coverage API: GeoJSON of segments with share walked / patrol count, and roll-ups."""

from __future__ import annotations

from datetime import date

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.access import supervised_office
from patrols import coverage_queries as queries
from patrols.api.tile_fast_path import period_of, tile_response, valid_tile, with_fast_path

PERIOD_PARAMS = [
    OpenApiParameter("office", str, description="街道代码（默认：您所属的街道）"),
    OpenApiParameter("from", OpenApiTypes.DATE, description="开始日期（含），默认 7 天前"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="结束日期（含），默认今天"),
]


def _period(request) -> tuple[date, date]:
    return period_of(request.query_params)


def _bbox(request) -> tuple[float, float, float, float] | None:
    raw = request.query_params.get("bbox")
    if not raw:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in raw.split(","))
    except ValueError as exc:
        raise ValidationError(
            {"bbox": _("bbox 应为 经度最小,纬度最小,经度最大,纬度最大（WGS-84）")}
        ) from exc
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise ValidationError({"bbox": _("bbox 范围无效")})
    return minx, miny, maxx, maxy


class CoverageGeoJSON(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="grids_walked_coverage",
        parameters=[
            *PERIOD_PARAMS,
            OpenApiParameter(
                "by", str, enum=["anyone", "pair"], description="anyone：所有组；pair：仅认领组本身"
            ),
            OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat (WGS-84)"),
            OpenApiParameter("zoom", int, description="地图缩放级别，用于简化线形"),
        ],
        responses={200: OpenApiTypes.OBJECT},
        description="街道内每条街巷段在期间内的走过比例（share）、巡查次数（patrols）、最后巡查时间（last），GeoJSON。",
    )
    def get(self, request):
        office = supervised_office(request)
        start, end = _period(request)
        zoom = request.query_params.get("zoom", "")
        # Simplify below street zoom: about a screen pixel in degrees.
        tolerance = (
            360 / (256 * 2 ** int(zoom))
            if zoom.isascii() and zoom.isdigit() and int(zoom) < 16
            else 0.0
        )
        doc = queries.coverage_geojson(
            office.id,
            start,
            end,
            by_pair=request.query_params.get("by") == "pair",
            bbox=_bbox(request),
            tolerance=tolerance,
        )
        return HttpResponse(doc, content_type="application/geo+json")


class CoverageSummary(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[*PERIOD_PARAMS, OpenApiParameter("level", str, enum=list(queries.ROLLUP_KEYS))],
        responses={200: OpenApiTypes.OBJECT},
        description="认领街巷长度中被本组走过的比例，按组 / 社区 / 网格 / 街道汇总。",
    )
    def get(self, request):
        office = supervised_office(request)
        start, end = _period(request)
        level = request.query_params.get("level", "office")
        if level not in queries.ROLLUP_KEYS:
            raise ValidationError({"level": _("level 只能是 pair、community、grid 或 office")})
        rows = queries.coverage_rollup(office.id, start, end, level)
        return Response(
            {"office": office.code, "from": start, "to": end, "level": level, "results": rows}
        )


class CoverageTile(APIView):
    permission_classes = [IsAuthenticated]

    @classmethod
    def as_view(cls, **initkwargs):
        # A good request from a logged-in session is answered without DRF's machinery
        # (patrols/api/tile_fast_path.py); everything else here, as before.
        return with_fast_path(super().as_view(**initkwargs))

    @extend_schema(
        parameters=[*PERIOD_PARAMS, OpenApiParameter("by", str, enum=["anyone", "pair"])],
        responses={(200, "application/vnd.mapbox-vector-tile"): OpenApiTypes.BINARY},
        description="覆盖地图的矢量切片（Mapbox Vector Tile，图层 coverage：要素 id 为路段 id，属性 share、patrols、claimed；路段名称和长度见 /api/geo/segments/{id}/）。",
    )
    def get(self, request, z: int, x: int, y: int):
        if not valid_tile(z, x, y):
            raise ValidationError({"tile": _("切片坐标无效")})
        office = supervised_office(request, only=("id",))  # not the boundary, per tile
        start, end = _period(request)
        tile = queries.coverage_tile(
            office.id, z, x, y, start, end, by_pair=request.query_params.get("by") == "pair"
        )
        return tile_response(tile)
