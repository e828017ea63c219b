from django.urls import path

from . import views

urlpatterns = [
    path("m/", views.login_view, name="mobile-login"),
    path("m/menu/", views.menu_view, name="mobile-menu"),
    path("m/history/<int:pk>/", views.history_view, name="mobile-history"),
    path("m/logout/", views.logout_view, name="mobile-logout"),
]
