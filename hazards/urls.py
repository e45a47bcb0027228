from django.urls import path

from hazards import views as hazard_views

app_name = "hazards"
urlpatterns = [
    path("report/", hazard_views.report_page, name="report"),
    path("map/", hazard_views.supervisor_map, name="map"),
    path("cases/", hazard_views.cases, name="cases"),
]
