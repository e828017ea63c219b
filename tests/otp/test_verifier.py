import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import override_settings

from auditlog.models import AuditEntry
from ibank.actor import of_request
from otp import totp
from otp.models import SoftwareToken, TokenBinding, TokenType
from otp.verifier import Outcome, verify
from tests.helpers import is_locked

T = 1_800_000_015  # a fixed time, 15 s into its step


@pytest.fixture
def at_t(fake_clock):
    fake_clock.t = T
    return fake_clock


def code_at(key, step_offset=0):
    return totp.hotp(key, totp.time_step(T) + step_offset)


def fresh(binding):
    return TokenBinding.objects.for_verify().get(pk=binding.pk)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_previous_current_and_next_step_accepted(token_contract, at_t, offset):
    result = verify(fresh(token_contract.binding), code_at(token_contract.key, offset))
    assert result.outcome is Outcome.OK
    binding = fresh(token_contract.binding)
    assert binding.last_step == totp.time_step(T) + offset
    assert binding.drift == offset


@pytest.mark.parametrize("offset", [-2, 2])
def test_two_steps_away_refused(token_contract, at_t, offset):
    assert verify(fresh(token_contract.binding), code_at(token_contract.key, offset)).outcome is Outcome.WRONG


def test_same_code_refused_the_second_time(token_contract, at_t):
    code = code_at(token_contract.key)
    assert verify(fresh(token_contract.binding), code).ok
    assert verify(fresh(token_contract.binding), code).outcome is Outcome.REUSED
    assert AuditEntry.objects.filter(reason="reused", contract=token_contract).count() == 1


def test_earlier_step_refused_after_a_later_one(token_contract, at_t):
    assert verify(fresh(token_contract.binding), code_at(token_contract.key, 1)).ok
    assert verify(fresh(token_contract.binding), code_at(token_contract.key, 0)).outcome is Outcome.REUSED
    assert verify(fresh(token_contract.binding), code_at(token_contract.key, -1)).outcome is Outcome.REUSED


def test_next_step_accepted_after_the_current(token_contract, at_t):
    assert verify(fresh(token_contract.binding), code_at(token_contract.key, 0)).ok
    at_t.advance(30)
    assert verify(fresh(token_contract.binding), code_at(token_contract.key, 1)).ok


def test_lock_at_the_fifth_failure_and_correct_code_refused_while_locked(token_contract, at_t):
    for _ in range(4):
        result = verify(fresh(token_contract.binding), "000000")
        assert result.outcome is Outcome.WRONG and not result.now_locked
    assert not is_locked(token_contract, "otp")
    fifth = verify(fresh(token_contract.binding), "000000")
    assert fifth.now_locked
    assert is_locked(token_contract, "otp")
    assert verify(fresh(token_contract.binding), code_at(token_contract.key)).outcome is Outcome.LOCKED
    assert AuditEntry.objects.filter(action="otp.lock", contract=token_contract).count() == 1


def test_success_resets_the_failure_count(token_contract, at_t):
    for _ in range(4):
        verify(fresh(token_contract.binding), "000000")
    assert verify(fresh(token_contract.binding), code_at(token_contract.key)).ok
    assert fresh(token_contract.binding).failures == 0


def test_full_width_digits_accepted(token_contract, at_t):
    code = code_at(token_contract.key).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert verify(fresh(token_contract.binding), code).ok


def test_every_attempt_is_audited_with_its_outcome(token_contract, at_t):
    verify(fresh(token_contract.binding), "000000", action="login.otp")
    verify(fresh(token_contract.binding), code_at(token_contract.key), action="login.otp")
    entries = AuditEntry.objects.filter(action="login.otp", contract=token_contract).order_by("pk")
    assert [(e.outcome, e.reason) for e in entries] == [("failed", "wrong"), ("ok", "")]
    assert entries[1].detail["token_id"] == token_contract.binding.software_token.token_id
    assert code_at(token_contract.key) not in str(entries[1].detail)


def test_token_past_its_types_end_of_use_is_refused_except_for_exchange(token_contract, at_t):
    import datetime

    TokenType.objects.filter(kind="mobile").update(usable_until=datetime.date(2020, 1, 1))
    result = verify(fresh(token_contract.binding), code_at(token_contract.key))
    assert result.outcome is Outcome.TOKEN_EXPIRED
    assert fresh(token_contract.binding).failures == 0
    assert AuditEntry.objects.filter(reason="token_expired", contract=token_contract).exists()
    assert verify(fresh(token_contract.binding), code_at(token_contract.key), allow_expired_type=True).ok


def test_the_secret_column_never_holds_the_plain_secret(token_contract):
    stored = SoftwareToken.objects.values_list("secret", flat=True).get(pk=token_contract.binding.software_token_id)
    key = token_contract.key
    for plain in (key.hex(), totp.b32(key), key.decode("latin-1")):
        assert plain not in stored


def test_key_rotation_keeps_old_tokens_working(token_contract, at_t, settings):
    old = settings.IBANK_ENCRYPTION_KEYS
    new = Fernet.generate_key().decode()
    settings.IBANK_ENCRYPTION_KEYS = [new, *old]
    assert verify(fresh(token_contract.binding), code_at(token_contract.key, -1)).ok  # old key still decrypts
    call_command("reencrypt_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.IBANK_ENCRYPTION_KEYS = [new]  # old key gone
    assert verify(fresh(token_contract.binding), code_at(token_contract.key, 0)).ok


def test_django_otp_device_interface_goes_through_the_verifier(token_contract, at_t):
    binding = fresh(token_contract.binding)
    code = code_at(token_contract.key)
    assert binding.verify_token(code) is True
    assert binding.verify_token(code) is False  # single use holds there too


@override_settings(IBANK_OTP_WINDOW=0)
def test_window_is_configurable(token_contract, at_t):
    assert verify(fresh(token_contract.binding), code_at(token_contract.key, 1)).outcome is Outcome.WRONG
    assert verify(fresh(token_contract.binding), code_at(token_contract.key, 0)).ok


def test_reused_code_is_refused_but_not_counted_toward_the_lock(token_contract, at_t):
    code = code_at(token_contract.key)
    assert verify(fresh(token_contract.binding), code).ok
    for _ in range(6):
        assert verify(fresh(token_contract.binding), code).outcome is Outcome.REUSED
    binding = fresh(token_contract.binding)
    assert binding.failures == 0 and not is_locked(binding.contract, "otp")


def test_success_audit_entry_has_actor_address_agent_and_detail(token_contract, at_t, rf):
    request = rf.post("/login/otp/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="TestAgent/1.0")
    actor = of_request(request)  # what the middleware builds once per request
    assert verify(fresh(token_contract.binding), code_at(token_contract.key), actor=actor, action="login.otp").ok
    entry = AuditEntry.objects.get(action="login.otp", outcome="ok")
    assert entry.contract_id == token_contract.pk
    assert entry.actor == f"customer:{token_contract.contract_id}"
    assert (entry.ip, entry.user_agent) == ("203.0.113.9", "TestAgent/1.0")
    assert entry.detail == {
        "token_id": token_contract.binding.software_token.token_id,
        "step": totp.time_step(T),
        "drift": 0,
    }
    assert entry.at.timestamp() == T


@pytest.mark.postgres
def test_success_is_one_statement_on_postgresql(token_contract, at_t, django_assert_num_queries):
    binding = fresh(token_contract.binding)
    assert binding.software_token.token_type.is_usable()  # the type's policy came with the binding
    with django_assert_num_queries(1):
        assert verify(binding, code_at(token_contract.key)).ok
    assert AuditEntry.objects.filter(action="otp.verify", outcome="ok", contract=token_contract).count() == 1


def test_a_change_of_the_types_end_of_use_holds_from_the_next_code(token_contract, at_t):
    """The type's end of use is read with the binding: a staff change made anywhere (another server, SQL)
    holds from the very next code, with no cache to clear or to wait out."""
    import datetime

    from django.db import connection

    assert verify(fresh(token_contract.binding), code_at(token_contract.key)).ok
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(TokenType._meta.db_table)
        cursor.execute(f"UPDATE {table} SET usable_until = %s", [datetime.date(2020, 1, 1)])  # noqa: S608
    result = verify(fresh(token_contract.binding), code_at(token_contract.key, 1))
    assert result.outcome is Outcome.TOKEN_EXPIRED
    assert AuditEntry.objects.filter(action="otp.verify", reason="token_expired", contract=token_contract).exists()


@pytest.mark.parametrize("right", [True, False])
def test_a_binding_removed_during_the_check_gives_a_message_not_an_error(token_contract, fake_clock, right):
    from otp.messages import TOKEN_GONE, message_for
    from otp.verifier import Outcome

    binding = TokenBinding.objects.for_verify().get(pk=token_contract.binding.pk)
    TokenBinding.objects.filter(pk=binding.pk).delete()  # a stop committed by another request meanwhile
    code = totp.totp(token_contract.key, fake_clock.t) if right else "000000"
    result = verify(binding, code)
    assert result.outcome is Outcome.GONE and message_for(result) == TOKEN_GONE
    assert AuditEntry.objects.filter(action="otp.verify", reason="gone", contract=token_contract).exists()


def test_the_otp_lock_is_emailed_once(token_contract, fake_clock, mailoutbox, django_capture_on_commit_callbacks):
    from notices.outbox import subject

    binding = TokenBinding.objects.for_verify().get(pk=token_contract.binding.pk)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            verify(binding, "000000")
    assert [m.subject for m in mailoutbox] == [subject("otp_locked")]
    assert "ワンタイムパスワードによる認証を停止しました" in mailoutbox[0].body


def test_load_is_the_orms_for_verify(token_contract):
    """verifier.load (compiled once) gives what for_verify().get(pk) gives, and refuses an unknown id."""
    from otp import verifier

    want = TokenBinding.objects.for_verify().get(pk=token_contract.binding.pk)
    got = verifier.load(token_contract.binding.pk)
    assert (got.pk, got.last_step, got.failures, got.get_deferred_fields()) == (
        want.pk,
        want.last_step,
        want.failures,
        want.get_deferred_fields(),
    )
    assert (got.contract.contract_id, got.software_token.secret) == (
        want.contract.contract_id,
        want.software_token.secret,
    )
    with pytest.raises(TokenBinding.DoesNotExist):
        verifier.load(10**9)


@pytest.mark.parametrize(("kind", "outcome"), [("lost", Outcome.LOST), ("otp", Outcome.LOCKED)])
def test_a_lock_set_after_the_locks_were_read_is_the_answer_not_reused(token_contract, at_t, kind, outcome):
    """The door read the locks (the gate) before another request set one (a 紛失届 at the branch, a burst's
    last wrong code): the right code is then refused for that lock, audited as such, not as a reused code."""
    from accounts import locks
    from accounts.models import Contract

    binding = fresh(token_contract.binding)
    assert locks.open_locks(binding.contract) == {}  # read, as the page's gate read them
    assert locks.set_lock(Contract.objects.get(pk=token_contract.pk), kind, reason="test", by="staff:test")
    result = verify(binding, code_at(token_contract.key))
    assert result.outcome is outcome
    assert AuditEntry.objects.filter(action="otp.verify", reason=outcome.value, contract=token_contract).exists()
    assert not AuditEntry.objects.filter(action="otp.verify", reason="reused").exists()
