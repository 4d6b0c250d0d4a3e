"""The demo's end: owners withdraw, the lender reclaims, the checks in wei, the test scores."""

from __future__ import annotations

import pandas as pd

from fedlend.chain.anvil import advance_time
from fedlend.demo.records import Cast, DemoConfig, DemoResult, Say
from fedlend.services.lender import LenderService
from fedlend.services.pending import weight_versions
from fedlend.types import WEI_PER_ETH, ModelRecord, ModelStatus
from fl.evaluate import score
from fl.features import encode
from fl.weights import save_model


def finish(cast: Cast, test: pd.DataFrame, config: DemoConfig, say: Say, out: DemoResult) -> None:
    lender, fees = cast.lender, cast.fees
    client, model_id = lender.node.client, out.model_id
    say("owners withdraw what they earned")
    for i, owner in enumerate(cast.owners):
        paid = sum(
            s.record.reward_wei for s in owner.submissions() if s.record.model_id == model_id
        )
        if owner.owed() > 0:
            sent = owner.withdraw()
            fees[i] += sent.fee_wei
            out.gas["withdraw"] = max(out.gas.get("withdraw", 0), sent.gas_used)
        gained = owner.node.balance() - cast.start_balances[i]
        spent = max(owner.privacy(d.sha256)[0].epsilon for d in owner.datasets())
        out.owners.append(
            {
                "address": owner.node.address,
                "paid_wei": paid,
                "fees_wei": fees[i],
                "balance_change_wei": gained,
                "epsilon": round(spent, 3),
            }
        )
        out.checks[f"owner{i + 1}_balance"] = gained == paid - fees[i]
        out.paid_wei += paid
    out.epsilon_per_owner = max(o["epsilon"] for o in out.owners)
    _reclaim(lender, config, say, out)
    record = client.get_model(model_id)
    out.final_score, out.unspent_wei = record.best_score, record.remaining_wei
    out.checks["bounty_conserved"] = (
        out.paid_wei + out.reclaimed_wei + out.unspent_wei == out.bounty_wei
    )
    _save_final(lender, record, test, out)


def _reclaim(lender: LenderService, _config: DemoConfig, say: Say, out: DemoResult) -> None:
    client, record = lender.node.client, lender.node.client.get_model(out.model_id)
    if record.status == ModelStatus.OPEN:
        wait = record.deadline - client.chain_time() + 1
        say(
            f"advancing the local chain {wait // 3600} h past the deadline "
            "so the lender can reclaim"
        )
        advance_time(client.w3, wait)
    if client.get_model(out.model_id).remaining_wei > 0:
        sent = lender.reclaim(out.model_id)
        out.reclaimed_wei = sent.value
        out.gas["reclaim"] = sent.gas_used
        lender.withdraw()
        say(f"lender reclaimed {sent.value / WEI_PER_ETH:.4f} ETH of unspent bounty")


def _save_final(
    lender: LenderService, record: ModelRecord, test: pd.DataFrame, out: DemoResult
) -> None:
    """Score the first and final weights on the out-of-time test loans; save the final model."""
    spec = lender.bounty(out.model_id).require_spec()
    data = encode(spec, test)
    first = lender.node.weights_at(spec, weight_versions(lender, out.model_id)[0])
    final = lender.node.weights_at(spec, record.weights)
    out.test_auc_initial = round(score(spec, first, data.X, data.labels).roc_auc, 4)
    out.test_auc_final = round(score(spec, final, data.X, data.labels).roc_auc, 4)
    path = save_model(lender.node.settings.home / "demo" / f"model-{out.model_id}", spec, final)
    out.model_path = str(path)
