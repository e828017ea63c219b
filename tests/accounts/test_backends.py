"""The request's user query, compiled once (accounts.backends): the same objects as the ORM's own query,
for a customer with a token, one without, staff without a contract and an id that does not exist."""

import pytest
from django.contrib.auth import get_user_model

from accounts import backends

PATHS = ("contract", "contract__token_binding__software_token__token_type")


def _orm(user_id):
    return get_user_model().objects.select_related(*backends._with_user).filter(pk=user_id).first()


def _same(a, b):
    assert (a is None) == (b is None)
    if a is None:
        return
    fields = [f.attname for f in type(a)._meta.concrete_fields]
    assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]


@pytest.mark.django_db
def test_the_compiled_user_query_gives_what_the_orm_gives(
    make_contract, make_token, django_user_model, django_assert_num_queries
):
    assert set(PATHS) <= set(backends._with_user)  # what otp registers is loaded with the user
    holder, plain = make_contract(), make_contract()
    make_token(holder)
    staff = django_user_model.objects.create_user(username="clerk", password=None, is_staff=True)
    backend = backends.IbankBackend()
    for user_id in (holder.user_id, plain.user_id, staff.pk, 999_999_999):
        with django_assert_num_queries(1):
            got = backend.get_user(user_id)
        want = _orm(user_id)
        with django_assert_num_queries(0):  # everything below was loaded with the user
            _same(got, want)
            if want is None or not hasattr(want, "contract"):
                assert got is None or not hasattr(got, "contract")
                continue
            _same(got.contract, want.contract)
            assert hasattr(got.contract, "token_binding") == hasattr(want.contract, "token_binding")
            if hasattr(want.contract, "token_binding"):
                _same(got.contract.token_binding, want.contract.token_binding)
                _same(got.contract.token_binding.software_token, want.contract.token_binding.software_token)
                _same(  # the menu and the verifier read the type's end of use (利用期限)
                    got.contract.token_binding.software_token.token_type,
                    want.contract.token_binding.software_token.token_type,
                )
                assert got.contract.token_binding.contract is got.contract
    assert backend.get_user("not a number") is None


@pytest.mark.django_db
def test_an_inactive_user_is_not_loaded(make_contract):
    contract = make_contract()
    get_user_model().objects.filter(pk=contract.user_id).update(is_active=False)
    assert backends.IbankBackend().get_user(contract.user_id) is None
