from django.urls import path
from rest_framework.routers import DefaultRouter

from geo.api import views
from geo.api.basemap_views import basemap_view

router = DefaultRouter()
router.register("street-offices", views.StreetOfficeViewSet)
router.register("communities", views.CommunityViewSet)
router.register("grids", views.GridViewSet)
router.register("segments", views.SegmentViewSet)
urlpatterns = [path("basemap/", basemap_view, name="basemap"), *router.urls]
