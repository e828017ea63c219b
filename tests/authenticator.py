"""A software WebAuthn authenticator for tests without a browser: a P-256 key, attestation "none", user
presence and verification, answering the options the server sends with the JSON the page's script
(static/js/passkeys.js) would send back. The browser tests use Chromium's virtual authenticator instead."""

import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "http://testserver"  # the test client's
RP_ID = "testserver"
UP, UV, AT = 0x01, 0x04, 0x40  # user present, user verified, attested credential data included


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Authenticator:
    def __init__(self, *, origin: str = ORIGIN, rp_id: str = RP_ID, counts: bool = True, verifies: bool = True):
        """``counts``: False for a synced passkey (a phone's keychain), whose signature counter stays 0;
        ``verifies``: False for one that only sees a touch, without the device's lock (no user verification)."""
        self.origin, self.rp_id, self.counts, self.verifies = origin, rp_id, counts, verifies
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.sign_count = 0

    def _public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})  # COSE: EC2, ES256, P-256

    def _authenticator_data(self, *, attested: bool) -> bytes:
        self.sign_count += 1 if self.counts else 0
        flags = UP | (UV if self.verifies else 0) | (AT if attested else 0)
        data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.sign_count)
        if attested:
            credential = struct.pack(">H", len(self.credential_id)) + self.credential_id
            data += bytes(16) + credential + self._public_key()  # an all-zero AAGUID, as with "none"
        return data

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}).encode()

    def create(self, options: dict) -> dict:
        """navigator.credentials.create() for the server's registration options (as JSON)."""
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": self._authenticator_data(attested=True)})
        response = {
            "clientDataJSON": b64url(client_data),
            "attestationObject": b64url(attestation),
            "transports": ["internal"],
        }
        return self._credential(response)

    def get(self, options: dict) -> dict:
        """navigator.credentials.get() for the server's authentication options (as JSON)."""
        client_data = self._client_data("webauthn.get", options["challenge"])
        data = self._authenticator_data(attested=False)
        signature = self.key.sign(data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(data),
            "signature": b64url(signature),
        }
        return self._credential(response)

    def _credential(self, response: dict) -> dict:
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {"credProps": {"rk": True}},
            "authenticatorAttachment": "platform",
        }
