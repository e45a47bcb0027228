"""The planner's street-network update page (mounted at /plan/network/)."""

from django.urls import path

from grids import network_views as views

app_name = "network"
urlpatterns = [
    path("<int:street_office>/", views.network_page, name="page"),
    path("<int:street_office>/apply/<str:token>/", views.network_apply, name="apply"),
    path("<int:street_office>/imports/<int:run>/", views.network_import, name="import"),
    path("<int:street_office>/imports/<int:run>/undo/", views.network_undo, name="undo"),
]
