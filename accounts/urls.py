from django.urls import path

from . import views

urlpatterns = [
    path("logout/", views.logout_view, name="accounts-logout"),
    path("menu/suspend/", views.suspend_view, name="accounts-suspend"),
]
