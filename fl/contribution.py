"""Who helped how much: the contract's reward rule (mirrored) and leave-one-out values.

The contract pays bounty * (score - best) / (target - initial) for an improvement. Shapley
values of a round (what the lender's policy pays by) live in fl.strategy / fl.shapley;
leave-one-out stays for fedlend.services.evaluation until it moves to fl.strategy.
"""

from __future__ import annotations

from fedlend_core.units import Wei


def contract_reward(
    *, bounty_wei: int, remaining_wei: int, score: int, best: int, initial: int, target: int
) -> Wei:
    """What ModelRepository.evaluateUpdate credits (scores in bps; Solidity integer division)."""
    if score <= best or target <= initial:
        return Wei(0)
    reward = bounty_wei * (score - best) // (target - initial)
    return Wei(min(reward, remaining_wei))
