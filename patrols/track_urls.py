from django.urls import path

from patrols import track_views

app_name = "tracks"
urlpatterns = [path("upload/", track_views.upload_track, name="upload")]
