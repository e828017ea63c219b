from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.login_view, name="accounts-login"),
    path("login/otp/", views.login_otp_view, name="accounts-login-otp"),
    path("menu/", views.menu_view, name="accounts-menu"),
    path("logout/", views.logout_view, name="accounts-logout"),
    path("menu/suspend/", views.suspend_view, name="accounts-suspend"),
]
