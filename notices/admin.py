"""Notices in the admin (SPEC §8): who, which notice, when, how often tried and the last error — never the
body — and 再送 for those that could not be delivered (audited)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from ibank.admin import CappedCountPaginator, ReadOnlyAdminMixin, TypedSearchMixin, admin_site

from . import delivery
from .models import Notice
from .outbox import SUBJECTS


class EventFilter(admin.SimpleListFilter):
    """By notice, named as its subject, from the list of notices: not a DISTINCT over every notice ever written
    (one a login: the table only grows)."""

    title = _("お知らせ")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return list(SUBJECTS.items())

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(Notice, site=admin_site)
class NoticeAdmin(TypedSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = CappedCountPaginator  # a table that only grows: counted up to a cap, never whole
    show_full_result_count = False
    list_display = ["created_at", "contract", "event_name", "to", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", EventFilter]
    list_select_related = ["contract"]  # nullable: not followed by default
    search_fields = ["contract__contract_id", "to"]
    fields = [
        "created_at",
        "contract",
        "event_name",
        "to",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    readonly_fields = fields
    actions = ["resend"]

    @admin.display(description=_("お知らせ"))
    def event_name(self, notice):
        return notice.get_event_display()

    @admin.action(description=_("送信失敗のお知らせを再送する"))
    def resend(self, request, queryset):
        count = delivery.resend(actor=request.actor, notices=queryset.filter(status=Notice.Status.FAILED))
        self.message_user(request, _("%(count)d件のお知らせを再送します。") % {"count": count}, messages.SUCCESS)
