from rest_framework.routers import DefaultRouter

from stewards.api import views

router = DefaultRouter()
router.register("stewards", views.StewardViewSet, basename="steward")
router.register("pairs", views.PairViewSet, basename="pair")
router.register("settings", views.ProgrammeSettingsViewSet, basename="programme-settings")
urlpatterns = router.urls
