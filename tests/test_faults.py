"""Faults under load (PostgreSQL): workers killed with SIGKILL and database connections terminated
while clients transfer money and register, exchange and stop tokens through real gunicorn workers.

Afterwards the ledger is clean, no contract has two tokens and no token was bound twice, every
受付番号 a client was shown exists, the app answers normally, and the only 500s came at a fault.
"""

import os
import random
import signal
import threading
import time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import InterfaceError, OperationalError, connection

from accounts import environments
from otp import totp
from otp.models import SoftwareToken, TokenBinding
from otp.services import token_issue
from payments.models import Transfer
from tests.conftest import PASSWORD, TRANSFER_PASSWORD
from tests.helpers import environment_cookie
from tests.live import Client, flush_redis, gunicorn, server_env, wait_for, worker_pids
from zengin.models import Bank, Branch

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DURATION = 14  # seconds of load: five faults (three kills, two terminations) at the seeded intervals


def _master(own_bank=True):
    own = Bank.objects.create(code=settings.IBANK_BANK_CODE, name="own", kana="ｵｳﾝ", initial="ｵ", search_text="")
    for code, name, kana in settings.IBANK_BRANCHES:
        Branch.objects.create(bank=own, code=code, name=name, kana=kana, initial=kana[0], search_text=name)
    other = Bank.objects.create(code="0005", name="other", kana="ｱｻﾞｰ", initial="ｱ", search_text="")
    Branch.objects.create(bank=other, code="001", name="本店", kana="ﾎﾝﾃﾝ", initial="ﾎ", search_text="")


def _login(client, contract_id):
    for _ in range(5):
        status, location, _ = client.request("POST", "/login/", {"contract_id": contract_id, "password": PASSWORD})
        if status == 302 and location == "/menu/":
            return True
        time.sleep(0.3)
    return False


def test_kills_and_terminated_connections_leave_consistent_data(make_contract):
    _master()
    payers = [make_contract(balance=2_000_000) for _ in range(4)]
    payees = [make_contract(balance=0) for _ in range(2)]
    token_holders = [make_contract() for _ in range(2)]
    env = server_env(connection.settings_dict["NAME"])
    flush_redis()
    shown_references, errors, faults = [], [], []
    stop = threading.Event()

    # The payers use their own PCs (browsers known to their contracts): new payees are not held.
    known = [environment_cookie(payer) for payer in payers]

    with gunicorn(env, workers=2) as (port, master):

        def transfer_loop(i):
            client = Client(port)
            client.cookies[environments.COOKIE] = known[i]
            rng = random.Random(i)
            _login(client, payers[i].contract_id)
            while not stop.is_set():
                other = rng.random() < 0.3
                payee = rng.choice(payees).account
                form = {
                    "from_account": payers[i].account.pk,
                    "bank_code": "0005" if other else settings.IBANK_BANK_CODE,
                    "branch_code": "001",
                    "payee_kind": "1",
                    "payee_number": "7654321" if other else payee.number,
                    "payee_name": "ﾃｽﾄ",
                    "amount": str(rng.randint(1, 5000)),
                }
                status, location, _ = client.request("POST", "/transfer/", form)
                if status == 302 and location.endswith("/confirm/"):
                    status, location, _ = client.request("POST", location, {})
                if status == 302 and location.endswith("/authorize/"):
                    status, location, _ = client.request("POST", location, {"transfer_password": TRANSFER_PASSWORD})
                    if status == 302 and location.count("/") == 3:  # /transfer/<ref>/
                        shown_references.append(location.split("/")[2])
                if status >= 500:
                    errors.append((time.monotonic(), status, "transfer"))
                if (status in (0, 302) and location.startswith("/login/")) or status == 0:
                    _login(client, payers[i].contract_id)

        def token_loop(i):
            client = Client(port)
            while not stop.is_set():
                try:
                    token_cycle(client, token_holders[i])
                except (OperationalError, InterfaceError):  # our own connection, terminated with the others
                    connection.close()

        def token_cycle(client, contract):
            token, key = token_issue(kind="mobile")
            client.request("POST", "/otp/register/", {"contract_id": contract.contract_id, "password": PASSWORD})
            status, _, _ = client.request(
                "POST",
                "/otp/register/token/",
                {
                    "token_id": token.token_id,
                    "otp": totp.totp(key, time.time()),
                    "login_otp": "0",
                    "transfer_password": TRANSFER_PASSWORD,
                },
            )
            if status >= 500:
                errors.append((time.monotonic(), status, "register"))
            binding = TokenBinding.objects.filter(contract=contract).select_related("software_token").first()
            connection.close()
            if binding is None:
                return
            old_key = SoftwareToken.objects.get(pk=binding.software_token_id).key()
            new, new_key = token_issue(kind="mobile")
            connection.close()
            step = totp.time_step(time.time())
            client.request("POST", "/otp/register/", {"contract_id": contract.contract_id, "password": PASSWORD})
            client.request("POST", "/otp/exchange/", {"otp": totp.hotp(old_key, step + 1)})
            status, _, _ = client.request(
                "POST", "/otp/exchange/new/", {"token_id": new.token_id, "otp": totp.hotp(new_key, step + 1)}
            )
            if status >= 500:
                errors.append((time.monotonic(), status, "exchange"))
            client.request("POST", "/otp/stop/", {"contract_id": contract.contract_id, "password": PASSWORD})
            status, _, _ = client.request("POST", "/otp/stop/otp/", {"otp": totp.hotp(new_key, step + 2)})
            if status >= 500:
                errors.append((time.monotonic(), status, "stop"))
            time.sleep(0.2)

        threads = [threading.Thread(target=transfer_loop, args=(i,)) for i in range(len(payers))]
        threads += [threading.Thread(target=token_loop, args=(i,)) for i in range(len(token_holders))]
        for t in threads:
            t.start()
        rng = random.Random(0)
        end = time.monotonic() + DURATION
        while time.monotonic() < end:
            time.sleep(rng.uniform(2, 4))
            if rng.random() < 0.5:
                pids = worker_pids(master.pid)
                if pids:
                    faults.append(time.monotonic())
                    os.kill(rng.choice(pids), signal.SIGKILL)
            else:
                faults.append(time.monotonic())
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
        stop.set()
        for t in threads:
            t.join(timeout=60)
        connection.close()

        # The app answers normally within seconds.
        wait_for(port)
        deadline = time.monotonic() + 10
        status = 0
        while time.monotonic() < deadline and status != 200:
            status, _, _ = Client(port).request("GET", "/login/")
            time.sleep(0.2)
        assert status == 200

    assert len(faults) >= 4
    # No 500 but at the instant of a fault (a killed worker, a terminated connection).
    assert all(any(abs(at - fault) < 3 for fault in faults) for at, _status, _what in errors), errors
    call_command("check_ledger", stdout=StringIO())
    assert shown_references, "no transfer got through"
    executed = set(
        Transfer.objects.filter(status__in=[Transfer.Status.DONE, Transfer.Status.ACCEPTED]).values_list(
            "reference", flat=True
        )
    )
    assert set(shown_references) <= executed
    assert all(TokenBinding.objects.filter(contract=c).count() <= 1 for c in token_holders)
    assert TokenBinding.objects.values("software_token").distinct().count() == TokenBinding.objects.count()
