"""The shipped data's 37 model features, computed from an address's History (pure arithmetic)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from signals.dataset import FEATURES
from signals.history import History, TokenTransfer, Transaction

CONTRACT_FEATURES = (
    "min value sent to contract",
    "max val sent to contract",
    "avg value sent to contract",
    "total ether sent contracts",
    "ERC20 total Ether sent contract",
)


@dataclass(frozen=True)
class FeatureVector:
    """Feature values in FEATURES order, and which of them the source could not compute."""

    values: tuple[float, ...]
    unavailable: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, float]:
        """{column: value}."""
        return dict(zip(FEATURES, self.values, strict=True))


def compute_features(history: History) -> FeatureVector:
    """The address's features as the shipped data defines them (minutes, ETH, whole tokens)."""
    me = history.address
    sent = [t for t in history.transactions if t.sender == me and not t.created]
    created = [t for t in history.transactions if t.sender == me and t.created]
    received = [t for t in history.transactions if t.receiver == me and t.sender != me]
    to_contract = [t for t in sent if t.receiver_is_contract]
    to_eoa = [t for t in sent if not t.receiver_is_contract]
    tok_in = [t for t in history.transfers if t.receiver == me]
    tok_out = [t for t in history.transfers if t.sender == me]
    tok_out_contract = [t for t in tok_out if t.receiver_is_contract]
    tok_out_eoa = [t for t in tok_out if not t.receiver_is_contract]
    normal = history.transactions
    f: dict[str, float] = {
        "Avg min between sent tnx": _mean_gap_min(sent),
        "Avg min between received tnx": _mean_gap_min(received),
        "Time Diff between first and last (Mins)": _span_min(normal),
        "Sent tnx": float(len(sent)),
        "Received Tnx": float(len(received)),
        "Number of Created Contracts": float(len(created)),
        "Unique Received From Addresses": float(len({t.sender for t in received})),
        "Unique Sent To Addresses": float(len({t.receiver for t in sent})),
        "total transactions (including tnx to create contract": float(
            len(sent) + len(received) + len(created)
        ),
        "total Ether sent": sum(t.value_eth for t in to_eoa),
        "total ether received": sum(t.value_eth for t in received),
        "total ether sent contracts": sum(t.value_eth for t in to_contract),
        "Total ERC20 tnxs": float(len(history.transfers)),
        "ERC20 total Ether received": sum(t.amount for t in tok_in),
        "ERC20 total ether sent": sum(t.amount for t in tok_out_eoa),
        "ERC20 total Ether sent contract": sum(t.amount for t in tok_out_contract),
        "ERC20 uniq sent addr": float(len({t.receiver for t in tok_out})),
        "ERC20 uniq rec addr": float(len({t.sender for t in tok_in})),
        "ERC20 uniq rec contract addr": float(len({t.token for t in tok_in})),
        "ERC20 uniq sent token name": float(len({_name(t) for t in tok_out})),
        "ERC20 uniq rec token name": float(len({_name(t) for t in tok_in})),
    }
    f["total ether balance"] = (
        f["total ether received"] - f["total Ether sent"] - f["total ether sent contracts"]
    )
    _stats(f, ("min value received", "max value received", "avg val received"), received)
    _stats(f, ("min val sent", "max val sent", "avg val sent"), to_eoa)
    _stats(
        f,
        ("min value sent to contract", "max val sent to contract", "avg value sent to contract"),
        to_contract,
    )
    _stats(f, ("ERC20 min val rec", "ERC20 max val rec", "ERC20 avg val rec"), tok_in)
    _stats(f, ("ERC20 min val sent", "ERC20 max val sent", "ERC20 avg val sent"), tok_out)
    outgoing: list[Transaction | TokenTransfer] = [*sent, *tok_out]
    unknown_kind = any(t.receiver_is_contract is None for t in outgoing)
    unavailable = CONTRACT_FEATURES if unknown_kind else ()
    return FeatureVector(tuple(float(f[name]) for name in FEATURES), unavailable)


def _name(t: TokenTransfer) -> str:
    return t.token_name or t.token


def _stats(
    out: dict[str, float],
    names: tuple[str, str, str],
    records: Sequence[Transaction | TokenTransfer],
) -> None:
    values = [t.value_eth if isinstance(t, Transaction) else t.amount for t in records]
    low, high, mean = (min(values), max(values), sum(values) / len(values)) if values else (0, 0, 0)
    out.update(zip(names, (float(low), float(high), float(mean)), strict=True))


def _mean_gap_min(records: Sequence[Transaction]) -> float:
    times = sorted(t.timestamp for t in records)
    if len(times) < 2:
        return 0.0
    return (times[-1] - times[0]) / (len(times) - 1) / 60.0


def _span_min(records: Sequence[Transaction]) -> float:
    times = [t.timestamp for t in records]
    return (max(times) - min(times)) / 60.0 if len(times) > 1 else 0.0
