from django.urls import path

from . import environment_views, login, login_history, menu, settings_views, views

urlpatterns = [
    path("login/", login.login_view, name="accounts-login"),
    path("logout/", views.logout_view, name="accounts-logout"),
    path("menu/", menu.menu_view, name="accounts-menu"),
    path("menu/suspend/", views.suspend_view, name="accounts-suspend"),
    path("menu/logins/", login_history.login_history_view, name="accounts-login-history"),
    path("menu/environments/", environment_views.environments_view, name="accounts-environments"),
    path(
        "menu/environments/<int:pk>/remove/",
        environment_views.environment_remove_view,
        name="accounts-environment-remove",
    ),
    path("menu/environments/notices/", environment_views.login_notices_view, name="accounts-login-notices"),
    path("menu/password/", settings_views.password_view, name="accounts-password"),
    path("menu/transfer-password/", settings_views.transfer_password_view, name="accounts-transfer-password"),
    # The URL names keep the room these pages were first in (templates and bookmarks use them).
    path("limit/", settings_views.limit_view, name="transfers-limit"),
    path("limit/authorize/", settings_views.limit_authorize_view, name="transfers-limit-authorize"),
    path("limit/cancel/", settings_views.limit_cancel_view, name="transfers-limit-cancel"),
    path("email/", settings_views.email_view, name="transfers-email"),
    path("email/authorize/", settings_views.email_authorize_view, name="transfers-email-authorize"),
]
