import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Contract, Lock
from auditlog.models import AuditEntry
from branch import services
from branch.models import TokenResetRequest
from notices.outbox import subject
from otp import services as otp_services
from otp import totp
from otp.models import SoftwareToken, TokenBinding
from otp.services import token_issue
from otp.verifier import Outcome, verify
from tests.conftest import PASSWORD, TRANSFER_PASSWORD
from tests.helpers import as_staff, is_locked, set_lock

REASON = "スマートフォン故障のため"
REF = "R-2026-0001"


def test_a_request_approved_by_another_staff_member_unbinds_the_token_for_good(
    client, token_contract, maker, checker, fake_clock, mailoutbox, django_capture_on_commit_callbacks
):
    old = token_contract.binding.software_token
    reset = services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    assert TokenBinding.objects.filter(contract=token_contract).exists()  # nothing happens before approval
    with django_capture_on_commit_callbacks(execute=True):
        services.token_reset_approve(actor=None, staff=checker, reset=reset, comment="確認済")
    reset.refresh_from_db()
    assert reset.status == TokenResetRequest.Status.APPROVED and reset.approved_by == checker
    assert not TokenBinding.objects.filter(contract=token_contract).exists()
    assert SoftwareToken.objects.get(pk=old.pk).status == SoftwareToken.Status.RETIRED
    assert subject("token_reset") in [m.subject for m in mailoutbox]
    entry = AuditEntry.objects.get(action="token.reset")
    assert entry.detail["staff_reason"] == REASON and entry.detail["reference"] == REF
    # The customer registers a new token from the login page; the old one is refused for ever.
    new, key = token_issue(kind="mobile")
    otp_services.token_register(
        actor=None, contract=token_contract, token_id=new.token_id, code=totp.totp(key, fake_clock.t), login_otp=True
    )
    with pytest.raises(otp_services.TokenAlreadyBound):
        otp_services.registrable_token(old.token_id)


def test_nobody_approves_their_own_request(token_contract, maker, checker):
    # A user with both roles still cannot approve their own request: the service says so...
    from django.contrib.auth.models import Group

    maker.groups.add(Group.objects.get(name="役席"))
    maker = type(maker).objects.get(pk=maker.pk)
    reset = services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    with pytest.raises(services.OperationRefused) as refused:
        services.token_reset_approve(actor=None, staff=maker, reset=reset)
    assert refused.value.message == services.OWN_REQUEST
    # ...and the database refuses it whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        TokenResetRequest.objects.filter(pk=reset.pk).update(approved_by=maker)
    assert TokenBinding.objects.filter(contract=token_contract).exists()


def test_a_checker_only_user_cannot_request_and_a_maker_cannot_approve(token_contract, maker, checker):
    with pytest.raises(services.OperationRefused):
        services.token_reset_request(actor=None, staff=checker, contract=token_contract, reason=REASON, reference=REF)
    reset = services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    with pytest.raises(services.OperationRefused):
        services.token_reset_approve(actor=None, staff=maker, reset=reset)


def test_one_pending_request_per_contract(token_contract, maker, maker2):
    services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    with pytest.raises(services.OperationRefused) as refused:
        services.token_reset_request(actor=None, staff=maker2, contract=token_contract, reason=REASON, reference="R2")
    assert refused.value.message == services.ALREADY_PENDING


def test_rejected_or_withdrawn_requests_change_nothing(token_contract, maker, checker):
    first = services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    services.token_reset_reject(actor=None, staff=checker, reset=first, comment="書類不備")
    second = services.token_reset_request(
        actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF
    )
    services.token_reset_withdraw(actor=None, staff=maker, reset=second)
    assert TokenBinding.objects.filter(contract=token_contract).exists()
    with pytest.raises(services.OperationRefused):
        services.token_reset_approve(actor=None, staff=checker, reset=first)


def test_a_rejection_needs_its_reason(token_contract, maker, checker):
    """The 役席 who refuses a request says why: a blank comment is refused, and the request stays pending."""
    reset = services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    for blank in ("", "　 "):
        with pytest.raises(services.OperationRefused) as refused:
            services.token_reset_reject(actor=None, staff=checker, reset=reset, comment=blank)
        assert refused.value.message == services.REASON_REQUIRED
    assert TokenResetRequest.objects.get(pk=reset.pk).status == TokenResetRequest.Status.PENDING
    assert not AuditEntry.objects.filter(action="token_reset.reject").exists()


def test_only_the_clerk_who_entered_a_request_withdraws_it(token_contract, maker, maker2):
    reset = services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    with pytest.raises(services.OperationRefused) as refused:
        services.token_reset_withdraw(actor=None, staff=maker2, reset=reset)
    assert refused.value.message == services.NOT_ALLOWED
    assert TokenResetRequest.objects.get(pk=reset.pk).status == TokenResetRequest.Status.PENDING
    assert not AuditEntry.objects.filter(action="token_reset.withdraw").exists()
    # A second withdrawal by its own clerk finds it decided.
    services.token_reset_withdraw(actor=None, staff=maker, reset=reset)
    with pytest.raises(services.OperationRefused) as refused:
        services.token_reset_withdraw(actor=None, staff=maker, reset=reset)
    assert refused.value.message == services.ALREADY_DECIDED
    assert AuditEntry.objects.filter(action="token_reset.withdraw").count() == 1


@pytest.mark.parametrize(
    ("operation", "kwargs"),
    [
        (services.token_reset_request, {"reference": REF}),
        (services.contract_report_lost, {"reference": REF}),
        (services.contract_cancel, {"reference": REF}),
        (services.contract_unlock, {"kind": "login"}),
    ],
)
def test_every_operation_needs_a_reason(contract, maker, operation, kwargs):
    with pytest.raises(services.OperationRefused) as refused:
        operation(actor=None, staff=maker, contract=contract, reason="  ", **kwargs)
    assert refused.value.message == services.REASON_REQUIRED


@pytest.mark.parametrize(
    "operation", [services.token_reset_request, services.contract_report_lost, services.contract_cancel]
)
def test_an_operation_from_a_paper_form_needs_its_number(token_contract, maker, operation):
    """SPEC §7: where a paper form is the source, its reference number is recorded; none, nothing is done."""
    from accounts.models import Lock

    with pytest.raises(services.OperationRefused) as refused:
        operation(actor=None, staff=maker, contract=token_contract, reason=REASON, reference="  ")
    assert refused.value.message == services.REFERENCE_REQUIRED
    assert not TokenResetRequest.objects.exists() and not Lock.objects.filter(contract=token_contract).exists()
    assert not AuditEntry.objects.filter(contract=token_contract).exists()


def test_lost_device_blocks_login_otp_and_transactions_at_once_and_an_otp_unlock_keeps_it(
    client, token_contract, maker, fake_clock
):
    from accounts import authorization, gate

    services.contract_report_lost(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    binding = TokenBinding.objects.for_verify().get(contract=token_contract)
    assert verify(binding, totp.totp(token_contract.key, fake_clock.t)).outcome is Outcome.LOST
    contract = Contract.objects.get(pk=token_contract.pk)
    method = authorization.method_for(contract)
    refused = gate.may(contract, gate.Action.TRANSFER)
    assert method.key == "otp" and not refused and refused.kind == "lost"
    # An OTP-failure unlock does not lift a 紛失届.
    TokenBinding.objects.filter(contract=token_contract).update(failures=5)
    set_lock(token_contract, "otp")
    services.contract_unlock(actor=None, staff=maker, contract=token_contract, kind="otp", reason="電話で本人確認")
    assert is_locked(token_contract, "lost")
    fake_clock.advance(30)
    binding = TokenBinding.objects.for_verify().get(contract=token_contract)
    assert verify(binding, totp.totp(token_contract.key, fake_clock.t)).outcome is Outcome.LOST
    # Login with the token's code is refused with the message to contact the branch.
    client.post(reverse("accounts-login"), {"contract_id": token_contract.contract_id, "password": PASSWORD})
    page = client.post(reverse("accounts-login-otp"), {"otp": totp.totp(token_contract.key, fake_clock.t)})
    assert "紛失届を受け付けているため" in page.content.decode()


def test_each_unlock_lifts_only_its_own_kind(contract, maker):
    from ibank import clock

    now = clock.now()
    Contract.objects.filter(pk=contract.pk).update(login_failures=5)
    kinds = ["login", "transaction", "token_setup", "ib_suspension"]
    for kind in kinds:
        set_lock(contract, kind, at=now)
    for i, kind in enumerate(kinds):
        services.contract_unlock(actor=None, staff=maker, contract=contract, kind=kind, reason="本人確認済")
        contract.refresh_from_db()
        assert [not is_locked(contract, k) for k in kinds] == [j <= i for j in range(4)]
        assert AuditEntry.objects.filter(action=f"{kind}.unlock", contract=contract).exists()
    with pytest.raises(services.OperationRefused):
        services.contract_unlock(actor=None, staff=maker, contract=contract, kind="login", reason="二度目")


def test_ib_cancellation_needs_the_token_stopped_first_then_refuses_login(client, token_contract, maker):
    with pytest.raises(services.OperationRefused) as refused:
        services.contract_cancel(actor=None, staff=maker, contract=token_contract, reason="ご本人申出", reference=REF)
    assert refused.value.message == services.HAS_TOKEN
    otp_services.token_stop(actor=None, contract=token_contract, token_pk=token_contract.binding.software_token_id)
    services.contract_cancel(actor=None, staff=maker, contract=token_contract, reason="ご本人申出", reference=REF)
    contract = Contract.objects.get(pk=token_contract.pk)
    assert contract.cancelled_at is not None and contract.accounts.exists()  # a state, never a delete
    response = client.post(reverse("accounts-login"), {"contract_id": contract.contract_id, "password": PASSWORD})
    assert "このご契約ではインターネットバンキングをご利用いただけません" in response.content.decode()
    response = client.post(reverse("otp-register"), {"contract_id": contract.contract_id, "password": PASSWORD})
    assert response.status_code == 200  # the flows refuse too
    assert TRANSFER_PASSWORD  # (the transfer password no longer matters: nothing can be reached)


def test_ib_cancellation_ends_the_customers_open_sessions(client, contract, maker):
    """A customer still logged in when the branch cancels the contract is logged out at the next page (the
    login's session is ended, not only its actions refused)."""
    from tests.helpers import login

    login(client, contract)
    assert client.get(reverse("accounts-menu")).status_code == 200
    services.contract_cancel(actor=None, staff=maker, contract=contract, reason="ご本人申出", reference=REF)
    response = client.get(reverse("accounts-menu"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts-login"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_checkers_approving_at_once_unbind_once(token_contract, maker, checker, checker2):
    from tests.concurrency import run_concurrently

    reset = services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)

    def approve(i):
        try:
            services.token_reset_approve(actor=None, staff=(checker, checker2)[i], reset=reset)
        except services.OperationRefused:
            return "refused"
        return "approved"

    assert sorted(run_concurrently(approve, 2)) == ["approved", "refused"]
    assert AuditEntry.objects.filter(action="token.reset", contract=token_contract).count() == 1


WRITTEN_REQUESTS = {
    "password reset": (services.contract_password_reset, {}),
    "transfer password reset": (services.contract_transfer_password_reset, {}),
    "lost report": (services.contract_report_lost, {}),
    "contract change": (services.contract_change, {"field": "email", "value": "new@example.jp"}),
}


@pytest.mark.parametrize("operation", WRITTEN_REQUESTS)
@pytest.mark.parametrize(
    ("reason", "reference", "told"),
    [("", "C-1", services.REASON_REQUIRED), ("変更届", " ", services.REFERENCE_REQUIRED)],
)
def test_a_written_request_without_its_reason_or_forms_number_changes_nothing(
    contract, maker, operation, reason, reference, told
):
    """Every operation on a written request refuses itself without the clerk's 理由 or the 届出書番号, whatever
    page calls it: nothing is changed or audited."""
    before = Contract.objects.filter(pk=contract.pk).values("user__password", "transfer_password", "email").get()
    service, extra = WRITTEN_REQUESTS[operation]
    with pytest.raises(services.OperationRefused) as refused:
        service(actor=None, staff=maker, contract=contract, reason=reason, reference=reference, **extra)
    assert refused.value.message == told
    after = Contract.objects.filter(pk=contract.pk).values("user__password", "transfer_password", "email").get()
    assert after == before and not contract.locks.exists()
    assert not AuditEntry.objects.filter(contract=contract).exists()


def test_a_written_limit_change_holds_only_a_raise(contract, maker):
    """The same limit written again, or a lower one, begins no hold; a raise begins the hold of a change. The
    limit is 1 yen or more."""

    def change(value):  # each from the contract as the admin's request loads it
        fresh = Contract.objects.get(pk=contract.pk)
        services.contract_change(
            actor=None,
            staff=maker,
            contract=fresh,
            field="daily_transfer_limit",
            value=value,
            reason="変更届",
            reference="C-1",
        )

    for value in ("100000", "100000"):  # lower than the 200,000 in force, then the same again
        change(value)
        assert not is_locked(contract, Lock.Kind.CHANGE_HOLD)
    change("150000")
    assert is_locked(contract, Lock.Kind.CHANGE_HOLD)
    with pytest.raises(services.OperationRefused) as refused:  # 1円以上
        change("0")
    assert refused.value.message == services.BAD_LIMIT % {"ceiling": "200,000"}
    change("1")
    assert Contract.objects.get(pk=contract.pk).daily_transfer_limit == 1


def test_contract_changes_from_a_written_form(contract, maker, mailoutbox, django_capture_on_commit_callbacks):
    common = {"actor": None, "staff": maker, "contract": contract, "reason": "変更届", "reference": "C-1"}
    with pytest.raises(services.OperationRefused) as refused:
        services.contract_change(**common, field="transaction_method", value="card")
    assert refused.value.message == services.NO_CARD  # no card digits: the card method is refused
    with pytest.raises(services.OperationRefused) as refused:
        services.contract_change(**common, field="transaction_method", value="otp")  # a token's, not a form's
    assert refused.value.message == services.BAD_METHOD
    with pytest.raises(services.OperationRefused):
        services.contract_change(**common, field="daily_transfer_limit", value="300000")  # no token: 200,000 at most
    with pytest.raises(services.OperationRefused):
        services.contract_change(**common, field="email", value="not-an-address")
    old_email = contract.email
    with django_capture_on_commit_callbacks(execute=True):
        services.contract_change(**common, field="email", value="new@example.jp")
        services.contract_change(**common, field="daily_transfer_limit", value="150,000")
    contract.refresh_from_db()
    assert contract.email == "new@example.jp" and contract.daily_transfer_limit == 150_000
    assert [m.to for m in mailoutbox][:2] == [[old_email], ["new@example.jp"]]
    # Both tell the hold the change began (SPEC §8); the limit's notice, a lowering, tells of none.
    assert all("お客様の保護のため、メールアドレスの変更の後、一定期間" in m.body for m in mailoutbox[:2])
    assert "（1日あたりの振込限度額）" in mailoutbox[2].body and "お客様の保護のため" not in mailoutbox[2].body
    entries = AuditEntry.objects.filter(action="contract.change", contract=contract)
    assert {(e.detail["field"], e.detail["new"]) for e in entries} == {
        ("email", "new@example.jp"),
        ("daily_transfer_limit", "150000"),
    }
    # Each entry keeps the clerk's reason and the form's number (a change that holds the contract included).
    assert {(e.detail["staff_reason"], e.detail["reference"]) for e in entries} == {("変更届", "C-1")}


def test_a_contract_without_a_card_may_be_set_to_the_transfer_password(contract, maker):
    """Only the card's method needs the card: one never issued does not refuse 資金移動用パスワード."""
    assert not contract.card_cells and contract.transfer_password
    common = {"actor": None, "staff": maker, "contract": contract, "reason": "変更届", "reference": "C-2"}
    services.contract_change(**common, field="transaction_method", value=" password ")
    entry = AuditEntry.objects.get(action="contract.change", contract=contract)
    assert (entry.detail["field"], entry.detail["new"]) == ("transaction_method", "password")


def test_in_the_admin_a_checker_cannot_request_and_nobody_approves_their_own(client, token_contract, maker, checker):
    from django.contrib.auth.models import Group

    as_staff(client, checker)
    response = client.post(
        reverse("admin:branch-operate", args=[token_contract.pk]),
        {"operation": "token_reset_request", "reason": REASON, "reference": REF},
    )
    assert str(services.NOT_ALLOWED) in response.content.decode()
    assert not TokenResetRequest.objects.exists()
    # A 窓口担当 who is also a 役席 still cannot approve their own request in the admin.
    maker.groups.add(Group.objects.get(name="役席"))
    reset = services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    client.logout()
    as_staff(client, type(maker).objects.get(pk=maker.pk))
    response = client.post(reverse("admin:branch-decide", args=[reset.pk]), {"approve": "1", "comment": ""})
    assert str(services.OWN_REQUEST) in response.content.decode()
    assert TokenBinding.objects.filter(contract=token_contract).exists()


def test_ib_cancellation_after_a_lost_report_points_to_the_token_reset_and_is_allowed_after_it(
    token_contract, maker, checker
):
    """The customer cannot stop a token reported lost: the refusal names the reset, after which 解約 works."""
    services.contract_report_lost(actor=None, staff=maker, contract=token_contract, reason="紛失", reference=REF)
    with pytest.raises(services.OperationRefused) as refused:
        services.contract_cancel(actor=None, staff=maker, contract=token_contract, reason="ご本人申出", reference=REF)
    assert refused.value.message == services.HAS_LOST_TOKEN and "トークンIDのリセット" in str(refused.value.message)
    from auditlog.models import AuditEntry

    assert AuditEntry.objects.filter(action="ib.cancel", contract=token_contract, outcome="failed").exists()
    reset = services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    services.token_reset_approve(actor=None, staff=checker, reset=reset)
    services.contract_cancel(actor=None, staff=maker, contract=token_contract, reason="ご本人申出", reference=REF)
    assert Contract.objects.get(pk=token_contract.pk).cancelled_at is not None


def test_a_lost_report_without_a_token_ends_the_sessions_and_leaves_no_lock_on_a_later_token(
    client, contract, maker, make_token, fake_clock
):
    """A customer without a token who lost a phone (a passkey, an open session) reports it: the sessions end
    and the passkeys go, but no 紛失届 lock stays behind to stop the token they register next."""
    from accounts import gate
    from notices.models import Notice
    from tests.helpers import login

    login(client, contract)
    services.contract_report_lost(actor=None, staff=maker, contract=contract, reason="紛失", reference=REF)
    assert client.get(reverse("accounts-menu")).status_code == 302  # the session opened before has ended
    assert not is_locked(contract, "lost")
    assert Notice.objects.get(contract_id=contract.pk, event="device_lost").subject == subject("device_lost")
    assert not Notice.objects.filter(contract_id=contract.pk, event="token_lost").exists()
    assert AuditEntry.objects.get(action="token.lost", contract=contract).detail["token"] is False
    make_token(contract)
    assert gate.may(Contract.objects.get(pk=contract.pk), gate.Action.LOGIN_OTP)  # the new token is usable


def test_a_second_lost_report_is_refused_and_told_once(token_contract, maker):
    from notices.models import Notice

    services.contract_report_lost(actor=None, staff=maker, contract=token_contract, reason="紛失", reference=REF)
    with pytest.raises(services.OperationRefused) as refused:
        services.contract_report_lost(actor=None, staff=maker, contract=token_contract, reason="再", reference=REF)
    assert refused.value.message == services.ALREADY_LOST
    assert AuditEntry.objects.filter(action="token.lost", contract=token_contract).count() == 1
    assert Notice.objects.filter(contract_id=token_contract.pk, event="token_lost").count() == 1
    assert is_locked(token_contract, "lost")


def test_a_token_reset_is_not_requested_for_a_contract_without_a_token(client, contract, maker):
    """Approved, it would reset nothing and still hold the customer's new payees and Pay-easy for days; the
    operation page does not offer it."""
    with pytest.raises(services.OperationRefused) as refused:
        services.token_reset_request(actor=None, staff=maker, contract=contract, reason=REASON, reference=REF)
    assert refused.value.message == services.NO_TOKEN and not TokenResetRequest.objects.exists()
    as_staff(client, maker)
    page = client.get(reverse("admin:branch-operate", args=[contract.pk])).content.decode()
    assert 'value="token_reset_request"' not in page and 'value="report_lost"' in page


def test_an_approval_after_the_customer_stopped_the_token_is_refused_and_changes_nothing(
    token_contract, maker, checker
):
    """The customer stopped the token between the request and its approval: approving would reset nothing but
    mail a reset and hold the contract. The 役席 is told to reject it; the request stays pending until then."""
    from accounts.models import Lock
    from notices.models import Notice

    reset = services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    otp_services.token_stop(actor=None, contract=token_contract, token_pk=token_contract.binding.software_token_id)
    with pytest.raises(services.OperationRefused) as refused:
        services.token_reset_approve(actor=None, staff=checker, reset=reset)
    assert refused.value.message == services.NOTHING_TO_RESET
    assert reset.status == TokenResetRequest.Status.PENDING
    assert TokenResetRequest.objects.get(pk=reset.pk).status == TokenResetRequest.Status.PENDING
    assert not Notice.objects.filter(contract_id=token_contract.pk, event="token_reset").exists()
    assert not Lock.objects.filter(contract=token_contract, kind=Lock.Kind.CHANGE_HOLD, reason="token_reset").exists()
    assert not AuditEntry.objects.filter(action__in=["token.reset", "token_reset.approve"]).exists()
    services.token_reset_reject(actor=None, staff=checker, reset=reset, comment="利用停止済み")
    assert TokenResetRequest.objects.get(pk=reset.pk).status == TokenResetRequest.Status.REJECTED


def test_a_second_cancellation_is_refused_and_the_first_date_stays(contract, maker, fake_clock):
    from notices.models import Notice

    services.contract_cancel(actor=None, staff=maker, contract=contract, reason="ご本人申出", reference=REF)
    first = Contract.objects.get(pk=contract.pk).cancelled_at
    fake_clock.advance(86_400)
    with pytest.raises(services.OperationRefused) as refused:
        services.contract_cancel(actor=None, staff=maker, contract=contract, reason="再", reference="R-2")
    assert refused.value.message == services.ALREADY_CANCELLED
    assert Contract.objects.get(pk=contract.pk).cancelled_at == first
    assert AuditEntry.objects.filter(action="ib.cancel", contract=contract, outcome="ok").count() == 1
    assert Notice.objects.filter(contract_id=contract.pk, event="contract_cancelled").count() == 1


def test_a_limit_set_by_the_branch_is_not_undone_by_a_raise_the_customer_asked_before(contract, maker, fake_clock):
    """Without a token a raise applies from the next day; the branch lowering the limit on a written form in
    between must win, today and tomorrow, whether the raise is still pending or already the limit in force."""
    from datetime import timedelta

    from accounts import limits

    limits.limit_change(actor=None, contract=contract, new_limit=200_000, at_once=False)  # from tomorrow
    common = {"actor": None, "staff": maker, "reason": "変更届", "reference": "C-2"}
    services.contract_change(**common, contract=contract, field="daily_transfer_limit", value="50000")
    fresh = Contract.objects.get(pk=contract.pk)
    assert limits.daily_limit(fresh, limits.today()) == 50_000
    assert limits.daily_limit(fresh, limits.today() + timedelta(days=1)) == 50_000
    # A raise whose day has come is the limit in force until the branch's change replaces it.
    limits.limit_change(actor=None, contract=fresh, new_limit=200_000, at_once=False)
    fake_clock.advance(86_400)
    fresh = Contract.objects.get(pk=contract.pk)
    assert limits.daily_limit(fresh, limits.today()) == 200_000
    services.contract_change(**common, contract=fresh, field="daily_transfer_limit", value="30000")
    assert limits.daily_limit(Contract.objects.get(pk=contract.pk), limits.today()) == 30_000
    entry = AuditEntry.objects.filter(action="contract.change", contract=contract).order_by("pk").last()
    assert (entry.detail["old"], entry.detail["new"]) == ("200000", "30000")


def test_the_unlock_notice_names_what_was_lifted_a_lock_or_a_hold(contract, maker):
    from datetime import timedelta

    from ibank import clock
    from notices.models import Notice

    set_lock(contract, "env_hold", until=clock.now() + timedelta(hours=12))
    services.contract_unlock(actor=None, staff=maker, contract=contract, kind="env_hold", reason="本人確認済")
    body = Notice.objects.get(contract_id=contract.pk, event="unlocked").body
    assert "次の停止・制限を解除しました" in body and "解除した停止・制限：新しい環境からのログイン後の制限" in body


def test_a_reset_approves_only_the_token_the_request_was_about(client, token_contract, maker, checker):
    """The request names the token bound when it was made, and the approval page shows it. If the customer
    exchanged it meanwhile, approving must not reset their new, working token: refused, nothing changes."""
    old = token_contract.binding.software_token
    reset = services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    assert reset.token_id == old.pk
    as_staff(client, checker)
    page = client.get(reverse("admin:branch-decide", args=[reset.pk])).content.decode()
    assert old.token_id in page
    new, _key = token_issue(kind="mobile")
    TokenBinding.objects.filter(contract=token_contract).update(software_token=new)  # as 交換 leaves it
    response = client.post(reverse("admin:branch-decide", args=[reset.pk]), {"approve": "1", "comment": ""})
    assert str(services.TOKEN_CHANGED) in response.content.decode()
    assert TokenBinding.objects.get(contract=token_contract).software_token_id == new.pk
    assert TokenResetRequest.objects.get(pk=reset.pk).status == TokenResetRequest.Status.PENDING
    assert not AuditEntry.objects.filter(action="token.reset").exists()


def test_a_reset_request_that_cannot_be_audited_is_not_made(token_contract, maker, monkeypatch):
    """Nothing half-done: the request and its audit entry are written together or not at all."""

    def audit_down(*args, **kwargs):
        raise RuntimeError("the audit log refused the entry")

    monkeypatch.setattr(services.audit, "record", audit_down)
    with pytest.raises(RuntimeError):
        services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason=REASON, reference=REF)
    assert not TokenResetRequest.objects.exists()


@pytest.mark.parametrize("typed", ["²", "1e5", "-100000", "١٠٠٠٠٠", "0", ""])
def test_a_limit_typed_oddly_by_the_clerk_is_refused_with_the_rule(contract, maker, typed):
    """Whatever the clerk pastes into the new limit is told by the rule, never a server error, and changes
    nothing ("²" is a digit to str.isdigit and not to int)."""
    common = {"actor": None, "staff": maker, "contract": contract, "reason": "変更届", "reference": "C-1"}
    with pytest.raises(services.OperationRefused) as refused:
        services.contract_change(**common, field="daily_transfer_limit", value=typed)
    assert "200,000" in refused.value.message  # the ceiling the rule names (no token)
    contract.refresh_from_db()
    assert contract.daily_transfer_limit == 500_000


def test_a_limit_in_full_width_digits_is_read(contract, maker):
    common = {"actor": None, "staff": maker, "contract": contract, "reason": "変更届", "reference": "C-1"}
    services.contract_change(**common, field="daily_transfer_limit", value="１５０，０００".replace("，", ","))
    contract.refresh_from_db()
    assert contract.daily_transfer_limit == 150_000


def _contracts_list(client):
    """The admin's contracts list as the clerk sees it now: ``cell(contract, field)`` reads a row's column."""
    import re

    page = client.get(reverse("admin:accounts_contract_changelist")).content.decode()

    def cell(contract, field):
        row = next(r for r in re.findall(r"<tr.*?</tr>", page, re.S) if contract.contract_id in r)
        return re.search(rf'<td class="field-{field}">(.*?)</td>', row).group(1)

    return cell


def test_the_contracts_list_reads_each_tokens_state(
    client, admin_superuser, contract, token_contract, make_contract, make_token
):
    """The トークン column, as a clerk reads it: none, in use, locked by wrong codes, or reported lost (which
    says more than the OTP lock it comes with)."""
    locked, lost = make_contract(), make_contract()
    for each in (locked, lost):
        make_token(each)
    set_lock(locked, Lock.Kind.OTP)
    set_lock(lost, Lock.Kind.LOST)
    set_lock(lost, Lock.Kind.OTP)
    # The 停止 column: a block that ends at 0:00 tonight (Pay-easy's ten wrong entries) says so.
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    midnight = datetime.combine(
        timezone.localdate() + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )
    set_lock(contract, Lock.Kind.PAYEASY, until=midnight)
    cell = _contracts_list(client)
    assert [cell(c, "token") for c in (contract, token_contract, locked, lost)] == [
        "なし",
        "利用中",
        "ロック中",
        "紛失届",
    ]
    assert cell(contract, "locks") == "収納サービス利用停止（本日）"
    assert cell(locked, "locks") == "ワンタイムパスワード停止"


def test_the_contract_page_tells_a_raise_waiting_and_the_method_with_its_password(
    client, admin_superuser, contract, make_contract, fake_clock
):
    """What the clerk reads before a change: a raise waiting for 0:00, and whether a 資金移動用パスワード
    exists; on the list, a cancelled contract's 解約 and "—" where nothing stops it."""
    from datetime import timedelta

    from accounts import limits

    limits.limit_change(actor=None, contract=contract, new_limit=150_000, at_once=True)  # lower first
    contract.refresh_from_db()
    limits.limit_change(actor=None, contract=contract, new_limit=180_000, at_once=False)
    card = make_contract(method=Contract.Method.CARD)
    Contract.objects.filter(pk=card.pk).update(transfer_password="")
    page = client.get(reverse("admin:accounts_contract_change", args=[contract.pk])).content.decode()
    tomorrow = limits.today() + timedelta(days=1)
    assert f"150,000円（{tomorrow:%Y/%m/%d} 0:00から 180,000円 に変更予定）" in page
    assert "資金移動用パスワード（未登録）" not in page and "（資金移動用パスワード：登録あり）" not in page
    page = client.get(reverse("admin:accounts_contract_change", args=[card.pk])).content.decode()
    assert "お客様カード（資金移動用パスワード：未登録）" in page
    Contract.objects.filter(pk=card.pk).update(cancelled_at=fake_clock.now())
    quiet = make_contract()
    cell = _contracts_list(client)
    assert cell(quiet, "locks") == "—" and cell(card, "locks") == "解約"
