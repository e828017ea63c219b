import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from ibank import crypto


def test_round_trip_and_ciphertext_hides_the_plaintext():
    ciphertext = crypto.encrypt("01234567890123456789")
    assert "01234567890123456789" not in ciphertext
    assert crypto.decrypt(ciphertext) == "01234567890123456789"
    assert crypto.encrypt("same") != crypto.encrypt("same")  # random IV


def test_old_keys_still_decrypt_and_rotate_moves_to_the_newest():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(IBANK_ENCRYPTION_KEYS=[old]):
        ciphertext = crypto.encrypt("secret")
    with override_settings(IBANK_ENCRYPTION_KEYS=[new, old]):
        assert crypto.decrypt(ciphertext) == "secret"
        assert not crypto.is_current(ciphertext)
        rotated = crypto.rotate(ciphertext)
        assert crypto.is_current(rotated)
    with override_settings(IBANK_ENCRYPTION_KEYS=[new]):
        assert crypto.decrypt(rotated) == "secret"
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(ciphertext)


def test_a_malformed_key_is_a_configuration_error():
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(IBANK_ENCRYPTION_KEYS=["not-a-key"]), pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")
