"""The AES-256-GCM payload codec: rotation, tampering, unknown keys, failures and metadata."""

from __future__ import annotations

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.exceptions import ApplicationError

from codec.aesgcm import (
    ENCODING,
    KEY_ID_FIELD,
    EncryptionCodec,
    PayloadDecryptionError,
    UnknownKeyError,
)
from codec.keys import new_key_entry, parse_ring
from worker.client import encrypting_converter

OLD = new_key_entry("k-2026-01")
NEW = new_key_entry("k-2026-07")
SECRET = "ada.park@northwind.example +1 555 0100 CTR-2026-0117"


def codec(ring_text: str, active: str | None = None) -> EncryptionCodec:
    return EncryptionCodec(parse_ring(ring_text, active))


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


async def test_a_payload_is_sealed_with_its_key_id_and_opens_to_the_original() -> None:
    one = codec(OLD)
    [sealed] = await one.encode([plain(SECRET)])

    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID_FIELD] == b"k-2026-01"
    assert SECRET.encode() not in sealed.SerializeToString()
    assert b"ada.park" not in sealed.data
    [opened] = await one.decode([sealed])
    assert opened == plain(SECRET)


async def test_two_seals_of_the_same_payload_differ() -> None:
    one = codec(OLD)
    first, second = await one.encode([plain(SECRET), plain(SECRET)])
    assert first.data != second.data  # a fresh nonce each time


async def test_after_rotation_old_payloads_decode_and_new_ones_use_the_new_key() -> None:
    before = codec(OLD)
    [old_payload] = await before.encode([plain("written before the rotation")])

    rotated = codec(f"{OLD}\n{NEW}", active="k-2026-07")
    [new_payload] = await rotated.encode([plain("written after")])

    assert new_payload.metadata[KEY_ID_FIELD] == b"k-2026-07"
    assert await rotated.decode([old_payload, new_payload]) == [
        plain("written before the rotation"),
        plain("written after"),
    ]
    with pytest.raises(UnknownKeyError):  # the old ring has never seen the new key
        await before.decode([new_payload])


async def test_tampered_ciphertext_is_refused() -> None:
    one = codec(OLD)
    [sealed] = await one.encode([plain(SECRET)])
    flipped = bytearray(sealed.data)
    flipped[20] ^= 0x01
    tampered = Payload(metadata=dict(sealed.metadata), data=bytes(flipped))

    with pytest.raises(PayloadDecryptionError, match="failed authentication"):
        await one.decode([tampered])


async def test_a_payload_moved_to_another_key_id_is_refused() -> None:
    both = codec(f"{OLD}\n{NEW}", active="k-2026-01")
    [sealed] = await both.encode([plain(SECRET)])
    relabelled = Payload(
        metadata={**dict(sealed.metadata), KEY_ID_FIELD: b"k-2026-07"}, data=sealed.data
    )
    with pytest.raises(PayloadDecryptionError, match="failed authentication"):
        await both.decode([relabelled])


async def test_a_truncated_payload_is_refused() -> None:
    one = codec(OLD)
    [sealed] = await one.encode([plain(SECRET)])
    cut = Payload(metadata=dict(sealed.metadata), data=sealed.data[:20])
    with pytest.raises(PayloadDecryptionError, match="truncated"):
        await one.decode([cut])


async def test_an_unknown_key_id_is_refused_naming_the_key_and_where_to_add_it() -> None:
    [sealed] = await codec(NEW).encode([plain(SECRET)])

    with pytest.raises(UnknownKeyError) as raised:
        await codec(OLD).decode([sealed])
    message = str(raised.value)
    assert "'k-2026-07'" in message and "k-2026-01" in message
    assert "ONBOARDING_CODEC_KEY_FILE" in message


async def test_unsealed_payloads_from_before_encryption_pass_through() -> None:
    assert await codec(OLD).decode([plain("old history")]) == [plain("old history")]


async def test_the_converter_encrypts_failure_messages() -> None:
    converter = encrypting_converter(parse_ring(OLD))
    failure = Failure()
    error = ApplicationError(f"{SECRET} is not a named admin", type="Refused")
    await converter.encode_failure(error, failure)

    assert SECRET.encode() not in failure.SerializeToString()
    assert failure.message == "Encoded failure"
    decoded = await converter.decode_failure(failure)
    assert SECRET in str(decoded)


async def test_the_converter_round_trips_models_through_the_seal() -> None:
    from onboarding.inputs import SignOff

    converter = encrypting_converter(parse_ring(OLD))
    sign_off = SignOff(by="ada.park@northwind.example", gate="customer", note="looks good")
    [payload] = await converter.encode([sign_off])

    assert b"looks good" not in payload.SerializeToString()
    [back] = await converter.decode([payload], [SignOff])
    assert back == sign_off


async def test_the_workers_codec_hands_an_unopenable_payload_on_as_null() -> None:
    [sealed] = await codec(NEW).encode([plain(SECRET)])
    forged = Payload(metadata=dict(sealed.metadata), data=b"\x00" * 40)
    worker_side = EncryptionCodec(parse_ring(OLD), tolerant=True)

    null = Payload(metadata={"encoding": b"json/plain"}, data=b"null")
    assert await worker_side.decode([sealed, forged]) == [null, null]
    [own] = await worker_side.encode([plain(SECRET)])
    assert await worker_side.decode([own]) == [plain(SECRET)]  # its own still open
