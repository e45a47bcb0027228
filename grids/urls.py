from django.urls import path

from grids import views

app_name = "grids"
urlpatterns = [
    path("coverage/map/", views.coverage_map, name="coverage-map"),
]
