"""Owner-side local training: DP-SGD (fl.dpsgd: Opacus's step, closed-form fast path) or SGD.

What an owner submits is the canonical update: the FULL new weights (safetensors, see
`update_to_bytes`). What it claims (the base digest, n_examples, the (epsilon, delta) spent)
travels once, in the update's signed header (fedlend sealing). The lender recovers the delta as
new - base for the base named there (fl.merge), which also handles updates trained on an older
model version.
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
from fl.models import Weights, load_into, state_of
from fl.spec import ModelSpec
from fl.weights import weights_to_bytes


class BudgetAccount(Protocol):
    """What train_update needs from a privacy ledger (see fl.privacy.LedgerAccount)."""

    def check(self, plan: DPPlan) -> None: ...  # raise PrivacyBudgetError if over budget

    def charge(self, result: TrainResult) -> None: ...


@dataclass(frozen=True)
class TrainResult:
    """New weights and what the run cost."""

    weights: Weights
    epsilon: float | None  # None = trained without differential privacy
    delta: float
    n_examples: int
    seconds: float
    epochs: int
    steps: int
    mechanism: Mechanism | None

    @property
    def private(self) -> bool:
        """True when trained with DP-SGD."""
        return self.epsilon is not None


@dataclass(frozen=True)
class TrainConfig:
    """How one local run trains (as Opacus's make_private takes its knobs); None = the spec's
    training defaults. `rounds` > 1 calibrates the noise so that that many runs like this one
    compose (RDP) to `epsilon` in total; `dp_engine` "opacus" runs Opacus's own per-sample hooks
    (the reference; the same result, slower)."""

    epsilon: float | None  # this run's budget; None = no DP (baselines only)
    delta: float | None = None
    epochs: int | None = None
    rounds: int = 1
    lr: float | None = None
    batch_size: int | None = None
    max_grad_norm: float | None = None
    seed: int | None = None  # None: a fresh unpredictable seed
    dp_engine: Engine = "fast"


@dataclass(frozen=True)
class TrainHooks:
    """What a caller watches and books during a run: progress, cancellation, the privacy ledger
    (`account` is checked before training and charged after it)."""

    progress: Progress | None = None
    cancel: Callable[[], bool] | None = None
    account: BudgetAccount | None = None


@dataclass(frozen=True)
class _Plan:
    """A run's resolved settings (the config with the spec's defaults filled in)."""

    epochs: int
    delta: float
    batch: int
    lr: float
    clip: float
    dp: DPPlan | None


def train_update(
    spec: ModelSpec,
    weights: Mapping[str, torch.Tensor],
    data: EncodedData | pd.DataFrame,
    config: TrainConfig,
    *,
    hooks: TrainHooks | None = None,
) -> TrainResult:
    """Train locally from `weights` as `config` says (see TrainConfig and TrainHooks)."""
    started = time.perf_counter()
    data = data if isinstance(data, EncodedData) else encode(spec, data)
    if data.y is None or data.n == 0:
        raise DataError("training needs labelled loans (a `default` column) and at least one row")
    hooks = hooks or TrainHooks()
    plan = _resolve(spec, config, data.n)
    if hooks.account is not None:
        if plan.dp is None:
            raise PrivacyBudgetError("training without DP cannot be charged to a privacy budget")
        hooks.account.check(plan.dp)
    report = hooks.progress or (lambda _f, _m: None)
    stop = hooks.cancel or (lambda: False)

    def tick(done: int, total: int) -> None:
        _tick(report, stop, done, total)

    seed = config.seed if config.seed is not None else _fresh_seed()
    generator = torch.Generator().manual_seed(seed)
    X, y = torch.from_numpy(data.X), torch.from_numpy(data.y)
    with _single_thread():
        module = load_into(spec, weights).train()
        if plan.dp is None:
            steps, spent = _plain_run(module, X, y, plan, generator, tick)
        else:
            run = DPRun(plan=plan.dp, lr=plan.lr, clip=plan.clip, generator=generator)
            steps, spent = dp_train(module, X, y, run, tick, config.dp_engine)
    result = TrainResult(
        weights=state_of(module),
        epsilon=spent,
        delta=plan.delta if plan.dp else 0.0,
        n_examples=data.n,
        seconds=time.perf_counter() - started,
        epochs=plan.epochs,
        steps=steps,
        mechanism=plan.dp.mechanism if plan.dp else None,
    )
    if hooks.account is not None:
        hooks.account.charge(result)
    report(1.0, "training done")
    return result


def _resolve(spec: ModelSpec, config: TrainConfig, n: int) -> _Plan:
    """The config with the spec's training defaults filled in, and the DP plan (if private)."""
    cfg = spec.training
    epochs = config.epochs or cfg.epochs
    delta = cfg.delta if config.delta is None else config.delta
    batch = config.batch_size or cfg.batch_size
    dp = None
    if config.epsilon is not None:
        dp = plan_dp(
            n,
            epsilon=config.epsilon,
            delta=delta,
            batch_size=batch,
            epochs=epochs,
            rounds=config.rounds,
        )
    lr, clip = config.lr or cfg.lr, config.max_grad_norm or cfg.max_grad_norm
    return _Plan(epochs, delta, batch, lr, clip, dp)


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
    plan: _Plan,
    generator: torch.Generator,
    tick: Callable[[int, int], None],
) -> tuple[int, float | None]:
    """Non-private minibatch SGD (for baselines): shuffled batches, no clipping, no noise."""
    optimizer = torch.optim.SGD(module.parameters(), lr=plan.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    steps = 0
    for epoch in range(plan.epochs):
        tick(epoch, plan.epochs)
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), plan.batch):
            idx = order[start : start + plan.batch]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(module(X[idx]), y[idx]).backward()
            optimizer.step()
            steps += 1
    return steps, None


def update_to_bytes(spec: ModelSpec, result: TrainResult) -> bytes:
    """The canonical submission: the full new weights, marked `kind=update` (its claims go in
    the signed header, not here)."""
    return weights_to_bytes(result.weights, spec=spec, metadata={"kind": "update"})
