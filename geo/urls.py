from django.urls import path

from geo import views

app_name = "geo"
urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.district_map, name="district-map"),
    path("map/<str:code>/", views.district_map, name="district-map-office"),
]
