from django.urls import path

from hazards import case_views, follow_views
from hazards import views as hazard_views
from hazards.api.views import ReportViewSet, duplicates

app_name = "hazards"
urlpatterns = [
    path("report/", hazard_views.report_page, name="report"),
    # The API's create and duplicate check, under the page's language prefix, so refusals and
    # status names come in the page's language (unprefixed /api/ URLs are always Chinese).
    path("report/send/", ReportViewSet.as_view({"post": "create"}), name="report-send"),
    path("report/nearby/", duplicates, name="report-nearby"),
    path("map/", hazard_views.supervisor_map, name="map"),
    path("cases/", hazard_views.cases, name="cases"),
    path("cases/<int:pk>/", case_views.case_page, name="case"),
    path("tasks/", case_views.tasks_page, name="tasks"),
    path("photos/<int:pk>/<str:size>/", case_views.photo, name="photo"),
    path("follow/", follow_views.follow_lookup, name="follow-lookup"),
    path("follow/<int:pk>/<str:code>/", follow_views.follow_page, name="follow"),
    path(
        "follow/<int:pk>/<str:code>/photos/<int:photo_pk>/<str:size>/",
        follow_views.follow_photo,
        name="follow-photo",
    ),
]
