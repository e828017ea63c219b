from django.contrib import admin

from ibank.admin import ReadOnlyAdminMixin, TypedSearchMixin, admin_site

from . import services
from .models import SoftwareToken, TokenBinding, TokenType


@admin.register(TokenType, site=admin_site)
class TokenTypeAdmin(admin.ModelAdmin):
    list_display = ["kind", "prefix", "issuing_open", "issue_until", "usable_until"]
    fields = ["kind", "prefix", "issuing_open", "issue_until", "usable_until"]
    readonly_fields = ["kind", "prefix"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changes = {name: [form.initial.get(name), form.cleaned_data[name]] for name in form.changed_data}
        services.token_type_save(actor=request.actor, token_type=obj, changes=changes)


@admin.register(SoftwareToken, site=admin_site)
class SoftwareTokenAdmin(TypedSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["token_id", "token_type", "status", "issued_at", "expires_at"]
    list_filter = ["token_type", "status"]
    search_fields = ["token_id"]
    fields = ["token_id", "token_type", "status", "issued_at", "expires_at"]  # never the secret


@admin.register(TokenBinding, site=admin_site)
class TokenBindingAdmin(TypedSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["contract", "software_token", "login_otp", "failures", "bound_at", "last_used_at"]
    search_fields = ["contract__contract_id", "software_token__token_id"]
    fields = ["contract", "software_token", "login_otp", "failures", "drift", "bound_at", "last_used_at"]
    # Never saved here, not even unchanged (a save would write back the counters the verifier keeps): unlocking
    # is a branch operation with a reason (branch.admin, ContractAdmin → 手続き).
