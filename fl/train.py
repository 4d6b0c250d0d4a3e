"""Owner-side local training: DP-SGD (fl.dpsgd: Opacus's step, closed-form fast path) or SGD.

What an owner submits is the canonical update: the FULL new weights (safetensors, see
`update_to_bytes`) with the digest of the base weights they were trained from, n_examples and the
(epsilon, delta) spent in its metadata. The lender recovers the delta as new - base (fl.merge),
which also handles updates trained on an older model version.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import pandas as pd
import torch
from torch import nn

from fedlend_core.errors import DataError, JobCancelledError, PrivacyBudgetError
from fedlend_core.progress import Progress
from fl.dp import DPPlan, Mechanism, plan_dp
from fl.dpsgd import DPRun, Engine, dp_train
from fl.features import EncodedData, encode
from fl.models import Weights, load_into, state_of, subtract
from fl.spec import ModelSpec
from fl.weights import weights_digest, weights_to_bytes


class BudgetAccount(Protocol):
    """What train_update needs from a privacy ledger (see fl.privacy.LedgerAccount)."""

    def check(self, plan: DPPlan) -> None: ...  # raise PrivacyBudgetError if over budget

    def charge(self, result: TrainResult) -> None: ...


@dataclass(frozen=True)
class TrainResult:
    """New weights, the update (new - base), and what the run cost."""

    weights: Weights
    update: Weights
    epsilon: float | None  # None = trained without differential privacy
    delta: float
    n_examples: int
    base_digest: bytes
    base_version: int | None
    seconds: float
    epochs: int
    steps: int
    mechanism: Mechanism | None

    @property
    def private(self) -> bool:
        """True when trained with DP-SGD."""
        return self.epsilon is not None


def train_update(
    spec: ModelSpec,
    weights: Mapping[str, torch.Tensor],
    data: EncodedData | pd.DataFrame,
    *,
    epsilon: float | None,
    delta: float | None = None,
    epochs: int | None = None,
    rounds: int = 1,
    lr: float | None = None,
    batch_size: int | None = None,
    max_grad_norm: float | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    account: BudgetAccount | None = None,
    base_digest: bytes | None = None,
    base_version: int | None = None,
    dp_engine: Engine = "fast",
) -> TrainResult:
    """Train locally from `weights`; epsilon is this run's budget (None = no DP, baselines only).

    `rounds` > 1 calibrates noise so that many runs like this compose (RDP) to epsilon in total.
    `account` (a ledger account) is checked before training and charged after it.
    `dp_engine` "opacus" runs Opacus's own per-sample hooks (the reference; same result, slower).
    """
    started = time.perf_counter()
    data = data if isinstance(data, EncodedData) else encode(spec, data)
    if data.y is None or data.n == 0:
        raise DataError("training needs labelled loans (a `default` column) and at least one row")
    cfg = spec.training
    epochs = epochs or cfg.epochs
    delta = cfg.delta if delta is None else delta
    batch = batch_size or cfg.batch_size
    plan = None
    if epsilon is not None:
        plan = plan_dp(
            data.n, epsilon=epsilon, delta=delta, batch_size=batch, epochs=epochs, rounds=rounds
        )
    if account is not None:
        if plan is None:
            raise PrivacyBudgetError("training without DP cannot be charged to a privacy budget")
        account.check(plan)
    report = progress or (lambda _f, _m: None)
    stop = cancel or (lambda: False)

    def tick(done: int, total: int) -> None:
        _tick(report, stop, done, total)

    generator = torch.Generator().manual_seed(seed if seed is not None else _fresh_seed())
    X, y = torch.from_numpy(data.X), torch.from_numpy(data.y)
    lr, clip = lr or cfg.lr, max_grad_norm or cfg.max_grad_norm
    with _single_thread():
        module = load_into(spec, weights).train()
        if plan is None:
            steps, spent = _plain_run(module, X, y, lr, batch, epochs, generator, tick)
        else:
            run = DPRun(plan=plan, lr=lr, clip=clip, generator=generator)
            steps, spent = dp_train(module, X, y, run, tick, dp_engine)
    new = state_of(module)
    result = TrainResult(
        weights=new,
        update=subtract(new, weights),
        epsilon=spent,
        delta=delta if plan else 0.0,
        n_examples=data.n,
        base_digest=base_digest or weights_digest(weights_to_bytes(weights, spec=spec)),
        base_version=base_version,
        seconds=time.perf_counter() - started,
        epochs=epochs,
        steps=steps,
        mechanism=plan.mechanism if plan else None,
    )
    if account is not None:
        account.charge(result)
    report(1.0, "training done")
    return result


def _fresh_seed() -> int:
    """Unpredictable seed from the OS for the sampling and noise PRNG (torch's, not Opacus's
    secure_mode, which needs torchcsprng); pass `seed` only for reproducible experiments."""
    return secrets.randbits(63)


@contextmanager
def _single_thread() -> Iterator[None]:
    """Tiny models train ~5x faster on one thread here; restore the setting afterwards."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _tick(report: Progress, stop: Callable[[], bool], done: int, total: int) -> None:
    if stop():
        raise JobCancelledError("training was cancelled; nothing was submitted or charged")
    report(done / total * 0.99, f"epoch {done}/{total}")


def _plain_run(
    module: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    lr: float,
    batch: int,
    epochs: int,
    generator: torch.Generator,
    tick: Callable[[int, int], None],
) -> tuple[int, float | None]:
    """Non-private minibatch SGD (for baselines): shuffled batches, no clipping, no noise."""
    optimizer = torch.optim.SGD(module.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    steps = 0
    for epoch in range(epochs):
        tick(epoch, epochs)
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), batch):
            idx = order[start : start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(module(X[idx]), y[idx]).backward()
            optimizer.step()
            steps += 1
    return steps, None


def update_to_bytes(spec: ModelSpec, result: TrainResult) -> bytes:
    """The canonical submission: full new weights + base digest, n, epsilon, delta in metadata."""
    meta = {
        "kind": "update",
        "base": result.base_digest.hex(),
        "n_examples": str(result.n_examples),
        "epsilon": "none" if result.epsilon is None else repr(result.epsilon),
        "delta": repr(result.delta),
    }
    if result.base_version is not None:
        meta["base_version"] = str(result.base_version)
    return weights_to_bytes(result.weights, spec=spec, metadata=meta)
