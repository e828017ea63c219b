from django.urls import path, re_path

from accounts import login as account_login
from accounts import settings_views
from accounts import views as account_views
from payments import payeasy_views

from . import views
from .views import MOBILE, mobile_customer_required

REF = r"(?P<reference>[0-9]{14})"
UI = {"ui": MOBILE}

urlpatterns = [
    path(
        "m/", account_login.login_view, {"template": "mobile/login.html", "then": views.signed_in}, name="mobile-login"
    ),
    path("m/menu/", views.menu_view, name="mobile-menu"),
    path("m/history/<int:pk>/", views.history_view, name="mobile-history"),
    path("m/logout/", account_views.logout_view, {"then": "mobile-login"}, name="mobile-logout"),
    path(
        "m/password/", mobile_customer_required(settings_views.password_view), {"phone": True}, name="mobile-password"
    ),
    path(
        "m/transfer-password/",
        mobile_customer_required(settings_views.transfer_password_view),
        {"phone": True},
        name="mobile-transfer-password",
    ),
    path("m/transfer/", views.transfer_payees_view, name="mobile-transfer"),
    path("m/transfer/payee/<int:pk>/", views.transfer_input_view, name="mobile-transfer-input"),
    re_path(rf"^m/transfer/{REF}/$", views.transfer_result_view, name="mobile-transfer-result"),
    re_path(rf"^m/transfer/{REF}/confirm/$", views.transfer_confirm_view, name="mobile-transfer-confirm"),
    re_path(rf"^m/transfer/{REF}/authorize/$", views.transfer_authorize_view, name="mobile-transfer-authorize"),
    path("m/payeasy/", mobile_customer_required(payeasy_views.start_view), UI, name="mobile-payeasy-new"),
    path("m/payeasy/numbers/", mobile_customer_required(payeasy_views.numbers_view), UI, name="mobile-payeasy-numbers"),
    re_path(
        rf"^m/payeasy/{REF}/$", mobile_customer_required(payeasy_views.result_view), UI, name="mobile-payeasy-result"
    ),
    re_path(
        rf"^m/payeasy/{REF}/confirm/$",
        mobile_customer_required(payeasy_views.confirm_view),
        UI,
        name="mobile-payeasy-confirm",
    ),
    re_path(
        rf"^m/payeasy/{REF}/authorize/$",
        mobile_customer_required(payeasy_views.authorize_view),
        UI,
        name="mobile-payeasy-authorize",
    ),
    re_path(
        rf"^m/payeasy/{REF}/cancel/$",
        mobile_customer_required(payeasy_views.cancel_view),
        UI,
        name="mobile-payeasy-cancel",
    ),
]
