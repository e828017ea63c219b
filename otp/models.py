from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, DeviceManager

from accounts.models import Contract
from ibank import clock, crypto

from . import totp
from .conf import otp_settings

# The 4 letters that start each type's token IDs.
PREFIXES = {"mobile": "SMBL", "desktop": "SDSK"}


class TokenTypeManager(models.Manager):
    def policy(self, kind: str) -> "TokenType":
        """The policy row of ``kind``, created with the defaults (open, no end dates) if missing."""
        token_type, _ = self.get_or_create(kind=kind, defaults={"prefix": PREFIXES[kind]})
        return token_type


class TokenType(models.Model):
    """Per-type policy (SPEC §3), edited by staff: may new tokens be issued, and until when may they be used."""

    class Kind(models.TextChoices):
        MOBILE = "mobile", _("モバイル型")
        DESKTOP = "desktop", _("デスクトップ型")

    kind = models.CharField(_("種類"), max_length=8, choices=Kind.choices, primary_key=True)
    prefix = models.CharField(_("トークンIDの英字"), max_length=4, unique=True, editable=False)
    issuing_open = models.BooleanField(_("新規発行中"), default=True)
    issue_until = models.DateField(_("新規発行の終了日"), null=True, blank=True)
    usable_until = models.DateField(
        _("利用期限"), null=True, blank=True, help_text=_("この日を過ぎたトークンはログイン・お取引に使えません。")
    )

    objects = TokenTypeManager()

    class Meta:
        verbose_name = _("トークン種類")
        verbose_name_plural = _("トークン種類")

    def __str__(self):
        return str(self.get_kind_display())

    def can_issue(self) -> bool:
        today = timezone.localdate(clock.now())
        return self.issuing_open and (self.issue_until is None or today <= self.issue_until) and self.is_usable()

    def is_usable(self) -> bool:
        return self.usable_until is None or timezone.localdate(clock.now()) <= self.usable_until


class SoftwareToken(models.Model):
    """A token the vendor side issued: its ID and its secret (encrypted at rest)."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("発行済（未登録）")
        ACTIVE = "active", _("利用中")
        RETIRED = "retired", _("利用終了")
        LOCKED = "locked", _("登録停止（コード誤り）")

    token_id = models.CharField(_("トークンID"), max_length=12, unique=True)
    token_type = models.ForeignKey(TokenType, on_delete=models.PROTECT, verbose_name=_("種類"))
    # The 160-bit key, encrypted with ibank.crypto. Never shown.
    secret = models.TextField(editable=False)
    status = models.CharField(_("状態"), max_length=8, choices=Status.choices, default=Status.ISSUED)
    issued_at = models.DateTimeField(_("発行日時"), default=clock.now)
    expires_at = models.DateTimeField(_("登録期限"), help_text=_("この日時までに利用登録されないトークンは無効です。"))
    # Wrong codes entered to register this token (by any contract); at the limit it can never be registered.
    setup_failures = models.PositiveSmallIntegerField(_("登録時のコード連続誤り回数"), default=0)
    setup_locked_at = models.DateTimeField(_("登録停止日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("ソフトウェアトークン")
        verbose_name_plural = _("ソフトウェアトークン")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["issued", "active", "retired", "locked"]), name="token_status_valid"
            ),
        ]

    def __str__(self):
        return self.token_id

    @classmethod
    def unregistered_expiry(cls):
        return clock.now() + timedelta(days=otp_settings.IBANK_TOKEN_UNREGISTERED_DAYS)

    def set_key(self, key: bytes) -> None:
        self.secret = crypto.encrypt(key.hex())

    def key(self) -> bytes:
        return bytes.fromhex(crypto.decrypt(self.secret))

    def is_registrable(self) -> bool:
        """Issued, never bound, and not past its registration deadline."""
        return self.status == self.Status.ISSUED and clock.now() <= self.expires_at

    def provisioning_uri(self, issuer: str) -> str:
        return totp.provisioning_uri(self.key(), account=self.token_id, issuer=issuer)


class TokenBindingQuerySet(models.QuerySet):
    def bind(self, contract, token, *, login_otp: bool = True, **extra) -> "TokenBinding":
        """The binding of ``token`` to ``contract`` (the contract's user; named by the token ID), saved.
        ``extra``: further fields (``bound_at`` for a binding made earlier, in tests and the demo)."""
        return self.create(
            user_id=contract.user_id,
            name=token.token_id,
            contract=contract,
            software_token=token,
            login_otp=login_otp,
            **extra,
        )

    def for_verify(self):
        """Bindings with what the verifier reads (the contract's state, the token and its type's end of use) in
        one query: a staff change of the type's policy holds from the next code, with no cache to clear."""
        return self.select_related("contract", "software_token__token_type").only(
            "id",
            "contract_id",
            "user_id",  # django_otp.login reads it: not loaded again
            "software_token_id",
            "login_otp",
            "last_step",
            "drift",
            "failures",
            "bound_at",
            "last_used_at",
            "contract__id",
            "contract__user_id",
            "contract__contract_id",
            "contract__name",
            "contract__email",
            "contract__cancelled_at",
            "contract__transaction_method",
            "contract__notify_known_logins",  # the login's notice asks it
            "software_token__id",
            "software_token__token_id",
            "software_token__secret",
            "software_token__token_type_id",
            "software_token__status",
            "software_token__token_type__kind",
            "software_token__token_type__usable_until",
        )


class TokenBinding(Device):
    """The binding of a contract to its one software token (a django-otp Device).

    ``last_step`` is the last accepted time step: a code of that step or an
    earlier one is refused, enforced by a conditional UPDATE (otp.verifier).
    """

    contract = models.OneToOneField(
        Contract, on_delete=models.PROTECT, related_name="token_binding", verbose_name=_("IB契約")
    )
    software_token = models.OneToOneField(
        SoftwareToken, on_delete=models.PROTECT, related_name="binding", verbose_name=_("ソフトウェアトークン")
    )
    login_otp = models.BooleanField(_("ログイン時のワンタイムパスワード認証"), default=False)
    last_step = models.BigIntegerField(default=-1, editable=False)
    drift = models.SmallIntegerField(_("時刻のずれ（ステップ）"), default=0, editable=False)
    # Consecutive wrong codes; at the limit the contract's OTP lock (accounts.models.Lock) is set.
    failures = models.PositiveSmallIntegerField(_("連続誤り回数"), default=0)
    bound_at = models.DateTimeField(_("登録日時"), default=clock.now)
    last_used_at = models.DateTimeField(_("最終利用日時"), null=True, blank=True)

    objects = DeviceManager.from_queryset(TokenBindingQuerySet)()

    class Meta:
        verbose_name = _("トークン登録")
        verbose_name_plural = _("トークン登録")

    def __str__(self):
        return f"{self.contract.contract_id} / {self.software_token.token_id}"

    def verify_token(self, token) -> bool:
        """django-otp's entry point; goes through the one verifier."""
        from .verifier import verify

        return verify(self, str(token)).ok
