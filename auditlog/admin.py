import ipaddress

from django.contrib import admin

from ibank.admin import CappedCountPaginator, IdSearchMixin, ReadOnlyAdminMixin, admin_site
from ibank.text import half_width_digits

from .models import AuditEntry


@admin.register(AuditEntry, site=admin_site)
class AuditEntryAdmin(IdSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log only grows (nothing is ever deleted), so its page must cost the same at any size: each row's
    contract is read with the rows (not one query a row), the page is counted once and up to a cap (the count
    of a day or a search is exact below it), the date drill-down comes
    from the calendar (templates/admin/auditlog/auditentry/change_list.html), and a 契約者ID or an address is
    looked up by its index instead of a scan of every entry for the text."""

    list_display = ["at", "action", "outcome", "reason", "contract", "actor", "ip"]
    list_filter = ["action", "outcome"]
    list_select_related = ["contract"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    search_fields = ["contract__contract_id", "actor", "ip", "action"]
    date_hierarchy = "at"

    id_fields = {10: "contract__contract_id"}  # a 契約者ID

    def get_search_results(self, request, queryset, search_term):
        try:
            address = ipaddress.ip_address(half_width_digits(search_term.strip()))
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(ip=str(address)), False
