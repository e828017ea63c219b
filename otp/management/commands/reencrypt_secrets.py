"""Re-encrypt every stored secret under the newest key of IBANK_ENCRYPTION_KEYS.

Rotation: put the new key first in IBANK_ENCRYPTION_KEYS (keep the old ones
after it), restart, run this command, then drop the old keys.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Contract, StaffDevice
from ibank import crypto
from otp.models import SoftwareToken


class Command(BaseCommand):
    help = "Re-encrypt token secrets, card digits and staff OTP seeds under the newest encryption key."

    def handle(self, *args, **options):
        counts = {}
        for model, field in [(SoftwareToken, "secret"), (Contract, "card_cells"), (StaffDevice, "key")]:
            done = 0
            for pk in model.objects.exclude(**{field: ""}).values_list("pk", flat=True).iterator():
                with transaction.atomic():
                    row = model.objects.select_for_update().only(field).get(pk=pk)
                    value = getattr(row, field)
                    if crypto.is_current(value):
                        continue
                    model.objects.filter(pk=pk).update(**{field: crypto.rotate(value)})
                    done += 1
            counts[model._meta.label] = done
        for label, done in counts.items():
            self.stdout.write(f"{label}: {done} re-encrypted")
