from django.urls import path

from patrols.api import tracks

app_name = "tracks-api"
urlpatterns = [
    path("", tracks.TrackListView.as_view(), name="list"),
    path("upload/", tracks.TrackUploadView.as_view(), name="upload"),
    path("<int:pk>/", tracks.TrackDetailView.as_view(), name="detail"),
    path("uploads/<int:pk>/original/", tracks.TrackOriginalView.as_view(), name="original"),
]
