from django.urls import path

from patrols import pair_day_map, views

app_name = "patrols"
urlpatterns = [
    path("compliance/", views.compliance_table, name="compliance"),
    path("pairs/<int:pair_id>/calendar/", views.pair_calendar, name="pair-calendar"),
    path("pairs/<int:pair_id>/days/<str:day>/", pair_day_map.pair_day_map, name="pair-day"),
]
