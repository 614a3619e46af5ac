"""The onboarding's one input pipeline: every human input, however it arrives.

An input is an `Envelope` (name, payload, proof) sent as the `give_input` update (the
CLI: an answer or a refusal with its reason) or as a signal (the Web UI's "Send a
Signal", named `give_input` or after the input). For every one, in this order:

1. prove who sent it: the signature, its key on the roster (or the approvals service's
   key, for customer admins), this onboarding, this input, fresh, never taken before;
2. check the rules of `onboarding.catalog` for the *verified* signer;
3. apply it (`onboarding.effects`), record it (with its signature, so an auditor can
   re-verify it) and publish the new state (search attributes and Web UI details).

A refusal at any stage changes nothing but the record: it is kept in `refused[]` and
the audit trail, and the update fails with the reason. The same refused input sent again
is turned away by the update validator at no cost. Nothing an input holds can fail a
workflow task: unexpected errors become refusals too.

Runs started before signed inputs existed (no `signed-inputs` patch marker) keep their
unsigned handlers (`workflows/legacy_inputs.py`) so their histories replay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from workflows.legacy_inputs import LegacyInputs
from workflows.versioning import SIGNED_INPUTS, changed

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

    from onboarding.catalog import CATALOG, InputSpec, channel_refusal
    from onboarding.effects import Applied, InputState, Note
    from onboarding.inputs import InputName, Receipt
    from onboarding.proof import (
        CLOCK_SKEW,
        FRESHNESS,
        Channel,
        Envelope,
        Proof,
        Unproven,
        Verified,
        canonical,
        parse_proof,
        proof_record,
        verify,
    )
    from onboarding.status import Refusal

INPUT_SIGNAL = "give_input"
"""The signal (and update) every signed input can travel as."""
REFUSED_DIGESTS_KEPT = 500
INPUT_REFUSED = "InputRefused"
"""ApplicationError type of a refused input (the update's failure)."""


class InputRefusedError(ValueError):
    """Raised by the update validator: a repeat of an input already refused."""


class HumanInputs(LegacyInputs):
    """The input handlers of the onboarding workflow (a mixin)."""

    _nonces: dict[str, datetime]
    """Nonce -> signing time of signed inputs taken (accepted or refused) lately."""
    _refused_digests: list[str]
    _signed_era: bool | None
    _signals_held: list[tuple[str, Any]]

    def _signed(self) -> bool:
        """Whether this run takes signed inputs only (every run since the patch)."""
        if self._signed_era is None:
            self._signed_era = changed(SIGNED_INPUTS)
        return self._signed_era

    # ------------------------------------------------------------ entry points
    # The workflow's handlers (`OnboardingWorkflow`) call these.

    async def _give(self, envelope: Envelope) -> Receipt:
        await workflow.wait_condition(lambda: self._policy is not None)
        outcome = self._take(envelope)
        if isinstance(outcome, Refusal):
            raise ApplicationError(outcome.reason, type=INPUT_REFUSED, non_retryable=True)
        return outcome

    def _check_give(self, envelope: Envelope) -> None:
        if self._digest(envelope) in self._refused_digests:
            raise InputRefusedError(
                "this exact input was refused already (see `onboard status`); nothing changed"
            )

    def _named_signal(self, name: str, args: Sequence[RawValue]) -> None:
        payload = self._decode(args)
        if not self._signed():
            self._legacy_signal(name, payload)
        else:
            self._take_signal(name, payload)

    def _named_update(self, name: str, args: Sequence[RawValue]) -> Receipt:
        payload = self._decode(args)
        if not self._signed():
            return self._legacy_update(name, payload)
        refusal = self._refuse(
            name[:64],
            _claimed(payload),
            None,
            f"unsigned {name[:64]} update: inputs are signed now; send it with a current "
            "onboard CLI (it signs with your key)",
            payload,
            name,
        )
        raise ApplicationError(refusal.reason, type=INPUT_REFUSED, non_retryable=True)

    def _check_named_update(self, name: str, args: Sequence[RawValue]) -> None:
        payload = self._decode(args)
        if not self._signed():
            self._legacy_validate(name, payload)
        elif self._digest_of(name, payload) in self._refused_digests:
            raise InputRefusedError("this exact input was refused already; nothing changed")

    # ------------------------------------------------------------------ pipeline

    def _take_signal(self, name: str, payload: Any) -> None:
        """Take a signalled input; until the roster is loaded, hold it (taken right after)."""
        if self._policy is None:
            self._signals_held.append((name, payload))
            return
        if self._digest_of(name, payload) in self._refused_digests:
            return  # the same refused signal again: already on record, costs nothing more
        if not isinstance(payload, dict) or not {"input", "payload"} <= payload.keys():
            self._refuse(
                name[:64],
                _claimed(payload),
                None,
                f"unsigned {name[:64]} signal: inputs are signed now; paste what "
                "`onboard ... --print-signal` prints",
                payload,
                name,
            )
            return
        try:
            envelope = Envelope.model_validate(payload)
        except ValidationError:
            self._refuse(name[:64], None, None, "not an input envelope", payload, name)
            return
        if name not in (INPUT_SIGNAL, envelope.input):
            self._refuse(
                name[:64],
                _claimed(envelope.payload),
                None,
                f"the signal {name[:64]!r} carries the input {envelope.input[:64]!r}; name the "
                f"signal {INPUT_SIGNAL} or after its input",
                payload,
                name,
            )
            return
        self._take(envelope, name, payload)

    def _take_held_signals(self) -> None:
        """Signals that came before the roster was loaded: take them now, in order."""
        held, self._signals_held = self._signals_held, []
        for name, payload in held:
            self._take_signal(name, payload)

    def _take(
        self, envelope: Envelope, signal: str | None = None, raw: Any = None
    ) -> Receipt | Refusal:
        """Prove, check, apply, record and publish one input, or refuse it on record.

        Args:
            envelope: The input.
            signal: The signal's name if it came as a signal (None: the update).
            raw: The signal's payload as received (what a repeat is recognised by).
        """
        if raw is None:
            raw = envelope.model_dump(mode="json")
        try:
            return self._take_unguarded(envelope, signal, raw)
        except Exception as err:  # an input must never fail the workflow task
            workflow.logger.exception("input could not be processed")
            return self._refuse(
                envelope.input[:64] or "input",
                _claimed(envelope.payload),
                None,
                f"could not be processed ({type(err).__name__}); nothing changed",
                raw,
                signal,
            )

    def _take_unguarded(
        self, envelope: Envelope, signal: str | None, raw: Any
    ) -> Receipt | Refusal:
        name = envelope.input[:64]
        spec = _spec(name)
        claimed = _claimed(envelope.payload)
        if spec is None:
            known = ", ".join(n.value for n in InputName)
            return self._refuse(
                name or "input",
                claimed,
                None,
                f"unknown input {name!r} (one of: {known})",
                raw,
                signal,
            )
        proof = parse_proof(envelope.proof)
        if isinstance(proof, Unproven):
            return self._refuse(name, proof.claimed or claimed, None, proof.reason, raw, signal)
        now = workflow.now()
        self._forget_old_nonces(now)
        if (taken := self._nonces.get(proof.nonce)) is not None:
            return self._refuse(
                name,
                proof.signer,
                None,
                f"replay: this signed input (signed {taken.isoformat()}) was taken already",
                raw,
                signal,
            )
        assert self._policy is not None  # the handlers wait for it
        verified = verify(
            proof,
            input_name=name,
            payload=envelope.payload,
            workflow_id=self._status.workflow_id,
            keyring=self._policy.keyring(),
            now=now,
        )
        if isinstance(verified, Unproven):
            return self._refuse(name, proof.signer, None, verified.reason, raw, signal)
        self._nonces[proof.nonce] = proof.signed_at  # a signed input is taken once, either way
        inp = self._parse(spec, envelope.payload, verified)
        if isinstance(inp, str):
            return self._refuse(name, verified.signer, verified, inp, raw, signal)
        if (reason := self._rule_refusal(spec, inp, verified, now)) is not None:
            return self._refuse(name, verified.signer, verified, reason, raw, signal)
        return self._accept(spec, inp, verified, envelope, now)

    def _parse(self, spec: InputSpec, payload: Any, verified: Verified) -> BaseModel | str:
        """The input's model with the verified signer as `by`, or what is wrong with it."""
        if not isinstance(payload, dict):
            return "malformed payload: not an object"
        named = payload.get("by")
        if named is not None and str(named).strip().lower() != verified.signer:
            return f"the payload names {str(named)[:80]!r} but is signed by {verified.signer}"
        try:
            return spec.model.model_validate({**payload, "by": verified.signer})
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}"
                for e in err.errors()[:5]
            )
            return f"malformed payload: {problems}"

    def _rule_refusal(
        self, spec: InputSpec, inp: BaseModel, verified: Verified, now: datetime
    ) -> str | None:
        if (reason := channel_refusal(spec, inp, verified.channel)) is not None:
            return reason
        if verified.channel is Channel.CUSTOMER and not self._contract.is_customer_admin(
            verified.signer
        ):
            return f"{verified.signer} is not a named customer admin of this contract"
        return spec.refusal(self._input_state(), inp, now)

    def _accept(
        self,
        spec: InputSpec,
        inp: BaseModel,
        verified: Verified,
        envelope: Envelope,
        now: datetime,
    ) -> Receipt:
        state = self._input_state()
        applied = spec.apply(state, inp, now)
        self._owner_receipt = state.owner_receipt
        self._write_notes(applied, verified.signer)
        if not spec.report_only:
            fields = inp.model_dump(mode="json", exclude={"by"})
            if applied.receipt.already_recorded:
                fields["already_recorded"] = True
            fields["input"] = spec.recorded_as
            fields["channel"] = verified.channel.value
            fields["signed"] = proof_record(verified.proof, spec.name.value, envelope.payload)
            self._audit("input_accepted", self._status.current_step, verified.signer, fields)
        self._woken = True
        if (current := self._status.current_step) is not None:
            self._status.step(current).waiting_for = self._awaiting(current)
        self._publish()
        workflow.logger.info("input accepted", extra={"input": spec.name.value})
        return applied.receipt

    def _write_notes(self, applied: Applied, actor: str) -> None:
        for note in applied.notes:
            self._audit(note.kind, note.step, actor, note.payload)

    def _refuse(
        self,
        name: str,
        claimed: str | None,
        verified: Verified | None,
        reason: str,
        raw: Any,
        signal: str | None = None,
    ) -> Refusal:
        """Keep a refused input on record; the same one again is turned away for free."""
        by = verified.signer if verified else f"unverified ({claimed or 'nobody'})"[:254]
        refusal = Refusal(input=name, by=by, at=workflow.now(), reason=reason)
        self._status.add_refusal(refusal)
        fields: dict[str, Any] = {"input": name, "reason": reason, "verified": bool(verified)}
        if claimed and not verified:
            fields["claimed_by"] = claimed[:254]
        if verified is not None:
            fields["key_fingerprint"] = verified.key_fingerprint
        self._audit(
            "input_refused",
            self._status.current_step,
            verified.signer if verified else "unverified",
            fields,
        )
        self._refused_digests = [
            *self._refused_digests,
            self._digest_of(signal or INPUT_SIGNAL, raw),
        ][-REFUSED_DIGESTS_KEPT:]
        workflow.logger.warning("input refused", extra={"input": name, "reason": reason})
        return refusal

    # ------------------------------------------------------------------ helpers

    def _input_state(self) -> InputState:
        assert self._policy is not None
        return InputState(
            status=self._status,
            contract=self._contract,
            roster=self._policy.roster,
            retry_requested=self._retry_requested,
            owner_receipt=self._owner_receipt,
        )

    def _forget_old_nonces(self, now: datetime) -> None:
        """Nonces older than the freshness window are refused as stale anyway."""
        horizon = now - FRESHNESS - CLOCK_SKEW
        self._nonces = {n: at for n, at in self._nonces.items() if at >= horizon}

    def _digest(self, envelope: Envelope) -> str:
        return self._digest_of(INPUT_SIGNAL, envelope.model_dump(mode="json"))

    @staticmethod
    def _digest_of(name: str, raw: Any) -> str:
        try:
            text = canonical([name, raw])
        except (TypeError, ValueError):
            text = repr((name, raw))
        return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()

    @staticmethod
    def _decode(args: Sequence[RawValue]) -> Any:
        if not args:
            return None
        try:
            return workflow.payload_converter().from_payload(args[0].payload)
        except Exception:  # undecodable: refused as malformed by the caller
            return None


def _spec(name: str) -> InputSpec | None:
    try:
        return CATALOG[InputName(name)]
    except ValueError:
        return None


def _claimed(payload: Any) -> str | None:
    """Whom a payload claims to come from (only ever shown as a claim)."""
    if isinstance(payload, dict) and isinstance(payload.get("by"), str):
        return str(payload["by"])[:254]
    return None


__all__ = ["HumanInputs", "InputRefusedError", "Note", "Proof"]
