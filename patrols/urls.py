from django.urls import path

from patrols import views

app_name = "patrols"
urlpatterns = [
    path("compliance/", views.compliance_table, name="compliance"),
    path("pairs/<int:pair_id>/calendar/", views.pair_calendar, name="pair-calendar"),
]
