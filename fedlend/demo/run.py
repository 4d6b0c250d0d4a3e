"""The end-to-end demo: a lender posts a bounty, owners train privately, the lender pays on-chain.

Everything is real: Anvil (started here, state persisted), the embedded content store, the shipped
Lending Club loans, Opacus DP-SGD, sealed updates and the ModelRepository contract.
"""

from __future__ import annotations

import time

from fedlend.chain.accounts import dev_account
from fedlend.chain.anvil import AnvilProcess, port_in_use, rpc_chain_id
from fedlend.chain.client import ModelRepositoryClient
from fedlend.demo.cast import add_datasets, fresh_local_state, post_bounty, split_parties
from fedlend.demo.finish import finish
from fedlend.demo.records import Cast, DemoConfig, DemoResult, OwnerOutcome, Say
from fedlend.demo.rounds import play_round
from fedlend.demo.verified import check_proven
from fedlend.errors import ChainError, FedlendError
from fedlend.redact import redact_url
from fedlend.services.lender import LenderService
from fedlend.services.node import Node
from fedlend.services.owner import OwnerService
from fedlend.settings import LOCAL_CHAIN_ID, SHIPPED_LOANS, Settings
from fedlend.storage.factory import open_store
from fl.data import load_loans

__all__ = ["DemoConfig", "DemoResult", "OwnerOutcome", "ensure_chain", "run_demo", "split_parties"]


def ensure_chain(settings: Settings, say: Say) -> AnvilProcess | None:
    """Reuse the node at settings.rpc_url if it answers, else start Anvil there with saved state."""
    try:
        rpc_chain_id(settings.rpc_url)
        say(f"using the chain already running at {redact_url(settings.rpc_url)}")
        return None
    except (ChainError, OSError):
        pass
    port = int(settings.rpc_url.rsplit(":", 1)[1].split("/")[0])
    if port_in_use(port):
        raise ChainError(
            f"port {port} is busy but no chain answers there: free it or set FEDLEND_RPC_URL"
        )
    state = settings.home / "anvil-state.json"
    settings.home.mkdir(parents=True, exist_ok=True)
    node = AnvilProcess(port=port, state_file=state).start()
    say(f"started Anvil on {node.rpc_url} (state kept in {state})")
    return node


def run_demo(settings: Settings, config: DemoConfig, say: Say) -> DemoResult:
    """Run the whole loop; raises FedlendError with what to do if anything is off."""
    started = time.perf_counter()
    out = DemoResult(rounds=config.rounds, epsilon_budget=config.epsilon)
    anvil = ensure_chain(settings, say)
    try:
        _run(settings, config, say, out)
    finally:
        if anvil is not None:
            anvil.stop()
    out.seconds = round(time.perf_counter() - started, 1)
    return out


def _run(settings: Settings, config: DemoConfig, say: Say, out: DemoResult) -> None:
    from fedlend.chain.rpc import connect

    w3 = connect(settings.rpc_url)
    if w3.eth.chain_id != LOCAL_CHAIN_ID:
        raise FedlendError(
            "the demo spends dev-account ETH: run it on a local chain (chain id 31337)"
        )
    deployer = dev_account(0)
    client = ModelRepositoryClient.deploy(w3, deployer)
    settings.record_deployment(LOCAL_CHAIN_ID, client.address)
    out.contract, out.rpc_url = client.address, settings.rpc_url
    say(f"deployed ModelRepository at {client.address}")
    fresh_local_state(settings, config, say)
    store = open_store(settings)
    lender = LenderService(Node(settings, client, store))
    owners = [
        OwnerService(Node(settings, client.with_account(dev_account(i + 1)), store))
        for i in range(config.owners)
    ]

    say(f"loading {SHIPPED_LOANS.name} (real Lending Club loans)")
    lender_csv, owner_csvs, test_frame = split_parties(load_loans(SHIPPED_LOANS), config)
    start_balances = [o.node.balance() for o in owners]
    post_bounty(lender, lender_csv, config, say, out)
    datasets = add_datasets(owners, owner_csvs, config, say)
    cast = Cast(lender, owners, datasets, start_balances, [0] * config.owners)
    for r in range(1, config.rounds + 1):
        play_round(cast, config, r, say, out)
    finish(cast, test_frame, config, say, out)
    if config.verified:
        out.checks["rounds_proven"] = check_proven(client, out.model_id, out.verified)
    if config.ghost_lender:
        from fedlend.demo.ghost import run_ghost

        out.ghost = run_ghost(lender, owner_csvs, config, say)
        out.checks["ghost_bounty_conserved"] = bool(out.ghost["conserved"])
        out.checks["ghost_owner_balances"] = bool(out.ghost["balances_ok"])
