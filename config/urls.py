from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from hazards.media import hazard_photo
from ops.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/geo/", include("geo.api.urls")),
    path("api/patrols/", include("patrols.api.urls")),
    path("api/patrols/", include("grids.api.pair_urls")),
    path("api/patrols/", include("stewards.api.urls")),
    path("api/grids/", include("grids.api.urls")),
    path("api/grids/", include("patrols.api.coverage_urls")),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/tracks/", include("patrols.api.track_urls")),
    path("api/credits/", include("credits.api.urls")),
    path("api/hazards/", include("hazards.api.urls")),
    path("api/recordings/", include("recorder.api.urls")),
    path("open311/v2/", include("hazards.open311.urls")),
    path("api/jobs/", include("jobs.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("plan/", include("grids.urls")),
    path("plan/", include("stewards.urls")),
    path("plan/coverage/", include("patrols.coverage_urls")),
    path("plan/network/", include("grids.network_urls")),
    path("tracks/", include("patrols.tracks.urls")),
    path("credits/", include("credits.urls")),
    path("hazards/", include("hazards.urls")),
    path("", include("geo.urls")),
    path("patrols/", include("patrols.urls")),
    path("patrol/", include("recorder.urls")),
    prefix_default_language=False,
)
# MEDIA is never served as a whole (raw GPS files are personal data, even with DEBUG): hazard photos
# are public (hazards.media), originals of tracks go through /api/tracks/uploads/<id>/original/.
urlpatterns += [re_path(r"^media/hazards/(?P<path>.+)$", hazard_photo, name="hazard-photo")]

# Friendly error pages in the person's language (DEBUG off); API paths answer JSON. A database that
# went away is a 503 with Retry-After (ops.unavailable), anything else the friendly 500 (geo.errors).
handler403 = "geo.errors.forbidden"
handler404 = "geo.errors.not_found"
handler500 = "ops.unavailable.server_error"
