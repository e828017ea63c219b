"""Token flows racing on PostgreSQL, from separate connections."""

import time

import pytest

from otp import services, totp
from otp.models import SoftwareToken, TokenBinding
from otp.services import token_issue
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _register(contract, token, key, *, login_otp: bool):
    """ご利用登録 of ``token`` with its code of this moment."""
    return services.token_register(
        actor=None, contract=contract, token_id=token.token_id, code=totp.totp(key, time.time()), login_otp=login_otp
    )


def _outcome(flow, done: str) -> str:
    """``done`` when ``flow()`` went through, else the name of the refusal it raised."""
    try:
        flow()
    except services.TokenFlowError as error:
        return type(error).__name__
    return done


def test_concurrent_registrations_for_one_contract_end_with_one_binding(contract):
    tokens = [token_issue(kind="mobile") for _ in range(8)]

    def register(i):
        token, key = tokens[i]
        try:
            _register(contract, token, key, login_otp=True)
        except services.ContractHasToken:
            return "refused"
        return "registered"

    results = run_concurrently(register, 8)
    assert sorted(results) == ["refused"] * 7 + ["registered"]
    binding = TokenBinding.objects.get(contract=contract)
    assert SoftwareToken.objects.filter(status="active").get() == binding.software_token
    assert SoftwareToken.objects.filter(status="issued").count() == 7


def test_concurrent_registrations_of_one_token_by_two_contracts_bind_it_once(make_contract):
    token, key = token_issue(kind="mobile")
    contracts = [make_contract() for _ in range(6)]

    def register(i):
        return _outcome(lambda: _register(contracts[i], token, key, login_otp=False), "registered")

    results = run_concurrently(register, 6)
    # The token's row is locked while it is checked: each other contract is told it is registered already,
    # never that it has a token of its own (which the binding's unique constraint alone would answer).
    assert sorted(results) == ["TokenAlreadyBound"] * 5 + ["registered"]
    assert TokenBinding.objects.filter(software_token=token).count() == 1


def test_concurrent_exchanges_to_one_new_token_by_two_contracts_bind_it_once(make_contract, make_token):
    new_token, new_key = token_issue(kind="mobile")
    contracts = [make_contract() for _ in range(4)]
    olds = [make_token(contract)[0].software_token_id for contract in contracts]

    def exchange(i):
        code = totp.totp(new_key, time.time())
        args = {"contract": contracts[i], "old_token_pk": olds[i], "new_token_id": new_token.token_id, "code": code}
        return _outcome(lambda: services.token_exchange(actor=None, **args), "exchanged")

    results = run_concurrently(exchange, 4)
    assert sorted(results) == ["TokenAlreadyBound"] * 3 + ["exchanged"]
    assert TokenBinding.objects.filter(software_token=new_token).count() == 1
    assert TokenBinding.objects.filter(software_token_id__in=olds).count() == 3  # the others keep their own


def test_concurrent_exchange_and_stop_leave_a_consistent_state(token_contract):
    for _ in range(4):
        binding = TokenBinding.objects.get(contract=token_contract)
        old_pk = binding.software_token_id
        new_token, new_key = token_issue(kind="mobile")

        def act(i, old_pk=old_pk, new_token=new_token, new_key=new_key):
            try:
                if i == 0:
                    services.token_exchange(
                        actor=None,
                        contract=token_contract,
                        old_token_pk=old_pk,
                        new_token_id=new_token.token_id,
                        code=totp.totp(new_key, time.time()),
                    )
                    return "exchanged"
                services.token_stop(actor=None, contract=token_contract, token_pk=old_pk)
                return "stopped"
            except services.TokenChanged:
                return "changed"

        results = run_concurrently(act, 2)
        bindings = list(TokenBinding.objects.filter(contract=token_contract))
        active = list(SoftwareToken.objects.filter(status="active"))
        assert len(bindings) <= 1
        assert [b.software_token_id for b in bindings] == [
            t.pk for t in active
        ]  # the bound token, and only it, is active
        if results == ["exchanged", "changed"]:
            assert bindings[0].software_token_id == new_token.pk
        elif results == ["changed", "stopped"]:
            assert bindings == []
        else:
            pytest.fail(f"both or neither happened: {results}")
        if not bindings:  # stopped: register a fresh token for the next round
            token, key = token_issue(kind="mobile")
            _register(token_contract, token, key, login_otp=True)
