from rest_framework.routers import DefaultRouter

from geo.api import views

router = DefaultRouter()
router.register("street-offices", views.StreetOfficeViewSet)
router.register("communities", views.CommunityViewSet)
router.register("grids", views.GridViewSet)
router.register("segments", views.SegmentViewSet)
urlpatterns = router.urls
