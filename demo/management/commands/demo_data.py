"""Fixed demo contracts, the same on every machine (listed in README.md). Idempotent."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import locks
from accounts.models import CARD_COLUMNS, CARD_ROWS, Account, Contract, Lock, StaffDevice, User
from demo import history
from ibank import clock
from ledger import books
from otp.models import PREFIXES, SoftwareToken, TokenBinding, TokenType
from otp.tokenid import make as make_token_id
from payments.models import Bill, Biller, Payee, Transfer

DEMO_PASSWORD = "demo1234"
DEMO_CONTRACTS = [
    {
        "contract_id": "1000000001",
        "name": "山田 太郎",
        "email": "taro.yamada@example.jp",
        "method": Contract.Method.TRANSFER_PASSWORD,
        "transfer_password": "2468",
        "accounts": [
            ("001", "本店営業部", Account.Kind.ORDINARY, "1234567", "ﾔﾏﾀﾞ ﾀﾛｳ", 1_250_000),
            ("001", "本店営業部", Account.Kind.SAVINGS, "7654321", "ﾔﾏﾀﾞ ﾀﾛｳ", 300_000),
        ],
    },
    {
        "contract_id": "1000000002",
        "name": "佐藤 花子",
        "email": "hanako.sato@example.jp",
        "method": Contract.Method.CARD,
        # お客様カード, cells A1 B1 C1 D1 E1 A2 ... E4.
        "card": "72940381562837419056",
        "accounts": [
            ("012", "駅前支店", Account.Kind.ORDINARY, "2345678", "ｻﾄｳ ﾊﾅｺ", 860_000),
        ],
    },
    {
        "contract_id": "1000000003",
        "name": "鈴木 一郎",
        "email": "ichiro.suzuki@example.jp",
        "method": Contract.Method.TRANSFER_PASSWORD,
        "transfer_password": "1357",
        # A mobile token registered (yesterday, so the 10,000,000-yen ceiling applies) with login OTP.
        "token_key": "3031323334353637383930313233343536373839",
        "accounts": [
            ("020", "北町支店", Account.Kind.ORDINARY, "3456789", "ｽｽﾞｷ ｲﾁﾛｳ", 5_400_000),
        ],
    },
]
# Fictional billers for 収納サービス (Pay-easy): (収納機関番号, name, kana, kind, bills), each bill
# (お客様番号／納付番号, 確認番号, 納付区分, 内容, 金額).
DEMO_BILLERS = [
    (
        "58001",
        "さくら電力株式会社",
        "ｻｸﾗﾃﾞﾝﾘﾖｸ(ｶ",
        Biller.Kind.PRIVATE,
        [
            ("12345678901234", "1234", "", "電気料金（11月分）", 8_640),
            ("12345678901235", "5678", "", "電気料金（12月分）", 9_120),
        ],
    ),
    (
        "58002",
        "みなと通信株式会社",
        "ﾐﾅﾄﾂｳｼﾝ(ｶ",
        Biller.Kind.PRIVATE,
        [("98765432109876543210", "246810", "", "携帯電話料金（11月分）", 4_378)],
    ),
    (
        "78901",
        "さくら市",
        "ｻｸﾗｼ",
        Biller.Kind.PUBLIC,
        [
            ("1234567890123456", "123456", "101", "固定資産税（第3期）", 45_600),
            ("2234567890123456", "654321", "201", "軽自動車税", 10_800),
        ],
    ),
]
STAFF_USERNAME = "staff"
STAFF_PASSWORD = "staff-demo-1234"
# 160-bit TOTP keys (hex) of the demo staff members' devices: demo only.
STAFF_TOTP_KEY = "3132333435363738393031323334353637383930"
# The two branch roles: a 窓口担当 enters requests, a 役席 approves them (never their own).
BRANCH_STAFF = [
    ("madoguchi", "madoguchi-demo-1234", "窓口担当", "4142434445464748494a4b4c4d4e4f5051525354"),
    ("yakuseki", "yakuseki-demo-1234", "役席", "6162636465666768696a6b6c6d6e6f7071727374"),
]


class Command(BaseCommand):
    help = "Create the fixed demo contracts and staff user (idempotent; refused in production)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="allow in production mode")

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if settings.PRODUCTION and not force:
            raise CommandError(
                "demo_data refuses to run in production (IBANK_ENV=production); use --force if you mean it."
            )
        for spec in DEMO_CONTRACTS:
            self._contract(spec)
        self._payees()
        self._billers()
        self._staff()
        for username, password, role, key in BRANCH_STAFF:
            self._branch_staff(username, password, role, key)

    def _contract(self, spec):
        user, _ = User.objects.get_or_create(username=spec["contract_id"])
        user.set_password(DEMO_PASSWORD)
        user.is_active = True
        user.save()
        contract, _ = Contract.objects.get_or_create(
            contract_id=spec["contract_id"],
            # Customers of long standing: internet banking started two years ago (no start hold).
            defaults={
                "user": user,
                "name": spec["name"],
                "transaction_method": spec["method"],
                "created_at": clock.now() - timedelta(days=730),
            },
        )
        contract.name = spec["name"]
        contract.email = spec["email"]
        contract.transaction_method = spec["method"]
        if spec["method"] == Contract.Method.TRANSFER_PASSWORD:
            contract.set_transfer_password(spec["transfer_password"])
            contract.card_cells = ""
        else:
            contract.set_card(spec["card"])
            contract.transfer_password = ""
        contract.login_failures = 0
        contract.save()
        locks.lift(contract, Lock.Kind.LOGIN, by="demo_data", reason="demo data reloaded")
        for branch_code, branch_name, kind, number, holder, balance in spec["accounts"]:
            account, created = Account.objects.get_or_create(
                branch_code=branch_code,
                kind=kind,
                number=number,
                defaults={"contract": contract, "branch_name": branch_name, "holder_kana": holder},
            )
            if created:  # the opening deposit goes through the ledger, like every yen
                books.deposit(account=account, amount=balance)
        self.stdout.write(f"契約者ID {spec['contract_id']}  ログインパスワード {DEMO_PASSWORD}  ({spec['name']})")
        if spec["method"] == Contract.Method.TRANSFER_PASSWORD:
            self.stdout.write(f"  資金移動用パスワード {spec['transfer_password']}")
        else:
            self.stdout.write("  お客様カード (確認用パスワード):")
            grid = contract.card_grid()
            self.stdout.write("       " + "  ".join(CARD_COLUMNS))
            for row in CARD_ROWS:
                self.stdout.write(f"    {row}  " + "  ".join(grid[f"{column}{row}"] for column in CARD_COLUMNS))
        if "token_key" in spec:
            self._token(contract, spec["token_key"])

    def _token(self, contract, key_hex):
        binding = TokenBinding.objects.select_related("software_token").filter(contract=contract).first()
        if binding is None:
            token_type = TokenType.objects.policy("mobile")
            token = SoftwareToken(
                token_id=make_token_id(PREFIXES["mobile"], int(contract.contract_id[-7:])),
                token_type=token_type,
                status=SoftwareToken.Status.ACTIVE,
                expires_at=clock.now(),
            )
            token.set_key(bytes.fromhex(key_hex))
            token.save()
            binding = TokenBinding.objects.bind(contract, token, bound_at=clock.now() - timedelta(days=1))
        token = binding.software_token
        self.stdout.write(f"  ソフトウェアトークン {token.token_id} (ログイン時認証する)")
        self.stdout.write(f"    add to an authenticator app: {token.provisioning_uri(settings.OTP_TOTP_ISSUER)}")

    def _payees(self):
        """山田 太郎 has 佐藤 花子 registered as a payee (so /m/, which only pays registered payees, can be tried),
        and paid her two months ago: she is a payee paid before, not held after a new environment."""
        taro = Contract.objects.get(contract_id="1000000001")
        hanako = Account.objects.get(branch_code="012", kind=Account.Kind.ORDINARY, number="2345678")
        self._paid_before(taro, hanako, amount=5_000)
        Payee.objects.get_or_create(
            contract=taro,
            bank_code=settings.IBANK_BANK_CODE,
            branch_code=hanako.branch_code,
            kind=hanako.kind,
            number=hanako.number,
            defaults={
                "bank_name": settings.BANK_NAME,
                "branch_name": hanako.branch_name,
                "name": hanako.holder_kana,
            },
        )

    def _paid_before(self, contract, to, *, amount):
        """A same-bank transfer executed two months ago through the books (once)."""
        key = {"bank_code": settings.IBANK_BANK_CODE, "branch_code": to.branch_code, "payee_number": to.number}
        if Transfer.objects.filter(contract=contract, status=Transfer.Status.DONE, **key).exists():
            return
        history.paid_before(contract, contract.accounts.customer().first(), to_account=to, amount=amount)

    def _billers(self):
        self.stdout.write("収納サービス（Pay-easy）のデモ請求:")
        due = (clock.now() + timedelta(days=30)).date()
        for number, name, kana, kind, bills in DEMO_BILLERS:
            biller = Biller.objects.filter(number=number).first()
            if biller is None:
                biller = Biller(number=number, name=name, kana=kana, kind=kind)
                biller.save()
            self.stdout.write(f"  収納機関番号 {number} {name}（{biller.get_kind_display()}）")
            for customer_number, confirmation, category, description, amount in bills:
                bill, _ = Bill.objects.get_or_create(
                    biller=biller,
                    customer_number=customer_number,
                    payment_category=category,
                    defaults={
                        "confirmation_number": confirmation,
                        "description": description,
                        "amount": amount,
                        "due_date": due,
                    },
                )
                if not bill.is_paid:  # never overdue in the demo
                    Bill.objects.filter(pk=bill.pk).update(due_date=max(bill.due_date, due))
                label = "お客様番号" if kind == Biller.Kind.PRIVATE else "納付番号"
                numbers = f"{label} {customer_number}  確認番号 {confirmation}"
                if category:
                    numbers += f"  納付区分 {category}"
                state = "払込済" if bill.is_paid else "未払い"
                self.stdout.write(f"    {numbers}  {description} {amount:,}円 [{state}]")

    def _branch_staff(self, username, password, role, key_hex):
        from django.apps import apps
        from django.contrib.auth.models import Group

        if not Group.objects.filter(name=role).exists():  # a database flushed since its migrations
            __import__("branch.migrations.0002_roles", fromlist=["create_roles"]).create_roles(apps, None)
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff, user.is_superuser, user.is_active = True, False, True
        user.set_password(password)
        user.staff_failures, user.staff_locked_until = 0, None
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        StaffDevice.objects.filter(user=user).delete()
        device = StaffDevice(user=user, name="demo", confirmed=True)
        device.set_key(bytes.fromhex(key_hex))
        device.save()
        self.stdout.write(f"{role} (/admin/): {username} / {password}")
        self.stdout.write(f"  staff OTP device (demo only): {device.config_url(settings.OTP_TOTP_ISSUER)}")

    def _staff(self):
        staff, _ = User.objects.get_or_create(username=STAFF_USERNAME)
        staff.is_staff = True
        staff.is_superuser = True
        staff.is_active = True
        staff.set_password(STAFF_PASSWORD)
        staff.save()
        staff.staff_failures, staff.staff_locked_until = 0, None
        staff.save()
        # Demo only: a fixed, known key, so that the demo can be tried. Real staff enroll their own device.
        StaffDevice.objects.filter(user=staff).delete()
        device = StaffDevice(user=staff, name="demo", confirmed=True)
        device.set_key(bytes.fromhex(STAFF_TOTP_KEY))
        device.save()
        self.stdout.write(f"staff (/admin/): {STAFF_USERNAME} / {STAFF_PASSWORD}")
        self.stdout.write(f"  staff OTP device (demo only): {device.config_url(settings.OTP_TOTP_ISSUER)}")
