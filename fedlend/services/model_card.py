"""The model card (score history, data schema, contributions' privacy) and the model zip."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

from fedlend import __version__
from fedlend.services.catalog import METRIC_LABELS, VALIDATION_SHA256
from fedlend.services.lender import LenderService
from fedlend.services.lender_views import ModelDetail
from fedlend.services.verified import is_verified, weights_from_blob
from fedlend.types import MAX_SCORE
from fl.spec import ModelSpec
from fl.weights import SPEC_FILE, WEIGHTS_FILE, weights_to_bytes

CARD_MD = "MODEL_CARD.md"
CARD_JSON = "model_card.json"
UNKNOWN = "unknown (no local evaluation record on this machine)"


def model_card(detail: ModelDetail, *, chain_id: int, contract: str) -> dict[str, Any]:
    """The model card as a JSON-ready dict; wei amounts are exact integers (as strings)."""
    bounty, record = detail.bounty, detail.bounty.record
    spec = detail.bounty.require_spec()
    return {
        "title": bounty.title,
        "model_id": record.model_id,
        "chain_id": chain_id,
        "contract": contract,
        "lender": record.lender,
        "status": bounty.state,
        "spec_cid": bounty.spec_cid,
        "weights_cid": bounty.weights_cid,
        "model": {"kind": spec.model.kind, "hidden": spec.model.hidden},
        "metric": spec.metric,
        "scores": {
            "initial": _metric(record.initial_score),
            "current": _metric(record.best_score),
            "target": _metric(record.target_score),
        },
        "bounty_wei": str(record.bounty_wei),
        "paid_wei": str(detail.paid_wei),
        "remaining_wei": str(record.remaining_wei),
        "deadline": record.deadline,
        "history": [
            {
                "step": p.label,
                "update_id": p.update_id,
                "timestamp": p.timestamp,
                "score": _metric(p.score),
                "paid_wei": str(p.paid_wei),
            }
            for p in detail.history
        ],
        "data_schema": _schema(spec),
        "privacy": _privacy(detail),
        "generated_at": int(time.time()),
        "fedlend_version": __version__,
    }


def _metric(bps: int) -> float:
    return bps / MAX_SCORE


def _schema(spec: ModelSpec) -> dict[str, Any]:
    return {
        "target": spec.target,
        "inputs": spec.n_inputs,
        "validation_sha256": spec.metadata.get(VALIDATION_SHA256, ""),
        "features": [
            {
                "name": f.name,
                "kind": f.kind,
                "transform": f.transform,
                "missing_flag": f.missing_flag,
                "categories": list(f.categories),
            }
            for f in spec.features
        ],
    }


def _privacy(detail: ModelDetail) -> list[dict[str, Any]]:
    rows = []
    for update in detail.updates:
        local = update.local
        rows.append(
            {
                "update_id": update.update_id,
                "submitter": update.submitter,
                "status": update.status_name,
                "epsilon": local.epsilon if local else None,
                "delta": local.delta if local else None,
                "n_examples": local.n_examples if local else None,
                "known": local is not None and local.epsilon is not None,
            }
        )
    return rows


def card_markdown(card: dict[str, Any]) -> str:
    """The model card as Markdown for people."""
    label = METRIC_LABELS.get(card["metric"], card["metric"])
    scores = card["scores"]
    lines = [
        f"# Model card: {card['title']}",
        "",
        f"- Model #{card['model_id']} on chain {card['chain_id']}, contract `{card['contract']}`",
        f"- Lender `{card['lender']}`; status **{card['status']}**",
        f"- Network: {card['model']['kind']}; metric: {label}",
        f"- Score: initial {scores['initial']:.4f}, current {scores['current']:.4f}, "
        f"target {scores['target']:.4f}",
        f"- Bounty {card['bounty_wei']} wei; paid {card['paid_wei']} wei; "
        f"left {card['remaining_wei']} wei",
        f"- Spec CID `{card['spec_cid']}`; weights CID `{card['weights_cid']}`",
        "",
        f"## {label} history",
        "",
        "| step | update | score | paid so far (wei) |",
        "|---|---|---|---|",
    ]
    for p in card["history"]:
        update = f"#{p['update_id']}" if p["update_id"] else "—"
        lines.append(f"| {p['step']} | {update} | {p['score']:.4f} | {p['paid_wei']} |")
    schema = card["data_schema"]
    lines += [
        "",
        "## Data schema",
        "",
        f"Target column `{schema['target']}`; {schema['inputs']} encoded inputs. The lender's "
        f"validation set stays private; its SHA-256 is `{schema['validation_sha256']}`.",
        "",
        "| feature | kind | transform | missing flag | categories |",
        "|---|---|---|---|---|",
    ]
    for f in schema["features"]:
        cats = ", ".join(f["categories"]) or "—"
        flag = "yes" if f["missing_flag"] else "no"
        lines.append(f"| {f['name']} | {f['kind']} | {f['transform']} | {flag} | {cats} |")
    lines += _privacy_markdown(card["privacy"])
    lines += ["", f"Generated by fedlend {card['fedlend_version']}.", ""]
    return "\n".join(lines)


def _privacy_markdown(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## Privacy of the contributions",
        "",
        "Each data owner trained locally with DP-SGD; the (epsilon, delta) below is what the "
        "owner's sealed update declared for that update.",
        "",
        "| update | submitter | status | epsilon | delta | examples |",
        "|---|---|---|---|---|---|",
    ]
    if not rows:
        lines.append("| — | no updates yet | | | | |")
    for r in rows:
        if r["known"]:
            eps, delta, n = f"{r['epsilon']:.3g}", f"{r['delta']:.1e}", str(r["n_examples"])
        elif r["status"] == "pending":
            eps = delta = n = "not evaluated yet"
        else:
            eps = delta = n = UNKNOWN
        lines.append(
            f"| #{r['update_id']} | {r['submitter']} | {r['status']} | {eps} | {delta} | {n} |"
        )
    return lines


def model_archive(lender: LenderService, detail: ModelDetail) -> bytes:
    """A zip of spec.json, weights.safetensors (checked against the spec) and the model card."""
    spec = detail.bounty.require_spec()
    blob = lender.node.get(detail.bounty.record.weights)
    weights = weights_from_blob(blob, spec)  # refuse to package weights that do not fit the spec
    if is_verified(spec):  # its blob holds the packed proven weights: package them as safetensors
        blob = weights_to_bytes(weights, spec=spec)
    card = model_card(detail, chain_id=lender.node.chain_id, contract=lender.node.client.address)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(SPEC_FILE, spec.to_json())
        archive.writestr(WEIGHTS_FILE, blob)
        archive.writestr(CARD_MD, card_markdown(card))
        archive.writestr(CARD_JSON, json.dumps(card, indent=2, sort_keys=True))
    return buffer.getvalue()
