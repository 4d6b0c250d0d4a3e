"""The demo's second scenario: a lender who never evaluates, and the owners' recourse.

Three fresh owners (dev accounts 6-8) each submit one DP update to a small bounty with the shortest
review window (1 hour). The lender ignores them. Once the window closes each owner claims an
equal share of the bounty, the lender's reclaim gets only the rounding remainder, and every wei is
accounted for against the owners' balances and the lender's credit.
"""

from __future__ import annotations

from fedlend.chain.accounts import dev_account
from fedlend.chain.anvil import advance_time
from fedlend.demo.records import Say
from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.lender import LenderService
from fedlend.services.node import Node
from fedlend.services.owner import OwnerService
from fedlend.types import HOUR, MAX_SCORE, MIN_REVIEW_PERIOD, WEI_PER_ETH
from fl.train import TrainConfig

GHOST_OWNERS = (6, 7, 8)  # dev accounts not used by the main demo
GHOST_BOUNTY_WEI = 10**18 + 2  # 3 claims of 333333333333333334 wei: nothing is lost to rounding


def run_ghost(
    lender: LenderService, owner_csvs: list[tuple[str, bytes]], _config: object, say: Say
) -> dict[str, object]:
    """Post, let owners submit, never evaluate, claim after the window; the figures in wei."""
    node = lender.node
    client = node.client
    say("scenario 2: a lender who does not evaluate (review window 1 h)")
    terms = BountyTerms(
        title="ghost lender (demo)",
        target_score=min(MAX_SCORE, 9000),
        bounty_wei=GHOST_BOUNTY_WEI,
        deadline=client.chain_time() + HOUR,
        review_period=MIN_REVIEW_PERIOD,
    )
    posted = lender.post_bounty(owner_csvs[0][1], terms)
    owners = [
        OwnerService(Node(node.settings, client.with_account(dev_account(i)), node.store))
        for i in GHOST_OWNERS
    ]
    start = [o.node.balance() for o in owners]
    fees = [0] * len(owners)
    updates = []
    for k, owner in enumerate(owners):
        name, data = owner_csvs[(k + 1) % len(owner_csvs)]
        sha = owner.add_dataset(data, name=f"loans {name}").sha256
        c = owner.contribute(posted.model_id, sha, TrainConfig(1.0, seed=600 + k))
        fees[k] += c.sent.fee_wei
        updates.append(c.update_id)
        say(f"  owner {GHOST_OWNERS[k]} submitted update #{c.update_id} (ε {c.epsilon:.2f})")
    model = client.get_model(posted.model_id)
    wait = model.review_ends - client.chain_time() + 1
    say(f"  the lender evaluates nothing; advancing the chain {wait / 3600:.1f} h past the window")
    advance_time(client.w3, wait)
    claims = []
    for k, (owner, update_id) in enumerate(zip(owners, updates, strict=True)):
        sent = owner.claim(update_id)
        fees[k] += sent.fee_wei
        claims.append(sent.value)
        paid = owner.withdraw()
        fees[k] += paid.fee_wei
        say(f"  owner {GHOST_OWNERS[k]} claimed {sent.value / WEI_PER_ETH:.6f} ETH and withdrew")
    reclaimed = lender.reclaim(posted.model_id).value
    say(f"  the lender's reclaim gets only what the claims leave: {reclaimed} wei")
    gained = [o.node.balance() - s for o, s in zip(owners, start, strict=True)]
    left = client.get_model(posted.model_id).remaining_wei
    return {
        "model_id": posted.model_id,
        "bounty_wei": GHOST_BOUNTY_WEI,
        "claims_wei": claims,
        "reclaimed_wei": reclaimed,
        "remaining_wei": left,
        "fees_wei": fees,
        "balance_change_wei": gained,
        "conserved": sum(claims) + reclaimed + left == GHOST_BOUNTY_WEI,
        "balances_ok": all(g == c - f for g, c, f in zip(gained, claims, fees, strict=True)),
    }
