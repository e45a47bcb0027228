from django.urls import path
from rest_framework.routers import DefaultRouter

from patrols.api import verdict_views, views

router = DefaultRouter()
router.register("stewards", views.StewardViewSet, basename="steward")
router.register("pairs", views.PairViewSet, basename="pair")
router.register("settings", views.ProgrammeSettingsViewSet, basename="programme-settings")
urlpatterns = [
    path("verdicts/", verdict_views.VerdictList.as_view(), name="api-verdicts"),
    path(
        "pairs/<int:pair_id>/evaluate/",
        verdict_views.EvaluatePairDay.as_view(),
        name="api-evaluate-pair-day",
    ),
    *router.urls,
]
