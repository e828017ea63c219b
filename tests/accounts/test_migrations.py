"""The accounts app's data migrations, run on rows as the previous schema left them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import KnownEnvironment, LoginRecord

BEFORE, AFTER = ("accounts", "0005_staff_enrollment_code"), ("accounts", "0006_browsers_in_source_language")


@pytest.mark.django_db(transaction=True)
def test_browsers_recorded_on_english_pages_are_rewritten_as_every_other(contract):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    state = executor.loader.project_state([BEFORE]).apps
    environment, record = state.get_model("accounts", "KnownEnvironment"), state.get_model("accounts", "LoginRecord")
    browsers = ["Unknown browser（Linux）", "Unknown browser", "Feature phone", "Chrome（Windows）", "不明なブラウザ"]
    for n, browser in enumerate(browsers):
        environment.objects.create(contract_id=contract.pk, key=f"k{n}", browser=browser)
        record.objects.create(contract_id=contract.pk, channel="pc", browser=browser, new_environment=True)
    MigrationExecutor(connection).migrate([AFTER])
    expected = ["不明なブラウザ（Linux）", "不明なブラウザ", "携帯電話", "Chrome（Windows）", "不明なブラウザ"]
    assert list(KnownEnvironment.objects.order_by("key").values_list("browser", flat=True)) == expected
    assert list(LoginRecord.objects.order_by("pk").values_list("browser", flat=True)) == expected
