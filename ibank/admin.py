from django_otp.admin import OTPAdminSite


class IbankAdminSite(OTPAdminSite):
    """Staff admin: staff login plus the staff member's own TOTP device (SPEC §7)."""

    site_header = "ibank 営業店管理"
    site_title = "ibank 営業店管理"
    index_title = "営業店業務"


admin_site = IbankAdminSite(name="admin")


class ReadOnlyAdminMixin:
    """Records staff may read but never add, change or delete here (audit log, token records)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
