from django.core.management import call_command

from accounts.models import Account, Contract, User
from otp.models import TokenBinding
from payments.models import Bill, Biller


def test_demo_data_is_idempotent_and_logs_in(client, db):
    call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Contract.objects.filter(contract_id__in=["1000000001", "1000000002", "1000000003"]).count() == 3
    assert Account.objects.customer().count() == 4
    assert TokenBinding.objects.get(contract__contract_id="1000000003").login_otp
    call_command("check_ledger", stdout=open("/dev/null", "w"))  # noqa: SIM115  (opening deposits are entries)
    assert User.objects.filter(username="staff", is_staff=True).count() == 1
    taro = Contract.objects.get(contract_id="1000000001")
    assert taro.check_transfer_password("2468")
    hanako = Contract.objects.get(contract_id="1000000002")
    assert hanako.transaction_method == Contract.Method.CARD
    response = client.post("/login/", {"contract_id": "1000000001", "password": "demo1234"})
    assert response.status_code == 302


def test_demo_data_seeds_billers_of_both_kinds_with_unpaid_bills_and_prints_them(db, capsys):
    call_command("demo_data")
    out = capsys.readouterr().out
    kinds = set(Biller.objects.values_list("kind", flat=True))
    assert kinds == {Biller.Kind.PRIVATE, Biller.Kind.PUBLIC}
    bills = list(Bill.objects.select_related("biller"))
    assert {bill.biller.kind for bill in bills} == kinds  # an unpaid bill of each kind to pay
    for bill in bills:
        assert not bill.is_paid
        assert bill.biller.number in out and bill.customer_number in out and bill.confirmation_number in out
    assert "収納サービス" in out
    taro = Contract.objects.get(contract_id="1000000001")
    assert taro.payees.get().number == "2345678"  # for /m/, which pays registered payees only


def test_demo_customers_are_of_long_standing_and_taro_paid_hanako_before(db):
    """Demo data gives history (never turns a rule off): no start hold, and 佐藤 花子 is a payee paid before."""
    from accounts.models import Lock
    from payments.models import Transfer

    call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not Lock.objects.filter(kind=Lock.Kind.START_HOLD).exists()
    taro = Contract.objects.get(contract_id="1000000001")
    paid = Transfer.objects.get(contract=taro, status=Transfer.Status.DONE)
    assert paid.payee_number == "2345678" and paid.entry_id is not None
    call_command("check_ledger", stdout=open("/dev/null", "w"))  # noqa: SIM115
