"""`fedlend demo --verified`: what the demo records and says about a verified model's proofs.

The lender's posting proves the initial score, each round's evaluation proves the round's score;
this module notes the figures (verifier deployment gas, setup and prove seconds, the gas of each
evaluateVerifiedRound), checks every round against the chain's RoundProven events and writes the
summary's lines (which rounds were proven, what verification cost, and that a local SRS is
INSECURE).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fedlend.chain.client import ModelRepositoryClient
from fedlend.services.evaluation import Evaluation
from fedlend.services.lender import PostedModel
from fedlend.services.verified_rounds import proven_rounds
from fedlend.types import MAX_SCORE

Say = Callable[[str], None]
PROOF_STAGES = ("circuit", "verifier", "proving")  # progress messages of the proofs' stages
TICK_LINE_S = 2.0  # while a proof runs, a progress line at most this often


def note_posting(posted: PostedModel, verified: dict[str, Any], say: Say) -> None:
    """Record how the initial score was proven (the posting's VerifiedPosting)."""
    facts = posted.verified
    if facts is None:
        return
    verified.update(
        srs=facts.srs_label,
        insecure=facts.insecure,
        verifier=facts.verifier,
        verifier_deploy_gas=facts.deploy_gas,
        setup_seconds=round(facts.setup_seconds, 1),
        prove_seconds=[round(facts.prove_seconds, 1)],
        create_gas=posted.sent.gas_used,
        rounds=[],
    )
    say(
        f"  initial score proven in {facts.prove_seconds:.1f}s (circuit setup "
        f"{facts.setup_seconds:.1f}s); verifier {facts.verifier} "
        f"({facts.deploy_gas:,} gas to deploy)"
    )
    if facts.insecure:
        say(f"  {facts.srs_label}")


def note_round(judged: Sequence[Evaluation], r: int, verified: dict[str, Any], say: Say) -> None:
    """Record one verified round's proof time and evaluateVerifiedRound gas."""
    if not verified or not judged:
        return
    first = judged[0]
    seconds = round(first.prove_seconds or 0.0, 1)
    verified["prove_seconds"].append(seconds)
    verified["rounds"].append(
        {"round": r, "score": int(first.score), "gas": first.gas_used, "tx_hash": first.tx_hash}
    )
    say(f"  round {r} proven in {seconds:.1f}s; evaluateVerifiedRound used {first.gas_used:,} gas")


def check_proven(client: ModelRepositoryClient, model_id: int, verified: dict[str, Any]) -> bool:
    """Mark each round proven if the chain holds its RoundProven event; True if all are."""
    events = {e.tx_hash.lower(): e for e in proven_rounds(client, model_id)}
    for row in verified.get("rounds", []):
        event = events.get(str(row["tx_hash"]).lower())
        row["proven"] = event is not None and event.score == row["score"]
    return all(row["proven"] for row in verified.get("rounds", []))


def verified_lines(verified: dict[str, Any]) -> list[str]:
    """The summary's lines about proofs (none for an unverified demo)."""
    if not verified:
        return []
    rounds = verified.get("rounds", [])
    proven = [str(row["round"]) for row in rounds if row.get("proven")]
    lines = [
        "verified model: every round's score proven in zero knowledge (EZKL, ROC-AUC by ranks)",
        f"  {verified['srs']}",
        f"  verifier {verified['verifier']}: deployment "
        f"{int(verified['verifier_deploy_gas']):,} gas (Halo2Verifier + RoundVerifier"
        f"{', reused' if not verified['verifier_deploy_gas'] else ''}); "
        f"createVerifiedModel {int(verified['create_gas']):,} gas",
        f"  circuit setup {verified['setup_seconds']}s; prove seconds (initial, then per round): "
        + ", ".join(f"{s}" for s in verified["prove_seconds"]),
        f"  rounds proven (RoundProven events): {', '.join(proven) or 'none'} of {len(rounds)}",
    ]
    for row in rounds:
        lines.append(
            f"    round {row['round']}: score {int(row['score']) / MAX_SCORE:.4f}, "
            f"evaluateVerifiedRound {int(row['gas']):,} gas, "
            f"{'proven' if row.get('proven') else 'NOT proven'}"
        )
    return lines
