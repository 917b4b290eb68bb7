"""AES-256-GCM field sealing as pure code: a key in, sealed tokens out (no database).

:class:`FieldCipher` binds every sealed value to ``owner|table|row|field``. The tenants'
ciphers (:mod:`kasane.core.protection.crypto`) use the tenant id as the owner and a data key
wrapped per tenant; the central site seals its accounts' TOTP secrets with a key derived
from the master key (:func:`derive_key`) and its own owner id.
"""

from __future__ import annotations

import base64
import binascii
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kasane.core.protection.mynumber import refuse_mynumber

TOKEN_PREFIX = "v1:"
NONCE_BYTES = 12
KEY_BYTES = 32
TAG_BYTES = 16


class SealedDataError(Exception):
    """A sealed value cannot be opened: tampered with, bound to another tenant, table, row or
    field, or its tenant's key is gone."""


def derive_key(secret: str, info: bytes) -> bytes:
    """A 32-byte key for one purpose (``info``) from a secret (HKDF-SHA256)."""
    if not secret:
        raise ValueError("the secret must not be empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info)
    return hkdf.derive(secret.encode("utf-8"))


class FieldCipher:
    """Seals and opens one owner's field values (a tenant's: obtain it with
    :func:`kasane.core.protection.crypto.cipher_for`)."""

    __slots__ = ("_aead", "tenant_id")

    def __init__(self, tenant_id: uuid.UUID, data_key: bytes) -> None:
        if len(data_key) != KEY_BYTES:
            raise ValueError("a data key is 32 bytes")
        self.tenant_id = tenant_id
        self._aead = AESGCM(data_key)

    def __repr__(self) -> str:  # never show key material
        return f"FieldCipher(tenant_id={self.tenant_id})"

    def _binding(self, table: str, row_id: uuid.UUID, field: str) -> bytes:
        return f"{self.tenant_id}|{table}|{row_id}|{field}".encode()

    def seal(self, table: str, row_id: uuid.UUID, field: str, plaintext: str) -> str:
        """``"v1:"`` + URL-safe base64 of nonce + ciphertext; ``""`` for an empty value.

        A fresh random nonce each time: sealing the same text twice gives different tokens.
        """
        if plaintext == "":
            return ""
        refuse_mynumber(table, field, plaintext)  # sealed text is checked before it is hidden
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(
            nonce, plaintext.encode("utf-8"), self._binding(table, row_id, field)
        )
        return TOKEN_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, table: str, row_id: uuid.UUID, field: str, token: str) -> str:
        """The plaintext sealed for exactly this table, row and field of this tenant.

        Raises:
            SealedDataError: the token is malformed, was altered, or was sealed for another
                tenant, table, row or field.
        """
        if token == "":
            return ""
        if not token.startswith(TOKEN_PREFIX):
            raise SealedDataError("not a sealed value")
        try:
            blob = base64.b64decode(token[len(TOKEN_PREFIX) :], altchars=b"-_", validate=True)
            if len(blob) < NONCE_BYTES + TAG_BYTES:
                raise ValueError("too short")
            plain = self._aead.decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], self._binding(table, row_id, field)
            )
            return plain.decode("utf-8")
        except (binascii.Error, InvalidTag, ValueError, UnicodeError) as exc:
            raise SealedDataError(
                f"cannot open {table}.{field} of row {row_id}: altered or not sealed here"
            ) from exc
