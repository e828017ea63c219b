#!/usr/bin/env python
"""Authorized same-bank transfers per second through the service layer, against bare SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/transfers.py

Runs in a throw-away test database created and dropped by this script.

Contenders, each doing one whole money movement inside its own timer:

* ``service`` (the one that counts): what the authorization view does once the method accepted, starting
  from what a request has — the user's id (from the session) and the transfer's reference (from the
  URL): load the user with contract and token as every request does (``accounts.backends``), load the
  transfer scoped to the contract as the view does (``payments.drafts.own_transfer``, its 404 check), read
  the contract's authorization method, then ``payments.services.transfer_execute``: Python decides the
  instruction (the claim of the row as loaded, the posting lines, the day's ceiling, the audit entry) and
  the one engine ``books.post`` applies it — one round trip on PostgreSQL (``ibank_post``,
  ledger/sql/post.sql).
* ``service from a loaded transfer``: ``transfer_execute`` alone, on objects already loaded, for the record.
* ``bare SQL`` (the floor): the same double-entry transfer through psycopg: BEGIN; two conditional
  balance UPDATEs; one journal INSERT and one two-row posting INSERT; COMMIT.

The contenders alternate in short slices (BENCH_SLICE transfers each, default 25) over BENCH_SLICES rounds
(default 20); each round gives one ratio per contender against the floor of the same round, printed as
min / median / max. Target: the service's median >= 0.5.
"""

import os
import statistics
import sys
import time

import in_process  # the project on sys.path and Django set up: first

# isort: split

import psycopg
import seed
from django.db import connection

from accounts import authorization
from accounts.backends import IbankBackend
from accounts.models import Account
from payments import drafts, services
from tests.payments.helpers import confirmed_same_bank

SLICE = int(os.environ.get("BENCH_SLICE", "25"))
SLICES = int(os.environ.get("BENCH_SLICES", "20"))
AMOUNT = 100


def _confirmed(sender, receiver, count):
    out = []
    for _ in range(count):
        out.append(confirmed_same_bank(sender, receiver, AMOUNT, payee_name="ﾍﾞﾝﾁ"))
    return out


def _floor(sender_pk: int, receiver_pk: int):
    """The bare-SQL floor on a psycopg connection of its own: (one transfer, close)."""
    params = connection.get_connection_params()
    raw = psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port", "password")})
    table = Account._meta.db_table

    def once(_item=None):
        with raw.transaction(), raw.cursor() as cur:
            cur.execute(
                f"UPDATE {table} SET balance = balance - %s WHERE id = %s AND balance >= %s RETURNING balance",
                [AMOUNT, sender_pk, AMOUNT],
            )
            from_balance = cur.fetchone()[0]
            cur.execute(
                f"UPDATE {table} SET balance = balance + %s WHERE id = %s RETURNING balance", [AMOUNT, receiver_pk]
            )
            to_balance = cur.fetchone()[0]
            cur.execute(
                "INSERT INTO transfers_journalentry (at, kind, reference) VALUES (now(), 'transfer', '') RETURNING id"
            )
            entry = cur.fetchone()[0]
            cur.execute(
                "INSERT INTO transfers_posting (entry_id, account_id, amount, balance_after, memo, counterparty, at)"
                " VALUES (%s, %s, %s, %s, 'transfer_out', '', now()), (%s, %s, %s, %s, 'transfer_in', '', now())",
                [entry, sender_pk, -AMOUNT, from_balance, entry, receiver_pk, AMOUNT, to_balance],
            )

    return once, raw.close


def _timed(func, items) -> float:
    start = time.perf_counter()
    for item in items:
        func(item)
    return len(items) / (time.perf_counter() - start)


def run():
    if connection.vendor != "postgresql":
        sys.exit("bench/transfers.py measures PostgreSQL: set DATABASE_URL")
    seed.own_bank()
    # One pair of accounts per contender (the limit is per contract: the sender is never over it).
    sender, receiver = seed.pair(3000000000)
    floor_from, floor_to = seed.pair(3000000010)
    floor_once, floor_close = _floor(floor_from.account.pk, floor_to.account.pk)
    backend = IbankBackend()

    def service_once(item):
        # As the authorization view starts: the session's user (with contract and token, accounts.backends),
        # the URL's 受付番号 (payments.drafts.own_transfer), the method; then the execution.
        reference, digest = item[0].reference, item[1]
        contract = backend.get_user(sender.user_id).contract
        transfer = drafts.own_transfer(contract, reference)
        authorization.method_for(contract)  # the authorization step reads the method (and the token)
        services.transfer_execute(actor=None, contract=contract, transfer=transfer, digest=digest)

    def service_with_load_once(item):
        transfer, digest = item
        services.transfer_execute(actor=None, contract=sender, transfer=transfer, digest=digest)

    rates = {"service": [], "service from a loaded transfer": [], "floor": []}
    for _ in range(SLICES):
        first, second = _confirmed(sender, receiver, SLICE), _confirmed(sender, receiver, SLICE)  # outside timers
        rates["service"].append(_timed(service_once, first))
        rates["floor"].append(_timed(floor_once, range(SLICE)))
        rates["service from a loaded transfer"].append(_timed(service_with_load_once, second))
    floor_close()
    from django.core.management import call_command

    call_command("check_ledger", stdout=open(os.devnull, "w"))  # noqa: SIM115
    _report(rates)


def _report(rates: dict) -> None:
    print(f"database: postgresql; {SLICES} interleaved slices x {SLICE} transfers per contender")
    for name, values in rates.items():
        print(f"  {name:<32} median {statistics.median(values):8,.0f} transfers/s")
    for name in ("service", "service from a loaded transfer"):
        values = [rate / floor for rate, floor in zip(rates[name], rates["floor"], strict=True)]
        print(
            f"ratio {name} / floor: min {min(values):.2f}  median {statistics.median(values):.2f}"
            f"  max {max(values):.2f}" + ("  (target >= 0.5)" if name == "service" else "")
        )


def main():
    in_process.in_test_database(run)


if __name__ == "__main__":
    main()
