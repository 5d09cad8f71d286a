from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from backend.api import api
from backend.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("public/", include("disbursement.portal.urls")),
    path("", include("disbursement.urls")),
    # Browsers ask for /favicon.ico whatever the page's <link rel=icon> says.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"), permanent=True)),
]

# Error pages in the site's layout (backend/error_views.py); CSRF failures use the 403 page (settings).
handler400 = "backend.error_views.bad_request"
handler403 = "backend.error_views.permission_denied"
handler404 = "backend.error_views.page_not_found"
handler500 = "backend.error_views.server_error"
