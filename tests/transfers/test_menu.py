from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.transfers.helpers import login


def test_menu_reads_the_binding_once_and_writes_nothing(client, make_contract, make_token, fake_clock):
    customer = make_contract()
    make_token(customer, login_otp=False)
    login(client, customer)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("accounts-menu")).content.decode()
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert "お取引の認証方法：ワンタイムパスワード" in page
    assert sum("ibank_otp_tokenbinding" in sql for sql in sqls) == 1
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in sqls), sqls
