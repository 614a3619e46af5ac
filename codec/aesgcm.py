"""AES-256-GCM payload codec: each payload sealed whole, its key id in the metadata.

The sealed payload's metadata says ``encoding: binary/encrypted`` and names the key
(``encryption-key-id``); its data is a 12-byte random nonce followed by the ciphertext and
tag of the original payload (metadata and data, serialised). The key id and a fixed label
are authenticated with it, so a payload cannot be moved to another key id unnoticed.
Payloads that were never sealed (written before encryption was on) pass through decoding
unchanged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from codec.keys import KeyRing

ENCODING = b"binary/encrypted"
KEY_ID_FIELD = "encryption-key-id"
CIPHER_FIELD = "encryption-cipher"
CIPHER = b"AES-256-GCM"
NONCE_BYTES = 12
_LABEL = b"localizevideos-onboarding-payload-v1:"
log = logging.getLogger(__name__)


class PayloadDecryptionError(ValueError):
    """A sealed payload that cannot be opened: unknown key, or altered ciphertext."""


class UnknownKeyError(PayloadDecryptionError):
    """The payload was sealed with a key that is not in this key ring."""


class EncryptionCodec(PayloadCodec):
    """Seal every payload with the ring's active key; open it with whichever key it names.

    Args:
        ring: The keys.
        tolerant: Open a payload that cannot be opened as JSON ``null`` (logged) instead of
            raising. The worker sets it: a signal whose payload someone forged or altered
            then reaches its handler as a malformed payload, which is refused on record,
            instead of failing every workflow task of that onboarding from then on.
            Clients, the CLI and the codec server refuse such payloads.
    """

    def __init__(self, ring: KeyRing, *, tolerant: bool = False) -> None:
        self._ring = ring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys.items()}
        self._tolerant = tolerant

    @property
    def active_key_id(self) -> str:
        return self._ring.active

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open_tolerantly(p) if self._tolerant else self.open(p) for p in payloads]

    def _open_tolerantly(self, payload: Payload) -> Payload:
        try:
            return self.open(payload)
        except PayloadDecryptionError as err:
            log.warning("payload refused, handed on as null: %s", err)
            return Payload(metadata={"encoding": b"json/plain"}, data=b"null")

    def seal(self, payload: Payload) -> Payload:
        key_id = self._ring.active
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(
            nonce, payload.SerializeToString(), _LABEL + key_id.encode()
        )
        return Payload(
            metadata={
                "encoding": ENCODING,
                KEY_ID_FIELD: key_id.encode(),
                CIPHER_FIELD: CIPHER,
            },
            data=nonce + sealed,
        )

    def open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        raw_id = payload.metadata.get(KEY_ID_FIELD, b"")
        key_id = raw_id.decode("utf-8", errors="replace")[:64]
        if not raw_id:
            raise PayloadDecryptionError("an encrypted payload names no key id")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnknownKeyError(
                f"a payload is encrypted with key {key_id!r}, which is not in the key ring "
                f"(known: {', '.join(sorted(self._ciphers))}); add that key to "
                "ONBOARDING_CODEC_KEY_FILE or ONBOARDING_CODEC_KEYS"
            )
        data = payload.data
        if len(data) < NONCE_BYTES + 16:
            raise PayloadDecryptionError(f"an encrypted payload (key {key_id!r}) is truncated")
        try:
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], _LABEL + key_id.encode())
        except InvalidTag:
            raise PayloadDecryptionError(
                f"an encrypted payload (key {key_id!r}) failed authentication: it was "
                "altered, or that key id holds a different key here"
            ) from None
        opened = Payload()
        try:
            opened.ParseFromString(plain)
        except DecodeError:
            raise PayloadDecryptionError("an encrypted payload holds no payload") from None
        return opened
