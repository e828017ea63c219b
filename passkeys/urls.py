from django.urls import path

from . import login, views

urlpatterns = [
    path("login/passkey/", login.login_view, name="passkeys-login"),
    path("menu/passkeys/", views.passkeys_view, name="passkeys"),
    path("menu/passkeys/authorize/", views.register_authorize_view, name="passkeys-authorize"),
    path("menu/passkeys/begin/", views.register_begin_view, name="passkeys-begin"),
    path("menu/passkeys/complete/", views.register_complete_view, name="passkeys-complete"),
    path("menu/passkeys/<int:pk>/remove/", views.remove_view, name="passkeys-remove"),
]
