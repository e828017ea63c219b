from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The admin's own people: the staff login (password and the staff member's own OTP on one form) and
    the enrolment of their device with a 登録コード. The staff's rows (their user, device and codes) are
    accounts' models; this room plugs its login form and enrolment page into the admin site (ibank.admin)."""

    name = "staff"
    verbose_name = "職員"

    def ready(self):
        from django.urls import path

        from ibank.admin import admin_site

        from . import enrollment, login, views

        admin_site.login_form = login.StaffLoginForm
        admin_site.enrollment_needed = enrollment.needs_enrollment
        admin_site.extra_urls.append(path("enroll/", views.enroll_view, name="staff-enroll"))
