from django.urls import path

from recorder.api import views

app_name = "recorder-api"
urlpatterns = [
    path("", views.RecordingOpenView.as_view(), name="open"),
    path("claim/", views.ClaimView.as_view(), name="claim"),
    path("live/", views.LiveView.as_view(), name="live"),
    path("<uuid:pk>/batches/", views.BatchView.as_view(), name="batches"),
    path("<uuid:pk>/finish/", views.FinishView.as_view(), name="finish"),
    path("<uuid:pk>/status/", views.StatusView.as_view(), name="status"),
]
