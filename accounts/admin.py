from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from ibank.admin import ReadOnlyAdminMixin, admin_site

from . import audit
from .models import Account, AuditEntry, Contract, StaffDevice, User


@admin.register(User, site=admin_site)
class IbankUserAdmin(UserAdmin):
    list_display = ["username", "is_staff", "is_active", "last_login"]


class AccountInline(admin.TabularInline):
    model = Account
    extra = 0
    fields = ["branch_code", "branch_name", "kind", "number", "holder_kana", "balance"]
    readonly_fields = ["balance"]


@admin.register(Contract, site=admin_site)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["contract_id", "name", "transaction_method", "login_locked_at", "ib_suspended_at", "created_at"]
    list_filter = ["transaction_method"]
    search_fields = ["contract_id", "name", "email"]
    readonly_fields = [
        "user",
        "login_failures",
        "login_locked_at",
        "transaction_failures",
        "transaction_locked_at",
        "token_setup_failures",
        "token_setup_locked_at",
        "ib_suspended_at",
    ]
    inlines = [AccountInline]
    actions = ["unlock_login", "unlock_transactions", "unlock_token_setup", "lift_ib_suspension"]

    @admin.action(description=_("ログイン停止を解除する"))
    def unlock_login(self, request, queryset):
        for contract in queryset.filter(login_locked_at__isnull=False):
            contract.unlock_login()
            audit.record(request, "login.unlock", ok=True, contract=contract)
            self.message_user(
                request, _("%(id)s のログイン停止を解除しました。") % {"id": contract.contract_id}, messages.SUCCESS
            )

    @admin.action(description=_("取引認証停止を解除する"))
    def unlock_transactions(self, request, queryset):
        for contract in queryset.filter(transaction_locked_at__isnull=False):
            Contract.objects.filter(pk=contract.pk).update(transaction_failures=0, transaction_locked_at=None)
            audit.record(request, "transaction.unlock", ok=True, contract=contract)
            self.message_user(
                request, _("%(id)s の取引認証停止を解除しました。") % {"id": contract.contract_id}, messages.SUCCESS
            )

    @admin.action(description=_("トークン登録停止を解除する"))
    def unlock_token_setup(self, request, queryset):
        for contract in queryset.filter(token_setup_locked_at__isnull=False):
            Contract.objects.filter(pk=contract.pk).update(token_setup_failures=0, token_setup_locked_at=None)
            audit.record(request, "register.unlock", ok=True, contract=contract)
            self.message_user(
                request, _("%(id)s のトークン登録停止を解除しました。") % {"id": contract.contract_id}, messages.SUCCESS
            )

    @admin.action(description=_("IB取引中止を解除する"))
    def lift_ib_suspension(self, request, queryset):
        for contract in queryset.filter(ib_suspended_at__isnull=False):
            Contract.objects.filter(pk=contract.pk).update(ib_suspended_at=None)
            audit.record(request, "ib.resume", ok=True, contract=contract)
            self.message_user(
                request, _("%(id)s のIB取引中止を解除しました。") % {"id": contract.contract_id}, messages.SUCCESS
            )


@admin.register(Account, site=admin_site)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["branch_code", "kind", "number", "holder_kana", "balance", "contract"]
    search_fields = ["number", "holder_kana", "contract__contract_id"]
    readonly_fields = ["balance"]


@admin.register(AuditEntry, site=admin_site)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "action", "outcome", "reason", "contract", "actor", "ip"]
    list_filter = ["action", "outcome"]
    search_fields = ["contract__contract_id", "actor", "ip", "action"]
    date_hierarchy = "at"


@admin.register(StaffDevice, site=admin_site)
class StaffDeviceAdmin(admin.ModelAdmin):
    """Staff devices can be listed and removed (a lost phone), never added or read: the owner enrolls their own."""

    list_display = ["user", "name", "confirmed"]
    fields = ["user", "name", "confirmed"]  # never the key
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        audit.record(request, "staff.device_delete", ok=True, owner=obj.user.get_username())
        super().delete_model(request, obj)
