from django.contrib import admin
from django.urls import include, path
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
]
