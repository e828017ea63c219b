from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "お客様・口座"

    def ready(self):
        from django.urls import path

        from ibank.admin import admin_site

        from . import staff

        admin_site.login_form = staff.StaffLoginForm
        admin_site.enrollment_needed = staff.needs_enrollment
        admin_site.extra_urls.append(path("enroll/", staff.enroll_view, name="staff-enroll"))
