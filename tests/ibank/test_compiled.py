"""ibank.compiled: a queryset compiled once gives, with other values, what the ORM gives — deferred fields
deferred, related objects loaded — and refuses a queryset whose parameters are not its probes."""

import pytest

from accounts.models import Account, Contract
from ibank.compiled import CompiledQuery


@pytest.mark.django_db
def test_the_same_objects_as_the_orm(make_contract):
    first, second = make_contract(balance=1_000), make_contract(balance=2_000)

    def build(contract_pk, purpose):
        return (
            Account.objects.select_related("contract__user")
            .only("number", "balance", "contract__contract_id", "contract__user__username")
            .filter(contract_id=contract_pk, purpose=purpose)
            .order_by("number")
        )

    query = CompiledQuery(build, -1, "probe")
    for contract in (first, second):
        got, want = query.all(contract.pk, "customer"), list(build(contract.pk, "customer"))
        assert [(a.pk, a.number, a.balance) for a in got] == [(a.pk, a.number, a.balance) for a in want]
        assert got[0].get_deferred_fields() == want[0].get_deferred_fields() != set()
        assert got[0].contract.contract_id == contract.contract_id  # loaded with the row
        assert got[0].contract.user.username == contract.user.username
    assert query.all(10**9, "customer") == [] and query.first(10**9, "customer") is None


@pytest.mark.django_db
def test_an_annotation_is_set_as_the_orm_sets_it(make_contract):
    from django.db.models import F

    contract = make_contract(balance=1_000)

    def build(contract_pk):
        return Account.objects.annotate(doubled=F("balance") * 2).filter(contract_id=contract_pk).order_by("number")

    got, want = CompiledQuery(build, -1).all(contract.pk), list(build(contract.pk))
    assert [(a.pk, a.doubled) for a in got] == [(a.pk, a.doubled) for a in want] != []


@pytest.mark.django_db
def test_a_parameter_derived_from_a_probe_is_refused():
    """A parameter that changes with the probe but is not the probe (here pk + 1) cannot be sent again with
    another value: the query is refused, never run wrong."""
    query = CompiledQuery(lambda pk: Contract.objects.filter(pk=pk + 1), -1)
    with pytest.raises(RuntimeError):
        query.first(1)
    unused = CompiledQuery(lambda pk: Contract.objects.filter(name="fixed"), -1)  # a probe must stand
    with pytest.raises(RuntimeError):
        unused.first(1)


@pytest.mark.django_db
def test_a_constant_of_the_query_is_kept(make_contract):
    """A parameter that does not change with the probes (a name, a purpose, a status) is sent as compiled."""
    contract = make_contract()
    query = CompiledQuery(lambda pk: Account.objects.customer().filter(contract_id=pk), -1)
    assert [a.pk for a in query.all(contract.pk)] == [
        a.pk for a in Account.objects.customer().filter(contract=contract)
    ]
    named = CompiledQuery(lambda pk: Contract.objects.filter(pk=pk, name="not this name"), -1)
    assert named.all(contract.pk) == []


@pytest.mark.django_db
def test_a_small_integer_parameter_is_passed_as_django_passes_it(make_contract):
    """On PostgreSQL with server-side binding Django wraps a small integer column's value (psycopg's Int2); the
    compiled query accepts that probe and wraps the real value the same way."""
    contract = make_contract(balance=1_000)
    query = CompiledQuery(lambda pk, kind: Account.objects.filter(contract_id=pk, kind=kind), -1, 32_001)
    assert [a.pk for a in query.all(contract.pk, Account.Kind.ORDINARY)] == [contract.account.pk]
    assert query.all(contract.pk, Account.Kind.CURRENT) == []


@pytest.mark.django_db
def test_date_and_datetime_probes_and_a_probe_standing_twice(make_contract):
    """A date or datetime probe is passed as Django passes it (SQLite: text), and a probe may stand twice."""
    from datetime import UTC, date, datetime, timedelta

    from accounts.models import DailyUsage
    from ledger.models import Posting

    contract = make_contract(balance=1_000)
    DailyUsage.objects.create(contract=contract, date=date(2026, 12, 1), scope="", used=500)
    usage = CompiledQuery(lambda pk, day: DailyUsage.objects.filter(contract_id=pk, date=day), -1, date(1901, 1, 1))
    assert [u.used for u in usage.all(contract.pk, date(2026, 12, 1))] == [500]
    assert usage.all(contract.pk, date(2026, 12, 2)) == []

    posted = Posting.objects.get(account=contract.account).at
    at = CompiledQuery(  # the datetime probe stands twice: at or after it, and at or before it
        lambda pk, moment: Posting.objects.filter(account_id=pk, at__gte=moment, at__lte=moment),
        -1,
        datetime(1901, 1, 2, tzinfo=UTC),
    )
    assert [p.at for p in at.all(contract.account.pk, posted)] == [posted]
    assert at.all(contract.account.pk, posted + timedelta(seconds=1)) == []


# -- writes ------------------------------------------------------------------------------------------------


def _row(model, pk) -> dict:
    return {k: v for k, v in model.objects.filter(pk=pk).values().get().items() if k != "id"}


@pytest.mark.django_db
def test_insert_writes_the_row_save_writes(make_contract):
    """ibank.compiled.insert and Model.save write the same row (defaults, a foreign key, JSON, an address, a
    default timestamp) and leave the object as save leaves it: its id set, no longer adding."""
    from auditlog.models import AuditEntry
    from ibank import compiled

    contract = make_contract()
    fields = {
        "action": "login",
        "outcome": "ok",
        "contract": contract,
        "actor": "customer:x",
        "ip": "192.0.2.1",
        "detail": {"a": [1, "二"], "b": None},
    }
    saved, inserted = AuditEntry(**fields), AuditEntry(**fields)
    saved.save()
    compiled.insert(inserted)
    assert inserted.pk is not None and inserted.pk != saved.pk
    assert not inserted._state.adding and inserted._state.db == "default"
    want, got = _row(AuditEntry, saved.pk), _row(AuditEntry, inserted.pk)
    assert got.pop("at") >= want.pop("at")
    assert got == want
    again = AuditEntry(**fields)
    compiled.insert(again)  # the statement composed once serves again
    assert again.pk > inserted.pk


@pytest.mark.django_db
def test_insert_writes_a_row_whose_id_is_a_default(make_contract):
    """A model whose id is given by a default (a notice's UUID) is inserted with that id."""
    from django.db import IntegrityError

    from ibank import compiled
    from notices.models import Notice

    contract = make_contract()
    notice = Notice(contract_id=contract.pk, event="login", to="a@example.com", subject="s", body="b")
    chosen = notice.pk
    compiled.insert(notice)
    assert Notice.objects.get(pk=chosen).body == "b" and not notice._state.adding
    with pytest.raises(IntegrityError):  # the same id twice
        compiled.insert(Notice(id=chosen, contract_id=contract.pk, event="login", to="a", subject="s", body="b"))


@pytest.mark.django_db
def test_insert_is_save_where_something_listens_or_a_value_is_an_expression(make_contract):
    """A model with a pre_save/post_save receiver is saved by save() (the receiver runs); a value that is an
    expression goes through save() too."""
    from django.db.models import Value
    from django.db.models.signals import post_save

    from accounts.models import Contract, LoginRecord
    from ibank import compiled

    contract = make_contract()
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(receiver, sender=LoginRecord)
    try:
        record = LoginRecord(contract=contract, channel="pc", browser="b")
        compiled.insert(record)
    finally:
        post_save.disconnect(receiver, sender=LoginRecord)
    assert heard == [(record.pk, True)]
    named = LoginRecord(contract=contract, channel="pc", browser=Value("by an expression"))
    compiled.insert(named)
    assert LoginRecord.objects.get(pk=named.pk).browser == "by an expression"
    assert Contract.objects.filter(pk=contract.pk).exists()


@pytest.mark.django_db
def test_insert_is_save_for_a_model_with_a_save_of_its_own():
    """A model whose save() does more than the INSERT (a biller opens its clearing account) is saved by it."""
    from ibank import compiled
    from payments.models import Biller

    biller = Biller(number="99001", name="テスト収納機関", kana="ﾃｽﾄ", kind=Biller.Kind.PRIVATE)
    compiled.insert(biller)
    assert Biller.objects.get(pk=biller.pk).account.number == "8990010"


@pytest.mark.django_db
def test_update_sets_the_columns_of_one_row(make_contract):
    """ibank.compiled.update sets the named columns of the one row and says how many rows it changed."""
    from django.db.models import F

    from accounts.models import User
    from ibank import clock, compiled

    first, second = make_contract(), make_contract()
    at = clock.now()
    assert compiled.update(User, first.user.pk, session_nonce="n" * 32, last_login=at) == 1
    assert compiled.update(User, 10**9, session_nonce="x") == 0
    got = User.objects.get(pk=first.user.pk)
    assert (got.session_nonce, got.last_login) == ("n" * 32, at)
    assert User.objects.get(pk=second.user.pk).session_nonce != "n" * 32
    with pytest.raises(TypeError):
        compiled.update(User, first.user.pk, session_nonce=F("username"))
