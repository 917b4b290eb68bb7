"""The export key: a fresh random AES-256 key per export, shown once and never stored.

It seals ``key.json`` — the tenant's data key and its ``tenant_keys`` row — with AES-GCM.
The associated data is the SHA-256 of ``manifest.json``, so the key file opens only with
the right export key *and* the manifest it was written with; the manifest's checksums then
vouch for every other file. A wrong key and an altered manifest are told apart by trying
the manifest as written in key.json's ``manifest_sha256``.

The key is written as 52 base32 letters and digits in groups of four (case and dashes do
not matter), so it can be read out, typed, or kept on paper.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kasane.tenants.portability.layout import FORMAT, FORMAT_VERSION

KEY_BYTES = 32
NONCE_BYTES = 12
ALGORITHM = "AES-256-GCM"


class ExportKeyInvalid(ValueError):
    """The text given is not an export key at all (wrong length or letters)."""


class ExportKeyWrong(ValueError):
    """The export key does not open key.json (another export's key, or a typo)."""


class ManifestAltered(ValueError):
    """key.json opens, but not for the manifest that came with it."""


def new_export_key() -> bytes:
    return os.urandom(KEY_BYTES)


def format_export_key(key: bytes) -> str:
    """``abcd-efgh-…``: base32 without padding, lower case, groups of four."""
    text = base64.b32encode(key).decode("ascii").rstrip("=").lower()
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_export_key(text: str) -> bytes:
    """The key from its written form; spaces, dashes and case are ignored.

    Raises:
        ExportKeyInvalid: not 32 bytes of base32.
    """
    compact = re.sub(r"[\s-]", "", text).upper()
    try:
        key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    except (binascii.Error, ValueError) as exc:
        raise ExportKeyInvalid("the export key has letters base32 does not use") from exc
    if len(key) != KEY_BYTES:
        raise ExportKeyInvalid("the export key is 52 letters and digits long")
    return key


def _binding(manifest_sha256: str) -> bytes:
    return f"{FORMAT}|{FORMAT_VERSION}|key|{manifest_sha256}".encode()


def seal_key_file(key: bytes, manifest_sha256: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The content of key.json: ``payload`` sealed for this manifest."""
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(payload, separators=(",", ":")).encode()
    sealed = AESGCM(key).encrypt(nonce, plain, _binding(manifest_sha256))
    return {
        "algorithm": ALGORITHM,
        "bound_to": "sha256 of manifest.json",
        "manifest_sha256": manifest_sha256,
        "sealed": base64.b64encode(nonce + sealed).decode("ascii"),
    }


def open_key_file(key: bytes, manifest_sha256: str, document: Any) -> dict[str, Any]:
    """The payload of key.json, checked against the manifest actually present.

    Raises:
        ExportKeyWrong: the key does not open it (or key.json itself was altered).
        ManifestAltered: the key opens it, but manifest.json is not the one it was sealed with.
    """
    try:
        blob = base64.b64decode(str(document["sealed"]), validate=True)
        written_for = str(document["manifest_sha256"])
    except (KeyError, TypeError, binascii.Error, ValueError) as exc:
        raise ExportKeyWrong("key.json is not a sealed key file") from exc
    aead = AESGCM(key)
    nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
    try:
        plain = aead.decrypt(nonce, sealed, _binding(manifest_sha256))
    except (InvalidTag, ValueError):
        try:
            aead.decrypt(nonce, sealed, _binding(written_for))
        except (InvalidTag, ValueError):
            raise ExportKeyWrong("the export key does not open key.json") from None
        raise ManifestAltered("manifest.json was changed after the export") from None
    payload = json.loads(plain)
    if not isinstance(payload, dict):
        raise ExportKeyWrong("key.json holds no key")
    return payload
