from django.urls import path

from jobs.views import JobStatusView

urlpatterns = [path("<int:job_id>/", JobStatusView.as_view(), name="job-status")]
