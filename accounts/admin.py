from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from ibank.admin import ReadOnlyAdminMixin, YenFieldsMixin, admin_site, yen_column

from . import staff
from .models import Account, StaffDevice, User


@admin.register(User, site=admin_site)
class IbankUserAdmin(UserAdmin):
    """Staff accounts only. Customers' users (is_active, is_staff, groups) are never edited here:
    a customer's state changes only through the branch operations, with a reason."""

    list_display = ["username", "is_staff", "is_active", "last_login"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(contract__isnull=True)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return request.user.is_superuser


class AccountInline(admin.TabularInline):
    model = Account
    extra = 0
    fields = ["branch_code", "branch_name", "kind", "number", "holder_kana", "balance_yen"]
    readonly_fields = fields
    can_delete = False
    balance_yen = yen_column("balance", _("残高"))

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Account, site=admin_site)
class AccountAdmin(ReadOnlyAdminMixin, YenFieldsMixin, admin.ModelAdmin):
    """Accounts are opened and named by the bank's core systems; here they are only read (balances move
    through the ledger)."""

    list_display = ["branch_code", "kind", "number", "holder_kana", "balance_yen", "contract", "purpose"]
    balance_yen = yen_column("balance", _("残高"))
    readonly_fields = ["balance_yen"]
    list_filter = ["purpose", "kind"]
    search_fields = ["number", "holder_kana", "contract__contract_id"]


@admin.register(StaffDevice, site=admin_site)
class StaffDeviceAdmin(admin.ModelAdmin):
    """Staff devices can be listed and removed (a lost phone), never added or read: the owner enrolls their own."""

    list_display = ["owner", "device_name", "is_confirmed"]
    fields = ["owner", "device_name", "is_confirmed"]  # never the key
    readonly_fields = fields

    @admin.display(description=_("職員"))
    def owner(self, device):
        return device.user.get_username()

    @admin.display(description=_("名前"))
    def device_name(self, device):
        return device.name

    @admin.display(description=_("登録完了"), boolean=True)
    def is_confirmed(self, device):
        return device.confirmed

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        staff.staff_device_delete(actor=request.actor, device=obj)
