"""One demo round (owners train and submit, the lender values and pays) and its progress lines."""

from __future__ import annotations

import time
from collections.abc import Callable

from fedlend.demo.records import Cast, DemoConfig, DemoResult, Say
from fedlend.demo.verified import PROOF_STAGES, TICK_LINE_S, note_round
from fedlend.services.evaluation import evaluate_pending
from fedlend.types import WEI_PER_ETH, ModelStatus
from fl.simulate import epochs_for
from fl.train import TrainConfig


def play_round(cast: Cast, config: DemoConfig, r: int, say: Say, out: DemoResult) -> None:
    lender, owners, fees = cast.lender, cast.owners, cast.fees
    say(f"round {r}/{config.rounds}")
    model_id = out.model_id
    for i, (owner, sha) in enumerate(zip(owners, cast.datasets, strict=True)):
        if lender.node.client.get_model(model_id).status != ModelStatus.OPEN:
            break
        c = owner.contribute(
            model_id,
            sha,
            TrainConfig(
                config.epsilon,
                delta=config.delta,
                epochs=epochs_for(config.epsilon),
                rounds=config.rounds,
                seed=config.seed * 1000 + r * 10 + i,
            ),
        )
        fees[i] += c.sent.fee_wei
        out.gas["submitUpdate"] = max(out.gas.get("submitUpdate", 0), c.sent.gas_used)
        say(
            f"  owner {i + 1} trained on {c.n_examples:,} loans in {c.seconds:.1f}s "
            f"(ε {c.epsilon:.2f} this round), submitted update #{c.update_id}"
        )
    submitters: dict[str, int] = {o.node.address: i + 1 for i, o in enumerate(owners)}
    judged = evaluate_pending(lender, model_id, progress=progress_bar(say, "  evaluation"))
    note_round(judged, r, out.verified, say)
    updates = []
    gas_key = "evaluateVerifiedRound" if config.verified else "evaluateRound"
    for e in judged:
        out.gas[gas_key] = max(out.gas.get(gas_key, 0), e.gas_used)
        value = "-" if e.shapley_value is None else f"{e.shapley_value:+.5f}"
        verdict = f"paid {e.reward_wei / WEI_PER_ETH:.6f} ETH" if e.accepted else e.reason
        say(
            f"  update #{e.update_id} (owner {submitters.get(e.submitter) or '?'}): "
            f"Shapley {value}, share {e.share_bps / 100:.2f}% -> {verdict}"
        )
        out.accepted += e.accepted
        out.rejected += not e.accepted
        updates.append(
            {
                "owner": submitters.get(e.submitter, 0),
                "update_id": e.update_id,
                "shapley_value": e.shapley_value,
                "share_bps": e.share_bps,
                "reward_wei": e.reward_wei,
                "accepted": e.accepted,
                "reason": e.reason,
            }
        )
    best = lender.node.client.get_model(model_id).best_score
    out.score_path.append(best)
    out.round_details.append(
        {
            "round": r,
            "score": best,
            "payout_wei": sum(e.reward_wei for e in judged),
            "tx_hash": judged[0].tx_hash if judged else "",
            "updates": updates,
        }
    )


def progress_bar(say: Say, label: str) -> Callable[[float, str], None]:
    """A progress callback that says `label: NN% message` when the step or the stage changes."""
    last: list[object] = [-1, ""]
    printed = [0.0]  # when the last line was said

    def report(fraction: float, message: str) -> None:
        step = int(fraction * 4)
        stage = message.split(" (")[0] if message.startswith(PROOF_STAGES) else ""
        now = time.monotonic()
        ticked = " s elapsed" in message and now - printed[0] >= TICK_LINE_S
        if step != last[0] or stage != last[1] or ticked:  # a proof stage ticks while it runs
            last[:], printed[0] = [step, stage], now
            say(f"{label}: {fraction:4.0%} {message}")

    return report
