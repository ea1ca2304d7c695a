"""The URL map: pages, the REST API under /api/, the admin under /admin/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

api_patterns = [
    path("", include("thuocdo.core.api_urls")),
    path("", include("thuocdo.org.api_urls")),
    path("", include("thuocdo.exchange.api_urls")),
    path("", include("thuocdo.tasks.api_urls")),
    path("", include("thuocdo.notifications.api_urls")),
    path("", include("thuocdo.accountability.api_urls")),
    path("", include("thuocdo.evaluations.api_urls")),
    path("", include("thuocdo.citizens.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]

urlpatterns = [
    path("", include("thuocdo.core.urls")),
    path("accounts/", include("thuocdo.accounts.urls")),
    path("org/", include("thuocdo.org.urls")),
    path("tasks/", include("thuocdo.tasks.urls")),
    path("inbox/", include("thuocdo.notifications.urls")),
    path("accountability/", include("thuocdo.accountability.urls")),
    path("scores/", include("thuocdo.evaluations.urls")),
    path("citizens/", include("thuocdo.citizens.urls")),
    path("exchange/", include("thuocdo.exchange.urls")),
    path("phan-anh/", include("thuocdo.citizens.public_urls")),
    path("open311/v2/", include("thuocdo.citizens.open311_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
]

#: an unknown route or a crash under /api/ or /open311/ answers in the client's format
handler404 = "thuocdo.core.views.page_not_found"
handler500 = "thuocdo.core.views.server_error"
