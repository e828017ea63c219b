from django.contrib.auth.views import LogoutView
from django.urls import include, path
from two_factor.urls import urlpatterns as two_factor_urls

from . import views

urlpatterns = [
    path("", include(two_factor_urls)),
    path("", views.home, name="home"),
    path("logout/", LogoutView.as_view(), name="logout"),
]
