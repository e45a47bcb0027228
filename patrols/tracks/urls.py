from django.urls import path

from patrols.tracks import views

app_name = "tracks"
urlpatterns = [path("upload/", views.upload_track, name="upload")]
