"""Decode ModelRepository custom errors (selector + args) into ContractErrors saying what to do."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from fedlend.chain.prepared import MinedRevertError
from fedlend.errors import ContractError
from fedlend.types import ModelStatus, UpdateStatus

PREFIX = "ModelRepository"


def _when(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _status(value: int, kind: type[ModelStatus] | type[UpdateStatus]) -> str:
    try:
        return kind(value).name.lower()
    except ValueError:
        return str(value)


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()[:16] + "..."


# error name (without the prefix) -> message from its decoded arguments
MESSAGES: dict[str, Callable[..., str]] = {
    "ZeroBounty": lambda: "the bounty must be more than 0 wei: send ETH with createModel",
    "BountyTooLarge": lambda bounty, cap: f"bounty {bounty} wei exceeds the cap {cap}: send less",
    "BadScoreRange": lambda initial, target: (
        f"score range {initial} -> {target} is invalid: need initial < target <= 10000 (bps)"
    ),
    "DeadlineInPast": lambda deadline, now: (
        f"deadline {_when(deadline)} is not after the chain's time {_when(now)}: pick a later one"
    ),
    "ZeroDigest": lambda: "a digest of 32 zero bytes names no content: store the blob first",
    "UnknownModel": lambda model_id: f"model {model_id} does not exist: list models to find one",
    "UnknownUpdate": lambda update_id: f"update {update_id} does not exist: check the update id",
    "ModelNotOpen": lambda model_id, status: (
        f"model {model_id} is {_status(status, ModelStatus)}: it no longer takes updates "
        "or evaluations"
    ),
    "DeadlinePassed": lambda model_id, deadline: (
        f"model {model_id}: deadline passed at {_when(deadline)}: "
        "this model no longer takes updates"
    ),
    "NotLender": lambda model_id, caller: (
        f"{caller} is not the lender of model {model_id}: only its lender may do that"
    ),
    "AlreadyEvaluated": lambda update_id, status: (
        f"update {update_id} is no longer pending ({_status(status, UpdateStatus)}): "
        "there is nothing left to judge or claim"
    ),
    "ScoreOutOfRange": lambda score: f"score {score} is above 10000 bps: scale the metric to bps",
    "DeadlineNotReached": lambda model_id, deadline: (
        f"model {model_id} is open until {_when(deadline)}: reclaim after the deadline "
        "or once it is completed"
    ),
    "AlreadyReclaimed": lambda model_id: f"model {model_id}'s bounty was already reclaimed",
    "NothingOwed": lambda account: f"nothing is owed to {account}: there is nothing to withdraw",
    "TransferFailed": lambda account, amount: (
        f"paying {amount} wei to {account} failed (its receive() reverted): "
        "withdraw from an account that accepts ETH"
    ),
    "ReentrantCall": lambda: "reentrant call refused",
    "DeadlineTooFar": lambda deadline, cap: (
        f"deadline {deadline} is beyond the last the contract stores ({cap}): pick an earlier one"
    ),
    "BadReviewPeriod": lambda period, low, high: (
        f"review period {period} s is outside {low} s to {high} s (1 hour to 30 days): "
        "promise a period in that range"
    ),
    "EmptyRound": lambda: "a round must judge at least one update: pass its pending update ids",
    "RoundTooLarge": lambda size, cap: (
        f"a round of {size} updates is more than {cap}: judge them in several rounds"
    ),
    "LengthMismatch": lambda updates, shares: (
        f"{updates} updates but {shares} shares: give exactly one share per update"
    ),
    "WrongModel": lambda update_id, model_id, actual: (
        f"update {update_id} belongs to model {actual}, not {model_id}: judge it in its own round"
    ),
    "BadShares": lambda total, improved: (
        f"the shares sum to {total} bps: "
        + (
            "a round that beats the best score must share exactly 10000 bps among its paid updates"
            if improved
            else "a round that does not beat the best score must give every update a share of 0"
        )
    ),
    "ReviewWindowClosed": lambda model_id, ends: (
        f"model {model_id}'s review window closed at {_when(ends)}: it can no longer be "
        "evaluated; its unjudged updates may now be claimed by their owners"
    ),
    "ReviewWindowOpen": lambda model_id, ends: (
        f"model {model_id}'s lender has until {_when(ends)} to judge its updates: "
        "claim after then if the update is still pending"
    ),
    "UpdatesPending": lambda model_id, pending, ends: (
        f"model {model_id} has {pending} unjudged updates: evaluate them first, or wait until "
        f"{_when(ends)} and reclaim what their claims leave"
    ),
    "ProofRequired": lambda model_id: (
        f"model {model_id} is verified: judge its rounds with a proof of the score "
        "(evaluate_verified_round)"
    ),
    "NotVerified": lambda model_id: (
        f"model {model_id} was created without verification: judge it without a proof"
    ),
    "BadVerification": lambda verifier: (
        f"verifier {verifier} has no code: deploy the circuit's RoundVerifier first"
    ),
    "ProofRejected": lambda model_id: (
        f"the proof for model {model_id}'s round did not verify: prove the round again"
    ),
    "CommitmentMismatch": lambda model_id, expected, proven: (
        f"the proof is over other data (commitment {_hex(proven)}) than model {model_id}'s "
        f"committed validation set ({_hex(expected)}): "
        "prove on the set committed at creation"
    ),
    "WeightsMismatch": lambda model_id, weights, proven: (
        f"the proof's weights (digest {_hex(proven)}) are not the round's new weights "
        f"{_hex(weights)} for model {model_id}: "
        "record the digest of the proven weights"
    ),
    "ScoreMismatch": lambda model_id, claimed, proven: (
        f"model {model_id}: the round claims {claimed} bps but the proof shows {proven} bps: "
        "claim the proven score"
    ),
}


class RevertDecoder:
    """Maps 4-byte selectors of an ABI's custom errors to their names and argument types."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str]]] = {}
        for item in abi:
            if item.get("type") == "error":
                types = [arg["type"] for arg in item["inputs"]]
                selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
                self._errors[selector] = (item["name"], types)

    def decode(self, data: str | bytes) -> tuple[str, tuple[Any, ...]] | None:
        """(error name, decoded args) for revert data, or None if the selector is unknown."""
        raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else data
        entry = self._errors.get(raw[:4])
        if entry is None:
            return None
        name, types = entry
        values = abi_decode(types, raw[4:])
        return name, tuple(
            to_checksum_address(v) if t == "address" else v
            for t, v in zip(types, values, strict=True)
        )

    def to_error(self, exc: ContractLogicError) -> ContractError:
        """The ContractError for a web3 revert exception."""
        data = exc.data if isinstance(exc.data, str | bytes) else None
        decoded = self.decode(data) if data and isinstance(exc, ContractCustomError) else None
        if decoded is None:
            kind = "Panic" if isinstance(exc, ContractPanicError) else "Revert"
            return ContractError(f"the contract refused: {exc.message or exc}", error_name=kind)
        name, args = decoded
        template = MESSAGES.get(name.removeprefix(PREFIX))
        message = template(*args) if template else f"{name}{args}"
        return ContractError(message, error_name=name, args=args)

    @contextmanager
    def translated(self) -> Iterator[None]:
        """Within this block, contract reverts raise ContractError."""
        try:
            yield
        except ContractLogicError as exc:
            raise self.to_error(exc) from exc
        except MinedRevertError as exc:  # broadcast and mined: the error names the transaction
            error = self.to_error(exc.revert)
            error.sent_tx = exc.tx_hash
            raise error from exc
