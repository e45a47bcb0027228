from django.urls import path
from rest_framework.routers import DefaultRouter

from grids.api import views
from patrols.api import coverage_views

router = DefaultRouter()
router.register("communities", views.CommunityViewSet, basename="community")
router.register("segments", views.SegmentViewSet, basename="segment")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("changes", views.AssignmentChangeViewSet, basename="assignment-change")
urlpatterns = [
    path("assign/", views.assign_view, name="assign"),
    path("unassign/", views.unassign_view, name="unassign"),
    # Planning coverage (share of length assigned) per street office ...
    path("coverage/<int:street_office>/", views.coverage_view, name="coverage"),
    # ... and walked coverage (share of length patrolled) over a period.
    path("coverage/", coverage_views.CoverageGeoJSON.as_view(), name="api-coverage"),
    path(
        "coverage/tiles/<int:z>/<int:x>/<int:y>.pbf",
        coverage_views.CoverageTile.as_view(),
        name="api-coverage-tile",
    ),
    path(
        "coverage/summary/", coverage_views.CoverageSummary.as_view(), name="api-coverage-summary"
    ),
    path("boards/<int:community>/", views.board_view, name="board-data"),
    *router.urls,
]
