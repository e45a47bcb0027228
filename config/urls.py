from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
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
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("plan/", include("grids.urls")),
    path("plan/", include("stewards.urls")),
    path("plan/coverage/", include("patrols.coverage_urls")),
    path("tracks/", include("patrols.tracks.urls")),
    path("credits/", include("credits.urls")),
    path("hazards/", include("hazards.urls")),
    path("", include("geo.urls")),
    path("patrols/", include("patrols.urls")),
    path("patrol/", include("recorder.urls")),
    prefix_default_language=False,
)
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
