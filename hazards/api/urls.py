from django.urls import path
from rest_framework.routers import DefaultRouter

from hazards.api import views

router = DefaultRouter()
router.register("reports", views.ReportViewSet, basename="hazard-report")
router.register("categories", views.CategoryViewSet, basename="hazard-category")
urlpatterns = [
    path("duplicates/", views.duplicates, name="hazard-duplicates"),
    path("kpis/", views.kpi_view, name="hazard-kpis"),
    path("hotspots/", views.hotspot_view, name="hazard-hotspots"),
    *router.urls,
]
