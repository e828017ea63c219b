"""The biller registry (収納機関 and their bills) in the staff admin, and read-only views of 振込 and payments.

A bill that is paid is never edited; a transfer or a payment is never edited or deleted (it is money moved).
"""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from ibank.admin import (
    YEN_AMOUNTS,
    CappedCountPaginator,
    IdSearchMixin,
    LabelledTabularInline,
    ReadOnlyAdminMixin,
    TypedSearchMixin,
    YenFieldsMixin,
    admin_site,
    yen_column,
)

from . import billers
from .models import Bill, Biller, Payment, Transfer


class BillInline(LabelledTabularInline):
    model = Bill
    extra = 1
    formfield_overrides = YEN_AMOUNTS
    fields = ["customer_number", "confirmation_number", "payment_category", "description", "amount", "due_date"]
    can_delete = False
    show_change_link = True

    verbose_name_plural = _("未払いの請求（払込み済の請求は「請求（払込み）」で見られます）")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(paid_at__isnull=True)


@admin.register(Biller, site=admin_site)
class BillerAdmin(TypedSearchMixin, admin.ModelAdmin):
    list_display = ["number", "name", "kind", "is_active", "unpaid"]
    list_filter = ["kind", "is_active"]
    search_fields = ["number", "name", "kana"]
    fields = ["number", "name", "kana", "kind", "is_active", "account_display"]
    readonly_fields = ["account_display"]
    inlines = [BillInline]

    def get_readonly_fields(self, request, obj=None):
        # The number and the kind are what customers type and what bills follow: fixed once created.
        return [*self.readonly_fields, "number", "kind"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("収納機関決済口座"))
    def account_display(self, biller):
        return str(biller.account) if biller.account_id else _("登録時に作成します")

    def get_queryset(self, request):
        unpaid = Count("bills", filter=Q(bills__paid_at__isnull=True))
        return super().get_queryset(request).annotate(unpaid_bills=unpaid)

    @admin.display(description=_("未払いの請求"), ordering="unpaid_bills")
    def unpaid(self, biller):
        return biller.unpaid_bills

    def save_model(self, request, obj, form, change):
        billers.biller_save(actor=request.actor, biller=obj, changed=form.changed_data)

    def save_formset(self, request, form, formset, change):
        for bill in formset.save(commit=False):
            billers.bill_save(actor=request.actor, bill=bill)
        formset.save_m2m()


@admin.register(Bill, site=admin_site)
class BillAdmin(TypedSearchMixin, YenFieldsMixin, admin.ModelAdmin):
    paginator = CappedCountPaginator  # a table that only grows: counted up to a cap, never whole
    show_full_result_count = False
    list_display = ["biller", "customer_number", "description", "amount_yen", "due_date", "paid_at", "paid_reference"]
    amount_yen = yen_column("amount", _("金額"))
    list_filter = ["biller", "due_date"]
    search_fields = ["customer_number", "description", "biller__number", "biller__name", "paid_reference"]
    readonly_fields = ["paid_at", "paid_reference"]
    formfield_overrides = YEN_AMOUNTS

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_paid:  # a paid bill is history, its amount written 1,000円
            return [*(f.name for f in Bill._meta.fields if f.name != "id"), "amount_yen"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        billers.bill_save(actor=request.actor, bill=obj)


#: a 契約者ID (10 digits) or a 受付番号 (14), as a customer reads it out
_IDS = {10: "contract__contract_id", 14: "reference"}


class _ByReference(IdSearchMixin, TypedSearchMixin, ReadOnlyAdminMixin, YenFieldsMixin, admin.ModelAdmin):
    """A movement a clerk looks up for a customer on the phone: by 受付番号 or 契約者ID, with its state, from a
    table that only grows (counted up to a cap, never whole)."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    id_fields = _IDS
    list_filter = ["status"]


@admin.register(Transfer, site=admin_site)
class TransferAdmin(_ByReference):
    """振込 as a clerk looks one up for a customer on the phone: by 受付番号 or 契約者ID, with its state."""

    list_display = ["reference", "contract", "bank_name", "payee_name", "amount_yen", "status", "executed_at"]
    list_select_related = ["contract"]
    amount_yen = yen_column("amount", _("振込金額"))
    fee_yen = yen_column("fee", _("振込手数料"))
    search_fields = ["reference", "contract__contract_id", "payee_name", "payee_number"]
    fields = [
        "reference",
        "contract",
        "from_account",
        "bank_code",
        "bank_name",
        "branch_code",
        "branch_name",
        "payee_kind",
        "payee_number",
        "payee_name",
        "amount_yen",
        "fee_yen",
        "status",
        "scheduled_for",
        "created_at",
        "confirmed_at",
        "executed_at",
        "exported_at",
    ]
    readonly_fields = fields


@admin.register(Payment, site=admin_site)
class PaymentAdmin(_ByReference):
    list_display = ["reference", "contract", "biller_name", "description", "amount_yen", "status", "executed_at"]
    amount_yen = yen_column("amount", _("払込金額"))
    readonly_fields = ["amount_yen"]
    search_fields = ["reference", "contract__contract_id", "biller_number", "customer_number"]
