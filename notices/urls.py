from django.urls import path

from .health import notices_health_view

urlpatterns = [path("healthz/notices/", notices_health_view, name="health-notices")]
