from django.urls import path

from recorder import views

app_name = "recorder"
urlpatterns = [
    path("live/", views.live_map, name="live"),
]
