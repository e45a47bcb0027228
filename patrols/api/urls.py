from django.urls import path

from patrols.api import views

urlpatterns = [
    path("verdicts/", views.VerdictList.as_view(), name="api-verdicts"),
    path(
        "pairs/<int:pair_id>/evaluate/",
        views.EvaluatePairDay.as_view(),
        name="api-evaluate-pair-day",
    ),
]
