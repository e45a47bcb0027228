from django.urls import path

from patrols.api import verdict_views

# Mounted under /api/patrols/ before stewards.api.urls, whose router owns pairs/<pk>/.
urlpatterns = [
    path("verdicts/", verdict_views.VerdictList.as_view(), name="api-verdicts"),
    path(
        "pairs/<int:pair_id>/evaluate/",
        verdict_views.EvaluatePairDay.as_view(),
        name="api-evaluate-pair-day",
    ),
]
