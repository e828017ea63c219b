from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.login_view, name="accounts-login"),
    path("menu/", views.menu_view, name="accounts-menu"),
    path("logout/", views.logout_view, name="accounts-logout"),
]
