from django.urls import path

from recorder import views

app_name = "recorder"
urlpatterns = [
    path("", views.patrol, name="patrol"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="sw"),
    path("live/", views.live_map, name="live"),
]
