"""The contract's reward rule, mirrored in Python (simulate pays notional rewards with it).

The contract pays bounty * (score - best) / (target - initial) for an improvement, capped at
what is left. Who earns which share of it is the round policy's (fl.strategy / fl.shapley).
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
