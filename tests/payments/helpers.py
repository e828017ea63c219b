from django.conf import settings
from django.urls import reverse

from payments.models import Transfer
from tests.conftest import TRANSFER_PASSWORD
from tests.helpers import login  # noqa: F401 (the transfer tests import it from here)

NEW = reverse("transfers-new")


def same_bank_data(contract, payee, amount=10_000, **extra):
    account = payee.account
    return {
        "from_account": contract.account.pk,
        "bank_code": settings.IBANK_BANK_CODE,
        "branch_code": account.branch_code,
        "payee_kind": account.kind,
        "payee_number": account.number,
        "payee_name": account.holder_kana,
        "amount": str(amount),
        **extra,
    }


def other_bank_data(contract, amount=10_000, **extra):
    return {
        "from_account": contract.account.pk,
        "bank_code": "0005",
        "branch_code": "001",
        "payee_kind": "1",
        "payee_number": "7654321",
        "payee_name": "やまだ　はなこ",
        "amount": str(amount),
        **extra,
    }


def enter(client, data):
    """入力 → the 確認 page's URL; returns (response, transfer or None)."""
    response = client.post(NEW, data)
    if response.status_code != 302:
        return response, None
    reference = response["Location"].split("/")[2]
    return response, Transfer.objects.get(reference=reference)


def confirm(client, transfer):
    response = client.post(reverse("transfers-confirm", args=[transfer.reference]))
    assert response["Location"] == reverse("transfers-authorize", args=[transfer.reference]), response
    return response


def authorize(client, transfer, **answer):
    answer = answer or {"transfer_password": TRANSFER_PASSWORD}
    return client.post(reverse("transfers-authorize", args=[transfer.reference]), answer)


def send(client, data, **answer):
    """A whole transfer: 入力, 確認, 認証. Returns (last response, transfer)."""
    response, transfer = enter(client, data)
    assert transfer is not None, response.context["form"].errors
    confirm(client, transfer)
    response = authorize(client, transfer, **answer)
    transfer.refresh_from_db()
    return response, transfer


def confirmed_other_bank(contract, amount, scheduled_for=None):
    """A transfer to the other bank's payee of :func:`other_bank_data` through the services, up to 確認:
    (transfer, the digest 確認 kept). ``scheduled_for``: a 振込予約's day."""
    payee = {"bank_code": "0005", "branch_code": "001", "payee_kind": 1, "payee_number": "7654321"}
    transfer = _prepared(contract, amount, payee_name="ﾔﾏﾀﾞ ﾊﾅｺ", scheduled_for=scheduled_for, **payee)
    return transfer, _confirmed(contract, transfer)


def prepared_same_bank(contract, payee, amount, *, payee_name=None):
    """A transfer to ``payee``'s account (this bank) through the services, at 入力 (not confirmed)."""
    account = payee.account
    return _prepared(
        contract,
        amount,
        bank_code=settings.IBANK_BANK_CODE,
        branch_code=account.branch_code,
        payee_kind=account.kind,
        payee_number=account.number,
        payee_name=payee_name or account.holder_kana,
    )


def confirmed_same_bank(contract, payee, amount, *, payee_name=None):
    """:func:`prepared_same_bank` up to 確認: (transfer, the digest 確認 kept)."""
    transfer = prepared_same_bank(contract, payee, amount, payee_name=payee_name)
    return transfer, _confirmed(contract, transfer)


def _prepared(contract, amount, **payee):
    from payments import services

    return services.transfer_prepare(
        actor=None, contract=contract, from_account=contract.account, amount=amount, **payee
    )


def _confirmed(contract, transfer) -> str:
    from payments import services

    return services.transfer_confirm(actor=None, contract=contract, transfer=transfer)


def copies(row, rows: list[dict]) -> list:
    """Copies of ``row`` (a transfer or a payment) saved at once, each with a 受付番号 of its own, no journal
    entry, and the fields of its dict in ``rows``: a history of any size without its flows."""
    model = type(row)
    made, taken = [], model.objects.count()
    for n, fields in enumerate(rows, start=taken):
        copy = model.objects.get(pk=row.pk)
        copy.pk, copy.reference, copy.entry = None, f"9{n:013d}", None
        for name, value in fields.items():
            setattr(copy, name, value)
        made.append(copy)
    return model.objects.bulk_create(made)
