from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ibank.admin import (
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    TypedSearchMixin,
    YenFieldsMixin,
    admin_site,
    yen_column,
)

from .models import Account


class AccountInline(ReadOnlyTabularInline):
    model = Account
    fields = ["branch_code", "branch_name", "kind", "number", "holder_kana", "balance_yen"]
    readonly_fields = fields
    balance_yen = yen_column("balance", _("残高"))


@admin.register(Account, site=admin_site)
class AccountAdmin(TypedSearchMixin, ReadOnlyAdminMixin, YenFieldsMixin, admin.ModelAdmin):
    """Accounts are opened and named by the bank's core systems; here they are only read (balances move
    through the ledger)."""

    list_display = ["branch_code", "kind", "number", "holder_kana", "balance_yen", "contract", "purpose"]
    list_select_related = ["contract"]  # nullable (the bank's own accounts): not followed by default
    balance_yen = yen_column("balance", _("残高"))
    readonly_fields = ["balance_yen"]
    list_filter = ["purpose", "kind"]
    search_fields = ["number", "holder_kana", "contract__contract_id"]
