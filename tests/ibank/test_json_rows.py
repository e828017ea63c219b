"""Rows read as JSON in their parent's statement (ibank.json_rows) come back as the ORM's own objects."""

from datetime import timedelta

import pytest
from django.db.models import OuterRef
from django.test.utils import isolate_apps

from accounts.models import Contract, Lock
from ibank import clock, json_rows

pytestmark = pytest.mark.django_db


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _with_locks():
    rows = json_rows.rows_of(Lock.objects.filter(contract_id=OuterRef("pk"), lifted_at__isnull=True), by="contract_id")
    return Contract.objects.annotate(lock_rows=rows).order_by("pk")


def test_the_rows_are_the_orms_objects_field_by_field(make_contract):
    locked, clear = make_contract(), make_contract()
    now = clock.now().replace(microsecond=123456)
    Lock.objects.create(contract=locked, kind="login", reason="wrong", set_at=now, set_by="system")
    Lock.objects.create(
        contract=locked, kind="env_hold", reason="new_environment", set_at=now, set_by="customer",
        until=now + timedelta(hours=24), reference="ABC-1",
    )  # fmt: skip
    Lock.objects.create(  # lifted: not selected
        contract=locked, kind="otp", reason="x", set_at=now - timedelta(days=1), set_by="system",
        lifted_at=now, lifted_by="branch",
    )  # fmt: skip

    loaded = {c.pk: c for c in _with_locks()}

    got = json_rows.objects(Lock, loaded[locked.pk].lock_rows)
    want = Lock.objects.filter(contract=locked, lifted_at__isnull=True)
    assert sorted(map(_fields, got), key=lambda f: f["id"]) == sorted(map(_fields, want), key=lambda f: f["id"])
    assert all(not lock._state.adding and lock.set_at.tzinfo is not None for lock in got)  # as loaded, aware
    assert loaded[clear.pk].lock_rows is None and json_rows.objects(Lock, loaded[clear.pk].lock_rows) == []


@isolate_apps("ibank")
def test_a_model_whose_fields_json_would_change_is_refused():
    from django.db import models

    class Rate(models.Model):  # noqa: DJ008 (never shown)
        value = models.DecimalField(max_digits=9, decimal_places=4)

        class Meta:
            app_label = "ibank"

    with pytest.raises(TypeError, match="does not carry exactly: \\['value'\\]"):
        json_rows.rows_of(Rate.objects.filter(pk=OuterRef("pk")), by="id")
