"""口座名義確認 (issue 18): 確認 shows a same-bank payee's name from our records, and lookups that end in no
transfer are limited per contract and JST day, so that the page is no oracle of names."""

from django.conf import settings
from django.urls import reverse

from auditlog.models import AuditEntry
from tests.payments.helpers import authorize, confirm, enter, login, same_bank_data

LIMIT_TEXT = "当金庫の口座へのお振込先の確認は、1日10回までです。"


def lookup(client, contract, number, **extra):
    data = {
        "from_account": contract.account.pk,
        "bank_code": settings.IBANK_BANK_CODE,
        "branch_code": "001",
        "payee_kind": "1",
        "payee_number": number,
        "payee_name": "ﾃｽﾄ",
        "amount": "1000",
        **extra,
    }
    return enter(client, data)


def test_confirm_shows_the_holders_name(client, contract, make_contract):
    payee = make_contract()
    login(client, contract)
    _r, transfer = enter(client, same_bank_data(contract, payee, payee_name="ﾃｽﾄ"))
    page = client.get(reverse("transfers-confirm", args=[transfer.reference])).content.decode()
    assert "口座名義" in page and payee.account.holder_kana in page


def test_the_limit_at_n_and_n_plus_one_then_the_next_day(client, contract, make_contract, fake_clock):
    assert settings.IBANK_NAME_LOOKUP_LIMIT == 10
    payee = make_contract()
    login(client, contract)
    for n in range(9):  # nine accounts that do not exist: each is a lookup all the same
        response, transfer = lookup(client, contract, f"99000{n:02d}")
        assert transfer is None and "振込先の口座が見つかりません" in response.context["form"].errors["payee_number"][0]
    _r, tenth = enter(client, same_bank_data(contract, payee))  # the 10th: still answered
    assert tenth is not None
    # The 11th is refused before any account is read: an existing account tells nothing either.
    response, eleventh = enter(client, same_bank_data(contract, payee, amount="2000", payee_name="ﾃｽﾄ"))
    assert eleventh is None
    error = response.context["form"].errors["payee_number"][0]
    assert LIMIT_TEXT in error and payee.account.holder_kana not in response.content.decode()
    assert response.context["form"]["payee_number"].value() == payee.account.number  # what was typed stays
    refused = AuditEntry.objects.get(action="transfer.name_lookup", contract=contract)
    assert refused.outcome == AuditEntry.Outcome.FAILED and refused.reason == "name_lookup_limit"
    # Other banks and the customer's own accounts are not lookups.
    _r, other = enter(client, {**same_bank_data(contract, payee), "bank_code": "0005", "payee_name": "ﾃｽﾄ"})
    assert other is not None

    fake_clock.advance(24 * 3600)
    login(client, contract)
    _r, next_day = enter(client, same_bank_data(contract, payee))
    assert next_day is not None


def test_a_lookup_that_ends_in_a_transfer_is_given_back(client, contract, make_contract):
    payee = make_contract()
    login(client, contract)
    for n in range(9):
        lookup(client, contract, f"99000{n:02d}")
    _r, transfer = enter(client, same_bank_data(contract, payee, amount="500"))
    confirm(client, transfer)
    authorize(client, transfer)
    transfer.refresh_from_db()
    assert transfer.is_executed
    _r, again = lookup(client, contract, "9900099")  # the paid payee's lookup was given back: a 10th
    assert again is None and "振込先の口座が見つかりません" in _r.context["form"].errors["payee_number"][0]
    response, _t = lookup(client, contract, "9900098")
    assert LIMIT_TEXT in response.context["form"].errors["payee_number"][0]


def test_correcting_the_same_draft_is_not_another_lookup(client, contract, make_contract):
    payee = make_contract()
    login(client, contract)
    _r, transfer = enter(client, same_bank_data(contract, payee))
    for amount in range(20):  # 戻る and correct the amount, twenty times
        response = client.post(
            reverse("transfers-edit", args=[transfer.reference]),
            same_bank_data(contract, payee, amount=str(1000 + amount)),
        )
        assert response.status_code == 302
    for n in range(9):
        _r, _found = lookup(client, contract, f"99000{n:02d}")
        assert "振込先の口座が見つかりません" in _r.context["form"].errors["payee_number"][0]
    response, _t = lookup(client, contract, "9900098")
    assert LIMIT_TEXT in response.context["form"].errors["payee_number"][0]
