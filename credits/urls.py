from django.urls import path

from credits import views as v

app_name = "credits"
urlpatterns = [
    path("me/", v.my_quarter, name="me"),
    path("steward/<int:steward_id>/<str:quarter>/", v.steward_quarter, name="steward"),
    path("assessment/<int:assessment_id>/confirm/", v.confirm, name="confirm"),
    path("<str:code>/<str:quarter>/", v.quarter_board, name="quarter"),
    path("<str:code>/<str:quarter>/export.xlsx", v.export, name="export"),
]
