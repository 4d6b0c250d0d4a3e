"""The lender's audit bundle: the opened updates of every round of a model, as bounded JSON."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from fedlend.chain.events import RoundEvaluated, UpdateEvaluated, UpdateSubmitted
from fedlend.errors import DataError, FedlendError
from fedlend.sealing import LAYOUTS, open_inner
from fedlend.services.lender import LenderService
from fedlend_core.bounded_json import loads_bounded

BUNDLE_VERSION = 1
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
MAX_BUNDLE_DEPTH = 8


@dataclass(frozen=True)
class BundledUpdate:
    """One update as the lender opened it (or why it could not be opened)."""

    update_id: int
    layout: str = "eip191"  # how the owner signed (fedlend.sealing.LAYOUTS)
    header: bytes = b""
    signature: bytes = b""
    payload: bytes = b""
    unopenable: str = ""


def export_bundle(lender: LenderService, model_id: int) -> bytes:
    """JSON holding, for every round of one of the lender's models, each update as opened."""
    lender.own_bounty(model_id)
    node = lender.node
    events = node.client.events(model_id=model_id)
    digests = {e.update_id: e.digest for e in events if isinstance(e, UpdateSubmitted)}
    rounds = []
    for r in (e for e in events if isinstance(e, RoundEvaluated)):
        judged = [
            e.update_id
            for e in events
            if isinstance(e, UpdateEvaluated) and e.at.tx_hash == r.at.tx_hash
        ]
        rounds.append(
            {"tx_hash": r.at.tx_hash, "updates": [_open(lender, digests[i], i) for i in judged]}
        )
    bundle = {
        "version": BUNDLE_VERSION,
        "chain_id": node.chain_id,
        "contract": node.client.address,
        "model_id": model_id,
        "rounds": rounds,
    }
    return json.dumps(bundle, indent=1).encode()


def _open(lender: LenderService, digest: bytes, update_id: int) -> dict[str, object]:
    try:
        layout, header, signature, payload = open_inner(
            lender.node.get(digest),  # type: ignore[arg-type]
            lender_private_key=lender.keypair.private,
            max_blob_bytes=lender.node.settings.max_blob_bytes,
        )
    except FedlendError as exc:
        return {"update_id": update_id, "unopenable": str(exc)}
    return {
        "update_id": update_id,
        "layout": layout,
        "header": base64.b64encode(header).decode(),
        "signature": signature.hex(),
        "payload": base64.b64encode(payload).decode(),
    }


def parse_bundle(raw: bytes) -> tuple[dict[str, object], dict[str, list[BundledUpdate]]]:
    """(bundle facts, round tx hash -> its updates); DataError says what is wrong with it."""
    doc = loads_bounded(
        raw,
        error=DataError,
        what="the audit bundle",
        max_bytes=MAX_BUNDLE_BYTES,
        max_depth=MAX_BUNDLE_DEPTH,
    )
    if not isinstance(doc, dict) or doc.get("version") != BUNDLE_VERSION:
        raise DataError(f"not a version-{BUNDLE_VERSION} fedlend audit bundle: export it again")
    rounds = doc.get("rounds")
    if not isinstance(rounds, list):
        raise DataError("the bundle has no list of rounds")
    out: dict[str, list[BundledUpdate]] = {}
    for r in rounds:
        if not isinstance(r, dict) or not isinstance(r.get("tx_hash"), str):
            raise DataError("a round of the bundle has no tx_hash")
        updates = r.get("updates")
        if not isinstance(updates, list):
            raise DataError(f"round {r['tx_hash']} of the bundle has no list of updates")
        out[r["tx_hash"]] = [_update(u) for u in updates]
    facts = {k: doc.get(k) for k in ("chain_id", "contract", "model_id")}
    return facts, out


def _update(item: object) -> BundledUpdate:
    if not isinstance(item, dict) or type(item.get("update_id")) is not int:
        raise DataError("an update of the bundle has no integer update_id")
    if isinstance(item.get("unopenable"), str):
        return BundledUpdate(item["update_id"], unopenable=item["unopenable"])
    try:
        layout = item.get("layout", "eip191")
        if layout not in LAYOUTS:
            raise DataError(f"update {item['update_id']} of the bundle has an unknown layout")
        return BundledUpdate(
            item["update_id"],
            layout,
            base64.b64decode(item["header"], validate=True),
            bytes.fromhex(item["signature"]),
            base64.b64decode(item["payload"], validate=True),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"update {item['update_id']} of the bundle is malformed ({exc})") from exc
