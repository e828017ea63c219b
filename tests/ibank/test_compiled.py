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
