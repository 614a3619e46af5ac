"""Histories as an attacker and as an operator see them: raw ciphertext, and decoded."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History
from temporalio.client import Client

from codec.aesgcm import EncryptionCodec
from starter.devstack import DevStack


def iter_payloads(message: Message) -> Iterator[Payload]:
    """Every Payload anywhere inside ``message`` (lists and maps included)."""
    if isinstance(message, Payload):
        yield message
        return
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        if descriptor.message_type.GetOptions().map_entry:
            values = value.values()
            if descriptor.message_type.fields_by_name["value"].message_type is None:
                continue
        elif isinstance(value, Message):
            values = [value]
        else:
            values = list(value)
        for item in values:
            yield from iter_payloads(item)


async def raw_history(stack: DevStack, workflow_id: str) -> History:
    """The history as anyone who reaches the frontend gets it: no codec, no key.

    Deliberately not `worker.client.connect` (which always encrypts): this is the view of
    someone without the key ring.
    """
    client = await Client.connect(stack.temporal_address)
    fetched = await client.get_workflow_handle(workflow_id).fetch_history()
    return History(events=fetched.events)


def decoded(history: History, stack: DevStack) -> History:
    """A copy of ``history`` with every sealed payload opened with the stack's key ring."""
    codec = EncryptionCodec(stack.codec_settings().key_ring())
    copy = History()
    copy.CopyFrom(history)
    for payload in list(iter_payloads(copy)):
        payload.CopyFrom(codec.open(payload))
    return copy


def payload_bytes(history: History) -> bytes:
    """All payload data and metadata of ``history``, concatenated."""
    parts: list[bytes] = []
    for payload in iter_payloads(history):
        parts.append(payload.data)
        parts.extend(payload.metadata.values())
    return b"\n".join(parts)
