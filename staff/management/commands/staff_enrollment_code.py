"""Issue a staff member's 登録コード on the server (staff.enrollment): for the first superuser, whom no
colleague can issue one for yet, or when no superuser can log in. The operator hands the code over in person.

    manage.py staff_enrollment_code USERNAME
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from staff import enrollment


class Command(BaseCommand):
    help = "Issue a staff member's one-time enrolment code (shown once) for their admin OTP device."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        try:
            code, row = enrollment.issue_code(actor=None, user=user, by=None, as_name="system:staff_enrollment_code")
        except enrollment.NotIssuable as refused:
            raise CommandError(str(refused.message)) from None
        until = timezone.localtime(row.expires_at)
        self.stdout.write(
            f"enrolment code for {username}: {enrollment.grouped(code)} (once; until {until:%Y-%m-%d %H:%M})"
        )
