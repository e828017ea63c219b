"""The clerk's admin (SPEC §7): the contract page to work from, its operations, and the approval queue.

Admin pages only collect the reason and the form reference and call branch.services;
no page edits a contract's state directly.
"""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import authorization, environments, limits
from accounts.admin import AccountInline
from accounts.locks import OPEN_LOCKS_ATTR, OPEN_LOCKS_COLUMN, adopt, open_locks, read_with
from accounts.models import Contract, Lock
from auditlog import audit
from auditlog.models import AuditEntry
from ibank.admin import ReadOnlyAdminMixin, ReadOnlyTabularInline, TypedSearchMixin, admin_site
from ibank.money import yen
from passkeys import ceremony as passkey_ceremony
from payments import new_payees

from . import services
from .forms import OPERATIONS, DecisionForm, OperationForm, may_operate, page_name, service
from .models import TokenResetRequest

DONE = _("手続きが完了しました：%(operation)s")
LABELS = dict(OPERATIONS)
NOT_REGISTERED = _("（未登録）")
NO_TRANSFER_PASSWORD_YET = _("（資金移動用パスワード：未登録）")
HAS_TRANSFER_PASSWORD = _("（資金移動用パスワード：登録あり）")
#: operations whose result is a new password for the letter, shown once on their response
SHOWN_ONCE = {"reset_login_password", "reset_transfer_password"}
PENDING_LIMIT = _("（%(date)s 0:00から %(amount)s に変更予定）")


class _ContractList(ChangeList):
    """The contracts' page reads each row's open locks (its 停止 and トークン columns) with the rows."""

    def get_queryset(self, request, exclude_parameters=None):
        return read_with(super().get_queryset(request, exclude_parameters), contract_of="pk")


def _listed_locks(contract):
    if not hasattr(contract, OPEN_LOCKS_ATTR) and hasattr(contract, OPEN_LOCKS_COLUMN):
        adopt(contract, contract)  # read with the page's rows (_ContractList)
    return open_locks(contract)


def _token_status(contract) -> str:
    binding = getattr(contract, "token_binding", None)
    in_force = _listed_locks(contract)
    if Lock.Kind.LOST in in_force:
        return str(_("紛失届"))
    if binding is None:
        return str(_("なし"))
    if Lock.Kind.OTP in in_force:
        return str(_("ロック中"))
    return str(_("利用中"))


def _lock_label(lock) -> str:
    label = str(lock.get_kind_display())
    if lock.until is not None and timezone.localdate(lock.until - timedelta(seconds=1)) == timezone.localdate():
        label += str(_("（本日）"))  # a block that ends at 0:00 JST tonight
    return label


def _state_labels(contract, in_force: dict) -> list[str]:
    """The locks in force (``in_force``, from the lock table) and 解約, as a clerk reads them."""
    labels = [_lock_label(lock) for lock in in_force.values()]
    if contract.cancelled_at:
        labels.append(str(_("解約")))
    return labels


class _LatestLocks(BaseInlineFormSet):
    SHOWN = 100

    def get_queryset(self):
        # Rows are never deleted, and a customer whose browser keeps no cookie begins a hold at every login:
        # the page shows the latest (the audit log has every one).
        return super().get_queryset()[: self.SHOWN]


class LockInline(ReadOnlyTabularInline):
    """The contract's locks, open and past, from the lock table (never edited here: operations lift them); the
    latest hundred."""

    model = Lock
    formset = _LatestLocks
    fields = ["kind", "reason", "reference", "set_at", "set_by", "until", "lifted_at", "lifted_by", "lift_reason"]
    readonly_fields = fields
    ordering = ["-set_at", "-pk"]
    verbose_name_plural = _("停止の履歴（解除済みを含む・新しい順に100件まで）")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("accounts.view_contract")  # part of the contract's record: whoever reads it


@admin.register(Contract, site=admin_site)
class ContractAdmin(TypedSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["contract_id", "name", "token", "locks", "cancelled_at"]
    list_select_related = ["token_binding"]
    search_fields = ["contract_id", "name", "accounts__holder_kana", "accounts__number", "token_binding__name"]
    fields = [
        "contract_id",
        "name",
        "email",
        "authorization_now",
        "own_method",
        "daily_limit_yen",
        "token",
        "locks",
        "cancelled_at",
        "pending_requests",
        "last_logins",
        "environments",
        "passkeys",
        "new_payees",
        "latest_audit",
        "operations",
    ]
    readonly_fields = fields
    inlines = [AccountInline, LockInline]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if may_operate(request.user) else [name for name in fields if name != "operations"]

    def get_changelist(self, request, **kwargs):
        return _ContractList

    def get_search_results(self, request, queryset, search_term):
        # A token ID is typed as printed (SMBL…); the binding's name holds it.
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), duplicates

    @admin.display(description=_("現在のお取引の認証方法"))
    def authorization_now(self, contract):
        """What authorizes this contract's transactions now (the OTP while a token is registered)."""
        return str(authorization.method_for(contract).label)

    @admin.display(description=_("1日あたりの振込限度額"))
    def daily_limit_yen(self, contract):
        """The contract's own limit in force today (a raise in force since 0:00 included, before the daily job
        folds it in), and a raise waiting for its day."""
        on = limits.today()
        text = yen(limits.contract_limit(contract, on))
        if waiting := limits.waiting_raise(contract, on):
            amount, since = waiting
            text = f"{text}{PENDING_LIMIT % {'amount': yen(amount), 'date': f'{since:%Y/%m/%d}'}}"
        return text

    @admin.display(description=_("契約の取引認証方式（トークンのないとき）"))
    def own_method(self, contract):
        """The method, and whether a 資金移動用パスワード is registered (a card contract has none until the branch
        issues one: the method cannot be switched to it before)."""
        label = contract.get_transaction_method_display()
        if contract.uses_transfer_password:
            return label if contract.transfer_password else f"{label}{NOT_REGISTERED}"
        return f"{label}{HAS_TRANSFER_PASSWORD if contract.transfer_password else NO_TRANSFER_PASSWORD_YET}"

    @admin.display(description=_("トークン"))
    def token(self, contract):
        return _token_status(contract)

    @admin.display(description=_("停止"))
    def locks(self, contract):
        return "、".join(_state_labels(contract, _listed_locks(contract))) or "—"

    @admin.display(description=_("承認待ちの依頼"))
    def pending_requests(self, contract):
        pending = contract.token_reset_requests.filter(status=TokenResetRequest.Status.PENDING)
        return "、".join(f"{r.reference}（{r.requested_by.get_username()}）" for r in pending) or "—"

    @admin.display(description=_("最近のログイン"))
    def last_logins(self, contract):
        local = [timezone.localtime(r.at) for r in contract.logins.all()[:3]]
        return "、".join(f"{at:%Y-%m-%d %H:%M}" for at in local) or "—"

    @admin.display(description=_("ご利用環境"))
    def environments(self, contract):
        """The browsers the customer logged in from (never the cookie's id), and the login notice setting."""
        rows = [
            f"{e.browser_label}（{timezone.localtime(e.first_seen):%Y-%m-%d}～{timezone.localtime(e.last_seen):%Y-%m-%d}）"
            for e in environments.listed(contract, 10)
        ]
        setting = _("ご利用環境からのログイン通知：%(state)s") % {
            "state": _("する") if contract.notify_known_logins else _("しない")
        }
        return "、".join([*rows, str(setting)])

    @admin.display(description=_("パスキー"))
    def passkeys(self, contract):
        """Name, registered, last used: never a key (紛失届 and the token reset remove them)."""
        rows = [
            f"{p.name}（{_('登録')} {timezone.localtime(p.created_at):%Y-%m-%d}、"
            f"{_('最終利用')} {timezone.localtime(p.last_used_at):%Y-%m-%d %H:%M}）"
            if p.last_used_at
            else f"{p.name}（{_('登録')} {timezone.localtime(p.created_at):%Y-%m-%d}、{_('未使用')}）"
            for p in passkey_ceremony.credentials(contract)
        ]
        return "、".join(rows) or "—"

    @admin.display(description=_("新しい振込先（1日の上限あり）"))
    def new_payees(self, contract):
        """Payees within their first days (payments.new_payees): first paid, and what they received today."""
        rows = new_payees.capped_payees(contract)
        return (
            "、".join(
                f"{r['label']}（初回 {timezone.localtime(r['first']):%Y-%m-%d}、本日 {r['used']:,}円）" for r in rows
            )
            or "—"
        )

    @admin.display(description=_("最近の監査ログ"))
    def latest_audit(self, contract):
        entries = AuditEntry.objects.filter(contract=contract).order_by("-pk")[:5]
        return (
            "、".join(
                f"{timezone.localtime(e.at):%m-%d %H:%M} {e.get_action_display()}（{e.get_outcome_display()}）"
                for e in entries
            )
            or "—"
        )

    @admin.display(description=_("手続き"))
    def operations(self, contract):
        url = reverse("admin:branch-operate", args=[contract.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("手続きを行う"))

    def get_urls(self):
        return [
            path("<int:pk>/operate/", self.admin_site.admin_view(self.operate_view), name="branch-operate"),
            *super().get_urls(),
        ]

    def operate_view(self, request, pk):
        """One form for every operation: which, 理由, 届出書番号 → the branch service. The same page sent again
        once its operation is done (a double click) is told done, not refused (a lock already lifted, a contract
        already cancelled): the clerk would take it for not done. A new password is made again: the first
        response, which showed it, was never seen."""
        contract = get_object_or_404(Contract.objects.select_related("user"), pk=pk)
        operation = request.POST.get("operation", "")
        asks = (operation, request.POST.get("value", "").strip(), request.POST.get("method", ""))
        page = page_name(request, *asks) if operation in LABELS and operation not in SHOWN_ONCE else ""
        if audit.made_on_page(page, contract=contract):
            return self._done(request, contract, operation)
        in_force = open_locks(contract)
        has_token = getattr(contract, "token_binding", None) is not None
        form = OperationForm(request.POST or None, staff=request.user, in_force=in_force, has_token=has_token)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = _run(request.actor.on_page(page), request.user, contract, data)
            except services.OperationRefused as refused:
                if audit.made_on_page(page, contract=contract):  # by its twin, meanwhile
                    return self._done(request, contract, operation)
                form.add_error(None, refused.message)
            else:
                if data["operation"] in SHOWN_ONCE:  # a new password: on this response only, never stored
                    return self._new_password_page(request, contract, operation, result)
                return self._done(request, contract, operation)
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(id)s の手続き") % {"id": contract.contract_id},
            "contract": contract,
            "locks": _state_labels(contract, in_force),
            "form": form,
            "allowed": may_operate(request.user),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/branch/operate.html", context)

    def _done(self, request, contract, operation):
        self.message_user(request, DONE % {"operation": LABELS[operation]}, messages.SUCCESS)
        return redirect("admin:accounts_contract_change", contract.pk)

    def _new_password_page(self, request, contract, operation, password):
        context = {
            **self.admin_site.each_context(request),
            "title": DONE % {"operation": LABELS[operation]},
            "contract": contract,
            "password": password,
            "transfer_password": operation == "reset_transfer_password",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/branch/new_password.html", context)


def _run(actor, staff, contract, data):
    operation = data["operation"]
    details = {}
    if operation.startswith("change_"):
        value = data["method"] if operation == "change_transaction_method" else data["value"]
        details = {"field": operation.removeprefix("change_"), "value": value}
    elif operation.startswith("unlock_"):
        details = {"kind": operation.removeprefix("unlock_")}
    run = service(operation)
    return run(
        actor=actor,
        staff=staff,
        contract=contract,
        reason=data["reason"],
        reference=data["reference"],
        **details,
    )


#: the decision page's buttons: the service and what the clerk is told
DECISIONS = {
    "approve": (services.token_reset_approve, _("リセットを承認しました。")),
    "withdraw": (services.token_reset_withdraw, _("依頼を取り下げました。")),
    "reject": (services.token_reset_reject, _("依頼を否認しました。")),
}


@admin.register(TokenResetRequest, site=admin_site)
class TokenResetRequestAdmin(TypedSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """承認待ち: the requests a 役席 approves or rejects, with who entered them, why, and how long ago."""

    _columns = ["contract", "token", "status", "reason", "reference", "requested_by", "requested_at", "approved_by"]
    list_display = [*_columns, "decide"]
    list_filter = ["status"]
    search_fields = ["contract__contract_id", "reference"]
    fields = [*_columns, "decided_at", "comment"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contract", "token", "requested_by", "approved_by")

    @admin.display(description=_("処理"))
    def decide(self, reset):
        if reset.status != TokenResetRequest.Status.PENDING:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:branch-decide", args=[reset.pk]), _("承認・否認"))

    def get_urls(self):
        return [
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="branch-decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk):
        """承認 / 否認 / 取り下げ; the same page sent again once its decision is made (its service then refuses:
        already decided) is told the decision, not the refusal."""
        reset = get_object_or_404(TokenResetRequest.objects.select_related("contract", "token", "requested_by"), pk=pk)
        button = next((name for name in DECISIONS if name in request.POST), "reject")
        decide, told = DECISIONS[button]
        page = page_name(request, button, str(reset.pk))
        form = DecisionForm(request.POST or None)
        made = False
        if request.method == "POST" and form.is_valid():
            actor, comment = request.actor.on_page(page), form.cleaned_data["comment"]
            try:
                decide(actor=actor, staff=request.user, reset=reset, comment=comment)
            except services.OperationRefused as refused:
                made = audit.made_on_page(page, contract=reset.contract)  # by its twin, before or meanwhile
                if not made:
                    form.add_error(None, refused.message)
            else:
                made = True
        if made:
            self.message_user(request, told, messages.SUCCESS)
            return redirect("admin:branch_tokenresetrequest_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("トークンIDリセット依頼の承認"),
            "reset": reset,
            "form": form,
            "opts": self.model._meta,
            "pending": TokenResetRequest.objects.filter(status=TokenResetRequest.Status.PENDING).count(),
        }
        return TemplateResponse(request, "admin/branch/decide.html", context)
