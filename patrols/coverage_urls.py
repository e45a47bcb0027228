from django.urls import path

from patrols import coverage_views

# The walked-coverage map, under /plan/coverage/ beside the planning pages.
app_name = "coverage"
urlpatterns = [
    path("map/", coverage_views.coverage_map, name="map"),
]
