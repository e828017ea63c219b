import pytest

from otp import totp
from otp.models import TokenBinding
from otp.verifier import verify
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def load(pk):
    return TokenBinding.objects.for_verify().get(pk=pk)


def test_32_concurrent_submissions_of_one_code_accept_exactly_one(token_contract):
    code = totp.totp(token_contract.key, __import__("time").time())
    pk = token_contract.binding.pk
    results = run_concurrently(lambda _: verify(load(pk), code).ok, 32)
    assert all(isinstance(r, bool) for r in results), results
    assert results.count(True) == 1


def test_two_different_valid_codes_racing_lose_no_update_of_the_last_step(token_contract):
    import time

    now_step = totp.time_step(time.time())
    codes = [totp.hotp(token_contract.key, now_step), totp.hotp(token_contract.key, now_step + 1)]
    pk = token_contract.binding.pk
    for _ in range(5):
        TokenBinding.objects.filter(pk=pk).update(last_step=-1)
        results = run_concurrently(lambda i: verify(load(pk), codes[i % 2]).ok, 16)
        accepted_later = results[1::2].count(True)
        accepted_earlier = results[0::2].count(True)
        assert accepted_later == 1  # the later step is always accepted exactly once
        assert accepted_earlier <= 1
        assert load(pk).last_step == now_step + 1  # never overwritten by the earlier step
