"""Wrong codes at the new-token step of 利用登録 / 交換 count, per contract and per token, and lock at 5."""

import pytest
from django.urls import reverse

from accounts import gate
from accounts.models import Contract
from auditlog.models import AuditEntry
from notices.outbox import subject
from otp import services
from otp.models import SoftwareToken, TokenBinding
from otp.services import token_issue
from tests.helpers import is_locked
from tests.otp.test_flows import EXCHANGE_NEW, EXCHANGE_OLD, REGISTER, auth, code, register


def wrong(key, clock):
    right = code(key, clock)
    return f"{(int(right) + 1) % 1_000_000:06d}"


def test_five_wrong_codes_at_registration_stop_token_setup(
    client, contract, fake_clock, mailoutbox, django_capture_on_commit_callbacks
):
    token, key = token_issue(kind="mobile")
    auth(client, REGISTER, contract)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            response = register(client, token, key, fake_clock, otp=wrong(key, fake_clock))
    assert str(services.TokenSetupLocked.message) in response.content.decode()
    contract.refresh_from_db()
    assert contract.token_setup_failures == 5 and is_locked(contract, "token_setup")
    assert AuditEntry.objects.filter(action="register.lock", contract=contract).count() == 1
    assert subject("token_setup_locked") in [m.subject for m in mailoutbox]
    # Even the right code, and any other token, is now refused: 600 guesses are no longer possible.
    fake_clock.advance(30)
    response = register(client, token, key, fake_clock)
    assert response.status_code == 200 and not TokenBinding.objects.exists()
    other, other_key = token_issue(kind="mobile")
    response = register(client, other, other_key, fake_clock)
    assert str(services.TokenSetupLocked.message) in response.content.decode()
    assert not TokenBinding.objects.exists()


def test_wrong_codes_count_on_the_token_across_contracts(client, make_contract, fake_clock):
    """Someone else's issued token, guessed at from several contracts: the token itself locks."""
    token, key = token_issue(kind="mobile")
    for attacker in [make_contract() for _ in range(3)]:
        auth(client, REGISTER, attacker)
        register(client, token, key, fake_clock, otp=wrong(key, fake_clock))
        register(client, token, key, fake_clock, otp=wrong(key, fake_clock))
        client.cookies.clear()
    token.refresh_from_db()
    assert (
        token.status == SoftwareToken.Status.LOCKED and token.setup_failures == 5
    )  # the 6th is refused before any code is checked
    assert AuditEntry.objects.filter(action="token.setup_lock", detail__token_id=token.token_id).count() == 1
    owner = make_contract()
    auth(client, REGISTER, owner)
    response = register(client, token, key, fake_clock)  # even its owner, with the right code
    assert response.context["form"].errors["token_id"] == [str(services.TokenLocked.message)]
    assert not TokenBinding.objects.exists()


def test_a_success_resets_the_contract_count(client, contract, fake_clock):
    token, key = token_issue(kind="mobile")
    auth(client, REGISTER, contract)
    for _ in range(4):
        register(client, token, key, fake_clock, otp=wrong(key, fake_clock))
    assert register(client, token, key, fake_clock)["Location"] == reverse("otp-result")
    contract.refresh_from_db()
    assert contract.token_setup_failures == 0 and not is_locked(contract, "token_setup")


def test_an_exchanges_success_resets_the_count_and_the_new_token_starts_afresh(client, token_contract, fake_clock):
    """Wrong codes for the new token, then its right one: the contract's count is reset, and the binding now
    holds the new token with no failures and no clock drift carried over from the old one."""
    TokenBinding.objects.filter(contract=token_contract).update(failures=2, drift=1)
    auth(client, REGISTER, token_contract)
    client.post(EXCHANGE_OLD, {"otp": code(token_contract.key, fake_clock)})
    new, new_key = token_issue(kind="mobile")
    for _ in range(2):
        client.post(EXCHANGE_NEW, {"token_id": new.token_id, "otp": wrong(new_key, fake_clock)})
    assert Contract.objects.get(pk=token_contract.pk).token_setup_failures == 2
    response = client.post(EXCHANGE_NEW, {"token_id": new.token_id, "otp": code(new_key, fake_clock)})
    assert response["Location"] == reverse("otp-result")
    assert Contract.objects.get(pk=token_contract.pk).token_setup_failures == 0
    binding = TokenBinding.objects.get(contract=token_contract)
    assert (binding.software_token_id, binding.failures, binding.drift) == (new.pk, 0, 0)


def test_wrong_new_token_codes_at_exchange_count_too(client, token_contract, fake_clock):
    auth(client, REGISTER, token_contract)
    client.post(EXCHANGE_OLD, {"otp": code(token_contract.key, fake_clock)})
    new, new_key = token_issue(kind="mobile")
    for _ in range(5):
        response = client.post(EXCHANGE_NEW, {"token_id": new.token_id, "otp": wrong(new_key, fake_clock)})
    assert str(services.TokenSetupLocked.message) in response.content.decode()
    assert is_locked(token_contract, "token_setup")
    binding = TokenBinding.objects.get(contract=token_contract)
    assert binding.software_token_id == token_contract.binding.software_token_id  # the old token stays
    assert binding.failures == 0  # the login OTP is not locked by these


@pytest.mark.parametrize("kind", ["token_setup", "ib_suspension"])
def test_a_lock_set_after_the_page_asked_refuses_the_right_code(contract, fake_clock, kind):
    """The pages ask the gate first; a lock set after that (another tab's fifth wrong code, the branch's IB取引
    中止) is asked again under the contract's row lock: the registration is refused, nothing is bound, and the
    token stays issued."""
    from tests.helpers import set_lock

    token, key = token_issue(kind="mobile")
    set_lock(contract, kind)
    with pytest.raises(services.TokenSetupLocked) as refused:
        services.token_register(
            actor=None, contract=contract, token_id=token.token_id, code=code(key, fake_clock), login_otp=True
        )
    assert refused.value.message == gate.may(contract, gate.Action.TOKEN_REGISTER).message  # the lock's own words
    assert not TokenBinding.objects.exists()
    assert SoftwareToken.objects.get(pk=token.pk).status == SoftwareToken.Status.ISSUED


@pytest.mark.parametrize("kind", ["token_setup", "ib_suspension"])
def test_a_lock_set_after_the_exchange_page_asked_refuses_the_new_tokens_right_code(token_contract, fake_clock, kind):
    """As for 利用登録: the exchange asks the gate again under the contract's row lock; the old token stays
    bound and the new one issued."""
    from tests.helpers import set_lock

    old = TokenBinding.objects.get(contract=token_contract).software_token_id
    token, key = token_issue(kind="mobile")
    set_lock(token_contract, kind)
    with pytest.raises(services.TokenSetupLocked) as refused:
        services.token_exchange(
            actor=None,
            contract=token_contract,
            old_token_pk=old,
            new_token_id=token.token_id,
            code=code(key, fake_clock),
        )
    assert refused.value.message == gate.may(token_contract, gate.Action.TOKEN_EXCHANGE).message
    assert TokenBinding.objects.get(contract=token_contract).software_token_id == old
    assert SoftwareToken.objects.get(pk=token.pk).status == SoftwareToken.Status.ISSUED
