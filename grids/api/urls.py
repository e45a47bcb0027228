from django.urls import path

from grids.api import views

urlpatterns = [
    path("coverage/", views.CoverageGeoJSON.as_view(), name="api-coverage"),
    path(
        "coverage/tiles/<int:z>/<int:x>/<int:y>.pbf",
        views.CoverageTile.as_view(),
        name="api-coverage-tile",
    ),
    path("coverage/summary/", views.CoverageSummary.as_view(), name="api-coverage-summary"),
]
