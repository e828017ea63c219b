"""Load the Zengin bank and branch master (the zengin-code package) into our own tables.

Run by ``make run`` and at deployment; a request never imports the package.
The bank's own code and branches come from settings (IBANK_BANK_CODE,
IBANK_BRANCHES). Idempotent: a master of the same version is not loaded again.
"""

import jaconv
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from ibank.kana import KanaError, initial, to_zengin
from zengin.models import Bank, Branch, MasterVersion

SOURCE = "zengin-code"


def _kana(full_width: str) -> str:
    try:
        return to_zengin(full_width)
    except KanaError:
        return jaconv.z2h(full_width, kana=True, ascii=True, digit=True)[:60]


def _search_text(name: str, kana: str, hira: str = "", roma: str = "") -> str:
    return " ".join([name, jaconv.h2z(kana, kana=True), hira, roma.lower()])[:200]


class Command(BaseCommand):
    help = "Load the Zengin bank/branch master from the zengin-code package (and the bank's own branches)."

    def add_arguments(self, parser):
        parser.add_argument("--only", help="comma-separated bank codes to load (tests)")
        parser.add_argument("--force", action="store_true", help="reload even if this version is loaded")

    def handle(self, *args, only=None, force=False, **options):
        import zengin_code  # only here: importing it reads the whole master

        version = zengin_code.__version__ + (f"+only={only}" if only else "")
        loaded = MasterVersion.objects.filter(source=SOURCE).first()
        if loaded is not None and loaded.version == version and not force:
            self.stdout.write(f"Zengin master {version} already loaded ({Bank.objects.count()} banks)")
            return
        wanted = set(only.split(",")) if only else None
        banks, branches = [], []
        for code, bank in zengin_code.Bank.all.items():
            if code == settings.IBANK_BANK_CODE or (wanted is not None and code not in wanted):
                continue
            banks.append(
                Bank(
                    code=code,
                    name=bank.name,
                    kana=_kana(bank.kana),
                    initial=initial(bank.kana),
                    search_text=_search_text(bank.name, bank.kana, bank.hira, bank.roma),
                )
            )
            for branch in bank.branches.values():
                branches.append(
                    Branch(
                        bank_id=code,
                        code=branch.code,
                        name=branch.name,
                        kana=_kana(branch.kana),
                        initial=initial(branch.kana),
                        search_text=_search_text(branch.name, branch.kana, branch.hira, branch.roma),
                    )
                )
        own = Bank(
            code=settings.IBANK_BANK_CODE,
            name=settings.BANK_NAME,
            kana=settings.IBANK_BANK_KANA,
            initial=initial(settings.IBANK_BANK_KANA),
            search_text=_search_text(settings.BANK_NAME, settings.IBANK_BANK_KANA),
        )
        banks.append(own)
        for code, name, kana in settings.IBANK_BRANCHES:
            branches.append(
                Branch(
                    bank_id=own.code,
                    code=code,
                    name=name,
                    kana=kana,
                    initial=initial(kana),
                    search_text=_search_text(name, kana),
                )
            )
        with transaction.atomic():
            Branch.objects.all().delete()
            Bank.objects.all().delete()
            Bank.objects.bulk_create(banks, batch_size=1000)
            Branch.objects.bulk_create(branches, batch_size=2000)
            MasterVersion.objects.update_or_create(source=SOURCE, defaults={"version": version})
        self.stdout.write(f"Zengin master {version}: {len(banks)} banks, {len(branches)} branches")
