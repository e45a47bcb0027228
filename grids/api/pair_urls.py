from django.urls import path

from grids.api import pair_views

# Mounted under /api/patrols/ beside the registry's router (stewards.api.urls).
urlpatterns = [
    path("pairs/<int:pk>/dissolve/", pair_views.DissolvePair.as_view(), name="api-pair-dissolve"),
]
