from django.urls import path
from rest_framework.routers import DefaultRouter

from grids.api import views

router = DefaultRouter()
router.register("communities", views.CommunityViewSet, basename="community")
router.register("segments", views.SegmentViewSet, basename="segment")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("changes", views.AssignmentChangeViewSet, basename="assignment-change")
urlpatterns = [
    path("assign/", views.assign_view, name="assign"),
    path("unassign/", views.unassign_view, name="unassign"),
    # Planning coverage (share of length assigned) per street office; walked coverage (share of
    # length patrolled) is patrols.api.coverage_urls, mounted beside this module.
    path("coverage/<int:street_office>/", views.coverage_view, name="coverage"),
    path("boards/<int:community>/", views.board_view, name="board-data"),
    *router.urls,
]
