"""On PostgreSQL the statements every request runs are parsed and planned once per connection (prepared by
psycopg after five runs), not on every request (issue 19)."""

import pytest
from django.db import connection

from accounts.backends import IbankBackend


@pytest.mark.postgres
def test_the_users_query_is_prepared_after_five_requests(contract):
    backend = IbankBackend()
    for _ in range(6):
        assert backend.get_user(contract.user_id).contract.pk == contract.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "accounts_user"' in sql and "$1" in sql for sql in prepared), prepared
