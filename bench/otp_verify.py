#!/usr/bin/env python
"""Verifications per second: ibank's verifier against django-otp's own safe path.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/otp_verify.py

Runs on the database DATABASE_URL names (SQLite without it), in a throw-away
test database created and dropped by this script. Every measured verification
is a real, successful, single-use acceptance of a fresh code written to the
database, on its own object (a code can be accepted only once).

Measured, per verification, in the same run:

* ``hmac floor``: the bare TOTP arithmetic (3 HMAC-SHA1 for the ±1 window),
  no database: the floor of any verifier;
* ``hmac + 1 round trip``: the arithmetic plus one UPDATE through the ORM:
  the floor of a verifier that writes its state;
* ``ibank``: ``otp.verifier.verify(binding, code)``: one conditional UPDATE
  (single use) and one audit INSERT;
* ``django-otp safe``: ``TOTPDevice.verify_token`` inside
  ``transaction.atomic()`` after ``select_for_update()``, the way to make
  django-otp race-free (BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT).

Both start from the object the flow has already loaded (ibank's login step
loads the binding to check the pending login; django-otp's flows load the
device). A second pair includes that initial load for both, for the record.

It prints the rates, the statements per verification, and the ratio
ibank / django-otp. Target: at least 2x on PostgreSQL.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ibank.settings")
os.environ.setdefault("IBANK_ENV", "test")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.models import Contract, User  # noqa: E402
from otp import totp  # noqa: E402
from otp.models import SoftwareToken, TokenBinding, TokenType  # noqa: E402
from otp.verifier import verify  # noqa: E402

N = int(os.environ.get("BENCH_N", "400"))  # verifications per round and contender
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


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
    return TokenBinding.objects.for_verify().get(pk=pk)


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
    keys, binding_pks, device_pks = _fixtures(N * ROUNDS * 2 + 4)

    def code(i):
        return totp.totp(keys[i], time.time())

    def ibank(i, preloaded):
        assert verify(preloaded[i], code(i)).ok

    def ibank_with_load(i):
        assert verify(_load_binding(binding_pks[i]), code(i)).ok

    def django_otp_safe(i, preloaded=None):
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().get(pk=device_pks[i])
            assert device.verify_token(code(i))

    def django_otp_with_load(i):
        TOTPDevice.objects.get(pk=device_pks[i])  # what the flow loads before the safe path
        django_otp_safe(i)

    def hmac_floor(i):
        totp.match(keys[i], code(i), time.time(), 1)

    def hmac_round_trip(i):
        totp.match(keys[i], code(i), time.time(), 1)
        TokenBinding.objects.filter(pk=binding_pks[i]).update(last_used_at=timezone.now())

    # Statements per verification (on spare objects at the end).
    spare = N * ROUNDS * 2
    preloaded = {spare: _load_binding(binding_pks[spare])}
    counts = {
        "ibank": _statements(lambda i: ibank(i, preloaded), spare),
        "django-otp safe": _statements(django_otp_safe, spare + 1),
        "ibank incl. load": _statements(ibank_with_load, spare + 2),
        "django-otp incl. load": _statements(django_otp_with_load, spare + 3),
    }

    rates = {name: [] for name in ["hmac floor", "hmac + 1 round trip", *counts]}
    for r in range(ROUNDS):
        a = list(range(r * 2 * N, r * 2 * N + N))  # first half of this round's objects
        b = list(range(r * 2 * N + N, (r + 1) * 2 * N))  # second half
        loaded = {i: _load_binding(binding_pks[i]) for i in a}
        rates["hmac floor"].append(_rate(hmac_floor, a))
        rates["hmac + 1 round trip"].append(_rate(hmac_round_trip, a))
        rates["ibank"].append(_rate(lambda i, loaded=loaded: ibank(i, loaded), a))
        rates["django-otp safe"].append(_rate(django_otp_safe, a))
        rates["ibank incl. load"].append(_rate(ibank_with_load, b))
        rates["django-otp incl. load"].append(_rate(django_otp_with_load, b))

    median = {name: statistics.median(values) for name, values in rates.items()}
    vendor = connection.vendor
    print(f"database: {vendor} ({connection.settings_dict['NAME']}); {ROUNDS} rounds x {N} verifications, median")
    for name, value in median.items():
        statements = f"  ({counts[name]} SQL statements)" if name in counts else ""
        print(f"  {name:<24} {value:>10,.0f} /s{statements}")
    print("  (statements exclude BEGIN/COMMIT: django-otp's safe path adds both, ibank runs in autocommit)")
    ratio = median["ibank"] / median["django-otp safe"]
    ratio_loaded = median["ibank incl. load"] / median["django-otp incl. load"]
    print(f"ratio ibank / django-otp safe path: {ratio:.2f}x   (including the initial load: {ratio_loaded:.2f}x)")
    print(f"ibank / floor (hmac + 1 round trip): {median['ibank'] / median['hmac + 1 round trip']:.2f}")


def main():
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
