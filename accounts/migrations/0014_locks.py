"""Locks become rows (issue 15): each lock field of a contract becomes an open Lock of its kind, with the
time it was set; the fields go. The OTP lock of a binding moves in ibank_otp 0006."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import django.db.models.deletion
from django.db import migrations, models

import ibank.clock

JST = ZoneInfo("Asia/Tokyo")
#: field -> (kind, reason, set by)
FIELDS = {
    "login_locked_at": ("login", "too_many_failures", "migration"),
    "transaction_locked_at": ("transaction", "too_many_failures", "migration"),
    "token_setup_locked_at": ("token_setup", "too_many_failures", "migration"),
    "ib_suspended_at": ("ib_suspension", "customer", "migration"),
    "lost_reported_at": ("lost", "branch", "migration"),
}


def forwards(apps, schema_editor):
    Contract = apps.get_model("accounts", "Contract")
    Lock = apps.get_model("accounts", "Lock")
    rows = []
    for contract in Contract.objects.all().iterator():
        for field, (kind, reason, by) in FIELDS.items():
            at = getattr(contract, field)
            if at is not None:
                rows.append(Lock(contract=contract, kind=kind, reason=reason, set_at=at, set_by=by))
        if contract.payeasy_blocked_on is not None:  # a block lasts the rest of its JST day
            day = contract.payeasy_blocked_on
            start = datetime.combine(day, time.min, tzinfo=JST)
            rows.append(
                Lock(
                    contract=contract,
                    kind="payeasy",
                    reason="too_many_failures",
                    set_at=start,
                    set_by="migration",
                    until=start + timedelta(days=1),
                    lifted_at=None,
                )
            )
    Lock.objects.bulk_create(rows)


def backwards(apps, schema_editor):
    Contract = apps.get_model("accounts", "Contract")
    Lock = apps.get_model("accounts", "Lock")
    kinds = {kind: field for field, (kind, _reason, _by) in FIELDS.items()}
    for lock in Lock.objects.filter(lifted_at__isnull=True):
        if lock.kind in kinds:
            Contract.objects.filter(pk=lock.contract_id).update(**{kinds[lock.kind]: lock.set_at})
        elif lock.kind == "payeasy":
            Contract.objects.filter(pk=lock.contract_id).update(payeasy_blocked_on=lock.set_at.astimezone(JST).date())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0013_payeasy"),
    ]

    operations = [
        migrations.AddField(
            model_name='contract',
            name='card_answered',
            field=models.CharField(blank=True, editable=False, max_length=16),
        ),
        migrations.CreateModel(
            name='Lock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('login', 'ログイン停止'), ('otp', 'ワンタイムパスワード停止'), ('token_setup', 'トークン登録停止'), ('transaction', '取引認証停止'), ('payeasy', '収納サービス利用停止'), ('ib_suspension', 'IB取引中止'), ('lost', '紛失届')], max_length=16, verbose_name='種類')),
                ('reason', models.CharField(max_length=200, verbose_name='理由')),
                ('reference', models.CharField(blank=True, max_length=40, verbose_name='届出書番号')),
                ('set_at', models.DateTimeField(default=ibank.clock.now, verbose_name='停止日時')),
                ('set_by', models.CharField(max_length=160, verbose_name='停止した者')),
                ('until', models.DateTimeField(blank=True, null=True, verbose_name='停止期限')),
                ('lifted_at', models.DateTimeField(blank=True, null=True, verbose_name='解除日時')),
                ('lifted_by', models.CharField(blank=True, max_length=160, verbose_name='解除した者')),
                ('lift_reason', models.CharField(blank=True, max_length=200, verbose_name='解除の理由')),
                ('contract', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='locks', to='accounts.contract', verbose_name='IB契約')),
            ],
            options={
                'verbose_name': '停止',
                'verbose_name_plural': '停止',
                'ordering': ['-set_at', '-pk'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('lifted_at__isnull', True)), fields=('contract', 'kind'), name='lock_one_open_per_kind'), models.CheckConstraint(condition=models.Q(('lifted_at__isnull', True), ('lifted_at__gte', models.F('set_at')), _connector='OR'), name='lock_lifted_after_set')],
            },
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name='contract',
            name='ib_suspended_at',
        ),
        migrations.RemoveField(
            model_name='contract',
            name='login_locked_at',
        ),
        migrations.RemoveField(
            model_name='contract',
            name='lost_reported_at',
        ),
        migrations.RemoveField(
            model_name='contract',
            name='payeasy_blocked_on',
        ),
        migrations.RemoveField(
            model_name='contract',
            name='token_setup_locked_at',
        ),
        migrations.RemoveField(
            model_name='contract',
            name='transaction_locked_at',
        ),
    ]
