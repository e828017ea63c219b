"""The migration to lock rows moves every lock a contract had as fields, and loses none (issue 15)."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("accounts", "0013_payeasy"), ("ibank_otp", "0005_japanese_labels"), ("transfers", "0005_payeasy")]
AFTER = [("accounts", "0014_locks"), ("ibank_otp", "0006_otp_lock_rows")]


@pytest.mark.django_db(transaction=True)
def test_every_lock_field_becomes_an_open_lock_row():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("accounts", "User")
    Contract = apps.get_model("accounts", "Contract")
    TokenType = apps.get_model("ibank_otp", "TokenType")
    SoftwareToken = apps.get_model("ibank_otp", "SoftwareToken")
    TokenBinding = apps.get_model("ibank_otp", "TokenBinding")
    at = timezone.make_aware(datetime(2026, 11, 2, 10, 0))
    fields = {
        "login_locked_at": at,
        "transaction_locked_at": at,
        "token_setup_locked_at": at,
        "ib_suspended_at": at,
        "lost_reported_at": at,
        "payeasy_blocked_on": date(2026, 11, 2),
    }
    locked = Contract.objects.create(
        user=User.objects.create(username="1000000001"),
        contract_id="1000000001",
        name="移行 太郎",
        transaction_method="password",
        **fields,
    )
    free = Contract.objects.create(
        user=User.objects.create(username="1000000002"),
        contract_id="1000000002",
        name="移行 花子",
        transaction_method="password",
    )
    token_type, _ = TokenType.objects.get_or_create(kind="mobile", defaults={"prefix": "SMBL"})
    token = SoftwareToken.objects.create(token_id="SMBL00000001", token_type=token_type, secret="x", expires_at=at)
    TokenBinding.objects.create(user=locked.user, name="t", contract=locked, software_token=token, locked_at=at)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    Lock = executor.loader.project_state(AFTER).apps.get_model("accounts", "Lock")
    rows = {lock.kind: lock for lock in Lock.objects.filter(contract_id=locked.pk)}
    assert set(rows) == {"login", "transaction", "token_setup", "ib_suspension", "lost", "payeasy", "otp"}
    assert all(lock.lifted_at is None for lock in rows.values())
    assert rows["login"].set_at == at and rows["otp"].set_at == at
    payeasy = rows["payeasy"]  # a Pay-easy block lasts the rest of its JST day
    assert timezone.localtime(payeasy.until) - timezone.localtime(payeasy.set_at) == timedelta(days=1)
    assert timezone.localtime(payeasy.until).date() == date(2026, 11, 3)
    assert not Lock.objects.filter(contract_id=free.pk).exists()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest for the other tests
