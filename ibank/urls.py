from django.urls import include, path
from django.views.generic import RedirectView

from .admin import admin_site
from .health import health_view

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts-login", permanent=False)),
    path("", include("accounts.urls")),
    path("", include("otp.urls")),
    path("", include("passkeys.urls")),
    path("", include("payments.urls")),
    path("", include("mobile.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz/", health_view, name="health"),
    path("", include("notices.urls")),
    path("admin/", admin_site.urls),
]

handler404 = "ibank.errors.not_found"
