from django.contrib import admin

from ibank.admin import ReadOnlyAdminMixin, admin_site

from .models import AuditEntry


@admin.register(AuditEntry, site=admin_site)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "action", "outcome", "reason", "contract", "actor", "ip"]
    list_filter = ["action", "outcome"]
    search_fields = ["contract__contract_id", "actor", "ip", "action"]
    date_hierarchy = "at"
