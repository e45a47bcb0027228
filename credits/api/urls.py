from django.urls import path

from credits.api import views as v

urlpatterns = [
    path("me/", v.my_points, name="credits-api-me"),
    path("stewards/<int:steward_id>/", v.steward_points, name="credits-api-steward"),
    path("board/", v.board, name="credits-api-board"),
    path("supermarkets/", v.supermarkets, name="credits-api-supermarkets"),
    path("redemptions/", v.redeem, name="credits-api-redeem"),
    path("corrections/", v.correct, name="credits-api-correct"),
    path("assessments/", v.assessments, name="credits-api-assessments"),
    path("assessments/<int:assessment_id>/confirm/", v.confirm, name="credits-api-confirm"),
    path("replacement-tasks/", v.replacement_tasks, name="credits-api-replacements"),
    path(
        "replacement-tasks/<int:task_id>/close/",
        v.close_replacement_task,
        name="credits-api-replacement-close",
    ),
    path("rules/", v.rules, name="credits-api-rules"),
    path("export.xlsx", v.export_xlsx, name="credits-api-export"),
]
