"""The same federated run on Flower's simulation engine (Ray backend): owners as ClientApps.

Each owner is a Flower ClientApp on a virtual SuperNode (its partition id is its owner index); it
runs fl.engine.owner_update on the global weights the ServerApp sends and replies with its new
weights, size and privacy cost. The ServerApp is the lender: fl.engine.Lender judges each round
with fl.strategy.ShapleyFedAvg. Locally Ray starts with every listener on 127.0.0.1 and no
dashboard; on a Ray cluster (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=1 and Ray's own address settings)
the same apps spread over machines. Needs the optional extra: pip install 'fedlend[flower]'.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from fedlend_core.errors import FedlendError
from fl.dp import Mechanism
from fl.engine import EngineRun, FederatedTask, Lender, OwnerReply, Progress, owner_update
from fl.models import Weights, expected_shapes

if TYPE_CHECKING:
    from flwr.clientapp import ClientApp
    from flwr.serverapp import ServerApp

NODE_WAIT_SECONDS = 120.0
LOOPBACK_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # 0: Ray's node address stays loopback


@dataclass(frozen=True)
class RayConfig:
    """How the local Ray backend is started (every listener on 127.0.0.1)."""

    num_cpus: int = 2
    cpus_per_client: float = 1.0

    def backend_config(self) -> dict[str, Any]:
        """Flower's backend_config for run_simulation."""
        return {
            "init_args": {
                "num_cpus": self.num_cpus,
                "include_dashboard": False,
                "_node_ip_address": "127.0.0.1",
                "log_to_driver": False,
            },
            "client_resources": {"num_cpus": self.cpus_per_client, "num_gpus": 0.0},
        }


def run_flower(
    task: FederatedTask, ray: RayConfig | None = None, progress: Progress | None = None
) -> EngineRun:
    """Run `task` with every owner as a ClientApp on Flower's simulation engine."""
    _loopback_only()
    try:
        from flwr.simulation import run_simulation
    except ImportError as exc:
        raise FedlendError(
            "the Flower engine needs the optional extra: pip install 'fedlend[flower]'"
        ) from exc
    report = progress or (lambda _f, _m: None)
    started = time.perf_counter()
    lender = Lender.start(task)
    failures: list[str] = []
    server = _server_app(task, lender, report, failures)
    client = _client_app(task)
    run_simulation(
        server,
        client,
        num_supernodes=task.owners,
        backend_config=(ray or RayConfig()).backend_config(),
    )
    if failures or len(lender.records) != task.rounds:
        why = "; ".join(failures) or f"{len(lender.records)} of {task.rounds} rounds ran"
        raise FedlendError(f"the Flower run did not finish ({why[:300]}): see the log above")
    return lender.finish("flower", started)


def _loopback_only() -> None:
    """Make Ray keep every listener on 127.0.0.1: it otherwise swaps 127.0.0.1 for the machine's
    routable address and its GCS and raylets listen there. The switch is read when ray is first
    imported, so it must be set before that."""
    os.environ.setdefault(LOOPBACK_SWITCH, "0")
    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None and getattr(constants, "ENABLE_RAY_CLUSTER", False):
        raise FedlendError(
            f"ray was imported before the Flower engine started, so it would listen beyond "
            f"127.0.0.1: set {LOOPBACK_SWITCH}=0 in the environment (or run in a fresh process)"
        )


def _client_app(task: FederatedTask) -> ClientApp:
    from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
    from flwr.clientapp import ClientApp

    app = ClientApp()

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        owner = int(context.node_config["partition-id"])
        round_value = msg.content.config_records["config"]["round"]
        if not isinstance(round_value, int):
            raise FedlendError(f"the round number {round_value!r} is not an integer")
        round_index = round_value
        weights = _weights(task, msg.content.array_records["weights"].to_numpy_ndarrays())
        reply = owner_update(task, owner, round_index, weights)
        content = RecordDict(
            {
                "weights": ArrayRecord(_arrays(task, reply.weights)),
                "metrics": MetricRecord(_reply_metrics(reply)),
            }
        )
        return Message(content, reply_to=msg)

    return app


def _server_app(
    task: FederatedTask, lender: Lender, report: Progress, failures: list[str]
) -> ServerApp:
    from flwr.app import ArrayRecord, ConfigRecord, Context, Message, RecordDict
    from flwr.serverapp import Grid, ServerApp

    app = ServerApp()

    @app.main()
    def main(grid: Grid, _context: Context) -> None:
        nodes = _wait_for_nodes(grid.get_node_ids, task.owners)
        for r in range(task.rounds):
            content = RecordDict(
                {
                    "weights": ArrayRecord(_arrays(task, lender.weights)),
                    "config": ConfigRecord({"round": r}),
                }
            )
            messages = [Message(content, dst_node_id=node, message_type="train") for node in nodes]
            replies = list(grid.send_and_receive(messages))
            bad = [str(m.error.reason)[:200] for m in replies if m.has_error()]
            if bad or len(replies) != task.owners:
                failures.append(f"round {r + 1}: {len(replies)} replies, errors {bad[:3]}")
                return
            lender.lender_round([_reply(task, m.content) for m in replies])
            report((r + 1) / task.rounds, f"round {r + 1}/{task.rounds} judged (Flower)")

    return app


def _wait_for_nodes(get: Callable[[], Any], count: int) -> list[int]:
    deadline = time.monotonic() + NODE_WAIT_SECONDS
    while time.monotonic() < deadline:
        nodes = list(get())
        if len(nodes) >= count:
            return nodes
        time.sleep(0.05)
    raise FedlendError(f"only {len(list(get()))} of {count} Flower SuperNodes came up")


def _arrays(task: FederatedTask, weights: Weights) -> list[np.ndarray]:
    """Weights in the spec's parameter order, as numpy float32 arrays."""
    return [weights[k].detach().numpy() for k in expected_shapes(task.split.spec)]


def _weights(task: FederatedTask, arrays: list[np.ndarray]) -> Weights:
    """Arrays back into named tensors, checked against the spec's shapes."""
    shapes = expected_shapes(task.split.spec)
    if len(arrays) != len(shapes):
        raise FedlendError(f"a Flower message held {len(arrays)} arrays, not {len(shapes)}")
    out = {}
    for (name, shape), array in zip(shapes.items(), arrays, strict=True):
        if tuple(array.shape) != shape or not np.isfinite(array).all():
            raise FedlendError(f"a Flower message's {name} is not a finite array of {shape}")
        out[name] = torch.from_numpy(np.array(array, dtype=np.float32))
    return out


MetricValue = int | float | list[int] | list[float]  # what a flwr MetricRecord holds


def _reply_metrics(reply: OwnerReply) -> dict[str, MetricValue]:
    m = reply.mechanism
    metrics: dict[str, MetricValue] = {"owner": reply.owner, "n_examples": reply.n_examples}
    if reply.epsilon is not None and m is not None:
        metrics |= {
            "epsilon": reply.epsilon,
            "delta": reply.delta,
            "noise_multiplier": m.noise_multiplier,
            "sample_rate": m.sample_rate,
            "steps": m.steps,
        }
    return metrics


def _reply(task: FederatedTask, content: Any) -> OwnerReply:
    m = content["metrics"]
    mechanism = None
    if "epsilon" in m:
        mechanism = Mechanism(
            float(m["noise_multiplier"]), float(m["sample_rate"]), int(m["steps"])
        )
    return OwnerReply(
        owner=int(m["owner"]),
        weights=_weights(task, content["weights"].to_numpy_ndarrays()),
        n_examples=int(m["n_examples"]),
        epsilon=float(m["epsilon"]) if "epsilon" in m else None,
        delta=float(m.get("delta", 0.0)),
        mechanism=mechanism,
    )
