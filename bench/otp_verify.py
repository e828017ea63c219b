#!/usr/bin/env python
"""Verifications per second: ibank's verifier against django-otp's own safe path.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/otp_verify.py

Runs on the database DATABASE_URL names (SQLite without it), in a throw-away
test database created and dropped by this script. Every measured verification
is a real, successful, single-use acceptance of a fresh code written to the
database, on its own object (a code can be accepted only once).

Like for like: each contender does one whole verification inside its timer,
its own load included:

* ``ibank``: ``otp.verifier.load(pk)``, i.e. ``TokenBinding.objects.for_verify().get(pk)``
  compiled once per process as the app runs it (the columns the verifier reads,
  contract, token and the token type's end of use joined)
  and ``otp.verifier.verify(binding, code)``: on PostgreSQL one statement, the
  conditional UPDATE (single use) with its audit INSERT;
* ``django-otp safe``: django-otp's race-free way: ``transaction.atomic()``,
  ``TOTPDevice.objects.select_for_update().get(pk)`` and ``verify_token()``
  (BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT);
* ``hmac floor``, for the record: the TOTP arithmetic alone.

The two alternate in short slices (BENCH_SLICE, default 50) over BENCH_SLICES
rounds (default 20), which one goes first alternating too; each round gives
one ratio ibank / django-otp, printed as min / median / max. Target >= 1.5
(the goal is 2).
"""

import os
import statistics
import time

import in_process  # the project on sys.path and Django set up: first

# isort: split

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Contract, User
from otp import totp, verifier
from otp.models import SoftwareToken, TokenBinding, TokenType
from otp.verifier import verify

SLICE = int(os.environ.get("BENCH_SLICE", "50"))  # verifications per slice and contender
SLICES = int(os.environ.get("BENCH_SLICES", "20"))


def _fixtures(count: int):
    """``count`` contracts, each with a token binding and a django-otp TOTPDevice on the same key."""
    token_type = TokenType.objects.policy("mobile")
    unusable = "!"  # an unusable password: these users never log in
    users = User.objects.bulk_create([User(username=f"b{i:09d}", password=unusable) for i in range(count)])
    contracts = Contract.objects.bulk_create(
        [
            Contract(user=u, contract_id=f"9{i:09d}", name="bench", transaction_method="password")
            for i, u in enumerate(users)
        ]
    )
    keys = [totp.new_secret() for _ in range(count)]
    tokens = []
    for i, key in enumerate(keys):
        token = SoftwareToken(
            token_id=f"BNCH{i:08d}", token_type=token_type, expires_at=timezone.now(), status="active"
        )
        token.set_key(key)
        tokens.append(token)
    tokens = SoftwareToken.objects.bulk_create(tokens)
    bindings = TokenBinding.objects.bulk_create(
        [
            TokenBinding(user=u, name=t.token_id, contract=c, software_token=t, login_otp=True)
            for u, c, t in zip(users, contracts, tokens, strict=True)
        ]
    )
    devices = TOTPDevice.objects.bulk_create(
        [TOTPDevice(user=u, name="bench", key=k.hex(), tolerance=1) for u, k in zip(users, keys, strict=True)]
    )
    return keys, [b.pk for b in bindings], [d.pk for d in devices]


def _load_binding(pk):
    return verifier.load(pk)  # for_verify().get(pk), compiled once per process, as the app loads it


def _rate(func, items) -> float:
    start = time.perf_counter()
    for item in items:
        func(item)
    return len(items) / (time.perf_counter() - start)


def _statements(func, item) -> int:
    with CaptureQueriesContext(connection) as ctx:
        func(item)
    return len(ctx.captured_queries)


def run():
    pairs = SLICES * SLICE
    keys, binding_pks, device_pks = _fixtures(pairs * 2 + 4)

    def code(i):
        return totp.totp(keys[i], time.time())

    def ibank(i):
        # One load (what the verifier reads) and one verification, as a flow does.
        assert verify(_load_binding(binding_pks[i]), code(i)).ok

    def django_otp_safe(i):
        # django-otp's race-free way: its load (SELECT ... FOR UPDATE) and verify_token(), which saves.
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().get(pk=device_pks[i])
            assert device.verify_token(code(i))

    def hmac_floor(i):
        totp.match(keys[i], code(i), time.time(), 1)

    spare = pairs * 2
    ibank(spare + 2)  # warm: the token type's policy is read once, then from the cache
    counts = {"ibank": _statements(ibank, spare), "django-otp safe": _statements(django_otp_safe, spare + 1)}

    ratios, rates = [], {"ibank": [], "django-otp safe": [], "hmac floor": []}
    for r in range(SLICES):
        items = list(range(r * 2 * SLICE, r * 2 * SLICE + SLICE))  # each object verified once, by one contender
        others = list(range(r * 2 * SLICE + SLICE, (r + 1) * 2 * SLICE))
        first, second = (ibank, django_otp_safe) if r % 2 == 0 else (django_otp_safe, ibank)
        a = _rate(first, items)
        b = _rate(second, others)
        ibank_rate, otp_rate = (a, b) if first is ibank else (b, a)
        rates["ibank"].append(ibank_rate)
        rates["django-otp safe"].append(otp_rate)
        rates["hmac floor"].append(_rate(hmac_floor, items))
        ratios.append(ibank_rate / otp_rate)

    vendor = connection.vendor
    print(
        f"database: {vendor}; {SLICES} interleaved slices x {SLICE} verifications per contender (one load + one verify)"
    )
    for name, values in rates.items():
        statements = f"  ({counts[name]} SQL statements)" if name in counts else ""
        print(f"  {name:<18} median {statistics.median(values):>8,.0f} /s{statements}")
    print(
        f"ratio ibank / django-otp safe path, like for like: min {min(ratios):.2f}"
        f"  median {statistics.median(ratios):.2f}  max {max(ratios):.2f}  (target >= 1.5)"
    )


def main():
    in_process.in_test_database(run)


if __name__ == "__main__":
    main()
