from django.urls import path

from . import flows, login, views

urlpatterns = [
    path("login/otp/", login.login_otp_view, name="accounts-login-otp"),
    path("token/", views.issue_index_view, name="otp-issue"),
    path("token/issue/", views.issue_view, name="otp-issue-create"),
    path("token/mobile/", views.issued_mobile_view, name="otp-issue-mobile"),
    path("token/status/", views.desktop_status_view, name="otp-desktop-status"),
    path("token/desktop/", views.desktop_token_view, name="otp-desktop"),
    path("otp/register/", flows.register_auth_view, name="otp-register"),
    path("otp/register/token/", flows.register_token_view, name="otp-register-token"),
    path("otp/exchange/", flows.exchange_old_view, name="otp-exchange-old"),
    path("otp/exchange/new/", flows.exchange_new_view, name="otp-exchange-new"),
    path("otp/stop/", flows.stop_auth_view, name="otp-stop"),
    path("otp/stop/otp/", flows.stop_otp_view, name="otp-stop-otp"),
    path("otp/cancel/", flows.cancel_view, name="otp-cancel"),
    path("otp/result/", flows.result_view, name="otp-result"),
    path("otp/guide/", flows.guide_view, name="otp-guide"),
]
