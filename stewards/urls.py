from django.urls import path

from stewards import views

app_name = "stewards"
urlpatterns = [
    path("stewards/<int:street_office>/", views.registry_page, name="registry"),
]
