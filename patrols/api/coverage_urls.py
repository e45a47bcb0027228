from django.urls import path

from patrols.api import coverage_views

# Walked coverage (share of length patrolled) over a period, mounted under /api/grids/.
urlpatterns = [
    path("coverage/", coverage_views.CoverageGeoJSON.as_view(), name="api-coverage"),
    path(
        "coverage/tiles/<int:z>/<int:x>/<int:y>.pbf",
        coverage_views.CoverageTile.as_view(),
        name="api-coverage-tile",
    ),
    path(
        "coverage/summary/", coverage_views.CoverageSummary.as_view(), name="api-coverage-summary"
    ),
]
