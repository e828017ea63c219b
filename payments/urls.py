from django.urls import path, re_path

from accounts.decorators import customer_required
from zengin import search as bank_search

from . import payeasy_views, views

REF = r"(?P<reference>[0-9]{14})"

urlpatterns = [
    path("transfer/", views.new_view, name="transfers-new"),
    path("transfer/banks/", bank_search.bank_search_view, name="transfers-banks"),
    re_path(r"^transfer/banks/(?P<bank_code>[0-9]{4})/$", bank_search.branch_search_view, name="transfers-branches"),
    re_path(rf"^transfer/{REF}/$", views.result_view, name="transfers-result"),
    re_path(rf"^transfer/{REF}/edit/$", views.edit_view, name="transfers-edit"),
    re_path(rf"^transfer/{REF}/confirm/$", views.confirm_view, name="transfers-confirm"),
    re_path(rf"^transfer/{REF}/authorize/$", views.authorize_view, name="transfers-authorize"),
    re_path(rf"^transfer/{REF}/cancel/$", views.cancel_view, name="transfers-cancel"),
    re_path(
        rf"^transfer/{REF}/reservation/cancel/$", views.reservation_cancel_view, name="transfers-reservation-cancel"
    ),
    re_path(rf"^transfer/{REF}/payee/$", views.save_payee_view, name="transfers-save-payee"),
    path("transfer/inquiry/", views.inquiry_view, name="transfers-inquiry"),
    path("payees/", views.payees_view, name="transfers-payees"),
    path("payees/<int:pk>/delete/", views.payee_delete_view, name="transfers-payee-delete"),
    path("accounts/<int:pk>/history/", views.history_view, name="transfers-history"),
    path("payeasy/", customer_required(payeasy_views.start_view), name="payeasy-new"),
    path("payeasy/numbers/", customer_required(payeasy_views.numbers_view), name="payeasy-numbers"),
    re_path(rf"^payeasy/{REF}/$", customer_required(payeasy_views.result_view), name="payeasy-result"),
    re_path(rf"^payeasy/{REF}/confirm/$", customer_required(payeasy_views.confirm_view), name="payeasy-confirm"),
    re_path(rf"^payeasy/{REF}/authorize/$", customer_required(payeasy_views.authorize_view), name="payeasy-authorize"),
    re_path(rf"^payeasy/{REF}/cancel/$", customer_required(payeasy_views.cancel_view), name="payeasy-cancel"),
]
