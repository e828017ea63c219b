"""The admin's staff pages: staff accounts (登録コードを発行), their devices and the issued 登録コード."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import StaffDevice, StaffEnrollmentCode, User
from ibank.admin import ReadOnlyAdminMixin, admin_site

from . import enrollment, services


class RolesField(forms.ModelMultipleChoiceField):
    """The roles ticked. A value that is a number beyond any key's range names no role: refused as such here,
    where Django's own check would send it to the database (SQLite cannot hold it: a server error)."""

    def _check_values(self, value):
        for pk in value if isinstance(value, (list, tuple)) else ():
            try:
                beyond = abs(int(pk)) >= 2**63
            except (TypeError, ValueError):
                continue  # not a number: Django's check refuses it
            if beyond:
                message = self.error_messages["invalid_choice"]
                raise ValidationError(message, code="invalid_choice", params={"value": pk})
        return super()._check_values(value)


@admin.register(User, site=admin_site)
class IbankUserAdmin(UserAdmin):
    """Staff accounts only. Customers' users (is_active, is_staff, groups) are never edited here:
    a customer's state changes only through the branch operations, with a reason."""

    list_display = ["username", "is_staff", "is_active", "last_login"]
    # A staff member's rights are their role (窓口担当, 役席: groups), ticked as boxes; never permissions granted
    # one by one. The dates are the record's, not the superuser's to edit.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("氏名・連絡先"), {"fields": ("first_name", "last_name", "email")}),
        (
            _("権限"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups"),
                "description": _("行える業務は役割（窓口担当・役席）で決まります。"),
            },
        ),
        (_("日時"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["form_class"] = RolesField
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            # boxes: Django's help under them would name another id than the one the boxes point to
            field.widget, field.help_text = forms.CheckboxSelectMultiple(choices=field.choices), ""
        return field

    def get_queryset(self, request):
        return super().get_queryset(request).filter(contract__isnull=True)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def log_addition(self, request, obj, message):  # the account added (its roles saved with it)
        services.staff_account_recorded(actor=request.actor, user=obj, added=True, changes=message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):  # its rights or roles changed, or its password set
        services.staff_account_recorded(actor=request.actor, user=obj, added=False, changes=message)
        return super().log_change(request, obj, message)

    def has_delete_permission(self, request, obj=None):
        # Kept for the record: the audit log names staff by username, which a deleted account would free for
        # someone else. A leaver is deactivated (is_active), and their devices removed if need be.
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.enrollment_code_view)
        return [path("<int:pk>/enrollment-code/", view, name="staff-enrollment-code"), *super().get_urls()]

    @sensitive_variables("code")
    def enrollment_code_view(self, request, pk):
        """登録コードを発行: a superuser issues a staff member's 登録コード (POST) and is shown it once, to hand
        over in person (staff.enrollment)."""
        if not request.user.is_superuser:
            raise PermissionDenied
        user = get_object_or_404(self.get_queryset(request), pk=pk)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": user, "staff": user}
        context["title"] = _("%(name)s の登録コード") % {"name": user.get_username()}
        if request.method == "POST":
            try:
                code, row = enrollment.issue_code(actor=request.actor, user=user, by=request.user)
            except enrollment.NotIssuable as refused:
                context["refused"] = refused.message
            else:
                context.update(code=enrollment.grouped(code), expires_at=row.expires_at)
        return TemplateResponse(request, "admin/staff_enrollment_code.html", context)


@admin.register(StaffEnrollmentCode, site=admin_site)
class StaffEnrollmentCodeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Issued 登録コード: who issued whose, when, until when, and how each ended (never the code, which only
    its issuer saw, nor its digest)."""

    list_display = ["user", "issued_by", "issued_at", "expires_at", "ended_at", "end"]
    fields = list_display
    list_filter = ["end"]
    search_fields = ["user__username", "issued_by__username"]


@admin.register(StaffDevice, site=admin_site)
class StaffDeviceAdmin(admin.ModelAdmin):
    """Staff devices can be listed and removed (a lost phone), never added or read: the owner enrolls their own."""

    list_display = ["owner", "device_name", "is_confirmed"]
    list_select_related = ["user"]
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
        services.staff_devices_delete(actor=request.actor, devices=[obj])

    def delete_queryset(self, request, queryset):  # the changelist's 「削除」 of a selection
        services.staff_devices_delete(actor=request.actor, devices=queryset.select_related("user"))
