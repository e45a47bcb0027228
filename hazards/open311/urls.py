from django.urls import re_path

from hazards.open311 import views

app_name = "open311"
_F = r"\.(?P<fmt>[a-z]+)$"
urlpatterns = [
    re_path(r"^discovery" + _F, views.discovery, name="discovery"),
    re_path(r"^services" + _F, views.services, name="services"),
    re_path(r"^services/(?P<code>[-\w]+)" + _F, views.service_definition, name="service"),
    re_path(r"^requests" + _F, views.requests_, name="requests"),
    re_path(r"^requests/(?P<rid>[^/.]+)" + _F, views.request_detail, name="request"),
]
