"""The demo's human summary: score path, payments, gas, privacy, and where to look next."""

from __future__ import annotations

from fedlend.demo.records import DemoResult
from fedlend.demo.verified import verified_lines
from fedlend.redact import redact_url
from fedlend.types import MAX_SCORE, WEI_PER_ETH


def summary(r: DemoResult) -> str:
    """A plain-text report of one demo run."""
    path = " -> ".join(f"{s / MAX_SCORE:.4f}" for s in r.score_path)
    lines = [
        "",
        "=== fedlend demo: summary ===",
        f"model #{r.model_id} on {r.contract} ({redact_url(r.rpc_url)})",
        f"validation ROC-AUC by round: {path} (target {r.target_score / MAX_SCORE:.4f})",
        f"out-of-time test ROC-AUC (loans issued 2011-05..08): "
        f"{r.test_auc_initial:.4f} -> {r.test_auc_final:.4f}",
        f"updates: {r.accepted} accepted, {r.rejected} rejected over {r.rounds} rounds",
        f"bounty {r.bounty_wei / WEI_PER_ETH:g} ETH = paid {r.paid_wei / WEI_PER_ETH:.6f} "
        f"+ reclaimed {r.reclaimed_wei / WEI_PER_ETH:.6f} "
        f"+ unspent {r.unspent_wei / WEI_PER_ETH:g}",
        "owners (paid, gas fees, balance change, epsilon spent):",
    ]
    for i, o in enumerate(r.owners, 1):
        lines.append(
            f"  {i}. {o['address']}  paid {o['paid_wei'] / WEI_PER_ETH:.6f} ETH, "
            f"fees {o['fees_wei'] / WEI_PER_ETH:.6f}, "
            f"balance {o['balance_change_wei'] / WEI_PER_ETH:+.6f}, ε={o['epsilon']}"
        )
    lines += rounds_table(r) + verified_lines(r.verified) + ghost_lines(r)
    lines += score_chart(r) + epsilon_chart(r)
    lines.append("gas used: " + ", ".join(f"{k} {v:,}" for k, v in r.gas.items()))
    checks = ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in r.checks.items())
    lines += [
        f"checks (exact wei): {checks}",
        f"final model (spec + weights): {r.model_path}",
        f"  score it on any labelled CSV: fedlend evaluate --model {r.model_path} --data CSV",
        f"finished in {r.seconds:.1f} s",
        "",
        "Look at it in the browser (the apps read the same chain and store):",
        "  .venv/bin/fedlend chain                        # the demo chain, from its saved state",
        "  FEDLEND_DEV_ACCOUNT=0 .venv/bin/fedlend lender-app   # http://127.0.0.1:5001",
        "  FEDLEND_DEV_ACCOUNT=1 .venv/bin/fedlend owner-app    # http://127.0.0.1:5002",
    ]
    return "\n".join(lines)


def _bar(fraction: float, width: int = 40) -> str:
    filled = max(0, min(width, round(fraction * width)))
    return "█" * filled + "·" * (width - filled)


def score_chart(r: DemoResult) -> list[str]:
    """Validation score after each round, as bars between the initial score and the target."""
    low, high = r.initial_score - 100, max(r.target_score, *r.score_path)
    span = max(1, high - low)
    rows = ["validation ROC-AUC per round (bars from the initial score - 0.01 to the target):"]
    for i, s in enumerate(r.score_path):
        label = "posted " if i == 0 else f"round {i}"
        rows.append(f"  {label} {_bar((s - low) / span)} {s / MAX_SCORE:.4f}")
    return rows


def epsilon_chart(r: DemoResult) -> list[str]:
    """Privacy spent by each owner against the demo's per-owner budget."""
    budget = max(r.epsilon_budget, r.epsilon_per_owner, 1e-9)
    rows = [f"privacy spent per owner (ε, budget {budget:g}):"]
    for i, o in enumerate(r.owners, 1):
        eps = o["epsilon"]
        rows.append(f"  owner {i}  {_bar(eps / budget, 30)} {eps:.3f}")
    return rows


def rounds_table(r: DemoResult) -> list[str]:
    """Per round and per owner: Shapley value, share of the round's payout, reward."""
    call = "evaluateVerifiedRound" if r.verified else "evaluateRound"
    rows = [f"rounds (one {call} each; Shapley value in ROC-AUC, share of the payout):"]
    for rd in r.round_details:
        payout = int(rd["payout_wei"])  # type: ignore[call-overload]
        rows.append(
            f"  round {rd['round']}: score {int(rd['score']) / MAX_SCORE:.4f}, "  # type: ignore[call-overload]
            f"payout {payout / WEI_PER_ETH:.6f} ETH"
        )
        for u in rd["updates"]:  # type: ignore[attr-defined]
            value = u["shapley_value"]
            shown = "      -" if value is None else f"{value:+.5f}"
            rows.append(
                f"    owner {u['owner']}  Shapley {shown}  share {u['share_bps'] / 100:6.2f}%  "
                f"reward {int(u['reward_wei']) / WEI_PER_ETH:.6f} ETH"
            )
    return rows


def ghost_lines(r: DemoResult) -> list[str]:
    """The ghost-lender scenario's accounting, if it ran."""
    g = r.ghost
    if not g:
        return []
    claims = " + ".join(str(c) for c in g["claims_wei"])  # type: ignore[attr-defined]
    return [
        f"scenario 2, a lender who never evaluates (model #{g['model_id']}): bounty "
        f"{g['bounty_wei']} wei = claims {claims} + reclaimed {g['reclaimed_wei']} "
        f"+ left {g['remaining_wei']} wei "
        f"({'balanced' if g['conserved'] else 'NOT balanced'})",
    ]
