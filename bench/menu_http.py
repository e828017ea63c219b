#!/usr/bin/env python
"""The logged-in menu against the login page: GETs per second on gunicorn (PostgreSQL, Redis).

    .venv/bin/python bench/menu_http.py

Both contenders do whole GETs of a page through the whole middleware stack,
2 client threads against 2 sync workers: ``menu`` (session, contract,
accounts, token, last logins; it must write nothing) and ``login page``
(anonymous). They alternate in slices (BENCH_SLICES rounds of BENCH_SLICE
requests, the order swapped every round); each round gives a ratio, printed as min / median / max. Target >= 0.5.
"""

import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import http_common
from http_common import Client, database, gunicorn, manage, server_env

SEED = """
from accounts.models import Account, Contract, User
from ledger import books
for n in range(2):
    cid = f"{4100000000 + n}"
    user = User.objects.create_user(username=cid, password="Bench1234")
    c = Contract.objects.create(user=user, contract_id=cid, name=f"bench {n}", transaction_method="password")
    a = Account.objects.create(contract=c, branch_code="001", branch_name="本店営業部", kind=1,
                               number=f"{8000000 + n}", holder_kana="ﾍﾞﾝﾁ")
    books.deposit(account=a, amount=100000)
"""


def main():
    slice_size = int(os.environ.get("BENCH_SLICE", "100"))
    slices = int(os.environ.get("BENCH_SLICES", "10"))
    with database("ibank_bench_menu") as name:
        env = server_env(name)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "shell", stdin=SEED)
        with gunicorn(env, workers=2) as port:
            customers = [Client(port), Client(port)]
            for i, client in enumerate(customers):
                assert client.login(f"{4100000000 + i}", "Bench1234") == 302
            anonymous = [Client(port), Client(port)]

            def run(clients, path, n):
                def loop(client):
                    for _ in range(n // 2):
                        status, _body = client.request("GET", path)
                        assert status == 200, status

                threads = [threading.Thread(target=loop, args=(c,)) for c in clients]
                start = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return (n // 2) * 2 / (time.perf_counter() - start)

            run(customers, "/menu/", 20)
            run(anonymous, "/login/", 20)
            ratios, menu_rates, login_rates = http_common.alternate(
                lambda n: run(customers, "/menu/", n), lambda n: run(anonymous, "/login/", n), slices, slice_size
            )
            print(f"{slices} interleaved slices x {slice_size} GETs (gunicorn 2 sync workers, PostgreSQL, Redis)")
            print(f"  menu        median {statistics.median(menu_rates):7.0f} /s")
            print(f"  login page  median {statistics.median(login_rates):7.0f} /s")
            print(http_common.ratio_line("menu / login page", ratios, "target >= 0.5"))


if __name__ == "__main__":
    main()
